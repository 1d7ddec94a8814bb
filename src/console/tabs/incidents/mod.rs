//! The Incidents tab's state: every known incident, the list order, the filter, the selection,
//! and the open detail. Pure: no I/O, no clock.
//!
//! Each row holds the incident as the server confirmed it and, when the user has actions
//! queued for it, the incident as it will be once they apply (`shown`). Sorting and filtering
//! use what is shown. With 100,000 incidents a redraw must not sort or filter: the queue
//! ([`Queue`], shared with Tickets) keeps its order and visible rows up to date when data
//! changes, and views only slice them. What the tab does is in `update.rs`; its view `view.rs`.

pub mod slim;
pub(crate) mod update;
pub mod view;

use std::borrow::Cow;
use std::collections::{BTreeSet, VecDeque};

use crate::console::action::Action;
use crate::console::keymap::Mode;
use crate::console::list::{self, Filter, Item, Queue, Upsert, View};
use crate::console::outbox::OutboxEntry;
use crate::console::tabs::TabMeta;
use crate::domain::text::sanitize_in_place;
use crate::domain::{ActionContext, Command, EscalationPolicy, Incident};
pub use slim::IncidentSpan;

pub const META: TabMeta =
    TabMeta { title: "Incidents", short_title: "Inc", mode: Mode::Incidents, action: Action::TabIncidents };

/// Where an incident sorts: open ones by priority and status first, then the newest first. The
/// rank and the instant ([`Incident::list_order`]) in one word: the rank in the top byte, the
/// milliseconds (clamped to 0..2^56, 1970 to the year 2 million) counted down below it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IncidentOrder(u64);

impl IncidentOrder {
    const AT_BITS: u32 = 56;

    pub fn new(rank: u8, at_millis: i64) -> IncidentOrder {
        let max = (1u64 << Self::AT_BITS) - 1;
        let at = u64::try_from(at_millis.max(0)).unwrap_or(0).min(max);
        IncidentOrder((u64::from(rank) << Self::AT_BITS) | (max - at))
    }
}

/// An incident as confirmed and as shown, in the list.
pub type Row = list::Row<Incident, IncidentOrder>;

impl Row {
    /// The incident as shown (queued actions applied; a compact row's without its timeline).
    pub fn incident(&self) -> Cow<'_, Incident> {
        self.current()
    }

    /// Whether the incident shown is open, read as the row holds it.
    pub fn is_open(&self) -> bool {
        match self.view() {
            View::Full(incident) => incident.is_open(),
            View::Slim(slim) => slim.is_open(),
        }
    }

    /// The title and the service of the incident shown, read as the row holds it.
    pub fn title_and_service(&self) -> (&str, &str) {
        match self.view() {
            View::Full(incident) => (&incident.title, &incident.service_id),
            View::Slim(slim) => (slim.title(), slim.service_id()),
        }
    }

    /// What the Drift tab's markers need of the incident shown, as the row holds it.
    pub fn span(&self) -> IncidentSpan<'_> {
        match self.view() {
            View::Full(incident) => IncidentSpan::from(incident),
            View::Slim(slim) => slim.span(),
        }
    }
}

impl Item for Incident {
    type Slim = slim::SlimIncident;

    fn id(&self) -> &str {
        &self.id
    }

    fn version(&self) -> i64 {
        self.version
    }

    fn matches(&self, filter: &Filter) -> bool {
        let (assignee, source) = (self.assignee.as_deref(), self.source.as_deref());
        slim::matches(
            filter,
            &self.id,
            self.priority,
            self.status,
            &self.service_id,
            &self.title,
            assignee,
            self.tier,
            source,
        )
    }
}

fn order(incident: &Incident) -> IncidentOrder {
    let (rank, at) = incident.list_order();
    IncidentOrder::new(rank, at)
}

