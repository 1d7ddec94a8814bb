//! End to end, as the issue was reported: the real `opsdeck` binary in a pseudo-terminal, run
//! as an unprivileged user (nobody, 65534) against a real `opsdeck serve`, with its files made
//! read-only (mode 444): the work file (and a `-shm` left read-only beside it), and separately
//! the cache. What the user sees names the file at fault and the fix; an action is still sent
//! and recorded once; `q` asks while an action is neither on disk nor sent; after `chmod 644`
//! the next write succeeds without a restart and the status line says so.
//!
//! Root ignores mode bits, so these need root to become another user (as CI runs) and
//! `setpriv` (util-linux); otherwise they print why they are skipped and return. Every wait is
//! on an event (output on the PTY, a process exiting) with a deadline that only matters when
//! something is broken.

#[path = "support/console.rs"]
mod console;
#[path = "support/pty.rs"]
mod pty;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use console::{Console, T, World, events, footer, id_of, is_root};
use pty::{ConsoleDirs, ERIN_TOKEN};

/// The user the console runs as: nobody.
const NOBODY: u32 = 65534;
const AS_NOBODY: &[&str] = &["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

/// Why these tests cannot run here, if they cannot.
fn cannot_run() -> Option<&'static str> {
    if !is_root() {
        return Some("running the console as another user (so that mode bits apply) needs root");
    }
    if !Command::new("setpriv").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Some("setpriv (util-linux) is not installed");
    }
    None
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

/// `chown -R nobody:nogroup dir`.
fn give_to_nobody(dir: &Path) {
    std::os::unix::fs::chown(dir, Some(NOBODY), Some(NOBODY)).expect("chown");
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            give_to_nobody(&path);
        } else {
            std::os::unix::fs::chown(&path, Some(NOBODY), Some(NOBODY)).expect("chown");
        }
    }
}

/// Folders for a console run by nobody: theirs, under a temp dir they can traverse, with the
/// token file already theirs (it is rewritten in place at each start, keeping its owner).
fn nobodys_dirs(world: &World, name: &str) -> ConsoleDirs {
    chmod(world.dir.path(), 0o711);
    let dirs = world.console_dirs(name);
    std::fs::write(dirs.root.join("token"), "").expect("token file");
    give_to_nobody(&dirs.root);
    dirs
}

fn start(world: &World, dirs: &ConsoleDirs) -> Console {
    Console::start_via(AS_NOBODY, dirs, &world.server.url, ERIN_TOKEN, &[], &[])
}

fn work_file(world: &World, dirs: &ConsoleDirs) -> PathBuf {
    dirs.data_home().join("opsdeck/work").join(opsdeck::paths::cache_file_name(Some(&world.server.url)))
}

fn cache_file(world: &World, dirs: &ConsoleDirs) -> PathBuf {
    dirs.data_home().join("opsdeck/cache").join(opsdeck::paths::cache_file_name(Some(&world.server.url)))
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    opsdeck::db::sidecar(path, suffix)
}

/// The screen without spaces, line breaks and box edges: the message log wraps long lines.
fn squeezed(screen: &str) -> String {
    screen.chars().filter(|c| !c.is_whitespace() && *c != '│').collect()
}

/// What another reader finds in the work file's outbox, by verb.
fn outbox_on_disk(work: &Path) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let reader = opsdeck::cache::Work::open(&opsdeck::db::DbLocation::File(work.to_path_buf())).await.unwrap();
        let outbox = reader.outbox().await.unwrap();
        outbox.iter().map(|e| e.action.verb().to_string()).collect()
    })
}

