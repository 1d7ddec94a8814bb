//! Pure update tests: state + event → state + effects. No async, no I/O, no sleeping.

mod clocks;
mod console;
mod feed;
mod links;
mod storage;
mod term;
mod zone;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub(crate) use super::*;
use crate::api::Change;
pub(crate) use crate::api::{Me, Role};
use crate::backend::{BackendError, Conflict};
pub(crate) use crate::cache::CacheSnapshot;
pub(crate) use crate::config::Config;
pub(crate) use crate::console::effect::{Effect, TerminalEffect};
pub(crate) use crate::console::event::Event;
use crate::console::event::SyncReport;
pub(crate) use crate::console::keymap::Mode;
use crate::console::outbox::OutboxEffect;
use crate::console::outbox::OutboxEntry;
pub(crate) use crate::console::tabs::TabId;
pub(crate) use crate::domain::EntityKind;
use crate::domain::{ActionContext, Command, Incident, IncidentAction, NewIncident, Rejection};
use crate::domain::{Entity, IncidentStatus, Priority};

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

pub(crate) fn incident(id: &str, priority: Priority, minutes_ago: i64) -> Incident {
    let new = NewIncident { title: format!("{id} title"), service_id: "llm-gateway".into(), priority };
    let policy = crate::domain::catalog::policies().into_iter().next();
    Incident::trigger(id.into(), new, "alertmanager", now() - chrono::Duration::minutes(minutes_ago), policy.as_ref())
}

pub(crate) fn session(role: Role) -> Session {
    Session {
        backend_label: "ops.example.com".into(),
        demo: false,
        read_only_flag: false,
        me: Some(Me { name: "erin".into(), role }),
        run_id: "run".into(),
        author: "token:erin".into(),
    }
}

pub(crate) fn state_with(incidents: Vec<Incident>, outbox: Vec<OutboxEntry>, role: Role) -> AppState {
    let snapshot = CacheSnapshot {
        total: incidents.len(),
        incidents,
        services: crate::domain::catalog::services(),
        policies: crate::domain::catalog::policies(),
        outbox,
        sync: crate::cache::SyncMeta { cursor: Some("7".into()), epoch: Some("e1".into()), last_ok: Some(now()) },
        ..CacheSnapshot::default()
    };
    let mut state = AppState::new(session(role), &Config::default(), snapshot, true, now());
    state.update(Event::Resize { width: 100, height: 30 }, now());
    state
}

/// A state that has synced once, so the outbox is released.
pub(crate) fn live(incidents: Vec<Incident>) -> AppState {
    let mut state = state_with(incidents, vec![], Role::Responder);
    let update = state.update(synced(vec![], false), now());
    assert!(update.effects.is_empty());
    state
}

pub(crate) fn synced(changes: Vec<Change>, from_empty: bool) -> Event {
    Event::Synced(Box::new(SyncReport {
        at: now(),
        epoch: "e1".into(),
        reset: false,
        from_empty,
        more: false,
        recovered: false,
        changes,
        skipped: Vec::new(),
        unknown_kinds: Vec::new(),
        progress: None,
    }))
}

pub(crate) fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub(crate) fn special(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(crate) fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        state.update(key(c), now());
    }
}

/// An entry as a previous run left it in the cache.
pub(crate) fn queued(key: &str, action: IncidentAction, epoch: &str) -> OutboxEntry {
    OutboxEntry {
        key: key.into(),
        target_id: "INC-1".into(),
        action: Command::Incident(action),
        base_version: 1,
        epoch: Some(epoch.into()),
        created_at: now(),
        attempts: 0,
        last_error: None,
    }
}

pub(crate) fn persisted_entry(update: &Update) -> OutboxEntry {
    match &update.effects[..] {
        [Effect::Outbox(OutboxEffect::Persist(entry))] => entry.clone(),
        other => panic!("expected one Persist effect, got {other:?}"),
    }
}

pub(crate) fn flash(state: &AppState) -> &str {
    state.flash.as_ref().map_or("", |f| f.text.as_str())
}

