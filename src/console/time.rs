//! Times as the console writes them, in the display time zone: used by the state for messages
//! and by the views, so neither borrows the other's formatting.

use chrono::{DateTime, Utc};

/// `14:03:22` in the display time zone, with the date in front when it is not today.
pub fn clock(at: DateTime<Utc>, now: DateTime<Utc>, tz: Option<chrono_tz::Tz>) -> String {
    fn fmt<Z: chrono::TimeZone>(at: DateTime<Utc>, now: DateTime<Utc>, zone: &Z) -> String
    where
        Z::Offset: std::fmt::Display,
    {
        let local = at.with_timezone(zone);
        if local.date_naive() == now.with_timezone(zone).date_naive() {
            local.format("%H:%M:%S").to_string()
        } else {
            local.format("%b %d %H:%M").to_string()
        }
    }
    match tz {
        Some(tz) => fmt(at, now, &tz),
        None => fmt(at, now, &chrono::Local),
    }
}
