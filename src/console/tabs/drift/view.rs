//! The Drift tab: the chosen statistic over time with its threshold bands and the deploys and
//! incidents on the same axis; the selected window's reference vs current distribution; the quality
//! series with their SLOs. At 80×24 one chart shows at a time (`v`); from 120×36 all three.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker as Glyph;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Widget};

use crate::console::state::AppState;
use crate::console::tabs::drift::{DriftTab, DriftView, MarkerKind, SeriesPoint};
use crate::console::tabs::{TabView, ViewContext};
use crate::console::theme::Theme;
use crate::console::widgets::{Draw, local};
use crate::domain::Statistic;
use crate::domain::monitoring::{DriftBand, DriftBands, WindowStats};

/// Smallest body that shows all three charts at once.
const WIDE: (u16, u16) = (120, 34);

/// The Drift tab's body. Reads the tab's series and, of the shared data, only the drift bands.
pub struct DriftTabView<'a> {
    pub tab: &'a DriftTab,
    pub cx: &'a ViewContext<'a>,
    pub bands: &'a DriftBands,
}

impl TabView for DriftTab {
    fn render(&self, area: Rect, buf: &mut Buffer, cx: &ViewContext<'_>, app: &AppState) {
        DriftTabView { tab: self, cx, bands: &app.settings.drift_bands }.render(area, buf);
    }
}

impl Widget for DriftTabView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        draw(buf, area, &self, self.cx.now);
    }
}

fn draw(buf: &mut Buffer, area: Rect, v: &DriftTabView<'_>, now: DateTime<Utc>) {
    let tab = v.tab;
    let theme = v.cx.theme;
    let Some(model) = tab.model() else {
        let text = vec![
            Line::from(""),
            Line::styled("  No models yet.", theme.header()),
            Line::styled("  Models, their drift windows and quality series show here once the backend", theme.muted()),
            Line::styled("  has them (a monitoring pipeline PUTs them to /v1/models/…).", theme.muted()),
        ];
        buf.render_widget(Paragraph::new(text), area);
        return;
    };
    let [head, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(area);
    buf.render_widget(Paragraph::new(header_lines(v, tab, model, now)), head);
    let wide = area.width >= WIDE.0 && area.height >= WIDE.1;
    if wide {
        let [top, bottom] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        draw_trend(buf, top, v);
        let [left, right] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(bottom);
        draw_distribution(buf, left, v);
        super::quality_view::draw(buf, right, v);
    } else {
        match tab.view {
            DriftView::Trend => draw_trend(buf, body, v),
            DriftView::Distribution => draw_distribution(buf, body, v),
            DriftView::Quality => super::quality_view::draw(buf, body, v),
        }
    }
}

/// Line 1: model, version, feature, statistic, range. Line 2: the selected window's figures.
fn header_lines<'a>(
    v: &DriftTabView<'_>,
    tab: &'a DriftTab,
    model: &'a crate::domain::Model,
    now: DateTime<Utc>,
) -> Vec<Line<'a>> {
    let theme = v.cx.theme;
    let kind = tab.kind();
    let features = model.features.len();
    let index = tab.feature().and_then(|f| model.features.iter().position(|g| g.name == f.name)).unwrap_or(0);
    let newest = tab.series().last().map(|p| p.end);
    let version = newest.and_then(|t| model.version_at(t)).map_or(String::new(), |v| format!(" v{}", v.version));
    let mut first = vec![
        Span::styled(format!(" {}", model.id), theme.header()),
        Span::styled(version, theme.muted()),
        Span::raw(format!(" {} ", theme.glyphs.pointer)),
        Span::styled(tab.feature().map_or("no features", |f| f.name.as_str()), theme.accent()),
        Span::styled(format!(" {}/{features} ", index + 1), theme.muted()),
        Span::raw(format!("{} ", theme.glyphs.pointer)),
        Span::styled(tab.statistic.label(kind), theme.accent()),
        Span::styled(format!("  last {}", tab.span_label()), theme.muted()),
    ];
    if !tab.following() {
        first.push(Span::styled(format!("  {} paused (End: newest)", theme.glyphs.back), theme.warning()));
    }
    let second = match tab.selected() {
        None => Line::styled(" no windows for this feature yet", theme.muted()),
        Some(point) => {
            // A window still filling has few values yet: its figures move and PSI reads high.
            let filling = if point.end > now { " (filling)" } else { "" };
            let mut spans = vec![Span::styled(
                format!(" {}–{}{filling} n={}  ", when(point.start, v), hm(point.end, v), point.n),
                theme.muted(),
            )];
            match &point.stats {
                Some(Ok(stats)) => spans.extend(stat_spans(stats, kind, v.bands, theme)),
                Some(Err(e)) => spans.push(Span::styled(crate::domain::text::sanitize(e).into_owned(), theme.error())),
                None => spans.push(Span::styled(format!("computing{}", theme.glyphs.ellipsis), theme.muted())),
            }
            Line::from(spans)
        }
    };
    vec![Line::from(first), second]
}

