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

use std::path::Path;

use chrono::{TimeZone, Utc};
use console::{BIN, Console, T};
use pty::{ConsoleDirs, ERIN_TOKEN, Server};

/// Enough incidents that catching up takes a few seconds in a debug build, whatever the machine
/// (40,000 caught up before the header was read once sync pages of resolved incidents stopped
/// rebuilding every SLA clock).
const INCIDENTS: usize = 120_000;

/// A server database holding `n` incidents after the catalog the server seeds.
fn server_with_incidents(dir: &Path, n: usize) -> Server {
    let db = dir.join("server.sqlite");
    let tokens = dir.join("tokens.toml");
    pty::write_tokens(&tokens).expect("tokens file");
    let mut seeding = Server::start(Path::new(BIN), &db, &tokens, T).expect("server");
    seeding.terminate(T).expect("server stops");
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let incidents = opsdeck::fixtures::many_incidents(n, now);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        let first: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM entities").fetch_one(&pool).await.unwrap();
        let mut tx = pool.begin().await.unwrap();
        for (i, incident) in incidents.iter().enumerate() {
            sqlx::query("INSERT INTO entities (kind, id, seq, open, doc) VALUES ('incident', ?, ?, ?, ?)")
                .bind(&incident.id)
                .bind(first + 1 + i as i64)
                .bind(incident.is_open())
                .bind(serde_json::to_string(incident).unwrap())
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        pool.close().await;
    });
    Server::start(Path::new(BIN), &db, &tokens, T).expect("server")
}

/// Waits until the header says how far catching up has come, and returns that text.
fn progress_shown(console: &Console) -> String {
    let total = opsdeck::console::widgets::status::grouped(INCIDENTS as u64);
    let screen = console.wait("the sync progress in the header", |screen| {
        screen.lines().next().is_some_and(|header| header.contains("syncing ") && header.contains(&total))
    });
    screen.lines().next().unwrap_or_default().to_string()
}

#[test]
fn q_and_sigterm_end_the_console_at_once_while_it_catches_up_and_say_how_far_it_got() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = server_with_incidents(dir.path(), INCIDENTS);

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
