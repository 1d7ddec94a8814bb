//! End to end: the real `opsdeck` binary in a pseudo-terminal, against a real `opsdeck serve`,
//! on a disk that fills up and with a cache that is damaged: an action the user took is on
//! disk, or sent and confirmed, or the screen says it is neither — and quitting then asks.
//!
//! Every wait is on an event (output arriving on the PTY, a process exiting) with a deadline that
//! only matters when something is broken.

#[path = "support/console.rs"]
mod console;
#[path = "support/pty.rs"]
mod pty;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use console::{T, World, events, footer, id_of, is_root};
use pty::ERIN_TOKEN;

/// A small tmpfs mounted on a folder for one test, unmounted (lazily, whatever still has files
/// open there) when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .expect("run mount");
        assert!(status.success(), "mount -t tmpfs on {}: {status}", at.display());
        Tmpfs(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes `path` until the file system says it is full; returns how much it took.
fn fill(path: &Path) -> u64 {
    let mut file = std::fs::File::create(path).expect("filler");
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(err) => {
                assert_eq!(err.raw_os_error(), Some(28), "ENOSPC expected, got {err}");
                break;
            }
        }
    }
    let _ = file.sync_all();
    written
}

/// The data folder on a full disk (a tmpfs, filled while the console runs, the server down):
/// the acknowledgement and the note cannot be written, the screen says so and keeps saying it,
/// `q` asks; once space is back they are written (the line goes), survive a `kill -9`, and the
/// next start sends each exactly once.
///
/// Needs root (to mount the tmpfs), as CI runs; otherwise it prints why it is skipped and returns.
#[test]
fn on_a_full_disk_actions_are_kept_said_unsaved_quitting_asks_and_they_are_saved_when_space_returns() {
    if !is_root() {
        eprintln!("skipped: mounting a small tmpfs as the data folder needs root");
        return;
    }
    let mut world = World::new();
    let id = id_of(&world.api.create(ERIN_TOKEN, "Embedding queue backs up", "P1"));
    let dirs = world.console_dirs("full");
    let _tmpfs = Tmpfs::mount(&dirs.data_home(), "4m");
    let mut console = world.console(&dirs, ERIN_TOKEN, &[]);
    console.wait_all(&[&id, "● live", "erin · responder"]);
    world.server.kill().expect("stop the server");
    console.wait_text("STALE");
    let filler = dirs.data_home().join("filler");
    assert!(fill(&filler) > 0);

    console.keys(b"a");
    let screen = console.wait_text("not saved to disk");
    assert!(screen.contains("acknowledge on"), "says which action: {}", footer(&screen));
    console.wait_text("✗ 1 not on disk");
    console.keys(b"n");
    console.wait_text(&format!("note on {id}"));
    console.keys(b"queue drained by hand at 14:10\r");
    console.wait_text("✗ 2 not on disk");
    // Whatever message comes and goes, the line comes back, naming the file and the cause.
    let screen = console.wait("the persistent line", |s| {
        footer(s).contains("2 actions not saved to disk (") && footer(s).contains("/work/")
    });
    assert!(footer(&screen).contains(&dirs.data_home().display().to_string()), "{screen}");
    // The message log has it whole: the file, SQLite's words, the hint.
    console.keys(b"L");
    console.wait_all(&["database or disk is full", "free some space on that disk"]);
    console.keys(b"L");
    console.wait("the log closed", |s| !s.contains("Messages: the last"));

    console.keys(b"q");
    console.wait_text("2 actions are not saved — quit anyway?");
    console.keys(b"n");
    console.wait("the question gone", |s| !s.contains("quit anyway?"));
    assert!(!console.pty.has_exited(), "n stays");

    std::fs::remove_file(&filler).expect("space comes back");
    console.wait_text("✓ on disk now: 2 actions");
    console.wait("the badge gone", |s| !s.contains("not on disk"));
    let work = dirs.data_home().join("opsdeck/work").join(opsdeck::paths::cache_file_name(Some(&world.server.url)));
    // Another reader of the file sees both, in order (the console's own connections are not
    // the judge: one that met the full disk could see what no one else will).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let on_disk = rt.block_on(async {
        let reader = opsdeck::cache::Work::open(&opsdeck::db::DbLocation::File(work.clone())).await.unwrap();
        reader.outbox().await.unwrap()
    });
    let verbs: Vec<&str> = on_disk.iter().map(|e| e.action.verb()).collect();
    assert_eq!(verbs, ["acknowledge", "note"], "{on_disk:?}");
    // On disk for real: a kill -9 now loses nothing.
    console.ok(console.pty.kill9_and_wait(T));
    drop(console);

    world.server.restart(T).expect("server back");
    let console = world.console(&dirs, ERIN_TOKEN, &[]);
    console.wait_all(&["● live"]);
    // Sent in order: the acknowledgement, then the note.
    console.wait_text(&format!("✓ {id} note added"));
    let incident = world.api.get(ERIN_TOKEN, &id);
    assert_eq!(events(&incident, "acknowledged").len(), 1, "acknowledged exactly once: {incident:#}");
    let notes: Vec<_> =
        events(&incident, "note").into_iter().filter(|e| e["text"] == "queue drained by hand at 14:10").collect();
    assert_eq!(notes.len(), 1, "noted exactly once: {incident:#}");
}

