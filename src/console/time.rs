//! Times as the console writes them, in the display time zone: used by the state for messages
//! and by the views, so neither borrows the other's formatting.

use chrono::{DateTime, Utc};

use crate::console::zone::DisplayZone;

/// `14:03:22` in the display time zone, with the date in front when it is not today.
pub fn clock(at: DateTime<Utc>, now: DateTime<Utc>, tz: DisplayZone) -> String {
    if tz.date(at) == tz.date(now) { tz.format(at, "%H:%M:%S") } else { tz.format(at, "%b %d %H:%M") }
}
