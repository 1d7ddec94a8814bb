//! The Calendar tab (month grid and agenda, window details with what will still page) and the
//! maintenance banner shown on every tab while a window is active.
//!
//! Every time is shown in the display zone and says so where it could be misread: the banner's
//! `until 14:40 CET`, the agenda's title, the details' `… UTC` with the window's own zone beside
//! it when it was planned in another one.
//!
//! [`CalendarView`] reads the tab's windows and agenda and, of the shared data, the open
//! incidents and the services items are on (what will still page during a window).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::console::state::AppState;
use crate::console::tabs::calendar::{CalendarTab, MAX_AGENDA_PER_WINDOW, still_pages};
use crate::console::tabs::{TabView, ViewContext};
use crate::console::theme::Theme;
use crate::console::widgets::{Draw, local};
use crate::console::zone::DisplayZone;
use crate::domain::maintenance::{MaintenanceKind, MaintenanceWindow};
use crate::domain::text::sanitize;

/// One letter per kind on the month grid.
fn glyph(kind: MaintenanceKind) -> &'static str {
    match kind {
        MaintenanceKind::Routine => "R",
        MaintenanceKind::EmergencyPatch => "E",
        MaintenanceKind::ModelRelease => "M",
        MaintenanceKind::DrDrill => "D",
        MaintenanceKind::ChangeFreeze => "F",
        MaintenanceKind::Silence => "S",
    }
}

fn kind_style(theme: &Theme, kind: MaintenanceKind) -> Style {
    match kind {
        MaintenanceKind::EmergencyPatch => theme.error(),
        MaintenanceKind::ChangeFreeze => theme.warning(),
        MaintenanceKind::DrDrill => theme.pending(),
        MaintenanceKind::ModelRelease | MaintenanceKind::Routine => theme.accent(),
        MaintenanceKind::Silence => theme.muted(),
    }
}

/// The display zone's name at `at`, to follow a time: `UTC`, `CET`, `CEST`; the system's zone (no
/// `timezone` configured) by its offset, `UTC+01:00`.
fn zone_at(at: DateTime<Utc>, tz: DisplayZone) -> String {
    tz.name_at(at)
}

/// `at` in the display zone with the zone's name: `14:40 CET`.
fn zoned(at: DateTime<Utc>, tz: DisplayZone, format: &str) -> String {
    format!("{} {}", local(at, tz, format), zone_at(at, tz))
}

/// `Thu Nov 05 13:40 → 14:40 CET`: the end without its date when on the start's day, the zone
/// named once (twice across a change of offset).
fn span_text(start: DateTime<Utc>, end: DateTime<Utc>, tz: DisplayZone) -> String {
    const FULL: &str = "%a %b %d %H:%M";
    let same_day = local(start, tz, "%F") == local(end, tz, "%F");
    let end_text = local(end, tz, if same_day { "%H:%M" } else { FULL });
    match (zone_at(start, tz), zone_at(end, tz)) {
        (a, b) if a == b => format!("{} → {end_text} {b}", local(start, tz, FULL)),
        (a, b) => format!("{} {a} → {end_text} {b}", local(start, tz, FULL)),
    }
}

/// `MAINTENANCE: <title> until 14:00 CET (affects llm-gateway, rag-retrieval)`: the banner line on
/// every tab while a window is active, naming [`CalendarTab::headline`]. When more run, `+1 more (5)` is kept at the right edge,
/// so a narrow terminal cuts the services, never the count.
pub fn draw_banner(buf: &mut Buffer, area: Rect, calendar: &CalendarTab, cx: &ViewContext<'_>) {
    let (theme, now) = (cx.theme, cx.now);
    let Some((window, occurrence)) = calendar.headline(now) else {
        return;
    };
    let others = calendar.active(now).count() - 1;
    let until = if occurrence.end - now < Duration::hours(20) {
        zoned(occurrence.end, cx.zone, "%H:%M")
    } else {
        zoned(occurrence.end, cx.zone, "%b %d %H:%M")
    };
    let mut text = format!(
        " MAINTENANCE: {} until {until} (affects {})",
        sanitize(&window.title),
        sanitize(&window.services.join(", "))
    );
    if window.suppress_alerts {
        text.push_str(" · new alerts suppressed");
    }
    buf.set_style(area, theme.stale_badge());
    let more = if others > 0 { format!(" +{others} more (5) ") } else { String::new() };
    let more_width = (more.chars().count() as u16).min(area.width);
    let text_area = Rect { width: area.width - more_width, ..area };
    buf.render_widget(Line::styled(text, theme.stale_badge()), text_area);
    if more_width > 0 {
        let more_area = Rect { x: area.x + text_area.width, width: more_width, ..area };
        buf.render_widget(Line::styled(more, theme.stale_badge()), more_area);
    }
}

