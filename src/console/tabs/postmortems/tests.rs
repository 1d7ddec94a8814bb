//! Pure update tests for postmortems: drafting from an incident, the journal's timing, saving
//! through the outbox, both texts kept on a 409, restoring after a crash, `$EDITOR` and files
//! changed on disk.

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::backend::{BackendError, Conflict};
use crate::cache::JournaledDraft;
use crate::console::outbox::{OutboxEffect, OutboxEntry};
use crate::console::state::tests::*;
use crate::domain::postmortem::draft_to_file;
use crate::domain::{Command, Entity};
use crate::domain::{Postmortem, PostmortemAction, PostmortemDraft, PostmortemStatus, Rejection};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

fn state_with(drafts: Vec<JournaledDraft>, postmortems: Vec<Postmortem>, role: Role) -> AppState {
    let config = Config::parse("timezone = \"Europe/Berlin\"\n", std::path::Path::new("config.toml")).unwrap();
    let mut snapshot = crate::fixtures::seeded_snapshot(7, now());
    snapshot.drafts = drafts;
    snapshot.postmortems = postmortems;
    let mut session = crate::fixtures::session(false);
    session.me = Some(Me { name: "erin".into(), role });
    let mut state = AppState::new(session, &config, snapshot, true, now());
    state.update(Event::Resize { width: 100, height: 30 }, now());
    state.update(crate::fixtures::synced(now(), "fixture", false, Vec::new()), now());
    state
}

fn state() -> AppState {
    state_with(Vec::new(), Vec::new(), Role::Responder)
}

fn key_at(state: &mut AppState, key: KeyEvent, at: DateTime<Utc>) -> Update {
    state.update(Event::Key(key), at)
}

fn press(state: &mut AppState, code: KeyCode) -> Update {
    key_at(state, KeyEvent::new(code, KeyModifiers::NONE), now())
}

fn ctrl(state: &mut AppState, c: char) -> Update {
    key_at(state, KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL), now())
}

fn type_text(state: &mut AppState, text: &str, at: DateTime<Utc>) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects.extend(key_at(state, KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), at).effects);
    }
    effects
}

fn journaled(effects: &[Effect]) -> Vec<&JournaledDraft> {
    effects.iter().filter_map(|e| if let Effect::JournalDraft(d) = e { Some(d) } else { None }).collect()
}

fn persisted(update: &Update) -> Vec<OutboxEntry> {
    update
        .effects
        .iter()
        .filter_map(|e| if let Effect::Outbox(OutboxEffect::Persist(entry)) = e { Some(entry.clone()) } else { None })
        .collect()
}

fn flash(state: &AppState) -> &str {
    state.flash.as_ref().map_or("", |f| f.text.as_str())
}

/// `p` on the first incident: the editor with the template, journaled at once.
fn drafted(state: &mut AppState) -> (String, Update) {
    let incident = state.incidents.target().unwrap().incident().id.clone();
    let update = press(state, KeyCode::Char('p'));
    (incident, update)
}

#[test]
fn p_drafts_the_postmortem_from_the_template_and_journals_it_at_once() {
    let mut s = state();
    let (incident, update) = drafted(&mut s);
    let editor = s.modals.editor().expect("the editor is open");
    assert_eq!(s.tab, TabId::Postmortems);
    assert_eq!(s.layers(), vec![Mode::Editor]);
    assert_eq!((editor.incident_id.as_str(), editor.base_version), (incident.as_str(), 0));
    let draft = editor.draft();
    assert!(draft.title.contains(&incident) && draft.body.contains(&incident), "{draft:?}");
    let [journal] = journaled(&update.effects)[..] else { panic!("{:?}", update.effects) };
    assert_eq!(journal.draft, draft);
}

#[test]
fn typing_reaches_the_journal_within_250_ms() {
    let mut s = state();
    drafted(&mut s);
    let effects = type_text(&mut s, "Root cause: a stale index.", now());
    assert!(journaled(&effects).is_empty(), "not on every key");
    let due = s.next_wake(now()).expect("a wake-up for the journal");
    assert!(due <= now() + Duration::milliseconds(250), "{due}");
    let update = s.update(Event::Tick, due);
    let [journal] = journaled(&update.effects)[..] else { panic!("{:?}", update.effects) };
    assert!(journal.draft.body.contains("Root cause: a stale index."));
    assert!(journaled(&s.update(Event::Tick, due + Duration::seconds(1)).effects).is_empty(), "nothing new");
}

