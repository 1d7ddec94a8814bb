//! The Postmortems tab: the list (status, incident, who saved it last and, where there is room,
//! who wrote it; last change, open and overdue action items), the editor, and the two texts side
//! by side in a diff when someone saved first.
//!
//! [`PostmortemsView`] reads the tab's postmortems and, of the shared data, the editor (drawn in
//! the tab's place while open), the journaled drafts and when they were written, and the outbox
//! (saves on their way).

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::console::state::AppState;
use crate::console::tabs::postmortems::PostmortemsTab;
use crate::console::tabs::postmortems::editor::{Part, PostmortemEditor};
use crate::console::tabs::{TabView, ViewContext};
use crate::console::theme::Theme;
use crate::console::widgets::{Draw, local};
use crate::domain::duration::ago;
use crate::domain::postmortem::PostmortemDraft;
use crate::domain::text::{sanitize, truncate};
use crate::domain::{Postmortem, PostmortemStatus};

/// The Postmortems tab's body: the list, the editor, or the two texts of a conflict.
pub struct PostmortemsView<'a> {
    pub tab: &'a PostmortemsTab,
    pub cx: &'a ViewContext<'a>,
    pub app: &'a AppState,
}

impl TabView for PostmortemsTab {
    fn render(&self, area: Rect, buf: &mut Buffer, cx: &ViewContext<'_>, app: &AppState) {
        PostmortemsView { tab: self, cx, app }.render(area, buf);
    }
}

impl Widget for PostmortemsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        draw(buf, area, &self, self.cx.now);
    }
}

fn draw(buf: &mut Buffer, area: Rect, v: &PostmortemsView<'_>, now: DateTime<Utc>) {
    match v.app.modals.editor() {
        Some(editor) if editor.theirs.is_some() => draw_conflict(buf, area, v, editor),
        Some(editor) => draw_editor(buf, area, v, editor, now),
        None => draw_list(buf, area, v, now),
    }
}

fn status_style(theme: &Theme, status: PostmortemStatus) -> Style {
    match status {
        PostmortemStatus::Draft => theme.warning(),
        PostmortemStatus::InReview => theme.accent(),
        PostmortemStatus::Published => theme.ok(),
    }
}

/// From this width on, the list shows who wrote a postmortem besides who saved it last.
const WITH_AUTHOR: u16 = 100;

fn draw_list(buf: &mut Buffer, area: Rect, v: &PostmortemsView<'_>, now: DateTime<Utc>) {
    let theme = v.cx.theme;
    let tab = v.tab;
    let filter = tab.status_filter.map_or("all".to_string(), |s| s.label().to_string());
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border())
        .title(Span::styled(format!(" Postmortems ({filter}; f changes) "), theme.header()));
    let inner = block.inner(area);
    buf.render_widget(block, area);
    let listed = tab.listed();
    let today = now.date_naive();
    // Who saved last is who to ask about the text; the author too where there is room.
    let with_author = inner.width >= WITH_AUTHOR;
    let author = if with_author { format!("{:<8} ", "AUTHOR") } else { String::new() };
    let mut lines = vec![Line::styled(
        format!(
            " {:<8} {:<9} {:<9} {author}{:<8} {:<4} {:<7} {:<11} {}",
            "ID", "STATUS", "INCIDENT", "SAVED BY", "OPEN", "OVERDUE", "CHANGED", "TITLE"
        ),
        theme.muted(),
    )];
    if listed.is_empty() {
        lines.push(Line::styled(
            " No postmortems here yet. On an incident (tab 1), p drafts one from the template.",
            theme.muted(),
        ));
    }
    let rows = usize::from(inner.height.saturating_sub(1)).max(1);
    let offset = tab.selected.saturating_sub(rows - 1);
    for (i, pm) in listed.iter().enumerate().skip(offset).take(rows) {
        lines.push(list_row(v, pm, i == tab.selected, with_author, today, now));
    }
    let unsaved: Vec<&str> =
        v.app.drafts.postmortems.keys().filter(|id| tab.get(id).is_none()).map(String::as_str).collect();
    if !unsaved.is_empty() {
        lines.push(Line::styled(
            format!(" not yet saved: {} (p on the incident goes on)", unsaved.join(", ")),
            theme.pending(),
        ));
    }
    buf.render_widget(Paragraph::new(lines), inner);
}

fn list_row<'a>(
    v: &PostmortemsView<'_>,
    pm: &'a Postmortem,
    selected: bool,
    with_author: bool,
    today: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Line<'a> {
    let theme = v.cx.theme;
    let overdue = pm.overdue_items(today);
    let changed = ago(now, pm.updated_at);
    let name = |n: &str| truncate(&sanitize(n), 8).into_owned();
    let (author, saved_by) = (name(&pm.created_by), name(&pm.updated_by));
    let mut marks = String::new();
    if v.app.drafts.postmortems.contains_key(&pm.id) {
        marks.push_str(&format!(" {}", theme.glyphs.edited));
    }
    if v.app.outbox.pending_for(&pm.id).next().is_some() {
        marks.push_str(&format!(" {}", theme.glyphs.queued));
    }
    let base = if selected { theme.selected() } else { Style::new() };
    let mut spans = vec![
        Span::styled(format!(" {:<8} ", pm.id), base.patch(theme.accent())),
        Span::styled(format!("{:<9} ", pm.status.label()), base.patch(status_style(theme, pm.status))),
        Span::styled(format!("{:<9} ", truncate(&sanitize(&pm.incident_id), 9)), base),
    ];
    if with_author {
        spans.push(Span::styled(format!("{author:<8} "), base));
    }
    spans.extend([
        Span::styled(format!("{saved_by:<8} "), base),
        Span::styled(format!("{:<4} ", pm.open_items()), base),
        Span::styled(format!("{:<7} ", overdue), if overdue > 0 { base.patch(theme.error()) } else { base }),
        Span::styled(format!("{changed:<11} "), base.patch(theme.muted())),
        Span::styled(format!("{}{marks}", sanitize(&pm.title)), base),
    ]);
    Line::from(spans)
}

