//! Drawing: views borrow the state and never change it, do no I/O and read time only from
//! the `now` they are given.
//!
//! Layout: one header line (tab bar, counts, backend, freshness), the tab's body, one status line
//! (messages, input, hints, queued actions, who you are). At 80×24 the list shows 21 rows.

pub mod calendar;
pub mod drift;
pub mod help;
pub mod history;
pub mod incidents;
pub mod maintenance_form;
pub mod postmortems;
pub mod quality;
pub mod sla;
pub mod status;
pub mod theme;
pub mod tickets;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};

use crate::state::{AppState, Overlay};
use crate::tabs::TabId;

/// Lines of chrome around the incident list: header, table header, status line.
const CHROME_ROWS: u16 = 3;

/// How many incident rows fit on a terminal `height` lines tall.
pub fn list_rows(height: u16) -> usize {
    usize::from(height.saturating_sub(CHROME_ROWS)).max(1)
}

pub fn draw(frame: &mut Frame<'_>, state: &AppState, now: DateTime<Utc>) {
    let [header, banner, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(state.banner())),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    status::draw_header(frame, header, state, now);
    if state.banner() {
        calendar::draw_banner(frame, banner, state, now);
    }
    match state.tab {
        TabId::Incidents => match state.incidents.detail().and_then(|d| state.incidents.row(&d.id)) {
            Some(row) => incidents::draw_detail(frame, body, state, row, now),
            None => incidents::draw_list(frame, body, state, now),
        },
        TabId::Tickets => match state.tickets.detail().and_then(|d| state.tickets.row(&d.id)) {
            Some(row) => tickets::draw_detail(frame, body, state, row, now),
            None => tickets::draw_list(frame, body, state, now),
        },
        TabId::Sla => sla::draw(frame, body, state, now),
        TabId::Drift => drift::draw(frame, body, state, now),
        TabId::Calendar => calendar::draw(frame, body, state, now),
        TabId::Postmortems => postmortems::draw(frame, body, state, now),
    }
    tickets::draw_prompt_hint(frame, body, state);
    status::draw_footer(frame, footer, state);
    match state.overlay {
        Some(Overlay::Help { scroll }) => help::draw_help(frame, frame.area(), state, scroll),
        Some(Overlay::Outbox { scroll }) => help::draw_outbox(frame, frame.area(), state, scroll, now),
        None => {}
    }
    if let Some(form) = &state.form {
        let settings = &state.settings;
        maintenance_form::draw_form(frame, frame.area(), form, &settings.theme, &settings.keymap, now);
    }
    if let Some(confirm) = &state.confirm {
        status::draw_confirm(frame, frame.area(), state, confirm);
    }
}

/// A rectangle of at most `width`×`height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    cell
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
