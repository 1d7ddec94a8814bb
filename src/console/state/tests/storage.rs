//! The user's work and the disk: an action the disk refused is sent anyway and said unsaved
//! until it is on disk or confirmed; drafts and notes likewise; quitting with such work asks;
//! the files' notices.

use super::*;
use crate::db::{NoticeKind, StorageNotice, StoredFile};

const FULL: &str = "/data/work/demo.sqlite: database or disk is full — free some space on that disk";

fn sends(update: &Update) -> Vec<String> {
    update
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Outbox(OutboxEffect::Send(entry)) => Some(entry.key.clone()),
            _ => None,
        })
        .collect()
}

fn rewrite(update: &Update) -> Option<&crate::cache::WorkCopy> {
    update.effects.iter().find_map(|e| match e {
        Effect::RewriteWork(copy) => Some(copy),
        _ => None,
    })
}

fn quits(update: &Update) -> bool {
    update.effects.contains(&Effect::Terminal(TerminalEffect::Quit))
}

/// Two acknowledgements taken on a full disk: each is sent anyway (the reported bug: "sending it
/// anyway", and nothing was sent), the status line says both are not on disk, naming the file,
/// until the backend confirms them; then it is gone.
#[test]
fn actions_the_disk_refused_are_sent_and_said_unsaved_until_confirmed() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3), incident("INC-2", Priority::P1, 2)]);
    let first = persisted_entry(&state.update(key('a'), now()));
    let update = state.update(Event::OutboxPersisted { key: first.key.clone(), error: Some(FULL.into()) }, now());
    assert_eq!(sends(&update), std::slice::from_ref(&first.key), "sent although not on disk");
    state.update(key('k'), now());
    let second = persisted_entry(&state.update(key('a'), now()));
    state.update(Event::OutboxPersisted { key: second.key.clone(), error: Some(FULL.into()) }, now());
    assert_eq!(state.unsaved_counts(), (2, 0));
    let line = state.storage_line().expect("a status line");
    assert_eq!(
        line,
        format!("2 actions not saved to disk ({FULL}) — lost if you quit before they are sent"),
        "names the file and the cause"
    );
    // A message over it comes and goes; the line stays.
    state.flash(Level::Info, "not sent yet, will retry", now());
    assert!(state.storage_line().is_some());

    let mut confirmed = state.incidents.row("INC-2").unwrap().confirmed().into_owned();
    confirmed.apply(&IncidentAction::Acknowledge, ActionContext { actor: "erin", now: now(), policy: None }).unwrap();
    let answered = Event::OutboxAnswered { key: first.key.clone(), result: Ok(Entity::Incident(confirmed)) };
    state.update(answered, now());
    assert_eq!(state.unsaved_counts(), (1, 0), "the confirmed one is safe on the server");
    assert!(state.storage_line().unwrap().starts_with("1 action not saved to disk"));
}

/// The retry: backoff after a refusal; at once after any write that succeeds; a rewrite that
/// succeeds clears the line; one that answers for an entry confirmed meanwhile drops its copy.
#[test]
fn refused_writes_are_retried_with_backoff_and_after_any_write_that_succeeds() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3), incident("INC-2", Priority::P1, 2)]);
    let first = persisted_entry(&state.update(key('a'), now()));
    state.update(Event::OutboxPersisted { key: first.key.clone(), error: Some(FULL.into()) }, now());
    let due = state.storage.retry_at.expect("a retry is scheduled");
    assert_eq!(due, now() + chrono::Duration::seconds(1));
    assert!(state.next_wake(now()).is_some_and(|at| at <= due), "the loop wakes for it");
    let retry = state.update(Event::Tick, due);
    let copy = rewrite(&retry).expect("the unsaved action is written again");
    assert_eq!(copy.pending.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), [first.key.as_str()]);
    // Still full: the next try waits longer.
    let failed =
        Event::WorkRewritten { keys: vec![first.key.clone()], drafts: vec![], notes: vec![], error: Some(FULL.into()) };
    state.update(failed, due);
    assert_eq!(state.storage.retry_at, Some(due + chrono::Duration::seconds(2)));

    // Space came back: a new action's write succeeds, and the unsaved one is retried at once.
    state.update(key('k'), now());
    let second = persisted_entry(&state.update(key('a'), now()));
    let update = state.update(Event::OutboxPersisted { key: second.key.clone(), error: None }, now());
    let copy = rewrite(&update).expect("retried at once");
    assert_eq!(copy.pending.len(), 1);
    let saved = Event::WorkRewritten { keys: vec![first.key.clone()], drafts: vec![], notes: vec![], error: None };
    state.update(saved, now());
    assert_eq!(state.unsaved_counts(), (0, 0));
    assert_eq!(state.storage_line(), None);
    assert_eq!(state.storage.retry_at, None);

    // A write that lands after the backend confirmed the entry: its copy on disk is dropped.
    let late = state.update(Event::OutboxPersisted { key: "gone".into(), error: None }, now());
    assert!(late.effects.contains(&Effect::Outbox(OutboxEffect::Drop { key: "gone".into() })));
}

