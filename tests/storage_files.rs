//! The console's two files on a real disk, damaged, deleted and replaced: a damaged cache is
//! moved aside (named with the time) and made again, the work file beside it untouched; a
//! damaged work file is moved aside and an empty one started; a file deleted while open is made
//! again at its path; the queued actions and drafts survive every one of them.

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use opsdeck::cache::{Cache, JournaledDraft, NoticeSink, Work, WorkCopy};
use opsdeck::console::outbox::OutboxEntry;
use opsdeck::db::{DbLocation, NoticeKind, StorageNotice, StoredFile};
use opsdeck::domain::{Command, IncidentAction, PostmortemDraft};

fn entry(key: &str) -> OutboxEntry {
    OutboxEntry {
        key: key.into(),
        target_id: "INC-1".into(),
        action: Command::Incident(IncidentAction::Note { text: format!("note {key}") }),
        base_version: 1,
        epoch: Some("e1".into()),
        created_at: Utc::now(),
        attempts: 0,
        last_error: None,
    }
}

fn draft() -> JournaledDraft {
    JournaledDraft {
        id: "PM-1".into(),
        incident_id: "INC-1".into(),
        base_version: 0,
        draft: PostmortemDraft { title: "Index went stale".into(), body: "what happened\n".repeat(50) },
        journaled_at: chrono::DateTime::UNIX_EPOCH,
        author: "token:erin".into(),
    }
}

/// Collects the notices a file sends while open.
fn collector() -> (NoticeSink, Arc<Mutex<Vec<StorageNotice>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let into = seen.clone();
    (Arc::new(move |n| into.lock().unwrap().push(n)), seen)
}

/// Folds the write-ahead log into the file, so damage to the file is damage to the data.
async fn checkpoint(path: &Path) {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    Truncated,
    GarbageInTheMiddle,
    RandomBytes,
}

fn damage(path: &Path, how: Damage) {
    let len = std::fs::metadata(path).unwrap().len();
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    match how {
        Damage::Truncated => file.set_len(len / 3).unwrap(),
        Damage::GarbageInTheMiddle => {
            file.seek(SeekFrom::Start(len / 2 / 4096 * 4096)).unwrap();
            file.write_all(&vec![0xA5; 16 * 4096]).unwrap();
        }
        Damage::RandomBytes => {
            let bytes: Vec<u8> = (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
            file.seek(SeekFrom::Start(0)).unwrap();
            file.write_all(&bytes).unwrap();
        }
    }
    file.sync_all().unwrap();
}

fn moved_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let prefix = format!("{name}.corrupt-");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(&prefix) && !n.ends_with("-wal") && !n.ends_with("-shm")
        })
        .collect();
    found.sort();
    found
}

/// A cache of 3,000 incidents; its work file beside it with two queued actions and a draft.
async fn filled(dir: &Path) -> (PathBuf, PathBuf) {
    let cache_path = dir.join("cache").join("demo.sqlite");
    let work_path = dir.join("work").join("demo.sqlite");
    let cache = Cache::open(&DbLocation::File(cache_path.clone())).await.unwrap();
    cache.put_incidents(&opsdeck::fixtures::many_incidents(3_000, Utc::now())).await.unwrap();
    let work = Work::open(&DbLocation::File(work_path.clone())).await.unwrap();
    work.outbox_insert(&entry("k1")).await.unwrap();
    work.outbox_insert(&entry("k2")).await.unwrap();
    work.journal_draft(&draft()).await.unwrap();
    drop((cache, work));
    // Both files whole, with nothing left in a `-wal` for a closing pool to fold in later: the
    // work file's bytes are compared before and after.
    checkpoint(&cache_path).await;
    checkpoint(&work_path).await;
    (cache_path, work_path)
}

