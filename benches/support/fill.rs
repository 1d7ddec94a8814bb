//! A console cache file filled for a benchmark: `n` incidents and `m` open tickets of the
//! fixtures, written the way the console writes them, checkpointed so the file is whole.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use opsdeck::api::{Change, ReceivedPage};
use opsdeck::cache::Cache;
use opsdeck::db::DbLocation;

/// Filling the cache in pages of this many rows (one transaction each).
const FILL_PAGE: usize = 50_000;

/// Creates the cache file at `path` holding `incidents` incidents and `tickets` open tickets.
pub fn fill_cache(path: &Path, incidents: usize, tickets: usize) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("runtime: {e}"))?;
    rt.block_on(async {
        let cache = Cache::open(&DbLocation::File(path.to_path_buf())).await.map_err(|e| format!("cache: {e}"))?;
        let now = Utc::now();
        let all = opsdeck::fixtures::many_incidents(incidents, now);
        for chunk in all.chunks(FILL_PAGE) {
            cache.put_incidents(chunk).await.map_err(|e| format!("filling the cache: {e}"))?;
        }
        drop(all);
        let all = opsdeck::fixtures::many_tickets(tickets, now);
        for (n, chunk) in all.chunks(FILL_PAGE).enumerate() {
            let page = ReceivedPage {
                epoch: "bench".into(),
                cursor: n.to_string(),
                has_more: false,
                changes: chunk.iter().cloned().map(Change::Ticket).collect(),
                skipped_unknown: 0,
                remaining: None,
            };
            cache.apply_page(&page, false, now).await.map_err(|e| format!("filling the cache: {e}"))?;
        }
        drop(cache);
        use sqlx::Connection;
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.map_err(|e| format!("cache: {e}"))?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .map_err(|e| format!("checkpoint: {e}"))?;
        conn.close().await.map_err(|e| format!("closing the cache: {e}"))?;
        Ok::<_, String>(())
    })?;
    rt.shutdown_timeout(Duration::from_secs(10));
    Ok(())
}
