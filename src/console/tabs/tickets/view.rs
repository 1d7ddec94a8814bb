//! The ticket queue (sorted by time to breach, with both SLA clocks, status and owner at every
//! width) and the ticket detail with the customer's message, its clocks and history.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Clear, Paragraph, Row as TableRow, Table, Widget};

use crate::console::action::Action;
use crate::console::clocks::Which;
use crate::console::keymap::Mode;
use crate::console::state::AppState;
use crate::console::tabs::sla::view::{clock_line, countdown};
use crate::console::tabs::tickets::{TicketRow, TicketsTab};
use crate::console::tabs::{TabView, ViewContext};
use crate::console::widgets::history::{HistoryEntry, draw_detail_view};
use crate::console::widgets::{Draw, clock};
use crate::domain::duration::ago;
use crate::domain::text::truncate;
use crate::domain::{TicketEventKind, TicketStatus};

/// The Tickets tab's body: the queue, or the open ticket's history.
pub struct TicketsView<'a> {
    pub tab: &'a TicketsTab,
    pub cx: &'a ViewContext<'a>,
    pub app: &'a AppState,
}

impl TabView for TicketsTab {
    fn render(&self, area: Rect, buf: &mut Buffer, cx: &ViewContext<'_>, app: &AppState) {
        TicketsView { tab: self, cx, app }.render(area, buf);
    }
}

impl Widget for TicketsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        match self.tab.detail_row() {
            Some(row) => draw_detail(buf, area, &self, row, self.cx.now),
            None => draw_list(buf, area, &self, self.cx.now),
        }
    }
}

fn status_style(v: &TicketsView<'_>, status: TicketStatus) -> Style {
    let theme = v.cx.theme;
    match status {
        TicketStatus::New => theme.accent(),
        TicketStatus::Open => Style::new(),
        TicketStatus::Pending => theme.muted(),
        TicketStatus::Resolved | TicketStatus::Closed => theme.muted(),
    }
}

/// ` linked to INC-1001 (i opens it) · P1 triggered: Gateway 5xx …`: the incident a ticket
/// reports, as known here, and the key that follows the link.
fn link_line(v: &TicketsView<'_>, id: &str) -> Line<'static> {
    let theme = v.cx.theme;
    let key = v.cx.keymap.key_label(&[Mode::Tickets], Action::OpenLinkedIncident);
    let mut spans = vec![Span::raw(" linked to "), Span::styled(id.to_string(), theme.accent())];
    match v.app.incidents.row(id).map(|r| r.incident()) {
        Some(inc) => {
            spans.push(Span::styled(format!(" ({key} opens it) · "), theme.muted()));
            spans.push(Span::styled(format!("{} ", inc.priority.label()), theme.priority(inc.priority)));
            spans.push(Span::styled(inc.status.label().to_string(), theme.status(inc.status)));
            spans.push(Span::raw(format!(": {}", inc.title)));
        }
        None => spans.push(Span::styled(" (not known here yet)", theme.muted())),
    }
    Line::from(spans)
}

/// The hint under a prompt that completes names or keys (`A` assign, `T` with several linked
/// tickets), on the last row of `area`, just above the prompt.
pub fn draw_prompt_hint(buf: &mut Buffer, area: Rect, state: &AppState) {
    let Some(hint) = state.prompt_hint() else { return };
    if area.height < 2 {
        return;
    }
    let row = Rect { y: area.bottom() - 1, height: 1, ..area };
    let text = truncate(&format!(" {hint}"), usize::from(row.width)).into_owned();
    buf.render_widget(Clear, row);
    buf.render_widget(Line::styled(text, state.settings.theme.muted()), row);
}

/// The queue's columns at one width: what does not fit is shortened (status abbreviated, names
/// and the subject cut with `…`) before it is left out, and the owner goes before the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    pub key: u16,
    /// Status width; 4 shows the abbreviations.
    pub status: u16,
    pub assignee: u16,
    /// The customer column, left out (0) only where the subject would be too narrow to read.
    pub customer: u16,
    pub subject: u16,
}

/// Full status labels and a 10-cell owner and 18-cell customer from this width on.
const WIDE: u16 = 110;
/// The subject keeps at least this many cells before the customer column is given any.
const MIN_SUBJECT: u16 = 18;
/// A customer column narrower than this says nothing.
const MIN_CUSTOMER: u16 = 8;

