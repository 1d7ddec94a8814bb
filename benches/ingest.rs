//! What one sync page costs the console, by the size of its cache: `cargo bench --bench ingest`
//! (`OPSDECK_INGEST_SIZES=1000,10000` picks the cache sizes; 1k, 10k, 100k and 1M by default).
//!
//! The state holds N incidents (2 % open, `fixtures::many_incidents`) and N / 10 tickets (about
//! half of them open, `fixtures::many_tickets`). The page is 500 changes as a sync report brings
//! them (`Event::Synced` through `AppState::update`): 200 open incidents and 200 resolved ones
//! changing priority (so they move in the list), 100 tickets changing priority. Each iteration
//! sends the same items at the next version, so every change is taken in.

use chrono::{DateTime, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

use opsdeck::api::Change;
use opsdeck::config::Config;
use opsdeck::console::event::Event;
use opsdeck::console::state::AppState;
use opsdeck::domain::{Incident, Priority, Ticket};

const SIZES_VAR: &str = "OPSDECK_INGEST_SIZES";
const DEFAULT_SIZES: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

fn sizes() -> Vec<usize> {
    match std::env::var(SIZES_VAR) {
        Ok(v) => v.split(',').filter_map(|s| s.trim().replace('_', "").parse().ok()).collect(),
        Err(_) => DEFAULT_SIZES.to_vec(),
    }
}

/// `count` items spread evenly over `items`.
fn spread<T: Clone>(items: &[T], count: usize) -> Vec<T> {
    let step = (items.len() / count.max(1)).max(1);
    items.iter().step_by(step).take(count).cloned().collect()
}

/// The page's changes at round `round`: each item one version further, its priority rotated.
fn page(incidents: &[Incident], tickets: &[Ticket], round: i64, now: DateTime<Utc>) -> Event {
    let at = now + chrono::Duration::seconds(round);
    let mut changes = Vec::with_capacity(incidents.len() + tickets.len());
    for incident in incidents {
        let mut incident = incident.clone();
        incident.version += round;
        incident.priority = Priority::ALL[(incident.priority.rank() as usize + round as usize) % 4];
        incident.updated_at = at;
        changes.push(Change::Incident(incident));
    }
    for ticket in tickets {
        let mut ticket = ticket.clone();
        ticket.version += round;
        ticket.priority = Priority::ALL[(ticket.priority.rank() as usize + round as usize) % 4];
        ticket.updated_at = at;
        changes.push(Change::Ticket(ticket));
    }
    opsdeck::fixtures::synced(at, "bench-epoch", false, changes)
}

fn ingest(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    for n in sizes() {
        let incidents = opsdeck::fixtures::many_incidents(n, now);
        let tickets = opsdeck::fixtures::many_tickets(n / 10, now);
        let (open, resolved): (Vec<Incident>, Vec<Incident>) = incidents.iter().cloned().partition(Incident::is_open);
        let mut changed = spread(&open, 200);
        changed.extend(spread(&resolved, 400 - changed.len()));
        let open_tickets: Vec<Ticket> = tickets.iter().filter(|t| t.is_open()).cloned().collect();
        let changed_tickets = spread(&open_tickets, 100);
        let open_count = open.len();
        drop((open, resolved, open_tickets));

        let mut snapshot = opsdeck::fixtures::seeded_snapshot(1, now);
        snapshot.total = incidents.len();
        snapshot.incidents = incidents;
        snapshot.tickets = tickets;
        let built = std::time::Instant::now();
        let mut state = AppState::new(opsdeck::fixtures::session(false), &Config::default(), snapshot, false, now);
        state.update(Event::Resize { width: 200, height: 60 }, now);
        // The first sync says which server this is; from then on pages are plain.
        state.update(opsdeck::fixtures::synced(now, "bench-epoch", false, Vec::new()), now);
        eprintln!(
            "{n} incidents ({open_count} open), {} tickets, {} SLA clocks: state built in {:.1} s",
            state.tickets.len(),
            state.sla.rows().len(),
            built.elapsed().as_secs_f64()
        );
        let size = changed.len() + changed_tickets.len();
        let mut round = 0;
        c.bench_function(&format!("one {size}-change sync page, cache of {n} incidents"), |b| {
            b.iter_batched(
                || {
                    round += 1;
                    (page(&changed, &changed_tickets, round, now), now + chrono::Duration::seconds(round))
                },
                |(event, at)| state.update(event, at),
                BatchSize::LargeInput,
            )
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(std::time::Duration::from_secs(1));
    targets = ingest
}
criterion_main!(benches);
