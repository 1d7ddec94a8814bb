//! What the Tickets tab does by itself (its [`Tab`] impl): moving through the queue and a
//! ticket's history, opening and closing it, filtering; what take, responded, pending, escalate
//! and resolve are here; its hints, header counts and wake-ups (countdowns on screen). Queuing
//! the action, assigning and links are the root's (`state::act`, `assign`, `links`).

use chrono::{DateTime, Utc};

use super::{META, TicketRow, TicketsTab};
use crate::console::action::Action;
use crate::console::clocks::{ClockInput, Which};
use crate::console::keymap::Mode;
use crate::console::list::List;
use crate::console::state::InputKind;
use crate::console::tabs::{
    Hints, Outcome, Tab, TabContext, TabMeta, Target, WakeContext, next_second, queue_hints, queue_update,
};
use crate::domain::{Command, TicketAction, TicketStatus};

const HINTS: Hints = &[
    (Action::Take, "take"),
    (Action::FirstResponse, "responded"),
    (Action::TogglePending, "pending"),
    (Action::Escalate, "escalate"),
    (Action::Assign, "assign"),
    (Action::Resolve, "resolve"),
];

impl Tab for TicketsTab {
    fn meta(&self) -> &'static TabMeta {
        &META
    }

    fn layers(&self) -> &'static [Mode] {
        match self.detail() {
            Some(_) => &[Mode::Tickets, Mode::Detail],
            None => &[Mode::Tickets, Mode::List],
        }
    }

    fn update(&mut self, action: Action, cx: &TabContext<'_>) -> Outcome {
        let placeholder = "key, priority, tier, status, subject, customer, assignee…";
        let lines = |r: &TicketRow| {
            let t = r.ticket();
            t.history.len() + usize::from(t.description.is_some()) + r.pending().len()
        };
        queue_update(&mut self.list, action, cx.rows, placeholder, lines).unwrap_or(Outcome::Unchanged)
    }

    fn list(&self) -> Option<&dyn List> {
        Some(&self.list)
    }

    fn list_mut(&mut self) -> Option<&mut dyn List> {
        Some(&mut self.list)
    }

    fn hints(&self, layers: &[Mode]) -> [Hints; 2] {
        queue_hints(HINTS, layers)
    }

    fn counts(&self) -> String {
        format!("{} open · {}", self.open_count(), self.len())
    }

    /// The open detail counts seconds and fills gauges: every second while its ticket is open.
    /// The list wakes when a countdown on screen next changes its text (minutes, seconds only
    /// under a minute); band colours change with bands, which the root wakes for.
    fn next_wake(&self, cx: &WakeContext<'_>) -> Option<DateTime<Utc>> {
        if self.detail_row().is_some() {
            return self.countdown_on_screen(self.cursor().offset, cx.rows).then(|| next_second(cx.now));
        }
        let shown = crate::console::time::second(cx.now);
        let pauses = |service: &str| cx.pauses.get(service).map_or(&[][..], Vec::as_slice);
        self.visible_rows(self.cursor().offset, cx.rows)
            .map(|r| r.ticket())
            .filter(|t| t.is_open())
            .flat_map(|t| {
                Which::BOTH.map(|which| {
                    let input = ClockInput::for_ticket(&t, which).with_maintenance(pauses(&t.service_id));
                    crate::console::time::countdown_changes(&input.evaluate(cx.policy, shown), shown)
                })
            })
            .flatten()
            .min()
    }

    fn action_target(&self, probe: Option<&Command>, me: &str) -> Option<Target> {
        let ticket = self.target()?.ticket();
        let check = match probe {
            Some(Command::Ticket(a)) => ticket.check(a, me),
            _ => Ok(()),
        };
        Some((ticket.key.clone(), ticket.subject.clone(), check))
    }

    fn command(&self, action: Action) -> Option<Command> {
        let action = match action {
            Action::Take => TicketAction::Take,
            Action::FirstResponse => TicketAction::Respond,
            Action::TogglePending if self.target().is_some_and(|r| r.ticket().status == TicketStatus::Pending) => {
                TicketAction::Resume
            }
            Action::TogglePending => TicketAction::Pending,
            Action::Escalate => TicketAction::Escalate,
            Action::Resolve => TicketAction::Resolve,
            _ => return None,
        };
        Some(Command::Ticket(action))
    }

    fn no_target(&self) -> &'static str {
        "no ticket selected"
    }

    fn assign_prompt(&self, key: String) -> Option<InputKind> {
        Some(InputKind::Assign { key })
    }

    fn open_item(&mut self, id: &str, rows: usize) -> bool {
        self.open_key(id, rows)
    }
}
