//! The SLA tab's state: every running clock of tickets and incidents, sorted by priority then
//! time to breach (`clocks::BreachOrder`), and which of them already rang the bell on entering
//! the critical band.
//!
//! The list is rebuilt when data changes, not on every tick: a running clock's breach instant
//! does not move as time passes, so the order holds, and neither do the instants at which each
//! clock changes band: the summary and the bell check compare instants, and only the rows on
//! screen are evaluated in full each second.

pub(crate) mod update;
pub mod view;

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::console::action::Action;
use crate::console::clocks::{ClockRow, Which};
use crate::console::keymap::Mode;
use crate::console::list::Cursor;
use crate::console::tabs::TabMeta;
use crate::domain::{EntityKind, Incident, Priority, Ticket};
use crate::sla::{Band, SlaPolicy};

pub const META: TabMeta = TabMeta { title: "SLA", short_title: "SLA", mode: Mode::Sla, action: Action::TabSla };

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
        calendar: &crate::console::tabs::calendar::CalendarTab,
        now: DateTime<Utc>,
    ) {
        let selected = self.selected().map(|r| (r.id.clone(), r.input.which));
        let known: HashSet<(String, Which)> = self.rows.iter().map(|r| (r.id.clone(), r.input.which)).collect();
        let mut rows = Vec::new();
        for t in tickets.filter(|t| t.is_open()) {
            for which in Which::BOTH {
                let input = calendar.ticket_clock(t, which);
                if input.is_running() {
                    rows.push(ClockRow::new(EntityKind::Ticket, &t.key, &t.subject, input, policy, now));
                }
            }
        }
        for i in incidents.filter(|i| i.is_open()) {
            for which in Which::BOTH {
                let input = calendar.incident_clock(i, which);
                if input.is_running() {
                    rows.push(ClockRow::new(EntityKind::Incident, &i.id, &i.title, input, policy, now));
                }
            }
        }
        rows.sort_by(|a, b| (a.order, &a.id, a.input.which).cmp(&(b.order, &b.id, b.input.which)));
        for row in &rows {
            let key = (row.id.clone(), row.input.which);
            if !known.contains(&key) && row.band_at(now) >= Band::Critical {
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
    pub fn newly_critical(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut out = Vec::new();
        for row in &self.rows {
            if row.band_at(now) < Band::Critical {
                continue;
            }
            let key = (row.id.clone(), row.input.which);
            if !self.rung.contains(&key) {
                out.push(format!("{} {}", row.id, row.input.which.label()));
                self.rung.insert(key);
            }
        }
        out
    }

    /// The next instant a clock enters the critical band.
    pub fn next_critical(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.rows.iter().filter_map(|r| r.critical_at()).filter(|at| *at > now).min()
    }

    /// Per priority: running, warning, critical, breached and paused clocks.
    pub fn summary(&self, now: DateTime<Utc>) -> [(Priority, PrioritySummary); 4] {
        let mut out = Priority::ALL.map(|p| (p, PrioritySummary::default()));
        for row in &self.rows {
            let s = &mut out[usize::from(row.input.priority.rank() - 1)].1;
            s.running += 1;
            if row.is_paused() {
                s.paused += 1;
            }
            match row.band_at(now) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The bands worked out from instants at build time are the bands a full evaluation gives,
    /// on 24×7 and business-hours clocks alike, across nights, weekends and breaches.
    #[test]
    fn bands_from_instants_agree_with_full_evaluation() {
        let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
        let policy = SlaPolicy::default_policy();
        let tickets = crate::fixtures::many_tickets(120, now);
        let incidents = crate::fixtures::seeded_incidents(7, now);
        let mut tab = SlaTab::default();
        tab.rebuild(incidents.iter(), tickets.iter(), &policy, &Default::default(), now);
        assert!(tab.rows().len() > 150);
        let mut seen = HashSet::new();
        for step in 0..200 {
            let t = now + chrono::Duration::minutes(step * 21);
            for row in tab.rows() {
                let band = row.band_at(t);
                assert_eq!(band, row.state(&policy, t).band, "{} {:?} at {t}", row.id, row.input.which);
                seen.insert(band);
            }
        }
        assert_eq!(seen.len(), 4, "every band was exercised: {seen:?}");
    }

    #[test]
    fn summary_counts_each_clock_once_by_priority_and_band() {
        let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
        let policy = SlaPolicy::default_policy();
        let tickets = crate::fixtures::seeded_tickets(now);
        let mut tab = SlaTab::default();
        tab.rebuild(std::iter::empty(), tickets.iter(), &policy, &Default::default(), now);
        let summary = tab.summary(now);
        let total: usize = summary.iter().map(|(_, s)| s.running).sum();
        assert_eq!(total, tab.rows().len());
        let p1 = summary[0].1;
        // SUP-2041: 1 min of its 15 min response left (critical); SUP-2042: 12 min left (ok).
        assert_eq!((p1.running, p1.critical, p1.breached), (4, 1, 0));
        let p2 = summary[1].1;
        assert_eq!(p2.breached, 1, "SUP-2035 is 5 min past its 1 h response target");
    }
}
