//! The SLA tab: a summary per priority, then every running clock by priority and time to breach,
//! with a gauge coloured by band and the time left counting down (up, once breached) — in
//! minutes, and in seconds only in its last one ([`SECONDS_SHOWN`]); a paused clock says why
//! (the maintenance window, or the customer).
//! Also the countdown texts and gauges the Tickets tab shares.
//!
//! [`SlaView`] reads the tab's clocks and, of the shared data, only the SLA policy.

use chrono::Duration;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row as TableRow, Table, Widget};

use super::SlaTab;
use crate::console::clocks::ClockInput;
use crate::console::state::AppState;
use crate::console::tabs::{TabView, ViewContext};
use crate::console::theme::Theme;
use crate::console::time::SECONDS_SHOWN;
use crate::console::widgets::{Draw, clock};
use crate::domain::EntityKind;
use crate::sla::{Band, ClockState, SlaPolicy};

/// `42s` under a minute ([`SECONDS_SHOWN`]); then `14m`, `3h12m`, `2d04h` (whole minutes and
/// hours, rounded down: a countdown never shows more than is left).
pub fn span(d: Duration) -> String {
    let s = d.num_seconds().abs();
    let (days, hours, mins, secs) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60, s % 60);
    match (days, hours) {
        (0, 0) if s < SECONDS_SHOWN => format!("{secs}s"),
        (0, 0) => format!("{mins}m"),
        (0, _) => format!("{hours}h{mins:02}m"),
        _ => format!("{days}d{hours:02}h"),
    }
}

/// What a clock shows: time left, `⏸` and time left while paused, `+overdue` once breached,
/// `✓ took` or `✗ late by` once stopped.
pub fn countdown(state: &ClockState) -> String {
    if state.stopped {
        return if state.breached {
            format!("✗ +{}", span(-state.remaining))
        } else {
            format!("✓ {}", span(state.elapsed))
        };
    }
    let left = if state.breached {
        format!("+{}", span(state.overdue.unwrap_or(-state.remaining)))
    } else {
        span(state.remaining)
    };
    if state.paused { format!("⏸ {left}") } else { left }
}

/// A bar of `width` cells filled by the share of the target used, coloured by band.
pub fn gauge(state: &ClockState, target: Duration, width: usize, theme: &Theme) -> Span<'static> {
    let used = if target <= Duration::zero() {
        1.0
    } else {
        (state.elapsed.num_milliseconds() as f64 / target.num_milliseconds() as f64).clamp(0.0, 1.0)
    };
    let filled = ((used * width as f64).round() as usize).min(width);
    let bar = format!("{}{}", theme.glyphs.bar_full.repeat(filled), theme.glyphs.bar_empty.repeat(width - filled));
    let style = if state.paused { theme.muted() } else { theme.band(state.band) };
    Span::styled(bar, style)
}

/// One clock in a detail view: which, a gauge, time left, the target and when it is due.
pub fn clock_line(cx: &ViewContext<'_>, policy: &SlaPolicy, input: &ClockInput) -> Line<'static> {
    let (theme, now) = (cx.theme, cx.now);
    let clock_state = input.evaluate(policy, now);
    let target = input.target(policy);
    let due = match (clock_state.stopped, clock_state.paused, clock_state.due) {
        (true, _, _) => "stopped".to_string(),
        (false, true, _) => match input.pause_label(now) {
            reason if reason.is_empty() => "paused".to_string(),
            reason => format!("paused: {reason}"),
        },
        (false, false, Some(due)) => format!("due {}", clock(due, now, cx.zone)),
        (false, false, None) => String::new(),
    };
    Line::from(vec![
        Span::styled(format!(" {:<10} ", input.which.label()), theme.muted()),
        gauge(&clock_state, target, 16, theme),
        Span::styled(format!(" {:<10} ", countdown(&clock_state)), theme.band(clock_state.band)),
        Span::styled(format!("of {} · {due}", span(target)), theme.muted()),
    ])
}

/// The SLA tab's body.
pub struct SlaView<'a> {
    pub tab: &'a SlaTab,
    pub cx: &'a ViewContext<'a>,
    pub policy: &'a SlaPolicy,
    /// Where each row's title is read: a clock keeps only its item's id.
    pub app: &'a AppState,
}

impl TabView for SlaTab {
    fn render(&self, area: Rect, buf: &mut Buffer, cx: &ViewContext<'_>, app: &AppState) {
        SlaView { tab: self, cx, policy: &app.settings.sla, app }.render(area, buf);
    }
}

