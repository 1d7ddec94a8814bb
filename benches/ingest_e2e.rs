//! Ingesting a server's incidents from empty, end to end, beside its two floors measured in the
//! same run: `cargo bench --bench ingest_e2e` (100,000 incidents; `OPSDECK_INGEST_E2E=1000000`
//! for a million).
//!
//! The server database is built in a temporary file (`fixtures::many_incidents`, inserted with
//! SQL in one transaction) and the real server is started on 127.0.0.1:0 from it. Then:
//!
//! - **ingest**: the real sync task (`console::sync` over the HTTP backend, a fresh cache file)
//!   with the real `AppState` taking every `Event::Synced` as the run loop would, from the first
//!   request to the last page taken in;
//! - **curl**: `curl` pulling the same pages (same token and page size), following the cursor;
//! - **sqlite3**: the `sqlite3` command inserting the same rows (the same JSON documents, the
//!   cache's table and index) in one transaction.
//!
//! It prints the three wall times and the ratios ingest / sqlite3 and ingest / curl, and where
//! the ingest's time goes: the state's share, and the HTTP backend reading every page and the
//! cache storing them, each timed alone in a second pass.

#[path = "../tests/support/pty.rs"]
mod pty;
#[path = "../tests/support/server_db.rs"]
mod server_db;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use opsdeck::api::Role;
use opsdeck::config::{Config, Secret};
use opsdeck::console::event::Event;
use opsdeck::console::state::AppState;
use opsdeck::db::DbLocation;
use opsdeck::domain::Incident;
use opsdeck::server::{self, ServeOptions, auth::Users};

const SIZE_VAR: &str = "OPSDECK_INGEST_E2E";
const TOKEN: &str = "ingest-bench-token";

fn size() -> usize {
    std::env::var(SIZE_VAR).ok().and_then(|v| v.replace(['_', ','], "").parse().ok()).unwrap_or(100_000)
}

async fn start_server(path: &Path) -> server::RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut users = Users::default();
    users.add("bench", Role::Commander, TOKEN);
    let options = ServeOptions { db: DbLocation::File(path.to_path_buf()).into(), users, sources: Vec::new() };
    server::start(listener, options).await.unwrap()
}

/// The server's database: the catalog the server seeds, then `incidents` after it in the feed.
async fn build_server_db(path: &Path, incidents: &[Incident]) {
    start_server(path).await.shutdown().await.unwrap();
    server_db::append_incidents(path, incidents).await.unwrap();
}

struct Ingest {
    wall: Duration,
    state: Duration,
    reports: usize,
    incidents: usize,
}

