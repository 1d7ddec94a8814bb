//! One clock model over tickets and incidents: which SLA clocks an item has, their inputs, why
//! they are paused, and the order the Tickets and SLA tabs sort by.
//!
//! A ticket's response clock stops at its first response, an incident's at its first
//! acknowledgement (a later escalation pages again but does not restart the SLA); resolution
//! clocks stop at resolve. Ticket clocks pause while the ticket waits on the customer; any clock
//! pauses while a maintenance window that pauses SLA covers its service. Each pause keeps its
//! reason, so a clock says which ("maintenance MW-3005", "waiting on the customer").
//!
//! The order is priority first, then time to breach ([`BreachOrder`]): a paused clock cannot
//! breach, but the item is no less urgent for that — a P1 whose clock a window paused ("LLM
//! Gateway down for our users") stays with the P1s instead of sinking below every running P4.
//! Within a priority, running clocks come by the instant they breach, then paused ones by what
//! they have left. A separate "paused" group was the other choice; it would still put the P1
//! under the P4s, only with a heading.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::console::time;
use crate::domain::{EntityKind, EventKind, Incident, Priority, Ticket};
use crate::sla::{Band, ClockSpec, ClockState, SlaPolicy, evaluate};

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
    pub pauses: Vec<Pause>,
}

/// Why an SLA clock does not run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PauseReason {
    /// The ticket is pending: waiting on the customer.
    Customer,
    /// A maintenance window that pauses SLA clocks covers the item's service.
    Maintenance { window_id: String },
}

impl PauseReason {
    /// `waiting on the customer`, `maintenance MW-3005`.
    pub fn label(&self) -> String {
        match self {
            PauseReason::Customer => "waiting on the customer".into(),
            PauseReason::Maintenance { window_id } => format!("maintenance {window_id}"),
        }
    }

    /// For narrow columns: `customer`, `MW-3005`.
    pub fn short(&self) -> String {
        match self {
            PauseReason::Customer => "customer".into(),
            PauseReason::Maintenance { window_id } => window_id.clone(),
        }
    }
}

/// A pause of an SLA clock: from, until (open-ended while waiting on a customer), and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Pause {
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub reason: PauseReason,
}

impl Pause {
    fn covers(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && self.until.is_none_or(|until| at < until && self.from < until)
    }
}

impl ClockInput {
    /// Adds the pauses of maintenance windows that pause SLA clocks on the item's service.
    pub fn with_maintenance(mut self, pauses: &[Pause]) -> ClockInput {
        self.pauses.extend_from_slice(pauses);
        self
    }

    /// Why the clock is paused at `now`, each reason once, the customer first (none when it runs
    /// or has stopped).
    pub fn pause_reasons(&self, now: DateTime<Utc>) -> Vec<&PauseReason> {
        if self.stopped_at.is_some_and(|stop| stop <= now) {
            return Vec::new();
        }
        let mut reasons: Vec<&PauseReason> = self.pauses.iter().filter(|p| p.covers(now)).map(|p| &p.reason).collect();
        reasons.sort();
        reasons.dedup();
        reasons
    }

    /// `maintenance MW-3005`, `waiting on the customer · maintenance MW-3005`; empty when running.
    pub fn pause_label(&self, now: DateTime<Utc>) -> String {
        self.pause_reasons(now).iter().map(|r| r.label()).collect::<Vec<_>>().join(" · ")
    }

    pub fn for_ticket(t: &Ticket, which: Which) -> ClockInput {
        let stopped_at = match which {
            Which::Response => t.first_response_at.or(t.resolved_at),
            Which::Resolution => t.resolved_at,
        };
        let pauses = t
            .pause_spans()
            .into_iter()
            .map(|(from, until)| Pause { from, until, reason: PauseReason::Customer })
            .collect();
        ClockInput { started_at: t.created_at, stopped_at, priority: t.priority, which, pauses }
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
        let spans: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> =
            self.pauses.iter().map(|p| (p.from, p.until)).collect();
        let spec = ClockSpec {
            started_at: self.started_at,
            stopped_at: self.stopped_at,
            target: target.duration,
            calendar: policy.calendar_for(target),
            pauses: &spans,
        };
        evaluate(&spec, now, policy.bands())
    }

    pub fn is_running(&self) -> bool {
        self.stopped_at.is_none()
    }
}

/// Sort key of the Tickets and SLA tabs (see the module docs): items with a clock still going
/// first, by priority, then running clocks by the instant they breach before paused ones by what
/// they have left; then items with no clock going, most recently closed first.
///
/// Packed in one word, ordered as the tuple (closed, rank, paused, at) is: the top bit says
/// closed, the next three the rank (1 for P1 … 4 for P4; 0 for closed items, which sort by when
/// they closed alone), the next one paused, and the low 59 bits the breach instant in
/// milliseconds (running), the milliseconds left (paused), or minus the close time — offset so
/// that they count up from 1 (millions of years either way; beyond, they are held at the ends).
/// Never zero, so an `Option` of one is a word too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BreachOrder(std::num::NonZeroU64);

