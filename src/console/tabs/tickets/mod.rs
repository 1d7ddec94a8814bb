//! The Tickets tab's state: the queue sorted by time to breach, the filter, the selection and
//! the open detail. Pure: no I/O; the clock arrives as an argument.
//!
//! A desk holds hundreds of open tickets, not a hundred thousand, so unlike the incident list
//! this one simply re-sorts when data changes. The order is by the instant the next running
//! clock breaches, which does not move as time passes, so a tick never re-sorts.

pub mod view;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::console::clocks::{self, BreachOrder};
use crate::console::list::{Cursor, Detail, matches};
use crate::console::outbox::OutboxEntry;
use crate::domain::text::sanitize;
use crate::domain::{Command, Ticket};
use crate::sla::SlaPolicy;

#[derive(Debug, Clone, PartialEq)]
pub struct TicketRow {
    pub confirmed: Ticket,
    /// The ticket with the user's queued actions applied, when there are any.
    pub shown: Option<Ticket>,
    /// Verbs of the queued actions, oldest first.
    pub pending: Vec<&'static str>,
    order: BreachOrder,
    haystack: String,
}

impl TicketRow {
    pub fn ticket(&self) -> &Ticket {
        self.shown.as_ref().unwrap_or(&self.confirmed)
    }

    fn refresh(&mut self, policy: &SlaPolicy, maintenance: &MaintenancePauses) {
        let t = self.shown.as_ref().unwrap_or(&self.confirmed);
        self.order = clocks::ticket_order(t, policy, maintenance.on(&t.service_id), maintenance.as_of);
        self.haystack = format!(
            "{} {} {} {} {} {} {} {} {}",
            t.key,
            t.priority.label(),
            t.tier.label(),
            t.status.label(),
            t.subject,
            t.customer,
            t.service_id,
            t.assignee.as_deref().unwrap_or("unassigned"),
            t.linked_incident.as_deref().unwrap_or("")
        )
        .to_lowercase();
    }
}

