//! Idle CPU with 100,000 open tickets and 100,000 incidents cached: the real `opsdeck` binary
//! in a 200×60 pseudo-terminal, nobody typing, the CPU it spends (utime + stime of every thread,
//! from `/proc/<pid>/stat`) over a window on the Tickets tab and on the SLA tab, as a share of
//! one core.
//!
//! The data: `fixtures::many_incidents(100_000)` (mostly resolved history, some open at every
//! priority) and `fixtures::many_tickets(100_000)` (all open, opened over the last two weeks,
//! every priority, some pending on the customer, half responded: 200,000-odd SLA clocks, most of
//! them running), written into the console's cache before it starts. The backend does not
//! answer (nothing listens on 127.0.0.1:9): the console draws from its cache and retries its
//! sync now and then, as it would with the server down — the idle cost of the console itself.
//!
//! Each tab is shown (its number key), its counts waited for, left to settle (5 s, then until
//! three seconds in a row cost at most a tick each), then watched.
//!
//! `cargo bench --bench idle_cpu` (the figure depends on the build: `--profile dev` measures a
//! debug build); `OPSDECK_IDLE_CPU_SECS=N` sets the window per tab (30 s).

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
const INCIDENTS: usize = 100_000;
const TICKETS: usize = 100_000;
const COLS: u16 = 200;
const ROWS: u16 = 60;
const DEFAULT_SECS: u64 = 30;
const SECS_VAR: &str = "OPSDECK_IDLE_CPU_SECS";
/// After a tab's counts show, before watching: what the switch started is done.
const SETTLE: Duration = Duration::from_secs(5);
/// Then this many quiet seconds in a row ([`settle`]).
const QUIET_SECONDS: u32 = 3;
const TIMEOUT: Duration = Duration::from_secs(120);

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("idle CPU benchmark failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let secs = match std::env::var(SECS_VAR) {
        Ok(v) => v.trim().parse::<u64>().ok().filter(|n| *n > 0).ok_or(format!("{SECS_VAR}={v:?} is not a count"))?,
        Err(_) => DEFAULT_SECS,
    };
    let window = Duration::from_secs(secs);
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let dirs = ConsoleDirs::new(dir.path().join("console")).map_err(|e| format!("console dirs: {e}"))?;
    let cache_path =
        dirs.data_home().join("opsdeck").join("cache").join(opsdeck::paths::cache_file_name(Some(BACKEND)));
    let filled = Instant::now();
    fill::fill_cache(&cache_path, INCIDENTS, TICKETS)?;
    println!(
        "cache: {INCIDENTS} incidents, {TICKETS} open tickets (filled in {:.1} s); {COLS}x{ROWS}, {secs} s per tab",
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
    let cmd = dirs.command(Path::new(BIN), &["--backend", BACKEND, "--token-file", token_file.as_str()]);
    let mut console = Pty::spawn_sized(cmd, COLS, ROWS)?;
    let result = watch(&mut console, window);
    let _ = console.kill9_and_wait(Duration::from_secs(10));
    result.map_err(|err| format!("{err}\n--- console log ---\n{}", dirs.log()))
}

fn watch(console: &mut Pty, window: Duration) -> Result<(), String> {
    console.wait_for_text("Incidents", TIMEOUT)?;
    let open = format!("{TICKETS} open");
    for (key, title, shows) in [(&b"2"[..], "Tickets", open.as_str()), (b"3", "SLA", "running")] {
        console.send(key)?;
        // The tab's counts in the header: every ticket is loaded and its clocks built.
        console.wait_for_text(shows, TIMEOUT)?;
        wait(SETTLE);
        let settled = settle(console.pid())?;
        let before = cpu_ticks(console.pid())?;
        let started = Instant::now();
        wait(window);
        let used = cpu_ticks(console.pid())? - before;
        let elapsed = started.elapsed().as_secs_f64();
        let cpu = used as f64 / ticks_per_second() / elapsed;
        println!(
            "idle CPU {title:8} {:6.2} % of a core  ({used} ticks of 1/{} s in {elapsed:.1} s; settled after {:.0} s)",
            cpu * 100.0,
            ticks_per_second(),
            settled.as_secs_f64() + SETTLE.as_secs_f64()
        );
    }
    Ok(())
}

/// Waits until the console has spent at most a tick in each of [`QUIET_SECONDS`] seconds in a
/// row (what loading the cache and building clocks started is over); how long that took.
fn settle(pid: u32) -> Result<Duration, String> {
    let started = Instant::now();
    let mut quiet = 0;
    let mut last = cpu_ticks(pid)?;
    while quiet < QUIET_SECONDS {
        if started.elapsed() > TIMEOUT {
            return Err(format!("the console did not settle within {TIMEOUT:?}"));
        }
        wait(Duration::from_secs(1));
        let now = cpu_ticks(pid)?;
        quiet = if now - last <= 1 { quiet + 1 } else { 0 };
        last = now;
    }
    Ok(started.elapsed())
}

/// utime + stime of the process (every thread, living or gone), in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    // Fields after the command name (which may hold spaces) in parentheses: state is field 3,
    // utime field 14, stime field 15.
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).ok_or("/proc stat without a command name")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok()).ok_or(format!("stat field {n}"));
    Ok(field(14)? + field(15)?)
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf reads a constant of the system; it has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// Waits out `d` of wall-clock time: the figure is CPU per real second.
fn wait(d: Duration) {
    let until = Instant::now() + d;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        std::thread::park_timeout(left);
    }
}