/// Truncated, garbage in the middle, random bytes: at start (and in the check of every page
/// after the first frame) the cache is moved aside as `demo.sqlite.corrupt-<UTC time>`, a fresh
/// one takes its place, one notice names both; the work file keeps every action and the draft.
#[tokio::test]
async fn a_damaged_cache_is_moved_aside_and_made_again_and_the_work_file_is_untouched() {
    for how in [Damage::Truncated, Damage::GarbageInTheMiddle, Damage::RandomBytes] {
        let dir = tempfile::tempdir().unwrap();
        let (cache_path, work_path) = filled(dir.path()).await;
        let work_before = std::fs::read(&work_path).unwrap();
        damage(&cache_path, how);

        let (cache, mut notices) = Cache::open_recovering(&DbLocation::File(cache_path.clone())).await;
        let (sink, seen) = collector();
        cache.set_sink(sink);
        // What the console does: the first frame's read, then the check of every page.
        let _ = cache.snapshot(300).await;
        cache.verify().await;
        notices.extend(seen.lock().unwrap().drain(..));

        let moved = moved_files(cache_path.parent().unwrap(), "demo.sqlite");
        assert_eq!(moved.len(), 1, "{how:?}: moved aside once: {moved:?} {notices:?}");
        assert_eq!(notices.len(), 1, "{how:?}: told once: {notices:?}");
        let notice = &notices[0];
        assert_eq!((notice.file, &notice.kind), (StoredFile::Cache, &NoticeKind::MovedAside(moved[0].clone())));
        assert!(notice.text.contains(&moved[0].display().to_string()), "{how:?}: names where: {}", notice.text);
        assert!(notice.text.contains(&cache_path.display().to_string()), "{how:?}: names the file: {}", notice.text);
        assert!(!notice.text.contains('\n'), "one line");
        let stamp = moved[0].file_name().unwrap().to_string_lossy().rsplit("corrupt-").next().unwrap().to_string();
        assert!(chrono::NaiveDateTime::parse_from_str(&stamp, "%Y%m%dT%H%M%SZ").is_ok(), "UTC time: {stamp}");
        let fresh = cache.snapshot(300).await.expect("a fresh cache");
        assert_eq!(fresh.total, 0, "{how:?}: rebuilt from the backend by the next sync");
        assert!(fresh.sync.cursor.is_none(), "the next sync starts from empty");

        assert_eq!(std::fs::read(&work_path).unwrap(), work_before, "{how:?}: the work file is untouched");
        let (work, notices) = Work::open_recovering(&DbLocation::File(work_path)).await;
        assert!(notices.is_empty(), "{notices:?}");
        let keys: Vec<String> = work.outbox().await.unwrap().into_iter().map(|e| e.key).collect();
        assert_eq!(keys, ["k1", "k2"]);
        assert_eq!(work.drafts().await.unwrap(), vec![draft()]);
    }
}

/// Damaged while the console runs: the next query that meets the damage moves it aside.
#[tokio::test]
async fn a_cache_damaged_while_open_is_moved_aside_at_the_query_that_meets_it() {
    let dir = tempfile::tempdir().unwrap();
    let (cache_path, _) = filled(dir.path()).await;
    let (cache, notices) = Cache::open_recovering(&DbLocation::File(cache_path.clone())).await;
    assert!(notices.is_empty(), "{notices:?}");
    let (sink, seen) = collector();
    cache.set_sink(sink);
    damage(&cache_path, Damage::GarbageInTheMiddle);
    let err = cache.incidents().await.expect_err("the damage is met");
    let text = err.to_string();
    assert!(text.starts_with(&cache_path.display().to_string()), "names the file: {text}");
    assert!(text.contains("malformed") || text.contains("not a database"), "{text}");
    assert_eq!(moved_files(cache_path.parent().unwrap(), "demo.sqlite").len(), 1);
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(cache.incidents().await.unwrap(), vec![], "a fresh cache in its place");
}

