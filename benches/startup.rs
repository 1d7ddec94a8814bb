//! Startup to first frame: the real `opsdeck` binary in a pseudo-terminal, with 100,000
//! incidents and 7 days of the simulator's drift windows and quality points (2 models, 8 features)
//! in its cache, and a backend that does not answer (nothing listens on port 9).
//!
//! Two cases, each its own cache: those incidents alone, and the same with 100,000 open tickets
//! besides (the Tickets tab and the SLA clocks have them all once loaded).
//!
//! Each run measures from just before the process is spawned to the moment the screen first
//! shows the incident the list puts first, then kills the process (SIGKILL) and waits for it.
//!
//! `cargo bench --bench startup`; `OPSDECK_STARTUP_RUNS=N` changes the number of runs (20);
//! `OPSDECK_STARTUP_BIN=PATH` measures another build of the binary (an earlier one, beside).

#[path = "../tests/support/pty.rs"]
mod pty;

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::Utc;
use opsdeck::api::{Change, ReceivedPage};
use opsdeck::cache::Cache;
use opsdeck::db::DbLocation;
use opsdeck::domain::Incident;
use pty::{ConsoleDirs, Pty};

const BIN: &str = env!("CARGO_BIN_EXE_opsdeck");
/// Nothing listens there: every sync fails.
const BACKEND: &str = "http://127.0.0.1:9";
const INCIDENTS: usize = 100_000;
const TICKETS: usize = 100_000;
const DEFAULT_RUNS: usize = 20;
const RUNS_VAR: &str = "OPSDECK_STARTUP_RUNS";
/// A run that shows nothing by then fails the benchmark.
const FRAME_TIMEOUT: Duration = Duration::from_secs(10);
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("startup benchmark failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let runs = match std::env::var(RUNS_VAR) {
        Ok(v) => v.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or(format!("{RUNS_VAR}={v:?} is not a count"))?,
        Err(_) => DEFAULT_RUNS,
    };
    let bin = std::env::var("OPSDECK_STARTUP_BIN").unwrap_or_else(|_| BIN.to_string());
    println!("binary: {bin}");
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let mut rows = Vec::new();
    for (name, tickets) in [("100k cached incidents", 0), ("100k incidents + 100k open tickets", TICKETS)] {
        let dirs = ConsoleDirs::new(dir.path().join(format!("console-{tickets}"))).map_err(|e| format!("dirs: {e}"))?;
        let times = measure(&dirs, Path::new(&bin), tickets, runs)?;
        rows.push((name, times));
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!();
    println!("{:<44} {:>9} {:>9} {:>9} {:>9} {:>5}", "startup to first frame", "min", "median", "p95", "max", "runs");
    for (name, times) in &rows {
        println!(
            "{:<44} {:>6.1} ms {:>6.1} ms {:>6.1} ms {:>6.1} ms {:>5}",
            format!("{name}, backend unreachable"),
            ms(times[0]),
            median(times),
            ms(percentile(times, 95)),
            ms(times[times.len() - 1]),
            times.len()
        );
    }
    println!();
    for (name, times) in &rows {
        println!(
            "startup to first frame ({name}, backend unreachable): median {:.1} ms, p95 {:.1} ms over {runs} runs",
            median(times),
            ms(percentile(times, 95))
        );
    }
    Ok(())
}

