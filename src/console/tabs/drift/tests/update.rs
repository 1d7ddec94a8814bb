//! Pure update tests for the Drift tab: keys, sync, reset.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::api::Change;
use crate::console::state::tests::*;
use crate::console::tabs::drift::DriftView;
use crate::domain::{DriftWindow, Feature, Model, ModelVersion, Sample, Statistic};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

fn model() -> Model {
    Model {
        id: "support-assistant".into(),
        name: "Support assistant".into(),
        service_id: "support-assistant".into(),
        versions: vec![ModelVersion {
            version: "2.3.0".into(),
            deployed_at: now() - TimeDelta::hours(5),
            note: "".into(),
        }],
        features: vec![
            Feature {
                name: "query_length".into(),
                description: String::new(),
                reference: Sample::Numeric((0..200).map(|v| f64::from(v % 50)).collect()),
            },
            Feature {
                name: "language".into(),
                description: String::new(),
                reference: Sample::Categorical(["en", "de", "en", "fr"].iter().map(|s| s.to_string()).collect()),
            },
        ],
        window_secs: 3600,
        source: None,
    }
}

fn window(hours_ago: i64) -> DriftWindow {
    let start = now() - TimeDelta::hours(hours_ago);
    DriftWindow {
        model_id: "support-assistant".into(),
        feature: "query_length".into(),
        start,
        end: start + TimeDelta::hours(1),
        current: Sample::Numeric((0..100).map(|v| f64::from(v % 50) + (10 - hours_ago) as f64).collect()),
    }
}

fn report(changes: Vec<Change>, reset: bool) -> Event {
    crate::fixtures::synced(now(), "e1", reset, changes)
}

fn state() -> AppState {
    let mut state =
        AppState::new(crate::fixtures::session(false), &Config::default(), CacheSnapshot::default(), true, now());
    state.update(Event::Resize { width: 80, height: 24 }, now());
    let mut changes = vec![Change::Model(model())];
    changes.extend((1..=10).map(|h| Change::DriftWindow(window(h))));
    run(&mut state, report(changes, false));
    state
}

/// Runs an event and the drift computations it asks for, as the effect runner would.
fn run(state: &mut AppState, event: Event) -> Update {
    let mut update = state.update(event, now());
    while let Some(i) = update.effects.iter().position(|e| matches!(e, Effect::ComputeDrift(_))) {
        let Effect::ComputeDrift(job) = update.effects.remove(i) else { unreachable!() };
        let next = state.update(Event::DriftComputed(Box::new(job.run())), now());
        update.changed |= next.changed;
        update.effects.extend(next.effects);
    }
    update
}

fn press(state: &mut AppState, code: KeyCode) -> Update {
    run(state, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[test]
fn four_opens_the_drift_tab_with_its_own_key_layer() {
    let mut state = state();
    assert!(press(&mut state, KeyCode::Char('4')).changed);
    assert_eq!(state.tab, TabId::Drift);
    assert_eq!(state.layers(), vec![Mode::Drift, Mode::Global]);
    // Incident keys mean nothing here: no outbox entry, no confirmation.
    for c in ['a', 'r', 'e', 'n', 't'] {
        press(&mut state, KeyCode::Char(c));
    }
    assert!(state.modals.confirm().is_none() && state.modals.input().is_none());
    assert_eq!(state.outbox.len(), 0);
}

#[test]
fn synced_windows_fill_the_series_and_keys_navigate_it() {
    let mut state = state();
    press(&mut state, KeyCode::Char('4'));
    let drift = &state.drift;
    assert_eq!(drift.model().unwrap().id, "support-assistant");
    assert_eq!(drift.series().len(), 10);
    assert!(drift.following());

    assert!(press(&mut state, KeyCode::Left).changed);
    assert!(!state.drift.following());
    assert_eq!(state.drift.selected().unwrap().start, now() - TimeDelta::hours(2));
    press(&mut state, KeyCode::End);
    assert!(state.drift.following());

    press(&mut state, KeyCode::Char('s'));
    assert_eq!(state.drift.statistic, Statistic::PValue);
    press(&mut state, KeyCode::Char('-'));
    assert_eq!(state.drift.span(), TimeDelta::hours(72));
    press(&mut state, KeyCode::Char('+'));
    press(&mut state, KeyCode::Char('+'));
    assert_eq!(state.drift.span(), TimeDelta::hours(24));
    press(&mut state, KeyCode::Char('v'));
    assert_eq!(state.drift.view, DriftView::Distribution);

    press(&mut state, KeyCode::Char('f'));
    assert_eq!(state.drift.feature().unwrap().name, "language");
    assert!(state.drift.series().is_empty());
    press(&mut state, KeyCode::Char('F'));
    assert_eq!(state.drift.feature().unwrap().name, "query_length");
}

#[test]
fn a_refilled_open_window_updates_the_newest_point() {
    let mut state = state();
    let before = state.drift.series().last().unwrap().clone();
    let mut grown = window(1);
    if let Sample::Numeric(v) = &mut grown.current {
        v.extend([200.0; 50]);
    }
    let update = state.update(report(vec![Change::DriftWindow(grown)], false), now());
    assert!(update.changed);
    assert_eq!(state.drift.series().last().unwrap().stats, None, "computing");
    let [Effect::ComputeDrift(job)] = &update.effects[..] else { panic!("{:?}", update.effects) };
    assert_eq!(job.windows.len(), 1, "just the refilled window");
    assert!(state.update(Event::DriftComputed(Box::new((**job).clone().run())), now()).changed);
    let after = state.drift.series().last().unwrap();
    assert_eq!(after.n, 150);
    let psi = |p: &crate::console::tabs::drift::SeriesPoint| p.stats.clone().unwrap().unwrap().psi;
    assert!(psi(after) > psi(&before));
}

#[test]
fn a_replaced_server_database_empties_the_tab() {
    let mut state = state();
    state.update(report(vec![], true), now());
    assert!(state.drift.model().is_none());
    assert!(state.drift.series().is_empty());
}
