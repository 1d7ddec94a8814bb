//! The keyboard form for planning or editing a maintenance window.
//!
//! Ten fields, one line each. Times are typed in the form's own time zone and parsed
//! forgivingly (`now`, `+30m`, `22:00`, `2026-12-05 02:00`; until `2h` or `04:00`); repeats take
//! `daily`, `weekly`, `monthly`, `weekdays` or a raw RRULE. Submitting reports every field's
//! problem at once as a sentence, never panics, and yields a normalised [`NewMaintenance`].
//! The parsing lives in free functions so it can be tested without a form.

pub mod view;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::style::Style;
use ratatui_textarea::{CursorMove, TextArea};

use crate::domain::duration::parse_duration;
use crate::domain::maintenance::{
    MaintenanceError, MaintenanceKind, MaintenanceWindow, NewMaintenance, parse_timezone, validate,
};
use crate::domain::text::{sanitize, truncate};

/// Longest window of any kind but a change freeze.
pub const MAX_WINDOW_DAYS: i64 = 14;
/// Longest change freeze.
pub const MAX_FREEZE_DAYS: i64 = 62;
/// A start further ahead than this is almost certainly a typo.
const MAX_YEARS_AHEAD: i64 = 5;
/// One paste inserts at most this many characters.
const MAX_PASTE_CHARS: usize = 5_000;
/// Known services named in an "unknown service" message.
const KNOWN_SHOWN: usize = 6;
const START_FORMS: &str = "now, +30m, in 2h, 22:00 or 2026-12-05 02:00";
const WEEKDAYS_RULE: &str = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR";

/// Declared in display order, so `field as usize` indexes [`FormField::ALL`] and the editors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FormField {
    Title,
    Kind,
    Services,
    Start,
    Until,
    TimeZone,
    Recurrence,
    SuppressAlerts,
    PauseSla,
    Description,
}

/// Each field's label and the hint shown while it is empty, in display order.
const FIELDS: [(FormField, &str, &str); 10] = [
    (FormField::Title, "Title", "what is done, e.g. GPU node kernel patching"),
    (FormField::Kind, "Kind", ""),
    (FormField::Services, "Services", "llm-gateway, rag-retrieval"),
    (FormField::Start, "Start", "now, +30m, 22:00, 2026-12-05 02:00"),
    (FormField::Until, "Until", "2h, 90m, 04:00"),
    (FormField::TimeZone, "Time zone", "an IANA name, e.g. Europe/Berlin or UTC"),
    (FormField::Recurrence, "Repeats", "daily, weekly, monthly, weekdays or an RRULE"),
    (FormField::SuppressAlerts, "Suppress alerts", ""),
    (FormField::PauseSla, "Pause SLA", ""),
    (FormField::Description, "Description", "optional: what users will notice"),
];

impl FormField {
    /// Display order, which is also the tab order.
    pub const ALL: [FormField; 10] = {
        let mut all = [FormField::Title; 10];
        let mut i = 0;
        while i < all.len() {
            all[i] = FIELDS[i].0;
            i += 1;
        }
        all
    };

    pub fn label(self) -> &'static str {
        FIELDS[self as usize].1
    }

    /// The hint shown while the field is empty ("" for choices and switches).
    pub fn placeholder(self) -> &'static str {
        FIELDS[self as usize].2
    }

    /// Typed text; the others are a choice (Kind) or a yes/no switch.
    pub fn is_text(self) -> bool {
        !matches!(self, FormField::Kind | FormField::SuppressAlerts | FormField::PauseSla)
    }

    /// The form field a [`MaintenanceError::field`] is about.
    fn from_domain(field: &str) -> FormField {
        match field {
            "end" => FormField::Until,
            "timezone" => FormField::TimeZone,
            "rrule" => FormField::Recurrence,
            "services" => FormField::Services,
            "description" => FormField::Description,
            _ => FormField::Title,
        }
    }
}

#[derive(Debug, Clone)]
pub struct MaintenanceForm {
    /// The window being edited. While the start and time zone read as first shown, its exact
    /// instants are kept: a recurring window's first occurrence may lie long in the past, which
    /// a typed start may not.
    original: Option<MaintenanceWindow>,
    focus: FormField,
    /// One editor per field in [`FormField::ALL`] order; those of choices and switches stay empty.
    texts: [TextArea<'static>; 10],
    kind: MaintenanceKind,
    suppress_alerts: bool,
    pause_sla: bool,
    errors: Vec<(FormField, String)>,
}

/// The time zone, start and end, resolved together (they depend on each other). The end is
/// `None` when the start is unknown and the until text at least reads as an end.
type Times = (Result<Tz, String>, Result<DateTime<Utc>, String>, Option<Result<DateTime<Utc>, String>>);

impl MaintenanceForm {
    /// Blank create form. `default_tz` is the IANA name to prefill the time zone with (e.g.
    /// "Europe/Berlin" or "UTC"). Defaults: kind Routine, suppress_alerts true, pause_sla false,
    /// start empty, until "2h".
    pub fn new(default_tz: &str) -> MaintenanceForm {
        MaintenanceForm::with_texts(["", "", "", "", "2h", &sanitize(default_tz), "", "", "", ""], None)
    }

