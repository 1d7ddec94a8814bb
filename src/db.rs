//! Opening SQLite databases the same way for the console's files and the reference server, and
//! what the console needs to survive its own disk: telling storage faults apart (damaged, full,
//! read-only, moved), saying them in one line that names the file and gives a hint, moving a
//! damaged file aside under a name that says when, and noticing a file deleted or replaced under
//! an open database (device and inode).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// Where a database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbLocation {
    /// Gone when the process ends: tests and the throwaway demo server.
    Memory,
    File(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the directory {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database {location}: {source}")]
    Open { location: String, source: sqlx::Error },
    #[error("cannot bring the database {location} up to date: {source}")]
    Migrate { location: String, source: sqlx::migrate::MigrateError },
}

impl DbError {
    /// What kind of storage fault this is, if it is one.
    pub fn fault(&self) -> Option<Fault> {
        match self {
            DbError::CreateDir { source, .. } => Some(io_fault(source)),
            DbError::Open { source, .. } => fault(source),
            DbError::Migrate { source: sqlx::migrate::MigrateError::Execute(source), .. } => fault(source),
            DbError::Migrate { .. } => None,
        }
    }

    /// The underlying SQLite error, for [`describe`].
    pub fn sql(&self) -> Option<&sqlx::Error> {
        match self {
            DbError::Open { source, .. } => Some(source),
            DbError::Migrate { source: sqlx::migrate::MigrateError::Execute(source), .. } => Some(source),
            _ => None,
        }
    }
}

impl DbLocation {
    pub fn describe(&self) -> String {
        match self {
            DbLocation::Memory => "(in memory)".to_string(),
            DbLocation::File(path) => path.display().to_string(),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            DbLocation::Memory => None,
            DbLocation::File(path) => Some(path),
        }
    }
}

/// Opens (creating if needed) a database in WAL mode with full fsync on commit, so a write
/// that returned has survived a crash of this process.
pub async fn open(location: &DbLocation, migrator: &sqlx::migrate::Migrator) -> Result<SqlitePool, DbError> {
    let base = SqliteConnectOptions::new().foreign_keys(true).busy_timeout(Duration::from_secs(5));
    let (options, pool_options) = match location {
        DbLocation::Memory => (
            base.in_memory(true),
            // One connection that never closes: each in-memory connection is its own database.
            SqlitePoolOptions::new().max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None),
        ),
        DbLocation::File(path) => {
            ensure_parent(path)?;
            (
                base.filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full),
                SqlitePoolOptions::new().max_connections(4),
            )
        }
    };
    let pool = pool_options
        .connect_with(options)
        .await
        .map_err(|source| DbError::Open { location: location.describe(), source })?;
    if let Err(source) = migrator.run(&pool).await {
        pool.close().await;
        return Err(DbError::Migrate { location: location.describe(), source });
    }
    Ok(pool)
}

fn ensure_parent(path: &Path) -> Result<(), DbError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir { path: dir.to_path_buf(), source })?;
    }
    Ok(())
}

/// What went wrong with a file under a database, as far as what to do about it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `SQLITE_CORRUPT`, `SQLITE_NOTADB`: the file is damaged or not a database.
    Damaged,
    /// `SQLITE_FULL`: no room on the disk (or the file system's quota).
    Full,
    /// `SQLITE_READONLY`, `SQLITE_PERM`: the file, its `-wal`/`-shm` or the file system is read-only.
    ReadOnly,
    /// The file was moved or deleted under the open database (`SQLITE_READONLY_DBMOVED`).
    Moved,
    /// `SQLITE_CANTOPEN`: the file or its folder cannot be opened or created.
    CannotOpen,
    /// `SQLITE_IOERR` and other I/O failures.
    Io,
}

/// The storage fault behind `err`, if it is one (a constraint or a bug in a query is not).
pub fn fault(err: &sqlx::Error) -> Option<Fault> {
    match err {
        sqlx::Error::Database(db) => {
            let code: i32 = db.code()?.parse().ok()?;
            match (code & 0xff, code) {
                (_, 1032) => Some(Fault::Moved),
                (11 | 26, _) => Some(Fault::Damaged),
                (13, _) => Some(Fault::Full),
                (8 | 3, _) => Some(Fault::ReadOnly),
                (14, _) => Some(Fault::CannotOpen),
                (10 | 15, _) => Some(Fault::Io),
                _ => None,
            }
        }
        sqlx::Error::Io(io) => Some(io_fault(io)),
        _ => None,
    }
}

fn io_fault(io: &std::io::Error) -> Fault {
    match io.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => Fault::Full,
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => Fault::ReadOnly,
        _ => Fault::Io,
    }
}