impl Columns {
    pub fn for_width(width: u16, key: u16) -> Columns {
        // P, T, key, two clocks.
        let fixed = 2 + 2 + key + 9 + 9;
        let (status, assignee, customer_max) = if width >= WIDE { (8, 10, 18) } else { (4, 8, 12) };
        // Eight gaps between nine columns.
        let rest = width.saturating_sub(fixed + status + assignee + 8);
        let customer = rest.saturating_sub(MIN_SUBJECT).min(customer_max);
        if customer >= MIN_CUSTOMER {
            return Columns { key, status, assignee, customer, subject: rest - customer };
        }
        // No room for the customer: its gap goes to the subject.
        Columns { key, status, assignee, customer: 0, subject: rest + 1 }
    }
}

/// A status in `width` cells: the label, or from 4 cells down a prefix of it (so a filter for
/// what is shown still finds it).
fn status_label(status: TicketStatus, width: u16) -> &'static str {
    let label = status.label();
    if usize::from(width) >= label.len() {
        return label;
    }
    match status {
        TicketStatus::Pending => "pend",
        TicketStatus::Resolved => "res",
        TicketStatus::Closed => "clos",
        TicketStatus::New | TicketStatus::Open => label,
    }
}

fn draw_list(buf: &mut Buffer, area: Rect, v: &TicketsView<'_>, now: DateTime<Utc>) {
    let theme = v.cx.theme;
    let policy = &v.app.settings.sla;
    let tab = v.tab;
    let viewport = usize::from(area.height.saturating_sub(1));
    let cursor = tab.cursor();
    // Keys are never cut; one more cell for the queued mark.
    let key_width = tab.visible_rows(cursor.offset, viewport).map(|r| r.id().chars().count() + 1).max().unwrap_or(9);
    let cols = Columns::for_width(area.width, key_width.clamp(5, 16) as u16);
    let mut widths = vec![
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Length(cols.key),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(cols.status),
        Constraint::Length(cols.assignee),
    ];
    let status_head = if cols.status >= 6 { "Status" } else { "Stat" };
    let mut header = vec!["P", "T", "Key", "Response", "Resolve", status_head, "Assignee"];
    if cols.customer > 0 {
        widths.push(Constraint::Length(cols.customer));
        header.push("Customer");
    }
    widths.push(Constraint::Min(cols.subject.min(10)));
    header.push("Subject");
    let header = TableRow::new(header.into_iter().map(Cell::from)).style(theme.header());

    if tab.visible_len() == 0 {
        let text = if tab.is_empty() {
            if v.app.sync.live {
                "No tickets. The queue is empty."
            } else {
                "No tickets cached yet; waiting for the backend…"
            }
        } else if tab.filtering().is_some() {
            "Matching the filter…"
        } else {
            "No ticket matches the filter (Esc clears it)."
        };
        let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        buf.render_widget(Table::new(Vec::<TableRow>::new(), widths).header(header), head);
        buf.render_widget(Paragraph::new(Line::styled(format!(" {text}"), theme.muted())), body);
        return;
    }
    let cut = |text: &str, width: u16| truncate(text, usize::from(width)).into_owned();
    let rows = tab.visible_rows(cursor.offset, viewport).enumerate().map(|(i, row)| {
        let t = row.ticket();
        let clock_cell = |which| {
            let state_now = v.app.calendar.ticket_clock(&t, which).evaluate(policy, now);
            let style = if state_now.stopped || state_now.paused { theme.muted() } else { theme.band(state_now.band) };
            Cell::from(Span::styled(countdown(&state_now), style))
        };
        let pending = !row.pending().is_empty();
        let key = if pending { format!("{}{}", t.key, theme.glyphs.queued) } else { t.key.clone() };
        let text_style = if t.is_open() { Style::new() } else { theme.muted() };
        let mut cells = vec![
            Cell::from(Span::styled(t.priority.label(), theme.priority(t.priority))),
            Cell::from(Span::styled(t.tier.label(), text_style)),
            Cell::from(Span::styled(key, if pending { theme.pending() } else { text_style })),
            clock_cell(Which::Response),
            clock_cell(Which::Resolution),
            Cell::from(Span::styled(status_label(t.status, cols.status), status_style(v, t.status))),
            Cell::from(Span::styled(cut(t.assignee.as_deref().unwrap_or("—"), cols.assignee), text_style)),
        ];
        if cols.customer > 0 {
            cells.push(Cell::from(Span::styled(cut(&t.customer, cols.customer), text_style)));
        }
        cells.push(Cell::from(Span::styled(cut(&t.subject, cols.subject), text_style)));
        let table_row = TableRow::new(cells);
        if cursor.offset + i == cursor.selected { table_row.style(theme.selected()) } else { table_row }
    });
    buf.render_widget(Table::new(rows, widths).header(header).column_spacing(1), area);
}

