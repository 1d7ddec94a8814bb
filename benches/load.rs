//! Many consoles on a team server: N simulated consoles against two `opsdeck serve` processes on
//! one PostgreSQL database (the consoles split between them), and against one on a SQLite file.
//! Each console does what the real one does on the wire: a cold sync (`/v1/changes?tails=true`
//! until nothing more waits), then `GET /v1/stream` held open, and on each announcement the
//! changes after its cursor; now and then it adds a note to one of the team's incidents. A probe
//! writes a note every 250 ms through the first replica; each console times how long each probe
//! takes to reach it. Printed for each N: change → console p50 / p99, each replica's CPU (% of
//! one core, from /proc), and the requests a second the consoles made.
//!
//! `cargo bench --bench load` — PostgreSQL from `OPSDECK_TEST_POSTGRES`
//! (`postgres://user@127.0.0.1:PORT`, a user that may create databases; without it, SQLite only).
//! `CONSOLES=50,200,500` (the Ns), `SECONDS=10` measured per N, `ACTION_SECONDS=60` (each
//! console's mean time between its notes). Loopback only; every wait has a deadline.

#[path = "../tests/support/postgres.rs"]
mod postgres;
#[path = "../tests/support/pty.rs"]
mod pty;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::{Mutex, Notify, watch};

const TOKEN: &str = pty::ERIN_TOKEN;
const PROBE_EVERY: Duration = Duration::from_millis(250);
const WORK_INCIDENTS: usize = 20;
const DEADLINE: Duration = Duration::from_secs(120);

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    /// Milliseconds from each probe written to each console having it.
    latencies: std::sync::Mutex<Vec<f64>>,
    /// Told whenever a console took in probes.
    arrived: Notify,
}

/// When each probe note was sent, by number.
#[derive(Default)]
struct Probes {
    sent: std::sync::Mutex<Vec<Instant>>,
}

/// A console's changes after `cursor`, page by page; the probe numbers it saw.
async fn pull(http: &reqwest::Client, url: &str, cursor: &mut Option<String>, stats: &Stats) -> Vec<usize> {
    let mut seen = Vec::new();
    for _ in 0..1_000 {
        let since = cursor.as_ref().map(|c| format!("&since={c}")).unwrap_or_default();
        stats.requests.fetch_add(1, Ordering::Relaxed);
        let Ok(response) =
            http.get(format!("{url}/v1/changes?limit=1000&tails=true{since}")).bearer_auth(TOKEN).send().await
        else {
            return seen;
        };
        let Ok(page) = response.json::<Value>().await else { return seen };
        for change in page["changes"].as_array().into_iter().flatten() {
            let incident =
                if change["kind"] == "incident_tail" { &change["data"]["incident"] } else { &change["data"] };
            for event in incident["timeline"].as_array().into_iter().flatten() {
                if let Some(n) = event["text"].as_str().and_then(|t| t.strip_prefix("probe ")) {
                    seen.extend(n.parse::<usize>().ok());
                }
            }
        }
        *cursor = page["cursor"].as_str().map(str::to_string);
        if page["has_more"] != true {
            break;
        }
    }
    seen
}

struct Console {
    url: String,
    http: reqwest::Client,
    stats: Arc<Stats>,
    probes: Arc<Probes>,
    work: Arc<Vec<String>>,
    action_every: Duration,
}

