//! The frame: header, maintenance banner, the focused tab's body, the status line, then the
//! panels and dialogs over them. Views borrow the state and never change it, do no I/O and read
//! time only from the `now` they are given, taken to its whole second (so everything that moves on
//! screen moves on one phase, `time::second`). The tab's body is the focused tab's widget (its
//! `TabView`), given a [`ViewContext`] made here.
//!
//! Layout: one header line (tab bar, counts, backend, freshness), the tab's body, one status line
//! (messages, input, hints, queued actions, who you are). At 80×24 the list shows 21 rows.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::console::layout::{MIN_HEIGHT, MIN_WIDTH, too_small};
use crate::console::state::{AppState, Modal, Overlay};
use crate::console::tabs::{ViewContext, calendar, tickets};
use crate::console::theme::glyphs;
use crate::console::widgets::{help, messages, status};

/// Draws the frame as of the whole second `now` is in: every age and countdown on screen moves
/// on the same tick, whenever within the second the frame is drawn.
pub fn draw(frame: &mut Frame<'_>, state: &AppState, now: DateTime<Utc>) {
    let now = crate::console::time::second(now);
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
        calendar::view::draw_banner(frame.buffer_mut(), banner, &state.calendar, &view_context(state, now));
    }
    // The focused tab's view, as a widget borrowing the tab's state.
    let cx = view_context(state, now);
    state.focused().render(body, frame.buffer_mut(), &cx, state);
    tickets::view::draw_prompt_hint(frame.buffer_mut(), body, state);
    status::draw_footer(frame, footer, state);
    draw_modals(frame, state, now);
}

/// The panels and dialogs over the frame, bottom to top. A prompt and the editor are not drawn
/// over anything: they have their place, the status line and the Postmortems tab's body.
fn draw_modals(frame: &mut Frame<'_>, state: &AppState, now: DateTime<Utc>) {
    let area = frame.area();
    for modal in state.modals.iter() {
        match modal {
            Modal::Overlay(Overlay::Help { scroll }) => help::draw_help(frame, area, state, *scroll),
            Modal::Overlay(Overlay::Outbox { selected }) => help::draw_outbox(frame, area, state, *selected, now),
            Modal::Overlay(Overlay::Messages { scroll }) => messages::draw(frame, area, state, *scroll, now),
            Modal::Form(form) => {
                let settings = &state.settings;
                calendar::form::view::draw_form(frame, area, form, &settings.theme, &settings.keymap, now);
            }
            Modal::Confirm(confirm) => status::draw_confirm(frame, area, state, confirm),
            Modal::Quit(quit) => status::draw_quit(frame, area, state, quit),
            Modal::Input(_) | Modal::Editor(_) => {}
        }
    }
}

/// What every view reads besides its tab's state: theme, keymap, display zone, the time.
pub fn view_context(state: &AppState, now: DateTime<Utc>) -> ViewContext<'_> {
    let settings = &state.settings;
    ViewContext { theme: &settings.theme, keymap: &settings.keymap, zone: settings.timezone, now }
}

/// The notice shown instead of the tabs on a terminal below the minimum size.
fn draw_too_small(frame: &mut Frame<'_>, state: &AppState) {
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Paragraph, Wrap};
    let theme = &state.settings.theme;
    let area = frame.area();
    let quit =
        state.settings.keymap.keys_for(&[crate::console::keymap::Mode::Global], crate::console::action::Action::Quit);
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
