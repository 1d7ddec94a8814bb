//! The run loop's queue of events taken off the channel: what the user does (keys, pastes, a
//! resize, a signal) is handled before the work already queued, and that work goes in turns of
//! bounded length with a frame drawn between them.
//!
//! Order is kept within each of the two kinds, so a sync page's slices, a failure after them
//! and every other background event are handled in the order they came, exactly once; only the
//! user's events overtake them, which is as if they had been sent a moment earlier.

use std::collections::VecDeque;

use crate::console::event::Event;

#[derive(Default)]
pub struct Turns {
    user: VecDeque<Event>,
    background: VecDeque<Event>,
}

impl Turns {
    pub fn push(&mut self, event: Event) {
        if is_user(&event) {
            self.user.push_back(event);
        } else {
            self.background.push_back(event);
        }
    }

    pub fn extend(&mut self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            self.push(event);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.user.is_empty() && self.background.is_empty()
    }

    /// Whether something the user did waits.
    pub fn user_waiting(&self) -> bool {
        !self.user.is_empty()
    }

    /// The next event to handle: the user's first, whatever the turn has cost; background work
    /// only while the turn is `within` its budget.
    pub fn next(&mut self, within: bool) -> Option<Event> {
        self.user.pop_front().or_else(|| if within { self.background.pop_front() } else { None })
    }
}

/// Whether `event` is the user's (a key, a paste, a resize, a signal): its answer is drawn at
/// once, not at the next frame of background work.
pub fn is_user(event: &Event) -> bool {
    matches!(event, Event::Key(_) | Event::Paste(_) | Event::Resize { .. } | Event::Shutdown { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn key(c: char) -> Event {
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    fn page(epoch: &str) -> Event {
        crate::fixtures::synced(chrono::Utc::now(), epoch, false, Vec::new())
    }

    fn label(event: &Event) -> String {
        match event {
            Event::Key(k) => format!("key {}", k.code),
            Event::Synced(r) => format!("page {}", r.epoch),
            Event::Shutdown { signal } => format!("signal {signal}"),
            Event::SyncFailed { error, .. } => format!("failed {error}"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn the_users_events_overtake_queued_work_and_each_kind_keeps_its_order() {
        let mut turns = Turns::default();
        turns.extend([page("1"), page("2"), key('j'), Event::SyncFailed { error: "x".into(), at: chrono::Utc::now() }]);
        turns.push(key('q'));
        turns.push(Event::Shutdown { signal: "SIGHUP" });
        let mut order = Vec::new();
        while let Some(event) = turns.next(true) {
            order.push(label(&event));
        }
        assert_eq!(order, ["key j", "key q", "signal SIGHUP", "page 1", "page 2", "failed x"]);
    }

    #[test]
    fn the_user_waiting_is_told_until_their_last_event_is_taken() {
        let mut turns = Turns::default();
        turns.extend([page("1"), key('j'), key('k')]);
        assert!(turns.user_waiting());
        turns.next(true);
        assert!(turns.user_waiting(), "k still waits");
        turns.next(true);
        assert!(!turns.user_waiting(), "only background work is left");
        assert!(!turns.is_empty());
    }

    #[test]
    fn a_spent_turn_takes_only_the_users_events_and_keeps_the_rest_for_the_next() {
        let mut turns = Turns::default();
        turns.extend([page("1"), key('j'), page("2")]);
        assert_eq!(turns.next(false).map(|e| label(&e)).as_deref(), Some("key j"));
        assert!(turns.next(false).is_none(), "the work waits for the next turn");
        assert!(!turns.is_empty());
        assert_eq!(turns.next(true).map(|e| label(&e)).as_deref(), Some("page 1"));
        assert_eq!(turns.next(true).map(|e| label(&e)).as_deref(), Some("page 2"));
        assert!(turns.is_empty());
    }
}
