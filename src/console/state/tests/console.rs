//! Pure update tests for what the console keeps for the user: prompts that Ctrl-c cancels
//! without losing the text, note drafts that belong to their author and survive a restart, the
//! message log, the marker of an invalid config, and dropping or retrying outbox entries.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use super::{flash, incident, key, live, now, persisted_entry, special, state_with, type_text};
use crate::backend::{BackendError, Conflict};
use crate::console::outbox::OutboxEffect;
use crate::domain::{ActionContext, Command, Entity, IncidentAction, Priority, Rejection};

fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn kept_note(update: &Update) -> Option<&crate::cache::NoteDraft> {
    update.effects.iter().find_map(|e| if let Effect::SaveNoteDraft(n) = e { Some(n) } else { None })
}

/// Ctrl-c in the note prompt cancels the prompt as Esc does, keeping the note; only outside a
/// prompt does it quit, and a prompt open when the console stops keeps its text too.
#[test]
fn ctrl_c_in_a_prompt_cancels_it_and_keeps_the_note() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    state.update(key('n'), now());
    type_text(&mut state, "rolled back the gateway");
    let update = state.update(ctrl('c'), now());
    assert!(
        !state.quit && !update.effects.contains(&Effect::Terminal(TerminalEffect::Quit)),
        "Ctrl-c in a prompt does not quit"
    );
    assert!(state.modals.input().is_none());
    assert_eq!(kept_note(&update).map(|n| n.text.as_str()), Some("rolled back the gateway"));

    // Filter, form and confirmation: Ctrl-c closes them too.
    state.update(key('/'), now());
    state.update(ctrl('c'), now());
    assert!(state.modals.input().is_none() && !state.quit);
    state.update(key('r'), now());
    assert!(state.modals.confirm().is_some());
    state.update(ctrl('c'), now());
    assert!(state.modals.confirm().is_none() && !state.quit && state.outbox.is_empty(), "nothing resolved");

    // Outside prompts, Ctrl-c quits; a note prompt open at a SIGHUP keeps what was typed.
    state.update(key('n'), now());
    type_text(&mut state, " and paged the provider");
    let update = state.update(Event::Shutdown { signal: "SIGHUP" }, now());
    assert_eq!(kept_note(&update).map(|n| n.text.as_str()), Some("rolled back the gateway and paged the provider"));
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    assert!(state.update(ctrl('c'), now()).effects.contains(&Effect::Terminal(TerminalEffect::Quit)));
}

/// Note drafts come back after a restart, for their author only.
#[test]
fn note_drafts_are_restored_for_their_author() {
    let snapshot = |author: &str| CacheSnapshot {
        total: 1,
        incidents: vec![incident("INC-1", Priority::P1, 3)],
        note_drafts: vec![crate::cache::NoteDraft {
            incident_id: "INC-1".into(),
            author: author.into(),
            text: "half a thought".into(),
        }],
        ..CacheSnapshot::default()
    };
    let session = super::tests::session(Role::Responder);
    let mut mine = AppState::new(session.clone(), &Config::default(), snapshot(&session.author), true, now());
    mine.update(key('n'), now());
    assert_eq!(mine.modals.input().unwrap().text(), "half a thought");
    let mut theirs = AppState::new(session, &Config::default(), snapshot("token:someone-else"), true, now());
    theirs.update(key('n'), now());
    assert_eq!(theirs.modals.input().unwrap().text(), "", "another user's note draft is theirs");
}