impl Default for BreachOrder {
    fn default() -> Self {
        BreachOrder::pack(false, 0, false, 0)
    }
}

impl BreachOrder {
    const AT_BITS: u32 = 59;

    fn pack(closed: bool, rank: u8, paused: bool, at: i64) -> BreachOrder {
        let half = 1i64 << (Self::AT_BITS - 1);
        let at = (at.clamp(1 - half, half - 1) + half) as u64;
        let word =
            (u64::from(closed) << 63) | (u64::from(rank & 0b111) << 60) | (u64::from(paused) << Self::AT_BITS) | at;
        BreachOrder(std::num::NonZeroU64::new(word).unwrap_or(std::num::NonZeroU64::MIN))
    }

    fn of(states: impl Iterator<Item = ClockState>, priority: Priority, closed_at: DateTime<Utc>) -> BreachOrder {
        let closed = BreachOrder::pack(true, 0, false, -closed_at.timestamp_millis());
        let going = states.filter(|s| !s.stopped).map(|state| {
            let (paused, at) = match (state.paused, state.due) {
                (false, Some(due)) => (false, due.timestamp_millis()),
                _ => (true, state.remaining.num_milliseconds()),
            };
            BreachOrder::pack(false, priority.rank(), paused, at)
        });
        going.min().unwrap_or(closed)
    }
}

/// Where a ticket sorts in the queue, with the SLA pauses of maintenance on its service. Uses the
/// ticket's own last change as "now" (or `as_of`, the last time a window started or ended, when
/// later): the due instant of a running clock does not depend on when it is asked, so only a
/// window starting or ending moves a ticket.
pub fn ticket_order(
    t: &Ticket,
    policy: &SlaPolicy,
    maintenance: &[Pause],
    as_of: Option<DateTime<Utc>>,
) -> BreachOrder {
    let now = as_of.map_or(t.updated_at, |at| at.max(t.updated_at));
    let clock = |w| ClockInput::for_ticket(t, w).with_maintenance(maintenance);
    let states = Which::BOTH.into_iter().map(|w| clock(w).evaluate(policy, now));
    BreachOrder::of(states, t.priority, t.resolved_at.unwrap_or(t.updated_at))
}

#[cfg(test)]
thread_local! {
    static ROWS_BUILT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many clock rows this thread has built (evaluated from calendar arithmetic): what tests
/// count to show a sync page builds only its items' clocks.
#[cfg(test)]
pub(crate) fn rows_built() -> usize {
    ROWS_BUILT.with(std::cell::Cell::get)
}

/// One running clock on the SLA tab, in 72 bytes: what it sorts and counts by, and its inputs
/// held as instants in nanoseconds (what a running clock rarely has — pauses, a stop, a start
/// outside 1677–2262 — boxed apart, so the many clocks without hold one empty pointer).
///
/// Which band a running clock is in changes only at three instants (entering warning,
/// critical, breached), all known when the row is built: the per-second summary and bell check
/// compare instants instead of redoing calendar arithmetic for every clock every second.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockRow {
    pub kind: EntityKind,
    pub which: Which,
    pub priority: Priority,
    /// The band of a clock that does not move (paused), or `None` for a running one.
    fixed: Option<Band>,
    /// The item's id, shared by its clocks and the SLA tab's indices of them.
    pub id: Arc<str>,
    pub order: BreachOrder,
    /// When the clock started, in nanoseconds ([`time::NONE`]: in `rare`).
    started: i64,
    /// When a running clock enters warning, critical and breached, in nanoseconds (the whole
    /// second of the build time when already in that band; [`time::NONE`] when the calendar never
    /// gets there, or not before 2262).
    band_changes: [i64; 3],
    rare: Option<Box<RareInput>>,
}

/// The inputs of a clock that most running clocks do not have.
#[derive(Debug, Clone, PartialEq)]
struct RareInput {
    /// The start, when it is outside what nanoseconds hold.
    started_at: Option<DateTime<Utc>>,
    stopped_at: Option<DateTime<Utc>>,
    pauses: Vec<Pause>,
}