impl Widget for SlaView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (tab, theme, policy) = (self.tab, self.cx.theme, self.policy);
        let (tz, now) = (self.cx.zone, self.cx.now);
        let summary = tab.summary(now);
        let [head, body] = Layout::vertical([Constraint::Length(6), Constraint::Min(0)]).areas(area);

        let count = |n: usize, band: Band| {
            let style = if n == 0 { theme.muted() } else { theme.band(band) };
            Cell::from(Span::styled(n.to_string(), style))
        };
        let summary_rows = summary.iter().map(|(p, s)| {
            TableRow::new(vec![
                Cell::from(Span::styled(format!(" {}", p.label()), theme.priority(*p))),
                Cell::from(s.running.to_string()),
                count(s.warning, Band::Warning),
                count(s.critical, Band::Critical),
                count(s.breached, Band::Breached),
                Cell::from(Span::styled(s.paused.to_string(), theme.muted())),
            ])
        });
        let summary_header =
            TableRow::new([" SLA", "running", "warning", "critical", "breached", "paused"].into_iter().map(Cell::from))
                .style(theme.header());
        let widths = [6, 8, 8, 9, 9, 7].map(Constraint::Length);
        buf.render_widget(Table::new(summary_rows, widths).header(summary_header), head);

        let rows = tab.rows();
        let wide = area.width >= 110;
        let gauge_width = super::update::gauge_width(area.width);
        let mut widths = vec![
            Constraint::Length(2),
            Constraint::Length(10),
            Constraint::Length(5),
            Constraint::Length(gauge_width as u16),
            Constraint::Length(if wide { 24 } else { 10 }),
        ];
        let mut header = vec!["P", "Item", "Clock", "Used", "Left"];
        if wide {
            widths.push(Constraint::Length(14));
            header.push("Due");
        }
        widths.push(Constraint::Min(10));
        header.push("Title");
        let header = TableRow::new(header.into_iter().map(Cell::from)).style(theme.header());
        if rows.is_empty() {
            let [h, b] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(body);
            buf.render_widget(Table::new(Vec::<TableRow>::new(), widths).header(header), h);
            buf.render_widget(Line::styled(" No clock is running: nothing is waiting on us.", theme.muted()), b);
            return;
        }
        let viewport = usize::from(body.height.saturating_sub(1)).max(1);
        let cursor = tab.cursor();
        // The cursor's offset is kept for the tallest body; keep the selection on screen here.
        let offset = super::update::list_offset(cursor, viewport);
        let table_rows = rows.iter().enumerate().skip(offset).take(viewport).map(|(i, row)| {
            let clock_state = row.state(policy, now);
            let target = row.target(policy);
            let left = if clock_state.breached && wide {
                format!("breached {} ago", span(clock_state.overdue.unwrap_or(-clock_state.remaining)))
            } else {
                countdown(&clock_state)
            };
            let kind = match row.kind {
                EntityKind::Ticket | EntityKind::Maintenance | EntityKind::Postmortem => "",
                EntityKind::Incident => "⚑",
            };
            let mut cells = vec![
                Cell::from(Span::styled(row.priority.label(), theme.priority(row.priority))),
                Cell::from(format!("{}{kind}", row.id)),
                Cell::from(Span::styled(short_which(row.which), theme.muted())),
                Cell::from(gauge(&clock_state, target, gauge_width, theme)),
                Cell::from(Span::styled(left, theme.band(clock_state.band))),
            ];
            if wide {
                let due = match (clock_state.paused, clock_state.due) {
                    // Why, in short: the window's id or `customer`.
                    (true, _) => {
                        let reasons: Vec<String> = row.pause_reasons(now).iter().map(|r| r.short()).collect();
                        if reasons.is_empty() { "paused".to_string() } else { format!("⏸ {}", reasons.join(",")) }
                    }
                    (false, Some(due)) => clock(due, now, tz),
                    (false, None) => "—".to_string(),
                };
                cells.push(Cell::from(Span::styled(due, theme.muted())));
            }
            cells.push(Cell::from(self.app.title_of(row.kind, &row.id).unwrap_or_default()));
            let table_row = TableRow::new(cells);
            if i == cursor.selected { table_row.style(theme.selected()) } else { table_row.style(Style::new()) }
        });
        buf.render_widget(Table::new(table_rows, widths).header(header).column_spacing(1), body);
    }
}

fn short_which(which: crate::console::clocks::Which) -> &'static str {
    match which {
        crate::console::clocks::Which::Response => "resp",
        crate::console::clocks::Which::Resolution => "resol",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_at_a_glance() {
        assert_eq!(span(Duration::seconds(42)), "42s");
        assert_eq!(span(Duration::seconds(59)), "59s", "a countdown's last minute");
        assert_eq!(span(Duration::seconds(60)), "1m");
        assert_eq!(span(Duration::seconds(4 * 60 + 5)), "4m");
        assert_eq!(span(Duration::seconds(14 * 60 + 5)), "14m");
        assert_eq!(span(Duration::seconds(3 * 3600 + 12 * 60 + 5)), "3h12m");
        assert_eq!(span(Duration::seconds(2 * 86_400 + 4 * 3600)), "2d04h");
        assert_eq!(span(Duration::seconds(-90)), "1m");
    }
}
