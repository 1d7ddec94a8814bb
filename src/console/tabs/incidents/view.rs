//! The incident list and the incident detail with its timeline.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table};

use crate::console::clocks::{Which, nearest_clock};
use crate::console::state::AppState;
use crate::console::tabs::incidents::Row;
use crate::console::tabs::sla::view::clock_line;
use crate::console::widgets::clock;
use crate::console::widgets::history::{HistoryEntry, draw_detail_view};
use crate::domain::duration::{ago, compact};
use crate::domain::{EventKind, IncidentStatus};
use crate::sla::ClockState;

struct Columns {
    widths: Vec<Constraint>,
    /// Narrow terminals drop tier and assignee.
    wide: bool,
    /// Time left on the nearest SLA clock, from 90 columns.
    left: bool,
}

/// `id_width` fits the longest id on screen, so ids are never cut (INC-10001 vs INC-10002).
fn columns(width: u16, id_width: u16) -> Columns {
    let wide = width >= 70;
    let left = width >= 90;
    let service = if width >= 110 { 17 } else { 12 };
    let who = if width >= 140 { 12 } else { 8 };
    let mut widths = vec![
        Constraint::Length(2),
        Constraint::Length(5),
        Constraint::Length(id_width),
        Constraint::Length(service),
        Constraint::Min(10),
        Constraint::Length(6),
    ];
    if left {
        widths.push(Constraint::Length(7));
    }
    if wide {
        widths.push(Constraint::Length(2));
        widths.push(Constraint::Length(who));
    }
    Columns { widths, wide, left }
}

pub fn draw_list(frame: &mut Frame<'_>, area: Rect, state: &AppState, now: DateTime<Utc>) {
    let theme = &state.settings.theme;
    let tab = &state.incidents;
    let rows_shown = usize::from(area.height.saturating_sub(1));
    let id_width = tab
        .visible_rows(tab.offset(), rows_shown)
        .map(|r| r.incident().id.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(4, 16) as u16;
    let cols = columns(area.width, id_width);
    let mut header = vec!["P", "State", "Id", "Service", "Title", "Age"];
    if cols.left {
        header.push("Left");
    }
    if cols.wide {
        header.extend(["T", "Assignee"]);
    }
    let header = TableRow::new(header.into_iter().map(Cell::from)).style(theme.header());

    if tab.visible_len() == 0 {
        let text = if tab.total() == 0 {
            if state.sync.live {
                "No incidents. All quiet."
            } else {
                "No incidents cached yet; waiting for the backend…"
            }
        } else {
            "No incident matches the filter (Esc clears it)."
        };
        let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        frame.render_widget(Table::new(Vec::<TableRow>::new(), cols.widths).header(header), head);
        frame.render_widget(Paragraph::new(Line::styled(format!(" {text}"), theme.muted())), body);
        return;
    }

    let selected = tab.selected_index();
    let offset = tab.offset();
    let rows = tab.visible_rows(offset, rows_shown).enumerate().map(|(i, row)| {
        let table_row = list_row(row, state, now, &cols);
        if offset + i == selected { table_row.style(theme.selected()) } else { table_row }
    });
    frame.render_widget(Table::new(rows, cols.widths.clone()).header(header).column_spacing(1), area);
}

fn list_row<'a>(row: &'a Row, state: &AppState, now: DateTime<Utc>, cols: &Columns) -> TableRow<'a> {
    let theme = &state.settings.theme;
    let inc = row.incident();
    let pending = !row.pending.is_empty();
    let status =
        if pending { format!("{}{}", inc.status.short(), theme.glyphs.queued) } else { inc.status.short().to_string() };
    let status_style = if pending { theme.pending() } else { theme.status(inc.status) };
    let muted = !inc.is_open();
    let text_style = if muted { theme.muted() } else { Style::new() };
    let mut cells = vec![
        Cell::from(Span::styled(inc.priority.label(), theme.priority(inc.priority))),
        Cell::from(Span::styled(status, status_style)),
        Cell::from(Span::styled(inc.id.as_str(), text_style)),
        Cell::from(Span::styled(inc.service_id.as_str(), text_style)),
        // Under a window that suppresses new alerts: this one is already open and keeps paging.
        Cell::from(if !muted && state.calendar.suppressed(&inc.service_id, now) {
            Line::from(vec![Span::styled("[maint] ", theme.pending()), Span::styled(inc.title.as_str(), text_style)])
        } else {
            Line::from(Span::styled(inc.title.as_str(), text_style))
        }),
        Cell::from(Span::styled(compact((now - inc.triggered_at).num_seconds()), theme.muted())),
    ];
    if cols.left {
        cells.push(Cell::from(
            match nearest_clock(inc, state.calendar.sla_pauses(&inc.service_id), &state.settings.sla, now) {
                Some(clock) => Span::styled(left_label(&clock), theme.band(clock.band)),
                None => Span::styled("—", theme.muted()),
            },
        ));
    }
    if cols.wide {
        cells.push(Cell::from(Span::styled(inc.tier.label(), text_style)));
        cells.push(Cell::from(Span::styled(inc.assignee.as_deref().unwrap_or("—"), text_style)));
    }
    TableRow::new(cells)
}