#[test]
fn ctrl_s_saves_through_the_outbox_and_the_journal_is_forgotten_once_the_backend_has_it() {
    let mut s = state();
    let (incident, _) = drafted(&mut s);
    type_text(&mut s, "x", now());
    let update = ctrl(&mut s, 's');
    let [entry] = persisted(&update).try_into().expect("one save queued");
    let Command::Postmortem(PostmortemAction::Save { draft, .. }) = &entry.action else { panic!("{:?}", entry.action) };
    assert_eq!(entry.base_version, 0);
    s.update(Event::OutboxPersisted { key: entry.key.clone(), error: None }, now());
    let saved = Postmortem::create(entry.target_id.clone(), &incident, draft.clone(), "erin", now());
    let update =
        s.update(Event::OutboxAnswered { key: entry.key, result: Ok(Entity::Postmortem(saved.clone())) }, now());
    assert!(
        update
            .effects
            .iter()
            .any(|e| matches!(e, Effect::ForgetDraft { id, draft, .. } if id == &saved.id && draft == &saved.draft())),
        "{:?}",
        update.effects
    );
    assert_eq!(s.modals.editor().unwrap().base_version, 1, "the next save goes on top of version 1");
    assert!(s.drafts.postmortems.is_empty());
}

#[test]
fn a_409_keeps_both_texts_and_the_writer_picks() {
    let mut s = state();
    let (incident, _) = drafted(&mut s);
    type_text(&mut s, "MINE", now());
    let entry = persisted(&ctrl(&mut s, 's')).pop().unwrap();
    s.update(Event::OutboxPersisted { key: entry.key.clone(), error: None }, now());
    let theirs_draft = PostmortemDraft { title: "Their title".into(), body: "## Summary\n\nTHEIRS\n".into() };
    let theirs = Postmortem::create(entry.target_id.clone(), &incident, theirs_draft.clone(), "dana", now());
    let conflict = Conflict {
        message: "stale".into(),
        reason: Rejection::StaleVersion { seen: 0, current: 1 },
        current: Entity::Postmortem(theirs.clone()),
    };
    s.update(Event::OutboxAnswered { key: entry.key, result: Err(BackendError::Conflict(Box::new(conflict))) }, now());
    assert_eq!(s.layers(), vec![Mode::Conflict]);
    assert!(flash(&s).contains("dana"), "{}", flash(&s));
    let mine = s.modals.editor().unwrap().draft();
    assert!(mine.body.contains("MINE"));
    assert!(s.outbox.rejected().iter().any(
        |r| matches!(&r.entry.action, Command::Postmortem(PostmortemAction::Save { draft, .. }) if draft == &mine)
    ));

    // r: mine, as a new revision on top of theirs.
    let update = press(&mut s, KeyCode::Char('r'));
    let [entry] = persisted(&update).try_into().expect("saved on top");
    assert_eq!(entry.base_version, theirs.version);
    assert!(matches!(&entry.action, Command::Postmortem(PostmortemAction::Save { draft, .. }) if draft == &mine));

    // t instead: theirs in the editor, mine still in the rejected list.
    let mut s2 = state();
    drafted(&mut s2);
    s2.modals.editor_mut().unwrap().theirs = Some(Box::new(theirs.clone()));
    press(&mut s2, KeyCode::Char('t'));
    assert_eq!(s2.modals.editor().unwrap().draft(), theirs_draft);
    assert_eq!(s2.modals.editor().unwrap().base_version, theirs.version);
}

fn journal_of(author: &str, text: &str) -> JournaledDraft {
    JournaledDraft {
        id: "PM-1001".into(),
        incident_id: "INC-1001".into(),
        base_version: 0,
        draft: PostmortemDraft { title: "Postmortem: gateway".into(), body: format!("## Summary\n\n{text}\n") },
        journaled_at: now() - Duration::minutes(3),
        author: author.into(),
    }
}

