//! The ticket queue (sorted by time to breach, with both SLA clocks) and the ticket detail
//! with its clocks and history.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table};

use crate::domain::duration::ago;
use crate::domain::{TicketEventKind, TicketStatus};
use crate::state::AppState;
use crate::tabs::clocks::Which;
use crate::tabs::tickets::TicketRow;
use crate::ui::clock;
use crate::ui::history::{HistoryEntry, draw_detail_view};
use crate::ui::sla::{clock_line, countdown};

fn status_style(state: &AppState, status: TicketStatus) -> Style {
    let theme = &state.settings.theme;
    match status {
        TicketStatus::New => theme.accent(),
        TicketStatus::Open => Style::new(),
        TicketStatus::Pending => theme.muted(),
        TicketStatus::Resolved | TicketStatus::Closed => theme.muted(),
    }
}

pub fn draw_list(frame: &mut Frame<'_>, area: Rect, state: &AppState, now: DateTime<Utc>) {
    let theme = &state.settings.theme;
    let policy = &state.settings.sla;
    let tab = &state.tickets;
    let wide = area.width >= 110;
    let viewport = usize::from(area.height.saturating_sub(1));
    let cursor = tab.cursor();
    // Keys are never cut; one more cell for the queued mark.
    let key_width =
        tab.visible_rows(cursor.offset, viewport).map(|r| r.confirmed.key.chars().count() + 1).max().unwrap_or(9);
    let mut widths = vec![
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Length(key_width.clamp(5, 16) as u16),
        Constraint::Length(9),
        Constraint::Length(9),
    ];
    let mut header = vec!["P", "T", "Key", "Response", "Resolve"];
    if wide {
        widths.extend([Constraint::Length(8), Constraint::Length(18), Constraint::Length(10)]);
        header.extend(["Status", "Customer", "Assignee"]);
    }
    widths.push(Constraint::Min(10));
    header.push("Subject");
    let header = TableRow::new(header.into_iter().map(Cell::from)).style(theme.header());

    if tab.visible_len() == 0 {
        let text = if tab.is_empty() {
            if state.sync.live {
                "No tickets. The queue is empty."
            } else {
                "No tickets cached yet; waiting for the backend…"
            }
        } else {
            "No ticket matches the filter (Esc clears it)."
        };
        let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        frame.render_widget(Table::new(Vec::<TableRow>::new(), widths).header(header), head);
        frame.render_widget(Paragraph::new(Line::styled(format!(" {text}"), theme.muted())), body);
        return;
    }
    let rows = tab.visible_rows(cursor.offset, viewport).enumerate().map(|(i, row)| {
        let t = row.ticket();
        let clock_cell = |which| {
            let state_now = state.calendar.ticket_clock(t, which).evaluate(policy, now);
            let style = if state_now.stopped || state_now.paused { theme.muted() } else { theme.band(state_now.band) };
            Cell::from(Span::styled(countdown(&state_now, false), style))
        };
        let pending = !row.pending.is_empty();
        let key = if pending { format!("{}{}", t.key, theme.glyphs.queued) } else { t.key.clone() };
        let text_style = if t.is_open() { Style::new() } else { theme.muted() };
        let mut cells = vec![
            Cell::from(Span::styled(t.priority.label(), theme.priority(t.priority))),
            Cell::from(Span::styled(t.tier.label(), text_style)),
            Cell::from(Span::styled(key, if pending { theme.pending() } else { text_style })),
            clock_cell(Which::Response),
            clock_cell(Which::Resolution),
        ];
        if wide {
            cells.push(Cell::from(Span::styled(t.status.label(), status_style(state, t.status))));
            cells.push(Cell::from(Span::styled(t.customer.as_str(), text_style)));
            cells.push(Cell::from(Span::styled(t.assignee.as_deref().unwrap_or("—"), text_style)));
        }
        cells.push(Cell::from(Span::styled(t.subject.as_str(), text_style)));
        let table_row = TableRow::new(cells);
        if cursor.offset + i == cursor.selected { table_row.style(theme.selected()) } else { table_row }
    });
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), area);
}

pub fn draw_detail(frame: &mut Frame<'_>, area: Rect, state: &AppState, row: &TicketRow, now: DateTime<Utc>) {
    let theme = &state.settings.theme;
    let tz = state.settings.timezone;
    let t = row.ticket();
    let scroll = state.tickets.detail().map_or(0, |d| d.scroll);
    let service = state.services.get(&t.service_id).map(|s| s.name.as_str());

    let mut head = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", t.key), theme.header()),
            Span::styled(format!("{} ", t.priority.label()), theme.priority(t.priority)),
            Span::styled(format!("{} ", t.status.label().to_uppercase()), status_style(state, t.status)),
            Span::raw(format!("{} {} ", t.tier.label(), t.tier.name())),
            Span::styled(
                format!("{} {}", theme.glyphs.arrow, t.assignee.as_deref().unwrap_or("unassigned")),
                theme.muted(),
            ),
        ]),
        Line::from(Span::styled(format!(" {}", t.subject), theme.header())),
        Line::from(Span::styled(
            format!(
                " {} · {}{} · opened {} ({}){} · v{}",
                t.customer,
                t.service_id,
                service.map(|s| format!(" ({s})")).unwrap_or_default(),
                clock(t.created_at, now, tz),
                ago(now, t.created_at),
                t.linked_incident.as_ref().map(|i| format!(" · linked to {i}")).unwrap_or_default(),
                row.confirmed.version
            ),
            theme.muted(),
        )),
    ];
    head.extend(Which::BOTH.map(|which| clock_line(state, &state.calendar.ticket_clock(t, which), now)));
    let entries: Vec<HistoryEntry<'_>> = t
        .history
        .iter()
        .map(|event| HistoryEntry {
            at: event.at,
            kind: event.kind.label(),
            style: match event.kind {
                TicketEventKind::Created | TicketEventKind::Escalated => theme.accent(),
                TicketEventKind::Resolved | TicketEventKind::Responded => theme.ok(),
                TicketEventKind::Pending | TicketEventKind::Closed => theme.muted(),
                _ => Style::new(),
            },
            actor: &event.actor,
            text: &event.text,
            starred: false,
        })
        .collect();
    draw_detail_view(frame, area, state, head, "history", &entries, &t.key, scroll, now);
}
