//! Drawing: views borrow the state and never change it, do no I/O and read time only from
//! the `now` they are given.
//!
//! Layout: one header line (tab bar, counts, backend, freshness), the tab's body, one status line
//! (messages, input, hints, queued actions, who you are). At 80×24 the list shows 21 rows.

pub mod calendar;
pub mod drift;
pub mod glyphs;
pub mod help;
pub mod history;
pub mod incidents;
pub mod maintenance_form;
pub mod messages;
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

/// Below this many columns or rows the tabs do not fit: a notice says so instead of a clipped
/// screen, and only the quit keys act (a key pressed on a screen nobody can read acts on nothing).
pub const MIN_WIDTH: u16 = 70;
pub const MIN_HEIGHT: u16 = 16;

/// Whether a terminal of `width`×`height` is below the minimum.
pub fn too_small(width: u16, height: u16) -> bool {
    width < MIN_WIDTH || height < MIN_HEIGHT
}

/// Lines of chrome around the incident list: header, table header, status line.
const CHROME_ROWS: u16 = 3;

/// How many incident rows fit on a terminal `height` lines tall.
pub fn list_rows(height: u16) -> usize {
    usize::from(height.saturating_sub(CHROME_ROWS)).max(1)
}

pub fn draw(frame: &mut Frame<'_>, state: &AppState, now: DateTime<Utc>) {
    let area = frame.area();
    if too_small(area.width, area.height) {
        draw_too_small(frame, state);
    } else {
        draw_views(frame, state, now);
    }
    if state.settings.theme.glyphs.ascii {
        glyphs::asciify(frame.buffer_mut());
    }
}

fn draw_views(frame: &mut Frame<'_>, state: &AppState, now: DateTime<Utc>) {
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
        Some(Overlay::Outbox { selected }) => help::draw_outbox(frame, frame.area(), state, selected, now),
        Some(Overlay::Messages { scroll }) => messages::draw(frame, frame.area(), state, scroll, now),
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

/// The notice shown instead of the tabs on a terminal below the minimum size.
fn draw_too_small(frame: &mut Frame<'_>, state: &AppState) {
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Paragraph, Wrap};
    let theme = &state.settings.theme;
    let area = frame.area();
    let quit = state.settings.keymap.keys_for(&[crate::keymap::Mode::Global], crate::action::Action::Quit);
    let quit = quit.map_or_else(
        || "Ctrl-c".to_string(),
        |keys| keys.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(" or "),
    );
    let lines = vec![
        Line::styled("Terminal too small", theme.error()),
        Line::from(vec![
            Span::raw("now "),
            Span::styled(format!("{}x{}", area.width, area.height), theme.warning()),
            Span::raw(", needs "),
            Span::styled(format!("{MIN_WIDTH}x{MIN_HEIGHT}"), theme.ok()),
        ]),
        Line::from("Enlarge the window or make the font smaller; nothing is lost meanwhile."),
        Line::from(vec![Span::styled(quit, theme.accent()), Span::raw(" quits")]),
    ];
    let width = usize::from(area.width.max(1));
    let height: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    let height = u16::try_from(height).unwrap_or(u16::MAX).min(area.height);
    // Centred by its unwrapped height, with room below in case words wrap onto more lines.
    let top = (area.height - height) / 2;
    let rect = Rect { y: area.y + top, height: area.height - top, ..area };
    frame.render_widget(Paragraph::new(lines).centered().wrap(Wrap { trim: true }), rect);
}

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
