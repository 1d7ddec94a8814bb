use super::MERGE_SLICE;
use crate::console::outbox::OutboxEntry;
use crate::console::state::tests::*;
use crate::domain::{Incident, IncidentAction};

/// `n` incidents in the order the cache reads them (the list's order).
fn cached(n: usize) -> Vec<Incident> {
    let mut all = crate::fixtures::many_incidents(n, now());
    all.sort_by_key(|i| {
        let (rank, at) = i.list_order();
        (rank, std::cmp::Reverse(at), i.id.clone())
    });
    all
}

/// What the list shows, top to bottom: each row's id, item as shown and queued verbs.
fn shown(state: &AppState) -> Vec<(String, Incident, Vec<&'static str>)> {
    let tab = &state.incidents;
    tab.visible_rows(0, tab.visible_len())
        .map(|r| (r.id().to_string(), r.incident().into_owned(), r.pending().to_vec()))
        .collect()
}

/// Runs the merge to its end, one step per turn as the loop does; returns the turns taken.
fn finish_merge(state: &mut AppState, mut update: Update) -> usize {
    let mut turns = 1;
    while update.effects.iter().any(|e| matches!(e, Effect::ContinueMerge)) {
        assert!(turns < 1_000, "the merge never ends");
        update = state.update(Event::CacheMergeStep, now());
        turns += 1;
    }
    turns
}

/// The state after the first frame: the first 300 rows of `all`, knowing how many there are.
fn first_frame(all: &[Incident], outbox: Vec<OutboxEntry>) -> AppState {
    let snapshot = CacheSnapshot {
        incidents: all[..300].to_vec(),
        total: all.len(),
        services: crate::domain::catalog::services(),
        policies: crate::domain::catalog::policies(),
        outbox,
        ..CacheSnapshot::default()
    };
    let mut state = AppState::new(session(Role::Responder), &Config::default(), snapshot, true, now());
    state.update(Event::Resize { width: 100, height: 30 }, now());
    state
}

#[test]
fn a_key_pressed_during_the_merge_is_handled_before_it_ends() {
    let all = cached(3 * MERGE_SLICE);
    let mut state = first_frame(&all, vec![]);
    let update = state.update(Event::CacheLoaded(all[300..].to_vec()), now());
    assert!(matches!(update.effects[..], [Effect::ContinueMerge]), "a slice, then another turn: {:?}", update.effects);
    assert!(state.merging_cache());
    assert!(state.incidents.loaded() < all.len(), "one slice merged, not all");

    // The key that arrived during the first slice is in the channel before the next step.
    let second = state.incidents.visible_rows(1, 1).next().unwrap().id().to_string();
    state.update(key('j'), now());
    assert_eq!(state.incidents.selected_id(), Some(second.as_str()), "the key moved the selection");
    assert!(state.merging_cache(), "the key was handled while rows were still to merge");

    let turns = finish_merge(&mut state, Update::changed().with([Effect::ContinueMerge]));
    assert!(turns >= 3, "merged in slices, {turns} turns");
    assert!(!state.merging_cache());
    assert_eq!(state.incidents.loaded(), all.len());
    assert_eq!(state.incidents.selected_id(), Some(second.as_str()), "the selection stayed on its item");
}

#[test]
fn a_merge_in_slices_ends_as_a_one_shot_merge() {
    let all = cached(2 * MERGE_SLICE + 700);
    // A queued action on an incident the first frame does not hold: shown once it is merged.
    let target = all[all.len() - 1].id.clone();
    let mut entry = queued("k1", IncidentAction::Note { text: "checked".into() }, "e1");
    entry.target_id = target.clone();
    entry.base_version = all[all.len() - 1].version;

    let mut sliced = first_frame(&all, vec![entry.clone()]);
    let update = sliced.update(Event::CacheLoaded(all[300..].to_vec()), now());
    finish_merge(&mut sliced, update);

    let mut one_shot = first_frame(&all, vec![entry]);
    let rest = all[300..].to_vec();
    one_shot.incidents.upsert_many(rest);
    one_shot.derived.pending = true;
    one_shot.derived.markers = true;
    one_shot.update(Event::Resize { width: 100, height: 30 }, now());

    // Resolved incidents merged from the cache are held without their timeline until read.
    let compact: Vec<String> =
        sliced.incidents.visible_rows(0, all.len()).filter(|r| r.is_compact()).map(|r| r.id().to_string()).collect();
    assert!(compact.len() > all.len() / 2, "most merged rows are compact: {}", compact.len());
    assert!(compact.iter().all(|id| !sliced.incidents.row(id).unwrap().confirmed().is_open()));
    assert!(compact.contains(&target));
    for id in &compact {
        let full = all.iter().find(|i| &i.id == id).unwrap().clone();
        sliced.update(Event::IncidentRead { id: id.clone(), result: Ok(Some(full)) }, now());
    }
    let (a, b) = (shown(&sliced), shown(&one_shot));
    assert_eq!(a.len(), all.len());
    assert!(a == b, "the same rows in the same order, shown the same once read");
    let row = sliced.incidents.row(&target).unwrap();
    assert_eq!(row.pending(), ["note"], "the queued action shows on the merged row");
    assert_eq!(sliced.incidents.open_count(), one_shot.incidents.open_count());
    assert_eq!(sliced.sla.rows().len(), one_shot.sla.rows().len(), "the same SLA clocks");
}