#[test]
fn acknowledge_is_persisted_then_sent_then_confirmed() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    let update = state.update(key('a'), now());
    let entry = persisted_entry(&update);
    assert_eq!(entry.action, Command::Incident(IncidentAction::Acknowledge));
    assert_eq!((entry.target_id.as_str(), entry.base_version, entry.epoch.as_deref()), ("INC-1", 1, Some("e1")));
    let row = state.incidents.row("INC-1").unwrap();
    assert_eq!(row.incident().status, IncidentStatus::Acknowledged, "shown at once");
    assert_eq!(row.pending(), ["acknowledge"]);

    let update = state.update(Event::OutboxPersisted { key: entry.key.clone(), error: None }, now());
    assert!(matches!(&update.effects[..], [Effect::Outbox(OutboxEffect::Send(e))] if e.key == entry.key));

    let mut confirmed = state.incidents.row("INC-1").unwrap().confirmed().into_owned();
    confirmed.apply(&IncidentAction::Acknowledge, ActionContext { actor: "erin", now: now(), policy: None }).unwrap();
    let update = state.update(
        Event::OutboxAnswered { key: entry.key.clone(), result: Ok(Entity::Incident(confirmed.clone())) },
        now(),
    );
    assert!(
        matches!(&update.effects[..], [Effect::Outbox(OutboxEffect::Complete { entity, .. })] if entity == &Entity::Incident(confirmed.clone()))
    );
    let row = state.incidents.row("INC-1").unwrap();
    assert!(row.pending().is_empty());
    assert_eq!(row.confirmed().status, IncidentStatus::Acknowledged);
    assert_eq!(flash(&state), "✓ INC-1 acknowledged");
    assert!(state.outbox.is_empty());
}

#[test]
fn read_only_and_viewers_cannot_take_dangerous_actions() {
    let mut read_only = live(vec![incident("INC-1", Priority::P1, 3)]);
    read_only.session.read_only_flag = true;
    for c in ['a', 'e', 'r', 'n'] {
        let update = read_only.update(key(c), now());
        assert!(update.effects.is_empty(), "{c}");
        assert!(read_only.modals.confirm().is_none() && read_only.modals.input().is_none());
        assert!(flash(&read_only).starts_with("read-only:"), "{}", flash(&read_only));
    }
    assert!(flash(&read_only).contains("--read-only"));

    let mut viewer = state_with(vec![incident("INC-1", Priority::P1, 3)], vec![], Role::Viewer);
    assert!(viewer.update(key('a'), now()).effects.is_empty());
    assert_eq!(flash(&viewer), "read-only: acknowledge is disabled (your role is viewer)");
}

#[test]
fn resolve_asks_first() {
    let mut state = live(vec![incident("INC-1", Priority::P2, 3)]);
    assert!(state.update(key('r'), now()).effects.is_empty());
    assert_eq!(state.modals.confirm().unwrap().id, "INC-1");
    assert!(state.update(key('n'), now()).effects.is_empty(), "n says no");
    assert!(state.modals.confirm().is_none());
    state.update(key('r'), now());
    let entry = persisted_entry(&state.update(key('y'), now()));
    assert_eq!(entry.action, Command::Incident(IncidentAction::Resolve));
}

#[test]
fn impossible_actions_are_refused_locally_with_who_and_when() {
    let mut acked = incident("INC-1", Priority::P1, 10);
    acked
        .apply(
            &IncidentAction::Acknowledge,
            ActionContext { actor: "dana", now: now() - chrono::Duration::seconds(40), policy: None },
        )
        .unwrap();
    let mut state = live(vec![acked]);
    assert!(state.update(key('a'), now()).effects.is_empty());
    assert_eq!(flash(&state), "INC-1 already acknowledged by dana 40 s ago");
    assert!(state.outbox.is_empty());
}

