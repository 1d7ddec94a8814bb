//! Panels drawn over the tab: the help screen (its lines laid out in `layout::help`) and the
//! outbox.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::console::action::Action;
use crate::console::keymap::Mode;
use crate::console::state::AppState;
use crate::console::widgets::clock;

use crate::console::layout::help::panel_area;
pub use crate::console::layout::help::{help_lines, help_scroll_limits};
use crate::domain::{Command, IncidentAction, PostmortemAction, TicketAction};

pub(crate) fn panel(frame: &mut Frame<'_>, area: Rect, title: String, state: &AppState) -> Rect {
    let popup = panel_area(area);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(state.settings.theme.accent())
        .title(Span::styled(title, state.settings.theme.header()));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    inner
}

pub fn draw_help(frame: &mut Frame<'_>, area: Rect, state: &AppState, scroll: usize) {
    let theme = &state.settings.theme;
    let popup = panel_area(area);
    let block = Block::default().borders(Borders::ALL).border_style(theme.accent());
    let inner = block.inner(popup);
    let lines = help_lines(state, inner.width);
    let (_, max) = help_scroll_limits(state, (area.width, area.height));
    let scroll = scroll.min(max);
    let keys = &state.settings.keymap;
    let more = if scroll < max {
        format!(
            " more: {} {} ",
            keys.key_label(&[Mode::Overlay], Action::PageDown),
            keys.key_label(&[Mode::Overlay], Action::Last)
        )
    } else {
        " end ".to_string()
    };
    let block = block
        .title(Span::styled(" Keys (Esc closes) ", theme.header()))
        .title_bottom(Line::from(Span::styled(more, theme.muted())).right_aligned());
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    frame.render_widget(Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)), inner);
}

pub fn draw_outbox(frame: &mut Frame<'_>, area: Rect, state: &AppState, selected: usize, now: DateTime<Utc>) {
    let theme = &state.settings.theme;
    let tz = state.settings.timezone;
    let inner = panel(frame, area, " Outbox: j/k select · d drop · r retry a rejected one · Esc closes ".into(), state);
    let pick = |row: usize, style: Style| if row == selected { theme.selected() } else { style };
    let mut row = 0;
    let mut selected_line = 0;
    let describe = |command: &Command| match command {
        Command::Incident(IncidentAction::Note { text }) => format!("note “{text}”"),
        Command::Incident(IncidentAction::Star { event, starred }) => {
            format!("{} timeline event #{event}", if *starred { "star" } else { "unstar" })
        }
        Command::Ticket(TicketAction::Assign { to }) => format!("assign to “{to}”"),
        Command::Incident(IncidentAction::Reassign { to }) => format!("reassign to “{to}”"),
        Command::Maintenance(action) => match action.title() {
            Some(title) => format!("{} window “{title}”", action.verb()),
            None => format!("{} window", action.verb()),
        },
        Command::Postmortem(PostmortemAction::Save { draft, .. }) => {
            format!("save “{}” ({} lines, kept here until the backend has it)", draft.title, draft.body.lines().count())
        }
        Command::Postmortem(PostmortemAction::SetStatus { status }) => format!("move to {}", status.label()),
        other => other.verb().to_string(),
    };
    let mut lines = vec![Line::styled("Queued, sent in this order:", theme.header())];
    if state.outbox.is_empty() {
        lines.push(Line::styled("  nothing queued", theme.muted()));
    }
    for entry in state.outbox.pending() {
        if row == selected {
            selected_line = lines.len();
        }
        let sending = state.outbox.in_flight() == Some(entry.key.as_str());
        let mut spans = vec![
            Span::styled(
                format!("  {} {} ", theme.glyphs.queued, clock(entry.created_at, now, tz)),
                pick(row, theme.pending()),
            ),
            Span::styled(format!("{} ", entry.target_id), theme.accent()),
            Span::raw(describe(&entry.action)),
        ];
        if let Some(error) = &entry.last_error {
            spans.push(Span::styled(format!("  ({} attempts; {error})", entry.attempts), theme.warning()));
        }
        if sending {
            spans.push(Span::styled("  (sending now)", theme.muted()));
        }
        lines.push(Line::from(spans));
        row += 1;
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Rejected by the backend (kept here, newest first):", theme.header()));
    if state.outbox.rejected().is_empty() {
        lines.push(Line::styled("  nothing rejected", theme.muted()));
    }
    for rejected in state.outbox.rejected() {
        if row == selected {
            selected_line = lines.len();
        }
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} {} ", theme.glyphs.rejected, clock(rejected.rejected_at, now, tz)),
                pick(row, theme.error()),
            ),
            Span::styled(format!("{} ", rejected.entry.target_id), theme.accent()),
            Span::raw(describe(&rejected.entry.action)),
        ]));
        lines.push(Line::styled(format!("      {}", rejected.reason), theme.muted()));
        row += 1;
    }
    // The selected entry stays in view (long texts wrap, so this keeps a margin of lines).
    let scroll = selected_line.saturating_sub(usize::from(inner.height) / 2);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll as u16, 0)), inner);
}
