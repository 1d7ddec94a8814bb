//! The SLA tab's state: every running clock of tickets and incidents, sorted by priority then
//! time to breach (`clocks::BreachOrder`), and which of them already rang the bell on entering
//! the critical band.
//!
//! The list changes when data changes, not on every tick: a running clock's breach instant
//! does not move as time passes, so the order holds, and neither do the instants at which each
//! clock changes band. The summary, the tab bar's badge and the bell come from counts kept as
//! those instants pass (`bands.rs`): a second costs the clocks that changed band in it, not
//! every clock; only the rows on screen are evaluated in full.
//!
//! A sync page or an action changes the clocks of its items only ([`SlaTab::update_items`]):
//! their old rows are found by a binary search under the order they sorted by, new ones built
//! and merged in, in one pass over (boxed, so cheap to move) rows. Everything is rebuilt
//! ([`SlaTab::rebuild`]) only when every clock may move: a maintenance window starting or
//! ending, windows or the policy changing, the server's database replaced, or a batch as large
//! as the list.

mod bands;
pub(crate) mod update;
pub mod view;

use std::borrow::{Borrow, Cow};
use std::sync::Arc;

use chrono::{DateTime, Utc};
// hashbrown's default hasher (foldhash): the clock sets grow to every open ticket, and growing one
// rehashes it in a single turn, which SipHash made take a frame (12 ms at 57,000 clocks).
use hashbrown::{HashMap, HashSet};

use crate::console::action::Action;
use crate::console::clocks::{BreachOrder, ClockInput, ClockRow, Which};
use crate::console::keymap::Mode;
use crate::console::list::{Cursor, splice_sorted};
use crate::console::tabs::TabMeta;
use crate::console::tabs::calendar::CalendarTab;
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

/// An item whose clocks changed, as shown now (`None`: no longer held, or closed: it has no clocks).
#[derive(Debug, Clone)]
pub enum Changed<'a> {
    Incident(&'a str, Option<Cow<'a, Incident>>),
    Ticket(&'a str, Option<Cow<'a, Ticket>>),
}

#[expect(clippy::vec_box, reason = "a row is 72 bytes: a page merges pointers, not rows")]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlaTab {
    rows: Vec<Box<ClockRow>>,
    cursor: Cursor,
    /// Clocks that were critical (or worse) when last looked at: they do not ring again.
    rung: HashSet<(Arc<str>, Which)>,
    /// Where each item's response and resolution clocks sort, to find their rows again (40 bytes
    /// an entry).
    placed: HashMap<(EntityKind, Arc<str>), [Option<BreachOrder>; 2]>,
    /// The summary's counts, kept as clocks change band.
    bands: bands::BandIndex,
    /// Clocks that entered the critical band before a page or a rebuild replaced them: they
    /// ring at the next look.
    ring_next: Vec<(EntityKind, Arc<str>, Which)>,
}

/// The order rows are listed in, unique per row.
fn sort_key(row: &ClockRow) -> (BreachOrder, &str, Which) {
    (row.order, &row.id, row.which)
}

/// The running clocks of an open ticket, as the calendar pauses them.
#[expect(clippy::vec_box, reason = "a row is 72 bytes: a page merges pointers, not rows")]
fn ticket_rows(t: &Ticket, policy: &SlaPolicy, calendar: &CalendarTab, now: DateTime<Utc>) -> Vec<Box<ClockRow>> {
    if !t.is_open() {
        return Vec::new();
    }
    let id: Arc<str> = Arc::from(t.key.as_str());
    Which::BOTH
        .into_iter()
        .map(|which| calendar.ticket_clock(t, which))
        .filter(ClockInput::is_running)
        .map(|input| Box::new(ClockRow::new(EntityKind::Ticket, id.clone(), input, policy, now)))
        .collect()
}

/// The running clocks of an open incident, as the calendar pauses them.
#[expect(clippy::vec_box, reason = "a row is 72 bytes: a page merges pointers, not rows")]
fn incident_rows(i: &Incident, policy: &SlaPolicy, calendar: &CalendarTab, now: DateTime<Utc>) -> Vec<Box<ClockRow>> {
    if !i.is_open() {
        return Vec::new();
    }
    let id: Arc<str> = Arc::from(i.id.as_str());
    Which::BOTH
        .into_iter()
        .map(|which| calendar.incident_clock(i, which))
        .filter(ClockInput::is_running)
        .map(|input| Box::new(ClockRow::new(EntityKind::Incident, id.clone(), input, policy, now)))
        .collect()
}