/// One line about `err` on the database `path`: the file, what SQLite said, and what to do.
/// A read-only database is traced to the file that is read-only: the database, a `-wal` or
/// `-shm` left behind when it was, or its folder.
pub fn describe(path: &Path, err: &sqlx::Error) -> String {
    let said = match err {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    };
    let hint = match fault(err) {
        Some(Fault::Damaged) => "the file is damaged or not a database".to_string(),
        Some(Fault::Full) => "free some space on that disk".to_string(),
        Some(Fault::ReadOnly | Fault::CannotOpen) => read_only_hint(path),
        Some(Fault::Moved) => "the file was moved or deleted while open".to_string(),
        Some(Fault::Io) | None => String::new(),
    };
    if hint.is_empty() {
        format!("{}: {said}", path.display())
    } else {
        format!("{}: {said} — {hint}", path.display())
    }
}

/// Which file makes the database read-only, and how to fix it.
pub fn read_only_hint(path: &Path) -> String {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return format!("the folder {} does not exist and cannot be created", dir.display());
    }
    if path.exists() && !writable(path) {
        return format!("the file is read-only: chmod u+w {}", path.display());
    }
    for suffix in ["-wal", "-shm"] {
        let side = sidecar(path, suffix);
        if side.exists() && !writable(&side) {
            return format!(
                "{} is read-only (left from when the file was): quit opsdeck, then remove it or chmod u+w it",
                side.display()
            );
        }
    }
    if !dir_writable(dir) {
        return format!("the folder {} is not writable (SQLite creates its -wal and -shm there)", dir.display());
    }
    "the file system may be mounted read-only".to_string()
}

fn writable(path: &Path) -> bool {
    std::fs::OpenOptions::new().append(true).open(path).is_ok()
}

fn dir_writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".opsdeck-write-probe-{}", std::process::id()));
    let ok = std::fs::File::create(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

/// `path` with `suffix` appended to its name (`cache.sqlite-wal`).
pub fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Which file a path names now: its device and inode. `None` when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

pub fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some(FileId { dev: meta.dev(), ino: meta.ino() })
}

/// Moves a damaged database aside with its `-wal` and `-shm`, as `<name>.corrupt-<UTC time>`
/// (and `<name>.corrupt-<time>-wal`, so SQLite finds the log beside the copy), and returns
/// where the database went. Nothing is deleted: it can be looked at, or recovered, by hand.
pub fn move_aside(path: &Path, now: DateTime<Utc>) -> std::io::Result<PathBuf> {
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let mut target = sidecar(path, &format!(".corrupt-{stamp}"));
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = sidecar(path, &format!(".corrupt-{stamp}-{n}"));
    }
    std::fs::rename(path, &target)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let side = sidecar(path, suffix);
        if side.exists() {
            let _ = std::fs::rename(&side, sidecar(&target, suffix));
        }
    }
    Ok(target)
}

/// What the console's files report about themselves to the user: plain text and which file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageNotice {
    pub file: StoredFile,
    pub kind: NoticeKind,
    /// One line, naming the file (and where it was moved to), with a hint.
    pub text: String,
}

/// The console's two files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredFile {
    /// The cache of server data: rebuilt from the backend when lost.
    Cache,
    /// The user's own work: the outbox, journaled drafts, note drafts.
    Work,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeKind {
    /// The file was damaged and moved to this path; a fresh one is in its place.
    MovedAside(PathBuf),
    /// The file was deleted or replaced while the console ran, and was made again at its path.
    Recreated,
    /// The cache cannot be written (full, read-only): it is kept in memory for this run.
    InMemory,
    /// The work file could not be opened or read at start: what it holds is not shown, and
    /// writes are retried.
    Unreadable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_moved_aside_takes_its_log_and_says_when() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.sqlite");
        for name in ["demo.sqlite", "demo.sqlite-wal", "demo.sqlite-shm"] {
            std::fs::write(dir.path().join(name), name).unwrap();
        }
        let at = DateTime::parse_from_rfc3339("2026-11-05T14:03:22Z").unwrap().with_timezone(&Utc);
        let moved = move_aside(&path, at).unwrap();
        assert_eq!(moved, dir.path().join("demo.sqlite.corrupt-20261105T140322Z"));
        assert_eq!(std::fs::read_to_string(&moved).unwrap(), "demo.sqlite");
        assert_eq!(std::fs::read_to_string(sidecar(&moved, "-wal")).unwrap(), "demo.sqlite-wal");
        assert!(!path.exists() && !sidecar(&path, "-shm").exists());
        std::fs::write(&path, "again").unwrap();
        let again = move_aside(&path, at).unwrap();
        assert_eq!(again, dir.path().join("demo.sqlite.corrupt-20261105T140322Z-2"), "never over an earlier one");
    }

    #[test]
    fn a_path_names_a_new_file_once_it_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "1").unwrap();
        let first = file_id(&path).unwrap();
        assert_eq!(file_id(&path), Some(first));
        std::fs::write(dir.path().join("g"), "2").unwrap();
        std::fs::rename(dir.path().join("g"), &path).unwrap();
        assert_ne!(file_id(&path), Some(first));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(file_id(&path), None);
    }
}