/// The Calendar tab's body.
pub struct CalendarView<'a> {
    pub tab: &'a CalendarTab,
    pub cx: &'a ViewContext<'a>,
    pub app: &'a AppState,
}

impl TabView for CalendarTab {
    fn render(&self, area: Rect, buf: &mut Buffer, cx: &ViewContext<'_>, app: &AppState) {
        CalendarView { tab: self, cx, app }.render(area, buf);
    }
}

impl Widget for CalendarView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        draw(buf, area, &self, self.cx.now);
    }
}

fn draw(buf: &mut Buffer, area: Rect, v: &CalendarView<'_>, now: DateTime<Utc>) {
    if let Some(window) = v.tab.detail() {
        draw_detail(buf, area, v, window, now);
        return;
    }
    let wide = area.width >= 100;
    let (grid_area, agenda_area) = if wide {
        let [g, a] = Layout::horizontal([Constraint::Length(38), Constraint::Min(20)]).areas(area);
        (g, a)
    } else {
        let [g, a] = Layout::vertical([Constraint::Length(9), Constraint::Min(3)]).areas(area);
        (g, a)
    };
    draw_month(buf, grid_area, v, now);
    draw_agenda(buf, agenda_area, v, now);
}

fn draw_month(buf: &mut Buffer, area: Rect, v: &CalendarView<'_>, now: DateTime<Utc>) {
    let theme = v.cx.theme;
    let tz = v.cx.zone;
    let first = v.tab.month(now, tz);
    let today = tz.date(now);
    let mut lines = vec![
        Line::styled(format!(" {}", first.format("%B %Y")), theme.header()),
        Line::styled("  Mo   Tu   We   Th   Fr   Sa   Su", theme.muted()),
    ];
    let offset = i64::from(first.weekday().num_days_from_monday());
    let mut day = first - Duration::days(offset);
    for _ in 0..6 {
        let mut spans = vec![Span::raw(" ")];
        for _ in 0..7 {
            spans.extend(day_cell(v, theme, day, first, today));
            day += Duration::days(1);
        }
        lines.push(Line::from(spans));
        if day.month() != first.month() && day > first {
            break;
        }
    }
    buf.render_widget(Paragraph::new(lines), area);
}

/// ` 7R  `: the day, the most severe kind on it; today reversed, freeze days shaded.
fn day_cell(
    v: &CalendarView<'_>,
    theme: &Theme,
    day: NaiveDate,
    month: NaiveDate,
    today: NaiveDate,
) -> Vec<Span<'static>> {
    if day.month() != month.month() {
        return vec![Span::raw("     ")];
    }
    let kinds = v.tab.day_kinds(day, v.cx.zone);
    let mut number = if day == today { theme.selected().add_modifier(Modifier::BOLD) } else { Style::new() };
    if kinds.contains(&MaintenanceKind::ChangeFreeze) {
        number = number.add_modifier(Modifier::UNDERLINED).patch(theme.warning());
    }
    let mark = kinds.first().map_or(Span::raw("  "), |k| {
        let text = if kinds.len() > 1 { format!("{}+", glyph(*k)) } else { format!("{} ", glyph(*k)) };
        Span::styled(text, kind_style(theme, *k))
    });
    vec![Span::styled(format!("{:>2}", day.day()), number), mark, Span::raw(" ")]
}