#[test]
fn a_note_is_typed_sent_and_an_abandoned_one_is_kept_as_a_draft() {
    let mut state = live(vec![incident("INC-1", Priority::P2, 3)]);
    state.update(key('n'), now());
    assert_eq!(state.mode(), Mode::Input);
    type_text(&mut state, "restarted the retriever; a and e are just text here");
    assert!(state.outbox.is_empty(), "typing `a` in a note does not acknowledge");
    let kept = state.update(special(KeyCode::Esc), now());
    assert!(state.modals.input().is_none());
    assert!(flash(&state).contains("draft"));
    let [Effect::SaveNoteDraft(draft)] = &kept.effects[..] else { panic!("kept on disk: {:?}", kept.effects) };
    assert_eq!((draft.incident_id.as_str(), draft.author.as_str()), ("INC-1", "token:erin"));
    assert_eq!(draft.text, "restarted the retriever; a and e are just text here");

    state.update(key('n'), now());
    assert_eq!(state.modals.input().unwrap().text(), "restarted the retriever; a and e are just text here");
    let mut sent = state.update(special(KeyCode::Enter), now());
    let forget = sent.effects.pop();
    assert!(
        matches!(&forget, Some(Effect::SaveNoteDraft(d)) if d.text.is_empty()),
        "the sent draft is forgotten on disk"
    );
    let entry = persisted_entry(&sent);
    assert_eq!(
        entry.action,
        Command::Incident(IncidentAction::Note { text: "restarted the retriever; a and e are just text here".into() })
    );

    state.update(key('n'), now());
    assert_eq!(state.modals.input().unwrap().text(), "", "the sent draft is gone");
    let update = state.update(special(KeyCode::Enter), now());
    assert!(update.effects.is_empty(), "an empty note is not sent");
}

#[test]
fn pasted_escape_sequences_do_not_reach_a_note() {
    let mut state = live(vec![incident("INC-1", Priority::P2, 3)]);
    state.update(key('n'), now());
    state.update(Event::Paste("look \u{1b}]52;c;aGk=\u{7}here".into()), now());
    assert_eq!(state.modals.input().unwrap().text(), "look here");
}

#[test]
fn filter_narrows_as_you_type_and_esc_clears_it() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3), incident("INC-2", Priority::P3, 5)]);
    state.update(key('/'), now());
    type_text(&mut state, "p3");
    assert_eq!(state.incidents.visible_len(), 1);
    state.update(special(KeyCode::Enter), now());
    assert_eq!(state.mode(), Mode::List);
    assert_eq!(state.incidents.filter(), "p3");
    assert_eq!(state.incidents.selected_id(), Some("INC-2"));
    state.update(special(KeyCode::Esc), now());
    assert_eq!(state.incidents.visible_len(), 2);
}

#[test]
fn enter_opens_the_detail_and_actions_target_it() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3), incident("INC-2", Priority::P3, 5)]);
    state.update(key('j'), now());
    state.update(special(KeyCode::Enter), now());
    assert_eq!(state.mode(), Mode::Detail);
    let entry = persisted_entry(&state.update(key('e'), now()));
    assert_eq!((entry.target_id.as_str(), &entry.action), ("INC-2", &Command::Incident(IncidentAction::Escalate)));
    state.update(special(KeyCode::Esc), now());
    assert_eq!(state.mode(), Mode::List);
}

#[test]
fn queued_actions_wait_for_the_first_sync_and_go_after_it() {
    let entry = queued("old-1", IncidentAction::Acknowledge, "e1");
    let mut state = state_with(vec![incident("INC-1", Priority::P1, 3)], vec![entry.clone()], Role::Responder);
    assert_eq!(state.incidents.row("INC-1").unwrap().pending(), ["acknowledge"], "shown as pending from the cache");
    state.update(Event::SyncFailed { error: "connection refused".into(), at: now() }, now());
    assert!(state.sync.is_stale());
    let update = state.update(synced(vec![], false), now());
    assert!(matches!(&update.effects[..], [Effect::Outbox(OutboxEffect::Send(e))] if e.key == "old-1"));
    assert!(!state.sync.is_stale());
}