/// The work file damaged: moved aside (its bytes kept, to recover by hand), an empty one
/// started, and the console is told in a notice that names the moved file. Never a refusal to
/// start.
#[tokio::test]
async fn a_damaged_work_file_is_moved_aside_and_an_empty_one_started() {
    for how in [Damage::Truncated, Damage::GarbageInTheMiddle, Damage::RandomBytes] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("work.sqlite");
        let work = Work::open(&DbLocation::File(path.clone())).await.unwrap();
        for i in 0..200 {
            work.outbox_insert(&entry(&format!("k{i}"))).await.unwrap();
        }
        drop(work);
        checkpoint(&path).await;
        damage(&path, how);
        let damaged = std::fs::read(&path).unwrap();

        let (work, notices) = Work::open_recovering(&DbLocation::File(path.clone())).await;
        let moved = moved_files(dir.path(), "work.sqlite");
        assert_eq!(moved.len(), 1, "{how:?}: {notices:?}");
        assert_eq!(std::fs::read(&moved[0]).unwrap(), damaged, "{how:?}: nothing deleted");
        assert!(
            matches!(&notices[..], [n] if n.file == StoredFile::Work
            && n.kind == NoticeKind::MovedAside(moved[0].clone())
            && n.text.contains(&moved[0].display().to_string())
            && n.text.contains("by hand")),
            "{how:?}: {notices:?}"
        );
        assert!(work.outbox().await.unwrap().is_empty(), "an empty one");
        work.outbox_insert(&entry("new")).await.expect("and it takes new work");
    }
}

/// Deleted (or replaced) under the open file: the next write, or the timer's check, makes it
/// again at its path and says so; what the console holds is written into it in its order.
#[tokio::test]
async fn a_work_file_deleted_while_open_is_made_again_and_given_what_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("work.sqlite");
    let (work, notices) = Work::open_recovering(&DbLocation::File(path.clone())).await;
    assert!(notices.is_empty());
    let (sink, seen) = collector();
    work.set_sink(sink);
    work.outbox_insert(&entry("k1")).await.unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    // The reported bug: this went to the unlinked file, and was gone after a restart.
    work.outbox_insert(&entry("k2")).await.unwrap();
    assert!(path.exists(), "made again at its path");
    let told: Vec<_> = seen.lock().unwrap().drain(..).collect();
    assert!(
        matches!(&told[..], [n] if n.kind == NoticeKind::Recreated && n.text.contains(&path.display().to_string())),
        "{told:?}"
    );
    // The console answers the notice with everything it holds.
    let copy = WorkCopy { pending: vec![entry("k1"), entry("k2")], drafts: vec![draft()], ..WorkCopy::default() };
    work.rewrite(&copy, Utc::now()).await.unwrap();
    drop(work);
    let reopened = Work::open(&DbLocation::File(path.clone())).await.unwrap();
    let keys: Vec<String> = reopened.outbox().await.unwrap().into_iter().map(|e| e.key).collect();
    assert_eq!(keys, ["k1", "k2"], "in the order they were taken");
    assert_eq!(reopened.drafts().await.unwrap(), vec![draft()]);
    drop(reopened);

    // Replaced by another file while idle: the timer's check notices.
    let (work, _) = Work::open_recovering(&DbLocation::File(path.clone())).await;
    let (sink, seen) = collector();
    work.set_sink(sink);
    let other = dir.path().join("other.sqlite");
    std::fs::write(&other, b"").unwrap();
    std::fs::rename(&other, &path).unwrap();
    work.check_path().await;
    assert!(matches!(&seen.lock().unwrap()[..], [n] if n.kind == NoticeKind::Recreated));
    work.outbox_insert(&entry("k3")).await.unwrap();
    assert_eq!(work.outbox().await.unwrap().len(), 1, "a working file again");
}

/// The cache deleted while open: made again, and the next sync starts from empty.
#[tokio::test]
async fn a_cache_deleted_while_open_is_made_again_and_synced_from_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (cache_path, _) = filled(dir.path()).await;
    let (cache, _) = Cache::open_recovering(&DbLocation::File(cache_path.clone())).await;
    let (sink, seen) = collector();
    cache.set_sink(sink);
    std::fs::remove_file(&cache_path).unwrap();
    let meta = cache.sync_meta().await.unwrap();
    assert!(meta.cursor.is_none() && cache_path.exists());
    assert!(matches!(&seen.lock().unwrap()[..], [n] if n.file == StoredFile::Cache && n.kind == NoticeKind::Recreated));
}
