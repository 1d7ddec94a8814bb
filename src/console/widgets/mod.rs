//! Views shared by the tabs: the header and status line, the help, outbox and message panels,
//! a timeline, and placing and formatting helpers (centring, times in the display zone).

pub mod help;
pub mod history;
pub mod messages;
pub mod status;

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Flex, Layout, Rect};

use crate::console::state::AppState;

/// A rectangle of at most `width`×`height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    cell
}

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