/// The console's ingest: the sync task and the state, from an empty cache to the last page.
async fn ingest(url: &str, cache_path: &Path) -> Ingest {
    let now = Utc::now();
    let cache = opsdeck::cache::Cache::open(&DbLocation::File(cache_path.to_path_buf())).await.unwrap();
    let snapshot = cache.snapshot(300).await.unwrap();
    let mut state = AppState::new(opsdeck::fixtures::session(false), &Config::default(), snapshot, false, now);
    state.update(Event::Resize { width: 200, height: 60 }, now);
    let backend = std::sync::Arc::new(
        opsdeck::backend::http::HttpBackend::new(url, Some(Secret::new(TOKEN.to_string()))).unwrap(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let sync = opsdeck::console::sync::spawn(backend, cache, tx, Duration::from_secs(3600));
    let (mut in_state, mut reports) = (Duration::ZERO, 0);
    while let Some(event) = rx.recv().await {
        let last = matches!(&event, Event::Synced(report) if !report.more);
        let failed = matches!(&event, Event::SyncFailed { .. });
        let is_report = matches!(&event, Event::Synced(_));
        let t = Instant::now();
        state.update(event, Utc::now());
        if is_report {
            in_state += t.elapsed();
            reports += 1;
            sync.taken();
        }
        assert!(!failed, "the sync failed");
        if last {
            break;
        }
    }
    let wall = started.elapsed();
    sync.stop();
    Ingest { wall, state: in_state, reports, incidents: state.incidents.len() }
}

/// Where the ingest's time goes, one part at a time: the HTTP backend reading every page (the
/// server's feed, the wire, the decoding) and the cache storing them, one after the other.
async fn parts(url: &str, cache_path: &Path) -> (Duration, Duration) {
    use opsdeck::backend::Backend;
    let backend = opsdeck::backend::http::HttpBackend::new(url, Some(Secret::new(TOKEN.to_string()))).unwrap();
    let cache = opsdeck::cache::Cache::open(&DbLocation::File(cache_path.to_path_buf())).await.unwrap();
    let (mut fetch, mut write) = (Duration::ZERO, Duration::ZERO);
    let mut cursor: Option<String> = None;
    loop {
        let t = Instant::now();
        let page = backend.changes(cursor.as_deref(), opsdeck::console::sync::CATCH_UP_PAGE).await.unwrap().page;
        fetch += t.elapsed();
        let t = Instant::now();
        cache.apply_page(&page, false, Utc::now()).await.unwrap();
        write += t.elapsed();
        cursor = Some(page.cursor.clone());
        if !page.has_more {
            break;
        }
    }
    (fetch, write)
}

/// `curl` following the cursor, one request a page; returns the wall time and the page count.
fn curl(url: &str, limit: u32) -> (Duration, usize) {
    let started = Instant::now();
    let mut since = String::new();
    let mut pages = 0;
    loop {
        let output = Command::new("curl")
            .args(["-sSf", "-H", &format!("Authorization: Bearer {TOKEN}")])
            .arg(format!("{url}/v1/changes?limit={limit}&since={since}"))
            .output()
            .expect("curl runs");
        assert!(output.status.success(), "curl failed: {}", String::from_utf8_lossy(&output.stderr));
        pages += 1;
        let body = output.stdout;
        // The page's own fields come before its changes: read them from the head.
        let head = String::from_utf8_lossy(&body[..body.len().min(400)]).into_owned();
        let cursor = head.split("\"cursor\":\"").nth(1).and_then(|s| s.split('"').next()).expect("a cursor");
        since = cursor.to_string();
        if !head.contains("\"has_more\":true") {
            break;
        }
    }
    (started.elapsed(), pages)
}

/// `sqlite3` inserting the same rows into the cache's table, in one transaction.
fn sqlite3(dir: &Path, incidents: &[Incident]) -> Duration {
    let script = dir.join("insert.sql");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&script).unwrap());
    writeln!(out, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;").unwrap();
    writeln!(
        out,
        "CREATE TABLE incidents (id TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL, rank INTEGER NOT NULL, \
         sort_at INTEGER NOT NULL, doc TEXT NOT NULL);\n\
         CREATE INDEX incidents_order ON incidents (rank, sort_at DESC, id);\nBEGIN;"
    )
    .unwrap();
    for incident in incidents {
        let (rank, sort_at) = incident.list_order();
        let doc = serde_json::to_string(incident).unwrap().replace('\'', "''");
        writeln!(
            out,
            "INSERT INTO incidents (id, version, rank, sort_at, doc) VALUES ('{}', {}, {rank}, {sort_at}, '{doc}');",
            incident.id, incident.version
        )
        .unwrap();
    }
    writeln!(out, "COMMIT;").unwrap();
    out.flush().unwrap();
    drop(out);
    let db = dir.join("floor.sqlite");
    let started = Instant::now();
    let status = Command::new("sqlite3")
        .arg(&db)
        .stdin(std::fs::File::open(&script).unwrap())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("sqlite3 runs");
    let took = started.elapsed();
    assert!(status.success(), "sqlite3 failed");
    took
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n = size();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let built = Instant::now();
    let incidents = opsdeck::fixtures::many_incidents(n, now);
    runtime.block_on(build_server_db(&dir.path().join("server.sqlite"), &incidents));
    eprintln!("server database of {n} incidents built in {:.1} s", built.elapsed().as_secs_f64());

    let server = runtime.block_on(start_server(&dir.path().join("server.sqlite")));
    let url = format!("http://{}", server.addr);
    let limit = opsdeck::console::sync::CATCH_UP_PAGE;

    let run = runtime.block_on(ingest(&url, &dir.path().join("cache.sqlite")));
    assert!(run.incidents >= n, "the state holds {} of {n} incidents", run.incidents);
    let (fetch, write) = runtime.block_on(parts(&url, &dir.path().join("parts.sqlite")));
    let (curl_took, pages) = curl(&url, limit);
    runtime.block_on(async { server.shutdown().await.unwrap() });
    let sqlite_took = sqlite3(dir.path(), &incidents);

    let secs = |d: Duration| d.as_secs_f64();
    println!("ingest of {n} incidents, {pages} pages of up to {limit}:");
    println!(
        "  console ingest  {:>8.2} s   (state {:.2} s over {} reports)",
        secs(run.wall),
        secs(run.state),
        run.reports
    );
    println!(
        "    its parts one at a time: HTTP backend reading the pages {:.2} s, cache storing them {:.2} s",
        secs(fetch),
        secs(write)
    );
    println!("  curl            {:>8.2} s", secs(curl_took));
    println!("  sqlite3         {:>8.2} s", secs(sqlite_took));
    println!(
        "  ingest / sqlite3 = {:.2}x   ingest / curl = {:.2}x",
        secs(run.wall) / secs(sqlite_took),
        secs(run.wall) / secs(curl_took)
    );
}