#[test]
fn actions_for_a_replaced_server_database_are_rejected_and_kept() {
    let entry = queued("old-1", IncidentAction::Note { text: "keep this sentence".into() }, "old-epoch");
    let mut state = state_with(vec![incident("INC-1", Priority::P1, 3)], vec![entry], Role::Responder);
    let update = state.update(synced(vec![], false), now());
    assert!(
        matches!(&update.effects[..], [Effect::Outbox(OutboxEffect::Reject { rejected, .. })] if rejected.entry.action == Command::Incident(IncidentAction::Note { text: "keep this sentence".into() }))
    );
    assert_eq!(state.outbox.rejected().len(), 1);
}

#[test]
fn a_conflict_rolls_back_and_says_who_was_first() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    let entry = persisted_entry(&state.update(key('a'), now()));
    state.update(Event::OutboxPersisted { key: entry.key.clone(), error: None }, now());
    let mut theirs = state.incidents.row("INC-1").unwrap().confirmed().into_owned();
    theirs
        .apply(
            &IncidentAction::Acknowledge,
            ActionContext { actor: "dana", now: now() - chrono::Duration::seconds(40), policy: None },
        )
        .unwrap();
    let conflict = Conflict {
        message: String::new(),
        reason: Rejection::AlreadyAcknowledged { by: "dana".into(), at: now() - chrono::Duration::seconds(40) },
        current: Entity::Incident(theirs.clone()),
    };
    let update = state.update(
        Event::OutboxAnswered { key: entry.key, result: Err(BackendError::Conflict(Box::new(conflict))) },
        now(),
    );
    assert!(matches!(&update.effects[..], [Effect::Outbox(OutboxEffect::Reject { .. })]));
    let row = state.incidents.row("INC-1").unwrap();
    assert!(row.pending().is_empty(), "the optimistic change is gone");
    assert_eq!(
        *row.confirmed(),
        crate::console::tabs::incidents::sanitized(theirs),
        "replaced by the server's version"
    );
    assert_eq!(flash(&state), "✗ INC-1 already acknowledged by dana 40 s ago");
}

#[test]
fn unreachable_backend_keeps_the_action_queued_and_marks_the_view_stale() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    let entry = persisted_entry(&state.update(key('a'), now()));
    state.update(Event::OutboxPersisted { key: entry.key.clone(), error: None }, now());
    let update = state.update(
        Event::OutboxAnswered {
            key: entry.key.clone(),
            result: Err(BackendError::Unreachable("connection refused".into())),
        },
        now(),
    );
    assert!(update.effects.contains(&Effect::Outbox(OutboxEffect::RetryAfter(Duration::from_secs(1)))));
    state.update(Event::SyncFailed { error: "cannot reach the backend: connection refused".into(), at: now() }, now());
    assert!(state.sync.is_stale());
    assert_eq!(state.outbox.len(), 1);
    assert_eq!(state.incidents.row("INC-1").unwrap().pending(), ["acknowledge"]);
    // The backend answers again: the same entry goes out at once.
    let update = state.update(synced(vec![], false), now());
    assert!(matches!(&update.effects[..], [Effect::Outbox(OutboxEffect::Send(e))] if e.key == entry.key));
}

#[test]
fn a_new_p1_rings_the_bell_but_the_first_sync_does_not() {
    let mut state = live(vec![]);
    let first = state.update(synced(vec![Change::Incident(incident("INC-1", Priority::P1, 0))], true), now());
    assert!(!first.effects.contains(&Effect::Terminal(TerminalEffect::Bell)));
    let update = state.update(synced(vec![Change::Incident(incident("INC-2", Priority::P1, 0))], false), now());
    assert!(update.effects.contains(&Effect::Terminal(TerminalEffect::Bell)));
    assert!(flash(&state).starts_with("new P1: INC-2"));
    let update = state.update(synced(vec![Change::Incident(incident("INC-3", Priority::P2, 0))], false), now());
    assert!(!update.effects.contains(&Effect::Terminal(TerminalEffect::Bell)));
    state.settings.bell_on_new_p1 = false;
    let update = state.update(synced(vec![Change::Incident(incident("INC-4", Priority::P1, 0))], false), now());
    assert!(!update.effects.contains(&Effect::Terminal(TerminalEffect::Bell)));
}

