//! Times as the console writes them, in the display time zone: used by the state for messages
//! and by the views, so neither borrows the other's formatting. And the one phase of everything
//! that moves on screen: a frame is drawn as of a whole second ([`second`]), so every age and
//! countdown changes on the same tick of the clock, and the loop wakes at most once a second for
//! them ([`from_second`]).

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
}
