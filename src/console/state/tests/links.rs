//! Pure update tests for following links (a ticket's incident, an incident's tickets, an SLA row)
//! and returning with `Esc`, and for the assign prompt's known users.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::api::User;
use crate::console::outbox::{OutboxEffect, OutboxEntry};
use crate::domain::{Command, IncidentAction, TicketAction};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

fn state() -> AppState {
    let session = crate::fixtures::session(false);
    let snapshot = crate::fixtures::seeded_snapshot(7, now());
    let mut state = AppState::new(session, &Config::default(), snapshot, true, now());
    state.update(Event::Resize { width: 120, height: 40 }, now());
    state.update(crate::fixtures::synced(now(), "fixture", false, vec![]), now());
    state
}

fn press(state: &mut AppState, code: KeyCode) -> Update {
    state.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)), now())
}

fn keys(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

fn flash(state: &AppState) -> &str {
    state.flash.as_ref().map_or("", |f| f.text.as_str())
}

fn persisted(update: &Update) -> Vec<OutboxEntry> {
    let persist = |e: &Effect| match e {
        Effect::Outbox(OutboxEffect::Persist(entry)) => Some(entry.clone()),
        _ => None,
    };
    update.effects.iter().filter_map(persist).collect()
}

fn where_am_i(state: &AppState) -> (TabId, Option<String>) {
    let detail = match state.tab {
        TabId::Incidents => state.incidents.detail().map(|d| d.id.clone()),
        TabId::Tickets => state.tickets.detail().map(|d| d.id.clone()),
        _ => None,
    };
    (state.tab, detail)
}

fn at(tab: TabId, id: Option<&str>) -> (TabId, Option<String>) {
    (tab, id.map(str::to_string))
}

#[test]
fn esc_after_enter_on_the_sla_tab_returns_to_the_sla_tab() {
    let mut s = state();
    keys(&mut s, "3");
    let row = s.sla.selected().unwrap().clone();
    press(&mut s, KeyCode::Enter);
    assert_ne!(s.tab, TabId::Sla, "Enter opened {} in its own tab", row.id);
    assert_eq!(where_am_i(&s).1.as_deref(), Some(&*row.id));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.tab, TabId::Sla, "back where the user came from");
    assert_eq!(s.sla.selected().map(|r| &*r.id), Some(&*row.id), "on the same row");
    assert!(s.came_from.is_empty());
    // A detail opened in its own tab closes in place, as before.
    keys(&mut s, "1");
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Esc);
    assert_eq!(where_am_i(&s), at(TabId::Incidents, None));
}

#[test]
fn a_ticket_opens_its_linked_incident_and_esc_comes_back_to_the_ticket() {
    let mut s = state();
    keys(&mut s, "2");
    assert!(s.tickets.open_key("SUP-2042", 30), "the fixture's outage report");
    keys(&mut s, "i");
    assert_eq!(where_am_i(&s), at(TabId::Incidents, Some("INC-1001")));
    // The incident lists the ticket, and T goes back to it.
    assert_eq!(s.linked_tickets("INC-1001"), ["SUP-2042"]);
    press(&mut s, KeyCode::Esc);
    assert_eq!(where_am_i(&s), at(TabId::Tickets, Some("SUP-2042")));
    press(&mut s, KeyCode::Esc);
    assert_eq!(where_am_i(&s), at(TabId::Tickets, None));

    // A ticket without a link says so.
    assert!(s.tickets.open_key("SUP-2041", 30));
    keys(&mut s, "i");
    assert_eq!(where_am_i(&s), at(TabId::Tickets, Some("SUP-2041")));
    assert_eq!(flash(&s), "SUP-2041 is not linked to an incident");
}

#[test]
fn an_incident_opens_its_ticket_or_asks_which_of_several() {
    let mut s = state();
    assert!(s.incidents.open_id("INC-1001", 30));
    keys(&mut s, "T");
    assert_eq!(where_am_i(&s), at(TabId::Tickets, Some("SUP-2042")));
    press(&mut s, KeyCode::Esc);
    assert_eq!(where_am_i(&s), at(TabId::Incidents, Some("INC-1001")));

    // A second report of the same outage: T asks which, Tab completes, Enter opens.
    let mut second = s.tickets.row("SUP-2041").unwrap().confirmed().into_owned();
    (second.linked_incident, second.version) = (Some("INC-1001".into()), second.version + 1);
    s.update(crate::fixtures::synced(now(), "fixture", false, vec![crate::api::Change::Ticket(second)]), now());
    let mut linked = s.linked_tickets("INC-1001");
    linked.sort();
    assert_eq!(linked, ["SUP-2041", "SUP-2042"]);
    keys(&mut s, "T");
    assert_eq!(s.mode(), Mode::Input);
    assert!(s.prompt_hint().unwrap().contains("SUP-2041  SUP-2042"), "{:?}", s.prompt_hint());
    keys(&mut s, "sup-2");
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.modals.input().unwrap().text(), "SUP-204", "the start both share");
    keys(&mut s, "9");
    press(&mut s, KeyCode::Enter);
    assert!(flash(&s).contains("`SUP-2049` is not one of the tickets linked to INC-1001"), "{}", flash(&s));
    assert_eq!(s.modals.input().map(|i| i.text()).as_deref(), Some("SUP-2049"), "the prompt stays as typed");
    press(&mut s, KeyCode::Backspace);
    keys(&mut s, "1");
    press(&mut s, KeyCode::Enter);
    assert_eq!(where_am_i(&s), at(TabId::Tickets, Some("SUP-2041")));
    press(&mut s, KeyCode::Esc);
    assert_eq!(where_am_i(&s), at(TabId::Incidents, Some("INC-1001")));
}