/// Fills the cache of `dirs` with the incidents and `tickets` open tickets, then starts the
/// console `runs` times; the times to its first frame, sorted.
fn measure(dirs: &ConsoleDirs, bin: &Path, tickets: usize, runs: usize) -> Result<Vec<Duration>, String> {
    let cache_path =
        dirs.data_home().join("opsdeck").join("cache").join(opsdeck::paths::cache_file_name(Some(BACKEND)));

    let filled = Instant::now();
    let first = fill_cache(&cache_path, tickets)?;
    println!(
        "cache: {INCIDENTS} incidents, {tickets} open tickets in {} ({:.1} MB, filled in {:.1} s)",
        cache_path.display(),
        dir_size(cache_path.parent().unwrap_or(&cache_path)) as f64 / 1e6,
        filled.elapsed().as_secs_f64()
    );
    println!("the first row: {} {}", first.id, first.title);

    let token_file = dirs.root.join("token");
    std::fs::write(&token_file, "bench-token-0123456789\n").map_err(|e| format!("token file: {e}"))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("chmod token file: {e}"))?;
    }
    let token_file = token_file.to_string_lossy().into_owned();
    let args = ["--backend", BACKEND, "--token-file", token_file.as_str()];

    // The first row is recognised by its id or, should the Id column not show the id in full,
    // by the unique part of its title ("… anomaly #99996:").
    let marker = match first.title.find(':') {
        Some(colon) => first.title[..=colon].to_string(),
        None => first.title.clone(),
    };
    let first_id = first.id.clone();
    let is_first_frame = |screen: &str| screen.contains(&first_id) || screen.lines().any(|l| l.contains(&marker));

    let mut times = Vec::with_capacity(runs);
    let mut id_shown_in_full = true;
    for i in 0..runs {
        let cmd = dirs.command(bin, &args);
        let start = Instant::now();
        let console = Pty::spawn(cmd)?;
        let shown = console.wait_for_described(&format!("{first_id} ({marker:?})"), is_first_frame, FRAME_TIMEOUT);
        let elapsed = start.elapsed();
        console.kill9_and_wait(EXIT_TIMEOUT)?;
        match shown {
            Ok(screen) => {
                id_shown_in_full &= screen.contains(&first_id);
                times.push(elapsed);
            }
            Err(err) => {
                return Err(format!(
                    "run {} of {runs} showed no first frame with {first_id} within {FRAME_TIMEOUT:?}: {err}\n\
                     --- console log ---\n{}",
                    i + 1,
                    dirs.log()
                ));
            }
        }
    }
    if !id_shown_in_full {
        println!(
            "note: the Id column does not show {first_id} in full (it is cut to 8 columns); \
             the first frame was recognised by the row's title {marker:?}"
        );
    }
    times.sort();
    Ok(times)
}

/// Creates the cache the console uses for `BACKEND`, fills it (with `tickets` open tickets), and
/// returns the incident the list shows first.
fn fill_cache(path: &Path, tickets: usize) -> Result<Incident, String> {
    let incidents = opsdeck::fixtures::many_incidents(INCIDENTS, Utc::now());
    let first = first_in_list(&incidents).ok_or("no incidents")?.clone();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("runtime: {e}"))?;
    rt.block_on(async {
        let cache = Cache::open(&DbLocation::File(path.to_path_buf())).await.map_err(|e| format!("cache: {e}"))?;
        cache.put_incidents(&incidents).await.map_err(|e| format!("filling the cache: {e}"))?;
        let now = Utc::now();
        let world = opsdeck::sources::simulator::drift::demo_monitoring(1, now, 7 * 24, &incidents[..0]);
        let changes = (world.models.into_iter().map(Change::Model))
            .chain(opsdeck::fixtures::many_tickets(tickets, now).into_iter().map(Change::Ticket))
            .chain(world.windows.into_iter().map(Change::DriftWindow))
            .chain(world.quality.into_iter().map(Change::Quality))
            .collect();
        let page = ReceivedPage {
            epoch: "bench".into(),
            cursor: "1".into(),
            has_more: false,
            remaining: None,
            changes,
            skipped_unknown: 0,
        };
        cache.apply_page(&page, false, now).await.map_err(|e| format!("filling the cache: {e}"))?;
        drop(cache);
        // Fold the write-ahead log into the database file, so that every run starts from the
        // same files and none of them pays for the bulk load.
        use sqlx::Connection;
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.map_err(|e| format!("cache: {e}"))?;
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| format!("checkpoint: {e}"))?;
        if busy != 0 {
            return Err("the cache's write-ahead log could not be checkpointed (busy)".to_string());
        }
        conn.close().await.map_err(|e| format!("closing the cache: {e}"))?;
        Ok::<_, String>(())
    })?;
    rt.shutdown_timeout(Duration::from_secs(10));
    Ok(first)
}

/// The list order: open incidents by priority then newest first, resolved ones after, ties by id.
fn first_in_list(incidents: &[Incident]) -> Option<&Incident> {
    incidents.iter().min_by(|a, b| {
        let (ra, ta) = a.list_order();
        let (rb, tb) = b.list_order();
        ra.cmp(&rb).then(tb.cmp(&ta)).then_with(|| a.id.cmp(&b.id))
    })
}

fn median(sorted: &[Duration]) -> f64 {
    let n = sorted.len();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    if n % 2 == 1 { ms(sorted[n / 2]) } else { (ms(sorted[n / 2 - 1]) + ms(sorted[n / 2])) / 2.0 }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}