    /// Prefilled from an existing window, for editing: start as "YYYY-MM-DD HH:MM" in the
    /// window's own time zone, until as a duration ("2h", "1h30m"), the rule as is.
    pub fn edit(window: &MaintenanceWindow) -> MaintenanceForm {
        let [start, until, tz] = shown_times(window);
        let (services, rrule) = (window.services.join(", "), window.rrule.clone().unwrap_or_default());
        let texts = [window.title.as_str(), "", &services, &start, &until, &tz, &rrule, "", "", &window.description];
        MaintenanceForm::with_texts(texts.map(|t| sanitize(t.trim())), Some(window.clone()))
    }

    fn with_texts<S: AsRef<str>>(texts: [S; 10], original: Option<MaintenanceWindow>) -> MaintenanceForm {
        let texts = std::array::from_fn(|i| one_line(texts[i].as_ref(), FormField::ALL[i].placeholder()));
        let defaults = (MaintenanceKind::Routine, true, false);
        let (kind, suppress_alerts, pause_sla) =
            original.as_ref().map_or(defaults, |w| (w.kind, w.suppress_alerts, w.pause_sla));
        let focus = FormField::Title;
        MaintenanceForm { original, focus, texts, kind, suppress_alerts, pause_sla, errors: Vec::new() }
    }

    /// Some((id, version)) when editing.
    pub fn editing(&self) -> Option<(&str, i64)> {
        self.original.as_ref().map(|w| (w.id.as_str(), w.version))
    }

    pub fn focus(&self) -> FormField {
        self.focus
    }

    pub fn next_field(&mut self) {
        self.focus = FormField::ALL[(self.focus as usize + 1) % FormField::ALL.len()];
        self.enter_focused();
    }

    pub fn prev_field(&mut self) {
        let n = FormField::ALL.len();
        self.focus = FormField::ALL[(self.focus as usize + n - 1) % n];
        self.enter_focused();
    }

    /// Entering a text field puts the cursor after what it holds, so typing adds to it and never
    /// silently replaces it (a selection would be invisible under NO_COLOR); replacing the value
    /// is the explicit [`MaintenanceForm::clear_field`].
    fn enter_focused(&mut self) {
        if !self.focus.is_text() {
            return;
        }
        let text = &mut self.texts[self.focus as usize];
        text.cancel_selection();
        text.move_cursor(CursorMove::End);
    }

    /// Empties the focused text field, to type a new value; the text goes to the yank buffer, so
    /// `ctrl-y` puts it back. Returns whether anything was cleared.
    pub fn clear_field(&mut self) -> bool {
        if !self.focus.is_text() {
            return false;
        }
        let text = &mut self.texts[self.focus as usize];
        if text.is_empty() {
            return false;
        }
        text.select_all();
        let cleared = text.cut();
        if cleared {
            self.clear_error(self.focus);
        }
        cleared
    }