fn draw_detail(buf: &mut Buffer, area: Rect, v: &TicketsView<'_>, row: &TicketRow, now: DateTime<Utc>) {
    let theme = v.cx.theme;
    let tz = v.cx.zone;
    let t = row.ticket();
    let scroll = v.tab.detail().map_or(0, |d| d.scroll);
    let service = v.app.catalog.services.get(&t.service_id).map(|s| s.name.as_str());

    let mut head = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", t.key), theme.header()),
            Span::styled(format!("{} ", t.priority.label()), theme.priority(t.priority)),
            Span::styled(format!("{} ", t.status.label().to_uppercase()), status_style(v, t.status)),
            Span::raw(format!("{} {} ", t.tier.label(), t.tier.name())),
            Span::styled(
                format!("{} {}", theme.glyphs.arrow, t.assignee.as_deref().unwrap_or("unassigned")),
                theme.muted(),
            ),
        ]),
        Line::from(Span::styled(format!(" {}", t.subject), theme.header())),
        Line::from(Span::styled(
            format!(
                " {} · {}{} · opened {} ({}) · v{}",
                t.customer,
                t.service_id,
                service.map(|s| format!(" ({s})")).unwrap_or_default(),
                clock(t.created_at, now, tz),
                ago(now, t.created_at),
                row.version()
            ),
            theme.muted(),
        )),
    ];
    if let Some(id) = &t.linked_incident {
        head.push(link_line(v, id));
    }
    head.extend(
        Which::BOTH.map(|which| clock_line(v.cx, &v.app.settings.sla, &v.app.calendar.ticket_clock(&t, which))),
    );
    let customer = truncate(&t.customer, 16);
    let mut entries: Vec<HistoryEntry<'_>> = t
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
    // What the customer wrote comes right after the ticket was opened, wrapped like every event.
    if let Some(message) = t.description.as_deref() {
        let at = usize::from(!entries.is_empty());
        let entry = HistoryEntry {
            at: t.created_at,
            kind: "message",
            style: theme.accent(),
            actor: &customer,
            text: message,
            starred: false,
        };
        entries.insert(at, entry);
    }
    // A compact row's history is being read from the cache (well under a frame).
    let title = if row.is_compact() { "history (reading it from the cache…)" } else { "history" };
    draw_detail_view(buf, area, v.app, head, title, &entries, &t.key, scroll, now);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_queues_shorten_columns_before_leaving_any_out() {
        let at = |width| Columns::for_width(width, 9);
        assert_eq!(at(160), Columns { key: 9, status: 8, assignee: 10, customer: 18, subject: 85 });
        assert_eq!(at(120), Columns { key: 9, status: 8, assignee: 10, customer: 18, subject: 45 });
        // 80 columns: status abbreviated, owner and customer shortened, all there.
        assert_eq!(at(80), Columns { key: 9, status: 4, assignee: 8, customer: 11, subject: 18 });
        // 60 columns: the customer (in the detail view) gives way to the subject; the owner stays.
        assert_eq!(at(60), Columns { key: 9, status: 4, assignee: 8, customer: 0, subject: 10 });
        for width in [60, 80, 100, 109, 110, 200] {
            let c = at(width);
            let gaps = if c.customer > 0 { 8 } else { 7 };
            let used = 2 + 2 + c.key + 18 + c.status + c.assignee + c.customer + c.subject + gaps;
            assert_eq!(used, width, "{c:?}");
        }
    }

    #[test]
    fn abbreviated_statuses_are_prefixes_of_the_label() {
        use TicketStatus::*;
        for status in [New, Open, Pending, Resolved, Closed] {
            let short = status_label(status, 4);
            assert!(short.len() <= 4 && status.label().starts_with(short), "{short}");
            assert_eq!(status_label(status, 8), status.label());
        }
    }
}
