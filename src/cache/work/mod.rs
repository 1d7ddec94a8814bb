//! The work file: the user's own work, which the backend cannot give back — the outbox (queued
//! and rejected actions), journaled postmortem drafts and note drafts. Small, apart from the
//! cache, with its own migrations (`migrations/work`).
//!
//! It is checked page by page at open (it is small); damaged, it is moved aside (nothing is
//! deleted) and an empty one is started, and the console says so for as long as it runs. A
//! write that fails (full, read-only) fails to its caller, which keeps the work in memory and
//! says so; the next write tries the file again. Deleted or replaced while the console runs, it
//! is made again at its path and the console writes what it holds into it ([`Work::rewrite`]).
//!
//! The outbox and its item: when the server confirms an action, the item it returned goes to
//! the cache and the entry leaves this file — two files, so two writes, in that order. A crash
//! between them leaves the entry here; the next start sends it again with the same
//! Idempotency-Key, the server replays its first answer, and the action still happened once.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::file::{NoticeSink, StoreFile};
use super::{Cache, CacheError, CacheSnapshot};
use crate::console::outbox::{OutboxEntry, RejectedEntry};
use crate::db::{DbLocation, StorageNotice, StoredFile};

mod drafts;
pub use drafts::{JournaledDraft, NoteDraft};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/work");

#[derive(Clone)]
pub struct Work {
    file: Arc<StoreFile>,
}

/// What the console holds of the user's work, to write again into a file made anew (or to
/// retry what a full disk refused). Written in one transaction; what the file has already stays.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkCopy {
    pub pending: Vec<OutboxEntry>,
    pub rejected: Vec<RejectedEntry>,
    pub drafts: Vec<JournaledDraft>,
    pub notes: Vec<NoteDraft>,
}

impl WorkCopy {
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.rejected.is_empty() && self.drafts.is_empty() && self.notes.is_empty()
    }
}

/// key, target_id, action, base_version, epoch, created_at, attempts, last_error
type OutboxRow = (String, String, String, i64, Option<String>, String, i64, Option<String>);

impl Work {
    /// Opens the work file, or fails (tests and tools).
    pub async fn open(location: &DbLocation) -> Result<Work, CacheError> {
        Ok(Work { file: Arc::new(StoreFile::open_strict(location, StoredFile::Work, &MIGRATOR).await?) })
    }

    /// Opens the work file whatever state it is in, checking every page; never fails, and says
    /// what it did (moved a damaged one aside, could not open it).
    pub async fn open_recovering(location: &DbLocation) -> (Work, Vec<StorageNotice>) {
        let (file, notices) = StoreFile::open_recovering(location, StoredFile::Work, &MIGRATOR, true).await;
        (Work { file: Arc::new(file) }, notices)
    }

    pub fn set_sink(&self, sink: NoticeSink) {
        self.file.set_sink(sink);
    }

    pub fn location(&self) -> &DbLocation {
        self.file.location()
    }

    /// Checks that the path still names the file open (made again if not, with a notice).
    pub async fn check_path(&self) {
        self.file.check_path().await;
    }

    /// Fills the user's part of a snapshot: queued and rejected actions, drafts and notes.
    pub async fn load_into(&self, snapshot: &mut CacheSnapshot) -> Result<(), CacheError> {
        snapshot.outbox = self.outbox().await?;
        snapshot.rejected = self.rejected(crate::console::outbox::REJECTED_SHOWN).await?;
        snapshot.drafts = self.drafts().await?;
        snapshot.note_drafts = self.note_drafts().await?;
        Ok(())
    }

