//! Pure update tests for the Tickets and SLA tabs: tab switching, ticket actions through the
//! outbox, pausing and resuming clocks, jumping from a clock to its item, and the bell.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::console::clocks::{ClockInput, Which};
use crate::console::outbox::OutboxEffect;
use crate::console::outbox::OutboxEntry;
use crate::console::state::tests::*;
use crate::domain::Entity;
use crate::domain::{Command, Ticket, TicketAction, TicketStatus};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    now() + chrono::Duration::seconds(secs)
}

fn state(role: Role) -> AppState {
    let mut session = crate::fixtures::session(false);
    session.me = Some(Me { name: "erin".into(), role });
    let snapshot = crate::fixtures::seeded_snapshot(7, now());
    let mut state = AppState::new(session, &Config::default(), snapshot, true, now());
    state.update(Event::Resize { width: 120, height: 40 }, now());
    state.update(crate::fixtures::synced(now(), "fixture", false, vec![]), now());
    state
}

fn press(state: &mut AppState, code: KeyCode, at: DateTime<Utc>) -> Update {
    state.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)), at)
}

fn key(state: &mut AppState, c: char) -> Update {
    press(state, KeyCode::Char(c), now())
}

fn persisted(update: &Update) -> OutboxEntry {
    match &update.effects[..] {
        [Effect::Outbox(OutboxEffect::Persist(entry))] => entry.clone(),
        other => panic!("expected one Persist effect, got {other:?}"),
    }
}

fn selected_ticket(state: &AppState) -> Ticket {
    state.tickets.selected().expect("a selected ticket").ticket().into_owned()
}

fn flash(state: &AppState) -> &str {
    state.flash.as_ref().map_or("", |f| f.text.as_str())
}

#[test]
fn tabs_switch_by_number_tab_and_shift_tab_and_keys_follow_the_tab() {
    let mut s = state(Role::Responder);
    assert_eq!(s.tab, TabId::Incidents);
    assert!(key(&mut s, 't').effects.is_empty(), "`t` is not an incident key");
    key(&mut s, '2');
    assert_eq!(s.tab, TabId::Tickets);
    assert_eq!(s.layers(), [Mode::Tickets, Mode::List, Mode::Global]);
    assert!(key(&mut s, 'a').effects.is_empty(), "`a` acknowledges incidents only");
    press(&mut s, KeyCode::Tab, now());
    assert_eq!(s.tab, TabId::Sla);
    press(&mut s, KeyCode::BackTab, now());
    press(&mut s, KeyCode::BackTab, now());
    assert_eq!(s.tab, TabId::Incidents);
    key(&mut s, '3');
    assert_eq!(s.tab, TabId::Sla);
}

#[test]
fn take_is_queued_shown_at_once_and_sent_with_the_ticket_version() {
    let mut s = state(Role::Responder);
    key(&mut s, '2');
    let before = selected_ticket(&s);
    let entry = persisted(&key(&mut s, 't'));
    assert_eq!(entry.action, Command::Ticket(TicketAction::Take));
    assert_eq!((entry.target_id.as_str(), entry.base_version), (before.key.as_str(), before.version));
    let row = s.tickets.row(&before.key).unwrap();
    assert_eq!(row.ticket().assignee.as_deref(), Some("erin"), "shown at once");
    assert_eq!(row.pending(), ["take"]);
    assert_eq!(flash(&s), format!("⧗ {}: take sending…", before.key));
}

#[test]
fn pending_pauses_both_clocks_and_resume_continues_them() {
    let mut s = state(Role::Responder);
    key(&mut s, '2');
    let key_of = selected_ticket(&s).key;
    let entry = persisted(&key(&mut s, 'p'));
    assert_eq!(entry.action, Command::Ticket(TicketAction::Pending));
    let policy = s.settings.sla.clone();
    let shown = s.tickets.row(&key_of).unwrap().ticket().clone();
    assert_eq!(shown.status, TicketStatus::Pending);
    let resolution = |t: &Ticket, when| ClockInput::for_ticket(t, Which::Resolution).evaluate(&policy, when);
    let (a, b) = (resolution(&shown, at(60)), resolution(&shown, at(3600)));
    assert!(a.paused && b.paused);
    assert_eq!(a.remaining, b.remaining, "a paused clock does not run");

    // The server confirms; an hour later the customer answers and the clocks run on.
    let mut confirmed = s.tickets.row(&key_of).unwrap().confirmed().into_owned();
    confirmed.apply(&TicketAction::Pending, "erin", now()).unwrap();
    s.update(Event::OutboxPersisted { key: entry.key.clone(), error: None }, now());
    s.update(Event::OutboxAnswered { key: entry.key, result: Ok(Entity::Ticket(confirmed)) }, now());
    let resume = persisted(&press(&mut s, KeyCode::Char('p'), at(3600)));
    assert_eq!(resume.action, Command::Ticket(TicketAction::Resume), "p toggles");
    let shown = s.tickets.row(&key_of).unwrap().ticket().clone();
    let (c, d) = (resolution(&shown, at(3600)), resolution(&shown, at(3660)));
    assert!(!c.paused);
    assert_eq!(c.remaining, a.remaining, "the pause hour is not counted");
    assert_eq!(c.remaining - d.remaining, chrono::Duration::seconds(60), "and it runs again");
}

