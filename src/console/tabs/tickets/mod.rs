//! The Tickets tab's state: the queue sorted by time to breach, the filter, the selection and
//! the open detail. Pure: no I/O; the clock arrives as an argument.
//!
//! The queue is the incidents' ([`Queue`]), sorted by the instant the next running clock
//! breaches, which does not move as time passes, so a tick never re-sorts; a policy or a
//! maintenance window starting or ending re-sorts every row. What the tab does is in
//! `update.rs`; its view `view.rs`.

pub mod slim;
pub(crate) mod update;
pub mod view;

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::console::action::Action;
use crate::console::clocks::{self, BreachOrder};
use crate::console::keymap::Mode;
use crate::console::list::{self, Cursor, Filter, Item, Queue, Upsert, View};
use crate::console::outbox::OutboxEntry;
use crate::console::tabs::TabMeta;
use crate::domain::text::sanitize_in_place;
use crate::domain::{Command, Ticket};
use crate::sla::SlaPolicy;

pub const META: TabMeta =
    TabMeta { title: "Tickets", short_title: "Tix", mode: Mode::Tickets, action: Action::TabTickets };

/// A ticket as confirmed and as shown, in the queue.
pub type TicketRow = list::Row<Ticket, BreachOrder>;

impl TicketRow {
    /// The ticket as shown (queued actions applied; a compact row's without its history).
    pub fn ticket(&self) -> Cow<'_, Ticket> {
        self.current()
    }

    /// Whether the ticket shown is open, read as the row holds it.
    pub fn is_open(&self) -> bool {
        match self.view() {
            View::Full(ticket) => ticket.is_open(),
            View::Slim(slim) => slim.is_open(),
        }
    }

    /// The subject and the service of the ticket shown, read as the row holds it.
    pub fn subject_and_service(&self) -> (&str, &str) {
        match self.view() {
            View::Full(ticket) => (&ticket.subject, &ticket.service_id),
            View::Slim(slim) => (slim.subject(), slim.service_id()),
        }
    }

    /// The incident the ticket shown reports, read as the row holds it (a pass over every row).
    pub fn linked_incident(&self) -> Option<&str> {
        match self.view() {
            View::Full(ticket) => ticket.linked_incident.as_deref(),
            View::Slim(slim) => slim.linked_incident(),
        }
    }
}

impl Item for Ticket {
    type Slim = slim::SlimTicket;

    fn id(&self) -> &str {
        &self.key
    }

    fn version(&self) -> i64 {
        self.version
    }

    fn matches(&self, filter: &Filter) -> bool {
        let (t, assignee, linked) = (self, self.assignee.as_deref(), self.linked_incident.as_deref());
        slim::matches(
            filter,
            &t.key,
            t.priority,
            t.tier,
            t.status,
            &t.subject,
            &t.customer,
            &t.service_id,
            assignee,
            linked,
        )
    }
}

/// Removes escape sequences and control characters from every string of a ticket, and caps each
/// to its size ([`crate::domain::caps`]; a cache written before the caps may hold more).
pub fn sanitized(mut ticket: Ticket) -> Ticket {
    // The key is kept as it is: a cut key would name another ticket.
    let _ = crate::domain::caps::ticket(&mut ticket);
    let clean = sanitize_in_place;
    for s in [&mut ticket.key, &mut ticket.subject, &mut ticket.customer, &mut ticket.service_id] {
        clean(s);
    }
    for s in
        [ticket.assignee.as_mut(), ticket.linked_incident.as_mut(), ticket.description.as_mut()].into_iter().flatten()
    {
        clean(s);
    }
    for event in &mut ticket.history {
        clean(&mut event.actor);
        clean(&mut event.text);
    }
    ticket
}

/// SLA pauses of maintenance windows, per service, as of the moment a window last started or
/// ended: the queue sorts paused clocks as paused.
#[derive(Debug, Clone, Default, PartialEq)]
struct MaintenancePauses {
    by_service: HashMap<String, Vec<clocks::Pause>>,
    as_of: Option<DateTime<Utc>>,
}

impl MaintenancePauses {
    fn on(&self, service: &str) -> &[clocks::Pause] {
        self.by_service.get(service).map_or(&[], Vec::as_slice)
    }

    /// Where `ticket` sorts under `policy`: by the instant its next running clock breaches.
    fn order<'a>(&'a self, policy: &'a SlaPolicy) -> impl Fn(&Ticket) -> BreachOrder + 'a {
        move |t| clocks::ticket_order(t, policy, self.on(&t.service_id), self.as_of)
    }
}

