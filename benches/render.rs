//! Full-frame render time at 200×60 with 100,000 incidents loaded, and the merge of a
//! 100,000-incident cache after the first frame (one slice, and all of them):
//! `cargo bench --bench render`.
//!
//! Draws the real views from the real state into ratatui's `TestBackend`, which includes
//! ratatui's buffer diff, as every frame on a terminal does. The list view only ever touches the
//! rows on screen, so the figure should not depend on how many incidents are loaded.

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use opsdeck::config::Config;
use opsdeck::console::event::Event;
use opsdeck::console::state::AppState;

fn state(n: usize) -> AppState {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let mut snapshot = opsdeck::fixtures::seeded_snapshot(1, now);
    snapshot.incidents = opsdeck::fixtures::many_incidents(n, now);
    snapshot.total = n;
    let session = opsdeck::fixtures::session(false);
    let mut state = AppState::new(session, &Config::default(), snapshot, false, now);
    state.update(Event::Resize { width: 200, height: 60 }, now);
    state
}

fn render(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let list = state(100_000);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");

    c.bench_function("list frame 200x60, 100k incidents", |b| {
        b.iter(|| {
            terminal.draw(|frame| opsdeck::console::view::draw(frame, &list, now)).expect("draw");
        })
    });

    // A frame after the whole screen changed (every cell differs from the previous frame).
    let mut other = state(100_000);
    other.update(Event::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::PageDown)), now);
    let mut flip = false;
    c.bench_function("list frame 200x60, 100k incidents, page changes", |b| {
        b.iter(|| {
            flip = !flip;
            let shown = if flip { &other } else { &list };
            terminal.draw(|frame| opsdeck::console::view::draw(frame, shown, now)).expect("draw");
        })
    });

    let mut detail = state(100_000);
    detail.update(Event::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Enter)), now);
    c.bench_function("detail frame 200x60", |b| {
        b.iter(|| {
            terminal.draw(|frame| opsdeck::console::view::draw(frame, &detail, now)).expect("draw");
        })
    });
}

/// After the first frame (first 300 rows), the rest of a 100k cache is merged a slice per turn
/// of the loop: one slice is how long the UI is held at a time (a key waits at most that), every
/// slice together is how long the whole merge takes.
fn merge(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let all = opsdeck::fixtures::many_incidents(100_000, now);
    let mut sorted = all.clone();
    sorted.sort_by_key(|i| {
        let (rank, at) = i.list_order();
        (rank, std::cmp::Reverse(at), i.id.clone())
    });
    let first_frame = || {
        let mut snapshot = opsdeck::fixtures::seeded_snapshot(1, now);
        snapshot.incidents = sorted[..300].to_vec();
        snapshot.total = sorted.len();
        AppState::new(opsdeck::fixtures::session(false), &Config::default(), snapshot, false, now)
    };
    let continues = |update: &opsdeck::console::state::Update| {
        update.effects.iter().any(|e| matches!(e, opsdeck::console::effect::Effect::ContinueMerge))
    };
    c.bench_function("merge 100k cached incidents after the first frame: the longest slice", |b| {
        b.iter_batched(
            || {
                // Half merged: the slices get no cheaper than this one as the list grows.
                let mut state = first_frame();
                let mut update = state.update(Event::CacheLoaded(all.clone()), now);
                while continues(&update) && state.incidents.loaded() < all.len() / 2 {
                    update = state.update(Event::CacheMergeStep, now);
                }
                state
            },
            |mut state| {
                state.update(Event::CacheMergeStep, now);
                state
            },
            criterion::BatchSize::LargeInput,
        )
    });
    c.bench_function("merge 100k cached incidents after the first frame: every slice", |b| {
        b.iter_batched(
            || (first_frame(), all.clone()),
            |(mut state, incidents)| {
                let mut update = state.update(Event::CacheLoaded(incidents), now);
                while continues(&update) {
                    update = state.update(Event::CacheMergeStep, now);
                }
                state
            },
            criterion::BatchSize::LargeInput,
        )
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = render
}
criterion_group! {
    name = slow;
    config = Criterion::default().sample_size(10);
    targets = merge
}
criterion_main!(benches, slow);
