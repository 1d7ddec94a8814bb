//! Times as the console writes them, in the display time zone: used by the state for messages
//! and by the views, so neither borrows the other's formatting. And the one phase of everything
//! that moves on screen: a frame is drawn as of a whole second ([`second`]), so every age and
//! countdown changes on the same tick of the clock, and the loop wakes at most once a second for
//! them ([`from_second`]); when a countdown's text or gauge next changes
//! ([`countdown_changes`], [`gauge_changes`]), so a tab wakes for what it shows. Ages in lists ([`age`]) move in steps a reader needs: five seconds
//! in an incident's first minute, then minutes, then hours.

use chrono::{DateTime, Duration, Utc};

use crate::console::zone::DisplayZone;
use crate::sla::ClockState;

/// `14:03:22` in the display time zone, with the date in front when it is not today.
pub fn clock(at: DateTime<Utc>, now: DateTime<Utc>, tz: DisplayZone) -> String {
    if tz.date(at) == tz.date(now) { tz.format(at, "%H:%M:%S") } else { tz.format(at, "%b %d %H:%M") }
}

/// The whole second `now` is in: what a frame shows ages and countdowns as of.
pub fn second(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos()))
}

/// The first whole second at or after `at`: when a frame drawn as of whole seconds first shows
/// what happens at `at`.
pub fn from_second(at: DateTime<Utc>) -> DateTime<Utc> {
    let start = second(at);
    if start == at { at } else { start + Duration::seconds(1) }
}

/// A countdown shows its seconds only in its last minute (this many seconds), overdue time only
/// in its first: `42s` tells when to act, `3h12m05s` ticking every second only costs the reader
/// (and the terminal) a change a second.
pub const SECONDS_SHOWN: i64 = 60;

/// When a countdown's text next changes, drawn as of `shown`: the next second while seconds
/// show (under [`SECONDS_SHOWN`]), else the next whole minute of the time left or overdue. At the earliest: a business-hours clock's time left
/// moves only while open, and a wake-up with nothing changed draws nothing. `None` while paused
/// or stopped.
pub fn countdown_changes(state: &ClockState, shown: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if state.paused || state.stopped {
        return None;
    }
    let left = if state.breached { state.overdue.unwrap_or(-state.remaining) } else { state.remaining };
    let ms = left.num_milliseconds().abs();
    let wait = if ms < SECONDS_SHOWN * 1_000 {
        1_000 - ms.rem_euclid(1_000).min(999)
    } else if state.breached {
        60_000 - ms.rem_euclid(60_000)
    } else {
        ms.rem_euclid(60_000) + 1
    };
    Some(from_second(shown + Duration::milliseconds(wait.max(1))))
}

/// When a gauge of `width` cells of a clock's used share of `target` next fills a cell, drawn
/// as of `shown` (at the earliest, as [`countdown_changes`]); `None` while paused, stopped or
/// full.
pub fn gauge_changes(
    state: &ClockState,
    target: Duration,
    width: usize,
    shown: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let target = target.num_milliseconds();
    if state.paused || state.stopped || target <= 0 || width == 0 {
        return None;
    }
    let elapsed = state.elapsed.num_milliseconds();
    let filled = ((elapsed as f64 / target as f64 * width as f64).round() as usize).min(width);
    if filled >= width {
        return None;
    }
    // The next cell fills once the share used rounds up to it.
    let at = (target as f64 * (filled as f64 + 0.5) / width as f64).ceil() as i64;
    Some(from_second(shown + Duration::milliseconds((at - elapsed).max(1))))
}

/// Ages younger than a minute move in steps of this many seconds (`0s`, `5s` … `55s`): "it
/// fired a few seconds ago" without a change on screen every second.
pub const YOUNG_AGE_STEP: i64 = 5;

/// How many seconds an age of `secs` waits before its label changes step: [`YOUNG_AGE_STEP`]
/// under a minute, a minute under a day, then an hour.
pub fn age_step(secs: i64) -> i64 {
    match secs {
        s if s < 60 => YOUNG_AGE_STEP,
        s if s < 86_400 => 60,
        _ => 3_600,
    }
}

/// An age in a list: `15s` (in steps of [`YOUNG_AGE_STEP`]), `4m`, `2h05m`, `3d04h`.
pub fn age(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 60 { format!("{}s", secs - secs % YOUNG_AGE_STEP) } else { crate::domain::duration::compact(secs) }
}