/// The queue (see [`Queue`]: rows, order, filter, selection, detail) and the maintenance pauses
/// it sorts by. Reading goes straight to the queue (`Deref`); changes go through the tab.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketsTab {
    list: Queue<Ticket, BreachOrder>,
    maintenance: MaintenancePauses,
    /// Rows showing queued actions.
    with_pending: std::collections::BTreeSet<String>,
    /// Rows (storage indices) changed since last taken: whose SLA clocks to redo.
    touched: Vec<usize>,
    /// How many tickets the cache holds, before all of them are loaded.
    cached_total: usize,
    /// The cache is not counted yet (`cached_total` is what the first frame read).
    counting: bool,
    /// Cached tickets read after the first frame and not merged yet ([`TicketsTab::merge_slice`]).
    merging: Vec<Vec<Ticket>>,
    /// Open tickets as shown: kept as rows change, so the header does not count 100,000 rows a
    /// frame.
    open: usize,
}

impl std::ops::Deref for TicketsTab {
    type Target = Queue<Ticket, BreachOrder>;

    fn deref(&self) -> &Self::Target {
        &self.list
    }
}

impl TicketsTab {
    /// The tab over the tickets the first frame read, of `cached_total` in the cache.
    pub fn new(tickets: Vec<Ticket>, cached_total: usize, policy: &SlaPolicy) -> TicketsTab {
        let mut tab = TicketsTab { cached_total, ..TicketsTab::default() };
        tab.upsert_many(tickets, policy);
        tab
    }

    /// Tickets known, counting those still only in the cache.
    pub fn total(&self) -> usize {
        self.list.len().max(self.cached_total)
    }

    /// The cache holds more than the first frame read, not counted yet.
    pub fn count_pending(&mut self) {
        self.counting = true;
    }

    /// How many tickets the cache loads, counted after the first frame.
    pub fn set_cached_total(&mut self, total: usize) {
        self.cached_total = total;
        self.counting = false;
    }

    /// Whether the cache's tickets are still being counted.
    pub fn counting(&self) -> bool {
        self.counting
    }

    /// Holds cached tickets to merge a slice at a time ([`TicketsTab::merge_slice`]).
    pub fn queue_merge(&mut self, tickets: Vec<Ticket>) {
        if tickets.is_empty() {
            return;
        }
        // Room for every cached row at once, rather than the storage copied as it doubles.
        let left: usize = self.merging.iter().map(Vec::len).sum::<usize>() + tickets.len();
        self.list.reserve(left.max(self.cached_total.saturating_sub(self.list.len())));
        // Held as the pages came: appending a page to the others copied them all (29 ms for the
        // fifth page of 20,000).
        self.merging.push(tickets);
    }

    /// Merges up to `n` of the tickets held by [`TicketsTab::queue_merge`]; returns whether any
    /// are left. An older version than the one held is ignored, as always.
    ///
    /// Merged tickets are kept compact: without their history and the customer's message, read
    /// from the cache when one is selected or opened ([`TicketsTab::history_wanted`]); their SLA
    /// clocks and the queue need neither. The rows the first frame read, and every row a sync or
    /// an action brings, are held in full.
    pub fn merge_slice(&mut self, n: usize, policy: &SlaPolicy) -> bool {
        let Some(page) = self.merging.last_mut() else { return false };
        let mut slice = page.split_off(page.len().saturating_sub(n));
        if page.is_empty() {
            self.merging.pop();
        }
        slice.retain(|t| self.list.row(&t.key).is_none_or(|r| r.version() < t.version));
        for ticket in &mut slice {
            ticket.history = Vec::new();
            ticket.description = None;
        }
        self.store(slice, policy, true);
        !self.merging.is_empty()
    }

    /// The ticket whose history should be read from the cache now: the one selected or opened,
    /// when its row is compact and it was not asked for already.
    pub fn history_wanted(&mut self) -> Option<String> {
        self.list.compact_wanted()
    }

    /// Puts back the history and message of a compact row read from the cache, if the cache
    /// holds the version the row has. Returns whether it did.
    pub fn restore_history(&mut self, ticket: Ticket) -> bool {
        self.list.restore_compact(sanitized(ticket))
    }

    /// Gives back the room the list grew into beyond its rows (once a large merge ended).
    pub fn shrink_to_fit(&mut self) {
        self.list.shrink_to_fit();
    }

    /// Whether cached tickets are still being merged.
    pub fn merging(&self) -> bool {
        !self.merging.is_empty()
    }

    /// Stores tickets (sanitised), keeping only the newest version of each, and puts the changed
    /// rows in order.
    /// Returns the keys that were new.
    pub fn upsert_many(&mut self, tickets: Vec<Ticket>, policy: &SlaPolicy) -> Vec<String> {
        self.store(tickets, policy, false)
    }

    /// [`TicketsTab::upsert_many`], holding the tickets compactly when `compact`.
    fn store(&mut self, tickets: Vec<Ticket>, policy: &SlaPolicy, compact: bool) -> Vec<String> {
        let selected = self.selected_key().map(str::to_string);
        let mut new_keys = Vec::new();
        let mut touched = Vec::new();
        let order = self.maintenance.order(policy);
        for ticket in tickets {
            let ticket = sanitized(ticket);
            let key = ticket.key.clone();
            let was_open = self.is_open_at(self.list.index_of(&key));
            let upsert =
                if compact { self.list.upsert_compact(ticket, &order) } else { self.list.upsert(ticket, &order) };
            self.open = self.open + usize::from(self.is_open_at(Some(upsert.1))) - usize::from(was_open);
            match upsert {
                (Upsert::New, index) => {
                    new_keys.push(key);
                    touched.push(index);
                }
                (Upsert::Updated, index) => {
                    // A new confirmed version drops what queued actions showed.
                    self.with_pending.remove(&key);
                    touched.push(index);
                }
                (Upsert::Ignored, _) => {}
            }
        }
        if !touched.is_empty() {
            self.touched.extend_from_slice(&touched);
            self.list.reorder(&touched);
            self.list.reselect(selected.as_deref());
        }
        new_keys
    }