fn slot(which: Which) -> usize {
    match which {
        Which::Response => 0,
        Which::Resolution => 1,
    }
}

impl SlaTab {
    /// Rebuilds the list from the open items. Clocks seen for the first time already critical
    /// do not ring: the bell is for entering the band while someone watches.
    pub fn rebuild(
        &mut self,
        incidents: impl Iterator<Item = impl Borrow<Incident>>,
        tickets: impl Iterator<Item = impl Borrow<Ticket>>,
        policy: &SlaPolicy,
        calendar: &CalendarTab,
        now: DateTime<Utc>,
    ) {
        let selected = self.selected().map(|r| (r.id.clone(), r.which));
        self.catch_up(now);
        let known: HashSet<(Arc<str>, Which)> = self.rows.iter().map(|r| (r.id.clone(), r.which)).collect();
        let mut rows: Vec<Box<ClockRow>> =
            tickets.flat_map(|t| ticket_rows(t.borrow(), policy, calendar, now)).collect();
        rows.extend(incidents.flat_map(|i| incident_rows(i.borrow(), policy, calendar, now)));
        rows.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        for row in rows.iter().filter(|r| r.band_at(now) >= Band::Critical) {
            let key = (row.id.clone(), row.which);
            if !known.contains(&key) {
                self.rung.insert(key);
            } else if !self.rung.contains(&key) {
                // Critical since it was last looked at: it rings at the next look.
                self.ring_next.push((row.kind, key.0, key.1));
            }
        }
        let live: HashSet<(Arc<str>, Which)> = rows.iter().map(|r| (r.id.clone(), r.which)).collect();
        self.rung.retain(|k| live.contains(k));
        self.placed.clear();
        for row in &rows {
            self.placed.entry((row.kind, row.id.clone())).or_default()[slot(row.which)] = Some(row.order);
        }
        self.rows = rows;
        self.bands.reset(&self.rows, crate::console::time::second(now));
        if let Some(sel) = selected
            && let Some(pos) = self.rows.iter().position(|r| (&r.id, r.which) == (&sel.0, sel.1))
        {
            self.cursor.selected = pos;
        }
        self.cursor.selected = self.cursor.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Replaces the clocks of `changed` items only, leaving every other row as it is (see the
    /// module docs). A clock seen for the first time already critical does not ring, as in
    /// [`SlaTab::rebuild`]; one the item had before keeps whether it rang.
    pub fn update_items(
        &mut self,
        changed: &[Changed<'_>],
        policy: &SlaPolicy,
        calendar: &CalendarTab,
        now: DateTime<Utc>,
    ) {
        let selected = self.selected().map(|r| (r.kind, r.id.clone(), r.which));
        self.catch_up(now);
        let mut removed = Vec::new();
        let mut gone: HashSet<(Arc<str>, Which)> = HashSet::new();
        let mut added: Vec<Box<ClockRow>> = Vec::new();
        let mut seen = HashSet::new();
        for item in changed {
            let (kind, id) = match *item {
                Changed::Incident(id, _) => (EntityKind::Incident, id),
                Changed::Ticket(id, _) => (EntityKind::Ticket, id),
            };
            if !seen.insert((kind, id)) {
                continue;
            }
            if let Some((key, orders)) = self.placed.remove_entry(&(kind, Arc::from(id))) {
                for (which, order) in Which::BOTH.into_iter().zip(orders) {
                    let Some(order) = order else { continue };
                    if let Some(pos) = self.find(kind, (order, id, which)) {
                        removed.push(pos);
                        gone.insert((key.1.clone(), which));
                    }
                }
            }
            added.extend(match item {
                Changed::Incident(_, Some(i)) => incident_rows(i.as_ref(), policy, calendar, now),
                Changed::Ticket(_, Some(t)) => ticket_rows(t.as_ref(), policy, calendar, now),
                _ => Vec::new(),
            });
        }
        if removed.is_empty() && added.is_empty() {
            return;
        }
        removed.sort_unstable();
        for &pos in &removed {
            self.bands.remove(&self.rows[pos]);
        }
        added.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        for row in &added {
            let key = (row.id.clone(), row.which);
            let replaced = gone.remove(&key);
            if row.band_at(now) >= Band::Critical {
                if !replaced {
                    self.rung.insert(key);
                } else if !self.rung.contains(&key) {
                    self.ring_next.push((row.kind, key.0, key.1));
                }
            }
            self.placed.entry((row.kind, row.id.clone())).or_default()[slot(row.which)] = Some(row.order);
            self.bands.add(row, crate::console::time::second(now));
        }
        // Clocks that stopped or whose item closed: they may ring again if they come back.
        for key in gone {
            self.rung.remove(&key);
        }
        splice_sorted(&mut self.rows, &removed, added, |a, b| sort_key(a) < sort_key(b));
        if let Some((kind, id, which)) = selected
            && let Some(order) = self.placed.get(&(kind, id.clone())).and_then(|o| o[slot(which)])
            && let Some(pos) = self.find(kind, (order, &*id, which))
        {
            self.cursor.selected = pos;
        }
        self.cursor.selected = self.cursor.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Where the row of `kind` sorting under `key` is (a binary search).
    fn find(&self, kind: EntityKind, key: (BreachOrder, &str, Which)) -> Option<usize> {
        let start = self.rows.partition_point(|r| sort_key(r) < key);
        // A ticket and an incident could share an id: look past the other's row.
        (start..self.rows.len()).take_while(|&i| sort_key(&self.rows[i]) == key).find(|&i| self.rows[i].kind == kind)
    }

    /// Brings the counts to the whole second of `now` before clocks are replaced, keeping the
    /// clocks that entered the critical band on the way for the next look: the replaced rows
    /// then count from `now`, with no change behind them to take.
    fn catch_up(&mut self, now: DateTime<Utc>) {
        let entered = self.bands.advance(&self.rows, crate::console::time::second(now));
        self.ring_next.extend(entered.into_iter().map(|r| (r.kind, r.id.clone(), r.which)));
    }

    /// Clocks that entered the critical band (or breached) since last asked, as of the whole
    /// second `now` is in (what the frame shows); each only once. Costs the clocks that changed
    /// band since, not every clock.
    pub fn newly_critical(&mut self, now: DateTime<Utc>) -> Vec<String> {
        self.catch_up(now);
        let mut out = Vec::new();
        let at = crate::console::time::second(now);
        for (kind, id, which) in std::mem::take(&mut self.ring_next) {
            // Still running and critical (a page may have stopped or eased it since).
            let order = self.placed.get(&(kind, id.clone())).and_then(|orders| orders[slot(which)]);
            let row = order.and_then(|order| self.find(kind, (order, &*id, which))).map(|pos| &self.rows[pos]);
            let key = (id, which);
            if row.is_some_and(|r| r.band_at(at) >= Band::Critical) && !self.rung.contains(&key) {
                out.push(format!("{} {}", key.0, which.label()));
                self.rung.insert(key);
            }
        }
        out
    }

    /// The next instant after `now` a clock changes band: it may ring the bell (entering the
    /// critical band), and it changes the summary and the badge.
    pub fn next_band_change(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.bands.next_change(&self.rows, now)
    }

    /// Per priority: running, warning, critical, breached and paused clocks at `now`.
    pub fn summary(&self, now: DateTime<Utc>) -> [(Priority, PrioritySummary); 4] {
        self.bands.summary(&self.rows, now)
    }

    /// Makes room for the clocks of `items` more items (two clocks each at most).
    pub fn reserve(&mut self, items: usize) {
        self.rows.reserve(items * 2);
        self.placed.reserve(items);
    }

    pub fn rows(&self) -> &[Box<ClockRow>] {
        &self.rows
    }

    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    pub fn cursor_mut(&mut self) -> (&mut Cursor, usize) {
        (&mut self.cursor, self.rows.len())
    }

    pub fn selected(&self) -> Option<&ClockRow> {
        self.rows.get(self.cursor.selected).map(Box::as_ref)
    }
}

#[cfg(test)]
mod tests;