#[test]
fn tickets_loaded_after_the_first_frame_merge_in_slices_after_the_incidents() {
    let all = cached(MERGE_SLICE + 400);
    let tickets = crate::fixtures::many_tickets(300 + 2 * super::TICKET_SLICE + 30, now());
    let snapshot = CacheSnapshot {
        incidents: all[..300].to_vec(),
        total: all.len(),
        tickets: tickets[..300].to_vec(),
        tickets_total: tickets.len(),
        services: crate::domain::catalog::services(),
        policies: crate::domain::catalog::policies(),
        ..CacheSnapshot::default()
    };
    let mut state = AppState::new(session(Role::Responder), &Config::default(), snapshot, true, now());
    assert!(!state.cache_merged());
    let first = state.update(Event::CacheLoaded(all[300..].to_vec()), now());
    // Loaded while a step is on its way: joins the merge, asks for no second step.
    let joined = state.update(Event::TicketsLoaded(tickets[300..].to_vec()), now());
    assert!(joined.effects.is_empty(), "one step in flight at a time: {:?}", joined.effects);
    assert_eq!(state.tickets.len(), 300, "incidents first: the first screen lists them");
    let turns = finish_merge(&mut state, first);
    assert!(turns >= 4, "incidents in two slices, tickets in three: {turns} turns");
    assert!(state.cache_merged());
    assert_eq!(state.incidents.loaded(), all.len());

    let one_shot = crate::console::tabs::tickets::TicketsTab::new(tickets.clone(), 0, &state.settings.sla);
    let keys = |tab: &crate::console::tabs::tickets::TicketsTab| -> Vec<String> {
        tab.visible_rows(0, tab.visible_len()).map(|r| r.id().to_string()).collect()
    };
    assert_eq!(keys(&state.tickets), keys(&one_shot), "the same queue, in the same order");
    let open = tickets.iter().filter(|t| t.is_open()).count();
    assert!(state.sla.rows().len() >= open, "every open ticket has its clocks");
}

#[test]
fn a_compact_incident_selected_or_opened_reads_its_timeline_from_the_cache() {
    let all = cached(1_000);
    let mut state = first_frame(&all, vec![]);
    let update = state.update(Event::CacheLoaded(all[300..].to_vec()), now());
    assert!(update.effects.iter().all(|e| !matches!(e, Effect::ReadIncident(_))), "the first row is not compact");
    let id = state.incidents.visible_rows(0, all.len()).find(|r| r.is_compact()).unwrap().id().to_string();
    let full = all.iter().find(|i| i.id == id).unwrap().clone();
    assert!(!full.timeline.is_empty());

    // Following a link (or any way of opening it) opens the detail: the header at once, the
    // timeline asked for in the same update, once.
    assert!(state.incidents.open_id(&id, 20));
    let update = state.update(Event::Resize { width: 100, height: 30 }, now());
    assert_eq!(update.effects, vec![Effect::ReadIncident(id.clone())]);
    let again = state.update(Event::Resize { width: 100, height: 30 }, now());
    assert!(again.effects.is_empty(), "asked once: {:?}", again.effects);
    assert!(state.incidents.row(&id).unwrap().incident().timeline.is_empty());
    // `p` waits for the timeline rather than drafting from none.
    state.update(key('p'), now());
    assert!(flash(&state).contains("reading the timeline"), "{}", flash(&state));

    let update = state.update(Event::IncidentRead { id: id.clone(), result: Ok(Some(full.clone())) }, now());
    assert!(update.changed);
    let row = state.incidents.row(&id).unwrap();
    assert!(!row.is_compact());
    assert_eq!(*row.incident(), full, "the row holds the incident in full again");

    // A failed read is said, naming the incident.
    let other = state.incidents.visible_rows(0, all.len()).find(|r| r.is_compact()).unwrap().id().to_string();
    state.update(Event::IncidentRead { id: other.clone(), result: Err("disk I/O error".into()) }, now());
    assert!(flash(&state).contains(&other) && flash(&state).contains("disk I/O error"), "{}", flash(&state));
}

