//! Panels drawn over the tab: the help screen (generated from the keymap) and the outbox.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::domain::{Command, IncidentAction, PostmortemAction, TicketAction};
use crate::state::AppState;
use crate::ui::clock;

fn panel(frame: &mut Frame<'_>, area: Rect, title: String, state: &AppState) -> Rect {
    let width = area.width.saturating_sub(4).clamp(20, 100);
    let height = area.height.saturating_sub(2).max(5);
    let popup = crate::ui::centered(area, width, height);
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
    let inner = panel(frame, area, " Keys (Esc closes) ".into(), state);
    let disabled = state.read_only_reason();
    let mut lines = Vec::new();
    if let Some(reason) = disabled {
        lines.push(Line::styled(format!("Read-only: actions marked ! are disabled ({reason})."), theme.warning()));
        lines.push(Line::from(""));
    }
    for section in state.settings.keymap.help_sections() {
        lines.push(Line::styled(section.title, theme.header()));
        for entry in section.entries {
            let dangerous = entry.action.is_dangerous();
            let style = if dangerous && disabled.is_some() { theme.muted() } else { Style::new() };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<16}", entry.keys), theme.accent()),
                Span::styled(if dangerous { "! " } else { "  " }, theme.warning()),
                Span::styled(entry.action.description(), style),
            ]));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::styled(
        "! changes shared state on the backend. Keys can be changed under [keys] in config.toml.",
        theme.muted(),
    ));
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), inner);
}

pub fn draw_outbox(frame: &mut Frame<'_>, area: Rect, state: &AppState, scroll: usize, now: DateTime<Utc>) {
    let theme = &state.settings.theme;
    let tz = state.settings.timezone;
    let inner = panel(frame, area, " Outbox: queued and rejected actions (Esc closes) ".into(), state);
    let describe = |command: &Command| match command {
        Command::Incident(IncidentAction::Note { text }) => format!("note “{text}”"),
        Command::Incident(IncidentAction::Star { event, starred }) => {
            format!("{} timeline event #{event}", if *starred { "star" } else { "unstar" })
        }
        Command::Ticket(TicketAction::Assign { to }) => format!("assign to “{to}”"),
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
        let mut spans = vec![
            Span::styled(format!("  {} {} ", theme.glyphs.queued, clock(entry.created_at, now, tz)), theme.pending()),
            Span::styled(format!("{} ", entry.target_id), theme.accent()),
            Span::raw(describe(&entry.action)),
        ];
        if let Some(error) = &entry.last_error {
            spans.push(Span::styled(format!("  ({} attempts; {error})", entry.attempts), theme.warning()));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Rejected by the backend (kept here, newest first):", theme.header()));
    if state.outbox.rejected().is_empty() {
        lines.push(Line::styled("  nothing rejected", theme.muted()));
    }
    for rejected in state.outbox.rejected() {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} {} ", theme.glyphs.rejected, clock(rejected.rejected_at, now, tz)),
                theme.error(),
            ),
            Span::styled(format!("{} ", rejected.entry.target_id), theme.accent()),
            Span::raw(describe(&rejected.entry.action)),
        ]));
        lines.push(Line::styled(format!("      {}", rejected.reason), theme.muted()));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll as u16, 0)), inner);
}