    /// A key the keymap did not bind. Text fields edit their text (no newlines); Kind cycles
    /// with space/right/l and left/h; the switches toggle with space/left/right/h/l and are set
    /// with y/n. Returns whether anything changed; a change clears that field's error.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        if key.kind == KeyEventKind::Release {
            return false;
        }
        let field = self.focus;
        let changed = if field.is_text() { edit_text(&mut self.texts[field as usize], key) } else { self.choose(key) };
        if changed {
            self.clear_error(field);
        }
        changed
    }

    fn choose(&mut self, key: KeyEvent) -> bool {
        if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
            return false;
        }
        let forward = matches!(key.code, KeyCode::Char(' ' | 'l') | KeyCode::Right);
        let back = matches!(key.code, KeyCode::Char('h') | KeyCode::Left);
        let switch = match self.focus {
            FormField::SuppressAlerts => &mut self.suppress_alerts,
            FormField::PauseSla => &mut self.pause_sla,
            FormField::Kind if forward || back => {
                let (all, n) = (MaintenanceKind::ALL, MaintenanceKind::ALL.len());
                let i = all.iter().position(|k| *k == self.kind).unwrap_or(0);
                self.kind = all[(i + if forward { 1 } else { n - 1 }) % n];
                return true;
            }
            _ => return false,
        };
        let value = match key.code {
            KeyCode::Char('y' | 'Y') => true,
            KeyCode::Char('n' | 'N') => false,
            _ if forward || back => !*switch,
            _ => return false,
        };
        let changed = value != *switch;
        *switch = value;
        changed
    }

    /// Pasted text into the focused text field (sanitised, newlines become spaces).
    pub fn paste(&mut self, text: &str) -> bool {
        let clean: String = sanitize(text).chars().take(MAX_PASTE_CHARS).collect();
        let changed = self.focus.is_text() && !clean.is_empty() && self.texts[self.focus as usize].insert_str(clean);
        if changed {
            self.clear_error(self.focus);
        }
        changed
    }

    /// Validates every field. On success returns the normalised window and clears the errors;
    /// otherwise stores all field errors, focuses the first field with one and returns None.
    /// `known_services` are the ids the console knows; when empty, services are not checked
    /// against it (the server checks).
    pub fn submit(&mut self, now: DateTime<Utc>, known_services: &[String]) -> Option<NewMaintenance> {
        let (tz, start, end) = self.times(now);
        let zone = tz.as_ref().map_or(Tz::UTC, |tz| *tz);
        let stand_in = probe(*start.as_ref().unwrap_or(&now), zone);
        let services = parse_services(&self.value(FormField::Services));
        let rrule = parse_repeats(&self.value(FormField::Recurrence), stand_in.start, zone);
        let (until, end) = match (&start, end) {
            (Ok(start), Some(Ok(end))) => (check_length(self.kind, *start, end), end),
            (_, end) => (end.map_or(Ok(()), |end| end.map(drop)), stand_in.end),
        };
        let checks = [
            (FormField::Services, check_known(&services, known_services)),
            (FormField::Start, start.clone().map(drop)),
            (FormField::Until, until),
            (FormField::TimeZone, tz.map(drop)),
            (FormField::Recurrence, rrule.clone().map(drop)),
        ];
        let mut errors: Vec<(FormField, String)> =
            checks.into_iter().filter_map(|(field, check)| check.err().map(|e| (field, e))).collect();
        let mut new = NewMaintenance {
            title: self.value(FormField::Title),
            kind: self.kind,
            services,
            start: stand_in.start,
            end,
            timezone: zone.name().to_string(),
            rrule: rrule.unwrap_or(None),
            exdates: Vec::new(),
            uid: self.original.as_ref().and_then(|w| w.uid.clone()),
            description: self.value(FormField::Description),
            suppress_alerts: self.suppress_alerts,
            pause_sla: self.pause_sla,
        };
        // An edited window keeps the UID it was imported with, and its excluded occurrences
        // while its start and rule stay as they were (they name starts of that rule).
        if let Some(w) = self.original.as_ref().filter(|w| w.start == new.start && w.rrule == new.rrule) {
            new.exdates = w.exdates.clone();
        }
        new.normalize();
        // The domain's rules, every one: note each complaint, put a valid stand-in in its place.
        let mut candidate = new.clone();
        for _ in 0..FormField::ALL.len() {
            let Err(e) = validate(&candidate) else { break };
            let field = FormField::from_domain(e.field());
            if !errors.iter().any(|(f, _)| *f == field) {
                errors.push((field, domain_message(&e)));
            }
            match field {
                FormField::Until => (candidate.start, candidate.end) = (stand_in.start, stand_in.end),
                FormField::TimeZone => candidate.timezone = stand_in.timezone.clone(),
                FormField::Recurrence => candidate.rrule = None,
                FormField::Services => candidate.services = stand_in.services.clone(),
                FormField::Description => candidate.description.clear(),
                _ => candidate.title = stand_in.title.clone(),
            }
        }
        if errors.is_empty() {
            self.errors.clear();
            return Some(new);
        }
        errors.sort_by_key(|(field, _)| *field);
        self.focus = errors[0].0;
        self.enter_focused();
        self.errors = errors;
        None
    }

    pub fn errors(&self) -> &[(FormField, String)] {
        &self.errors
    }

    pub fn error_for(&self, field: FormField) -> Option<&str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, message)| message.as_str())
    }

    fn clear_error(&mut self, field: FormField) {
        self.errors.retain(|(f, _)| *f != field);
    }

    /// When it would run, once start, until and time zone parse: "Sat 28 Nov 02:00–04:00
    /// Europe/Berlin · 01:00–03:00 UTC", with " · repeats monthly" when a rule is set.
    pub fn preview(&self, now: DateTime<Utc>) -> Option<String> {
        let (Ok(tz), Ok(start), Some(Ok(end))) = self.times(now) else {
            return None;
        };
        let (s, e) = (start.with_timezone(&tz).fixed_offset(), end.with_timezone(&tz).fixed_offset());
        let mut text = format!("{} {}", span(s, e, None), tz.name());
        if s.offset().local_minus_utc() != 0 || e.offset().local_minus_utc() != 0 {
            text.push_str(&format!(" · {} UTC", span(start.fixed_offset(), end.fixed_offset(), Some(s.date_naive()))));
        }
        if let Ok(Some(rule)) = parse_repeats(&self.value(FormField::Recurrence), start, tz) {
            text.push_str(&format!(" · repeats {}", repeat_summary(&rule)));
        }
        Some(text)
    }

    fn times(&self, now: DateTime<Utc>) -> Times {
        let [start_text, until_text, tz_text] =
            [FormField::Start, FormField::Until, FormField::TimeZone].map(|f| self.value(f).trim().to_string());
        let tz = parse_zone(&tz_text);
        let zone = tz.as_ref().map_or(Tz::UTC, |tz| *tz);
        let original = self.original.as_ref().map(|w| (w, shown_times(w)));
        let original = original.filter(|(_, [start, _, tz])| *start == start_text && *tz == tz_text);
        let start = original.as_ref().map_or_else(|| parse_start(&start_text, zone, now), |(w, _)| Ok(w.start));
        let end = match (&start, original) {
            (Ok(_), Some((w, [_, until, _]))) if until == until_text => Some(Ok(w.end)),
            (Ok(start), _) => Some(parse_until(&until_text, *start, zone)),
            // The start is unknown: only say whether the text reads as an end at all.
            (Err(_), _) => parse_until(&until_text, now, zone).err().map(Err),
        };
        (tz, start, end)
    }

    fn value(&self, field: FormField) -> String {
        self.texts[field as usize].lines().join(" ")
    }

    /// The text field's editor; None for Kind and the switches.
    pub fn text(&self, field: FormField) -> Option<&TextArea<'static>> {
        field.is_text().then(|| &self.texts[field as usize])
    }

    pub fn kind(&self) -> MaintenanceKind {
        self.kind
    }

    pub fn suppress_alerts(&self) -> bool {
        self.suppress_alerts
    }

    pub fn pause_sla(&self) -> bool {
        self.pause_sla
    }

    /// Whether the user typed anything worth keeping as a draft (title, services, description).
    pub fn has_text(&self) -> bool {
        let fields = [FormField::Title, FormField::Services, FormField::Description];
        fields.iter().any(|f| !self.value(*f).trim().is_empty())
    }
}

