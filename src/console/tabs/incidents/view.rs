//! The incident list and the incident detail with its timeline.
//!
//! [`IncidentsView`] reads the tab's list and, of the shared data, the services, the tickets
//! linked to an incident, the calendar's SLA pauses and the policy, and the sync state and the
//! outbox (a timeline's queued actions).

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table, Widget};

use crate::console::clocks::{Which, nearest_clock};
use crate::console::state::AppState;
use crate::console::tabs::incidents::{IncidentsTab, Row};
use crate::console::tabs::sla::view::clock_line;
use crate::console::tabs::{TabView, ViewContext};
use crate::console::widgets::history::{HistoryEntry, draw_detail_view};
use crate::console::widgets::{Draw, clock};
use crate::domain::duration::ago;
use crate::domain::{EventKind, IncidentStatus};
use crate::sla::ClockState;

/// The Incidents tab's body: the list, or the open incident's timeline.
pub struct IncidentsView<'a> {
    pub tab: &'a IncidentsTab,
    pub cx: &'a ViewContext<'a>,
    pub app: &'a AppState,
}

impl TabView for IncidentsTab {
    fn render(&self, area: Rect, buf: &mut Buffer, cx: &ViewContext<'_>, app: &AppState) {
        IncidentsView { tab: self, cx, app }.render(area, buf);
    }
}

impl Widget for IncidentsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        match self.tab.detail_row() {
            Some(row) => draw_detail(buf, area, &self, row, self.cx.now),
            None => draw_list(buf, area, &self, self.cx.now),
        }
    }
}

struct Columns {
    widths: Vec<Constraint>,
    /// Narrow terminals drop tier and assignee.
    wide: bool,
    /// Time left on the nearest SLA clock, from 90 columns.
    left: bool,
    /// The source an incident came from, from 120 columns when an incident on screen has one.
    source: bool,
}

/// `id_width` fits the longest id on screen, so ids are never cut (INC-10001 vs INC-10002).
fn columns(width: u16, id_width: u16, source_width: Option<u16>) -> Columns {
    let wide = width >= 70;
    let left = width >= 90;
    let service = if width >= 110 { 17 } else { 12 };
    let who = if width >= 140 { 12 } else { 8 };
    let mut widths =
        vec![Constraint::Length(2), Constraint::Length(5), Constraint::Length(id_width), Constraint::Length(service)];
    let source = match source_width.filter(|_| width >= SOURCE_COLUMN_FROM) {
        Some(w) => {
            widths.push(Constraint::Length(w));
            true
        }
        None => false,
    };
    widths.extend([Constraint::Min(10), Constraint::Length(6)]);
    if left {
        widths.push(Constraint::Length(7));
    }
    if wide {
        widths.push(Constraint::Length(2));
        widths.push(Constraint::Length(who));
    }
    Columns { widths, wide, left, source }
}

/// The Incidents list shows a Source column from this width on.
const SOURCE_COLUMN_FROM: u16 = 120;