/// Removes escape sequences and control characters from every string of an incident, and caps
/// each to its size ([`crate::domain::caps`]; a cache written before the caps may hold more).
pub fn sanitized(mut incident: Incident) -> Incident {
    // The id is kept as it is: a cut id would name another incident.
    let _ = crate::domain::caps::incident(&mut incident);
    let clean = sanitize_in_place;
    clean(&mut incident.id);
    clean(&mut incident.title);
    clean(&mut incident.service_id);
    if let Some(a) = incident.assignee.as_mut() {
        clean(a);
    }
    if let Some(source) = incident.source.as_mut() {
        clean(source);
    }
    for event in &mut incident.timeline {
        clean(&mut event.actor);
        clean(&mut event.text);
    }
    incident
}

/// What merging an open incident costs against a resolved one: its SLA clocks are built, and it
/// keeps its timeline.
pub const OPEN_MERGE_COST: usize = 5;

/// The list (see [`Queue`]: rows, order, filter, selection, detail) and what is the Incidents
/// tab's own. Reading goes straight to the list (`Deref`); changes go through the tab, which
/// keeps its counts with them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentsTab {
    list: Queue<Incident, IncidentOrder>,
    /// How many incidents the cache holds, before all of them are loaded.
    cached_total: usize,
    /// The cache is not counted yet (`cached_total` is what the first frame read).
    counting: bool,
    /// Rows showing queued actions.
    with_pending: BTreeSet<String>,
    /// Open incidents, counted when the order changes rather than on every frame.
    open: usize,
    /// Rows (storage indices) changed since last taken: whose SLA clocks and markers to redo.
    touched: Vec<usize>,
    /// Cached incidents read after the first frame and not merged yet, page by page in the
    /// order they were read ([`IncidentsTab::merge_slice`]): a page queued behind others is not
    /// copied, and a slice taken off the front costs what it holds.
    merging: VecDeque<VecDeque<Incident>>,
}

impl std::ops::Deref for IncidentsTab {
    type Target = Queue<Incident, IncidentOrder>;

    fn deref(&self) -> &Self::Target {
        &self.list
    }
}

impl IncidentsTab {
    pub fn new(incidents: Vec<Incident>, cached_total: usize) -> IncidentsTab {
        let mut tab = IncidentsTab { cached_total, ..IncidentsTab::default() };
        tab.upsert_many(incidents);
        tab
    }

    /// Stores incidents (sanitised), keeping only the newest version of each, and puts the
    /// changed rows in order. Returns the ids that were new.
    pub fn upsert_many(&mut self, incidents: Vec<Incident>) -> Vec<String> {
        let selected_id = self.selected_id().map(str::to_string);
        let mut new_ids = Vec::new();
        let mut touched = Vec::new();
        for incident in incidents {
            let incident = sanitized(incident);
            let id = incident.id.clone();
            match self.list.upsert(incident, order) {
                (Upsert::New, index) => {
                    new_ids.push(id);
                    touched.push(index);
                }
                (Upsert::Updated, index) => {
                    self.with_pending.remove(&id);
                    touched.push(index);
                }
                (Upsert::Ignored, _) => {}
            }
        }
        if touched.is_empty() {
            return new_ids;
        }
        self.touched.extend_from_slice(&touched);
        self.list.reorder(&touched);
        self.reselect(selected_id.as_deref());
        new_ids
    }

    fn reselect(&mut self, keep_selected: Option<&str>) {
        // Open incidents sort first: where the first resolved one is counts them.
        self.open = self.list.leading(Row::is_open);
        self.list.reselect(keep_selected);
    }

    /// Forgets everything (the server's database was replaced).
    pub fn clear(&mut self) {
        self.list.clear();
        *self = IncidentsTab { list: std::mem::take(&mut self.list), ..IncidentsTab::default() };
    }

