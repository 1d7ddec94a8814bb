//! The message log (`L`): the last 50 messages with their times, newest first, so an error that
//! was replaced, or came while the user looked away, can still be read in full.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::console::state::{AppState, Level};
use crate::console::widgets::clock;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &AppState, scroll: usize, now: DateTime<Utc>) {
    let theme = &state.settings.theme;
    let tz = state.settings.timezone;
    let title = format!(" Messages: the last {} (Esc closes) ", crate::console::state::MESSAGES_KEPT);
    let inner = crate::console::widgets::help::panel(frame, area, title, state);
    let mut lines = Vec::new();
    if let Some(error) = &state.config_error {
        lines.push(Line::styled("The config file on disk is invalid; the previous one is in force:", theme.error()));
        lines.push(Line::styled(format!("  {error}"), theme.error()));
        lines.push(Line::from(""));
    }
    if state.messages.is_empty() {
        lines.push(Line::styled("No messages yet.", theme.muted()));
    }
    for message in state.messages.newest_first() {
        let (mark, style) = match message.level {
            Level::Error => ("✗", theme.error()),
            Level::Warning => ("!", theme.warning()),
            Level::Success => ("✓", theme.ok()),
            Level::Info => (" ", theme.muted()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} {mark} ", clock(message.at, now, tz)), style),
            Span::raw(message.text.clone()),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll as u16, 0)), inner);
}