/// After a crash the draft is offered, not opened: the user's first keys (`1 a q`) do what they
/// always do, and `q` quits. `Enter` opens it.
#[test]
fn a_draft_journaled_before_a_crash_is_offered_and_the_keyboard_stays_the_users() {
    let journal = journal_of("demo:erin", "Half a senten");
    let s = state_with(vec![journal.clone()], Vec::new(), Role::Responder);
    assert_eq!(s.tab, TabId::Incidents, "the console opens where it always does");
    assert!(s.modals.editor().is_none(), "the draft does not take the keyboard");
    assert_eq!(s.drafts.offer.as_deref(), Some("PM-1001"));
    assert!(flash(&s).contains("restored") && flash(&s).contains("250 ms"), "{}", flash(&s));
    assert_eq!(s.layers()[0], Mode::Offer);

    let mut typed = state_with(vec![journal.clone()], Vec::new(), Role::Responder);
    for c in ['1', 'a'] {
        press(&mut typed, KeyCode::Char(c));
    }
    assert!(typed.modals.editor().is_none() && typed.drafts.offer.is_none(), "any other key leaves the offer on tab 6");
    assert!(typed.drafts.postmortems.contains_key("PM-1001"), "the draft stays, marked on tab 6");
    let quit = press(&mut typed, KeyCode::Char('q'));
    assert!(typed.quit && quit.effects.contains(&Effect::Terminal(TerminalEffect::Quit)), "q quits");

    let mut s = s;
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.modals.editor().unwrap().draft(), journal.draft);
}

/// Two people share a data folder: one's journaled draft is never restored into the other's
/// session (their keys would type into it); a draft from before drafts had owners is offered.
#[test]
fn journaled_drafts_belong_to_their_author() {
    let s = state_with(vec![journal_of("token:someone-else", "their words")], Vec::new(), Role::Responder);
    assert!(s.drafts.offer.is_none() && s.drafts.postmortems.is_empty(), "another user's draft is not offered here");
    let s = state_with(
        vec![journal_of("", "from before owners"), journal_of("demo:erin", "mine")],
        Vec::new(),
        Role::Responder,
    );
    assert!(s.drafts.postmortems["PM-1001"].draft.body.contains("mine"), "my own draft wins over an ownerless one");
    let mut s = s;
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "!", now());
    let effects = s.update(Event::Shutdown { signal: "SIGHUP" }, now()).effects;
    let [draft] = journaled(&effects)[..] else { panic!("journaled once: {effects:?}") };
    assert_eq!(draft.author, "demo:erin", "journaled as mine");
}

#[test]
fn status_moves_on_and_only_commanders_publish() {
    let draft = PostmortemDraft { title: "T".into(), body: String::new() };
    let mut in_review = Postmortem::create("PM-1001".into(), "INC-1001", draft, "erin", now());
    in_review.status = PostmortemStatus::InReview;
    let mut s = state_with(Vec::new(), vec![in_review.clone()], Role::Responder);
    press(&mut s, KeyCode::Char('6'));
    let update = press(&mut s, KeyCode::Char('s'));
    assert!(persisted(&update).is_empty());
    assert!(flash(&s).contains("only commanders publish"), "{}", flash(&s));
    let mut s = state_with(Vec::new(), vec![in_review], Role::Commander);
    press(&mut s, KeyCode::Char('6'));
    let [entry] = persisted(&press(&mut s, KeyCode::Char('s'))).try_into().expect("queued");
    assert_eq!(entry.action, Command::Postmortem(PostmortemAction::SetStatus { status: PostmortemStatus::Published }));
}