    /// Re-sorts after the policy changed (every ticket's due times move).
    pub fn repolicy(&mut self, policy: &SlaPolicy) {
        let selected = self.selected_key().map(str::to_string);
        self.list.rekey(self.maintenance.order(policy));
        self.list.refilter(selected.as_deref());
    }

    /// Takes in the maintenance windows' SLA pauses; re-sorts when they changed, or when a window
    /// started or ended (`active_changed`) so that paused clocks sort as paused from `now`.
    pub fn follow_maintenance(
        &mut self,
        pauses: &HashMap<String, Vec<clocks::Pause>>,
        active_changed: bool,
        now: DateTime<Utc>,
        policy: &SlaPolicy,
    ) {
        if !active_changed && pauses == &self.maintenance.by_service {
            return;
        }
        self.maintenance = MaintenancePauses { by_service: pauses.clone(), as_of: Some(now) };
        self.repolicy(policy);
    }

    /// Forgets everything (the server's database was replaced).
    pub fn clear(&mut self) {
        self.list.clear();
        *self = TicketsTab { list: std::mem::take(&mut self.list), ..TicketsTab::default() };
    }

    /// Recomputes what is shown for `key` from the queued actions on it.
    pub fn apply_pending<'a>(
        &mut self,
        key: &str,
        pending: impl Iterator<Item = &'a OutboxEntry>,
        me: &str,
        policy: &SlaPolicy,
    ) {
        let Some(index) = self.list.index_of(key) else {
            return;
        };
        let selected = self.selected_key().map(str::to_string);
        let mut shown = self.list.row_at(index).confirmed().into_owned();
        let mut verbs = Vec::new();
        for entry in pending {
            let Command::Ticket(action) = &entry.action else {
                continue;
            };
            verbs.push(action.verb());
            // What would not apply to what we know stays queued; the server decides.
            let _ = shown.apply(action, me, entry.created_at);
        }
        let pending_now = !verbs.is_empty();
        let shown = pending_now.then_some(shown);
        self.touched.push(index);
        if pending_now {
            self.with_pending.insert(key.to_string());
        } else {
            self.with_pending.remove(key);
        }
        let was_open = self.is_open_at(Some(index));
        if self.list.set_shown(index, shown, verbs, self.maintenance.order(policy)) {
            self.list.reselect(selected.as_deref());
        }
        self.open = self.open + usize::from(self.is_open_at(Some(index))) - usize::from(was_open);
    }

    /// Whether the row at storage index `index` shows an open ticket.
    fn is_open_at(&self, index: Option<usize>) -> bool {
        index.is_some_and(|i| self.list.row_at(i).is_open())
    }

    /// The rows (storage indices, see [`Queue::row_at`]) stored or shown anew since last asked,
    /// each possibly more than once.
    pub fn take_touched(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.touched)
    }

    /// The rows stored or shown anew since [`TicketsTab::take_touched`] was last called.
    pub fn touched(&self) -> &[usize] {
        &self.touched
    }

    /// Keys of tickets that show queued actions.
    pub fn keys_with_pending(&self) -> impl Iterator<Item = &str> {
        self.with_pending.iter().map(String::as_str)
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

    pub fn cursor_mut(&mut self) -> (&mut Cursor, usize) {
        self.list.cursor_mut()
    }

    pub fn selected_key(&self) -> Option<&str> {
        self.selected_id()
    }

    /// Open tickets as shown (kept as rows change, not counted).
    pub fn open_count(&self) -> usize {
        self.open
    }

    pub fn open_detail(&mut self) -> bool {
        self.list.open_detail()
    }

    /// Opens `key` (from the SLA tab): selects it, clearing a filter that hides it.
    pub fn open_key(&mut self, key: &str, viewport: usize) -> bool {
        self.list.open_id(key, viewport)
    }

    pub fn close_detail(&mut self) {
        self.list.close_detail();
    }

    pub fn detail_mut(&mut self) -> Option<&mut list::Detail> {
        self.list.detail_mut()
    }

    /// Whether a running countdown is on screen (an open ticket's clocks).
    pub fn countdown_on_screen(&self, offset: usize, rows: usize) -> bool {
        match self.detail_row() {
            Some(row) => row.is_open(),
            None => self.visible_rows(offset, rows).any(TicketRow::is_open),
        }
    }
}

#[cfg(test)]
mod tests;