/// A 409 that says who was first must not be replaced at once by an info ("new P1"): errors
/// outlive infos, and every message is in the log with its time.
#[test]
fn errors_outlive_infos_and_every_message_is_logged() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    let entry = persisted_entry(&state.update(key('a'), now()));
    state.update(Event::OutboxPersisted { key: entry.key.clone(), error: None }, now());
    let mut theirs = state.incidents.row("INC-1").unwrap().confirmed().into_owned();
    let at = now() - chrono::Duration::seconds(40);
    theirs.apply(&IncidentAction::Acknowledge, ActionContext { actor: "dana", now: at, policy: None }).unwrap();
    let conflict = Conflict {
        message: String::new(),
        reason: Rejection::AlreadyAcknowledged { by: "dana".into(), at },
        current: Entity::Incident(theirs),
    };
    let answer = Err(BackendError::Conflict(Box::new(conflict)));
    state.update(Event::OutboxAnswered { key: entry.key, result: answer }, now());
    let error = flash(&state).to_string();
    assert!(error.contains("already acknowledged by dana"), "{error}");

    // A new P1 arrives right after: it rings and is logged, and the error stays up.
    let p1 = crate::api::Change::Incident(incident("INC-2", Priority::P1, 0));
    let update = state.update(super::tests::synced(vec![p1], false), now());
    assert!(update.effects.contains(&Effect::Terminal(TerminalEffect::Bell)));
    assert_eq!(flash(&state), error, "the 409 is not replaced by the new P1");
    state.flash(Level::Info, "syncing…", now() + chrono::Duration::seconds(1));
    assert_eq!(flash(&state), error, "the error stays up");
    let later = now() + chrono::Duration::seconds(30);
    state.flash(Level::Info, "configuration reloaded", later);
    assert_eq!(flash(&state), "configuration reloaded", "once the error's time is up, infos show again");

    let logged: Vec<&str> = state.messages.newest_first().map(|m| m.text.as_str()).collect();
    assert_eq!(&logged[..3], ["configuration reloaded", "syncing…", "new P1: INC-2 INC-2 title"]);
    assert_eq!(logged[3], error);
    state.update(key('L'), now());
    assert_eq!(state.modals.overlay(), Some(Overlay::Messages { scroll: 0 }));
}

/// While the config on disk is invalid a marker stays (and the full error is in the log), until
/// a good file is read again.
#[test]
fn an_invalid_config_is_marked_until_it_is_fixed() {
    let mut state = live(vec![]);
    let broken = Config::parse("poll_interval = \"fast\"", std::path::Path::new("config.toml")).unwrap_err();
    state.update(Event::Config(Err(broken)), now());
    assert!(state.config_error.as_deref().is_some_and(|e| e.contains("line 1")));
    state.update(Event::Tick, now() + chrono::Duration::minutes(5));
    assert!(state.flash.is_none() && state.config_error.is_some(), "the message went, the marker stays");
    state.update(Event::Config(Ok(Config::default())), now());
    assert!(state.config_error.is_none());
}

#[test]
fn ctrl_u_clears_the_filter_line() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3), incident("INC-2", Priority::P3, 5)]);
    state.update(key('/'), now());
    type_text(&mut state, "inc-2 p3");
    assert_eq!(state.incidents.visible_len(), 1);
    state.update(ctrl('u'), now());
    assert_eq!(state.modals.input().unwrap().text(), "");
    assert_eq!(state.incidents.visible_len(), 2);
}

/// A rejected note can be sent again (as a new action on what the server has now) or dropped;
/// a queued one can be dropped before it is sent, never the one in flight.
#[test]
fn outbox_entries_are_dropped_or_retried_from_the_panel() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    state.update(key('n'), now());
    type_text(&mut state, "keep this");
    let entry = persisted_entry(&state.update(special(KeyCode::Enter), now()));
    state.update(Event::OutboxPersisted { key: entry.key.clone(), error: None }, now());
    assert_eq!(state.outbox.in_flight(), Some(entry.key.as_str()));
    state.update(key('o'), now());
    state.update(key('d'), now());
    state.update(key('d'), now());
    assert_eq!(state.outbox.len(), 1, "the entry on its way is not dropped");
    assert!(flash(&state).contains("being sent"), "{}", flash(&state));

    let refused = Err(BackendError::Forbidden("notes are closed on this incident".into()));
    state.update(Event::OutboxAnswered { key: entry.key.clone(), result: refused }, now());
    assert_eq!(state.outbox.rejected().len(), 1);
    let retried = state.update(key('r'), now());
    let persisted: Vec<_> = retried
        .effects
        .iter()
        .filter_map(|e| if let Effect::Outbox(OutboxEffect::Persist(p)) = e { Some(p) } else { None })
        .collect();
    assert_eq!(persisted.len(), 1);
    assert_eq!(persisted[0].action, Command::Incident(IncidentAction::Note { text: "keep this".into() }));
    assert_ne!(persisted[0].key, entry.key, "a new action, with a new idempotency key");
    assert!(retried.effects.contains(&Effect::Outbox(OutboxEffect::Drop { key: entry.key.clone() })));
    assert!(state.outbox.rejected().is_empty());

    // A note queued while offline: `d` names it, a second `d` drops it for good.
    let mut s = state_with(vec![incident("INC-1", Priority::P1, 3)], vec![], Role::Responder);
    s.update(key('n'), now());
    type_text(&mut s, "queued while offline");
    let queued = persisted_entry(&s.update(special(KeyCode::Enter), now()));
    s.update(key('o'), now());
    let first = s.update(key('d'), now());
    assert!(first.effects.is_empty() && flash(&s).contains("d again drops"), "{}", flash(&s));
    let dropped = s.update(key('d'), now());
    assert_eq!(dropped.effects, [Effect::Outbox(OutboxEffect::Drop { key: queued.key })]);
    assert!(s.outbox.is_empty());
}

