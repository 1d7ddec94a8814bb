//! A sync page touches only its items: the clocks of the incidents and tickets it brings are
//! built again and no other, the lists put the changed rows in place, and what comes out is what
//! a rebuild from scratch gives (same order, same clocks, same summary).

use super::*;
use crate::console::clocks::rows_built;
use crate::console::tabs::sla::SlaTab;

const HELD: usize = 10_000;

/// 10,000 open incidents, none acknowledged: each has its response and resolution clocks going.
fn big() -> AppState {
    let incidents = (0..HELD).map(|i| incident(&format!("INC-{}", 10_000 + i), Priority::ALL[i % 4], (i % 600) as i64));
    let mut state = live(incidents.collect());
    state.update(synced(vec![Change::Ticket(crate::fixtures::seeded_tickets(now()).remove(0))], false), now());
    state
}

/// Five changes: two new incidents, one acknowledged (its response clock stops), one moved to
/// P1, one resolved (its clocks go).
fn page(state: &AppState) -> Vec<Change> {
    let held = |id: &str| state.incidents.row(id).unwrap().confirmed().into_owned();
    let ctx = ActionContext { actor: "dana", now: now(), policy: None };
    let mut acked = held("INC-10007");
    acked.apply(&IncidentAction::Acknowledge, ctx).unwrap();
    let mut raised = held("INC-10100");
    raised.priority = Priority::P1;
    raised.version += 1;
    let mut resolved = held("INC-12345");
    resolved.apply(&IncidentAction::Resolve, ctx).unwrap();
    [incident("INC-1", Priority::P1, 1), incident("INC-2", Priority::P3, 400), acked, raised, resolved]
        .into_iter()
        .map(Change::Incident)
        .collect()
}

/// The clock list a rebuild from scratch gives for what the state shows.
fn rebuilt(state: &AppState) -> SlaTab {
    let mut full = SlaTab::default();
    let tickets = state.tickets.all().map(|r| r.ticket());
    full.rebuild(state.incidents.open_incidents(), tickets, &state.settings.sla, &state.calendar, now());
    full
}

#[test]
fn a_sync_page_builds_only_its_items_clocks() {
    let mut state = big();
    assert!(state.sla.rows().len() >= 2 * HELD, "every incident has two clocks going");
    let before = rows_built();
    state.update(synced(page(&state), false), now());
    let built = rows_built() - before;
    assert!(built <= 5 * 2, "a page of 5 built {built} clocks over {} held", state.sla.rows().len());
    assert!(built >= 5, "the page's own clocks were built again ({built})");

    let full = rebuilt(&state);
    assert_eq!(state.sla.rows(), full.rows(), "the same clocks, in the same order, as a rebuild gives");
    assert_eq!(state.sla.summary(now()), full.summary(now()));
    assert!(!state.sla.rows().iter().any(|r| &*r.id == "INC-12345"), "a resolved incident's clocks go");
    let acked: Vec<_> = state.sla.rows().iter().filter(|r| &*r.id == "INC-10007").map(|r| r.which).collect();
    assert_eq!(acked, [crate::console::clocks::Which::Resolution], "acknowledging stops the response clock");
}

#[test]
fn a_page_puts_rows_where_a_full_sort_puts_them_with_or_without_a_filter() {
    let mut state = big();
    let ids = |tab: &crate::console::tabs::incidents::IncidentsTab| -> Vec<String> {
        tab.visible_rows(0, usize::MAX).map(|r| r.id().to_string()).collect()
    };
    let fresh = |state: &AppState| {
        let all: Vec<Incident> = state.incidents.rows().map(|r| r.confirmed().into_owned()).collect();
        crate::console::tabs::incidents::IncidentsTab::new(all, 0)
    };
    state.update(synced(page(&state), false), now());
    assert_eq!(ids(&state.incidents), ids(&fresh(&state)));
    assert_eq!(state.incidents.open_count(), fresh(&state).open_count());

    // With a filter, rows come in and go out of the visible ones as they change.
    state.incidents.set_filter("p1");
    let mut lowered = state.incidents.row("INC-1").unwrap().confirmed().into_owned();
    lowered.priority = Priority::P4;
    lowered.version += 1;
    let mut raised = state.incidents.row("INC-10003").unwrap().confirmed().into_owned();
    raised.priority = Priority::P1;
    raised.version += 1;
    let new = incident("INC-3", Priority::P1, 2);
    state.update(synced([lowered, raised, new].map(Change::Incident).to_vec(), false), now());
    let mut expected = fresh(&state);
    expected.set_filter("p1");
    assert_eq!(ids(&state.incidents), ids(&expected));
    assert!(
        ids(&state.incidents).contains(&"INC-10003".to_string())
            && !ids(&state.incidents).contains(&"INC-1".to_string())
    );
}

/// The bell rings for a clock that enters the critical band while watched, also when its item
/// changed on a page in between; one that arrives already critical does not ring.
#[test]
fn clocks_a_page_replaced_keep_their_bell() {
    let mut state = big();
    let held = |state: &AppState, id: &str| state.incidents.row(id).unwrap().confirmed().into_owned();
    // A P1 triggered 14 minutes ago has a minute left of its 15 min response: critical on arrival.
    let arrived = incident("INC-1", Priority::P1, 14);
    state.update(synced(vec![Change::Incident(arrived)], false), now());
    assert!(state.sla.newly_critical(now()).is_empty(), "seen for the first time already critical: no bell");
    // A P1 with 10 minutes left is replaced by a page (a new title), then goes critical.
    let mut fresh = incident("INC-2", Priority::P1, 5);
    state.update(synced(vec![Change::Incident(fresh.clone())], false), now());
    fresh = held(&state, "INC-2");
    fresh.title = "retitled".into();
    fresh.version += 1;
    state.update(synced(vec![Change::Incident(fresh)], false), now());
    let later = now() + chrono::Duration::minutes(9);
    let rang = state.sla.newly_critical(later);
    assert!(rang.iter().any(|r| r.starts_with("INC-2 response")), "{rang:?}");
}

/// The Drift tab's markers after a page are the markers a rebuild from every incident gives:
/// a new incident on the gateway appears, a resolved one gets its end, others stay.
#[test]
fn a_page_redraws_the_markers_of_its_incidents_as_a_rebuild_would() {
    let snapshot = crate::fixtures::seeded_snapshot(1, now());
    let mut state = AppState::new(session(Role::Responder), &Config::default(), snapshot, true, now());
    state.update(synced(vec![], false), now());
    assert!(!state.drift.markers().is_empty(), "the seeded model has markers");
    assert!(state.incidents.len() > 8, "a page of 2 redraws its own markers, not all");
    let mut open = state.incidents.open_incidents().next().unwrap().into_owned();
    // On the gateway every model sits behind: it is marked on every model's chart.
    open.service_id = "llm-gateway".into();
    let mut resolved = open.clone();
    resolved.apply(&IncidentAction::Resolve, ActionContext { actor: "dana", now: now(), policy: None }).unwrap();
    let new = incident("INC-1", Priority::P2, 3);
    state.update(synced(vec![Change::Incident(resolved), Change::Incident(new)], false), now());
    let mut rebuilt = state.drift.clone();
    rebuilt.refresh_markers(state.incidents.spans());
    assert_eq!(state.drift.markers(), rebuilt.markers());
    assert!(state.drift.markers().iter().any(|m| m.label == "INC-1"), "the new incident is marked");
    let ended = state.drift.markers().iter().find(|m| m.label == open.id).unwrap();
    assert_eq!(ended.until, Some(now()), "the resolved incident's marker ends when it was resolved");
}