fn users(s: &mut AppState) {
    let user = |name: &str, role| User { name: name.into(), role };
    let list = vec![
        user("dana", Role::Commander),
        user("dario", Role::Responder),
        user("erin", Role::Responder),
        user("lee", Role::Responder),
        user("vic", Role::Viewer),
    ];
    s.update(Event::Users(Ok(list)), now());
}

#[test]
fn assign_offers_known_users_and_refuses_an_unknown_name_keeping_it() {
    let mut s = state();
    users(&mut s);
    // The second ticket: the first (SUP-2041) is dana's already.
    keys(&mut s, "2jA");
    assert_eq!(
        s.prompt_hint().as_deref(),
        Some("known: dana  dario  erin  lee · Tab completes"),
        "viewers are not offered"
    );
    keys(&mut s, "nobody-such");
    assert_eq!(s.prompt_hint().as_deref(), Some("no known user starts with “nobody-such”: Enter refuses it"));
    let update = press(&mut s, KeyCode::Enter);
    assert!(persisted(&update).is_empty(), "{:?}", update.effects);
    assert!(flash(&s).starts_with("no user `nobody-such` is known to the backend"), "{}", flash(&s));
    assert_eq!(s.modals.input().map(|i| i.text()).as_deref(), Some("nobody-such"), "the typed text stays");
    assert!(s.prompt_hint().unwrap().starts_with("✗ no user `nobody-such`"), "said above the prompt too");

    // Clear it and complete a name: `d` is dana or dario, `dan` is dana.
    for _ in 0.."nobody-such".len() {
        press(&mut s, KeyCode::Backspace);
    }
    keys(&mut s, "d");
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.modals.input().unwrap().text(), "da");
    assert_eq!(s.prompt_hint().as_deref(), Some("matches: dana  dario · Tab completes"));
    keys(&mut s, "n");
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.prompt_hint().as_deref(), Some("✓ dana"));
    let [entry] = persisted(&press(&mut s, KeyCode::Enter)).try_into().expect("one assign queued");
    assert_eq!(entry.action, Command::Ticket(TicketAction::Assign { to: "dana".into() }));
    assert!(s.modals.input().is_none());

    // A viewer is known but cannot work tickets; a name in other case is the known spelling.
    keys(&mut s, "Avic");
    press(&mut s, KeyCode::Enter);
    assert!(flash(&s).contains("vic is a viewer and cannot work tickets"), "{}", flash(&s));
    for _ in 0..3 {
        press(&mut s, KeyCode::Backspace);
    }
    keys(&mut s, "LEE");
    let [entry] = persisted(&press(&mut s, KeyCode::Enter)).try_into().expect("queued");
    assert_eq!(entry.action, Command::Ticket(TicketAction::Assign { to: "lee".into() }));
}

#[test]
fn without_a_user_list_a_name_is_assigned_and_said_to_be_unchecked() {
    let mut s = state();
    s.update(Event::SyncFailed { error: "cannot reach the backend".into(), at: now() }, now());
    keys(&mut s, "2A");
    assert_eq!(s.prompt_hint().as_deref(), Some("the list of users is not known yet: the name cannot be checked"));
    keys(&mut s, "sam");
    let [entry] = persisted(&press(&mut s, KeyCode::Enter)).try_into().expect("queued offline");
    assert_eq!(entry.action, Command::Ticket(TicketAction::Assign { to: "sam".into() }));
    assert!(
        flash(&s).contains("queued (offline)") && flash(&s).contains("`sam` could not be checked"),
        "{}",
        flash(&s)
    );

    // A server that does not list users: the same, with its reason in the hint.
    s.update(Event::Users(Err("not found: no such endpoint".into())), now());
    keys(&mut s, "A");
    assert!(s.prompt_hint().unwrap().contains("did not list its users (not found: no such endpoint)"));
}

#[test]
fn reassign_on_an_incident_hands_it_to_a_known_user_and_shows_them_at_once() {
    let mut s = state();
    users(&mut s);
    // Tab 1, the first incident: `A` asks for a name, offered from the same users.
    keys(&mut s, "1A");
    let incident_id = s.incidents.target().expect("a selected incident").incident().id.clone();
    assert_eq!(
        s.modals.input().map(|i| i.kind.clone()),
        Some(InputKind::Reassign { incident_id: incident_id.clone() })
    );
    assert_eq!(s.prompt_hint().as_deref(), Some("known: dana  dario  erin  lee · Tab completes"));
    keys(&mut s, "vic");
    press(&mut s, KeyCode::Enter);
    assert!(flash(&s).contains("vic is a viewer and cannot take incidents"), "{}", flash(&s));
    for _ in 0..3 {
        press(&mut s, KeyCode::Backspace);
    }
    keys(&mut s, "le");
    press(&mut s, KeyCode::Tab);
    let [entry] = persisted(&press(&mut s, KeyCode::Enter)).try_into().expect("one reassignment queued");
    assert_eq!(entry.target_id, incident_id);
    assert_eq!(entry.action, Command::Incident(IncidentAction::Reassign { to: "lee".into() }));
    // Shown as pending at once: lee has it, and has to acknowledge it.
    let shown = s.incidents.row(&incident_id).unwrap().incident();
    assert_eq!((shown.assignee.as_deref(), shown.status), (Some("lee"), crate::domain::IncidentStatus::Triggered));

    // Again to lee: refused before anything is queued, saying why.
    keys(&mut s, "Alee");
    let update = press(&mut s, KeyCode::Enter);
    assert!(persisted(&update).is_empty(), "{:?}", update.effects);
    assert!(flash(&s).contains("already assigned to lee"), "{}", flash(&s));
}
