//! Idle terminal output: the bytes the real `opsdeck` binary writes to its terminal per second
//! on each tab, in a 200×60 pseudo-terminal, with nobody typing.
//!
//! Two runs:
//! - **demo**: the in-process server with the simulator running (incidents come, are worked and
//!   resolved; tickets' SLA clocks count down);
//! - **still**: a console on `opsdeck serve` with no simulator, over a store the simulator filled
//!   for a few seconds before: the same kind of data, nothing changing on the server.
//!
//! Each tab is shown (its number key), left to settle, then watched for a window; the figure is
//! the bytes read from the terminal in that window over its length, with the frames in it (each
//! frame opens a synchronized update, `ESC [ ? 2026 h`).
//!
//! `cargo bench --bench idle_output` (bytes do not depend on the build profile:
//! `cargo bench --profile dev --bench idle_output` is as good and builds faster);
//! `OPSDECK_IDLE_SECS=N` sets the window per tab (20 s); `OPSDECK_IDLE_DUMP=DIR` writes each
//! window's bytes to `DIR/<run>-<tab>.bin` to see what was sent.

#[path = "../tests/support/pty.rs"]
mod pty;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pty::{ConsoleDirs, Pty};

const BIN: &str = env!("CARGO_BIN_EXE_opsdeck");
const COLS: u16 = 200;
const ROWS: u16 = 60;
const TABS: [(&[u8], &str); 6] =
    [(b"1", "Incidents"), (b"2", "Tickets"), (b"3", "SLA"), (b"4", "Drift"), (b"5", "Calendar"), (b"6", "Postmortems")];
/// After the first frame, before the first tab is watched: the first sync lands.
const WARM_UP: Duration = Duration::from_secs(6);
/// After a tab key, before watching: the tab switch's own frame is not idle output.
const SETTLE: Duration = Duration::from_secs(2);
const DEFAULT_SECS: u64 = 20;
const SECS_VAR: &str = "OPSDECK_IDLE_SECS";
const TIMEOUT: Duration = Duration::from_secs(30);
const SYNC_BEGIN: &[u8] = b"\x1b[?2026h";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("idle output benchmark failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let secs = match std::env::var(SECS_VAR) {
        Ok(v) => v.parse::<u64>().map_err(|_| format!("{SECS_VAR}={v:?} is not a whole number of seconds"))?,
        Err(_) => DEFAULT_SECS,
    };
    let window = Duration::from_secs(secs.max(1));
    let root = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;

    println!("idle output at {COLS}x{ROWS}, {secs} s per tab");
    let demo = ConsoleDirs::new(root.path().join("demo")).map_err(|e| format!("console dirs: {e}"))?;
    let mut console = Pty::spawn_sized(demo.command(BIN.as_ref(), &["--demo-seed", "1"]), COLS, ROWS)?;
    watch_tabs("demo", &mut console, window)?;
    drop(console);

    let db = root.path().join("server.sqlite");
    let tokens = root.path().join("tokens.toml");
    pty::write_tokens(&tokens).map_err(|e| format!("tokens file: {e}"))?;
    // The simulator fills the store for a while, then a server without it serves what it left.
    let (mut filler, _) = serve(&db, &tokens, true)?;
    std::thread::park_timeout(WARM_UP);
    stop(&mut filler);
    let (mut server, url) = serve(&db, &tokens, false)?;
    let still = ConsoleDirs::new(root.path().join("still")).map_err(|e| format!("console dirs: {e}"))?;
    let mut cmd = still.command(BIN.as_ref(), &["--backend", &url]);
    cmd.env("OPSDECK_TOKEN", pty::ERIN_TOKEN);
    let console = Pty::spawn_sized(cmd, COLS, ROWS);
    let result = console.and_then(|mut console| watch_tabs("still", &mut console, window));
    stop(&mut server);
    result
}

/// Shows each tab in turn and prints the bytes and frames it wrote while nobody typed.
fn watch_tabs(run: &str, console: &mut Pty, window: Duration) -> Result<(), String> {
    console.wait_for_text("Incidents", TIMEOUT)?;
    wait(WARM_UP);
    for (key, title) in TABS {
        console.send(key)?;
        wait(SETTLE);
        let before = console.raw_output().len();
        let started = Instant::now();
        wait(window);
        let raw = console.raw_output();
        let elapsed = started.elapsed().as_secs_f64();
        let seen = &raw[before.min(raw.len())..];
        if let Some(dir) = std::env::var_os("OPSDECK_IDLE_DUMP") {
            let file = std::path::Path::new(&dir).join(format!("{run}-{title}.bin"));
            std::fs::write(&file, seen).map_err(|e| format!("writing {}: {e}", file.display()))?;
        }
        let frames = seen.windows(SYNC_BEGIN.len()).filter(|w| *w == SYNC_BEGIN).count();
        println!(
            "{run:5} {title:12} {:7.1} B/s  {:5.2} frames/s  ({} B in {elapsed:.1} s)",
            seen.len() as f64 / elapsed,
            frames as f64 / elapsed,
            seen.len()
        );
    }
    Ok(())
}

/// Waits out `d` of wall-clock time: the figure is bytes per real second.
fn wait(d: Duration) {
    let until = Instant::now() + d;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        std::thread::park_timeout(left);
    }
}

/// `opsdeck serve` on a free port over `db`, with or without the simulator; its URL.
fn serve(db: &std::path::Path, tokens: &std::path::Path, simulate: bool) -> Result<(Child, String), String> {
    let mut command = Command::new(BIN);
    command.arg("serve").arg("--bind").arg("127.0.0.1:0").arg("--db").arg(db).arg("--tokens").arg(tokens);
    if simulate {
        command.arg("--simulate");
    }
    let mut child = command
        .env("OPSDECK_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting opsdeck serve: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(url) = line.strip_prefix("opsdeck serve: listening on ") {
                sent = tx.send(url.trim().to_string()).is_ok();
            }
        }
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(url) => Ok((child, url)),
        Err(_) => {
            stop(&mut child);
            Err("opsdeck serve printed no listening line".into())
        }
    }
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}
