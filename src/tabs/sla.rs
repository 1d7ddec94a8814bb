//! The SLA tab's state: every running clock of tickets and incidents, sorted by time to
//! breach, and which of them already rang the bell on entering the critical band.
//!
//! The list is rebuilt when data changes, not on every tick: a running clock's breach instant
//! does not move as time passes, so the order holds. Views evaluate only the rows on screen;
//! the summary and the bell check evaluate all of them, a few hundred cheap computations.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::clocks::{ClockInput, ClockRow, Which};
use super::list::Cursor;
use crate::domain::{EntityKind, Incident, Priority, Ticket};
use crate::sla::{Band, SlaPolicy};

/// Counts for one priority in the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrioritySummary {
    pub running: usize,
    pub warning: usize,
    pub critical: usize,
    pub breached: usize,
    pub paused: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlaTab {
    rows: Vec<ClockRow>,
    cursor: Cursor,
    /// Clocks that were critical (or worse) when last looked at: they do not ring again.
    rung: HashSet<(String, Which)>,
}

impl SlaTab {
    /// Rebuilds the list from the open items. Clocks seen for the first time already critical
    /// do not ring: the bell is for entering the band while someone watches.
    pub fn rebuild<'a>(
        &mut self,
        incidents: impl Iterator<Item = &'a Incident>,
        tickets: impl Iterator<Item = &'a Ticket>,
        policy: &SlaPolicy,
        now: DateTime<Utc>,
    ) {
        let selected = self.selected().map(|r| (r.id.clone(), r.input.which));
        let known: HashSet<(String, Which)> = self.rows.iter().map(|r| (r.id.clone(), r.input.which)).collect();
        let mut rows = Vec::new();
        for t in tickets.filter(|t| t.is_open()) {
            for which in Which::BOTH {
                let input = ClockInput::for_ticket(t, which);
                if input.is_running() {
                    rows.push(ClockRow::new(EntityKind::Ticket, &t.key, &t.subject, input, policy, now));
                }
            }
        }
        for i in incidents.filter(|i| i.is_open()) {
            for which in Which::BOTH {
                let input = ClockInput::for_incident(i, which);
                if input.is_running() {
                    rows.push(ClockRow::new(EntityKind::Incident, &i.id, &i.title, input, policy, now));
                }
            }
        }
        rows.sort_by(|a, b| (a.order, &a.id, a.input.which).cmp(&(b.order, &b.id, b.input.which)));
        for row in &rows {
            let key = (row.id.clone(), row.input.which);
            if !known.contains(&key) && row.state(policy, now).band >= Band::Critical {
                self.rung.insert(key);
            }
        }
        let live: HashSet<(String, Which)> = rows.iter().map(|r| (r.id.clone(), r.input.which)).collect();
        self.rung.retain(|k| live.contains(k));
        self.rows = rows;
        if let Some(sel) = selected
            && let Some(pos) = self.rows.iter().position(|r| (&r.id, r.input.which) == (&sel.0, sel.1))
        {
            self.cursor.selected = pos;
        }
        self.cursor.selected = self.cursor.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Clocks that entered the critical band (or breached) since last asked; each only once.
    pub fn newly_critical(&mut self, policy: &SlaPolicy, now: DateTime<Utc>) -> Vec<String> {
        let mut out = Vec::new();
        for row in &self.rows {
            let key = (row.id.clone(), row.input.which);
            if !self.rung.contains(&key) && row.state(policy, now).band >= Band::Critical {
                out.push(format!("{} {}", row.id, row.input.which.label()));
                self.rung.insert(key);
            }
        }
        out
    }

    /// The next instant a clock enters the critical band.
    pub fn next_critical(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.rows.iter().filter_map(|r| r.critical_at).filter(|at| *at > now).min()
    }

    /// Per priority: running, warning, critical, breached and paused clocks.
    pub fn summary(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> [(Priority, PrioritySummary); 4] {
        let mut out = Priority::ALL.map(|p| (p, PrioritySummary::default()));
        for row in &self.rows {
            let state = row.state(policy, now);
            let s = &mut out[usize::from(row.input.priority.rank() - 1)].1;
            s.running += 1;
            if state.paused {
                s.paused += 1;
            }
            match state.band {
                Band::Ok => {}
                Band::Warning => s.warning += 1,
                Band::Critical => s.critical += 1,
                Band::Breached => s.breached += 1,
            }
        }
        out
    }

    pub fn rows(&self) -> &[ClockRow] {
        &self.rows
    }

    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    pub fn cursor_mut(&mut self) -> (&mut Cursor, usize) {
        (&mut self.cursor, self.rows.len())
    }

    pub fn selected(&self) -> Option<&ClockRow> {
        self.rows.get(self.cursor.selected)
    }
}
