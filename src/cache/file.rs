//! One of the console's SQLite files, kept usable whatever happens to it underneath: the pool
//! behind [`super::Cache`] and [`super::Work`].
//!
//! - **Damaged** (`SQLITE_CORRUPT`, `SQLITE_NOTADB`) at open, in the background check or in any
//!   later query: the file and its `-wal`/`-shm` are moved aside as `<name>.corrupt-<UTC time>`
//!   and a fresh one is made at its path.
//! - **Deleted or replaced** while open (the path's device and inode differ from the ones
//!   opened, checked before each use and on the runner's timer): a fresh file is made at the
//!   path, so nothing more goes to an unlinked inode.
//! - **Cannot be written** (full, read-only, I/O): the cache (disposable) goes on in memory for
//!   this run; the work file fails the write, which its caller reports, and is closed and opened
//!   again at the next attempt (a `chmod` or a removed `-shm` then takes effect without a
//!   restart, and a log that a full disk cut short is recovered to its last whole transaction).
//!
//! Every one of these is told once through the notice sink ([`StorageNotice`]); what the caller
//! gets back is one line naming the file, with a hint (`db::describe`).

use std::sync::Arc;

use chrono::Utc;
use sqlx::SqlitePool;

use super::CacheError;
use crate::db::{self, DbLocation, Fault, FileId, NoticeKind, StorageNotice, StoredFile};

/// Where notices go (the console sends them on as events).
pub type NoticeSink = Arc<dyn Fn(StorageNotice) + Send + Sync>;

struct Open {
    pool: Option<SqlitePool>,
    /// The file the pool has open (`None` in memory).
    id: Option<FileId>,
    /// The cache fell back to memory for this run.
    in_memory: bool,
}

pub(crate) struct StoreFile {
    location: DbLocation,
    which: StoredFile,
    migrator: &'static sqlx::migrate::Migrator,
    open: tokio::sync::Mutex<Open>,
    sink: std::sync::Mutex<Option<NoticeSink>>,
}

impl StoreFile {
    /// Opens the file, or fails: for tests and tools that want to see the error.
    pub(crate) async fn open_strict(
        location: &DbLocation,
        which: StoredFile,
        migrator: &'static sqlx::migrate::Migrator,
    ) -> Result<StoreFile, CacheError> {
        let pool = db::open(location, migrator).await?;
        let id = location.path().and_then(db::file_id);
        Ok(StoreFile::new(location, which, migrator, Open { pool: Some(pool), id, in_memory: false }))
    }

    /// Opens the file whatever state it is in: damaged, it is moved aside and made again;
    /// unopenable, the cache goes on in memory and the work file is retried at its next write.
    /// What was done is in the notices.
    pub(crate) async fn open_recovering(
        location: &DbLocation,
        which: StoredFile,
        migrator: &'static sqlx::migrate::Migrator,
        check: bool,
    ) -> (StoreFile, Vec<StorageNotice>) {
        let mut notices = Vec::new();
        let mut attempt = db::open(location, migrator).await;
        if check
            && let Ok(pool) = &attempt
            && let Err(err) = quick_check(pool).await
        {
            pool.close().await;
            attempt = Err(err);
        }
        let open = match (attempt, location.path()) {
            (Ok(pool), path) => Open { pool: Some(pool), id: path.and_then(db::file_id), in_memory: false },
            (Err(err), Some(path)) if err.fault() == Some(Fault::Damaged) => {
                let reason = err.sql().map_or_else(|| err.to_string(), |e| db::describe(path, e));
                match db::move_aside(path, Utc::now()) {
                    Ok(moved) => {
                        notices.push(moved_notice(which, path, &moved, &reason));
                        match db::open(location, migrator).await {
                            Ok(pool) => Open { pool: Some(pool), id: db::file_id(path), in_memory: false },
                            Err(err) => unopened(which, location, &err.to_string(), &mut notices, migrator).await,
                        }
                    }
                    Err(io) => {
                        let text = format!("{reason}; it cannot be moved aside ({io})");
                        unopened(which, location, &text, &mut notices, migrator).await
                    }
                }
            }
            (Err(err), Some(path)) => {
                let text = err.sql().map_or_else(|| err.to_string(), |e| db::describe(path, e));
                unopened(which, location, &text, &mut notices, migrator).await
            }
            (Err(err), None) => unopened(which, location, &err.to_string(), &mut notices, migrator).await,
        };
        (StoreFile::new(location, which, migrator, open), notices)
    }

    fn new(
        location: &DbLocation,
        which: StoredFile,
        migrator: &'static sqlx::migrate::Migrator,
        open: Open,
    ) -> StoreFile {
        StoreFile {
            location: location.clone(),
            which,
            migrator,
            open: tokio::sync::Mutex::new(open),
            sink: std::sync::Mutex::new(None),
        }
    }

