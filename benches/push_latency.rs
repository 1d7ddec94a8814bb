//! Backend change → console, pushed and polled: an incident opened through the API of the real
//! server on 127.0.0.1:0, timed until the console's real sync task (HTTP backend, a fresh cache
//! file, the default 2 s poll) has stored it and the console state has taken it in — with the
//! change stream (`GET /v1/stream`), and with the stream left out (polling alone, the floor it
//! improves on). One change at a time, each after the last has arrived, at a random moment of
//! the poll cycle.
//!
//! `cargo bench --bench push_latency` (`CHANGES=N`, default 100; on PostgreSQL too with
//! `OPSDECK_TEST_POSTGRES=postgres://user@127.0.0.1:PORT`).

#[path = "../tests/support/postgres.rs"]
mod postgres;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;

use opsdeck::api::Role;
use opsdeck::backend::Backend;
use opsdeck::backend::http::HttpBackend;
use opsdeck::cache::Cache;
use opsdeck::config::Secret;
use opsdeck::console::event::Event;
use opsdeck::db::DbLocation;
use opsdeck::server::store::StoreLocation;
use opsdeck::server::{self, RunningServer, ServeOptions, auth::Users};

const TOKEN: &str = "push-bench-token-0123";

async fn start(db: StoreLocation) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut users = Users::default();
    users.add("bench", Role::Commander, TOKEN);
    server::start(listener, ServeOptions { db, users, sources: Vec::new() }).await.unwrap()
}

/// Milliseconds from each change (written through `writer`) to the console on `console` having
/// it, sorted.
async fn measure(console: &str, writer: &str, pushed: bool, changes: usize) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap();
    let http = HttpBackend::new(console, Some(Secret::new(TOKEN))).unwrap();
    let backend: Arc<dyn Backend> = Arc::new(if pushed { http } else { http.polling_only() });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sync =
        opsdeck::console::sync::spawn(backend, cache.clone(), tx, opsdeck::config::Config::default().poll_interval);
    let now = chrono::Utc::now();
    let mut state = opsdeck::console::state::AppState::new(
        opsdeck::fixtures::session(false),
        &opsdeck::config::Config::default(),
        opsdeck::cache::CacheSnapshot::default(),
        false,
        now,
    );
    let client = reqwest::Client::new();
    let mut times = Vec::with_capacity(changes);
    let mut settled = false;
    for n in 0..changes {
        // The first round (and the stream) up first; then each change at a random point of the
        // poll cycle.
        if settled {
            let pause = rand::rng().random_range(0..2000);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        let body =
            serde_json::json!({ "title": format!("latency probe {n}"), "service_id": "llm-gateway", "priority": "P3" });
        let started = Instant::now();
        let created =
            client.post(format!("{writer}/v1/incidents")).bearer_auth(TOKEN).json(&body).send().await.unwrap();
        assert_eq!(created.status(), 201);
        let id = created.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let event = tokio::time::timeout_at(deadline, rx.recv()).await.expect("the change arrives").unwrap();
            let has = matches!(&event, Event::Synced(report) if report.changes.iter().any(|c| matches!(c, opsdeck::api::Change::Incident(i) if i.id == id)));
            if matches!(event, Event::Synced(_)) {
                sync.taken();
            }
            state.update(event, chrono::Utc::now());
            if has {
                break;
            }
        }
        assert!(state.incidents.open_incidents().any(|i| i.id == id), "the state has it");
        if settled {
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        settled = true;
    }
    sync.stop();
    times.sort_by(f64::total_cmp);
    times
}

fn print(store: &str, how: &str, times: &[f64]) {
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!("{store:<9} {how:<22} {:>8.1} {:>8.1} {:>8.1}", at(0.5), at(0.95), at(1.0));
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let changes: usize = std::env::var("CHANGES").ok().and_then(|v| v.parse().ok()).unwrap_or(100).max(2);
    println!("{changes} changes, one at a time, change through the API → the console's cache and state (ms)");
    println!("{:<9} {:<22} {:>8} {:>8} {:>8}", "store", "console", "p50", "p95", "max");
    let dir = tempfile::tempdir().unwrap();
    let sqlite = start(DbLocation::File(dir.path().join("server.sqlite")).into()).await;
    let url = sqlite.url();
    print("sqlite", "stream (pushed)", &measure(&url, &url, true, changes).await);
    print("sqlite", "poll every 2 s (floor)", &measure(&url, &url, false, changes).await);
    sqlite.shutdown().await.unwrap();
    if let Some(pg) = postgres::server() {
        let db = StoreLocation::Postgres(postgres::fresh_database(&pg).await);
        let (a, b) = (start(db.clone()).await, start(db).await);
        // The change through one replica, the console on the other: announced by NOTIFY.
        print("postgres", "stream, other replica", &measure(&b.url(), &a.url(), true, changes).await);
        a.shutdown().await.unwrap();
        b.shutdown().await.unwrap();
    } else {
        println!("(OPSDECK_TEST_POSTGRES is not set: replicas on PostgreSQL not measured)");
    }
}
