//! How fast the console answers while it catches up with a server holding many incidents: the
//! real binary in a pseudo-terminal (200×60) against the real server, both of this build.
//! `cargo bench --bench responsiveness` (300,000 incidents; `OPSDECK_RESPONSIVE_N=1000000`).
//!
//! While the header says `syncing … / …`, it measures
//! - **key → screen**: `?` pressed until the help is on the screen, and `Esc` until it is gone,
//!   ten times each;
//! - **quit**: `q` pressed until the process has exited, then on new consoles SIGTERM and SIGHUP
//!   sent until it has exited (pending cache writes are finished first, as always).
//!
//! Times are taken from the moment the bytes are written to the terminal to the moment the
//! screen that answers them has been read back (the reader is woken by each write, not polled).

#[path = "../tests/support/console.rs"]
mod console;
#[path = "../tests/support/pty.rs"]
mod pty;
#[path = "../tests/support/server_db.rs"]
mod server_db;

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use console::BIN;
use pty::{ConsoleDirs, ERIN_TOKEN, Pty};

const SIZE_VAR: &str = "OPSDECK_RESPONSIVE_N";
const TIMEOUT: Duration = Duration::from_secs(120);
const PRESSES: usize = 10;
const HELP: &str = "Keys (Esc closes)";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("responsiveness benchmark failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let n = std::env::var(SIZE_VAR)
        .ok()
        .map(|v| v.replace(['_', ','], "").parse::<usize>().map_err(|_| format!("{SIZE_VAR}={v:?} is not a count")))
        .transpose()?
        .unwrap_or(300_000);
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let built = Instant::now();
    let mut server = server_db::server_with_incidents(Path::new(BIN), dir.path(), n, TIMEOUT)?;
    println!("server: {n} incidents ({:.1} s to build)", built.elapsed().as_secs_f64());

    let mut console = start(dir.path(), "keys", &server.url)?;
    let mut opened = Vec::new();
    let mut closed = Vec::new();
    for _ in 0..PRESSES {
        opened.push(answer(&mut console, b"?", |s| s.contains(HELP))?);
        closed.push(answer(&mut console, b"\x1b", |s| !s.contains(HELP))?);
    }
    let still_syncing = syncing(&console.screen());
    let q = answer_exit(&mut console, Some(b"q"), None)?;
    report("key → screen, ? (help opens)", &mut opened);
    report("key → screen, Esc (help closes)", &mut closed);
    if !still_syncing {
        println!("(the catch-up ended during the key presses: use more incidents)");
    }
    println!("{:<34} {:>8.1} ms", "q → exited", ms(q));
    for (name, signal) in [("SIGTERM → exited", "TERM"), ("SIGHUP → exited", "HUP")] {
        let mut console = start(dir.path(), signal, &server.url)?;
        let took = answer_exit(&mut console, None, Some(signal))?;
        println!("{name:<34} {:>8.1} ms", ms(took));
    }
    server.terminate(TIMEOUT)?;
    Ok(())
}

/// A console on a fresh cache, 200×60, once it shows that it is catching up.
fn start(root: &Path, name: &str, url: &str) -> Result<Pty, String> {
    let dirs = ConsoleDirs::new(root.join(name)).map_err(|e| format!("console dirs: {e}"))?;
    let token_file = dirs.root.join("token");
    std::fs::write(&token_file, format!("{ERIN_TOKEN}\n")).map_err(|e| format!("token file: {e}"))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("chmod token file: {e}"))?;
    }
    let token_file = token_file.to_string_lossy().into_owned();
    let command = dirs.command(Path::new(BIN), &["--backend", url, "--token-file", token_file.as_str()]);
    let pty = Pty::spawn_sized(command, 200, 60)?;
    pty.wait_for_described("the catch-up's progress", syncing, TIMEOUT)?;
    Ok(pty)
}

fn syncing(screen: &str) -> bool {
    screen.lines().next().is_some_and(|header| header.contains("syncing "))
}

/// Writes `keys` and waits for a screen that `answered` accepts; returns how long it took.
fn answer(pty: &mut Pty, keys: &[u8], answered: impl FnMut(&str) -> bool) -> Result<Duration, String> {
    let sent = Instant::now();
    pty.send(keys)?;
    pty.wait_for_described("the answer to a key", answered, TIMEOUT)?;
    Ok(sent.elapsed())
}

/// Sends `keys` or `signal` and waits for the process to exit successfully.
fn answer_exit(pty: &mut Pty, keys: Option<&[u8]>, signal: Option<&str>) -> Result<Duration, String> {
    let sent = Instant::now();
    if let Some(keys) = keys {
        pty.send(keys)?;
    }
    if let Some(signal) = signal {
        pty.signal(signal)?;
    }
    let status = pty.wait_exit(TIMEOUT)?;
    let took = sent.elapsed();
    if !status.success() {
        return Err(format!("the console exited with {status}"));
    }
    Ok(took)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!("{what:<34} median {:>6.1} ms, max {:>6.1} ms ({} presses)", ms(median), ms(max), times.len());
}