#[test]
fn status_does_not_move_on_past_unsaved_edits_or_a_save_on_its_way() {
    let draft = PostmortemDraft { title: "T".into(), body: "saved text\n".into() };
    let pm = Postmortem::create("PM-1013".into(), "INC-1013", draft, "erin", now());
    let mut s = state_with(Vec::new(), vec![pm], Role::Responder);
    press(&mut s, KeyCode::Char('6'));
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "more ", now());
    press(&mut s, KeyCode::Esc);
    let update = press(&mut s, KeyCode::Char('s'));
    assert!(persisted(&update).is_empty(), "{:?}", update.effects);
    assert_eq!(flash(&s), "PM-1013 has unsaved edits: save with ctrl-s first (Enter opens it)");
    assert_eq!(s.postmortems.get("PM-1013").unwrap().status, PostmortemStatus::Draft);

    press(&mut s, KeyCode::Enter);
    assert_eq!(persisted(&ctrl(&mut s, 's')).len(), 1, "the save is queued");
    press(&mut s, KeyCode::Esc);
    let update = press(&mut s, KeyCode::Char('s'));
    assert!(persisted(&update).is_empty(), "{:?}", update.effects);
    assert!(flash(&s).contains("PM-1013 is still being saved"), "{}", flash(&s));
}

#[test]
fn esc_closes_and_enter_reopens_the_journaled_text() {
    let draft = PostmortemDraft { title: "T".into(), body: "saved text\n".into() };
    let pm = Postmortem::create("PM-1001".into(), "INC-1001", draft, "erin", now());
    let mut s = state_with(Vec::new(), vec![pm], Role::Responder);
    press(&mut s, KeyCode::Char('6'));
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "unsaved ", now());
    let update = press(&mut s, KeyCode::Esc);
    assert!(s.modals.editor().is_none());
    assert_eq!(journaled(&update.effects).len(), 1, "closing journals what was typed");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.modals.editor().unwrap().draft().body, "unsaved saved text\n");
}

/// `Ctrl-e`: the draft's id and text as handed to `$EDITOR`.
fn hand_to_editor(s: &mut AppState) -> (String, String) {
    let update = ctrl(s, 'e');
    match update.effects.iter().find(|e| matches!(e, Effect::Terminal(TerminalEffect::ExternalEditor { .. }))) {
        Some(Effect::Terminal(TerminalEffect::ExternalEditor { id, text })) => (id.clone(), text.clone()),
        _ => panic!("{:?}", update.effects),
    }
}

#[test]
fn external_editor_and_files_changed_on_disk_come_back_into_the_editor() {
    let mut s = state();
    drafted(&mut s);
    let (id, text) = hand_to_editor(&mut s);
    let (id, edited) = (id.clone(), format!("{text}Added in vi.\n"));
    let update = s.update(Event::EditorReturned { id: id.clone(), result: Ok(edited) }, now());
    assert!(s.modals.editor().unwrap().draft().body.ends_with("Added in vi.\n"));
    assert_eq!(journaled(&update.effects).len(), 1);

    let current = s.modals.editor().unwrap().draft();
    let same = draft_to_file(&id, "INC-x", &current);
    assert!(
        !s.update(Event::DraftFileChanged { id: id.clone(), text: same }, now()).changed,
        "our own text is not offered"
    );
    let mut other = current.clone();
    other.body.push_str("From another program.\n");
    s.update(Event::DraftFileChanged { id: id.clone(), text: draft_to_file(&id, "INC-x", &other) }, now());
    assert!(flash(&s).contains("ctrl-l"), "{}", flash(&s));
    ctrl(&mut s, 'l');
    assert_eq!(s.modals.editor().unwrap().draft(), other);
    let failed =
        s.update(Event::EditorReturned { id, result: Err("the editor exited with exit status: 1".into()) }, now());
    assert!(failed.changed && flash(&s).contains("unchanged"), "{}", flash(&s));
}