    /// Moves the user's work an earlier opsdeck kept in the cache into this file: copied here
    /// first, then deleted there, so a crash in between loses nothing (copying twice changes
    /// nothing: keys are unique). Returns how many rows came over.
    pub async fn adopt(&self, cache: &Cache) -> Result<usize, CacheError> {
        let legacy = cache.legacy_work().await?;
        if legacy.is_empty() {
            return Ok(0);
        }
        let rows = legacy.len();
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                for (key, target, action, base, epoch, created, attempts, error) in &legacy.outbox {
                    sqlx::query(
                    "INSERT INTO outbox (key, target_id, action, base_version, epoch, created_at, attempts, last_error)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(target)
                .bind(action)
                .bind(base)
                .bind(epoch)
                .bind(created)
                .bind(attempts)
                .bind(error)
                .execute(&mut *tx)
                .await?;
                }
                for (key, entry, reason, at) in &legacy.rejected {
                    sqlx::query(
                        "INSERT INTO outbox_rejected (key, entry, reason, rejected_at) VALUES (?, ?, ?, ?)
                     ON CONFLICT (key) DO NOTHING",
                    )
                    .bind(key)
                    .bind(entry)
                    .bind(reason)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                for (id, author, doc) in &legacy.drafts {
                    sqlx::query(
                        "INSERT INTO drafts (id, author, doc) VALUES (?, ?, ?) ON CONFLICT (id, author) DO NOTHING",
                    )
                    .bind(id)
                    .bind(author)
                    .bind(doc)
                    .execute(&mut *tx)
                    .await?;
                }
                for (incident, author, text, at) in &legacy.notes {
                    sqlx::query(
                        "INSERT INTO note_drafts (incident_id, author, text, saved_at) VALUES (?, ?, ?, ?)
                     ON CONFLICT (incident_id, author) DO NOTHING",
                    )
                    .bind(incident)
                    .bind(author)
                    .bind(text)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            })
            .await?;
        cache.forget_legacy_work().await?;
        tracing::info!(rows, "moved the user's work from the cache into the work file");
        Ok(rows)
    }

    /// Queued actions, in the order they were taken.
    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, CacheError> {
        let rows: Vec<OutboxRow> = self
            .file
            .with(|pool| async move {
                Ok(sqlx::query_as(
                    "SELECT key, target_id, action, base_version, epoch, created_at, attempts, last_error
                     FROM outbox ORDER BY seq",
                )
                .fetch_all(&pool)
                .await?)
            })
            .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for (key, target_id, action, base_version, epoch, created_at, attempts, last_error) in rows {
            entries.push(OutboxEntry {
                key,
                target_id,
                action: serde_json::from_str(&action)?,
                base_version,
                epoch,
                created_at: parse_time(&created_at),
                attempts: u32::try_from(attempts).unwrap_or(0),
                last_error,
            });
        }
        Ok(entries)
    }

    /// The most recent rejected actions, newest first.
    pub async fn rejected(&self, limit: usize) -> Result<Vec<RejectedEntry>, CacheError> {
        let rows: Vec<(String, String, String)> = self
            .file
            .with(|pool| async move {
                Ok(sqlx::query_as("SELECT entry, reason, rejected_at FROM outbox_rejected ORDER BY seq DESC LIMIT ?")
                    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                    .fetch_all(&pool)
                    .await?)
            })
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (entry, reason, rejected_at) in rows {
            out.push(RejectedEntry {
                entry: serde_json::from_str(&entry)?,
                reason,
                rejected_at: parse_time(&rejected_at),
            });
        }
        Ok(out)
    }

    pub async fn outbox_insert(&self, entry: &OutboxEntry) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                insert_entry(&mut tx, entry).await?;
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    /// The server applied `key` (its item is in the cache already, see the module doc): drop
    /// it, and move the base version of the user's later entries on that item.
    pub async fn outbox_complete(&self, key: &str, rebased: &[(String, i64)]) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                sqlx::query("DELETE FROM outbox WHERE key = ?").bind(key).execute(&mut *tx).await?;
                for (other, version) in rebased {
                    sqlx::query("UPDATE outbox SET base_version = ? WHERE key = ?")
                        .bind(version)
                        .bind(other)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    /// The server refused the entry: keep it, with the reason, among the rejected.
    pub async fn outbox_reject(&self, rejected: &RejectedEntry) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                sqlx::query("DELETE FROM outbox WHERE key = ?").bind(&rejected.entry.key).execute(&mut *tx).await?;
                insert_rejected(&mut tx, rejected).await?;
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    /// Deletes an entry the user dropped, queued or rejected.
    pub async fn outbox_drop(&self, key: &str) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                sqlx::query("DELETE FROM outbox WHERE key = ?").bind(key).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM outbox_rejected WHERE key = ?").bind(key).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    pub async fn outbox_attempt(&self, key: &str, error: &str) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE key = ?")
                    .bind(error)
                    .bind(key)
                    .execute(&pool)
                    .await?;
                Ok(())
            })
            .await
    }

    /// Writes what the console holds into the file, in one transaction: its queued entries in
    /// its order, its drafts and notes as it has them; what else the file has stays.
    pub async fn rewrite(&self, copy: &WorkCopy, at: DateTime<Utc>) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                // In the order the console holds them (the order they are sent in), after any the
                // file has that the console does not.
                for entry in &copy.pending {
                    sqlx::query("DELETE FROM outbox WHERE key = ?").bind(&entry.key).execute(&mut *tx).await?;
                    insert_entry(&mut tx, entry).await?;
                }
                for rejected in copy.rejected.iter().rev() {
                    insert_rejected(&mut tx, rejected).await?;
                }
                for draft in &copy.drafts {
                    drafts::upsert_draft(&mut *tx, draft).await?;
                }
                for note in copy.notes.iter().filter(|n| !n.text.trim().is_empty()) {
                    drafts::upsert_note(&mut *tx, note, at).await?;
                }
                tx.commit().await?;
                Ok(())
            })
            .await
    }
}

async fn insert_entry(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, entry: &OutboxEntry) -> Result<(), CacheError> {
    sqlx::query(
        "INSERT INTO outbox (key, target_id, action, base_version, epoch, created_at, attempts, last_error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
    )
    .bind(&entry.key)
    .bind(&entry.target_id)
    .bind(serde_json::to_string(&entry.action)?)
    .bind(entry.base_version)
    .bind(&entry.epoch)
    .bind(entry.created_at.to_rfc3339())
    .bind(i64::from(entry.attempts))
    .bind(&entry.last_error)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_rejected(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    rejected: &RejectedEntry,
) -> Result<(), CacheError> {
    sqlx::query(
        "INSERT INTO outbox_rejected (key, entry, reason, rejected_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(&rejected.entry.key)
    .bind(serde_json::to_string(&rejected.entry)?)
    .bind(&rejected.reason)
    .bind(rejected.rejected_at.to_rfc3339())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn parse_time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

#[cfg(test)]
mod tests;