/// A note draft and a postmortem draft the disk refused stay in memory, and count.
#[test]
fn drafts_and_notes_the_disk_refused_are_said_unsaved() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    state.update(key('n'), now());
    type_text(&mut state, "rolled back");
    let update = state.update(special(KeyCode::Esc), now());
    assert!(update.effects.iter().any(|e| matches!(e, Effect::SaveNoteDraft(_))));
    let failed =
        Event::NoteDraftSaved { incident_id: "INC-1".into(), text: "rolled back".into(), error: Some(FULL.into()) };
    state.update(failed, now());
    assert_eq!(state.unsaved_counts(), (0, 1));
    assert_eq!(
        state.storage_line().unwrap(),
        format!("1 draft not saved to disk ({FULL}) — lost if you quit before it is sent")
    );
    assert_eq!(state.drafts.notes["INC-1"], "rolled back", "the text stays in memory");
    let retry = state.update(Event::Tick, now() + chrono::Duration::seconds(1));
    assert_eq!(rewrite(&retry).unwrap().notes[0].text, "rolled back");
    let saved = Event::NoteDraftSaved { incident_id: "INC-1".into(), text: "rolled back".into(), error: None };
    state.update(saved, now());
    assert_eq!(state.unsaved_counts(), (0, 0));
}

/// `q` with work not on disk asks, in the confirmation modal; `n` stays, `y` quits. Without
/// unsaved work `q` quits at once.
#[test]
fn quitting_with_unsaved_work_asks_first() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    let entry = persisted_entry(&state.update(key('a'), now()));
    state.update(Event::OutboxPersisted { key: entry.key.clone(), error: Some(FULL.into()) }, now());
    let failed = Event::NoteDraftSaved { incident_id: "INC-1".into(), text: "x".into(), error: Some(FULL.into()) };
    state.drafts.notes.insert("INC-1".into(), "x".into());
    state.update(failed, now());

    let update = state.update(key('q'), now());
    assert!(!quits(&update) && !state.quit, "asked, not quit");
    assert_eq!(state.mode(), Mode::Confirm);
    let asked = state.modals.quit().expect("the question").what.clone();
    assert_eq!(asked, "1 action and 1 draft are not saved");
    assert!(rewrite(&update).is_some(), "one more try at the disk while asking");
    state.update(key('n'), now());
    assert!(state.modals.quit().is_none() && !state.quit, "n stays");
    // Ctrl-C is the quit key too, and asks the same.
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(!quits(&state.update(ctrl_c, now())));
    assert!(state.modals.quit().is_some());
    let update = state.update(key('y'), now());
    assert!(quits(&update) && state.quit, "y quits");
    let report = state.unsaved_report();
    assert_eq!(report.len(), 2, "what is lost is listed at exit: {report:?}");
    assert!(report[0].starts_with("acknowledge on INC-1"), "{report:?}");

    let mut calm = live(vec![incident("INC-1", Priority::P1, 3)]);
    assert!(quits(&calm.update(key('q'), now())), "nothing unsaved: quits at once");
}