#[test]
fn a_compact_ticket_opened_reads_its_history_from_the_cache() {
    let tickets = crate::fixtures::many_tickets(400, now());
    let snapshot = CacheSnapshot {
        tickets: tickets[..300].to_vec(),
        tickets_total: tickets.len(),
        services: crate::domain::catalog::services(),
        policies: crate::domain::catalog::policies(),
        ..CacheSnapshot::default()
    };
    let mut state = AppState::new(session(Role::Responder), &Config::default(), snapshot, true, now());
    state.update(Event::TicketsLoaded(tickets[300..].to_vec()), now());
    assert!(state.cache_merged());
    let full = tickets[350].clone();
    let row = state.tickets.row(&full.key).unwrap();
    assert!(row.is_compact() && row.ticket().history.is_empty() && row.ticket().description.is_none());
    assert!(!state.tickets.row(&tickets[0].key).unwrap().is_compact(), "what the first frame read stays in full");

    state.update(key('2'), now());
    assert!(state.tickets.open_key(&full.key, 20));
    let update = state.update(Event::Resize { width: 100, height: 30 }, now());
    assert!(update.effects.contains(&Effect::ReadTicket(full.key.clone())), "{:?}", update.effects);
    state.update(Event::TicketRead { key: full.key.clone(), result: Ok(Some(full.clone())) }, now());
    let row = state.tickets.row(&full.key).unwrap();
    assert!(!row.is_compact());
    assert_eq!(*row.ticket(), full, "the row holds the ticket in full again");
}

/// A cache larger than the first frame is counted after it: the title says so meanwhile, and the
/// merge is not over before the count is in, even with every row merged.
#[test]
fn a_cache_counted_after_the_first_frame_shows_its_count_once_it_comes() {
    use crate::console::tabs::Tab;
    let all = cached(MERGE_SLICE + 400);
    let tickets = crate::fixtures::many_tickets(310, now());
    let snapshot = CacheSnapshot {
        incidents: all[..300].to_vec(),
        total: 300,
        tickets: tickets[..300].to_vec(),
        tickets_total: 300,
        counts_pending: true,
        services: crate::domain::catalog::services(),
        policies: crate::domain::catalog::policies(),
        ..CacheSnapshot::default()
    };
    let mut state = AppState::new(session(Role::Responder), &Config::default(), snapshot, true, now());
    assert!(state.incidents.counts().contains("… (loading 300)"), "{}", state.incidents.counts());
    assert!(!state.cache_merged(), "not counted: not known to be all merged");

    state.update(Event::CacheCounted { incidents: all.len(), tickets: tickets.len() }, now());
    let counts = state.incidents.counts();
    assert!(counts.contains(&format!("{} (loading 300)", all.len())), "{counts}");
    let first = state.update(Event::CacheLoaded(all.to_vec()), now());
    finish_merge(&mut state, first);
    assert!(!state.cache_merged(), "the tickets are still to come");
    let first = state.update(Event::TicketsLoaded(tickets.to_vec()), now());
    finish_merge(&mut state, first);
    assert!(state.cache_merged());
    assert_eq!(state.incidents.counts(), format!("{} open · {}", state.incidents.open_count(), all.len()));
}

/// The first frame reads no ticket; the first ones come right after it, ahead of the other
/// incidents, in full and with their SLA clocks, and the rest merge after the incidents.
#[test]
fn the_first_tickets_arrive_after_the_first_frame_ahead_of_the_merge() {
    let all = cached(MERGE_SLICE + 400);
    let tickets = crate::fixtures::many_tickets(320, now());
    let snapshot = CacheSnapshot {
        incidents: all[..300].to_vec(),
        total: 300,
        counts_pending: true,
        services: crate::domain::catalog::services(),
        policies: crate::domain::catalog::policies(),
        ..CacheSnapshot::default()
    };
    let mut state = AppState::new(session(Role::Responder), &Config::default(), snapshot, true, now());
    let clocks = state.sla.rows().len();
    state.update(Event::CacheCounted { incidents: all.len(), tickets: tickets.len() }, now());
    state.update(Event::FirstTickets(tickets[..300].to_vec()), now());
    assert_eq!(state.tickets.len(), 300);
    assert!(state.tickets.rows().all(|r| !r.is_compact()), "the first rows are held in full");
    assert!(state.sla.rows().len() > clocks, "their clocks are built at once");
    let first = state.update(Event::CacheLoaded(all[300..].to_vec()), now());
    state.update(Event::TicketsLoaded(tickets.to_vec()), now());
    finish_merge(&mut state, first);
    assert!(state.cache_merged());
    assert_eq!(state.tickets.len(), tickets.len());
    assert!(!state.tickets.row(&tickets[0].key).unwrap().is_compact(), "read first: kept in full");
    assert!(state.tickets.row(&tickets[310].key).unwrap().is_compact());
}
