//! The postmortem journal and note drafts in the work file: every draft as typed, written within
//! 250 ms of an edit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Work;
use crate::cache::{CacheError, decode_all};
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
    /// Whose draft this is (`Session::author`); empty for drafts journaled before drafts had
    /// owners.
    #[serde(default)]
    pub author: String,
}

/// A note typed and not sent, kept for the next `n` on its incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteDraft {
    pub incident_id: String,
    pub author: String,
    pub text: String,
}

impl Work {
    /// Writes (or replaces) the journaled draft of one postmortem.
    pub async fn journal_draft(&self, draft: &JournaledDraft) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                upsert_draft(&pool, draft).await?;
                Ok(())
            })
            .await
    }

    /// Forgets `author`'s draft of `id` (and an ownerless one from before drafts had owners),
    /// but only if it still holds `draft` (a newer one typed since stays).
    pub async fn forget_draft(&self, id: &str, author: &str, draft: &PostmortemDraft) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                let rows: Vec<(String, String)> =
                    sqlx::query_as("SELECT author, doc FROM drafts WHERE id = ? AND (author = ? OR author = '')")
                        .bind(id)
                        .bind(author)
                        .fetch_all(&mut *tx)
                        .await?;
                for (owner, doc) in rows {
                    if serde_json::from_str::<JournaledDraft>(&doc).is_ok_and(|j| &j.draft == draft) {
                        sqlx::query("DELETE FROM drafts WHERE id = ? AND author = ?")
                            .bind(id)
                            .bind(&owner)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    /// Keeps a note typed and not sent; empty text forgets it.
    pub async fn save_note_draft(&self, note: &NoteDraft, at: DateTime<Utc>) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                if note.text.trim().is_empty() {
                    sqlx::query("DELETE FROM note_drafts WHERE incident_id = ? AND author = ?")
                        .bind(&note.incident_id)
                        .bind(&note.author)
                        .execute(&pool)
                        .await?;
                    return Ok(());
                }
                upsert_note(&pool, note, at).await?;
                Ok(())
            })
            .await
    }

    /// Every kept note draft.
    pub async fn note_drafts(&self) -> Result<Vec<NoteDraft>, CacheError> {
        self.file
            .with(|pool| async move {
                let rows: Vec<(String, String, String)> =
                    sqlx::query_as("SELECT incident_id, author, text FROM note_drafts ORDER BY incident_id, author")
                        .fetch_all(&pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(incident_id, author, text)| NoteDraft { incident_id, author, text })
                    .collect())
            })
            .await
    }

    /// Every journaled draft, by id, whoever wrote it (the console keeps its user's own).
    pub async fn drafts(&self) -> Result<Vec<JournaledDraft>, CacheError> {
        self.file
            .with(|pool| async move {
                let rows: Vec<(String, String)> =
                    sqlx::query_as("SELECT author, doc FROM drafts ORDER BY id, author").fetch_all(&pool).await?;
                // The row's owner is the truth (the document of an ownerless draft names none).
                let drafts = rows
                    .into_iter()
                    .filter_map(|(author, doc)| {
                        let mut draft: JournaledDraft = decode_all(std::slice::from_ref(&doc)).pop()?;
                        draft.author = author;
                        Some(draft)
                    })
                    .collect();
                Ok(drafts)
            })
            .await
    }
}

/// Writes one note draft, replacing the author's earlier one for that incident.
pub(super) async fn upsert_note<'e, E>(executor: E, note: &NoteDraft, at: DateTime<Utc>) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    sqlx::query(
        "INSERT INTO note_drafts (incident_id, author, text, saved_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (incident_id, author) DO UPDATE SET text = excluded.text, saved_at = excluded.saved_at",
    )
    .bind(&note.incident_id)
    .bind(&note.author)
    .bind(&note.text)
    .bind(at.to_rfc3339())
    .execute(executor)
    .await?;
    Ok(())
}

/// Writes one journaled draft, replacing the author's earlier one of that postmortem.
pub(super) async fn upsert_draft<'e, E>(executor: E, draft: &JournaledDraft) -> Result<(), CacheError>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    sqlx::query(
        "INSERT INTO drafts (id, author, doc) VALUES (?, ?, ?)
         ON CONFLICT (id, author) DO UPDATE SET doc = excluded.doc",
    )
    .bind(&draft.id)
    .bind(&draft.author)
    .bind(serde_json::to_string(draft)?)
    .execute(executor)
    .await?;
    Ok(())
}