/// Removes escape sequences and control characters from every string of a ticket.
pub fn sanitized(mut ticket: Ticket) -> Ticket {
    let clean = |s: &mut String| {
        if let std::borrow::Cow::Owned(c) = sanitize(s) {
            *s = c;
        }
    };
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
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketsTab {
    rows: Vec<TicketRow>,
    maintenance: MaintenancePauses,
    by_key: HashMap<String, usize>,
    visible: Vec<usize>,
    filter: String,
    cursor: Cursor,
    detail: Option<Detail>,
}

impl TicketsTab {
    pub fn new(tickets: Vec<Ticket>, policy: &SlaPolicy) -> TicketsTab {
        let mut tab = TicketsTab::default();
        tab.upsert_many(tickets, policy);
        tab
    }

    /// Stores tickets (sanitised), keeping only the newest version of each, and re-sorts.
    /// Returns the keys that were new.
    pub fn upsert_many(&mut self, tickets: Vec<Ticket>, policy: &SlaPolicy) -> Vec<String> {
        let mut new_keys = Vec::new();
        let mut changed = false;
        for ticket in tickets {
            let ticket = sanitized(ticket);
            match self.by_key.get(&ticket.key) {
                Some(&i) => {
                    let row = &mut self.rows[i];
                    if ticket.version < row.confirmed.version || row.confirmed == ticket {
                        continue;
                    }
                    row.confirmed = ticket;
                    row.shown = None;
                    row.pending.clear();
                    row.refresh(policy, &self.maintenance);
                }
                None => {
                    new_keys.push(ticket.key.clone());
                    self.by_key.insert(ticket.key.clone(), self.rows.len());
                    let mut row = TicketRow {
                        confirmed: ticket,
                        shown: None,
                        pending: Vec::new(),
                        order: BreachOrder::default(),
                        haystack: String::new(),
                    };
                    row.refresh(policy, &self.maintenance);
                    self.rows.push(row);
                }
            }
            changed = true;
        }
        if changed {
            self.resort();
        }
        new_keys
    }

    /// Re-sorts after the policy changed (every ticket's due times move).
    pub fn repolicy(&mut self, policy: &SlaPolicy) {
        for row in &mut self.rows {
            row.refresh(policy, &self.maintenance);
        }
        self.resort();
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

    fn resort(&mut self) {
        let selected = self.selected_key().map(str::to_string);
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        let rows = &self.rows;
        order.sort_by(|&a, &b| (rows[a].order, &rows[a].confirmed.key).cmp(&(rows[b].order, &rows[b].confirmed.key)));
        // Keep `rows` in display order so `by_key` and `visible` index one sorted vector.
        let mut sorted: Vec<Option<TicketRow>> = std::mem::take(&mut self.rows).into_iter().map(Some).collect();
        self.rows = order.iter().filter_map(|&i| sorted[i].take()).collect();
        self.by_key = self.rows.iter().enumerate().map(|(i, r)| (r.confirmed.key.clone(), i)).collect();
        self.refilter(selected.as_deref());
    }

    fn refilter(&mut self, keep_selected: Option<&str>) {
        let filter = &self.filter;
        self.visible =
            self.rows.iter().enumerate().filter(|(_, r)| matches(&r.haystack, filter)).map(|(i, _)| i).collect();
        self.cursor.reselect(&self.visible, keep_selected.and_then(|key| self.by_key.get(key).copied()));
        if self.detail.as_ref().is_some_and(|d| !self.by_key.contains_key(&d.id)) {
            self.detail = None;
        }
    }

    /// Forgets everything (the server's database was replaced).
    pub fn clear(&mut self) {
        *self = TicketsTab { filter: std::mem::take(&mut self.filter), ..TicketsTab::default() };
    }

    /// Recomputes what is shown for `key` from the queued actions on it.
    pub fn apply_pending<'a>(
        &mut self,
        key: &str,
        pending: impl Iterator<Item = &'a OutboxEntry>,
        me: &str,
        policy: &SlaPolicy,
    ) {
        let Some(&index) = self.by_key.get(key) else {
            return;
        };
        let row = &mut self.rows[index];
        let before = row.order;
        let mut shown = row.confirmed.clone();
        row.pending.clear();
        for entry in pending {
            let Command::Ticket(action) = &entry.action else {
                continue;
            };
            row.pending.push(action.verb());
            // What would not apply to what we know stays queued; the server decides.
            let _ = shown.apply(action, me, entry.created_at);
        }
        row.shown = (!row.pending.is_empty()).then_some(shown);
        row.refresh(policy, &self.maintenance);
        if row.order != before || !self.filter.is_empty() {
            self.resort();
        }
    }

    /// Keys of tickets that show queued actions.
    pub fn keys_with_pending(&self) -> impl Iterator<Item = &str> {
        self.rows.iter().filter(|r| !r.pending.is_empty()).map(|r| r.confirmed.key.as_str())
    }

    pub fn set_filter(&mut self, filter: &str) {
        let selected = self.selected_key().map(str::to_string);
        self.filter = filter.trim().to_lowercase();
        self.refilter(selected.as_deref());
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    pub fn cursor_mut(&mut self) -> (&mut Cursor, usize) {
        (&mut self.cursor, self.visible.len())
    }

    pub fn selected(&self) -> Option<&TicketRow> {
        self.visible.get(self.cursor.selected).map(|&i| &self.rows[i])
    }

    pub fn selected_key(&self) -> Option<&str> {
        self.selected().map(|r| r.confirmed.key.as_str())
    }

    pub fn row(&self, key: &str) -> Option<&TicketRow> {
        self.by_key.get(key).map(|&i| &self.rows[i])
    }

    /// Rows `start..start + len` of the filtered list.
    pub fn visible_rows(&self, start: usize, len: usize) -> impl Iterator<Item = &TicketRow> {
        self.visible.iter().skip(start).take(len).map(|&i| &self.rows[i])
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every ticket, in queue order.
    pub fn all(&self) -> impl Iterator<Item = &TicketRow> {
        self.rows.iter()
    }

    pub fn open_count(&self) -> usize {
        self.rows.iter().filter(|r| r.ticket().is_open()).count()
    }

    pub fn open_detail(&mut self) -> bool {
        let Some(key) = self.selected_key().map(str::to_string) else {
            return false;
        };
        self.detail = Some(Detail::new(&key));
        true
    }

    /// Opens `key` (from the SLA tab): selects it, clearing a filter that hides it.
    pub fn open_key(&mut self, key: &str, viewport: usize) -> bool {
        let Some(&index) = self.by_key.get(key) else {
            return false;
        };
        if !self.visible.contains(&index) {
            self.set_filter("");
        }
        self.cursor.reselect(&self.visible, Some(index));
        self.cursor.scroll_into_view(self.visible.len(), viewport);
        self.detail = Some(Detail::new(key));
        true
    }

    pub fn close_detail(&mut self) {
        self.detail = None;
    }

    pub fn detail(&self) -> Option<&Detail> {
        self.detail.as_ref()
    }

    pub fn detail_mut(&mut self) -> Option<&mut Detail> {
        self.detail.as_mut()
    }

    /// The ticket actions apply to: the open detail, else the selected row.
    pub fn target(&self) -> Option<&TicketRow> {
        match &self.detail {
            Some(detail) => self.row(&detail.id),
            None => self.selected(),
        }
    }

    /// Whether a running countdown is on screen (an open ticket's clocks).
    pub fn countdown_on_screen(&self, offset: usize, rows: usize) -> bool {
        match self.detail.as_ref().and_then(|d| self.row(&d.id)) {
            Some(row) => row.ticket().is_open(),
            None => self.visible_rows(offset, rows).any(|r| r.ticket().is_open()),
        }
    }
}

#[cfg(test)]
mod tests;
