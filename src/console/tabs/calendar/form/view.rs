//! The maintenance window form: a centred popup with one row per field, each error under the
//! field it is about, a preview of when the window would run, and the keys that drive it.
//!
//! When the errors do not all fit below their fields (short terminals), only the focused
//! field's error gets a row of its own and the others follow their values on the same row. On a
//! terminal too short for every field the rows scroll to keep the focused one in view, with the
//! preview and keys kept at the bottom.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::console::action::Action;
use crate::console::keymap::{Keymap, Mode};
use crate::console::tabs::calendar::form::{FormField, MaintenanceForm};
use crate::console::theme::Theme;
use crate::domain::text::{sanitize, truncate};

/// Widest the popup gets.
const MAX_WIDTH: u16 = 76;
/// The label column: a space, the longest label ("Suppress alerts"), a gap.
const LABEL_WIDTH: u16 = 17;

/// One line of the popup's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Field(FormField),
    /// Line `n` of the field's error, wrapped to the popup.
    Error(FormField, usize),
    Blank,
}

pub fn draw_form(
    frame: &mut Frame<'_>,
    area: Rect,
    form: &MaintenanceForm,
    theme: &Theme,
    keymap: &Keymap,
    now: DateTime<Utc>,
) {
    let width = area.width.saturating_sub(2).min(MAX_WIDTH);
    let hints = hint_lines(form, theme, keymap, width.saturating_sub(2));
    let hint_rows = hints.len() as u16;
    let footer = 1 + hint_rows;
    let room = area.height.saturating_sub(2);
    let fields = FormField::ALL.len() as u16;
    let inner_width = width.saturating_sub(2);
    let error_lines = |field: FormField| form.error_for(field).map_or(Vec::new(), |e| error_lines(e, inner_width));
    let errors: u16 = FormField::ALL.iter().map(|f| error_lines(*f).len() as u16).sum();
    let errors_below = fields + errors + footer <= room;
    let mut rows: Vec<Row> = Vec::with_capacity(24);
    for field in FormField::ALL {
        rows.push(Row::Field(field));
        if errors_below || field == form.focus() {
            rows.extend((0..error_lines(field).len()).map(|n| Row::Error(field, n)));
        }
    }
    if rows.len() as u16 + footer < room {
        rows.push(Row::Blank);
    }
    let height = (rows.len() as u16 + footer + 2).min(area.height);
    let popup = crate::console::widgets::centered(area, width, height);
    frame.render_widget(Clear, popup);
    let title = match form.editing() {
        Some((id, version)) => format!(" Edit {} (v{version}) ", truncate(&sanitize(id), 40)),
        None => " New maintenance window ".to_string(),
    };
    let block =
        Block::default().borders(Borders::ALL).border_style(theme.accent()).title(Span::styled(title, theme.header()));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    if inner.width == 0 || inner.height == 0 {
        return;
    }

    // The preview and keys stay at the bottom while at least two rows are left for fields.
    let footer = if inner.height >= footer + 2 { footer } else { 0 };
    let body_height = inner.height - footer;
    let focus_row = rows.iter().position(|r| *r == Row::Field(form.focus())).unwrap_or(0);
    let last_needed =
        rows.iter().rposition(|r| matches!(r, Row::Error(f, _) if *f == form.focus())).unwrap_or(focus_row);
    // The focused field and its whole error in view; the field first when not all of it fits.
    let offset = (last_needed + 1).saturating_sub(usize::from(body_height)).min(focus_row);
    for (i, row) in rows.iter().skip(offset).take(usize::from(body_height)).enumerate() {
        let line = Rect { y: inner.y + i as u16, height: 1, ..inner };
        match *row {
            Row::Field(field) => draw_field(frame, line, form, field, theme, !errors_below),
            Row::Error(field, n) => {
                if let Some((indent, text)) = error_lines(field).get(n) {
                    let indent = (*indent).min(line.width);
                    let area = Rect { x: line.x + indent, width: line.width - indent, ..line };
                    frame.render_widget(Span::styled(text.clone(), theme.error()), area);
                }
            }
            Row::Blank => {}
        }
    }
    if footer == 0 {
        return;
    }
    let preview_area = Rect { y: inner.y + body_height, height: 1, ..inner };
    let preview = match form.preview(now) {
        Some(text) => format!(" {text}"),
        None => " (when it runs shows here once start, until and time zone read well)".to_string(),
    };
    frame.render_widget(Line::styled(preview, theme.muted()), preview_area);
    let hints_area = Rect { y: preview_area.y + 1, height: hint_rows, ..inner };
    frame.render_widget(Paragraph::new(hints), hints_area);
}

