//! Opening SQLite databases the same way for the console's cache and the reference server.

use std::path::{Path, PathBuf};
use std::time::Duration;

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

impl DbLocation {
    fn describe(&self) -> String {
        match self {
            DbLocation::Memory => "(in memory)".to_string(),
            DbLocation::File(path) => path.display().to_string(),
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
    migrator.run(&pool).await.map_err(|source| DbError::Migrate { location: location.describe(), source })?;
    Ok(pool)
}

fn ensure_parent(path: &Path) -> Result<(), DbError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir { path: dir.to_path_buf(), source })?;
    }
    Ok(())
}
