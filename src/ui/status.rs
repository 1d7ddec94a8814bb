//! The header line (what you look at, how fresh it is), the status line (messages, input, key
//! hints, queued actions, who you are) and the confirmation dialog.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::action::Action;
use crate::domain::text::truncate;
use crate::keymap::Mode;
use crate::state::{AppState, Confirm, InputKind, Level};
use crate::tabs::TabId;

/// The freshness badge: `● live`, `STALE since 14:03:22`, or `CACHED … · connecting`.
pub fn freshness(state: &AppState) -> (String, bool) {
    let at = |t| crate::ui::clock(t, t, state.settings.timezone);
    match (&state.sync.failing, state.sync.live, state.sync.last_ok) {
        (None, true, _) => ("● live".to_string(), false),
        (Some(_), _, Some(last)) => (format!(" STALE since {} ", at(last)), true),
        (Some(_), _, None) => (" STALE: never synced ".to_string(), true),
        (None, false, Some(last)) => (format!(" CACHED {} · connecting ", at(last)), true),
        (None, false, None) => (" connecting… ".to_string(), true),
    }
}

pub fn draw_header(frame: &mut Frame<'_>, area: Rect, state: &AppState, now: DateTime<Utc>) {
    let theme = &state.settings.theme;
    let mut left = vec![Span::styled(" opsdeck ", theme.accent()), Span::styled("│", theme.muted())];
    // The tab bar: the number key, the name, and for SLA how many clocks are in trouble.
    for tab in TabId::ALL {
        let style = if tab == state.tab { theme.selected().add_modifier(Modifier::BOLD) } else { theme.muted() };
        left.push(Span::raw(" "));
        // Short names below 100 columns, so the counts and freshness still fit.
        let name = if area.width < 100 { tab.short_title() } else { tab.title() };
        left.push(Span::styled(format!("{} {name}", tab.number()), style));
        if tab == TabId::Sla
            && let Some((text, band)) = crate::ui::sla::badge(state, now)
        {
            left.push(Span::styled(format!(" {text}"), theme.band(band)));
        }
    }
    left.push(Span::styled(" │ ", theme.muted()));
    let (counts, filter, shown) = match state.tab {
        TabId::Incidents => {
            let tab = &state.incidents;
            let counts = if tab.loaded() < tab.total() {
                format!("{} open · {} (loading {})", tab.open_count(), tab.total(), tab.loaded())
            } else {
                format!("{} open · {}", tab.open_count(), tab.total())
            };
            (counts, tab.filter(), tab.visible_len())
        }
        TabId::Tickets => {
            let tab = &state.tickets;
            (format!("{} open · {}", tab.open_count(), tab.len()), tab.filter(), tab.visible_len())
        }
        TabId::Sla => (format!("{} running", state.sla.rows().len()), "", 0),
        TabId::Drift => (format!("{} models", state.drift.data.models.len()), "", 0),
        TabId::Calendar => {
            (format!("{} windows", state.calendar.windows().iter().filter(|w| !w.cancelled).count()), "", 0)
        }
        TabId::Postmortems => (format!("{} postmortems", state.postmortems.listed_len()), "", 0),
    };
    left.push(Span::styled(counts, theme.muted()));
    if !filter.is_empty() {
        left.push(Span::styled(format!("  /{} ({shown})", truncate(filter, 20)), theme.accent()));
    }

    let (badge, stale) = freshness(state);
    let mut right = vec![Span::raw(" ")];
    if state.read_only_reason().is_some() {
        right.push(Span::styled(" READ-ONLY ", theme.stale_badge()));
        right.push(Span::raw(" "));
    }
    if state.session.demo {
        right.push(Span::styled("DEMO", theme.accent()));
    } else {
        right.push(Span::styled(state.session.backend_label.clone(), theme.muted()));
    }
    right.push(Span::raw(" "));
    right.push(Span::styled(badge, if stale { theme.stale_badge() } else { theme.ok() }));
    right.push(Span::raw(" "));

    let right_width: usize = right.iter().map(|s| s.width()).sum();
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width as u16)]).areas(area);
    frame.render_widget(Line::from(left), left_area);
    frame.render_widget(Line::from(right), right_area);
}