/// Label, then the value: the editor when focused, plain text otherwise. With `inline_errors`
/// an unfocused field's error follows its value.
fn draw_field(
    frame: &mut Frame<'_>,
    area: Rect,
    form: &MaintenanceForm,
    field: FormField,
    theme: &Theme,
    inline_errors: bool,
) {
    let focused = form.focus() == field;
    let error = form.error_for(field);
    let label_style = match (focused, error) {
        (true, _) => theme.accent().add_modifier(Modifier::REVERSED),
        (false, Some(_)) => theme.error(),
        (false, None) => theme.header(),
    };
    let label_width = LABEL_WIDTH.min(area.width);
    let label_area = Rect { width: label_width, ..area };
    let value_area = Rect { x: area.x + label_width, width: area.width - label_width, ..area };
    let label = format!(" {:<w$}", field.label(), w = usize::from(LABEL_WIDTH - 2));
    frame.render_widget(Span::styled(label, label_style), label_area);
    if value_area.width == 0 {
        return;
    }
    let value_width = usize::from(value_area.width);
    if let (true, Some(text)) = (focused, form.text(field)) {
        if text.is_empty() {
            let mut text = text.clone();
            text.set_placeholder_style(theme.muted());
            frame.render_widget(&text, value_area);
        } else {
            frame.render_widget(text, value_area);
        }
        return;
    }
    let mut spans = value_spans(form, field, theme, focused, value_width);
    if let (true, false, Some(error)) = (inline_errors, focused, error) {
        if form.text(field).is_some_and(|t| t.is_empty()) {
            spans.clear(); // the error says more than the placeholder
        } else {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(format!("{} {error}", theme.glyphs.rejected), theme.error()));
    }
    frame.render_widget(Line::from(spans), value_area);
}

fn value_spans(
    form: &MaintenanceForm,
    field: FormField,
    theme: &Theme,
    focused: bool,
    width: usize,
) -> Vec<Span<'static>> {
    let chosen = if focused { theme.accent() } else { Style::new() };
    match field {
        FormField::Kind => {
            let label = capitalised(form.kind().label());
            if focused {
                vec![
                    Span::styled("‹ ", theme.accent()),
                    Span::styled(label, theme.accent().add_modifier(Modifier::REVERSED)),
                    Span::styled(" ›", theme.accent()),
                ]
            } else {
                vec![Span::raw(label)]
            }
        }
        FormField::SuppressAlerts | FormField::PauseSla => {
            let on = if field == FormField::PauseSla { form.pause_sla() } else { form.suppress_alerts() };
            vec![Span::styled(if on { "[x] yes" } else { "[ ] no" }, chosen)]
        }
        _ => {
            let text = form.text(field).map(|t| t.lines().join(" ")).unwrap_or_default();
            if text.is_empty() {
                vec![Span::styled(truncate(field.placeholder(), width).into_owned(), theme.muted())]
            } else {
                vec![Span::raw(truncate(&text, width).into_owned())]
            }
        }
    }
}

/// Where an error's lines start.
const ERROR_INDENT: u16 = 3;

/// An error under its field, whole: in the value column when it fits there on one line, else
/// from further left, wrapped at spaces over as many lines as it takes (continuations under the
/// text, after the `✗ `). Each line with the indent it is drawn at.
fn error_lines(error: &str, inner_width: u16) -> Vec<(u16, String)> {
    let text = format!("✗ {}", sanitize(error));
    if text.chars().count() <= usize::from(inner_width.saturating_sub(LABEL_WIDTH)) {
        return vec![(LABEL_WIDTH, text)];
    }
    let width = usize::from(inner_width.saturating_sub(ERROR_INDENT + 2)).max(8);
    crate::console::widgets::history::wrap_words(&sanitize(error), width)
        .into_iter()
        .enumerate()
        .map(|(i, line)| if i == 0 { (ERROR_INDENT, format!("✗ {line}")) } else { (ERROR_INDENT + 2, line) })
        .collect()
}

