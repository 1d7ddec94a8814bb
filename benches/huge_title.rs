//! Opening an incident's detail, and one key in it, when a backend sent a 1 MB title and a 1 MB
//! note: `cargo bench --bench huge_title`.
//!
//! The incident comes in through the state's own ingest (as from the cache), then the real views
//! draw into ratatui's `TestBackend` at 200×60, buffer diff included. With the caps
//! (`domain::caps`) and a detail view that lays out only the lines that fit, both should cost
//! about what they cost for an ordinary incident.

use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use opsdeck::config::Config;
use opsdeck::console::event::Event;
use opsdeck::console::state::AppState;

fn state() -> AppState {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let mut snapshot = opsdeck::fixtures::seeded_snapshot(1, now);
    let mut incidents = opsdeck::fixtures::many_incidents(1, now);
    incidents[0].title = "x".repeat(1_000_000);
    incidents[0].timeline[0].text = "note ".repeat(200_000);
    snapshot.total = incidents.len();
    snapshot.incidents = incidents;
    let mut state = AppState::new(opsdeck::fixtures::session(false), &Config::default(), snapshot, false, now);
    state.update(Event::Resize { width: 200, height: 60 }, now);
    state
}

fn huge_title(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let list = state();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    terminal.draw(|frame| opsdeck::console::view::draw(frame, &list, now)).expect("draw");

    c.bench_function("open the detail of an incident with a 1 MB title (update + frame)", |b| {
        b.iter_batched(
            state,
            |mut state| {
                state.update(Event::Key(KeyEvent::from(KeyCode::Enter)), now);
                terminal.draw(|frame| opsdeck::console::view::draw(frame, &state, now)).expect("draw");
                state
            },
            BatchSize::LargeInput,
        )
    });

    let mut detail = state();
    detail.update(Event::Key(KeyEvent::from(KeyCode::Enter)), now);
    c.bench_function("one key in that detail (update + frame)", |b| {
        b.iter(|| {
            detail.update(Event::Key(KeyEvent::from(KeyCode::Down)), now);
            terminal.draw(|frame| opsdeck::console::view::draw(frame, &detail, now)).expect("draw");
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = huge_title
}
criterion_main!(benches);
