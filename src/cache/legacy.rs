//! The user's work as caches written before the work file kept it (outbox, rejected actions,
//! drafts, note drafts, in the cache's own tables): read as raw rows, to be copied into the work
//! file, then deleted here ([`super::Work::adopt`]). The tables stay, empty, so an older opsdeck
//! opening this cache still finds them.

use super::{Cache, CacheError};

/// key, target_id, action, base_version, epoch, created_at, attempts, last_error
pub(crate) type OutboxRow = (String, String, String, i64, Option<String>, String, i64, Option<String>);

/// Rows as they are in the cache, copied column for column.
#[derive(Debug, Default)]
pub(crate) struct LegacyWork {
    pub outbox: Vec<OutboxRow>,
    /// key, entry, reason, rejected_at
    pub rejected: Vec<(String, String, String, String)>,
    /// id, author, doc
    pub drafts: Vec<(String, String, String)>,
    /// incident_id, author, text, saved_at
    pub notes: Vec<(String, String, String, String)>,
}

impl LegacyWork {
    pub fn len(&self) -> usize {
        self.outbox.len() + self.rejected.len() + self.drafts.len() + self.notes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Cache {
    pub(crate) async fn legacy_work(&self) -> Result<LegacyWork, CacheError> {
        self.file
            .with(|pool| async move {
                Ok(LegacyWork {
                    outbox: sqlx::query_as(
                        "SELECT key, target_id, action, base_version, epoch, created_at, attempts, last_error
                     FROM outbox ORDER BY seq",
                    )
                    .fetch_all(&pool)
                    .await?,
                    rejected: sqlx::query_as(
                        "SELECT key, entry, reason, rejected_at FROM outbox_rejected ORDER BY seq",
                    )
                    .fetch_all(&pool)
                    .await?,
                    drafts: sqlx::query_as("SELECT id, author, doc FROM drafts ORDER BY id, author")
                        .fetch_all(&pool)
                        .await?,
                    notes: sqlx::query_as("SELECT incident_id, author, text, saved_at FROM note_drafts")
                        .fetch_all(&pool)
                        .await?,
                })
            })
            .await
    }

    /// Deletes the rows [`Cache::legacy_work`] read, once they are safe in the work file.
    pub(crate) async fn forget_legacy_work(&self) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                for statement in [
                    "DELETE FROM outbox",
                    "DELETE FROM outbox_rejected",
                    "DELETE FROM drafts",
                    "DELETE FROM note_drafts",
                ] {
                    sqlx::query(statement).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            })
            .await
    }
}