/// A viewer can read a postmortem in the editor but not type into it.
#[test]
fn viewers_do_not_type_into_the_postmortem_editor() {
    let mut state = state_with(vec![incident("INC-1", Priority::P1, 3)], vec![], Role::Viewer);
    let draft = crate::domain::PostmortemDraft { title: "Postmortem: gateway".into(), body: "## Summary\n".into() };
    let pm = crate::domain::Postmortem::create("PM-1001".into(), "INC-1", draft, "dana", now());
    state.update(super::tests::synced(vec![crate::api::Change::Postmortem(pm)], false), now());
    state.update(key('6'), now());
    state.update(special(KeyCode::Enter), now());
    assert!(state.modals.editor().is_some(), "a viewer may read it");
    let before = state.modals.editor().map(|e| e.draft());
    state.update(key('x'), now());
    assert_eq!(state.modals.editor().map(|e| e.draft()), before, "nothing typed");
    assert!(flash(&state).contains("read-only"), "{}", flash(&state));
}

/// A failed `.ics` import says why, and what arrives next (a sync's news) does not hide it.
#[test]
fn a_failed_import_stays_readable() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    let path = std::path::PathBuf::from("/tmp/windows.ics");
    let result = Err("No such file or directory (os error 2)".to_string());
    state.update(Event::CalendarFile { path, services: vec![], result }, now());
    let error = flash(&state).to_string();
    assert!(error.contains("windows.ics") && error.contains("nothing was imported"), "{error}");
    let p1 = crate::api::Change::Incident(incident("INC-2", Priority::P1, 0));
    state.update(super::tests::synced(vec![p1], false), now() + chrono::Duration::seconds(2));
    assert_eq!(flash(&state), error);
    assert!(state.messages.newest_first().any(|m| m.text.starts_with("new P1")), "the news is in the log");
}

/// A filter over more rows than one slice goes on a slice per turn of the loop, on the merge's
/// step: typing a key queues one step, each step queues the next, the last none.
#[test]
fn a_filter_over_many_incidents_goes_on_a_slice_per_turn() {
    let n = crate::console::list::FILTER_SLICE + 100;
    let many = (0..n).map(|i| incident(&format!("INC-{i:06}"), Priority::P2, i as i64)).collect();
    let mut state = live(many);
    state.update(key('/'), now());
    let update = state.update(key('7'), now());
    assert!(update.effects.contains(&Effect::ContinueMerge), "{:?}", update.effects);
    assert_eq!(state.incidents.filtering(), Some((crate::console::list::FILTER_SLICE, n)));
    let update = state.update(Event::CacheMergeStep, now());
    assert!(update.changed && !update.effects.contains(&Effect::ContinueMerge), "{:?}", update.effects);
    assert_eq!(state.incidents.filtering(), None);
    let expected = (0..n).filter(|i| format!("INC-{i:06}").contains('7')).count();
    assert_eq!(state.incidents.visible_len(), expected);
}
