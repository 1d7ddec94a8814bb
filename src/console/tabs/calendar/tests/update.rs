//! Pure update tests for planning, editing, cancelling and importing maintenance windows from
//! the Calendar tab: the form with bad input, queued commands, drafts, roles and .ics files.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::api::Change;
use crate::backend::{BackendError, Conflict};
use crate::console::outbox::{OutboxEffect, OutboxEntry};
use crate::console::state::tests::*;
use crate::console::tabs::calendar::form::FormField;
use crate::domain::{Command, Entity};
use crate::domain::{MaintenanceAction, MaintenanceWindow, Rejection};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

fn state(role: Role) -> AppState {
    let config = Config::parse("timezone = \"UTC\"\n", std::path::Path::new("config.toml")).unwrap();
    let snapshot = crate::fixtures::seeded_snapshot(7, now());
    let mut state = AppState::new(crate::fixtures::session(false), &config, snapshot, true, now());
    state.session.me = Some(Me { name: "dana".into(), role });
    state.update(Event::Resize { width: 100, height: 30 }, now());
    state.update(crate::fixtures::synced(now(), "fixture", false, Vec::new()), now());
    press(&mut state, KeyCode::Char('5'));
    state
}

fn press(state: &mut AppState, code: KeyCode) -> Update {
    state.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)), now())
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

/// Moves the form's focus to `field` with Tab.
fn focus(state: &mut AppState, field: FormField) {
    for _ in 0..FormField::ALL.len() {
        if state.modals.form().unwrap().focus() == field {
            return;
        }
        press(state, KeyCode::Tab);
    }
    panic!("{field:?} is not reachable with Tab");
}

/// Replaces the text of `field` with `text`.
fn fill(state: &mut AppState, field: FormField, text: &str) {
    focus(state, field);
    let len = state.modals.form().unwrap().text(field).map_or(0, |t| t.lines().join("").chars().count());
    press(state, KeyCode::End);
    for _ in 0..len {
        press(state, KeyCode::Backspace);
    }
    type_text(state, text);
}

fn persisted(update: &Update) -> Vec<OutboxEntry> {
    update
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Outbox(OutboxEffect::Persist(entry)) => Some(entry.clone()),
            _ => None,
        })
        .collect()
}

fn flash(state: &AppState) -> &str {
    state.flash.as_ref().map_or("", |f| f.text.as_str())
}

fn select(state: &mut AppState, title_part: &str) -> MaintenanceWindow {
    for _ in 0..state.calendar.agenda().len() {
        if let Some(w) = state.calendar.selected_window().filter(|w| w.title.contains(title_part)) {
            return w.clone();
        }
        press(state, KeyCode::Down);
    }
    panic!("no window “{title_part}” in the agenda");
}

#[test]
fn responders_and_read_only_consoles_are_told_before_any_form_opens() {
    let mut s = state(Role::Responder);
    press(&mut s, KeyCode::Char('n'));
    assert!(s.modals.form().is_none());
    assert!(flash(&s).contains("only commanders"), "{}", flash(&s));
    let mut s = state(Role::Commander);
    s.session.read_only_flag = true;
    for key in ['n', 'e', 'x', 'i'] {
        press(&mut s, KeyCode::Char(key));
        assert!(s.modals.form().is_none() && s.modals.confirm().is_none() && s.modals.input().is_none());
        assert!(flash(&s).starts_with("read-only"), "{key}: {}", flash(&s));
    }
}

#[test]
fn an_empty_form_shows_every_problem_and_queues_nothing() {
    let mut s = state(Role::Commander);
    press(&mut s, KeyCode::Char('n'));
    assert_eq!(s.layers(), vec![Mode::Form]);
    let update = press(&mut s, KeyCode::Enter);
    assert!(persisted(&update).is_empty() && s.outbox.is_empty());
    let form = s.modals.form().expect("the form stays open");
    assert!(form.error_for(FormField::Title).is_some(), "{:?}", form.errors());
    assert!(form.error_for(FormField::Services).is_some(), "{:?}", form.errors());
    assert!(form.error_for(FormField::Start).is_some(), "{:?}", form.errors());
    assert_eq!(form.focus(), FormField::Title, "focus goes to the first field to fix");
    assert!(flash(&s).contains("nothing was queued"), "{}", flash(&s));
}