impl ClockRow {
    pub fn new(
        kind: EntityKind,
        id: impl Into<Arc<str>>,
        input: ClockInput,
        policy: &SlaPolicy,
        now: DateTime<Utc>,
    ) -> ClockRow {
        #[cfg(test)]
        ROWS_BUILT.with(|n| n.set(n.get() + 1));
        let state = input.evaluate(policy, now);
        let order = BreachOrder::of(std::iter::once(state.clone()), input.priority, now);
        let (fixed, band_changes) = if state.paused || state.stopped {
            (Some(state.band), [time::NONE; 3])
        } else {
            let at = band_changes(&input, &state, policy, now);
            (None, at.map(|at| time::nanos_opt(at).unwrap_or(time::NONE)))
        };
        let started = time::nanos(input.started_at);
        let rare = (started.is_none() || input.stopped_at.is_some() || !input.pauses.is_empty()).then(|| {
            Box::new(RareInput {
                started_at: started.is_none().then_some(input.started_at),
                stopped_at: input.stopped_at,
                pauses: input.pauses,
            })
        });
        ClockRow {
            kind,
            which: input.which,
            priority: input.priority,
            fixed,
            id: id.into(),
            order,
            started: started.unwrap_or(time::NONE),
            band_changes,
            rare,
        }
    }

    /// The clock's inputs, as it was built from.
    pub fn input(&self) -> ClockInput {
        let rare = self.rare.as_deref();
        ClockInput {
            started_at: rare.and_then(|r| r.started_at).unwrap_or_else(|| time::instant(self.started)),
            stopped_at: rare.and_then(|r| r.stopped_at),
            priority: self.priority,
            which: self.which,
            pauses: rare.map(|r| r.pauses.clone()).unwrap_or_default(),
        }
    }

    /// The clock in full at `now`: for the rows on screen.
    pub fn state(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> ClockState {
        self.input().evaluate(policy, now)
    }

    /// The clock's target under `policy`.
    pub fn target(&self, policy: &SlaPolicy) -> chrono::Duration {
        self.input().target(policy)
    }

    /// Why the clock is paused at `now` (see [`ClockInput::pause_reasons`]).
    pub fn pause_reasons(&self, now: DateTime<Utc>) -> Vec<PauseReason> {
        self.input().pause_reasons(now).into_iter().cloned().collect()
    }

    /// The band at `now`, from the instants worked out when the row was built.
    pub fn band_at(&self, now: DateTime<Utc>) -> Band {
        if let Some(band) = self.fixed {
            return band;
        }
        [Band::Ok, Band::Warning, Band::Critical, Band::Breached][self.passed(time::nanos_clamped(now))]
    }

    pub fn is_paused(&self) -> bool {
        self.fixed.is_some()
    }

    /// The first instant after `after` the clock changes band (`None` when paused, or when it
    /// has no band left to enter).
    pub fn next_band_change(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.next_band_change_nanos(time::nanos_clamped(after)).and_then(time::instant_opt)
    }

    /// [`ClockRow::next_band_change`] in nanoseconds.
    pub fn next_band_change_nanos(&self, after: i64) -> Option<i64> {
        if self.fixed.is_some() {
            return None;
        }
        self.band_changes.get(self.passed(after)).copied().filter(|&at| at != time::NONE)
    }

    /// How many of the band changes have happened by `at` (nanoseconds).
    fn passed(&self, at: i64) -> usize {
        self.band_changes.iter().take_while(|&&change| change != time::NONE && change <= at).count()
    }

    /// When the clock enters the critical band, if it is running towards it.
    pub fn critical_at(&self) -> Option<DateTime<Utc>> {
        time::instant_opt(self.band_changes[1])
    }
}

/// The instants a running clock enters warning, critical and breached. A band is entered once
/// strictly less than its threshold is left; breached once nothing is.
fn band_changes(
    input: &ClockInput,
    state: &ClockState,
    policy: &SlaPolicy,
    now: DateTime<Utc>,
) -> [Option<DateTime<Utc>>; 3] {
    let target = input.target(policy);
    let bands = policy.bands();
    let targets = policy.targets(input.priority);
    let calendar = policy.calendar_for(match input.which {
        Which::Response => &targets.response,
        Which::Resolution => &targets.resolution,
    });
    let tick = chrono::Duration::milliseconds(1);
    let thresholds =
        [bands.warning_threshold(target) - tick, bands.critical_threshold(target) - tick, chrono::Duration::zero()];
    thresholds.map(|threshold| {
        let until = state.remaining - threshold;
        // Already in the band: since the whole second the frame shows (the counts kept as of it
        // see no change to come).
        if until <= chrono::Duration::zero() { Some(time::second(now)) } else { calendar.add_open_time(now, until) }
    })
}

/// The running SLA clock of `incident` nearest to breach (or furthest past it), as of `now`,
/// with `pauses` of maintenance windows on its service: the Incidents list shows it, and the
/// run loop wakes when its minute changes.
pub fn nearest_clock(
    incident: &Incident,
    pauses: &[Pause],
    policy: &SlaPolicy,
    now: DateTime<Utc>,
) -> Option<ClockState> {
    if !incident.is_open() {
        return None;
    }
    Which::BOTH
        .into_iter()
        .map(|which| ClockInput::for_incident(incident, which).with_maintenance(pauses))
        .filter(|input| input.is_running())
        .map(|input| input.evaluate(policy, now))
        .min_by_key(|clock| clock.remaining)
}