#[test]
fn assign_asks_for_a_name_and_refuses_an_empty_one() {
    let mut s = state(Role::Responder);
    key(&mut s, '2');
    key(&mut s, 'A');
    assert_eq!(s.mode(), Mode::Input);
    let update = press(&mut s, KeyCode::Enter, now());
    assert!(update.effects.is_empty());
    assert!(flash(&s).contains("assign needs a name"), "{}", flash(&s));
    key(&mut s, 'A');
    for c in "lee".chars() {
        key(&mut s, c);
    }
    let entry = persisted(&press(&mut s, KeyCode::Enter, now()));
    assert_eq!(entry.action, Command::Ticket(TicketAction::Assign { to: "lee".into() }));
}

#[test]
fn resolve_asks_to_confirm_and_first_response_is_checked_before_queueing() {
    let mut s = state(Role::Responder);
    key(&mut s, '2');
    key(&mut s, 'r');
    assert_eq!(s.mode(), Mode::Confirm);
    assert_eq!(s.modals.confirm().unwrap().command, Command::Ticket(TicketAction::Resolve));
    let entry = persisted(&key(&mut s, 'y'));
    assert_eq!(entry.action, Command::Ticket(TicketAction::Resolve));

    // A ticket whose first response is recorded says so instead of queueing another.
    let responded = s.tickets.all().find(|r| r.ticket().first_response_at.is_some() && r.ticket().is_open());
    let responded = responded.unwrap().id().to_string();
    key(&mut s, 'g');
    for _ in 0..s.tickets.visible_len() {
        if s.tickets.selected_key() == Some(responded.as_str()) {
            break;
        }
        key(&mut s, 'j');
    }
    assert_eq!(s.tickets.selected_key(), Some(responded.as_str()));
    assert!(key(&mut s, 'R').effects.is_empty());
    assert!(flash(&s).contains("first response already recorded"), "{}", flash(&s));
}

#[test]
fn viewers_cannot_touch_tickets() {
    let mut s = state(Role::Viewer);
    key(&mut s, '2');
    for c in ['t', 'p', 'R', 'e', 'A', 'r'] {
        assert!(key(&mut s, c).effects.is_empty());
        assert!(s.modals.input().is_none() && s.modals.confirm().is_none());
        assert!(flash(&s).contains("your role is viewer"), "{c}: {}", flash(&s));
    }
}

#[test]
fn enter_on_a_clock_opens_its_ticket_or_incident() {
    let mut s = state(Role::Responder);
    key(&mut s, '3');
    let first = s.sla.selected().unwrap().clone();
    press(&mut s, KeyCode::Enter, now());
    match first.kind {
        EntityKind::Ticket => {
            assert_eq!(s.tab, TabId::Tickets);
            assert_eq!(s.tickets.detail().map(|d| d.id.as_str()), Some(&*first.id));
        }
        EntityKind::Maintenance | EntityKind::Postmortem => unreachable!("SLA rows are tickets and incidents"),
        EntityKind::Incident => {
            assert_eq!(s.tab, TabId::Incidents);
            assert_eq!(s.incidents.detail().map(|d| d.id.as_str()), Some(&*first.id));
        }
    }
    assert_eq!(s.mode(), Mode::Detail);
}

#[test]
fn entering_the_critical_band_rings_once_and_the_wake_is_planned_for_it() {
    let mut s = state(Role::Responder);
    // At start, clocks already critical are not news: no bell for them.
    let update = s.update(Event::Tick, now());
    assert!(!update.effects.contains(&Effect::Terminal(TerminalEffect::Bell)));
    let critical = s.sla.rows().iter().filter_map(|r| r.critical_at()).filter(|at| *at > now()).min();
    // The frame shows it, and the bell rings, on the whole second it happens in.
    let next = crate::console::time::from_second(critical.expect("some clock will become critical"));
    assert!(s.next_wake(now()).is_some_and(|w| w <= next), "the loop wakes for it even off the SLA tab");
    let update = s.update(Event::Tick, next);
    assert!(update.effects.contains(&Effect::Terminal(TerminalEffect::Bell)));
    assert!(flash(&s).starts_with("SLA critical: "), "{}", flash(&s));
    let again = s.update(Event::Tick, next + chrono::Duration::seconds(1));
    assert!(
        !again.effects.contains(&Effect::Terminal(TerminalEffect::Bell)),
        "once per clock: {} (first at {next})",
        flash(&s)
    );
}