#[test]
fn an_idle_poll_does_not_redraw() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    assert!(!state.update(synced(vec![], false), now()).changed);
}

#[test]
fn config_reload_applies_keys_and_a_broken_file_keeps_the_old_config() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    let config =
        Config::parse("poll_interval = \"5s\"\n[keys]\nacknowledge = \"A\"\n", std::path::Path::new("config.toml"))
            .unwrap();
    let update = state.update(Event::Config(Ok(config)), now());
    assert_eq!(update.effects, [Effect::SetPollInterval(Duration::from_secs(5))]);
    assert!(state.update(key('a'), now()).effects.is_empty(), "`a` no longer acknowledges");
    let shifted = Event::Key(KeyEvent::new(KeyCode::Char('A'), KeyModifiers::SHIFT));
    assert_eq!(persisted_entry(&state.update(shifted, now())).action, Command::Incident(IncidentAction::Acknowledge));

    let broken = Config::parse("poll_interval = \"fast\"", std::path::Path::new("config.toml")).unwrap_err();
    state.update(Event::Config(Err(broken)), now());
    assert_eq!(state.settings.poll_interval, Duration::from_secs(5));
    assert!(flash(&state).contains("line 1"), "{}", flash(&state));
    assert!(flash(&state).contains("keeping the previous configuration"));
}

#[test]
fn the_clock_wakes_only_when_something_on_screen_changes() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 90)]);
    state.flash = None;
    // The live badge's own expiry (tested in term_tests) out of the way.
    state.settings.poll_interval = Duration::from_secs(3600);
    let wake = state.next_wake(now()).unwrap();
    assert_eq!(wake, now() + chrono::Duration::seconds(60), "a 90-minute age changes at the next minute");
    let young = incident("INC-2", Priority::P1, 0);
    state.update(synced(vec![Change::Incident(young)], true), now());
    state.flash = None;
    // A young age moves in 5 s steps (`0s`, `5s`, `10s` …): at 6 s it next changes at 10 s.
    assert_eq!(state.next_wake(now() + chrono::Duration::seconds(6)).unwrap(), now() + chrono::Duration::seconds(10));
    let empty = live(vec![]);
    let expiry = empty.sync.live_until(empty.settings.poll_interval);
    assert_eq!(empty.next_wake(now()), expiry, "nothing on screen moves: only the live badge can run out");
}

/// Two incidents triggered at different instants within a second: their ages and SLA minutes
/// on the Incidents tab, and their clocks on the SLA tab, all move on the whole second — the
/// young ages every five, the SLA tab's minutes and gauges when they change.
#[test]
fn ages_and_countdowns_share_one_phase_of_one_second() {
    let triggered = |id: &str, ms: i64| {
        let new =
            NewIncident { title: format!("{id} title"), service_id: "llm-gateway".into(), priority: Priority::P1 };
        let policy = crate::domain::catalog::policies().into_iter().next();
        let at = now() + chrono::Duration::milliseconds(ms);
        Incident::trigger(id.into(), new, "alertmanager", at, policy.as_ref())
    };
    for tab in ['1', '3'] {
        let mut state = live(vec![triggered("INC-1", 250), triggered("INC-2", 730)]);
        // The live badge's own expiry (tested in term_tests) out of the way.
        state.settings.poll_interval = Duration::from_secs(3600);
        state.update(key(tab), now());
        state.flash = None;
        let start = now() + chrono::Duration::milliseconds(800);
        let mut at = start;
        let mut wakes = Vec::new();
        loop {
            let wake = state.next_wake(at).expect("young ages and running clocks move");
            assert!(wake > at, "tab {tab}: a wake-up at {wake} is not after {at}");
            if wake > start + chrono::Duration::seconds(10) {
                break;
            }
            wakes.push(wake);
            // Timers fire a little late.
            at = wake + chrono::Duration::milliseconds(3);
            state.update(Event::Tick, at);
            state.flash = None;
        }
        assert!(wakes.iter().all(|w| w.timestamp_subsec_nanos() == 0), "tab {tab}: off the whole second: {wakes:?}");
        assert!(wakes.windows(2).all(|w| w[1] - w[0] >= chrono::Duration::seconds(1)), "tab {tab}: {wakes:?}");
        if tab == '3' {
            // 15 minutes left show as `14m` for a minute; a 20-cell gauge of 15 minutes fills a
            // cell every 45 s: nothing on the SLA tab changes in these 10 s.
            assert!(wakes.len() <= 1, "tab {tab}: {wakes:?}");
        } else {
            let ages: Vec<i64> = wakes.iter().map(|w| (*w - now()).num_seconds()).collect();
            assert!(ages.contains(&6) && ages.len() <= 3, "tab {tab}: the 5 s steps of young ages: {ages:?}");
        }
    }
}