fn draw_agenda(buf: &mut Buffer, area: Rect, v: &CalendarView<'_>, now: DateTime<Utc>) {
    let theme = v.cx.theme;
    let tab = v.tab;
    let tz = v.cx.zone;
    // Which zone the times are in: the display zone's name, with UTC in brackets unless it is UTC.
    let zone = match v.cx.zone.configured() {
        Some(tz) if tz == chrono_tz::UTC => " Agenda · times in UTC ".to_string(),
        Some(tz) => format!(" Agenda · times in {} (UTC) ", tz.name()),
        None => format!(" Agenda · times in local time, {} (UTC) ", zone_at(now, tz)),
    };
    let block =
        Block::default().borders(Borders::TOP).border_style(theme.border()).title(Span::styled(zone, theme.header()));
    let inner = block.inner(area);
    buf.render_widget(block, area);
    if tab.agenda().is_empty() {
        let text = Line::styled(" no maintenance this month", theme.muted());
        buf.render_widget(Paragraph::new(text), inner);
        return;
    }
    // A window with more occurrences than the agenda lists says so on the last line.
    let inner = match tab.capped().first() {
        Some(&(window, total)) if inner.height >= 2 => {
            let [list, note] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
            let others = tab.capped().len() - 1;
            let mut text = format!(
                " {total} occurrences of “{}”, the first {MAX_AGENDA_PER_WINDOW} listed",
                sanitize(&tab.windows()[window].title)
            );
            if others > 0 {
                text.push_str(&format!("; {others} more window(s) cut too"));
            }
            buf.render_widget(Paragraph::new(Line::styled(text, theme.warning())), note);
            list
        }
        _ => inner,
    };
    let rows = usize::from(inner.height).max(1);
    let offset = tab.selected.saturating_sub(rows - 1);
    let lines: Vec<Line> = tab
        .agenda()
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, slot)| {
            let window = &tab.windows()[slot.window];
            let o = slot.occurrence;
            let past = o.end <= now;
            let mut style = if past { theme.muted() } else { Style::new() };
            if i == tab.selected {
                style = style.patch(theme.selected());
            }
            let end_format = if o.end - o.start >= Duration::days(1) { "%b %d %H:%M" } else { "%H:%M" };
            let mut when = format!("{}–{}", local(o.start, tz, "%a %b %d %H:%M"), local(o.end, tz, end_format));
            // UTC too, unless the display time zone is UTC at that moment.
            if local(o.start, tz, "%z") != "+0000" {
                when.push_str(&format!(" ({}–{} UTC)", o.start.format("%H:%M"), o.end.format(end_format)));
            }
            let now_mark = if o.covers(now) { format!("{} ", theme.glyphs.now) } else { "  ".to_string() };
            let queued = if tab.is_queued(&window.id) { format!("{} ", theme.glyphs.queued) } else { String::new() };
            Line::from(vec![
                Span::styled(now_mark, theme.error()),
                Span::styled(queued, theme.pending()),
                Span::styled(format!("{:<1} ", glyph(window.kind)), kind_style(theme, window.kind)),
                Span::styled(format!("{when}  {}", sanitize(&window.title)), style),
                Span::styled(format!("  {}", sanitize(&window.services.join(", "))), theme.muted()),
            ])
        })
        .collect();
    buf.render_widget(Paragraph::new(lines), inner);
}

/// ` · 14:40 → 15:40 CET in Europe/Berlin, where it is planned` when the window's zone is not
/// the display zone (recurrences keep that zone's wall-clock time).
fn planned_in(window: &MaintenanceWindow, zone: DisplayZone) -> String {
    let Ok(tz) = crate::domain::maintenance::parse_timezone(&window.timezone) else {
        return format!(" · planned in `{}`, an unknown zone", sanitize(&window.timezone));
    };
    if zone.configured() == Some(tz) {
        return String::new();
    }
    let (start, end) = (window.start.with_timezone(&tz), window.end.with_timezone(&tz));
    let same_day = start.date_naive() == end.date_naive();
    let end_text = end.format(if same_day { "%H:%M %Z" } else { "%a %b %d %H:%M %Z" });
    format!(" · {} → {end_text} in {}, where it is planned", start.format("%H:%M"), tz.name())
}

