//! Writes through the Ops API by store: notes added over real HTTP by concurrent clients, to one
//! server on a SQLite file, one on PostgreSQL, and two replicas on one PostgreSQL database (the
//! clients split between them) — and how the rate holds as an incident's timeline grows from 0 to
//! 1,000 events: a note appends one event row, whatever the timeline's length. Each store is
//! measured with the answer a client asks for: the incident whole (as the console's outbox reads
//! it) or `Prefer: return=minimal` (the new event and the incident's head).
//!
//! `cargo bench --bench store_writes` — PostgreSQL from `OPSDECK_TEST_POSTGRES`
//! (`postgres://user@127.0.0.1:PORT`, a user that may create databases); without it, SQLite only.
//! `NOTES=N` notes a run (default 2,000), `CLIENTS=N` concurrent clients (default 8). Each run
//! is a process of its own (the bench runs itself with `STORE_WRITES_RUN`).

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

async fn note(http: &reqwest::Client, url: &str, id: &str, version: i64, text: &str, minimal: bool) -> Duration {
    let started = Instant::now();
    let body = serde_json::json!({ "version": version, "text": text });
    let mut request = http.post(format!("{url}/v1/incidents/{id}/notes")).bearer_auth(TOKEN).json(&body);
    if minimal {
        request = request.header("Prefer", "return=minimal");
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    // Read to the end, as a client does.
    response.bytes().await.unwrap();
    started.elapsed()
}

struct Run {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

/// `clients` incidents, client `c`'s through `urls[c % urls.len()]`, each with a timeline
/// `prefill` notes long (written concurrently, answered minimally).
async fn incidents(urls: &[String], clients: usize, prefill: usize) -> Vec<(String, String, i64)> {
    let http = reqwest::Client::new();
    let tasks = (0..clients).map(|c| {
        let (http, url) = (http.clone(), urls[c % urls.len()].clone());
        tokio::spawn(async move {
            let (id, version) = create(&http, &url, &format!("bench incident {c}")).await;
            for n in 0..prefill {
                note(&http, &url, &id, version, &format!("prefilled note {n} of a long incident"), true).await;
            }
            (url, id, version)
        })
    });
    let mut targets = Vec::new();
    for task in tasks {
        targets.push(task.await.unwrap());
    }
    targets
}

/// `notes` notes from one client per target, concurrently, each to its own incident.
async fn run(targets: Vec<(String, String, i64)>, notes: usize, minimal: bool) -> Run {
    let http = reqwest::Client::new();
    let clients = targets.len();
    let per_client = notes / clients;
    let started = Instant::now();
    let tasks = targets.into_iter().map(|(url, id, version)| {
        let http = http.clone();
        tokio::spawn(async move {
            let mut times = Vec::with_capacity(per_client);
            for n in 0..per_client {
                let text = format!("step {n}: failover to the standby");
                times.push(note(&http, &url, &id, version, &text, minimal).await);
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

fn print(store: &str, replicas: usize, prefill: usize, answer: &str, run: &Run) {
    println!(
        "{store:<10} {replicas:>8} {prefill:>15} {answer:>8} {:>9.0} {:>9.1} {:>9.1}",
        run.rate,
        run.p50.as_secs_f64() * 1e3,
        run.p99.as_secs_f64() * 1e3
    );
}

/// Fresh servers for one run: one on a new SQLite file, or `replicas` on a new PostgreSQL
/// database.
async fn servers(pg: Option<&str>, replicas: usize, dir: &std::path::Path) -> Vec<RunningServer> {
    let Some(pg) = pg else {
        return vec![start(DbLocation::File(dir.join("server.sqlite")).into()).await];
    };
    let db = StoreLocation::Postgres(postgres::fresh_database(pg).await);
    let mut started = Vec::new();
    for _ in 0..replicas {
        started.push(start(db.clone()).await);
    }
    started
}

/// One run, in this process: `STORE_WRITES_RUN=store,replicas,prefill,answer`.
async fn one(spec: &str, clients: usize, notes: usize) {
    let fields: Vec<&str> = spec.split(',').collect();
    let [store, replicas, prefill, answer] = fields[..] else { panic!("STORE_WRITES_RUN: {spec}") };
    let (replicas, prefill): (usize, usize) = (replicas.parse().unwrap(), prefill.parse().unwrap());
    let pg = (store == "postgres").then(|| postgres::server().expect("OPSDECK_TEST_POSTGRES"));
    let dir = tempfile::tempdir().unwrap();
    let running = servers(pg.as_deref(), replicas, dir.path()).await;
    let urls: Vec<String> = running.iter().map(|s| s.url()).collect();
    let targets = incidents(&urls, clients, prefill).await;
    let run = run(targets, notes, answer == "minimal").await;
    print(store, replicas, prefill, answer, &run);
    println!("rate {}", run.rate);
    for server in running {
        server.shutdown().await.unwrap();
    }
}

/// Both answers at each timeline length, each run in a process of its own on fresh servers (no
/// run pays for the rows or the heap the last one left), then how much of its rate each answer
/// keeps at 1,000 events.
fn measure(store: &str, replicas: usize, rates: &mut Vec<String>) {
    let mut at = std::collections::HashMap::new();
    for prefill in PREFILLS {
        for answer in ["whole", "minimal"] {
            let output = std::process::Command::new(std::env::current_exe().unwrap())
                .env("STORE_WRITES_RUN", format!("{store},{replicas},{prefill},{answer}"))
                .output()
                .expect("the bench runs itself");
            let text = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
            for line in text.lines() {
                match line.strip_prefix("rate ") {
                    Some(rate) => drop(at.insert((prefill, answer), rate.parse::<f64>().unwrap())),
                    None => println!("{line}"),
                }
            }
        }
    }
    for answer in ["whole", "minimal"] {
        let kept = at[&(PREFILLS[1], answer)] / at[&(PREFILLS[0], answer)];
        rates.push(format!("{store} x{replicas}, {answer} answers: {:.0} % of the rate at 0 events", kept * 100.0));
    }
}

const PREFILLS: [usize; 2] = [0, 1_000];

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let notes = var("NOTES", 2_000);
    let clients = var("CLIENTS", 8).max(1);
    if let Ok(spec) = std::env::var("STORE_WRITES_RUN") {
        return one(&spec, clients, notes).await;
    }
    println!("{notes} notes from {clients} concurrent clients over HTTP on 127.0.0.1, each to its own incident");
    println!(
        "{:<10} {:>8} {:>15} {:>8} {:>9} {:>9} {:>9}",
        "store", "replicas", "timeline before", "answer", "notes/s", "p50 ms", "p99 ms"
    );
    let mut kept = Vec::new();
    measure("sqlite", 1, &mut kept);
    if postgres::server().is_some() {
        measure("postgres", 1, &mut kept);
        measure("postgres", 2, &mut kept);
    } else {
        println!("(OPSDECK_TEST_POSTGRES is not set: PostgreSQL not measured)");
    }
    println!("note rate at {} events before, against 0:", PREFILLS[1]);
    for line in kept {
        println!("  {line}");
    }
}
