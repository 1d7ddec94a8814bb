//! End to end: the real binary catching up with a real server that holds tens of thousands of
//! incidents shows how far it has come ("syncing 3,000 / 40,000") and quits at once on `q` or
//! SIGTERM in the middle of it, successfully.
//!
//! Every wait is on an event (text on the PTY, the process exiting) with a deadline that only
//! matters when something is broken; nothing here measures how fast.

#[path = "support/console.rs"]
mod console;
#[path = "support/pty.rs"]
mod pty;
#[path = "support/server_db.rs"]
mod server_db;

use std::path::Path;

use console::{BIN, Console, T};
use pty::{ConsoleDirs, ERIN_TOKEN};

/// Enough incidents that catching up takes a few seconds in a debug build, whatever the machine
/// (40,000 caught up before the header was read once sync pages of resolved incidents stopped
/// rebuilding every SLA clock).
const INCIDENTS: usize = 120_000;

/// Waits until the header says how far catching up has come, and returns that text: `syncing
/// 3,000 / 120,009` (the incidents and the catalog the server seeded), or `3,000/120,009` where
/// the header is short of room.
fn progress_shown(console: &Console) -> String {
    let screen = console.wait("the sync progress in the header", |screen| {
        screen.lines().next().and_then(progress).is_some_and(|(done, total)| done <= total && total >= INCIDENTS as u64)
    });
    screen.lines().next().unwrap_or_default().to_string()
}

/// The two counts of `done / total` or `done/total` at the end of the header.
fn progress(header: &str) -> Option<(u64, u64)> {
    let number = |s: &str| s.trim().replace(',', "").parse::<u64>().ok();
    let (before, after) = header.trim_end().rsplit_once('/')?;
    let done = before.trim_end().rsplit(' ').next().and_then(number)?;
    Some((done, number(after)?))
}

#[test]
fn q_and_sigterm_end_the_console_at_once_while_it_catches_up_and_say_how_far_it_got() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = server_db::server_with_incidents(Path::new(BIN), dir.path(), INCIDENTS, T).expect("server");

    let dirs = ConsoleDirs::new(dir.path().join("quits")).expect("console dirs");
    let mut console = Console::start(&dirs, &server.url, ERIN_TOKEN, &[]);
    let header = progress_shown(&console);
    assert!(!header.contains("● live"), "catching up is not yet live: {header}");
    console.keys(b"q");
    let status = console.ok(console.pty.wait_exit(T));
    assert!(status.success(), "`q` during the catch-up ends the console cleanly, got {status}");

    let dirs = ConsoleDirs::new(dir.path().join("terminated")).expect("console dirs");
    let console = Console::start(&dirs, &server.url, ERIN_TOKEN, &[]);
    progress_shown(&console);
    console.ok(console.pty.signal("TERM"));
    let status = console.ok(console.pty.wait_exit(T));
    assert!(status.success(), "SIGTERM during the catch-up ends the console cleanly, got {status}");

    server.terminate(T).expect("server stops");
}
