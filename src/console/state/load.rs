//! The cache's rows merged after the first frame: the first frame shows the first incidents
//! the cache holds, and what it did not count or read comes right after it — the counts
//! (`Event::CacheCounted`; the Incidents title shows `…` until then) and the Tickets tab's first
//! rows, stored at once (`Event::FirstTickets`); the rest arrives a page per event
//! (`Event::CacheLoaded`, `Event::TicketsLoaded`) and is merged a slice per turn of the loop (`Event::CacheMergeStep`,
//! one in flight at a time), so that a key pressed meanwhile is handled in the next frame
//! instead of after the whole merge (a million incidents took seconds in one update).
//!
//! A slice costs what it holds, not what the list holds: the cache reads incidents in the
//! list's order, so each slice lands after the rows before it and only those are copied
//! (`splice_sorted`); the list's storage is reserved for every cached row when the first page
//! comes; and the rows go through the same path as a sync page: their queued actions, SLA
//! clocks and drift markers are redone for them alone (`refresh_derived`) — a slice of resolved
//! incidents rebuilds no clock. The last slice reapplies every queued action once, as a
//! one-shot merge did.

use super::{AppState, Update};
use crate::console::effect::Effect;

/// Resolved incidents merged per turn of the loop (an open one counts
/// [`OPEN_MERGE_COST`](crate::console::tabs::incidents::OPEN_MERGE_COST)): about 4 ms of work at a
/// million rows on a 2-core machine, well inside a 16 ms frame (`cargo bench --bench merge`).
pub const MERGE_SLICE: usize = 2_000;
/// Tickets merged per turn: each is sorted by its SLA due time and gets its clocks, which costs
/// about twenty resolved incidents' worth (2–5 ms a turn, `MERGE_TICKETS=100000 cargo bench
/// --bench merge`).
pub const TICKET_SLICE: usize = 100;

impl AppState {
    /// Merges the next slice of the cached rows (incidents first: the first screen lists them)
    /// and asks for another turn while some are left.
    pub(crate) fn merge_cached(&mut self) -> Update {
        if self.merge_queued {
            // Rows just loaded: the step already on its way takes them.
            return Update::changed();
        }
        if self.incidents.merging() {
            self.incidents.merge_slice(MERGE_SLICE);
            self.derived.markers = true;
        } else if self.tickets.merging() {
            self.tickets.merge_slice(TICKET_SLICE, &self.settings.sla);
        }
        if self.merging_cache() {
            self.merge_queued = true;
            return Update::changed().with([Effect::ContinueMerge]);
        }
        self.derived.pending = true;
        if self.cache_merged() {
            self.incidents.shrink_to_fit();
            self.tickets.shrink_to_fit();
            tracing::info!(
                incidents = self.incidents.loaded(),
                tickets = self.tickets.len(),
                "the cached rows are all merged"
            );
            return Update::changed().with([Effect::ReleaseMemory]);
        }
        Update::changed()
    }

    /// A compact incident's timeline came back from the cache: shown at once, with the queued
    /// actions on it applied again over it.
    pub(crate) fn on_incident_read(
        &mut self,
        id: &str,
        result: Result<Option<crate::domain::Incident>, String>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Update {
        let restored = result.map(|found| found.is_some_and(|incident| self.incidents.restore_timeline(incident)));
        self.on_read(restored, || format!("the timeline of {id}"), now)
    }

    /// A compact ticket's history and message came back from the cache.
    pub(crate) fn on_ticket_read(
        &mut self,
        key: &str,
        result: Result<Option<crate::domain::Ticket>, String>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Update {
        let restored = result.map(|found| found.is_some_and(|ticket| self.tickets.restore_history(ticket)));
        self.on_read(restored, || format!("the history of {key}"), now)
    }

    /// What a read of a compact row's long parts comes to: shown again with its queued actions
    /// when they were put back, said on screen when the cache could not be read.
    fn on_read(
        &mut self,
        restored: Result<bool, String>,
        what: impl FnOnce() -> String,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Update {
        match restored {
            Ok(true) => {
                self.derived.pending = true;
                Update::changed()
            }
            Ok(false) => Update::unchanged(),
            Err(error) => {
                self.flash(super::Level::Error, format!("{} could not be read from the cache: {error}", what()), now);
                Update::changed()
            }
        }
    }

    /// Whether every row the cache held at the start is merged into the lists.
    pub fn cache_merged(&self) -> bool {
        !self.merging_cache()
            && !self.incidents.counting()
            && !self.tickets.counting()
            && self.incidents.loaded() >= self.incidents.total()
            && self.tickets.len() >= self.tickets.total()
    }

    /// Whether rows read from the cache after the first frame are still being merged.
    pub fn merging_cache(&self) -> bool {
        self.incidents.merging() || self.tickets.merging()
    }

    /// A list's filter is still being matched a slice at a time.
    pub fn filtering(&self) -> bool {
        self.incidents.filtering().is_some() || self.tickets.filtering().is_some()
    }

    /// Matches the next slice of each list whose filter is still being matched. Returns whether
    /// one was.
    pub(crate) fn filter_step(&mut self) -> bool {
        let mut stepped = false;
        if self.incidents.filtering().is_some() {
            stepped = true;
            self.incidents.filter_step();
        }
        if self.tickets.filtering().is_some() {
            stepped = true;
            self.tickets.filter_step();
        }
        stepped
    }
}

#[cfg(test)]
mod tests;
