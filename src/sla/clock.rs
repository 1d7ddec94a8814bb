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
    // elapsed ≥ 0, so only a target near the minimum can underflow.
    let remaining = spec.target.checked_sub(&elapsed).unwrap_or(Duration::MIN);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::tests::utc;

    fn m(minutes: i64) -> Duration {
        Duration::minutes(minutes)
    }

    fn s(seconds: i64) -> Duration {
        Duration::seconds(seconds)
    }

    #[test]
    fn band_thresholds_for_short_and_long_targets() {
        let bands = Bands::default();
        // 15 min: warning under min(1h, 3m45s), critical under min(30m, 1m30s).
        let short = m(15);
        assert_eq!((bands.warning_threshold(short), bands.critical_threshold(short)), (s(225), s(90)));
        let cases = [
            (m(15), Band::Ok),
            (s(226), Band::Ok),
            (s(225), Band::Ok),
            (s(224), Band::Warning),
            (s(90), Band::Warning),
            (s(89), Band::Critical),
            (s(1), Band::Critical),
            (s(0), Band::Breached),
            (-m(12), Band::Breached),
        ];
        for (remaining, band) in cases {
            assert_eq!(bands.band(short, remaining), band, "15m target, {remaining} left");
        }
        // 4 h: warning under min(1h, 1h), critical under min(30m, 24m).
        let long = Duration::hours(4);
        assert_eq!((bands.warning_threshold(long), bands.critical_threshold(long)), (m(60), m(24)));
        let cases = [
            (m(61), Band::Ok),
            (m(60), Band::Ok),
            (m(59), Band::Warning),
            (m(24), Band::Warning),
            (m(23), Band::Critical),
            (s(0), Band::Breached),
        ];
        for (remaining, band) in cases {
            assert_eq!(bands.band(long, remaining), band, "4h target, {remaining} left");
        }
        // 24 h: the absolute thresholds win.
        let day = Duration::hours(24);
        assert_eq!((bands.warning_threshold(day), bands.critical_threshold(day)), (m(60), m(30)));
        assert_eq!(Band::Breached.label(), "breached");
        assert!(Band::Ok < Band::Warning && Band::Warning < Band::Critical && Band::Critical < Band::Breached);
    }

    fn clock<'a>(
        calendar: &'a Calendar,
        target: Duration,
        pauses: &'a [(DateTime<Utc>, Option<DateTime<Utc>>)],
    ) -> ClockSpec<'a> {
        ClockSpec { started_at: utc("2026-11-05T10:00:00Z"), stopped_at: None, target, calendar, pauses }
    }

    fn at(spec: &ClockSpec<'_>, now: &str) -> ClockState {
        evaluate(spec, utc(now), &Bands::default())
    }

    #[test]
    fn a_running_clock_goes_through_the_bands_and_counts_up_after_breach() {
        let cal = Calendar::always_open();
        let spec = clock(&cal, m(15), &[]);
        let state = at(&spec, "2026-11-05T10:05:00Z");
        assert_eq!((state.elapsed, state.remaining, state.band), (m(5), m(10), Band::Ok));
        assert_eq!(state.due, Some(utc("2026-11-05T10:15:00Z")));
        assert!(!state.paused && !state.stopped && !state.breached && state.overdue.is_none());
        assert_eq!(at(&spec, "2026-11-05T10:12:00Z").band, Band::Warning);
        assert_eq!(at(&spec, "2026-11-05T10:14:00Z").band, Band::Critical);
        let due = at(&spec, "2026-11-05T10:15:00Z");
        assert!(due.breached && due.band == Band::Breached && due.overdue == Some(Duration::zero()));
        let late = at(&spec, "2026-11-05T10:27:00Z");
        assert_eq!((late.remaining, late.overdue), (-m(12), Some(m(12))));
        assert_eq!(late.due, Some(utc("2026-11-05T10:15:00Z")), "due stays when it breached");
        let before = at(&spec, "2026-11-05T09:00:00Z");
        assert_eq!((before.elapsed, before.due), (Duration::zero(), Some(utc("2026-11-05T10:15:00Z"))));
    }

    #[test]
    fn pauses_stop_the_clock_and_resuming_continues() {
        let cal = Calendar::always_open();
        let pauses = [(utc("2026-11-05T10:05:00Z"), Some(utc("2026-11-05T10:20:00Z")))];
        let spec = clock(&cal, m(30), &pauses);
        let paused = at(&spec, "2026-11-05T10:10:00Z");
        assert!(paused.paused && paused.due.is_none());
        assert_eq!(paused.elapsed, m(5));
        let resumed = at(&spec, "2026-11-05T10:30:00Z");
        assert!(!resumed.paused);
        assert_eq!((resumed.elapsed, resumed.remaining), (m(15), m(15)));
        assert_eq!(resumed.due, Some(utc("2026-11-05T10:45:00Z")));

        // Open-ended, overlapping and unsorted pauses; one that starts after `now` is not known yet.
        let pauses = [
            (utc("2026-11-05T10:40:00Z"), None),
            (utc("2026-11-05T10:10:00Z"), Some(utc("2026-11-05T10:20:00Z"))),
            (utc("2026-11-05T10:05:00Z"), Some(utc("2026-11-05T10:15:00Z"))),
            (utc("2026-11-05T10:30:00Z"), Some(utc("2026-11-05T10:00:00Z"))), // ends before it starts: ignored
        ];
        let spec = clock(&cal, m(30), &pauses);
        let state = at(&spec, "2026-11-05T10:25:00Z");
        assert_eq!(state.elapsed, m(10));
        assert_eq!(state.due, Some(utc("2026-11-05T10:45:00Z")));
        let state = at(&spec, "2026-11-05T11:00:00Z");
        assert!(state.paused && state.due.is_none());
        assert_eq!(state.elapsed, m(25), "running 10:00-10:05, 10:20-10:40");
    }

    #[test]
    fn a_breach_behind_pauses_is_dated_in_running_time() {
        let cal = Calendar::always_open();
        let pauses = [(utc("2026-11-05T10:05:00Z"), Some(utc("2026-11-05T10:30:00Z")))];
        let spec = clock(&cal, m(15), &pauses);
        let state = at(&spec, "2026-11-05T11:00:00Z");
        assert_eq!(state.due, Some(utc("2026-11-05T10:40:00Z")));
        assert_eq!(state.overdue, Some(m(20)));
        // Paused after breaching: due unknown, but how long ago it breached is not.
        let pauses = [(utc("2026-11-05T10:20:00Z"), None)];
        let spec = clock(&cal, m(15), &pauses);
        let state = at(&spec, "2026-11-05T11:00:00Z");
        assert!(state.paused && state.breached && state.due.is_none());
        assert_eq!((state.elapsed, state.overdue, state.band), (m(20), Some(m(45)), Band::Breached));
    }

    #[test]
    fn stopped_clocks_keep_their_outcome() {
        let cal = Calendar::always_open();
        let mut spec = clock(&cal, m(15), &[]);
        spec.stopped_at = Some(utc("2026-11-05T10:10:00Z"));
        let met = at(&spec, "2026-11-05T12:00:00Z");
        assert!(met.stopped && !met.breached && !met.paused);
        assert_eq!((met.elapsed, met.remaining, met.band, met.overdue), (m(10), m(5), Band::Ok, None));
        assert_eq!(met.due, Some(utc("2026-11-05T10:15:00Z")));
        // Before the stop happened, it was running.
        let earlier = at(&spec, "2026-11-05T10:08:00Z");
        assert!(!earlier.stopped && earlier.elapsed == m(8) && earlier.due == Some(utc("2026-11-05T10:15:00Z")));

        spec.stopped_at = Some(utc("2026-11-05T10:40:00Z"));
        let missed = at(&spec, "2026-11-05T12:00:00Z");
        assert!(missed.stopped && missed.breached);
        assert_eq!((missed.elapsed, missed.band, missed.overdue), (m(40), Band::Breached, None));
        assert_eq!(missed.due, Some(utc("2026-11-05T10:15:00Z")));
    }

    #[test]
    fn clocks_on_business_hours_wait_for_opening() {
        let cal = crate::sla::SlaPolicy::default_policy().calendar("business").cloned().unwrap();
        // Friday 16:30 EST with one hour to go; Monday 09:20.
        let spec = ClockSpec {
            started_at: utc("2026-11-06T21:30:00Z"),
            stopped_at: None,
            target: m(60),
            calendar: &cal,
            pauses: &[],
        };
        let state = at(&spec, "2026-11-09T14:20:00Z");
        assert_eq!((state.elapsed, state.remaining), (m(50), m(10)));
        assert_eq!(state.due, Some(utc("2026-11-09T14:30:00Z")));
        assert_eq!(state.band, Band::Warning, "10m of a 1h target: under 25 %, not under 10 %");
        // Over the weekend the clock is not paused, only closed; it keeps its due time.
        let weekend = at(&spec, "2026-11-07T15:00:00Z");
        assert!(!weekend.paused && weekend.elapsed == m(30));
        assert_eq!(weekend.due, Some(utc("2026-11-09T14:30:00Z")));
    }

    #[test]
    fn a_zero_target_is_breached_at_start() {
        let cal = Calendar::always_open();
        let spec = clock(&cal, Duration::zero(), &[]);
        let state = at(&spec, "2026-11-05T10:01:00Z");
        assert!(state.breached);
        assert_eq!((state.due, state.overdue), (Some(utc("2026-11-05T10:00:00Z")), Some(m(1))));
    }
}