#[test]
fn countdowns_tick_every_second_only_while_on_screen() {
    let mut s = state(Role::Responder);
    let just_after = now() + chrono::Duration::milliseconds(250);
    key(&mut s, '3');
    assert_eq!(s.next_wake(just_after), Some(at(1)));
    key(&mut s, '1');
    // The live badge's own expiry out of the way: ages and the SLA column's minutes remain.
    s.settings.poll_interval = std::time::Duration::from_secs(3600);
    let (mut t, mut wakes) = (just_after, 0);
    while let Some(wake) = s.next_wake(t).filter(|w| *w <= at(60)) {
        wakes += 1;
        t = wake + chrono::Duration::milliseconds(2);
        s.update(Event::Tick, t);
    }
    assert!(wakes <= 3, "no 1 Hz tick on the incident list: {wakes} wake-ups in a minute");
}

fn visible_keys(state: &AppState) -> Vec<String> {
    state.tickets.visible_rows(0, usize::MAX).map(|r| r.id().to_string()).collect()
}

/// A fresh console: the cache held one quiet ticket and sync brought the rest, which sort above
/// it. Neither Tickets nor SLA may open on that stale row: a tab first shown starts at its top.
#[test]
fn a_tab_first_shown_starts_at_its_top_with_the_most_urgent_row_selected() {
    let mut snapshot = crate::fixtures::seeded_snapshot(7, now());
    let tickets = std::mem::take(&mut snapshot.tickets);
    let policy = crate::sla::SlaPolicy::default_policy();
    let sorted = crate::console::tabs::tickets::TicketsTab::new(tickets.clone(), 0, &policy);
    let open: Vec<String> =
        sorted.visible_rows(0, usize::MAX).filter(|r| r.ticket().is_open()).map(|r| r.id().to_string()).collect();
    let quiet = open.last().unwrap().clone();
    let (first, rest): (Vec<Ticket>, Vec<Ticket>) = tickets.into_iter().partition(|t| t.key == quiet);
    snapshot.tickets = first;
    let mut s = AppState::new(crate::fixtures::session(false), &Config::default(), snapshot, true, now());
    s.update(Event::Resize { width: 120, height: 24 }, now());
    let changes = rest.into_iter().map(crate::api::Change::Ticket).collect();
    s.update(crate::fixtures::synced(now(), "fixture", false, changes), now());

    key(&mut s, '2');
    assert_eq!(s.tickets.selected_key(), Some(open[0].as_str()), "the most urgent ticket, not {quiet}");
    assert_eq!(s.tickets.cursor(), crate::console::list::Cursor::default());
    key(&mut s, '3');
    assert_eq!(
        s.sla.cursor(),
        crate::console::list::Cursor::default(),
        "the SLA tab opens at the clock nearest breach"
    );
    assert_eq!(s.sla.selected().map(|r| r.id.clone()), s.sla.rows().first().map(|r| r.id.clone()));
}

/// Once the user moves in a list, the selection is theirs: rows re-sorting above it (a new urgent
/// ticket) keep the same ticket selected, and it stays on screen in a terminal too short for it.
#[test]
fn the_selection_follows_its_item_when_rows_resort_and_stays_in_view() {
    let mut s = state(Role::Responder);
    key(&mut s, '2');
    key(&mut s, 'j');
    key(&mut s, 'j');
    let chosen = s.tickets.selected_key().unwrap().to_string();
    // A ticket as urgent as the top one arrives: it sorts above the selection.
    let mut urgent = s.tickets.visible_rows(0, 1).next().unwrap().confirmed().into_owned();
    urgent.key = "SUP-9999".into();
    s.update(crate::fixtures::synced(now(), "fixture", false, vec![crate::api::Change::Ticket(urgent)]), now());
    let keys = visible_keys(&s);
    let (urgent_at, chosen_at) = (keys.iter().position(|k| k == "SUP-9999"), keys.iter().position(|k| *k == chosen));
    assert!(urgent_at < chosen_at, "the new P1 sorts above {chosen}: {keys:?}");
    assert_eq!(s.tickets.selected_key(), Some(chosen.as_str()), "the selection follows {chosen}, not its row");
    assert_eq!(s.tickets.cursor().selected, 3);

    s.update(Event::Resize { width: 120, height: 5 }, now());
    let rows = crate::console::layout::list_rows(s.body_height());
    let cursor = s.tickets.cursor();
    assert!(cursor.offset <= cursor.selected && cursor.selected < cursor.offset + rows, "{cursor:?} in {rows} rows");
}