#[test]
fn bad_input_in_each_field_is_named_and_nothing_is_queued() {
    let mut s = state(Role::Commander);
    press(&mut s, KeyCode::Char('n'));
    fill(&mut s, FormField::Title, "Vector index rebuild");
    fill(&mut s, FormField::Services, "rag-retrieval, no-such-service");
    fill(&mut s, FormField::Start, "25:99");
    fill(&mut s, FormField::Until, "soon");
    fill(&mut s, FormField::TimeZone, "Mars/Olympus_Mons");
    fill(&mut s, FormField::Recurrence, "FREQ=FORTNIGHTLY");
    let update = press(&mut s, KeyCode::Enter);
    assert!(persisted(&update).is_empty() && s.outbox.is_empty());
    let form = s.modals.form().unwrap();
    let error = |f| form.error_for(f).unwrap_or_else(|| panic!("no error for {f:?}: {:?}", form.errors()));
    assert!(error(FormField::Services).contains("no-such-service"));
    assert!(error(FormField::TimeZone).contains("Mars/Olympus_Mons"));
    error(FormField::Start);
    error(FormField::Recurrence);
    assert!(form.error_for(FormField::Title).is_none());
    // Fixing one field clears its message; the others stay until fixed.
    fill(&mut s, FormField::TimeZone, "Europe/Berlin");
    let form = s.modals.form().unwrap();
    assert!(form.error_for(FormField::TimeZone).is_none() && form.error_for(FormField::Services).is_some());
}

#[test]
fn a_valid_window_is_queued_shown_at_once_and_replaced_by_the_backend_s() {
    let mut s = state(Role::Commander);
    press(&mut s, KeyCode::Char('n'));
    fill(&mut s, FormField::Title, "Vector index rebuild");
    fill(&mut s, FormField::Services, "rag-retrieval");
    fill(&mut s, FormField::Start, "2026-11-05 18:00");
    fill(&mut s, FormField::Until, "90m");
    fill(&mut s, FormField::TimeZone, "UTC");
    let update = press(&mut s, KeyCode::Enter);
    assert!(s.modals.form().is_none());
    let [entry] = persisted(&update).try_into().expect("one queued command");
    assert_eq!((entry.target_id.as_str(), entry.base_version), (NEW_WINDOW_TARGET, 0));
    let Command::Maintenance(MaintenanceAction::Create { window }) = &entry.action else {
        panic!("{:?}", entry.action);
    };
    assert_eq!(window.services, vec!["rag-retrieval".to_string()]);
    assert_eq!(window.end - window.start, chrono::Duration::minutes(90));
    let shown = s.calendar.windows().iter().find(|w| w.title == "Vector index rebuild").expect("shown").clone();
    assert!(s.calendar.is_queued(&shown.id) && shown.id.starts_with("new-"));
    assert!(flash(&s).contains("Vector index rebuild"), "{}", flash(&s));

    s.update(Event::OutboxPersisted { key: entry.key.clone(), error: None }, now());
    let created = MaintenanceWindow::create("MW-3099".into(), window.clone(), "dana", now());
    s.update(Event::OutboxAnswered { key: entry.key, result: Ok(Entity::Maintenance(created)) }, now());
    let ids: Vec<&str> =
        s.calendar.windows().iter().filter(|w| w.title == "Vector index rebuild").map(|w| w.id.as_str()).collect();
    assert_eq!(ids, vec!["MW-3099"], "the provisional window gives way to the backend's");
    assert!(!s.calendar.is_queued("MW-3099"));
    assert!(flash(&s).contains("MW-3099 planned"), "{}", flash(&s));
}

#[test]
fn esc_keeps_the_typed_form_as_a_draft_for_n() {
    let mut s = state(Role::Commander);
    press(&mut s, KeyCode::Char('n'));
    fill(&mut s, FormField::Title, "Half-planned rollout");
    press(&mut s, KeyCode::Esc);
    assert!(s.modals.form().is_none());
    assert!(flash(&s).contains("draft kept"), "{}", flash(&s));
    press(&mut s, KeyCode::Char('n'));
    let title = s.modals.form().unwrap().text(FormField::Title).unwrap().lines().join("");
    assert_eq!(title, "Half-planned rollout");
}