    /// Recomputes what is shown for `id` from the queued actions for it. `me` is the actor
    /// recorded in the optimistic timeline.
    pub fn apply_pending<'a>(
        &mut self,
        id: &str,
        pending: impl Iterator<Item = &'a OutboxEntry>,
        me: &str,
        policy: Option<&EscalationPolicy>,
    ) {
        let Some(index) = self.list.index_of(id) else {
            return;
        };
        let selected_id = self.selected_id().map(str::to_string);
        let mut shown = self.list.row_at(index).confirmed().into_owned();
        let mut verbs = Vec::new();
        for entry in pending {
            let Command::Incident(action) = &entry.action else {
                continue;
            };
            verbs.push(action.verb());
            // An action that would not apply to what we know is still queued: the server
            // decides. It just does not change what is shown.
            let _ = shown.apply(action, ActionContext { actor: me, now: entry.created_at, policy });
        }
        if verbs.is_empty() {
            self.with_pending.remove(id);
        } else {
            self.with_pending.insert(id.to_string());
        }
        let shown = (!verbs.is_empty()).then_some(shown);
        self.touched.push(index);
        if self.list.set_shown(index, shown, verbs, order) {
            self.reselect(selected_id.as_deref());
        }
    }

    /// The rows (storage indices, see [`Queue::row_at`]) stored or shown anew since last asked,
    /// each possibly more than once.
    pub fn take_touched(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.touched)
    }

    /// The rows stored or shown anew since [`IncidentsTab::take_touched`] was last called.
    pub fn touched(&self) -> &[usize] {
        &self.touched
    }

    /// Ids of rows that show queued actions.
    pub fn ids_with_pending(&self) -> impl Iterator<Item = &String> {
        self.with_pending.iter()
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.list.set_filter(filter);
    }

    /// Matches the filter against the next slice of rows ([`Queue::filter_step`]).
    pub fn filter_step(&mut self) -> bool {
        self.list.filter_step()
    }

    /// While the filter is being matched a slice at a time: rows done, of how many.
    pub fn filtering(&self) -> Option<(usize, usize)> {
        self.list.filtering()
    }

    /// Moves the selection by `delta` rows and keeps it inside a viewport of `rows` lines.
    pub fn move_by(&mut self, delta: isize, viewport: usize) {
        let (cursor, len) = self.list.cursor_mut();
        cursor.move_by(delta, len, viewport);
    }

    pub fn select_first(&mut self, viewport: usize) {
        let (cursor, len) = self.list.cursor_mut();
        cursor.first(len, viewport);
    }

    pub fn select_last(&mut self, viewport: usize) {
        let (cursor, len) = self.list.cursor_mut();
        cursor.last(len, viewport);
    }

    pub fn scroll_into_view(&mut self, viewport: usize) {
        let (cursor, len) = self.list.cursor_mut();
        cursor.scroll_into_view(len, viewport);
    }

    pub fn selected_index(&self) -> usize {
        self.cursor().selected
    }

    pub fn offset(&self) -> usize {
        self.cursor().offset
    }

    /// Incidents known, counting those still only in the cache.
    pub fn total(&self) -> usize {
        self.list.len().max(self.cached_total)
    }

    pub fn loaded(&self) -> usize {
        self.list.len()
    }

    /// The cache holds more than the first frame read, not counted yet: [`IncidentsTab::total`]
    /// is what is loaded until [`IncidentsTab::set_cached_total`].
    pub fn count_pending(&mut self) {
        self.counting = true;
    }

    /// How many incidents the cache holds, counted after the first frame.
    pub fn set_cached_total(&mut self, total: usize) {
        self.cached_total = total;
        self.counting = false;
    }

    /// Whether the cache's incidents are still being counted.
    pub fn counting(&self) -> bool {
        self.counting
    }

    /// Holds cached incidents to merge a slice at a time ([`IncidentsTab::merge_slice`]).
    pub fn queue_merge(&mut self, incidents: Vec<Incident>) {
        if incidents.is_empty() {
            return;
        }
        // Room for every cached row at once, rather than the list's storage copied each time it
        // doubles (at a million rows one copy is hundreds of megabytes).
        let left: usize = self.merging.iter().map(VecDeque::len).sum::<usize>() + incidents.len();
        self.list.reserve(left.max(self.cached_total.saturating_sub(self.list.len())));
        self.merging.push_back(incidents.into());
    }

    /// Merges `n` resolved incidents' worth of those held by [`IncidentsTab::queue_merge`] (an
    /// open one counts [`OPEN_MERGE_COST`]), the first read first. Returns whether any are left. A version older than the one held (a sync page came
    /// first) is ignored, as always. The cache reads them in the list's order, so each slice
    /// lands after the rows merged before it and costs what the slice holds (any order gives the
    /// same list; one out of order costs a copy of the rows after it).
    ///
    /// Resolved incidents are kept compact: without their timeline, which is read from the cache
    /// when one is selected or opened ([`IncidentsTab::timeline_wanted`]). Open ones keep theirs
    /// (their SLA clocks read it), as do the rows the first frame read and every row a sync or
    /// an action brings.
    pub fn merge_slice(&mut self, n: usize) -> bool {
        let selected_id = self.selected_id().map(str::to_string);
        let mut touched = Vec::with_capacity(n);
        let Some(page) = self.merging.front_mut() else { return false };
        let (mut slice, mut budget) = (Vec::with_capacity(n), n);
        while budget > 0 {
            let Some(incident) = page.pop_front() else { break };
            budget = budget.saturating_sub(if incident.is_open() { OPEN_MERGE_COST } else { 1 });
            slice.push(incident);
        }
        if page.is_empty() {
            self.merging.pop_front();
        }
        for mut incident in slice {
            // What the first frame (or a sync) holds already, in full, stays as it is.
            if self.list.row(&incident.id).is_some_and(|r| r.version() >= incident.version) {
                continue;
            }
            let (done, index) = if incident.is_open() {
                self.list.upsert(sanitized(incident), order)
            } else {
                incident.timeline = Vec::new();
                self.list.upsert_compact(sanitized(incident), order)
            };
            match done {
                Upsert::Ignored => continue,
                // A new confirmed version drops what queued actions showed.
                Upsert::Updated => {
                    self.with_pending.remove(self.list.row_at(index).id());
                }
                Upsert::New => {}
            }
            touched.push(index);
        }
        if !touched.is_empty() {
            self.touched.extend_from_slice(&touched);
            self.list.reorder(&touched);
            self.reselect(selected_id.as_deref());
        }
        !self.merging.is_empty()
    }

    /// The incident whose timeline should be read from the cache now: the one selected or
    /// opened, when its row is compact and it was not asked for already.
    pub fn timeline_wanted(&mut self) -> Option<String> {
        self.list.compact_wanted()
    }

    /// Puts back the timeline of a compact row read from the cache, if the cache holds the
    /// version the row has. Returns whether it did (the row's queued actions are then shown
    /// again over it).
    pub fn restore_timeline(&mut self, incident: Incident) -> bool {
        self.list.restore_compact(sanitized(incident))
    }

    /// Gives back the room the list grew into beyond its rows (once a large merge ended).
    pub fn shrink_to_fit(&mut self) {
        self.list.shrink_to_fit();
    }

    /// Whether cached incidents are still being merged.
    pub fn merging(&self) -> bool {
        !self.merging.is_empty()
    }

    pub fn open_count(&self) -> usize {
        self.open
    }

    /// Every incident held, in no particular order.
    pub fn all_incidents(&self) -> impl Iterator<Item = Cow<'_, Incident>> {
        self.list.rows().map(Row::incident)
    }

    /// What the Drift tab's markers need of every incident held, in no particular order: read
    /// as the rows hold them (a compact row is not rebuilt).
    pub fn spans(&self) -> impl Iterator<Item = IncidentSpan<'_>> {
        self.list.rows().map(Row::span)
    }

    /// Open incidents (as shown), most urgent first.
    pub fn open_incidents(&self) -> impl Iterator<Item = Cow<'_, Incident>> {
        self.list.all().take(self.open).map(Row::incident)
    }

    /// Opens `id` (from the SLA tab): selects it, clearing a filter that hides it.
    pub fn open_id(&mut self, id: &str, viewport: usize) -> bool {
        self.list.open_id(id, viewport)
    }

    pub fn open_detail(&mut self) -> bool {
        self.list.open_detail()
    }

    pub fn close_detail(&mut self) {
        self.list.close_detail();
    }

    pub fn scroll_detail(&mut self, delta: isize, lines: usize) {
        if let Some(detail) = self.list.detail_mut() {
            detail.scroll_by(delta, lines);
        }
    }

    pub fn set_detail_scroll(&mut self, scroll: usize) {
        if let Some(detail) = self.list.detail_mut() {
            detail.scroll = scroll;
        }
    }
}

#[cfg(test)]
mod filter_tests;

#[cfg(test)]
mod tests;
