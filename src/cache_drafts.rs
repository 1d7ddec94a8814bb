//! The postmortem journal in the cache: every draft as typed, written within 250 ms of an edit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Cache, CacheError, decode_all};
use crate::domain::PostmortemDraft;

/// A postmortem draft as journaled: what the writer had typed, on top of which revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournaledDraft {
    /// `PM-1042`.
    pub id: String,
    pub incident_id: String,
    /// The revision the text is based on (0: not on the backend yet).
    pub base_version: i64,
    pub draft: PostmortemDraft,
    pub journaled_at: DateTime<Utc>,
}

impl Cache {
    /// Writes (or replaces) the journaled draft of one postmortem.
    pub async fn journal_draft(&self, draft: &JournaledDraft) -> Result<(), CacheError> {
        sqlx::query("INSERT INTO drafts (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc")
            .bind(&draft.id)
            .bind(serde_json::to_string(draft)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets the draft of `id`, but only if it still holds `draft` (a newer one typed since
    /// stays).
    pub async fn forget_draft(&self, id: &str, draft: &PostmortemDraft) -> Result<(), CacheError> {
        let mut tx = self.pool.begin().await?;
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM drafts WHERE id = ?").bind(id).fetch_optional(&mut *tx).await?;
        let same = doc.and_then(|d| serde_json::from_str::<JournaledDraft>(&d).ok()).is_some_and(|j| &j.draft == draft);
        if same {
            sqlx::query("DELETE FROM drafts WHERE id = ?").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every journaled draft, by id.
    pub async fn drafts(&self) -> Result<Vec<JournaledDraft>, CacheError> {
        let docs: Vec<String> = sqlx::query_scalar("SELECT doc FROM drafts ORDER BY id").fetch_all(&self.pool).await?;
        Ok(decode_all(&docs))
    }
}