/// The cache filled with random bytes between two runs, with an action queued offline: the
/// console starts (no refusal, no triple error), says where the cache was moved, syncs a new one
/// and sends the queued action exactly once — it was in the work file all along.
#[test]
fn a_damaged_cache_is_moved_aside_at_start_and_the_queued_action_is_still_sent_once() {
    let mut world = World::new();
    let id = id_of(&world.api.create(ERIN_TOKEN, "Retriever returns stale context", "P2"));
    let dirs = world.console_dirs("damaged");
    let mut console = world.console(&dirs, ERIN_TOKEN, &[]);
    console.wait_all(&[&id, "● live"]);
    world.server.kill().expect("stop the server");
    console.wait_text("STALE");
    console.keys(b"a");
    console.wait_text("saved (offline)");
    console.keys(b"q");
    console.ok(console.pty.wait_exit(T));
    drop(console);

    let cache_dir = dirs.data_home().join("opsdeck").join("cache");
    let cache = cache_dir.join(opsdeck::paths::cache_file_name(Some(&world.server.url)));
    let len = std::fs::metadata(&cache).expect("the cache file").len().max(8192);
    let noise: Vec<u8> = b"not a database at all; ".iter().copied().cycle().take(len as usize).collect();
    std::fs::write(&cache, noise).expect("damage the cache");
    // A console that exits before SQLite checkpoints leaves a `-wal` holding every page of this
    // small cache, which is a whole database by itself: the file damaged here must be the one read.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", cache.display()));
    }

    world.server.restart(T).expect("server back");
    let mut console = world.console(&dirs, ERIN_TOKEN, &[]);
    let screen = console.wait_text("✓ ");
    assert!(footer(&screen).contains(&id) && footer(&screen).contains("acknowledged"), "{screen}");
    console.keys(b"L");
    let log = console.wait_all(&["file is not", "moved it to", ".corrupt-", "syncing a fresh cache"]);
    assert!(log.contains("opsdeck/cache/"), "names the file: {log}");
    let moved: Vec<_> = std::fs::read_dir(&cache_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".sqlite.corrupt-"))
        .collect();
    assert_eq!(moved.len(), 1, "moved aside once: {moved:?}");
    let incident = world.api.get(ERIN_TOKEN, &id);
    assert_eq!(events(&incident, "acknowledged").len(), 1, "{incident:#}");
    let log = std::fs::read_to_string(&console.log).unwrap_or_default();
    assert_eq!(log.matches("moved it to").count(), 1, "said once, not three times");
}
