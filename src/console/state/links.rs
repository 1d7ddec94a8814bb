//! Following links between items: a ticket's linked incident, an incident's tickets, an SLA row
//! to its item; and the small "came from" stack that makes `Esc` return to the tab the user
//! followed the link from.

use chrono::{DateTime, Utc};

use super::{AppState, Input, InputKind, Level, Modal, Update};
use crate::console::tabs::TabId;

/// A detail opened by following a link: `Esc` on it returns to `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub from: TabId,
    pub to: TabId,
    pub id: String,
}

/// Links followed and not yet returned from, at most this many (older ones are forgotten).
const MAX_ORIGINS: usize = 32;

impl AppState {
    /// Opens `id` in the detail view of tab `to`, remembering where the user came from.
    pub(crate) fn follow(&mut self, to: TabId, id: &str, rows: usize) -> bool {
        if !self.tab_mut(to).open_item(id, rows) {
            return false;
        }
        if self.tab != to {
            self.came_from.retain(|o| !(o.to == to && o.id == id));
            self.came_from.push(Origin { from: self.tab, to, id: id.to_string() });
            if self.came_from.len() > MAX_ORIGINS {
                self.came_from.remove(0);
            }
            self.tab = to;
        }
        // The item was chosen: its list's selection is the user's from now on.
        self.mark_seen(to);
        true
    }

    /// The detail of `id` on `tab` was closed (`Esc`): back to where its link was followed from.
    pub(crate) fn closed_detail(&mut self, tab: TabId, id: &str) {
        let Some(at) = self.came_from.iter().rposition(|o| o.to == tab && o.id == id) else { return };
        let origin = self.came_from.remove(at);
        self.tab = origin.from;
    }

    /// Keys of the tickets linked to `incident_id`, in queue order.
    pub fn linked_tickets(&self, incident_id: &str) -> Vec<String> {
        let linked = self.tickets.all().filter(|r| r.linked_incident() == Some(incident_id));
        linked.map(|r| r.id().to_string()).collect()
    }

    /// `i` on a ticket: its linked incident, in the Incidents tab.
    pub(crate) fn open_linked_incident(&mut self, rows: usize, now: DateTime<Utc>) -> Update {
        let Some(ticket) = self.tickets.target().map(|r| r.ticket()) else {
            self.flash(Level::Info, "no ticket selected", now);
            return Update::changed();
        };
        let key = ticket.key.clone();
        let Some(incident) = ticket.linked_incident.clone() else {
            self.flash(Level::Info, format!("{key} is not linked to an incident"), now);
            return Update::changed();
        };
        if !self.follow(TabId::Incidents, &incident, rows) {
            self.flash(Level::Warning, format!("{key} is linked to {incident}, which is not known here"), now);
        }
        Update::changed()
    }

    /// `T` on an incident: its linked ticket, or a prompt to pick one of several.
    pub(crate) fn open_linked_ticket(&mut self, rows: usize, now: DateTime<Utc>) -> Update {
        let Some(id) = self.incidents.target().map(|r| r.incident().id.clone()) else {
            self.flash(Level::Info, "no incident selected", now);
            return Update::changed();
        };
        match self.linked_tickets(&id).as_slice() {
            [] => self.flash(Level::Info, format!("no ticket is linked to {id}"), now),
            [one] => {
                let one = one.clone();
                self.follow(TabId::Tickets, &one, rows);
            }
            [first, ..] => {
                let mut textarea = ratatui_textarea::TextArea::new(vec![String::new()]);
                textarea.set_placeholder_text(format!("which ticket (Enter alone: {first})"));
                self.modals.push(Modal::Input(Input { kind: InputKind::OpenTicket { incident_id: id }, textarea }));
            }
        }
        Update::changed()
    }

    /// Enter in the linked-ticket prompt: the key typed (or completed), or the first one.
    pub(crate) fn submit_open_ticket(&mut self, incident_id: String, typed: &str, now: DateTime<Utc>) -> Update {
        let keys = self.linked_tickets(&incident_id);
        let typed = typed.trim();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let chosen = match super::assign::complete(typed, &refs) {
            _ if typed.is_empty() => keys.first().cloned(),
            (_, matches) if matches.len() == 1 => Some(matches[0].to_string()),
            (_, matches) => matches.iter().find(|k| k.eq_ignore_ascii_case(typed)).map(|k| k.to_string()),
        };
        let rows = crate::console::layout::list_rows(self.body_height());
        match chosen {
            Some(key) => {
                self.follow(TabId::Tickets, &key, rows);
            }
            None => {
                let refusal = format!("`{typed}` is not one of the tickets linked to {incident_id}");
                self.flash(Level::Warning, &refusal, now);
                self.prompt_refusal = Some((typed.to_string(), refusal));
                let mut textarea = ratatui_textarea::TextArea::new(vec![typed.to_string()]);
                textarea.move_cursor(ratatui_textarea::CursorMove::End);
                self.modals.push(Modal::Input(Input { kind: InputKind::OpenTicket { incident_id }, textarea }));
            }
        }
        Update::changed()
    }
}
