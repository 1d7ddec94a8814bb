//! The merge of a large cache after the first frame, turn by turn as the run loop does it:
//! `cargo bench --bench merge` (100,000 incidents), `MERGE_INCIDENTS=1000000 cargo bench --bench
//! merge` for a million; `MERGE_TICKETS=100000` adds that many tickets; `MERGE_TRACE=1` prints every turn.
//!
//! The first frame holds the first 300 incidents (and tickets); the rest arrive as the loader
//! sends them, in pages of 20,000 in the list's order (`MERGE_ORDER=storage`: as stored), each page an event,
//! and each `CacheMergeStep` a turn. Every turn is timed: the longest is how long a key waits at
//! most, their sum is what the whole merge costs. The floor printed beside it is the state built from every
//! row at once, as a one-shot merge did.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

use opsdeck::config::Config;
use opsdeck::console::effect::Effect;
use opsdeck::console::event::Event;
use opsdeck::console::state::{AppState, Update};
use opsdeck::domain::{Incident, Ticket};

const PAGE: usize = 20_000;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

fn continues(update: &Update) -> bool {
    update.effects.iter().any(|e| matches!(e, Effect::ContinueMerge))
}

/// The incidents in the list's order, as the cache reads them.
fn in_list_order(incidents: &mut [Incident]) {
    incidents.sort_by_cached_key(|i| {
        let (rank, at) = i.list_order();
        (rank, std::cmp::Reverse(at), i.id.clone())
    });
}

fn first_frame(incidents: &[Incident], tickets: &[Ticket]) -> AppState {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let mut snapshot = opsdeck::fixtures::seeded_snapshot(1, now);
    snapshot.incidents = incidents[..300.min(incidents.len())].to_vec();
    snapshot.total = incidents.len();
    snapshot.tickets = tickets[..300.min(tickets.len())].to_vec();
    snapshot.tickets_total = tickets.len();
    let mut state = AppState::new(opsdeck::fixtures::session(false), &Config::default(), snapshot, false, now);
    state.update(Event::Resize { width: 200, height: 60 }, now);
    state
}

/// Runs the merge as the loop does; returns (longest turn, every turn together, turns).
fn sliced(incidents: &[Incident], tickets: &[Ticket]) -> (Duration, Duration, usize) {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let mut state = first_frame(incidents, tickets);
    let mut events: Vec<Event> = incidents.chunks(PAGE).map(|p| Event::CacheLoaded(p.to_vec())).collect();
    events.extend(tickets.chunks(PAGE).map(|p| Event::TicketsLoaded(p.to_vec())));
    let (mut longest, mut total, mut turns) = (Duration::ZERO, Duration::ZERO, 0);
    let mut queued = 0;
    let trace = std::env::var_os("MERGE_TRACE").is_some();
    let mut timed = |state: &mut AppState, event: Event| {
        let kind = if matches!(event, Event::CacheMergeStep) { "step" } else { "page" };
        let start = Instant::now();
        let update = state.update(event, now);
        let took = start.elapsed();
        longest = longest.max(took);
        total += took;
        turns += 1;
        if trace {
            println!(
                "  {kind} {:.1} ms, {} incidents ({} open) and {} tickets merged, {} clocks",
                took.as_secs_f64() * 1e3,
                state.incidents.loaded(),
                state.incidents.open_count(),
                state.tickets.len(),
                state.sla.rows().len()
            );
        }
        continues(&update)
    };
    // A page arrives between two steps, as the loader's pages do.
    for event in events {
        queued += usize::from(timed(&mut state, event));
        if queued > 0 {
            queued -= 1;
            queued += usize::from(timed(&mut state, Event::CacheMergeStep));
        }
    }
    while queued > 0 {
        queued -= 1;
        queued += usize::from(timed(&mut state, Event::CacheMergeStep));
    }
    assert!(state.cache_merged(), "the merge ended");
    assert_eq!(state.incidents.loaded(), incidents.len());
    (longest, total, turns)
}

/// The floor: the state built from every row at once (what a one-shot merge costs).
fn one_shot(incidents: &[Incident], tickets: &[Ticket]) -> Duration {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let mut snapshot = opsdeck::fixtures::seeded_snapshot(1, now);
    snapshot.incidents = incidents.to_vec();
    snapshot.total = incidents.len();
    snapshot.tickets = tickets.to_vec();
    snapshot.tickets_total = tickets.len();
    let start = Instant::now();
    let state = AppState::new(opsdeck::fixtures::session(false), &Config::default(), snapshot, false, now);
    let took = start.elapsed();
    drop(state);
    took
}

fn main() {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let n = knob("MERGE_INCIDENTS", 100_000);
    let t = knob("MERGE_TICKETS", 0);
    let mut incidents = opsdeck::fixtures::many_incidents(n, now);
    // `MERGE_ORDER=storage`: pages in the order rows were stored instead, the list's order
    // found by the merge alone.
    if std::env::var("MERGE_ORDER").as_deref() != Ok("storage") {
        in_list_order(&mut incidents);
    }
    let tickets = opsdeck::fixtures::many_tickets(t, now);
    let floor = one_shot(&incidents, &tickets);
    println!("merge of {n} incidents and {t} tickets after the first frame (pages of {PAGE})");
    for run in 1..=2 {
        let (longest, total, turns) = sliced(&incidents, &tickets);
        println!(
            "run {run}: longest turn {:.1} ms, every turn {:.0} ms over {turns} turns; one-shot merge {:.0} ms ({:.2}x)",
            longest.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3,
            floor.as_secs_f64() * 1e3,
            total.as_secs_f64() / floor.as_secs_f64(),
        );
    }
}