#[test]
fn tabbing_through_the_form_keeps_values_and_ctrl_u_clears_one_on_purpose() {
    let mut s = state(Role::Commander);
    press(&mut s, KeyCode::Char('n'));
    fill(&mut s, FormField::Title, "Reindex");
    // Tab into the prefilled until and type: the value grows, it is not replaced.
    focus(&mut s, FormField::Until);
    type_text(&mut s, "30m");
    let value = |s: &AppState, f| s.modals.form().unwrap().text(f).unwrap().lines().join("");
    assert_eq!(value(&s, FormField::Until), "2h30m");
    // Esc: the draft holds what was typed, not a wiped field.
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Char('n'));
    assert_eq!(value(&s, FormField::Until), "2h30m");
    // Ctrl-u is the form's own key (help lists it) and empties the focused field only.
    focus(&mut s, FormField::Until);
    let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(s.settings.keymap.resolve(&s.layers(), &ctrl_u), Some(crate::console::action::Action::ClearField));
    assert!(s.update(Event::Key(ctrl_u), now()).changed);
    assert_eq!(value(&s, FormField::Until), "");
    type_text(&mut s, "90m");
    assert_eq!((value(&s, FormField::Until), value(&s, FormField::Title)), ("90m".into(), "Reindex".into()));
}

#[test]
fn pasted_escape_sequences_do_not_reach_the_form() {
    let mut s = state(Role::Commander);
    press(&mut s, KeyCode::Char('n'));
    s.update(Event::Paste("DB \x1b[31mupgrade\x07".into()), now());
    let title = s.modals.form().unwrap().text(FormField::Title).unwrap().lines().join("");
    assert!(!title.contains('\x1b') && !title.contains('\x07') && title.contains("upgrade"), "{title:?}");
}

#[test]
fn x_cancels_after_confirmation_and_a_stale_version_is_reported_with_who_changed_it() {
    let mut s = state(Role::Commander);
    let drill = select(&mut s, "Monthly platform patching");
    press(&mut s, KeyCode::Char('x'));
    let confirm = s.modals.confirm().cloned().expect("asks first");
    assert_eq!(confirm.id, drill.id);
    assert_eq!(confirm.command, Command::Maintenance(MaintenanceAction::Cancel));
    let update = press(&mut s, KeyCode::Char('y'));
    let [entry] = persisted(&update).try_into().expect("one queued command");
    assert_eq!((entry.target_id.as_str(), entry.base_version), (drill.id.as_str(), drill.version));
    assert!(s.calendar.window(&drill.id).is_some_and(|w| w.cancelled), "shown cancelled while queued");

    s.update(Event::OutboxPersisted { key: entry.key.clone(), error: None }, now());
    let mut theirs = drill.clone();
    let mut edit = theirs.to_new();
    edit.title = "Monthly platform patching (moved)".into();
    theirs.edit(edit, "lee", now() - chrono::Duration::minutes(3));
    let conflict = Conflict {
        message: "stale".into(),
        reason: Rejection::StaleVersion { seen: drill.version, current: theirs.version },
        current: Entity::Maintenance(theirs.clone()),
    };
    let result = Err(BackendError::Conflict(Box::new(conflict)));
    s.update(Event::OutboxAnswered { key: entry.key, result }, now());
    assert!(flash(&s).contains("edited by lee 3 min ago"), "{}", flash(&s));
    let shown = s.calendar.window(&drill.id).unwrap();
    assert!(!shown.cancelled && shown.title == theirs.title, "their version is shown, not cancelled");
}

#[test]
fn e_edits_against_the_version_seen_when_the_form_opened() {
    let mut s = state(Role::Commander);
    let retrain = select(&mut s, "retrain");
    press(&mut s, KeyCode::Char('e'));
    assert_eq!(s.modals.form().unwrap().editing(), Some((retrain.id.as_str(), retrain.version)));
    fill(&mut s, FormField::Title, "Weekly retrain (longer)");
    fill(&mut s, FormField::Until, "3h");
    // Someone else edits it while the form is open: the edit is still taken against what we saw.
    let mut theirs = retrain.clone();
    theirs.edit(theirs.to_new(), "lee", now());
    s.update(crate::fixtures::synced(now(), "fixture", false, vec![Change::Maintenance(theirs)]), now());
    let update = press(&mut s, KeyCode::Enter);
    let [entry] = persisted(&update).try_into().expect("one queued command");
    assert_eq!((entry.target_id.as_str(), entry.base_version), (retrain.id.as_str(), retrain.version));
    let Command::Maintenance(MaintenanceAction::Edit { window }) = &entry.action else {
        panic!("{:?}", entry.action);
    };
    assert_eq!(
        (window.title.as_str(), window.end - window.start),
        ("Weekly retrain (longer)", chrono::Duration::hours(3))
    );
}

