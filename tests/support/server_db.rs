//! A server database holding many incidents, for the tests and benches that catch up with one:
//! the incidents are appended to the feed after what the server seeded, in one transaction.
//! (Needs `pty.rs` beside it in the crate: `server_with_incidents` runs the real server.)
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use opsdeck::domain::Incident;

/// The real server `bin` on a database in `dir` that holds `n` incidents of the fixtures after
/// the catalog it seeded (it is started once to seed it, stopped, filled, and started again).
pub fn server_with_incidents(
    bin: &Path,
    dir: &Path,
    n: usize,
    timeout: Duration,
) -> Result<crate::pty::Server, String> {
    let db = dir.join("server.sqlite");
    let tokens = dir.join("tokens.toml");
    crate::pty::write_tokens(&tokens).map_err(|e| format!("tokens file: {e}"))?;
    crate::pty::Server::start(bin, &db, &tokens, timeout)?.terminate(timeout)?;
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).single().ok_or("a fixed time")?;
    let incidents = opsdeck::fixtures::many_incidents(n, now);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(append_incidents(&db, &incidents))?;
    crate::pty::Server::start(bin, &db, &tokens, timeout)
}

/// Appends `incidents` to the change feed of the server database at `db` (which a server has
/// created: it holds the catalog), as the server stores them.
pub async fn append_incidents(db: &Path, incidents: &[Incident]) -> Result<(), String> {
    let url = format!("sqlite://{}", db.display());
    let pool = sqlx::SqlitePool::connect(&url).await.map_err(|e| format!("{}: {e}", db.display()))?;
    let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM entities")
        .fetch_one(&pool)
        .await
        .map_err(|e| format!("reading the feed: {e}"))?;
    let mut tx = pool.begin().await.map_err(|e| format!("begin: {e}"))?;
    for (i, incident) in incidents.iter().enumerate() {
        let doc = serde_json::to_string(incident).map_err(|e| format!("{}: {e}", incident.id))?;
        sqlx::query("INSERT INTO entities (kind, id, seq, open, doc) VALUES ('incident', ?, ?, ?, ?)")
            .bind(&incident.id)
            .bind(first + 1 + i as i64)
            .bind(incident.is_open())
            .bind(doc)
            .execute(&mut *tx)
            .await
            .map_err(|e| format!("storing {}: {e}", incident.id))?;
    }
    tx.commit().await.map_err(|e| format!("commit: {e}"))?;
    pool.close().await;
    Ok(())
}
