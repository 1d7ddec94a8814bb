//! Writes through the Ops API by store: notes added over real HTTP by concurrent clients, to one
//! server on a SQLite file, one on PostgreSQL, and two replicas on one PostgreSQL database (the
//! clients split between them) — and how the rate holds as an incident's timeline grows, since a
//! note still rewrites the whole incident document (issue 18's compact writes are to fix that).
//!
//! `cargo bench --bench store_writes` — PostgreSQL from `OPSDECK_TEST_POSTGRES`
//! (`postgres://user@127.0.0.1:PORT`, a user that may create databases); without it, SQLite only.
//! `NOTES=N` notes a run (default 2,000), `CLIENTS=N` concurrent clients (default 8).

#[path = "../tests/support/postgres.rs"]
mod postgres;

use std::time::{Duration, Instant};

use opsdeck::api::Role;
use opsdeck::db::DbLocation;
use opsdeck::server::store::StoreLocation;
use opsdeck::server::{self, RunningServer, ServeOptions, auth::Users};

const TOKEN: &str = "store-bench-token-0123";

fn var(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace(['_', ','], "").parse().ok()).unwrap_or(default)
}

async fn start(db: StoreLocation) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut users = Users::default();
    users.add("bench", Role::Commander, TOKEN);
    server::start(listener, ServeOptions { db, users, sources: Vec::new() }).await.unwrap()
}

/// A new incident through `url`; its id and version.
async fn create(http: &reqwest::Client, url: &str, title: &str) -> (String, i64) {
    let body = serde_json::json!({ "title": title, "service_id": "llm-gateway", "priority": "P3" });
    let response = http.post(format!("{url}/v1/incidents")).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let incident: serde_json::Value = response.json().await.unwrap();
    (incident["id"].as_str().unwrap().to_string(), incident["version"].as_i64().unwrap())
}

async fn note(http: &reqwest::Client, url: &str, id: &str, version: i64, text: &str) -> Duration {
    let started = Instant::now();
    let body = serde_json::json!({ "version": version, "text": text });
    let response =
        http.post(format!("{url}/v1/incidents/{id}/notes")).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    started.elapsed()
}

struct Run {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

/// `notes` notes from `clients` concurrent clients, client `c` writing to its own incident through
/// `urls[c % urls.len()]`; each incident's timeline starts `prefill` notes long.
async fn run(urls: &[String], clients: usize, notes: usize, prefill: usize) -> Run {
    let http = reqwest::Client::new();
    let mut targets = Vec::new();
    for c in 0..clients {
        let url = urls[c % urls.len()].clone();
        let (id, version) = create(&http, &url, &format!("bench incident {c}")).await;
        for n in 0..prefill {
            note(&http, &url, &id, version, &format!("prefilled note {n} of a long incident")).await;
        }
        targets.push((url, id, version));
    }
    let per_client = notes / clients;
    let started = Instant::now();
    let tasks = targets.into_iter().map(|(url, id, version)| {
        let http = http.clone();
        tokio::spawn(async move {
            let mut times = Vec::with_capacity(per_client);
            for n in 0..per_client {
                times.push(note(&http, &url, &id, version, &format!("step {n}: failover to the standby")).await);
            }
            times
        })
    });
    let mut times: Vec<Duration> = Vec::new();
    for task in tasks {
        times.extend(task.await.unwrap());
    }
    let wall = started.elapsed();
    times.sort();
    Run {
        rate: times.len() as f64 / wall.as_secs_f64(),
        p50: times[times.len() / 2],
        p99: times[(times.len() * 99 / 100).min(times.len() - 1)],
    }
}

fn print(store: &str, replicas: usize, prefill: usize, run: &Run) {
    println!(
        "{store:<10} {replicas:>8} {prefill:>15} {:>9.0} {:>9.1} {:>9.1}",
        run.rate,
        run.p50.as_secs_f64() * 1e3,
        run.p99.as_secs_f64() * 1e3
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let notes = var("NOTES", 2_000);
    let clients = var("CLIENTS", 8).max(1);
    println!("{notes} notes from {clients} concurrent clients over HTTP on 127.0.0.1, each to its own incident");
    println!(
        "{:<10} {:>8} {:>15} {:>9} {:>9} {:>9}",
        "store", "replicas", "timeline before", "notes/s", "p50 ms", "p99 ms"
    );
    for prefill in [0, 400] {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = start(DbLocation::File(dir.path().join("server.sqlite")).into()).await;
        print("sqlite", 1, prefill, &run(&[sqlite.url()], clients, notes, prefill).await);
        sqlite.shutdown().await.unwrap();
        let Some(pg) = postgres::server() else {
            println!("(OPSDECK_TEST_POSTGRES is not set: PostgreSQL not measured)");
            continue;
        };
        let db = StoreLocation::Postgres(postgres::fresh_database(&pg).await);
        let one = start(db).await;
        print("postgres", 1, prefill, &run(&[one.url()], clients, notes, prefill).await);
        one.shutdown().await.unwrap();
        let db = StoreLocation::Postgres(postgres::fresh_database(&pg).await);
        let (a, b) = (start(db.clone()).await, start(db).await);
        print("postgres", 2, prefill, &run(&[a.url(), b.url()], clients, notes, prefill).await);
        a.shutdown().await.unwrap();
        b.shutdown().await.unwrap();
    }
}
