//! Model monitoring from the server to the Drift tab: the real server on 127.0.0.1:0, the console's
//! real HTTP client and sync task, a SQLite cache in a temporary directory, and the pure state.

#[path = "support/ops.rs"]
mod ops;

use chrono::Utc;
use serde_json::json;

use ops::{ERIN, poller, start, start_simulating, sync_round};
use opsdeck::api::Change;
use opsdeck::cache::Cache;
use opsdeck::config::Config;
use opsdeck::console::effect::Effect;
use opsdeck::console::event::Event;
use opsdeck::console::state::AppState;
use opsdeck::db::DbLocation;
use opsdeck::domain::{FeatureKind, Sample};

/// Runs the drift computations `effects` ask for, as the console's effect runner does.
fn run_drift_jobs(state: &mut AppState, effects: Vec<Effect>) {
    for effect in effects {
        if let Effect::ComputeDrift(job) = effect {
            let update = state.update(Event::DriftComputed(Box::new(job.run())), Utc::now());
            run_drift_jobs(state, update.effects);
        }
    }
}

async fn file_cache(dir: &tempfile::TempDir) -> Cache {
    Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap()
}

#[tokio::test]
async fn the_simulated_models_sync_into_the_cache_and_the_drift_tab_reads_them_after_a_restart() {
    let server = start_simulating(DbLocation::Memory, 7).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
    let (sync, mut rx) = poller(&server, &cache);
    let pages = sync_round(&mut rx).await;
    sync.stop();
    let synced_windows = pages.iter().flat_map(|p| &p.changes).filter(|c| matches!(c, Change::DriftWindow(_))).count();
    assert!(synced_windows >= 2 * 72, "{synced_windows} windows synced");
    drop(cache);

    // A new console process: everything comes from the cache file.
    let cache = file_cache(&dir).await;
    let rows = cache.monitoring().await.unwrap();
    let ids: Vec<&str> = rows.models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["support-assistant", "doc-summariser"], "the backend's order");
    let features: usize = rows.models.iter().map(|m| m.features.len()).sum();
    assert_eq!(rows.windows.len(), synced_windows, "one row per window, however often it was sent");
    assert!(rows.windows.len() >= features * 72, "{} windows for {features} features", rows.windows.len());
    assert!(rows.quality.len() >= 2 * 72);

    let snapshot = cache.snapshot(300).await.unwrap();
    assert!(snapshot.monitoring.models.is_empty(), "the first frame does not wait for drift data");
    let mut state = AppState::new(opsdeck::fixtures::session(false), &Config::default(), snapshot, true, Utc::now());
    let update = state.update(Event::MonitoringLoaded(Box::new(rows)), Utc::now());
    assert!(update.changed);
    run_drift_jobs(&mut state, update.effects);
    let drift = &state.drift;
    assert_eq!(drift.model().unwrap().id, "support-assistant");
    assert_eq!(drift.kind(), FeatureKind::Numeric);
    assert!(drift.series().len() >= 72);
    assert!(
        drift.series().iter().all(|p| p.stats.as_ref().is_some_and(|s| s.is_ok())),
        "every window compares with its reference"
    );
    assert!(drift.markers().iter().any(|m| m.label == "v2.3.0"), "the deploy is on the axis");
    assert!(drift.distribution().is_ok());
    assert!(drift.quality().len() >= 72);
}

#[tokio::test]
async fn an_ingested_window_sent_again_as_it_fills_replaces_itself_in_cache_and_tab() {
    let server = start(DbLocation::Memory).await;
    let http = reqwest::Client::new();
    let put = |path: &str, body: serde_json::Value| {
        http.put(format!("{}{path}", server.url())).bearer_auth(ERIN).json(&body).send()
    };
    let model = json!({
        "id": "ranker", "name": "Search ranker", "service_id": "rag-retrieval",
        "versions": [{"version": "1.0.0", "deployed_at": "2026-10-01T09:00:00Z", "note": "first"}],
        "features": [{"name": "score", "description": "Top score",
                      "reference": {"kind": "numeric", "values": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]}}],
        "window_secs": 3600
    });
    // The last hour: the cache keeps 14 days of windows.
    let start = opsdeck::sources::simulator::drift::hour_start(Utc::now());
    let end = start + chrono::TimeDelta::hours(1);
    let window = |values: Vec<f64>| {
        json!({"model_id": "ranker", "feature": "score", "start": start, "end": end,
               "current": {"kind": "numeric", "values": values}})
    };
    assert_eq!(put("/v1/models/ranker", model).await.unwrap().status(), 200);
    assert_eq!(put("/v1/models/ranker/windows", window(vec![0.1, 0.5])).await.unwrap().status(), 200);

    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
    let snapshot = cache.snapshot(300).await.unwrap();
    let mut state = AppState::new(opsdeck::fixtures::session(false), &Config::default(), snapshot, true, Utc::now());
    let (sync, mut rx) = poller(&server, &cache);
    for report in sync_round(&mut rx).await {
        let update = state.update(Event::Synced(Box::new(report)), Utc::now());
        run_drift_jobs(&mut state, update.effects);
    }
    assert_eq!(state.drift.series().len(), 1);
    assert_eq!(state.drift.series()[0].n, 2);

    let grown: Vec<f64> = vec![0.1, 0.5, 0.9, 0.95, 0.99, 0.97];
    assert_eq!(put("/v1/models/ranker/windows", window(grown.clone())).await.unwrap().status(), 200);
    sync.poke();
    for report in sync_round(&mut rx).await {
        let update = state.update(Event::Synced(Box::new(report)), Utc::now());
        run_drift_jobs(&mut state, update.effects);
    }
    sync.stop();
    assert!(state.drift.series()[0].stats.as_ref().is_some_and(|s| s.is_ok()));
    assert_eq!(state.drift.series().len(), 1, "the same window, not a second one");
    assert_eq!(state.drift.series()[0].n, 6);
    let rows = cache.monitoring().await.unwrap();
    assert_eq!(rows.windows.len(), 1);
    assert_eq!(rows.windows[0].current, Sample::Numeric(grown));
}
