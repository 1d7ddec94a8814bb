//! What the SLA clocks cost: `cargo bench --bench sla`.
//!
//! - the SLA tab's frame at 200×60 with 1,000 open tickets and 2,000 open incidents (drawn once
//!   a second while the tab is on screen: the summary evaluates every clock, the table the
//!   rows on screen);
//! - the Tickets tab's frame with the same queue;
//! - the per-second tick (does any clock enter the critical band? the bell check);
//! - rebuilding the clock list after data changed (sync, an action);
//! - single calendar computations on the business-hours calendar.

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use opsdeck::config::Config;
use opsdeck::console::event::Event;
use opsdeck::console::state::AppState;
use opsdeck::console::tabs::sla::SlaTab;
use opsdeck::sla::SlaPolicy;

const TICKETS: usize = 1_000;
/// 2 % of the 100,000 incidents of the render benchmark are open.
const INCIDENTS: usize = 100_000;

fn sla(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let tickets = opsdeck::fixtures::many_tickets(TICKETS, now);
    let incidents = opsdeck::fixtures::many_incidents(INCIDENTS, now);
    let mut snapshot = opsdeck::fixtures::seeded_snapshot(1, now);
    snapshot.tickets = tickets.clone();
    snapshot.incidents = incidents.clone();
    snapshot.total = INCIDENTS;
    let mut state = AppState::new(opsdeck::fixtures::session(false), &Config::default(), snapshot, false, now);
    state.update(Event::Resize { width: 200, height: 60 }, now);
    let clocks = state.sla.rows().len();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");

    state.tab = opsdeck::console::tabs::TabId::Sla;
    c.bench_function(&format!("SLA frame 200x60, {clocks} running clocks"), |b| {
        b.iter(|| {
            terminal.draw(|frame| opsdeck::console::view::draw(frame, &state, now)).expect("draw");
        })
    });
    state.tab = opsdeck::console::tabs::TabId::Tickets;
    c.bench_function(&format!("tickets frame 200x60, {TICKETS} open tickets"), |b| {
        b.iter(|| {
            terminal.draw(|frame| opsdeck::console::view::draw(frame, &state, now)).expect("draw");
        })
    });
    let mut second = 0;
    c.bench_function(&format!("tick with bell check, {clocks} running clocks"), |b| {
        b.iter(|| {
            second += 1;
            state.update(Event::Tick, now + chrono::Duration::seconds(second))
        })
    });

    let policy = SlaPolicy::default_policy();
    let open: Vec<_> = incidents.into_iter().filter(|i| i.is_open()).collect();
    c.bench_function(&format!("rebuild clocks: {TICKETS} tickets + {} open incidents", open.len()), |b| {
        b.iter(|| {
            let mut tab = SlaTab::default();
            tab.rebuild(open.iter(), tickets.iter(), &policy, &state.calendar, now);
            tab
        })
    });

    let business = policy.calendar("business").expect("default policy has `business`");
    c.bench_function("business calendar: due time of a 72h target", |b| {
        b.iter(|| business.add_open_time(now, chrono::Duration::hours(72)))
    });
    c.bench_function("business calendar: open time over two weeks", |b| {
        b.iter(|| business.open_between(now - chrono::Duration::days(14), now))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = sla
}
criterion_main!(benches);
