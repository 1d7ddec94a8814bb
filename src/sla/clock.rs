//! SLA clocks: how much of its target a response or resolution clock has used, when it is due,
//! and which band it is in.
//!
//! A clock runs from `started_at` during the open hours of its calendar, except while paused
//! (ticket pending, maintenance), until it is stopped. Evaluation at `now` uses only what is known
//! at `now`: a stop or pause that begins after `now` has not happened yet.
//!
//! Bands read the rule "ok, warning (under 1 h left, or under 25 % of the target for short
//! targets), critical (under 30 min, or 10 %), breached (negative time, counting up)" as:
//!
//! - warning threshold = min(`warning`, `warning_fraction` × target), likewise for critical;
//! - remaining ≤ 0 → breached; remaining < critical threshold → critical; remaining < warning
//!   threshold → warning; otherwise ok.
//!
//! So a 15 min target warns under 3 min 45 s and is critical under 1 min 30 s; a 4 h target warns
//! under 1 h and is critical under 24 min; a 24 h target warns under 1 h and is critical under
//! 30 min.

use chrono::{DateTime, Duration, Utc};

use super::calendar::Calendar;

/// How close a clock is to its target, least urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Band {
    Ok,
    Warning,
    Critical,
    Breached,
}

impl Band {
    pub fn label(self) -> &'static str {
        match self {
            Band::Ok => "ok",
            Band::Warning => "warning",
            Band::Critical => "critical",
            Band::Breached => "breached",
        }
    }
}

/// The thresholds of the warning and critical bands (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    pub warning: Duration,
    pub warning_fraction: f64,
    pub critical: Duration,
    pub critical_fraction: f64,
}

impl Default for Bands {
    fn default() -> Self {
        Bands {
            warning: Duration::hours(1),
            warning_fraction: 0.25,
            critical: Duration::minutes(30),
            critical_fraction: 0.10,
        }
    }
}

impl Bands {
    /// The band of a running clock with `remaining` of `target` left.
    pub fn band(&self, target: Duration, remaining: Duration) -> Band {
        if remaining <= Duration::zero() {
            Band::Breached
        } else if remaining < self.critical_threshold(target) {
            Band::Critical
        } else if remaining < self.warning_threshold(target) {
            Band::Warning
        } else {
            Band::Ok
        }
    }

    /// min(`warning`, `warning_fraction` × target).
    pub fn warning_threshold(&self, target: Duration) -> Duration {
        self.warning.min(fraction_of(target, self.warning_fraction))
    }

    /// min(`critical`, `critical_fraction` × target).
    pub fn critical_threshold(&self, target: Duration) -> Duration {
        self.critical.min(fraction_of(target, self.critical_fraction))
    }
}

/// `fraction` (clamped to 0..=1; NaN is 0) of `target`, to the millisecond.
fn fraction_of(target: Duration, fraction: f64) -> Duration {
    let fraction = if fraction.is_nan() { 0.0 } else { fraction.clamp(0.0, 1.0) };
    let ms = (target.num_milliseconds() as f64 * fraction).round();
    // `as` saturates; a fraction of at most 1 keeps it within the range of `target` anyway.
    Duration::try_milliseconds(ms as i64).unwrap_or(target)
}

/// One clock's inputs.
#[derive(Debug, Clone, Copy)]
pub struct ClockSpec<'a> {
    pub started_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub target: Duration,
    pub calendar: &'a Calendar,
    /// Intervals during which the clock does not run (ticket pending, later: maintenance windows);
    /// an open-ended pause (`None` end) is running now. They may overlap or come unsorted; a pause
    /// that ends before it starts is ignored.
    pub pauses: &'a [(DateTime<Utc>, Option<DateTime<Utc>>)],
}

/// A clock evaluated at some `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockState {
    /// Open, unpaused time counted so far (until the stop, or `now`).
    pub elapsed: Duration,
    /// target − elapsed; zero or negative once breached.
    pub remaining: Duration,
    /// When the target runs out:
    /// - breached (running or stopped): the instant it ran out;
    /// - running, not breached: when it will run out if nothing pauses it from `now` on;
    /// - stopped in time: when it would have run out had it kept running after the stop;
    /// - paused now: `None` (it cannot be known), also when already breached;
    /// - `None` too when the calendar has no open time to run out in.
    ///
    /// A zero target is due at `started_at`.
    pub due: Option<DateTime<Utc>>,
    /// Not stopped, and a pause covers `now`.
    pub paused: bool,
    /// Stopped at or before `now`.
    pub stopped: bool,
    /// elapsed ≥ target.
    pub breached: bool,
    /// Running clocks by [`Bands::band`]; stopped clocks are `Ok` when they met the target, else
    /// `Breached`.
    pub band: Band,
    /// For breached clocks that are not stopped (paused ones too): wall time since the instant the
    /// target ran out, for "breached 12m ago".
    pub overdue: Option<Duration>,
}

/// Evaluates a clock at `now`.
pub fn evaluate(spec: &ClockSpec<'_>, now: DateTime<Utc>, bands: &Bands) -> ClockState {
    let calendar = spec.calendar;
    let (stopped, end) = match spec.stopped_at {
        Some(stop) if stop <= now => (true, stop.max(spec.started_at)),
        _ => (false, now.max(spec.started_at)),
    };
    let running = running_segments(spec.started_at, end, spec.pauses);
    let elapsed = running.iter().fold(Duration::zero(), |sum, &(a, b)| sum + calendar.open_between(a, b));
    let remaining = spec.target - elapsed;
    let breached = remaining <= Duration::zero();
    let paused = !stopped && spec.pauses.iter().any(|&(s, e)| s <= now && e.is_none_or(|e| now < e && s < e));

    let breached_at = if breached { breach_instant(spec, &running) } else { None };
    let due = if paused {
        None
    } else if breached {
        breached_at
    } else {
        calendar.add_open_time(end, remaining)
    };
    let band = match (stopped, breached) {
        (true, true) => Band::Breached,
        (true, false) => Band::Ok,
        (false, _) => bands.band(spec.target, remaining),
    };
    let overdue = if stopped { None } else { breached_at.map(|at| (now - at).max(Duration::zero())) };
    ClockState { elapsed, remaining, due, paused, stopped, breached, band, overdue }
}

/// `[start, end]` minus the pauses, as sorted disjoint intervals. Open-ended pauses last past `end`.
fn running_segments(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pauses: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut clipped: Vec<(DateTime<Utc>, DateTime<Utc>)> = pauses
        .iter()
        .filter(|(s, e)| e.is_none_or(|e| *s < e))
        .map(|&(s, e)| (s.max(start), e.unwrap_or(end).min(end)))
        .filter(|(s, e)| s < e)
        .collect();
    clipped.sort();
    let mut segments = Vec::with_capacity(clipped.len() + 1);
    let mut cursor = start;
    for (s, e) in clipped {
        if s > cursor {
            segments.push((cursor, s));
        }
        cursor = cursor.max(e);
    }
    if cursor < end {
        segments.push((cursor, end));
    }
    segments
}

/// The instant the clock's running open time reached its target (it did, within `running`).
fn breach_instant(spec: &ClockSpec<'_>, running: &[(DateTime<Utc>, DateTime<Utc>)]) -> Option<DateTime<Utc>> {
    if spec.target <= Duration::zero() {
        return Some(spec.started_at);
    }
    let mut counted = Duration::zero();
    for &(a, b) in running {
        let open = spec.calendar.open_between(a, b);
        if counted + open >= spec.target {
            return spec.calendar.add_open_time(a, spec.target - counted);
        }
        counted += open;
    }
    None
}