fn draw_editor(buf: &mut Buffer, area: Rect, v: &PostmortemsView<'_>, editor: &PostmortemEditor, now: DateTime<Utc>) {
    let theme = v.cx.theme;
    let [info, title, body, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)])
            .areas(area);
    let known = v.tab.get(&editor.id);
    let status =
        known.map_or("new, not saved yet".to_string(), |p| format!("{} · version {}", p.status.label(), p.version));
    let written = v.app.drafts.journal_written.get(&editor.id);
    let journal = match v.app.drafts.postmortems.get(&editor.id) {
        _ if editor.unjournaled => format!("typing{}", theme.glyphs.ellipsis),
        Some(d) if written.is_some_and(|w| *w >= d.journaled_at) => {
            format!("journaled {}", local(d.journaled_at, v.cx.zone, "%H:%M:%S"))
        }
        Some(_) => format!("journaling{}", theme.glyphs.ellipsis),
        None => "saved".to_string(),
    };
    let mut spans = vec![
        Span::styled(format!(" {} ", editor.id), theme.accent()),
        Span::styled(
            format!(
                "of {} · {status} · on top of version {} · {journal}",
                sanitize(&editor.incident_id),
                editor.base_version
            ),
            theme.muted(),
        ),
    ];
    if let Some(theirs) = known.filter(|p| p.version > editor.base_version) {
        spans.push(Span::styled(
            format!(" · {} saved version {} since", sanitize(&theirs.updated_by), theirs.version),
            theme.warning(),
        ));
    }
    if editor.offer.is_some() {
        spans.push(Span::styled(" · changed on disk: ctrl-l loads it", theme.warning()));
    }
    buf.render_widget(Line::from(spans), info);
    let [label, field] = Layout::horizontal([Constraint::Length(8), Constraint::Min(1)]).areas(title);
    let focus =
        |part: Part| if editor.part == part { theme.accent().add_modifier(Modifier::REVERSED) } else { theme.muted() };
    buf.render_widget(Span::styled(" Title ", focus(Part::Title)), label);
    buf.render_widget(editor.title(), field);
    let block = Block::default().borders(Borders::TOP).border_style(if editor.part == Part::Body {
        theme.accent()
    } else {
        theme.border()
    });
    let inner = block.inner(body);
    buf.render_widget(block, body);
    buf.render_widget(editor.body(), inner);
    let (label_text, line): (&str, &ratatui_textarea::TextArea<'static>) = match editor.search() {
        Some(search) => (" Find ", search),
        None => (" + item ", editor.item_line()),
    };
    let [label, field] = Layout::horizontal([Constraint::Length(8), Constraint::Min(1)]).areas(bottom);
    buf.render_widget(Span::styled(label_text, focus(Part::ActionItem)), label);
    match &editor.item_error {
        Some(error) if editor.search().is_none() => {
            buf.render_widget(Span::styled(format!("{} {error}", theme.glyphs.rejected), theme.error()), field)
        }
        _ => buf.render_widget(line, field),
    }
    let _ = now;
}

fn draw_conflict(buf: &mut Buffer, area: Rect, v: &PostmortemsView<'_>, editor: &PostmortemEditor) {
    let theme = v.cx.theme;
    let Some(theirs) = &editor.theirs else { return };
    let mine = editor.draft();
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", editor.id), theme.accent()),
            Span::styled(
                format!(
                    "{} saved version {} at {} while you were writing. Both texts are kept.",
                    sanitize(&theirs.updated_by),
                    theirs.version,
                    local(theirs.updated_at, v.cx.zone, "%H:%M:%S")
                ),
                theme.warning(),
            ),
        ]),
        Line::from(vec![
            Span::styled(" t", theme.accent()),
            Span::raw(" take theirs   "),
            Span::styled("m", theme.accent()),
            Span::raw(" keep mine and go on editing   "),
            Span::styled("r", theme.accent()),
            Span::raw(" save mine as a new revision on top"),
        ]),
        Line::styled(" ─── − theirs   + mine ───", theme.muted()),
    ];
    lines.extend(diff_lines(theme, &theirs.draft(), &mine));
    buf.render_widget(Paragraph::new(lines), area);
}

/// The lines that differ between their text and mine (with a line of context), as `−`/`+`.
pub fn diff_lines(theme: &Theme, theirs: &PostmortemDraft, mine: &PostmortemDraft) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if theirs.title != mine.title {
        lines.push(Line::styled(format!(" − title: {}", sanitize(&theirs.title)), theme.error()));
        lines.push(Line::styled(format!(" + title: {}", sanitize(&mine.title)), theme.ok()));
    }
    let diff = similar::TextDiff::from_lines(&theirs.body, &mine.body);
    for group in diff.grouped_ops(1) {
        lines.push(Line::styled(" ┄", theme.muted()));
        for op in group {
            for change in diff.iter_changes(&op) {
                let text = sanitize(change.value().trim_end_matches('\n')).into_owned();
                let line = match change.tag() {
                    similar::ChangeTag::Delete => Line::styled(format!(" − {text}"), theme.error()),
                    similar::ChangeTag::Insert => Line::styled(format!(" + {text}"), theme.ok()),
                    similar::ChangeTag::Equal => Line::styled(format!("   {text}"), theme.muted()),
                };
                lines.push(line);
            }
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled(" the texts are the same", theme.muted()));
    }
    lines
}