/// `Space/←→ change  Enter save  Tab next  Shift-Tab prev  Ctrl-u clear field  Esc close (draft
/// kept)`, packed
/// into as many lines of `width` as it takes.
fn hint_lines(form: &MaintenanceForm, theme: &Theme, keymap: &Keymap, width: u16) -> Vec<Line<'static>> {
    let mut hints: Vec<(String, &str)> = Vec::with_capacity(5);
    if !form.focus().is_text() {
        hints.push(("Space/←→".to_string(), "change"));
    }
    let keys = [
        (Action::Submit, "save"),
        (Action::NextField, "next"),
        (Action::PrevField, "prev"),
        (Action::ClearField, "clear field"),
        (Action::CancelInput, "close (draft kept)"),
    ];
    // Only a text field has anything to clear.
    let keys = keys.into_iter().filter(|(action, _)| *action != Action::ClearField || form.focus().is_text());
    hints.extend(keys.map(|(action, text)| (keymap.key_label(&[Mode::Form], action), text)));
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut spans: Vec<Span<'static>> = vec![Span::raw(" ")];
    let mut used = 1;
    for (key, text) in hints {
        let item = key.chars().count() + 1 + text.chars().count();
        if used > 1 && used + item > usize::from(width) {
            lines.push(Line::from(std::mem::replace(&mut spans, vec![Span::raw(" ")])));
            used = 1;
        }
        spans.push(Span::styled(key, theme.accent()));
        spans.push(Span::raw(format!(" {text}  ")));
        used += item + 2;
    }
    lines.push(Line::from(spans));
    lines
}