fn draw_detail(buf: &mut Buffer, area: Rect, v: &CalendarView<'_>, window: &MaintenanceWindow, now: DateTime<Utc>) {
    let theme = v.cx.theme;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", window.id), theme.accent()),
            Span::styled(sanitize(&window.title).into_owned(), theme.header()),
            Span::styled(format!("  {}", window.kind.label()), kind_style(theme, window.kind)),
            Span::styled(if window.cancelled { "  CANCELLED" } else { "" }, theme.error()),
            Span::styled(
                match &window.source {
                    Some(source) => format!("  read-only: made in Alertmanager ({})", sanitize(source)),
                    None => String::new(),
                },
                theme.muted(),
            ),
            Span::styled(
                if v.tab.is_queued(&window.id) {
                    format!("  {} queued, not yet on the backend", theme.glyphs.queued)
                } else {
                    String::new()
                },
                theme.pending(),
            ),
        ]),
        Line::from(format!(
            " {}{}{}{}",
            if window.rrule.is_some() { "first " } else { "" },
            span_text(window.start, window.end, v.cx.zone),
            planned_in(window, v.cx.zone),
            window.rrule.as_deref().map_or(String::new(), |r| format!(" · repeats {}", sanitize(r)))
        )),
        Line::from(format!(
            " services {} · suppress new alerts: {} · pause SLA clocks: {} · by {}",
            sanitize(&window.services.join(", ")),
            yes_no(window.suppress_alerts),
            yes_no(window.pause_sla),
            sanitize(&window.created_by)
        )),
    ];
    if !window.description.is_empty() {
        lines.push(Line::styled(format!(" {}", sanitize(&window.description)), theme.muted()));
    }
    let coming = window.occurrences(now, now + Duration::days(400));
    let running = coming.first().filter(|o| o.covers(now)).copied();
    if let Some(o) = running {
        let left = crate::console::tabs::sla::view::span(o.end - now);
        let text = format!(" ▶ running now, until {} ({left} left)", zoned(o.end, v.cx.zone, "%a %b %d %H:%M"));
        lines.push(Line::styled(text, theme.warning()));
    }
    let next: Vec<String> =
        coming.iter().filter(|o| !o.covers(now)).take(4).map(|o| zoned(o.start, v.cx.zone, "%a %b %d %H:%M")).collect();
    if !next.is_empty() {
        let label = if running.is_some() { "then" } else { "next" };
        lines.push(Line::styled(format!(" {label}: {}", next.join(" · ")), theme.muted()));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(" What will still page during this window", theme.header()));
    let open: Vec<_> = v.app.incidents.open_incidents().collect();
    let pages = still_pages(window, open.iter().map(AsRef::as_ref));
    if pages.open.is_empty() {
        lines.push(Line::styled(" no open incidents on these services", theme.ok()));
    }
    for incident in &pages.open {
        let escalating = pages.escalating.iter().any(|i| i.id == incident.id);
        let held = pages.held.iter().any(|i| i.id == incident.id);
        let why = if held {
            match incident.held_by() {
                Some(id) if id == window.id => {
                    "not paged yet (suppressed): pages when this window is over, unless acknowledged"
                }
                _ => "not paged yet (suppressed): pages once no window suppresses its alerts, unless acknowledged",
            }
        } else if escalating {
            "keeps notifying and escalating (not acknowledged)"
        } else {
            "keeps notifying (open incidents are not silenced)"
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {} {} ", incident.priority.label(), incident.id), theme.priority(incident.priority)),
            Span::raw(format!("{} · ", sanitize(&incident.service_id))),
            Span::styled(why, theme.warning()),
        ]));
    }
    let clocks: Vec<_> = v
        .app
        .sla
        .rows()
        .iter()
        .filter(|row| v.app.service_of(row.kind, &row.id).is_some_and(|s| window.affects(s)))
        .collect();
    let text = if window.pause_sla {
        format!(" {} SLA clocks on these services pause while it runs", clocks.len())
    } else {
        format!(" {} SLA clocks on these services keep running (pause SLA is off)", clocks.len())
    };
    lines.push(Line::styled(text, theme.muted()));
    buf.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