    pub(crate) fn set_sink(&self, sink: NoticeSink) {
        *self.sink.lock().unwrap_or_else(|p| p.into_inner()) = Some(sink);
    }

    pub(crate) fn location(&self) -> &DbLocation {
        &self.location
    }

    fn notify(&self, notice: StorageNotice) {
        tracing::warn!(file = ?notice.file, "{}", notice.text);
        let sink = self.sink.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(sink) = sink {
            sink(notice);
        }
    }

    /// The pool to use now: the file is checked to be the one opened first (made again at its
    /// path if it was deleted or replaced), and a work file that could not be opened is tried
    /// again.
    pub(crate) async fn pool(&self) -> Result<SqlitePool, CacheError> {
        let mut open = self.open.lock().await;
        self.follow_path(&mut open).await;
        if let Some(pool) = &open.pool {
            return Ok(pool.clone());
        }
        match db::open(&self.location, self.migrator).await {
            Ok(pool) => {
                open.id = self.location.path().and_then(db::file_id);
                open.pool = Some(pool.clone());
                Ok(pool)
            }
            Err(err) => Err(CacheError::Storage(self.describe_db(&err))),
        }
    }

    /// The timer's check: is the path still the file the pool has open?
    pub(crate) async fn check_path(&self) {
        let mut open = self.open.lock().await;
        self.follow_path(&mut open).await;
    }

    async fn follow_path(&self, open: &mut Open) {
        let (Some(path), Some(id), false) = (self.location.path(), open.id, open.in_memory) else { return };
        if db::file_id(path) == Some(id) {
            return;
        }
        self.recreate(open, path).await;
    }

    /// Makes the file again at its path (it was deleted, replaced or moved while open).
    async fn recreate(&self, open: &mut Open, path: &std::path::Path) {
        if let Some(pool) = open.pool.take() {
            pool.close().await;
        }
        open.id = None;
        let text = match self.which {
            StoredFile::Cache => {
                format!("the cache {} was deleted or replaced; made it again, syncing it anew", path.display())
            }
            StoredFile::Work => {
                format!(
                    "{} was deleted or replaced; made it again and saved what this console holds into it",
                    path.display()
                )
            }
        };
        match db::open(&self.location, self.migrator).await {
            Ok(pool) => {
                open.id = db::file_id(path);
                open.pool = Some(pool);
                self.notify(StorageNotice { file: self.which, kind: NoticeKind::Recreated, text });
            }
            Err(err) => {
                let text = self.describe_db(&err);
                self.fall_back(open, &text).await;
            }
        }
    }

    /// Runs `query` on the pool, then deals with any storage fault it met: how the cache and the
    /// work file run every query.
    pub(crate) async fn with<T, F, Fut>(&self, query: F) -> Result<T, CacheError>
    where
        F: FnOnce(SqlitePool) -> Fut,
        Fut: std::future::Future<Output = Result<T, CacheError>>,
    {
        let pool = self.pool().await?;
        let result = query(pool).await;
        self.checked(result).await
    }

    /// Runs after every query: a storage fault is dealt with (see the module doc) and comes
    /// back as one line naming the file.
    pub(crate) async fn checked<T>(&self, result: Result<T, CacheError>) -> Result<T, CacheError> {
        let err = match result {
            Err(CacheError::Sql(err)) => err,
            other => return other,
        };
        let Some(fault) = db::fault(&err) else { return Err(CacheError::Sql(err)) };
        let text = match self.location.path() {
            Some(path) => db::describe(path, &err),
            None => err.to_string(),
        };
        let mut open = self.open.lock().await;
        match fault {
            Fault::Damaged => self.replace_damaged(&mut open, &text).await,
            Fault::Moved => {
                if let Some(path) = self.location.path() {
                    self.recreate(&mut open, path).await;
                }
            }
            Fault::Full | Fault::ReadOnly | Fault::CannotOpen | Fault::Io => self.fall_back(&mut open, &text).await,
        }
        Err(CacheError::Storage(text))
    }

    /// A thorough check of every page, done after the first frame for the cache (it is large)
    /// and at open for the work file (it is small).
    pub(crate) async fn verify(&self) {
        let pool = match self.open.lock().await.pool.clone() {
            Some(pool) => pool,
            None => return,
        };
        if let Err(err) = quick_check(&pool).await {
            let text = self.describe_db(&err);
            let mut open = self.open.lock().await;
            if err.fault() == Some(Fault::Damaged) {
                self.replace_damaged(&mut open, &text).await;
            }
        }
    }