/// Time left to the minute (`14m`, `2h05m`, `3d04h`), `+12m` once breached, `⏸` while paused: the
/// list changes once a minute, the SLA tab counts seconds.
fn left_label(clock: &ClockState) -> String {
    let minutes = clock.overdue.unwrap_or(clock.remaining).num_minutes().abs();
    let span = match minutes {
        m if m < 60 => format!("{m}m"),
        m if m < 1440 => format!("{}h{:02}m", m / 60, m % 60),
        m => format!("{}d{:02}h", m / 1440, (m % 1440) / 60),
    };
    let span = if clock.breached { format!("+{span}") } else { span };
    if clock.paused { format!("⏸{span}") } else { span }
}

pub fn draw_detail(frame: &mut Frame<'_>, area: Rect, state: &AppState, row: &Row, now: DateTime<Utc>) {
    let theme = &state.settings.theme;
    let tz = state.settings.timezone;
    let inc = row.incident();
    let scroll = state.incidents.detail().map_or(0, |d| d.scroll);
    let service = state.services.get(&inc.service_id).map(|s| s.name.as_str());

    let mut head = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", inc.id), theme.header()),
            Span::styled(format!("{} ", inc.priority.label()), theme.priority(inc.priority)),
            Span::styled(format!("{} ", inc.status.label().to_uppercase()), theme.status(inc.status)),
            Span::raw(format!("{} {} ", inc.tier.label(), inc.tier.name())),
            Span::styled(
                format!("{} {}", theme.glyphs.arrow, inc.assignee.as_deref().unwrap_or("nobody")),
                theme.muted(),
            ),
        ]),
        Line::from(Span::styled(format!(" {}", inc.title), theme.header())),
        Line::from(Span::styled(
            format!(
                " {}{} · triggered {} ({}) · v{}",
                inc.service_id,
                service.map(|s| format!(" ({s})")).unwrap_or_default(),
                clock(inc.triggered_at, now, tz),
                ago(now, inc.triggered_at),
                row.confirmed.version
            ),
            theme.muted(),
        )),
    ];
    let linked = state.linked_tickets(&inc.id);
    if !linked.is_empty() {
        head.push(tickets_line(state, &linked));
    }
    // The same SLA clocks as tickets: response stops at the first acknowledgement.
    head.extend(Which::BOTH.map(|which| clock_line(state, &state.calendar.incident_clock(inc, which), now)));
    let entries: Vec<HistoryEntry<'_>> = inc
        .timeline
        .iter()
        .map(|event| HistoryEntry {
            at: event.at,
            kind: event.kind.label(),
            style: match event.kind {
                EventKind::Triggered | EventKind::Escalated => theme.status(IncidentStatus::Triggered),
                EventKind::Acknowledged => theme.status(IncidentStatus::Acknowledged),
                EventKind::Resolved => theme.ok(),
                _ => Style::new(),
            },
            actor: &event.actor,
            text: &event.text,
            starred: event.starred,
        })
        .collect();
    draw_detail_view(frame, area, state, head, "timeline", &entries, &inc.id, scroll, now);
}

/// ` tickets: SUP-2042 (Northwind Travel, new) · T opens it`: the customer reports linked to an
/// incident, and the key that opens one.
fn tickets_line(state: &AppState, keys: &[String]) -> Line<'static> {
    let theme = &state.settings.theme;
    let (mode, action) = (crate::console::keymap::Mode::Incidents, crate::console::action::Action::OpenLinkedTicket);
    let key = state.settings.keymap.key_label(&[mode], action);
    let mut spans = vec![Span::raw(if keys.len() == 1 { " ticket: " } else { " tickets: " })];
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(", "));
        }
        spans.push(Span::styled(k.clone(), theme.accent()));
        if let Some(t) = state.tickets.row(k).map(|r| r.ticket()) {
            spans.push(Span::styled(format!(" ({}, {})", t.customer, t.status.label()), theme.muted()));
        }
    }
    let what = if keys.len() == 1 { "opens it" } else { "opens one" };
    spans.push(Span::styled(format!(" · {key} {what}"), theme.muted()));
    Line::from(spans)
}