/// The work file mode 444, with a `-shm` left behind by a console that was killed, also 444:
/// `a` says the action is not saved to disk, naming the file and `chmod u+w`, and sends it
/// anyway (recorded once, and then nothing is left to ask about). Offline, a note is neither on
/// disk nor sent: the status line says so and `q` asks. After `chmod 644` of the file the next
/// write names the read-only `-shm`; after `chmod 644` of that too it succeeds, without a
/// restart, and the status line says so. The next start sends the note once.
#[test]
fn a_read_only_work_file_and_its_leftover_shm_are_named_actions_still_sent_and_saved_after_chmod() {
    if let Some(why) = cannot_run() {
        eprintln!("skipped: {why}");
        return;
    }
    let mut world = World::new();
    let id = id_of(&world.api.create(ERIN_TOKEN, "Tokenizer service drops requests", "P1"));
    let dirs = nobodys_dirs(&world, "ro-work");
    let work = work_file(&world, &dirs);
    let shm = sidecar(&work, "-shm");

    // A console that was killed leaves its -wal and -shm; then `chmod 444` on the file and -shm.
    let console = start(&world, &dirs);
    console.wait_all(&[&id, "● live", "erin · responder"]);
    assert!(work.exists() && shm.exists(), "the work file and its -shm are there while it runs");
    console.ok(console.pty.kill9_and_wait(T));
    drop(console);
    chmod(&work, 0o444);
    chmod(&shm, 0o444);

    let mut console = start(&world, &dirs);
    console.wait_all(&[&id, "● live"]);
    console.keys(b"a");
    let screen = console.wait_text("not saved to disk");
    assert!(footer(&screen).contains("acknowledge on"), "says which action: {}", footer(&screen));
    // The message log has it whole: the file, SQLite's words, the fix; then the confirmation
    // (the error outranks it on the status line while it shows).
    console.keys(b"L");
    let log = console.wait_all(&["readonly database", "sending it anyway", "chmod u+w", &format!("✓ {id}")]);
    assert!(log.contains("opsdeck/work/"), "names the work file: {log}");
    let incident = world.api.get(ERIN_TOKEN, &id);
    assert_eq!(events(&incident, "acknowledged").len(), 1, "sent all the same, exactly once: {incident:#}");
    console.keys(b"L");
    console.wait("the log closed", |s| !s.contains("Messages: the last"));
    assert!(!console.pty.screen().contains("not on disk"), "confirmed: nothing is left unsaved");

    // Offline: a note is neither on disk nor sent.
    world.server.kill().expect("stop the server");
    console.wait_text("STALE");
    console.keys(b"n");
    console.wait_text(&format!("note on {id}"));
    console.keys(b"tokenizer pods restarted by hand\r");
    console.wait_text("✗ 1 not on disk");
    console.wait("the persistent line", |s| {
        footer(s).contains("1 action not saved to disk (") && footer(s).contains("/work/")
    });
    console.keys(b"q");
    console.wait_text("1 action is not saved — quit anyway?");
    console.keys(b"n");
    console.wait("the question gone", |s| !s.contains("quit anyway?"));
    assert!(!console.pty.has_exited(), "n stays");

    // The file made writable: the next write (asking to quit tries at once) meets the -shm.
    chmod(&work, 0o644);
    console.keys(b"q");
    console.wait_text("quit anyway?");
    console.keys(b"n");
    console.wait("the question gone", |s| !s.contains("quit anyway?"));
    console.keys(b"L");
    let shm_named = format!("{}isread-only", squeezed(&shm.display().to_string()));
    console.wait("the -shm named, with the fix", |s| {
        let log = squeezed(s);
        log.contains("stillnotsavedtodisk") && log.contains(&shm_named) && log.contains("removeitorchmodu+wit")
    });
    console.keys(b"L");
    console.wait("the log closed", |s| !s.contains("Messages: the last"));
    assert!(console.pty.screen().contains("✗ 1 not on disk"), "still not on disk");

    // And the -shm: the next write succeeds, without a restart.
    chmod(&shm, 0o644);
    console.keys(b"q");
    console.wait_text("✓ on disk now: 1 action");
    console.keys(b"n");
    console.wait("the badge gone", |s| !s.contains("not on disk") && !s.contains("quit anyway?"));
    assert_eq!(outbox_on_disk(&work), ["note"]);
    // Nothing unsaved: `q` quits at once.
    console.keys(b"q");
    console.ok(console.pty.wait_exit(T));
    drop(console);

    world.server.restart(T).expect("server back");
    let console = start(&world, &dirs);
    console.wait_all(&["● live"]);
    console.wait_text(&format!("✓ {id} note added"));
    let incident = world.api.get(ERIN_TOKEN, &id);
    assert_eq!(events(&incident, "acknowledged").len(), 1, "acknowledged exactly once: {incident:#}");
    let notes: Vec<_> =
        events(&incident, "note").into_iter().filter(|e| e["text"] == "tokenizer pods restarted by hand").collect();
    assert_eq!(notes.len(), 1, "noted exactly once: {incident:#}");
}

/// The cache mode 444: the user is told the cache is kept in memory, naming the file and the
/// fix; the user's own work goes to the work file as always, so `a` is sent and recorded once
/// and `q` has nothing to ask about. After `chmod 644` the next start uses the file again.
#[test]
fn a_read_only_cache_is_named_kept_in_memory_and_actions_are_still_sent_once() {
    if let Some(why) = cannot_run() {
        eprintln!("skipped: {why}");
        return;
    }
    let world = World::new();
    let id = id_of(&world.api.create(ERIN_TOKEN, "Vector store rejects writes", "P2"));
    let dirs = nobodys_dirs(&world, "ro-cache");
    let cache = cache_file(&world, &dirs);

    let mut console = start(&world, &dirs);
    console.wait_all(&[&id, "● live"]);
    console.keys(b"q");
    console.ok(console.pty.wait_exit(T));
    drop(console);
    chmod(&cache, 0o444);

    let mut console = start(&world, &dirs);
    console.wait_all(&[&id, "● live"]);
    console.keys(b"L");
    // (The log wraps its lines: only short pieces are looked for.)
    let log = console.wait_all(&["readonly database", "chmod u+w", "memory until opsdeck restarts"]);
    assert!(log.contains("opsdeck/cache/"), "names the cache file: {log}");
    console.keys(b"L");
    console.wait("the log closed", |s| !s.contains("Messages: the last"));
    console.keys(b"a");
    console.wait("the acknowledgement confirmed", |s| footer(s).contains("✓ ") && footer(s).contains("acknowledged"));
    let incident = world.api.get(ERIN_TOKEN, &id);
    assert_eq!(events(&incident, "acknowledged").len(), 1, "acknowledged exactly once: {incident:#}");
    assert!(!console.pty.screen().contains("not on disk"));
    console.keys(b"q");
    console.ok(console.pty.wait_exit(T));
    drop(console);

    chmod(&cache, 0o644);
    let mut console = start(&world, &dirs);
    console.wait_all(&[&id, "● live"]);
    console.keys(b"L");
    let log = console.wait_text("Messages: the last");
    assert!(!log.contains("memory until opsdeck restarts"), "the file is used again: {log}");
}
