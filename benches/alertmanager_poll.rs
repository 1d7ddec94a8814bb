//! One poll of the Alertmanager source with 1,000 active alerts, end to end into the store: a real
//! Alertmanager 0.25 on loopback (`tests/support/alertmanager.rs`), the source's client and
//! mapping, and a SQLite store in a file. `cargo bench --bench alertmanager_poll`
//! (`OPSDECK_AM_ALERTS=5000` changes the count, `OPSDECK_AM_ROUNDS` the rounds; 3 by default).
//!
//! Each round is a new store: the first poll opens every incident; the idle re-polls after it
//! write nothing, and their median is reported. The floor beside it is fetching the same
//! `GET /api/v2/alerts` with curl (its `time_total`, median of as many runs), when curl is there.

#[path = "../tests/support/alertmanager.rs"]
mod alertmanager;

use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck::db::DbLocation;
use opsdeck::server::store::Store;
use opsdeck::server::store::sqlite::SqliteStore;
use opsdeck::sources::alertmanager::{self as am_source, client::Client, map::Poller, poll_once};

const IDLE_POLLS: usize = 5;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// curl's own timing of `GET url`, or none when curl is missing.
fn curl(url: &str) -> Option<Duration> {
    let out =
        std::process::Command::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{time_total}", url]).output().ok()?;
    let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some(Duration::from_secs_f64(secs))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count = env("OPSDECK_AM_ALERTS", 1000);
    let rounds = env("OPSDECK_AM_ROUNDS", 3).max(1);
    let am = alertmanager::Alertmanager::start().await;
    let services = ["llm-gateway", "rag-retrieval", "safety-filter", "embedding-service", "vector-db"];
    let severities = ["critical", "error", "warning", "info"];
    let batch: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let instance = format!("node-{i:05}");
            alertmanager::alert(
                "LatencyHigh",
                services[i % services.len()],
                severities[i % severities.len()],
                &format!("p95 latency high on {instance}"),
                &[("instance", &instance)],
            )
        })
        .collect();
    am.post_alerts(&serde_json::Value::Array(batch)).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while am.alerts().await.len() < count {
        assert!(Instant::now() < deadline, "Alertmanager did not take the {count} alerts");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let config: am_source::Config = toml::from_str(&format!("url = \"{}\"", am.url())).unwrap();
    let settings = Arc::new(am_source::settings("bench-am", &config).unwrap().0);
    let client = Client::new(&am.url(), None).unwrap();
    println!("alertmanager poll: {count} active alerts, {rounds} rounds, {IDLE_POLLS} idle re-polls each");
    for round in 1..=rounds {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&DbLocation::File(dir.path().join("server.sqlite"))).await.unwrap());
        opsdeck::server::catalog::ensure(store.as_ref()).await.unwrap();
        let mut poller = Poller::new(settings.clone(), store.clone()).await.unwrap();
        let started = Instant::now();
        poll_once(&client, &mut poller, chrono::Utc::now()).await.unwrap();
        let first = started.elapsed();
        let open = store.incidents(true, 100_000).await.unwrap().len();
        assert_eq!(open, count, "every alert is an incident");
        let mut seq = 0;
        loop {
            let page = store.changes(seq, 1000).await.unwrap();
            seq = page.last_seq;
            if !page.has_more {
                break;
            }
        }
        let mut idle = Vec::new();
        for _ in 0..IDLE_POLLS {
            let started = Instant::now();
            poll_once(&client, &mut poller, chrono::Utc::now()).await.unwrap();
            idle.push(started.elapsed());
        }
        let wrote = store.changes(seq, 10).await.unwrap().changes;
        assert!(wrote.is_empty(), "idle polls wrote nothing: {:?}", wrote.first());
        let floor: Vec<Duration> =
            (0..IDLE_POLLS).filter_map(|_| curl(&format!("{}/api/v2/alerts", am.url()))).collect();
        let floor = if floor.is_empty() { "curl missing".to_string() } else { ms(median(floor)) };
        println!(
            "round {round}: first poll {} · idle re-poll {} (median) · floor: curl GET /api/v2/alerts {floor}",
            ms(first),
            ms(median(idle)),
        );
    }
}