fn draw_list(buf: &mut Buffer, area: Rect, v: &IncidentsView<'_>, now: DateTime<Utc>) {
    let theme = v.cx.theme;
    let tab = v.tab;
    let rows_shown = usize::from(area.height.saturating_sub(1));
    let id_width = tab
        .visible_rows(tab.offset(), rows_shown)
        .map(|r| r.incident().id.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(4, 16) as u16;
    // A Source column only when an incident on screen came from one (no column in a world of
    // opsdeck's own incidents), as wide as the longest name there.
    let source_width = tab
        .visible_rows(tab.offset(), rows_shown)
        .filter_map(|r| r.incident().source.as_ref().map(|s| s.chars().count()))
        .max()
        .map(|w| w.clamp(6, 20) as u16);
    let cols = columns(area.width, id_width, source_width);
    let mut header = vec!["P", "State", "Id", "Service"];
    if cols.source {
        header.push("Source");
    }
    header.extend(["Title", "Age"]);
    if cols.left {
        header.push("Left");
    }
    if cols.wide {
        header.extend(["T", "Assignee"]);
    }
    let header = TableRow::new(header.into_iter().map(Cell::from)).style(theme.header());

    if tab.visible_len() == 0 {
        let text = if tab.total() == 0 {
            if v.app.sync.live {
                "No incidents. All quiet."
            } else {
                "No incidents cached yet; waiting for the backend…"
            }
        } else if tab.filtering().is_some() {
            "Matching the filter…"
        } else {
            "No incident matches the filter (Esc clears it)."
        };
        let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        buf.render_widget(Table::new(Vec::<TableRow>::new(), cols.widths).header(header), head);
        buf.render_widget(Paragraph::new(Line::styled(format!(" {text}"), theme.muted())), body);
        return;
    }

    let selected = tab.selected_index();
    let offset = tab.offset();
    let rows = tab.visible_rows(offset, rows_shown).enumerate().map(|(i, row)| {
        let table_row = list_row(row, v, now, &cols);
        if offset + i == selected { table_row.style(theme.selected()) } else { table_row }
    });
    buf.render_widget(Table::new(rows, cols.widths.clone()).header(header).column_spacing(1), area);
}

fn list_row<'a>(row: &'a Row, v: &IncidentsView<'_>, now: DateTime<Utc>, cols: &Columns) -> TableRow<'a> {
    let theme = v.cx.theme;
    let inc = row.incident();
    let pending = !row.pending().is_empty();
    let status =
        if pending { format!("{}{}", inc.status.short(), theme.glyphs.queued) } else { inc.status.short().to_string() };
    let status_style = if pending { theme.pending() } else { theme.status(inc.status) };
    let muted = !inc.is_open();
    let text_style = if muted { theme.muted() } else { Style::new() };
    let mut cells = vec![
        Cell::from(Span::styled(inc.priority.label(), theme.priority(inc.priority))),
        Cell::from(Span::styled(status, status_style)),
        Cell::from(Span::styled(inc.id.clone(), text_style)),
        Cell::from(Span::styled(inc.service_id.clone(), text_style)),
    ];
    if cols.source {
        cells.push(Cell::from(Span::styled(inc.source.clone().unwrap_or_else(|| "—".into()), theme.muted())));
    }
    cells.extend([
        // Under a window that suppresses new alerts: this one is already open and keeps paging.
        Cell::from(if !muted && v.app.calendar.suppressed(&inc.service_id, now) {
            Line::from(vec![Span::styled("[maint] ", theme.pending()), Span::styled(inc.title.clone(), text_style)])
        } else {
            Line::from(Span::styled(inc.title.clone(), text_style))
        }),
        Cell::from(Span::styled(crate::console::time::age((now - inc.triggered_at).num_seconds()), theme.muted())),
    ]);
    if cols.left {
        cells.push(Cell::from(
            match nearest_clock(&inc, v.app.calendar.sla_pauses(&inc.service_id), &v.app.settings.sla, now) {
                Some(clock) => Span::styled(left_label(&clock), theme.band(clock.band)),
                None => Span::styled("—", theme.muted()),
            },
        ));
    }
    if cols.wide {
        cells.push(Cell::from(Span::styled(inc.tier.label(), text_style)));
        cells.push(Cell::from(Span::styled(inc.assignee.clone().unwrap_or_else(|| "—".into()), text_style)));
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

fn draw_detail(buf: &mut Buffer, area: Rect, v: &IncidentsView<'_>, row: &Row, now: DateTime<Utc>) {
    let theme = v.cx.theme;
    let tz = v.cx.zone;
    let inc = row.incident();
    let scroll = v.tab.detail().map_or(0, |d| d.scroll);
    let service = v.app.catalog.services.get(&inc.service_id).map(|s| s.name.as_str());

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
                " {}{}{} · triggered {} ({}) · v{}",
                inc.service_id,
                service.map(|s| format!(" ({s})")).unwrap_or_default(),
                inc.source.as_deref().map(|s| format!(" · from {s}")).unwrap_or_default(),
                clock(inc.triggered_at, now, tz),
                ago(now, inc.triggered_at),
                row.version()
            ),
            theme.muted(),
        )),
    ];
    let linked = v.app.linked_tickets(&inc.id);
    if !linked.is_empty() {
        head.push(tickets_line(v, &linked));
    }
    // The same SLA clocks as tickets: response stops at the first acknowledgement.
    head.extend(
        Which::BOTH.map(|which| clock_line(v.cx, &v.app.settings.sla, &v.app.calendar.incident_clock(&inc, which))),
    );
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
    // A compact row's timeline is being read from the cache (well under a frame).
    let title = if row.is_compact() { "timeline (reading it from the cache…)" } else { "timeline" };
    draw_detail_view(buf, area, v.app, head, title, &entries, &inc.id, scroll, now);
}

/// ` tickets: SUP-2042 (Northwind Travel, new) · T opens it`: the customer reports linked to an
/// incident, and the key that opens one.
fn tickets_line(v: &IncidentsView<'_>, keys: &[String]) -> Line<'static> {
    let theme = v.cx.theme;
    let (mode, action) = (crate::console::keymap::Mode::Incidents, crate::console::action::Action::OpenLinkedTicket);
    let key = v.cx.keymap.key_label(&[mode], action);
    let mut spans = vec![Span::raw(if keys.len() == 1 { " ticket: " } else { " tickets: " })];
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(", "));
        }
        spans.push(Span::styled(k.clone(), theme.accent()));
        if let Some(t) = v.app.tickets.row(k).map(|r| r.ticket()) {
            spans.push(Span::styled(format!(" ({}, {})", t.customer, t.status.label()), theme.muted()));
        }
    }
    let what = if keys.len() == 1 { "opens it" } else { "opens one" };
    spans.push(Span::styled(format!(" · {key} {what}"), theme.muted()));
    Line::from(spans)
}
