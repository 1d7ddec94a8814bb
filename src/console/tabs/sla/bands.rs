//! The SLA summary's counts — per priority, clocks running, paused and in each band — kept as
//! time passes instead of counted over every clock every second.
//!
//! A running clock changes band only at the instants its row worked out when built (entering
//! warning, critical, breached); a paused one never until it is rebuilt. [`BandIndex`] holds
//! the counts as of one instant (`as_of`) and, ordered by instant, each running clock's next
//! band change after it. Moving `as_of` forward ([`BandIndex::advance`]) takes the changes
//! passed, in order, and says which clocks entered the critical band: the bell. Reading the
//! counts at a later instant ([`BandIndex::summary`]) looks only at the changes between; an
//! earlier one (never asked by the screen, which moves forward) counts every clock.
//!
//! A clock is found from its change by a binary search of the rows under its order, then its
//! identity's hash: an entry is 24 bytes, not a copy of the clock's id.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};

use super::PrioritySummary;
use crate::console::clocks::{BreachOrder, ClockRow};
use crate::console::time;
use crate::domain::Priority;
use crate::sla::Band;

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct BandIndex {
    /// The instant the counts are as of (`None` before the first clock).
    as_of: Option<DateTime<Utc>>,
    /// Per priority (P1 first): clocks in each band (ok, warning, critical, breached) at `as_of`.
    bands: [[usize; 4]; 4],
    /// Per priority: every clock, and the paused ones.
    running: [usize; 4],
    paused: [usize; 4],
    /// Each running clock's next band change after `as_of`: (instant in nanoseconds, identity)
    /// → its order; 24 bytes an entry.
    next: BTreeMap<(i64, u64), BreachOrder>,
}

fn band_index(band: Band) -> usize {
    match band {
        Band::Ok => 0,
        Band::Warning => 1,
        Band::Critical => 2,
        Band::Breached => 3,
    }
}

fn priority_index(row: &ClockRow) -> usize {
    usize::from(row.priority.rank() - 1)
}

/// A clock's identity (kind, id, which) in 8 bytes: with its order and instant, unique.
fn identity(row: &ClockRow) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (row.kind, &row.id, row.which).hash(&mut hasher);
    hasher.finish()
}

/// The row sorting under `order` whose identity is `id` (rows sorted by order first).
fn find(rows: &[Box<ClockRow>], order: BreachOrder, id: u64) -> Option<&ClockRow> {
    let start = rows.partition_point(|r| r.order < order);
    rows[start..].iter().take_while(|r| r.order == order).map(Box::as_ref).find(|r| identity(r) == id)
}

impl BandIndex {
    /// Counts `rows` afresh as of `at`.
    pub fn reset(&mut self, rows: &[Box<ClockRow>], at: DateTime<Utc>) {
        *self = BandIndex { as_of: Some(at), ..BandIndex::default() };
        for row in rows {
            self.add(row, at);
        }
    }

    /// Counts a new clock (`now` starts the counts when there were none).
    pub fn add(&mut self, row: &ClockRow, now: DateTime<Utc>) {
        let as_of = *self.as_of.get_or_insert(now);
        let p = priority_index(row);
        self.running[p] += 1;
        self.paused[p] += usize::from(row.is_paused());
        self.bands[p][band_index(row.band_at(as_of))] += 1;
        if let Some(at) = row.next_band_change_nanos(time::nanos_clamped(as_of)) {
            self.next.insert((at, identity(row)), row.order);
        }
    }

    /// Stops counting a clock that [`BandIndex::add`] counted.
    pub fn remove(&mut self, row: &ClockRow) {
        let Some(as_of) = self.as_of else { return };
        let p = priority_index(row);
        self.running[p] -= 1;
        self.paused[p] -= usize::from(row.is_paused());
        self.bands[p][band_index(row.band_at(as_of))] -= 1;
        if let Some(at) = row.next_band_change_nanos(time::nanos_clamped(as_of)) {
            self.next.remove(&(at, identity(row)));
        }
    }

    /// Moves the counts to `now`, taking the band changes passed in order; returns the clocks
    /// that entered the critical band (or breached) on the way. Going back counts afresh.
    pub fn advance<'a>(&mut self, rows: &'a [Box<ClockRow>], now: DateTime<Utc>) -> Vec<&'a ClockRow> {
        let Some(as_of) = self.as_of else { return Vec::new() };
        if now < as_of {
            self.reset(rows, now);
            return Vec::new();
        }
        let mut entered = Vec::new();
        let now_nanos = time::nanos_clamped(now);
        while let Some(entry) = self.next.first_entry() {
            if entry.key().0 > now_nanos {
                break;
            }
            let ((_, id), order) = entry.remove_entry();
            let Some(row) = find(rows, order, id) else { continue };
            let (before, after) = (row.band_at(as_of), row.band_at(now));
            let p = priority_index(row);
            self.bands[p][band_index(before)] -= 1;
            self.bands[p][band_index(after)] += 1;
            if before < Band::Critical && after >= Band::Critical {
                entered.push(row);
            }
            if let Some(at) = row.next_band_change_nanos(now_nanos) {
                self.next.insert((at, id), order);
            }
        }
        self.as_of = Some(now);
        entered
    }

    /// Per priority at `now`: running, warning, critical, breached and paused clocks.
    pub fn summary(&self, rows: &[Box<ClockRow>], now: DateTime<Utc>) -> [(Priority, PrioritySummary); 4] {
        let mut bands = self.bands;
        match self.as_of {
            Some(as_of) if now >= as_of => {
                for (&(_, id), &order) in self.next.range(..=(time::nanos_clamped(now), u64::MAX)) {
                    let Some(row) = find(rows, order, id) else { continue };
                    let p = priority_index(row);
                    bands[p][band_index(row.band_at(as_of))] -= 1;
                    bands[p][band_index(row.band_at(now))] += 1;
                }
            }
            _ => {
                bands = [[0; 4]; 4];
                for row in rows {
                    bands[priority_index(row)][band_index(row.band_at(now))] += 1;
                }
            }
        }
        let mut out = Priority::ALL.map(|p| (p, PrioritySummary::default()));
        for (p, (_, s)) in out.iter_mut().enumerate() {
            let [_, warning, critical, breached] = bands[p];
            *s = PrioritySummary { running: self.running[p], warning, critical, breached, paused: self.paused[p] };
        }
        out
    }

    /// The first instant after `now` a clock changes band.
    pub fn next_change(&self, rows: &[Box<ClockRow>], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.as_of {
            Some(as_of) if now >= as_of => {
                // Changes not yet taken at or before `now`: those clocks' next ones after it.
                let at = time::nanos_clamped(now);
                let passed = self
                    .next
                    .range(..=(at, u64::MAX))
                    .filter_map(|(&(_, id), &order)| find(rows, order, id)?.next_band_change_nanos(at));
                let later = self.next.range((at.saturating_add(1), 0)..).next().map(|(k, _)| k.0);
                passed.chain(later).min().and_then(time::instant_opt)
            }
            _ => rows.iter().filter_map(|r| r.next_band_change(now)).min(),
        }
    }
}