/// The start, until and time zone texts an existing window is shown with.
fn shown_times(window: &MaintenanceWindow) -> [String; 3] {
    let tz = parse_zone(&window.timezone).unwrap_or(Tz::UTC);
    let start = window.start.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    [start, format_duration(window.end - window.start), sanitize(window.timezone.trim()).into_owned()]
}

/// A single-line editor holding `text`, cursor at its end, without a cursor-line underline.
fn one_line(text: &str, placeholder: &str) -> TextArea<'static> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.set_cursor_line_style(Style::default());
    area.set_placeholder_text(placeholder);
    area.move_cursor(CursorMove::End);
    area
}

/// Edits a single-line text field: the only keys that insert a newline (Enter, Ctrl-M, a
/// newline character) are refused, as are tabs and other control characters.
fn edit_text(area: &mut TextArea<'static>, key: KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Enter | KeyCode::Tab | KeyCode::BackTab => false,
        KeyCode::Char('m') if ctrl => false,
        KeyCode::Char(c) if c.is_control() || sanitize(c.encode_utf8(&mut [0; 4])).is_empty() => false,
        _ => area.input(key),
    }
}

/// A valid window at `start` to check one field at a time through [`validate`].
fn probe(start: DateTime<Utc>, tz: Tz) -> NewMaintenance {
    NewMaintenance {
        title: "probe".into(),
        kind: MaintenanceKind::Routine,
        services: vec!["probe".into()],
        start,
        end: start.checked_add_signed(Duration::hours(1)).unwrap_or(DateTime::<Utc>::MAX_UTC),
        timezone: tz.name().into(),
        rrule: None,
        exdates: Vec::new(),
        uid: None,
        description: String::new(),
        suppress_alerts: false,
        pause_sla: false,
    }
}

/// The domain's message reworded for a form line: "title must not be empty".
fn domain_message(error: &MaintenanceError) -> String {
    let text = error.to_string();
    let rest = text.split_once(": ").map_or(text.as_str(), |(_, rest)| rest);
    let message = match error {
        MaintenanceError::BadRrule(_) => format!("not a valid repeat rule: {rest}"),
        MaintenanceError::EmptyTitle | MaintenanceError::TitleTooLong => format!("title {rest}"),
        MaintenanceError::DescriptionTooLong => format!("description {rest}"),
        MaintenanceError::EndNotAfterStart => "the end must be after the start".to_string(),
        _ => rest.to_string(),
    };
    truncate(&sanitize(&message), 200).into_owned()
}

mod parse;
pub use parse::{
    check_known, check_length, format_duration, parse_repeats, parse_services, parse_start, parse_until, parse_zone,
};
use parse::{repeat_summary, span};

#[cfg(test)]
mod tests;