impl Console {
    /// Runs until `stop`; `ready` is told once the cold sync is done and the stream is open.
    async fn run(self, ready: Arc<Notify>, ready_count: Arc<AtomicU64>, mut stop: watch::Receiver<bool>) {
        let mut cursor = None;
        pull(&self.http, &self.url, &mut cursor, &self.stats).await;
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let Ok(mut stream) =
            self.http.get(format!("{}/v1/stream?heartbeat=15", self.url)).bearer_auth(TOKEN).send().await
        else {
            return;
        };
        ready_count.fetch_add(1, Ordering::SeqCst);
        ready.notify_one();
        // Announcements wake the puller; several while it pulls make one more pull.
        let announced = Arc::new(Notify::new());
        let puller = {
            let announced = announced.clone();
            let (http, url, stats, probes) =
                (self.http.clone(), self.url.clone(), self.stats.clone(), self.probes.clone());
            tokio::spawn(async move {
                let mut last = None::<usize>;
                loop {
                    announced.notified().await;
                    let seen = pull(&http, &url, &mut cursor, &stats).await;
                    let now = Instant::now();
                    let sent = probes.sent.lock().unwrap().clone();
                    let mut latencies = Vec::new();
                    for n in seen {
                        if last.is_none_or(|l| n > l) {
                            let from = last.map_or(n, |l| l + 1);
                            latencies.extend(
                                (from..=n).filter_map(|k| sent.get(k)).map(|at| (now - *at).as_secs_f64() * 1e3),
                            );
                            last = Some(n);
                        }
                    }
                    stats.latencies.lock().unwrap().extend(latencies);
                    stats.arrived.notify_one();
                }
            })
        };
        let mut next_action = Instant::now() + self.action_every.mul_f64(rand::rng().random_range(0.0..2.0));
        let mut buffer = String::new();
        loop {
            let until_action = next_action.saturating_duration_since(Instant::now());
            tokio::select! {
                _ = stop.changed() => break,
                chunk = stream.chunk() => match chunk {
                    Ok(Some(bytes)) => {
                        buffer.push_str(&String::from_utf8_lossy(&bytes));
                        while let Some(end) = buffer.find("\n\n") {
                            if buffer[..end].contains("event: changes") {
                                announced.notify_one();
                            }
                            buffer.drain(..end + 2);
                        }
                    }
                    _ => break,
                },
                _ = tokio::time::sleep(until_action) => {
                    let id = &self.work[rand::rng().random_range(0..self.work.len())];
                    let body = json!({"version": 1, "text": "checked the upstream pool"});
                    self.stats.requests.fetch_add(1, Ordering::Relaxed);
                    let _ = self.http.post(format!("{}/v1/incidents/{id}/notes", self.url)).bearer_auth(TOKEN)
                        .header("Prefer", "return=minimal").json(&body).send().await;
                    next_action = Instant::now() + self.action_every.mul_f64(rand::rng().random_range(0.0..2.0));
                }
            }
        }
        puller.abort();
    }
}

/// CPU seconds a process has used (user + system), from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // After the name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    (ticks(11) + ticks(12)) / 100.0
}

