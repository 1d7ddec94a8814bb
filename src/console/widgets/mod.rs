//! Views shared by the tabs: the header and status line, the help, outbox and message panels,
//! a timeline, and placing and formatting helpers (centring, times in the display zone).

pub mod help;
pub mod history;
pub mod messages;
pub mod status;

pub use crate::console::layout::centered;
pub use crate::console::time::clock;

use chrono::{DateTime, Utc};

use crate::console::state::AppState;

/// The display zone's name at `at`: `UTC`, `CET`, `CEST`; the system's zone (no `timezone`
/// configured) by its offset, `UTC+01:00`, or `UTC` when it has none.
pub fn zone_name(at: DateTime<Utc>, tz: Option<chrono_tz::Tz>) -> String {
    match tz {
        Some(tz) => at.with_timezone(&tz).format("%Z").to_string(),
        None => match at.with_timezone(&chrono::Local).offset().local_minus_utc() {
            0 => "UTC".to_string(),
            _ => format!("UTC{}", at.with_timezone(&chrono::Local).format("%:z")),
        },
    }
}

/// `at` formatted with `format` in the display time zone (the system's when none is set).
pub fn local(at: DateTime<Utc>, state: &AppState, format: &str) -> String {
    match state.settings.timezone {
        Some(tz) => at.with_timezone(&tz).format(format).to_string(),
        None => at.with_timezone(&chrono::Local).format(format).to_string(),
    }
}
