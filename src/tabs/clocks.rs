//! One clock model over tickets and incidents: which SLA clocks an item has, their inputs, and
//! the order "time to breach" the Tickets and SLA tabs sort by.
//!
//! A ticket's response clock stops at its first response, an incident's at its first
//! acknowledgement (a later escalation pages again but does not restart the SLA); resolution
//! clocks stop at resolve. Ticket clocks pause while the ticket waits on the customer.

use chrono::{DateTime, Utc};

use crate::domain::{EntityKind, EventKind, Incident, Priority, Ticket};
use crate::sla::{ClockSpec, ClockState, SlaPolicy, evaluate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Which {
    Response,
    Resolution,
}

impl Which {
    pub fn label(self) -> &'static str {
        match self {
            Which::Response => "response",
            Which::Resolution => "resolution",
        }
    }

    pub const BOTH: [Which; 2] = [Which::Response, Which::Resolution];
}

/// Everything a clock needs, owned, so a row can re-evaluate it every second.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockInput {
    pub started_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub priority: Priority,
    pub which: Which,
    pub pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
}

impl ClockInput {
    pub fn for_ticket(t: &Ticket, which: Which) -> ClockInput {
        let stopped_at = match which {
            Which::Response => t.first_response_at.or(t.resolved_at),
            Which::Resolution => t.resolved_at,
        };
        ClockInput { started_at: t.created_at, stopped_at, priority: t.priority, which, pauses: t.pause_spans() }
    }

    pub fn for_incident(i: &Incident, which: Which) -> ClockInput {
        let first_ack = i.timeline.iter().find(|e| e.kind == EventKind::Acknowledged).map(|e| e.at);
        let stopped_at = match which {
            Which::Response => first_ack.or(i.resolved_at),
            Which::Resolution => i.resolved_at,
        };
        ClockInput { started_at: i.triggered_at, stopped_at, priority: i.priority, which, pauses: Vec::new() }
    }

    pub fn target(&self, policy: &SlaPolicy) -> chrono::Duration {
        let targets = policy.targets(self.priority);
        match self.which {
            Which::Response => targets.response.duration,
            Which::Resolution => targets.resolution.duration,
        }
    }

    pub fn evaluate(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> ClockState {
        let targets = policy.targets(self.priority);
        let target = match self.which {
            Which::Response => &targets.response,
            Which::Resolution => &targets.resolution,
        };
        let spec = ClockSpec {
            started_at: self.started_at,
            stopped_at: self.stopped_at,
            target: target.duration,
            calendar: policy.calendar_for(target),
            pauses: &self.pauses,
        };
        evaluate(&spec, now, policy.bands())
    }

    pub fn is_running(&self) -> bool {
        self.stopped_at.is_none()
    }
}

/// Sort key for "time to breach": running clocks by the instant they breach, then paused ones
/// by what they have left, then items with no running clock, most recently closed first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct BreachOrder(u8, i64);

impl BreachOrder {
    fn of(states: impl Iterator<Item = ClockState>, closed_at: DateTime<Utc>) -> BreachOrder {
        let mut best = BreachOrder(2, -closed_at.timestamp_millis());
        for state in states.filter(|s| !s.stopped) {
            let key = match (state.paused, state.due) {
                (false, Some(due)) => BreachOrder(0, due.timestamp_millis()),
                _ => BreachOrder(1, state.remaining.num_milliseconds()),
            };
            best = best.min(key);
        }
        best
    }
}

/// Where a ticket sorts in the queue. Uses the ticket's own last change as "now": the due
/// instant of a running clock does not depend on when it is asked.
pub fn ticket_order(t: &Ticket, policy: &SlaPolicy) -> BreachOrder {
    let now = t.updated_at;
    let states = Which::BOTH.into_iter().map(|w| ClockInput::for_ticket(t, w).evaluate(policy, now));
    BreachOrder::of(states, t.resolved_at.unwrap_or(t.updated_at))
}

/// One running clock on the SLA tab.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockRow {
    pub kind: EntityKind,
    pub id: String,
    pub title: String,
    pub input: ClockInput,
    pub order: BreachOrder,
    /// When the clock enters the critical band, if it is running towards it (for the bell).
    pub critical_at: Option<DateTime<Utc>>,
}

impl ClockRow {
    pub fn new(
        kind: EntityKind,
        id: &str,
        title: &str,
        input: ClockInput,
        policy: &SlaPolicy,
        now: DateTime<Utc>,
    ) -> ClockRow {
        let state = input.evaluate(policy, now);
        let order = BreachOrder::of(std::iter::once(state.clone()), now);
        let critical_at = critical_at(&input, &state, policy, now);
        ClockRow { kind, id: id.to_string(), title: title.to_string(), input, order, critical_at }
    }

    pub fn state(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> ClockState {
        self.input.evaluate(policy, now)
    }
}

/// The instant a running, unpaused clock enters the critical band.
fn critical_at(
    input: &ClockInput,
    state: &ClockState,
    policy: &SlaPolicy,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if state.stopped || state.paused || state.breached {
        return None;
    }
    let threshold = policy.bands().critical_threshold(input.target(policy));
    let until = state.remaining - threshold;
    if until <= chrono::Duration::zero() {
        return None;
    }
    let targets = policy.targets(input.priority);
    let t = match input.which {
        Which::Response => &targets.response,
        Which::Resolution => &targets.resolution,
    };
    // The band turns critical once strictly less than the threshold is left.
    policy.calendar_for(t).add_open_time(now, until + chrono::Duration::milliseconds(1))
}