/// "emergency patch" → "Emergency patch".
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::domain::maintenance::{MaintenanceKind, MaintenanceWindow, NewMaintenance};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
    }

    fn render(form: &MaintenanceForm, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
        let (theme, keymap) = (Theme::default(), Keymap::default());
        terminal.draw(|frame| draw_form(frame, frame.area(), form, &theme, &keymap, now())).expect("draw");
        terminal.backend().to_string()
    }

    fn type_text(form: &mut MaintenanceForm, text: &str) {
        for c in text.chars() {
            form.input(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    /// A form with a start (so there is a preview) and a failed submit (so there are errors).
    fn form_with_errors() -> MaintenanceForm {
        let mut form = MaintenanceForm::new("Europe/Berlin");
        for _ in 0..3 {
            form.next_field();
        }
        type_text(&mut form, "2026-12-05 02:00");
        assert_eq!(form.submit(now(), &[]), None);
        form
    }

    #[test]
    fn shows_every_field_an_error_the_preview_and_the_keys() {
        let form = form_with_errors();
        for (width, height) in [(80, 24), (160, 48)] {
            let screen = render(&form, width, height);
            for field in FormField::ALL {
                assert!(screen.contains(field.label()), "{width}x{height} lacks {}:\n{screen}", field.label());
            }
            assert!(screen.contains(" New maintenance window "), "{screen}");
            assert!(screen.contains("✗ title must not be empty"), "{screen}");
            assert!(screen.contains("✗ at least one affected service is required"), "{screen}");
            assert!(screen.contains("Sat 5 Dec 02:00–04:00 Europe/Berlin · 01:00–03:00 UTC"), "{screen}");
            assert!(screen.contains("Enter save"), "{screen}");
            assert!(screen.contains("Shift-Tab prev"), "{screen}");
            assert!(screen.contains("Esc close (draft kept)"), "{screen}");
            assert!(screen.contains("‹ Routine ›") || screen.contains("Routine"), "{screen}");
            assert!(screen.contains("[x] yes") && screen.contains("[ ] no"), "{screen}");
        }
    }

    #[test]
    fn empty_fields_show_placeholders_and_choices_show_their_keys() {
        let mut form = MaintenanceForm::new("UTC");
        let screen_text = render(&form, 80, 24);
        assert!(screen_text.contains("llm-gateway, rag-retrieval"), "{screen_text}");
        assert!(screen_text.contains("now, +30m, 22:00, 2026-12-05 02:00"), "{screen_text}");
        assert!(screen_text.contains("daily, weekly, monthly, weekdays or an RRULE"), "{screen_text}");
        assert!(screen_text.contains("(when it runs shows here"), "{screen_text}");
        assert!(!screen_text.contains("change"), "no choice focused: {screen_text}");
        form.next_field();
        let screen_text = render(&form, 80, 24);
        assert!(screen_text.contains("‹ Routine ›"), "{screen_text}");
        assert!(screen_text.contains("Space/←→ change"), "{screen_text}");
    }

    #[test]
    fn edit_form_is_titled_with_the_window_and_version() {
        let start = now() + chrono::Duration::days(3);
        let new = NewMaintenance {
            title: "Rotate keys".into(),
            kind: MaintenanceKind::EmergencyPatch,
            services: vec!["llm-gateway".into()],
            start,
            end: start + chrono::Duration::hours(1),
            timezone: "UTC".into(),
            rrule: None,
            exdates: Vec::new(),
            uid: None,
            description: String::new(),
            suppress_alerts: true,
            pause_sla: false,
        };
        let mut window = MaintenanceWindow::create("MW-3001".into(), new, "dana", now());
        window.version = 3;
        let screen = render(&MaintenanceForm::edit(&window), 80, 24);
        assert!(screen.contains(" Edit MW-3001 (v3) "), "{screen}");
        assert!(screen.contains("Rotate keys"), "{screen}");
        assert!(screen.contains("Emergency patch"), "{screen}");
        assert!(screen.contains("Mon 23 Nov 10:00–11:00 UTC"), "{screen}");
    }

    #[test]
    fn short_terminals_keep_the_focused_field_and_its_error_in_view() {
        let mut form = form_with_errors();
        for _ in 0..2 {
            form.next_field(); // Services, which has an error
        }
        let screen = render(&form, 80, 12);
        assert!(screen.contains("Services"), "{screen}");
        assert!(screen.contains("✗ at least one affected service is required"), "{screen}");
        assert!(screen.contains("Enter save"), "{screen}");
        form.prev_field();
        form.prev_field();
        let screen = render(&form, 80, 15);
        assert!(screen.contains("✗ title must not be empty"), "{screen}");
        assert!(screen.contains("Services        ✗ at least one"), "the other error takes the value's place: {screen}");
    }

    #[test]
    fn a_long_error_is_shown_whole_under_its_field() {
        let mut form = MaintenanceForm::new("Europe/Berlin");
        type_text(&mut form, "Reindex");
        form.next_field();
        form.next_field();
        type_text(&mut form, "nope");
        form.next_field();
        type_text(&mut form, "+1h");
        let known: Vec<String> =
            ["doc-processor", "embedding-service", "llm-gateway", "rag-retrieval", "safety-filter"]
                .into_iter()
                .chain(["support-assistant", "billing-meter", "speech-to-text"])
                .map(String::from)
                .collect();
        assert_eq!(form.submit(now(), &known), None);
        let error = form.error_for(FormField::Services).unwrap().to_string();
        assert!(error.chars().count() > 60, "{error}");
        for (width, height) in [(80, 24), (60, 24), (80, 14)] {
            let screen = render(&form, width, height);
            let words: String = screen.split(['"', '│', '\n']).collect::<Vec<_>>().join(" ");
            let shown: Vec<&str> = words.split_whitespace().collect();
            for word in error.split_whitespace() {
                assert!(shown.contains(&word), "{width}x{height} lacks `{word}` of `{error}`:\n{screen}");
            }
        }
    }

    #[test]
    fn never_panics_on_any_size() {
        let form = form_with_errors();
        for width in [1, 2, 3, 5, 10, 17, 18, 20, 30, 50, 80, 120] {
            for height in [1, 2, 3, 4, 5, 6, 8, 12, 16, 20, 24] {
                render(&form, width, height);
            }
        }
        let tiny = render(&form, 20, 5);
        assert!(tiny.contains("Title"), "{tiny}");
    }
}