async fn create(http: &reqwest::Client, url: &str, title: &str) -> String {
    let body = json!({"title": title, "service_id": "llm-gateway", "priority": "P2"});
    let response = http.post(format!("{url}/v1/incidents")).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// One N on one setup: the row to print.
async fn measure(setup: &str, servers: &[pty::Server], consoles: usize, seconds: u64, action_every: Duration) {
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let http = reqwest::Client::builder().pool_max_idle_per_host(consoles * 2).build().unwrap();
    let probe = create(&http, &urls[0], "probe").await;
    let mut work = Vec::new();
    for n in 0..WORK_INCIDENTS {
        work.push(create(&http, &urls[n % urls.len()], &format!("team incident {n}")).await);
    }
    let work = Arc::new(work);
    let (stats, probes) = (Arc::new(Stats::default()), Arc::new(Probes::default()));
    let (stop_tx, stop) = watch::channel(false);
    let (ready, ready_count) = (Arc::new(Notify::new()), Arc::new(AtomicU64::new(0)));
    let mut tasks = Vec::new();
    for c in 0..consoles {
        let console = Console {
            url: urls[c % urls.len()].clone(),
            http: http.clone(),
            stats: stats.clone(),
            probes: probes.clone(),
            work: work.clone(),
            action_every,
        };
        tasks.push(tokio::spawn(console.run(ready.clone(), ready_count.clone(), stop.clone())));
    }
    let started = Instant::now();
    while ready_count.load(Ordering::SeqCst) < consoles as u64 {
        assert!(started.elapsed() < DEADLINE, "consoles ready in time");
        let _ = tokio::time::timeout(Duration::from_secs(1), ready.notified()).await;
    }
    stats.requests.store(0, Ordering::SeqCst);
    let cpu_before: Vec<f64> = servers.iter().map(|s| cpu_seconds(s.pid().unwrap())).collect();
    let window = Instant::now();
    let probes_writer = Mutex::new(());
    let mut ticker = tokio::time::interval(PROBE_EVERY);
    let mut n = 0;
    while window.elapsed() < Duration::from_secs(seconds) {
        ticker.tick().await;
        let _turn = probes_writer.lock().await;
        probes.sent.lock().unwrap().push(Instant::now());
        let body = json!({"version": 1, "text": format!("probe {n}")});
        let response = http
            .post(format!("{}/v1/incidents/{probe}/notes", urls[0]))
            .bearer_auth(TOKEN)
            .header("Prefer", "return=minimal")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        n += 1;
    }
    // The last probes have a moment to arrive before the books close.
    let settle = Instant::now();
    while stats.latencies.lock().unwrap().len() < n * consoles && settle.elapsed() < Duration::from_secs(5) {
        let _ = tokio::time::timeout(Duration::from_millis(500), stats.arrived.notified()).await;
    }
    let wall = window.elapsed().as_secs_f64();
    let cpu: Vec<String> = servers
        .iter()
        .zip(&cpu_before)
        .map(|(s, before)| format!("{:.0} %", (cpu_seconds(s.pid().unwrap()) - before) / wall * 100.0))
        .collect();
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
    let mut latencies = stats.latencies.lock().unwrap().clone();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let expected = n * consoles;
    println!(
        "{setup:<14} {consoles:>8} {:>9.1} {:>9.1} {:>16} {:>10.0} {:>8.1} %",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        cpu.join(" · "),
        stats.requests.load(Ordering::SeqCst) as f64 / wall,
        latencies.len() as f64 / expected as f64 * 100.0,
    );
}

fn start(bin: &std::path::Path, db: &std::path::Path, tokens: &std::path::Path) -> pty::Server {
    pty::Server::start(bin, db, tokens, Duration::from_secs(30)).expect("opsdeck serve starts")
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let ns: Vec<usize> = var("CONSOLES", "50,200,500").split(',').filter_map(|n| n.trim().parse().ok()).collect();
    let seconds: u64 = var("SECONDS", "10").parse().unwrap_or(10);
    let action_every = Duration::from_secs_f64(var("ACTION_SECONDS", "60").parse().unwrap_or(60.0));
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_opsdeck"));
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.toml");
    pty::write_tokens(&tokens).unwrap();
    println!(
        "simulated consoles (cold sync, stream, changes on each announcement, a note every ~{:.0} s each); a probe note every {} ms; {seconds} s measured per N",
        action_every.as_secs_f64(),
        PROBE_EVERY.as_millis()
    );
    println!(
        "{:<14} {:>8} {:>9} {:>9} {:>16} {:>10} {:>10}",
        "setup", "consoles", "p50 ms", "p99 ms", "CPU per replica", "requests/s", "probes in"
    );
    for &consoles in &ns {
        if let Some(pg) = postgres::server() {
            let db = std::path::PathBuf::from(postgres::fresh_database(&pg).await);
            let (b, d, t) = (bin.clone(), db.clone(), tokens.clone());
            let servers =
                tokio::task::spawn_blocking(move || vec![start(&b, &d, &t), start(&b, &d, &t)]).await.unwrap();
            measure("postgres x2", &servers, consoles, seconds, action_every).await;
        }
        let db = dir.path().join(format!("load-{consoles}.sqlite"));
        let (b, t) = (bin.clone(), tokens.clone());
        let servers = tokio::task::spawn_blocking(move || vec![start(&b, &db, &t)]).await.unwrap();
        measure("sqlite x1", &servers, consoles, seconds, action_every).await;
    }
    if postgres::server().is_none() {
        println!("(OPSDECK_TEST_POSTGRES is not set: PostgreSQL not measured)");
    }
}