const TWO_EVENTS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:a@example.com\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Gateway TLS rotation\r\n\
DTSTART:20261120T020000Z\r\nDTEND:20261120T030000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:b@example.com\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Retriever reindex\r\n\
DTSTART:20261121T020000Z\r\nDTEND:20261121T040000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[test]
fn i_reads_the_file_off_the_ui_task_and_queues_one_window_per_event() {
    let mut s = state(Role::Commander);
    press(&mut s, KeyCode::Char('i'));
    type_text(&mut s, "~/plans/q4.ics llm-gateway");
    let update = press(&mut s, KeyCode::Enter);
    let [Effect::ReadCalendar { path, services }] = &update.effects[..] else {
        panic!("{:?}", update.effects);
    };
    assert!(path.ends_with("plans/q4.ics") && services == &vec!["llm-gateway".to_string()]);
    let read =
        |result: Result<String, String>| Event::CalendarFile { path: path.clone(), services: services.clone(), result };
    let update = s.update(read(Ok(TWO_EVENTS.into())), now());
    assert_eq!(persisted(&update).len(), 2);
    assert_eq!(s.outbox.len(), 2);
    assert!(flash(&s).contains("2 new, 0 updated, 0 cancelled"), "{}", flash(&s));
    // The same file again: both are already shown (queued), nothing more is queued.
    let update = s.update(read(Ok(TWO_EVENTS.into())), now());
    assert!(persisted(&update).is_empty());
    assert!(flash(&s).contains("0 new") && flash(&s).contains("2 unchanged"), "{}", flash(&s));
}

#[test]
fn a_bad_calendar_file_says_why_and_queues_nothing() {
    let mut s = state(Role::Commander);
    let path = std::path::PathBuf::from("broken.ics");
    for (text, why, services) in [
        (Err("No such file or directory (os error 2)".to_string()), "No such file", "llm-gateway"),
        (Ok("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x".to_string()), "truncated", "llm-gateway"),
        (Ok(TWO_EVENTS.into()), "unknown service `nope`", "nope"),
    ] {
        let services = vec![services.to_string()];
        let update = s.update(Event::CalendarFile { path: path.clone(), services, result: text.clone() }, now());
        assert!(persisted(&update).is_empty() && s.outbox.is_empty());
        assert!(flash(&s).contains(why) && flash(&s).contains("nothing was imported"), "{}", flash(&s));
    }
    let denied = Err("Permission denied (os error 13)".to_string());
    let services = vec!["llm-gateway".to_string()];
    let update = s.update(Event::CalendarFile { path: path.clone(), services, result: denied }, now());
    assert!(persisted(&update).is_empty() && s.outbox.is_empty());
    assert!(flash(&s).contains("Permission denied") && flash(&s).contains("nothing was imported"), "{}", flash(&s));
}

#[test]
fn a_bad_event_is_refused_alone_with_a_message_naming_it() {
    let mut s = state(Role::Commander);
    let text = TWO_EVENTS.replace("SUMMARY:Retriever reindex", "SUMMARY:Retriever reindex\r\nRRULE:FREQ=MINUTELY");
    let (path, services) = (std::path::PathBuf::from("q4.ics"), vec!["llm-gateway".to_string()]);
    let update = s.update(Event::CalendarFile { path, services, result: Ok(text) }, now());
    assert_eq!(persisted(&update).len(), 1, "the good event is queued");
    assert!(flash(&s).contains("1 new") && flash(&s).contains("1 refused (see messages)"), "{}", flash(&s));
    let refused: Vec<&str> =
        s.messages.newest_first().map(|m| m.text.as_str()).filter(|t| t.contains("refused")).collect();
    assert!(
        refused
            .iter()
            .any(|t| t.contains("`b@example.com` (Retriever reindex): rrule: FREQ=MINUTELY repeats more often")),
        "{refused:?}"
    );
}

#[test]
fn import_arguments_take_quotes_home_and_services() {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
    assert_eq!(import_args("  "), None);
    assert_eq!(import_args("a.ics"), Some(("a.ics".into(), vec![])));
    assert_eq!(import_args("\"my plans.ics\" x, y"), Some(("my plans.ics".into(), vec!["x".into(), "y".into()])));
    if std::env::var_os("HOME").is_some() {
        assert_eq!(import_args("~/q.ics"), Some((home.join("q.ics"), vec![])));
    }
}
