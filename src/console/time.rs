//! Times as the console writes them, in the display time zone: used by the state for messages
//! and by the views, so neither borrows the other's formatting. And the one phase of everything
//! that moves on screen: a frame is drawn as of a whole second ([`second`]), so every age and
//! countdown changes on the same tick of the clock, and the loop wakes at most once a second for
//! them ([`from_second`]). Ages in lists ([`age`]) move in steps a reader needs: five seconds
//! in an incident's first minute, then minutes, then hours.

use chrono::{DateTime, Utc};

use crate::console::zone::DisplayZone;

/// `14:03:22` in the display time zone, with the date in front when it is not today.
pub fn clock(at: DateTime<Utc>, now: DateTime<Utc>, tz: DisplayZone) -> String {
    if tz.date(at) == tz.date(now) { tz.format(at, "%H:%M:%S") } else { tz.format(at, "%b %d %H:%M") }
}

/// The whole second `now` is in: what a frame shows ages and countdowns as of.
pub fn second(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos()))
}

/// The first whole second at or after `at`: when a frame drawn as of whole seconds first shows
/// what happens at `at`.
pub fn from_second(at: DateTime<Utc>) -> DateTime<Utc> {
    let start = second(at);
    if start == at { at } else { start + chrono::Duration::seconds(1) }
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
}