fn stat_spans(
    stats: &WindowStats,
    kind: crate::domain::FeatureKind,
    bands: &DriftBands,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for statistic in Statistic::for_kind(kind) {
        let Some(value) = stats.get(*statistic) else { continue };
        let style = bands.band(*statistic, value).map_or(Style::new(), |b| band_style(theme, b));
        spans.push(Span::raw(format!("{} ", short_label(*statistic, kind))));
        spans.push(Span::styled(format_value(*statistic, value), style));
        spans.push(Span::raw("  "));
    }
    if kind == crate::domain::FeatureKind::Histogram {
        // Buckets only: the tests on raw values are not available, and no number stands in for them.
        spans.push(Span::styled("KS n/a  W1 n/a", theme.muted()));
    }
    spans
}

fn short_label(statistic: Statistic, kind: crate::domain::FeatureKind) -> &'static str {
    match (statistic, kind) {
        (Statistic::Psi, _) => "PSI",
        (Statistic::PValue, crate::domain::FeatureKind::Numeric) => "KS p",
        (Statistic::PValue, _) => "χ² p",
        (Statistic::JsDistance, _) => "JS",
        (Statistic::Wasserstein, _) => "W1",
    }
}

pub fn format_value(statistic: Statistic, value: f64) -> String {
    match statistic {
        _ if value == 0.0 => "0".to_string(),
        Statistic::PValue if value < 0.0001 => format!("{value:.0e}"),
        Statistic::PValue => format!("{value:.4}"),
        Statistic::Wasserstein if value >= 100.0 => format!("{value:.0}"),
        _ => format!("{value:.3}"),
    }
}

pub fn band_style(theme: &Theme, band: DriftBand) -> Style {
    match band {
        DriftBand::Stable => theme.ok(),
        DriftBand::Moderate => theme.warning(),
        DriftBand::Significant => theme.error(),
    }
}

/// `Nov 22 10:00` in the display time zone.
fn when(at: DateTime<Utc>, v: &DriftTabView<'_>) -> String {
    local(at, v.cx.zone, "%b %d %H:%M")
}

fn hm(at: DateTime<Utc>, v: &DriftTabView<'_>) -> String {
    local(at, v.cx.zone, "%H:%M")
}

/// Hours since `from`, the chart's x coordinate.
pub fn x_of(at: DateTime<Utc>, from: DateTime<Utc>) -> f64 {
    (at - from).num_seconds() as f64 / 3600.0
}