pub fn draw_footer(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let theme = &state.settings.theme;
    let mut right = vec![Span::raw(" ")];
    let queued = state.outbox.len();
    if queued > 0 {
        let waiting = state.sync.is_stale() || state.outbox.is_paused();
        let text = if waiting { format!("⧗ {queued} queued ") } else { format!("⧗ {queued} sending ") };
        right.push(Span::styled(text, theme.pending()));
    }
    let rejected = state.outbox.rejected().len();
    if rejected > 0 {
        right.push(Span::styled(format!("✗ {rejected} rejected "), theme.error()));
    }
    match &state.session.me {
        Some(me) => right.push(Span::styled(format!("{} · {} ", me.name, me.role.label()), theme.muted())),
        None => right.push(Span::styled("signing in… ", theme.muted())),
    }
    let right_width: usize = right.iter().map(|s| s.width()).sum();
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width as u16)]).areas(area);
    frame.render_widget(Line::from(right), right_area);

    if let Some(input) = &state.input {
        let label = match &input.kind {
            InputKind::Filter => " / ".to_string(),
            InputKind::Note { incident_id } => format!(" note on {incident_id}: "),
            InputKind::Assign { key } => format!(" assign {key} to: "),
            InputKind::ImportPath => " import windows from: ".to_string(),
            InputKind::OpenTicket { incident_id } => format!(" open a ticket of {incident_id}: "),
        };
        let [label_area, text_area] =
            Layout::horizontal([Constraint::Length(label.chars().count() as u16), Constraint::Min(1)]).areas(left_area);
        frame.render_widget(Span::styled(label, theme.accent()), label_area);
        frame.render_widget(&input.textarea, text_area);
        return;
    }
    if let Some(flash) = &state.flash {
        let style = match flash.level {
            Level::Info => Style::new(),
            Level::Success => theme.ok(),
            Level::Warning => theme.warning(),
            Level::Error => theme.error(),
        };
        frame.render_widget(Line::from(Span::styled(format!(" {}", flash.text), style)), left_area);
        return;
    }
    if let Some((_, error)) = &state.sync.failing {
        frame.render_widget(Line::from(Span::styled(format!(" {error}"), theme.warning())), left_area);
        return;
    }
    frame.render_widget(hints(state, usize::from(left_area.width)), left_area);
}

