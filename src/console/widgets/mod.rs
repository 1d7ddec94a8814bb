//! Views shared by the tabs: the header and status line, the help, outbox and message panels,
//! a timeline, and placing and formatting helpers (centring, times in the display zone).

pub mod help;
pub mod history;
pub mod messages;
pub mod status;

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Flex, Layout, Rect};

use crate::console::state::AppState;
use crate::console::zone::DisplayZone;

/// A rectangle of at most `width`×`height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    cell
}

/// `at` formatted with `format` in the display time zone.
pub fn local(at: DateTime<Utc>, state: &AppState, format: &str) -> String {
    state.settings.timezone.format(at, format)
}

/// `14:03:22` in the display time zone, with the date in front when it is not today.
pub fn clock(at: DateTime<Utc>, now: DateTime<Utc>, tz: DisplayZone) -> String {
    if tz.date(at) == tz.date(now) { tz.format(at, "%H:%M:%S") } else { tz.format(at, "%b %d %H:%M") }
}