#[test]
fn what_is_unsaved_reads_as_english() {
    assert_eq!(what_is_unsaved(2, 1), "2 actions and 1 draft");
    assert_eq!(what_is_unsaved(1, 0), "1 action");
    assert_eq!(what_is_unsaved(0, 3), "3 drafts");
}

/// A work file made anew while the console runs gets everything it holds; a work file moved
/// aside is said for the whole run; a cache moved aside once.
#[test]
fn a_work_file_made_anew_is_given_everything_held_in_memory() {
    let mut state = state_with(
        vec![incident("INC-1", Priority::P1, 3)],
        vec![queued("k1", IncidentAction::Acknowledge, "e1"), queued("k2", IncidentAction::Escalate, "e1")],
        Role::Responder,
    );
    state.drafts.notes.insert("INC-1".into(), "half a thought".into());
    let notice = StorageNotice {
        file: StoredFile::Work,
        kind: NoticeKind::Recreated,
        text: "/data/work/x.sqlite was deleted or replaced; made it again".into(),
    };
    let update = state.update(Event::Storage(notice), now());
    let copy = rewrite(&update).expect("everything is written into the new file");
    assert_eq!(copy.pending.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["k1", "k2"]);
    assert_eq!(copy.notes[0].text, "half a thought");
    assert!(flash(&state).contains("/data/work/x.sqlite was deleted"));
    assert_eq!(state.storage_line(), None, "told once");

    let moved = StorageNotice {
        file: StoredFile::Work,
        kind: NoticeKind::MovedAside("/data/work/x.sqlite.corrupt-20261105T140000Z".into()),
        text: "/data/work/x.sqlite: database disk image is malformed; moved it to /data/work/x.sqlite.corrupt-20261105T140000Z".into(),
    };
    state.update(Event::Storage(moved), now());
    let later = now() + chrono::Duration::hours(1);
    state.update(Event::Tick, later);
    assert!(state.storage_line().unwrap().contains("x.sqlite.corrupt-20261105T140000Z"), "still said an hour later");

    let cache = StorageNotice {
        file: StoredFile::Cache,
        kind: NoticeKind::MovedAside("/c.sqlite.corrupt-1".into()),
        text: "/c.sqlite: file is not a database; moved it to /c.sqlite.corrupt-1".into(),
    };
    state.update(Event::Storage(cache), later);
    assert!(
        flash(&state).contains("/c.sqlite.corrupt-1")
            || state.messages.newest_first().any(|m| m.text.contains("/c.sqlite.corrupt-1"))
    );
}

/// A retry refused for a new cause (the file made writable, its leftover `-shm` still
/// read-only) says the new cause in full once, in the messages; the same cause again says
/// nothing more (the status line keeps saying it).
#[test]
fn a_retry_refused_for_a_new_cause_says_it_once() {
    const SHM: &str =
        "/data/work/demo.sqlite: attempt to write a readonly database — /data/work/demo.sqlite-shm is read-only";
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    let entry = persisted_entry(&state.update(key('a'), now()));
    state.update(Event::OutboxPersisted { key: entry.key.clone(), error: Some(FULL.into()) }, now());
    let said =
        |state: &AppState| state.messages.newest_first().filter(|m| m.text.contains("-shm is read-only")).count();
    let refused = |error: &str| Event::WorkRewritten {
        keys: vec![entry.key.clone()],
        drafts: vec![],
        notes: vec![],
        error: Some(error.into()),
    };
    state.update(refused(FULL), now());
    assert_eq!(
        state.messages.newest_first().filter(|m| m.text.starts_with("still not saved")).count(),
        0,
        "same cause"
    );
    state.update(refused(SHM), now());
    assert_eq!(said(&state), 1);
    assert!(state.storage_line().unwrap().contains("-shm is read-only"), "the status line has the new cause");
    state.update(refused(SHM), now());
    assert_eq!(said(&state), 1, "said once");
    // Fixed: the news replaces the refusal still showing.
    let saved = Event::WorkRewritten { keys: vec![entry.key.clone()], drafts: vec![], notes: vec![], error: None };
    state.update(saved, now());
    assert_eq!(state.flash.as_ref().map(|f| f.text.as_str()), Some("✓ on disk now: 1 action"));
}