/// Key hints for the view under any dialog, from the keymap, as many as fit in `width`.
fn hints(state: &AppState, width: usize) -> Line<'static> {
    let keymap = &state.settings.keymap;
    let theme = &state.settings.theme;
    const INCIDENT: &[(Action, &str)] = &[
        (Action::Acknowledge, "ack"),
        (Action::Escalate, "escalate"),
        (Action::Resolve, "resolve"),
        (Action::AddNote, "note"),
    ];
    const TICKET: &[(Action, &str)] = &[
        (Action::Take, "take"),
        (Action::FirstResponse, "responded"),
        (Action::TogglePending, "pending"),
        (Action::Escalate, "escalate"),
        (Action::Assign, "assign"),
        (Action::Resolve, "resolve"),
    ];
    const SLA: &[(Action, &str)] = &[(Action::Open, "open item")];
    const POSTMORTEMS: &[(Action, &str)] = &[
        (Action::Open, "edit"),
        (Action::CycleStatusFilter, "status filter"),
        (Action::AdvanceStatus, "next status"),
        (Action::ExportMarkdown, "export"),
    ];
    const EDITOR: &[(Action, &str)] = &[
        (Action::SavePostmortem, "save"),
        (Action::ExternalEditor, "$EDITOR"),
        (Action::Find, "find"),
        (Action::NextField, "title/body/item"),
        (Action::CloseEditor, "close"),
    ];
    const CONFLICT: &[(Action, &str)] =
        &[(Action::TakeTheirs, "theirs"), (Action::KeepMine, "mine"), (Action::SaveMineOnTop, "mine on top")];
    const CALENDAR: &[(Action, &str)] = &[
        (Action::PrevMonth, "month"),
        (Action::NextMonth, "month"),
        (Action::Open, "details"),
        (Action::NewWindow, "new"),
        (Action::CancelWindow, "cancel"),
    ];
    let detail_open = state.calendar.detail().is_some();
    const DRIFT: &[(Action, &str)] = &[
        (Action::NextModel, "model"),
        (Action::NextFeature, "feature"),
        (Action::NextStatistic, "statistic"),
        (Action::EarlierWindow, "earlier"),
        (Action::LaterWindow, "later"),
        (Action::ZoomIn, "zoom"),
        (Action::NextView, "view"),
    ];
    const DETAIL: &[(Action, &str)] = &[(Action::Back, "back"), (Action::Help, "help")];
    const LIST: &[(Action, &str)] = &[
        (Action::Help, "help"),
        (Action::Open, "open"),
        (Action::Filter, "filter"),
        (Action::NextTab, "next tab"),
        (Action::Quit, "quit"),
    ];
    const SLA_REST: &[(Action, &str)] =
        &[(Action::Help, "help"), (Action::NextTab, "next tab"), (Action::Quit, "quit")];
    let layers = state.layers();
    let detail = layers.contains(&Mode::Detail);
    let (first, rest) = match state.tab {
        TabId::Incidents => (INCIDENT, if detail { DETAIL } else { LIST }),
        TabId::Tickets => (TICKET, if detail { DETAIL } else { LIST }),
        TabId::Sla => (SLA, SLA_REST),
        TabId::Drift => (DRIFT, SLA_REST),
        TabId::Calendar => (CALENDAR, if detail_open { DETAIL } else { SLA_REST }),
        // Keys other than these type into the text (or are not bound) in the editor.
        TabId::Postmortems if layers.contains(&Mode::Conflict) => (CONFLICT, &[][..]),
        TabId::Postmortems if state.editor.is_some() => (EDITOR, &[][..]),
        TabId::Postmortems => (POSTMORTEMS, SLA_REST),
    };
    let actions = first.iter().chain(rest);
    let disabled = state.read_only_reason().is_some();
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (action, label) in actions {
        let key = keymap.key_label(&layers, *action);
        let text = format!(" {label}  ");
        used += key.chars().count() + text.chars().count();
        if used > width {
            break;
        }
        let style = if disabled && action.is_dangerous() { theme.muted() } else { Style::new() };
        spans.push(Span::styled(key, theme.accent()));
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

pub fn draw_confirm(frame: &mut Frame<'_>, area: Rect, state: &AppState, confirm: &Confirm) {
    let theme = &state.settings.theme;
    let keymap = &state.settings.keymap;
    let width = area.width.saturating_sub(4).min(64);
    let popup = crate::ui::centered(area, width, 6);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent())
        .title(Span::styled(format!(" {} {}? ", capitalized(confirm.command.verb()), confirm.id), theme.header()));
    let text = vec![
        Line::from(confirm.title.clone()),
        Line::from(""),
        Line::from(vec![
            Span::styled(keymap.key_label(&[Mode::Confirm], Action::Confirm), theme.accent()),
            Span::raw(format!(" {}   ", confirm.command.verb())),
            Span::styled(keymap.key_label(&[Mode::Confirm], Action::Cancel), theme.accent()),
            Span::raw(" cancel"),
        ]),
    ];
    frame.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: true }), popup);
}

fn capitalized(verb: &str) -> String {
    let mut chars = verb.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
