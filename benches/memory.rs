//! Memory of a console with a large cache: the real `opsdeck` binary in a pseudo-terminal over a
//! cache of 100,000 incidents and 100,000 open tickets (1,000,000 incidents and the same tickets
//! with `OPSDECK_MEMORY_BIG=1`), the backend unreachable (nothing listens on port 9).
//!
//! Each run waits until the console's log says every cached row is merged into the lists
//! ("the cached rows are all merged"), waits for its RSS to settle, then reads VmRSS and VmHWM
//! from `/proc/<pid>/status`, and kills the process.
//!
//! `cargo bench --bench memory`; `OPSDECK_MEMORY_BIG=1 cargo bench --bench memory`;
//! `OPSDECK_MEMORY_BIN=PATH` measures another build of the binary (an earlier one, beside).

#[path = "support/fill.rs"]
mod fill;
#[path = "../tests/support/pty.rs"]
mod pty;

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use pty::{ConsoleDirs, Pty};

const BIN: &str = env!("CARGO_BIN_EXE_opsdeck");
/// Nothing listens there: every sync fails.
const BACKEND: &str = "http://127.0.0.1:9";
const TICKETS: usize = 100_000;
const MERGED: &str = "the cached rows are all merged";
const MERGE_TIMEOUT: Duration = Duration::from_secs(300);
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("memory benchmark failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let big = std::env::var("OPSDECK_MEMORY_BIG").is_ok_and(|v| v == "1");
    let incidents = if big { 1_000_000 } else { 100_000 };
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let dirs = ConsoleDirs::new(dir.path().join("console")).map_err(|e| format!("console dirs: {e}"))?;
    let cache_path =
        dirs.data_home().join("opsdeck").join("cache").join(opsdeck::paths::cache_file_name(Some(BACKEND)));
    let filled = Instant::now();
    fill::fill_cache(&cache_path, incidents, TICKETS)?;
    let size = std::fs::metadata(&cache_path).map(|m| m.len()).unwrap_or(0);
    println!(
        "cache: {incidents} incidents, {TICKETS} open tickets ({:.1} MB, filled in {:.1} s)",
        size as f64 / 1e6,
        filled.elapsed().as_secs_f64()
    );

    let token_file = dirs.root.join("token");
    std::fs::write(&token_file, "bench-token-0123456789\n").map_err(|e| format!("token file: {e}"))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("chmod token file: {e}"))?;
    }
    let token_file = token_file.to_string_lossy().into_owned();
    let args = ["--backend", BACKEND, "--token-file", token_file.as_str()];
    let bin = std::env::var("OPSDECK_MEMORY_BIN").unwrap_or_else(|_| BIN.to_string());
    println!("binary: {bin}");
    let start = Instant::now();
    let console = Pty::spawn_sized(dirs.command(Path::new(&bin), &args), 120, 40)?;
    let merged = wait_until(MERGE_TIMEOUT, || dirs.log().contains(MERGED));
    let merged_after = start.elapsed();
    if !merged {
        let _ = console.kill9_and_wait(EXIT_TIMEOUT);
        return Err(format!("the log never said {MERGED:?} within {MERGE_TIMEOUT:?}\n{}", dirs.log()));
    }
    // What the merge freed is given back and nothing else grows: RSS steady for a second.
    let mut last = status(console.pid())?.0;
    let settle = Instant::now();
    loop {
        std::thread::park_timeout(Duration::from_millis(250));
        let now = status(console.pid())?.0;
        if now.abs_diff(last) < 256 || settle.elapsed() > Duration::from_secs(10) {
            break;
        }
        last = now;
    }
    let (rss, hwm) = status(console.pid())?;
    if std::env::var_os("OPSDECK_MEMORY_SMAPS").is_some() {
        print_mappings(console.pid());
    }
    console.kill9_and_wait(EXIT_TIMEOUT)?;
    let rows = incidents + TICKETS;
    println!("merged {:.2} s after the start", merged_after.as_secs_f64());
    println!(
        "memory with {incidents} incidents + {TICKETS} open tickets cached: VmRSS {:.1} MB, VmHWM {:.1} MB \
         ({:.0} B per cached row)",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        rss as f64 * 1024.0 / rows as f64
    );
    Ok(())
}

/// Polls `done` every 50 ms until it holds or `timeout` passes.
fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + timeout;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::park_timeout(Duration::from_millis(50));
    }
    done()
}

/// Where the resident memory is: the largest mappings of `pid` by RSS (`OPSDECK_MEMORY_SMAPS=1`).
fn print_mappings(pid: u32) {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else {
        return;
    };
    let mut maps: Vec<(u64, String)> = Vec::new();
    for line in text.lines() {
        if let Some(kb) = line.strip_prefix("Rss:") {
            if let (Some(last), Ok(kb)) = (maps.last_mut(), kb.trim().trim_end_matches("kB").trim().parse::<u64>()) {
                last.0 = kb;
            }
        } else if line.split_whitespace().next().is_some_and(|w| w.contains('-') && !w.ends_with(':')) {
            let name = line.split_whitespace().nth(5).unwrap_or("[anon]").to_string();
            maps.push((0, name));
        }
    }
    maps.sort_by_key(|m| std::cmp::Reverse(m.0));
    for (kb, name) in maps.iter().take(12) {
        println!("  {:>8.1} MB  {name}", *kb as f64 / 1024.0);
    }
}

/// VmRSS and VmHWM of `pid`, in KiB.
fn status(pid: u32) -> Result<(u64, u64), String> {
    let text =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or(format!("/proc/{pid}/status has no {name}"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}