#[test]
fn signals_quit_after_the_outbox_is_safe() {
    let mut state = live(vec![]);
    let update = state.update(Event::Shutdown { signal: "SIGHUP" }, now());
    assert!(state.quit);
    assert_eq!(update.effects, [Effect::Terminal(TerminalEffect::Quit)]);
}

#[test]
fn a_changed_server_database_clears_what_we_showed() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    let report = SyncReport {
        at: now(),
        epoch: "e2".into(),
        reset: true,
        from_empty: true,
        more: false,
        recovered: false,
        changes: vec![Change::Incident(incident("INC-9", Priority::P2, 1))],
        skipped: Vec::new(),
        unknown_kinds: Vec::new(),
        progress: None,
    };
    state.update(Event::Synced(Box::new(report)), now());
    assert!(!state.incidents.contains("INC-1"));
    assert!(state.incidents.contains("INC-9"));
    assert_eq!(state.sync.epoch.as_deref(), Some("e2"));
}

#[test]
fn offline_actions_are_held_and_say_when_they_are_safe_on_disk() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    state.update(Event::SyncFailed { error: "cannot reach the backend".into(), at: now() }, now());
    let entry = persisted_entry(&state.update(key('a'), now()));
    assert_eq!(flash(&state), "⧗ INC-1: acknowledge queued (offline)");
    let update = state.update(Event::OutboxPersisted { key: entry.key.clone(), error: None }, now());
    assert!(update.effects.is_empty(), "nothing is sent to a backend that does not answer");
    assert_eq!(flash(&state), "⧗ INC-1: acknowledge saved (offline)");
    let update = state.update(synced(vec![], false), now());
    assert!(matches!(&update.effects[..], [Effect::Outbox(OutboxEffect::Send(e))] if e.key == entry.key));
}

#[test]
fn learning_who_we_are_updates_queued_actions_on_screen() {
    let entry = queued("old-1", IncidentAction::Acknowledge, "e1");
    let mut state = state_with(vec![incident("INC-1", Priority::P1, 3)], vec![entry], Role::Responder);
    state.session.me = None;
    state.update(Event::Identity(Me { name: "dana".into(), role: Role::Responder }), now());
    assert_eq!(state.incidents.row("INC-1").unwrap().incident().assignee.as_deref(), Some("dana"));
}

#[test]
fn a_service_name_from_the_backend_is_sanitised_before_it_is_shown() {
    let mut s = live(vec![incident("INC-1", Priority::P2, 5)]);
    let service = crate::domain::Service {
        id: "llm-gateway".into(),
        name: "\u{1b}[2J\u{1b}[H\u{1b}[31mLLM gateway\u{200b}\u{2028}east".into(),
        description: "edge\u{1b}]0;pwned\u{7}".into(),
        escalation_policy_id: "default".into(),
    };
    s.update(synced(vec![Change::Service(service)], false), now());
    let shown = &s.catalog.services["llm-gateway"];
    assert_eq!(shown.name, "LLM gateway east");
    assert_eq!(shown.description, "edge");
}