    async fn replace_damaged(&self, open: &mut Open, reason: &str) {
        let Some(path) = self.location.path().filter(|_| !open.in_memory) else { return };
        if let Some(pool) = open.pool.take() {
            pool.close().await;
        }
        match db::move_aside(path, Utc::now()) {
            Ok(moved) => {
                self.notify(moved_notice(self.which, path, &moved, reason));
                match db::open(&self.location, self.migrator).await {
                    Ok(pool) => {
                        open.id = db::file_id(path);
                        open.pool = Some(pool);
                    }
                    Err(err) => {
                        let text = self.describe_db(&err);
                        self.fall_back(open, &text).await;
                    }
                }
            }
            Err(io) => {
                let text = format!("{reason}; it cannot be moved aside ({io})");
                self.fall_back(open, &text).await;
            }
        }
    }

    /// The file cannot be used now: the cache goes on in memory (told once); the work file is
    /// opened again at the next write.
    async fn fall_back(&self, open: &mut Open, text: &str) {
        match self.which {
            StoredFile::Cache if !open.in_memory => {
                if let Some(pool) = open.pool.take() {
                    pool.close().await;
                }
                open.in_memory = true;
                open.id = None;
                match db::open(&DbLocation::Memory, self.migrator).await {
                    Ok(pool) => open.pool = Some(pool),
                    Err(err) => tracing::error!(error = %err, "cannot open an in-memory cache"),
                }
                self.notify(StorageNotice {
                    file: StoredFile::Cache,
                    kind: NoticeKind::InMemory,
                    text: format!(
                        "{text}; the cache is kept in memory until opsdeck restarts (nothing of yours is in it)"
                    ),
                });
            }
            StoredFile::Cache => {}
            // Every connection is closed, even when only space was short: a connection that met
            // SQLITE_FULL half-way through its log can go on to commit frames no other
            // connection (nor the next start) will read. Opened again, the log is recovered up
            // to its last whole transaction and the next write goes on from there.
            StoredFile::Work => {
                tracing::warn!(%text, "closing the work file; it is opened again at the next write");
                if let Some(pool) = open.pool.take() {
                    pool.close().await;
                }
                open.id = None;
            }
        }
    }

    fn describe_db(&self, err: &db::DbError) -> String {
        match (self.location.path(), err.sql()) {
            (Some(path), Some(sql)) => db::describe(path, sql),
            _ => err.to_string(),
        }
    }
}

async fn quick_check(pool: &SqlitePool) -> Result<(), db::DbError> {
    let location = String::new();
    let answer: Result<String, sqlx::Error> = sqlx::query_scalar("PRAGMA quick_check(1)").fetch_one(pool).await;
    match answer {
        Ok(ok) if ok == "ok" => Ok(()),
        // SQLite reports damage it finds as rows of text; say it as the error it would raise.
        Ok(found) => Err(db::DbError::Open { location, source: damaged(&found) }),
        Err(source) => Err(db::DbError::Open { location, source }),
    }
}

/// A `SQLITE_CORRUPT` error carrying what `quick_check` found.
fn damaged(found: &str) -> sqlx::Error {
    #[derive(Debug)]
    struct Damaged(String);
    impl std::fmt::Display for Damaged {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "database disk image is malformed ({})", self.0)
        }
    }
    impl std::error::Error for Damaged {}
    impl sqlx::error::DatabaseError for Damaged {
        fn message(&self) -> &str {
            "database disk image is malformed"
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some("11".into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }
    sqlx::Error::Database(Box::new(Damaged(crate::domain::text::truncate(found, 120).to_string())))
}

fn moved_notice(which: StoredFile, path: &std::path::Path, moved: &std::path::Path, reason: &str) -> StorageNotice {
    let text = match which {
        StoredFile::Cache => format!(
            "{reason}; moved it to {} and syncing a fresh cache from the backend (nothing of yours was in it)",
            moved.display()
        ),
        StoredFile::Work => format!(
            "{reason}; moved it to {} (nothing deleted: recover queued actions and drafts from it by hand) and started an empty one at {}",
            moved.display(),
            path.display()
        ),
    };
    StorageNotice { file: which, kind: NoticeKind::MovedAside(moved.to_path_buf()), text }
}

/// The file could not be opened at all: the cache goes on in memory; the work file is tried
/// again at its next write.
async fn unopened(
    which: StoredFile,
    location: &DbLocation,
    text: &str,
    notices: &mut Vec<StorageNotice>,
    migrator: &'static sqlx::migrate::Migrator,
) -> Open {
    match which {
        StoredFile::Cache => {
            notices.push(StorageNotice {
                file: which,
                kind: NoticeKind::InMemory,
                text: format!("{text}; the cache is kept in memory until opsdeck restarts (nothing of yours is in it)"),
            });
            let pool = db::open(&DbLocation::Memory, migrator).await.ok();
            Open { pool, id: None, in_memory: true }
        }
        StoredFile::Work => {
            notices.push(StorageNotice {
                file: which,
                kind: NoticeKind::Unreadable,
                text: format!(
                    "{text}; actions and drafts saved there earlier are not shown (they stay in the file), new ones are kept in memory until it can be written"
                ),
            });
            let _ = location;
            Open { pool: None, id: None, in_memory: false }
        }
    }
}