/// An instant as nanoseconds since 1970, for what is held compactly (rows, clocks) (`None`: outside 1677–2262).
pub fn nanos(at: DateTime<Utc>) -> Option<i64> {
    at.timestamp_nanos_opt().filter(|&n| n != NONE)
}

/// An optional instant as nanoseconds, [`NONE`] for none.
pub fn nanos_opt(at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map_or(Some(NONE), nanos)
}

/// An instant as nanoseconds, held at the ends beyond 1677–2262 (for comparing with held
/// instants, never [`NONE`]).
pub fn nanos_clamped(at: DateTime<Utc>) -> i64 {
    nanos(at).unwrap_or(if at.timestamp() < 0 { NONE + 1 } else { i64::MAX })
}

/// What stands for "no instant" among nanoseconds.
pub const NONE: i64 = i64::MIN;

pub fn instant(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

pub fn instant_opt(nanos: i64) -> Option<DateTime<Utc>> {
    (nanos != NONE).then(|| instant(nanos))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn seconds_are_whole_and_from_second_rounds_up() {
        let whole = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 7).unwrap();
        let inside = whole + chrono::Duration::microseconds(250_001);
        assert_eq!(second(inside), whole);
        assert_eq!(second(whole), whole);
        assert_eq!(from_second(whole), whole);
        assert_eq!(from_second(inside), whole + chrono::Duration::seconds(1));
        let before = Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap() + chrono::Duration::milliseconds(500);
        assert_eq!(second(before), Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap());
    }

    /// Nothing a countdown or its gauge shows changes before the instant it is said to change
    /// (a wake-up never comes late: no stale screen), from a quarter past a second to well past
    /// its breach.
    #[test]
    fn countdown_and_gauge_changes_are_when_the_text_changes() {
        use crate::console::clocks::{ClockInput, Which};
        use crate::domain::{Incident, NewIncident, Priority};
        use crate::sla::SlaPolicy;
        let policy = SlaPolicy::default_policy();
        let start = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap() + Duration::milliseconds(250);
        let new = NewIncident { title: "t".into(), service_id: "llm-gateway".into(), priority: Priority::P1 };
        let incident = Incident::trigger("INC-1".into(), new, "alertmanager", start, None);
        let input = ClockInput::for_incident(&incident, Which::Response);
        let target = input.target(&policy);
        let text = |at| {
            let state = input.evaluate(&policy, at);
            let left = if state.breached { state.overdue.unwrap_or(-state.remaining) } else { state.remaining };
            let secs = left.num_seconds().abs();
            let label =
                if secs < SECONDS_SHOWN { format!("{}:{}", secs / 60, secs % 60) } else { (secs / 60).to_string() };
            let filled = ((state.elapsed.num_milliseconds() as f64 / target.num_milliseconds() as f64 * 20.0).round()
                as i64)
                .min(20);
            (label, filled)
        };
        let mut at = second(start);
        while at < start + target + Duration::minutes(8) {
            let state = input.evaluate(&policy, at);
            let next = [countdown_changes(&state, at), gauge_changes(&state, target, 20, at)]
                .into_iter()
                .flatten()
                .min()
                .unwrap();
            assert!(next > at && next.timestamp_subsec_nanos() == 0, "{next} after {at}");
            let mut t = at + Duration::seconds(1);
            while t < next {
                assert_eq!(text(t), text(at), "{t}: changed before the wake at {next}");
                t += Duration::seconds(1);
            }
            at = next;
        }
    }

    #[test]
    fn young_ages_move_in_steps_then_minutes() {
        let shown: Vec<String> = [0, 4, 5, 17, 59, 60, 61, 3_725, 90_000].map(age).to_vec();
        assert_eq!(shown, ["0s", "0s", "5s", "15s", "55s", "1m", "1m", "1h02m", "1d01h"]);
        // Each label holds for its step: the next change is where the next step starts.
        for secs in 0..200 {
            let next = (secs / age_step(secs) + 1) * age_step(secs);
            assert_eq!(age(secs), age(next - 1), "{secs}");
            assert_ne!(age(secs), age(next), "{secs}");
        }
    }

    #[test]
    fn instants_survive_nanoseconds_and_far_ones_are_refused() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-05T14:00:00.123456789Z").unwrap().to_utc();
        assert_eq!(instant(nanos(at).unwrap()), at);
        assert_eq!(instant_opt(nanos_opt(None).unwrap()), None);
        let far = chrono::DateTime::parse_from_rfc3339("2400-01-01T00:00:00Z").unwrap().to_utc();
        assert_eq!(nanos(far), None);
    }
}