/// Three time labels along an axis from `from` to `to`, with dates when the range spans a day or more.
pub fn time_labels(from: DateTime<Utc>, to: DateTime<Utc>, v: &DriftTabView<'_>) -> Vec<Span<'static>> {
    let mid = from + (to - from) / 2;
    let label = |at| if to - from >= chrono::TimeDelta::hours(24) { when(at, v) } else { hm(at, v) };
    vec![Span::raw(when(from, v)), Span::raw(label(mid)), Span::raw(label(to))]
}

fn draw_trend(buf: &mut Buffer, area: Rect, v: &DriftTabView<'_>) {
    let tab = v.tab;
    let theme = v.cx.theme;
    let bands = v.bands;
    let kind = tab.kind();
    let statistic = tab.statistic;
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border())
        .title(Span::styled(format!(" {} per window ", statistic.label(kind)), theme.header()));
    let Some((from, to)) = tab.range() else {
        buf.render_widget(Paragraph::new(" no windows in range").block(block), area);
        return;
    };
    let [chart_area, legend_area] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let span = x_of(to, from);
    let values: Vec<(f64, f64, &SeriesPoint)> = tab
        .visible()
        .iter()
        .filter_map(|p| {
            let v = p.stats.as_ref()?.as_ref().ok()?.get(statistic)?;
            Some((x_of(p.start, from) + x_of(p.end, p.start) / 2.0, v, p))
        })
        .collect();
    let thresholds = bands.thresholds(statistic);
    let y_max = match statistic {
        Statistic::PValue => 1.0,
        _ => {
            let top = values.iter().map(|(_, v, _)| *v).fold(0.0_f64, f64::max);
            let line = thresholds.iter().map(|(t, _)| *t).fold(0.0_f64, f64::max);
            (top.max(line * 1.2) * 1.1).max(1e-9)
        }
    };
    let line: Vec<(f64, f64)> = values.iter().map(|(x, v, _)| (*x, *v)).collect();
    let by_band = |band: Option<DriftBand>| -> Vec<(f64, f64)> {
        values.iter().filter(|(_, v, _)| bands.band(statistic, *v) == band).map(|(x, v, _)| (*x, *v)).collect()
    };
    let threshold_lines: Vec<(Vec<(f64, f64)>, DriftBand)> =
        thresholds.iter().map(|(t, band)| (vec![(0.0, *t), (span, *t)], *band)).collect();
    // Deploys and incident starts as vertical lines; an incident's duration as a bar along the top.
    let mut marks: Vec<(Vec<(f64, f64)>, Style)> = Vec::new();
    for marker in tab.markers() {
        let x = x_of(marker.at, from);
        let end = marker.until.map_or(span, |u| x_of(u, from));
        if end < 0.0 || x > span {
            continue;
        }
        let style = marker_style(theme, marker.kind);
        if (0.0..=span).contains(&x) {
            marks.push((vec![(x, 0.0), (x, y_max)], style));
        }
        if marker.kind != MarkerKind::Deploy {
            marks.push((vec![(x.max(0.0), y_max), (end.min(span), y_max)], style));
        }
    }
    let cursor: Vec<(f64, f64)> = tab
        .selected()
        .map(|p| {
            let x = x_of(p.start, from) + x_of(p.end, p.start) / 2.0;
            vec![(x, 0.0), (x, y_max)]
        })
        .unwrap_or_default();

    let mut datasets: Vec<Dataset<'_>> = Vec::new();
    for (data, band) in &threshold_lines {
        datasets.push(line_set(data, band_style(theme, *band), Glyph::Braille));
    }
    for (data, style) in &marks {
        datasets.push(line_set(data, *style, Glyph::Braille));
    }
    datasets.push(line_set(&cursor, theme.muted(), Glyph::Braille));
    datasets.push(line_set(&line, Style::new(), theme.glyphs.marker));
    let (stable, moderate, significant, unbanded) = (
        by_band(Some(DriftBand::Stable)),
        by_band(Some(DriftBand::Moderate)),
        by_band(Some(DriftBand::Significant)),
        by_band(None),
    );
    for (data, style) in [
        (&stable, band_style(theme, DriftBand::Stable)),
        (&moderate, band_style(theme, DriftBand::Moderate)),
        (&significant, band_style(theme, DriftBand::Significant)),
        (&unbanded, theme.accent()),
    ] {
        datasets.push(Dataset::default().marker(Glyph::Dot).graph_type(GraphType::Scatter).style(style).data(data));
    }
    let y_labels = vec![Span::raw(format_value(statistic, 0.0)), Span::raw(format_value(statistic, y_max))];
    let chart = Chart::new(datasets)
        .block(block)
        .legend_position(None)
        .x_axis(Axis::default().bounds([0.0, span]).labels(time_labels(from, to, v)).style(theme.muted()))
        .y_axis(Axis::default().bounds([0.0, y_max]).labels(y_labels).style(theme.muted()));
    buf.render_widget(chart, chart_area);
    buf.render_widget(legend(v, from, to), legend_area);
}

fn line_set<'a>(data: &'a [(f64, f64)], style: Style, marker: Glyph) -> Dataset<'a> {
    Dataset::default().marker(marker).graph_type(GraphType::Line).style(style).data(data)
}