#[test]
fn what_editor_writes_to_the_file_it_was_handed_is_its_result_not_a_change_on_disk() {
    let mut s = state();
    drafted(&mut s);
    let (id, text) = hand_to_editor(&mut s);
    let id = id.clone();
    let (first_save, edited) = (format!("{text}Half a thought\n"), format!("{text}Added in vi.\n"));
    // The watcher reports the editor's saves while it runs, and its last one again after it exited.
    s.update(Event::DraftFileChanged { id: id.clone(), text: first_save }, now());
    s.update(Event::DraftFileChanged { id: id.clone(), text: edited.clone() }, now());
    s.update(Event::EditorReturned { id: id.clone(), result: Ok(edited.clone()) }, now());
    let late = s.update(Event::DraftFileChanged { id: id.clone(), text: edited }, now());
    assert!(!late.changed);
    let editor = s.modals.editor().unwrap();
    assert!(editor.draft().body.ends_with("Added in vi.\n"));
    assert_eq!(editor.offer, None, "nothing to load from disk");
    assert!(flash(&s).starts_with("the editor's changes are in"), "{}", flash(&s));

    // Another program changing the file afterwards is still offered.
    let mut other = s.modals.editor().unwrap().draft();
    other.body.push_str("From another program.\n");
    s.update(Event::DraftFileChanged { id: id.clone(), text: draft_to_file(&id, "INC-x", &other) }, now());
    assert!(flash(&s).contains("changed on disk: ctrl-l loads it"), "{}", flash(&s));
}

#[test]
fn star_marks_the_event_at_the_top_of_the_timeline_and_the_template_takes_it_first() {
    let mut s = state();
    let update = press(&mut s, KeyCode::Char('*'));
    assert!(persisted(&update).is_empty() && flash(&s).contains("Enter"), "{}", flash(&s));
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Down);
    let update = press(&mut s, KeyCode::Char('*'));
    let [entry] = persisted(&update).try_into().expect("one star queued");
    assert_eq!(entry.action, Command::Incident(crate::domain::IncidentAction::Star { event: 1, starred: true }));
    let incident = s.incidents.target().unwrap().incident();
    assert!(incident.timeline[1].starred, "shown starred at once");
    let (starred_at, actor) = (incident.timeline[1].at, incident.timeline[1].actor.clone());
    press(&mut s, KeyCode::Char('p'));
    let body = s.modals.editor().unwrap().draft().body;
    let key_moments = body.find("Key moments").expect("a Key moments table");
    let all_events = body.find("All events").expect("then all events");
    let row = body[key_moments..all_events].lines().find(|l| l.contains(&actor)).unwrap_or_default().to_string();
    assert!(row.contains(&starred_at.format("%H:%M").to_string()), "{row}\n{body}");
}

#[test]
fn quitting_or_a_dropped_session_journals_the_last_keystrokes_first() {
    let journaled_before_quit = |effects: &[Effect]| {
        let journal = journaled(effects);
        assert!(journal.len() == 1 && journal[0].draft.body.contains("last words"), "{effects:?}");
        let journal_at = effects.iter().position(|e| matches!(e, Effect::JournalDraft(_))).unwrap();
        let quit_at = effects.iter().position(|e| matches!(e, Effect::Terminal(TerminalEffect::Quit))).unwrap();
        assert!(journal_at < quit_at, "journaled before quitting");
    };
    // The terminal goes (SIGHUP) with the editor open.
    let mut s = state();
    drafted(&mut s);
    type_text(&mut s, "last words", now());
    journaled_before_quit(&s.update(Event::Shutdown { signal: "SIGHUP" }, now()).effects);

    // Ctrl-c in the editor closes it, as Esc does (the draft stays journaled); `q` then quits.
    let mut s = state();
    drafted(&mut s);
    type_text(&mut s, "last words", now());
    let closed = ctrl(&mut s, 'c');
    assert!(
        !s.quit && s.modals.editor().is_none() && !closed.effects.contains(&Effect::Terminal(TerminalEffect::Quit)),
        "Ctrl-c does not quit"
    );
    let quit = press(&mut s, KeyCode::Char('q'));
    assert!(s.quit);
    journaled_before_quit(&closed.effects.into_iter().chain(quit.effects).collect::<Vec<_>>());
}

#[test]
fn a_team_template_from_the_config_is_what_p_drafts_from() {
    let mut s = state();
    s.settings.postmortem_template = Some("# Our review of {{incident_id}}\n\n{{timeline}}\n{{team_channel}}\n".into());
    let (incident, _) = drafted(&mut s);
    let body = s.modals.editor().unwrap().draft().body;
    assert!(body.starts_with(&format!("# Our review of {incident}")), "{body}");
    assert!(body.contains("{{team_channel}}") && body.contains("| UTC |"), "{body}");
}
