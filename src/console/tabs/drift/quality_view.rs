//! The quality grid of the Drift tab: one small chart per quality series over the same time range
//! as the drift chart, with its SLO line; values that breach the SLO are drawn in the error colour,
//! and so is the title while the newest value breaches. A window where a series has no value is a
//! gap in its line (the title says "–" when the newest one is missing). Each chart has labelled axes: the range's
//! first and last time (with dates over a day or more) and the values at the bottom and top.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};

use crate::console::tabs::drift::view::{DriftTabView, x_of};
use crate::console::widgets::Draw;
use crate::domain::QualityMetric;

pub fn draw(buf: &mut Buffer, area: Rect, v: &DriftTabView<'_>) {
    let tab = v.tab;
    let theme = v.cx.theme;
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border())
        .title(Span::styled(" Quality (SLO lines; breaches in red) ", theme.header()));
    let inner = block.inner(area);
    buf.render_widget(block, area);
    let Some((from, to)) = tab.range() else { return };
    let points: Vec<_> = tab.quality().iter().filter(|p| p.end > from && p.start < to).collect();
    if points.is_empty() {
        buf.render_widget(Paragraph::new(Line::styled(" no quality data in range", theme.muted())), inner);
        return;
    }
    let metrics = QualityMetric::ALL;
    let columns = if inner.width >= 60 { 2 } else { 1 };
    let rows = metrics.len().div_ceil(columns);
    // The time axis, shared by every chart, under the grid: one row, when the charts keep two.
    let (inner, axis_area) = if usize::from(inner.height) > rows * 3 {
        let [grid, axis] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
        (grid, Some(axis))
    } else {
        (inner, None)
    };
    if let Some(axis) = axis_area {
        buf.render_widget(time_axis(from, to, v, usize::from(axis.width), columns), axis);
    }
    let row_areas = Layout::vertical(vec![Constraint::Ratio(1, rows as u32); rows]).split(inner);
    let span = x_of(to, from);
    for (i, metric) in metrics.iter().enumerate() {
        let cells =
            Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns]).split(row_areas[i / columns]);
        let cell = cells[i % columns];
        let series: Vec<(f64, Option<f64>)> =
            points.iter().map(|p| (x_of(p.start, from) + x_of(p.end, p.start) / 2.0, p.get(*metric))).collect();
        let present: Vec<(f64, f64)> = series.iter().filter_map(|(x, v)| Some((*x, (*v)?))).collect();
        let segments = segments(&series);
        let slo = metric.slo();
        // The newest window's value: "–" when it is missing there, not an older one.
        let latest = series.last().and_then(|(_, v)| *v);
        let breached_now = matches!((slo, latest), (Some(s), Some(v)) if s.breached_by(v));
        let title_style = if breached_now { theme.error() } else { Style::new() };
        let mut title = vec![
            Span::raw(" "),
            Span::styled(metric.label(), title_style),
            Span::raw(" "),
            Span::styled(latest.map_or("–".into(), |v| metric.format(v)), title_style),
        ];
        if let Some(slo) = slo {
            let bound = metric.format(slo.bound());
            let text = match slo {
                crate::domain::monitoring::Slo::Below(_) => format!(" <{bound}"),
                crate::domain::monitoring::Slo::AtLeast(_) => format!(" ≥{bound}"),
            };
            title.push(Span::styled(text, theme.muted()));
        }
        let [title_area, plot_area] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(cell);
        buf.render_widget(Line::from(title), title_area);
        if plot_area.height == 0 {
            continue;
        }
        let (lo, hi) = present.iter().fold((f64::MAX, f64::MIN), |(lo, hi), (_, v)| (lo.min(*v), hi.max(*v)));
        let (lo, hi) = match slo {
            Some(s) => (lo.min(s.bound()), hi.max(s.bound())),
            None => (lo, hi),
        };
        let (lo, hi) = if lo > hi { (0.0, 1.0) } else { (lo, hi) };
        let pad = ((hi - lo) * 0.1).max(1e-9);
        let slo_line: Vec<(f64, f64)> = slo.map(|s| vec![(0.0, s.bound()), (span, s.bound())]).unwrap_or_default();
        let breaches: Vec<(f64, f64)> =
            present.iter().copied().filter(|(_, v)| slo.is_some_and(|s| s.breached_by(*v))).collect();
        let mut datasets = vec![
            Dataset::default()
                .marker(ratatui::symbols::Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.muted())
                .data(&slo_line),
        ];
        // One line per run of windows with a value: a missing window is a gap, not a zero.
        for segment in &segments {
            let graph = if segment.len() == 1 { GraphType::Scatter } else { GraphType::Line };
            datasets.push(Dataset::default().marker(theme.glyphs.marker).graph_type(graph).data(segment));
        }
        datasets.push(
            Dataset::default()
                .marker(theme.glyphs.marker)
                .graph_type(GraphType::Scatter)
                .style(theme.error())
                .data(&breaches),
        );
        // Every quality series is a count, rate, latency or cost: never below zero.
        let (bottom, top) = (if lo >= 0.0 { (lo - pad).max(0.0) } else { lo - pad }, hi + pad);
        // The value axis: its bottom and top beside the plot, when there are two rows for them.
        let x_axis = Axis::default().bounds([0.0, span]).style(theme.muted());
        let mut y_axis = Axis::default().bounds([bottom, top]).style(theme.muted());
        if plot_area.height >= 2 && plot_area.width >= 24 {
            y_axis = y_axis.labels(vec![Span::raw(metric.format(bottom)), Span::raw(metric.format(top))]);
        }
        let chart = Chart::new(datasets)
            .block(Block::default().borders(Borders::NONE))
            .legend_position(None)
            .x_axis(x_axis)
            .y_axis(y_axis);
        buf.render_widget(chart, plot_area);
    }
}

/// The runs of consecutive windows that have a value, each a line of its own.
pub fn segments(series: &[(f64, Option<f64>)]) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open = false;
    for (x, value) in series {
        match value {
            Some(v) if open => runs.last_mut().expect("an open run").push((*x, *v)),
            Some(v) => {
                runs.push(vec![(*x, *v)]);
                open = true;
            }
            None => open = false,
        }
    }
    runs
}

/// `Nov 03 15:00 ──── Nov 05 15:00` under each column of charts: the range's first and last time.
fn time_axis(
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    v: &DriftTabView<'_>,
    width: usize,
    columns: usize,
) -> Line<'static> {
    let times = super::view::time_labels(from, to, v);
    let text = |i: Option<&Span<'_>>| i.map_or(String::new(), |s| s.content.to_string());
    let (first, last) = (text(times.first()), text(times.last()));
    let cell = width / columns.max(1);
    let rule = cell.saturating_sub(first.chars().count() + last.chars().count() + 4);
    let one = format!(" {first} {} {last} ", "─".repeat(rule));
    let line = if rule == 0 { format!(" {first} – {last}") } else { one.repeat(columns) };
    Line::styled(line, v.cx.theme.muted())
}