fn marker_style(theme: &Theme, kind: MarkerKind) -> Style {
    match kind {
        MarkerKind::Deploy => theme.accent(),
        MarkerKind::Incident => theme.error(),
        MarkerKind::Maintenance => theme.pending(),
    }
}

/// Threshold values, then the deploys and incidents within the range.
fn legend(v: &DriftTabView<'_>, from: DateTime<Utc>, to: DateTime<Utc>) -> Line<'static> {
    let tab = v.tab;
    let theme = v.cx.theme;
    let mut spans = vec![Span::raw(" ")];
    for (value, band) in v.bands.thresholds(tab.statistic) {
        spans.push(Span::styled(
            format!("{} {} ", theme.glyphs.dashed, format_value(tab.statistic, value)),
            band_style(theme, band),
        ));
    }
    for marker in tab.markers() {
        let visible = match marker.kind {
            MarkerKind::Deploy => (from..to).contains(&marker.at),
            _ => marker.at < to && marker.until.is_none_or(|u| u > from),
        };
        if !visible {
            continue;
        }
        let glyph = match marker.kind {
            MarkerKind::Deploy => theme.glyphs.deploy,
            MarkerKind::Incident => theme.glyphs.incident,
            MarkerKind::Maintenance => theme.glyphs.maintenance,
        };
        // Over a day or more a time alone is ambiguous: give the date too.
        let at = if to - from >= chrono::TimeDelta::hours(24) { when(marker.at, v) } else { hm(marker.at, v) };
        let text = format!("{glyph} {} {at} ", crate::domain::text::sanitize(&marker.label));
        spans.push(Span::styled(text, marker_style(theme, marker.kind)));
    }
    Line::from(spans)
}

fn draw_distribution(buf: &mut Buffer, area: Rect, v: &DriftTabView<'_>) {
    let tab = v.tab;
    let theme = v.cx.theme;
    let title = match tab.selected() {
        Some(p) => format!(" Reference vs window {} ", when(p.start, v)),
        None => " Reference vs current ".to_string(),
    };
    let block =
        Block::default().borders(Borders::TOP).border_style(theme.border()).title(Span::styled(title, theme.header()));
    let inner = block.inner(area);
    buf.render_widget(block, area);
    let rows = match tab.distribution() {
        Ok(rows) => rows,
        Err(e) => {
            let text = Line::styled(format!(" {}", crate::domain::text::sanitize(e)), theme.muted());
            buf.render_widget(Paragraph::new(text), inner);
            return;
        }
    };
    let width = usize::from(inner.width);
    let label_w = rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(4).clamp(4, 16);
    // label │ reference bar + % │ current bar + % │ PSI term
    let bar_w = width.saturating_sub(label_w + 26) / 2;
    let max_share = rows.iter().map(|r| r.reference_share.max(r.current_share)).fold(0.0_f64, f64::max).max(1e-12);
    let mut lines = vec![Line::styled(
        format!(" {:<label_w$} {:<w$} {:<w$} {:>8}", "", "reference", "current", "PSI term", w = bar_w + 7),
        theme.muted(),
    )];
    let room = usize::from(inner.height).saturating_sub(1);
    let shown = if rows.len() > room { room.saturating_sub(1) } else { rows.len() };
    for row in rows.iter().take(shown) {
        let bar = |share: f64| {
            let cells = (share / max_share * bar_w as f64).round() as usize;
            format!("{:<bar_w$}{:>6.1}%", theme.glyphs.bar_full.repeat(cells.min(bar_w)), share * 100.0)
        };
        let label: String = crate::domain::text::sanitize(&row.label).chars().take(label_w).collect();
        let term_style = if row.psi_contribution >= 0.05 { theme.error() } else { Style::new() };
        lines.push(Line::from(vec![
            Span::raw(format!(" {label:<label_w$} ")),
            Span::styled(bar(row.reference_share), theme.muted()),
            Span::raw(" "),
            Span::styled(bar(row.current_share), theme.accent()),
            Span::styled(format!(" {:>8.4}", row.psi_contribution), term_style),
        ]));
    }
    if shown < rows.len() {
        lines.push(Line::styled(format!(" {} {} more", theme.glyphs.ellipsis, rows.len() - shown), theme.muted()));
    }
    buf.render_widget(Paragraph::new(lines), inner);
}
