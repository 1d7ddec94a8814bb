//! The local SQLite cache of one backend: confirmed entities, the sync cursor, and the outbox.
//!
//! Everything the console shows at start-up comes from here, before any network call. Writes
//! that belong together (a page of changes and its cursor; a completed action and the incident
//! the server returned) share a transaction.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use crate::api::{Change, ReceivedPage};
use crate::console::outbox::{OutboxEntry, RejectedEntry};
use crate::db::{self, DbError, DbLocation};
pub use crate::domain::monitoring::MonitoringRows;
use crate::domain::{Entity, EscalationPolicy, Incident, Service, Ticket};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/cache");

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cache error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("cache holds an unreadable record: {0}")]
    Json(#[from] serde_json::Error),
}

/// Where sync stands, as kept in the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncMeta {
    pub cursor: Option<String>,
    pub epoch: Option<String>,
    pub last_ok: Option<DateTime<Utc>>,
}

/// What the first frame needs.
#[derive(Debug, Clone, Default)]
pub struct CacheSnapshot {
    /// The first incidents in list order.
    pub incidents: Vec<Incident>,
    /// How many incidents the cache holds in all.
    pub total: usize,
    /// Every open ticket and the most recently closed ones.
    pub tickets: Vec<Ticket>,
    pub services: Vec<Service>,
    pub policies: Vec<EscalationPolicy>,
    pub outbox: Vec<OutboxEntry>,
    pub rejected: Vec<RejectedEntry>,
    pub sync: SyncMeta,
    /// Empty from [`Cache::snapshot`]; the console loads it after the first frame.
    pub monitoring: MonitoringRows,
    /// Maintenance windows, cancelled ones included.
    pub maintenance: Vec<crate::domain::maintenance::MaintenanceWindow>,
    pub postmortems: Vec<crate::domain::Postmortem>,
    /// Postmortem drafts journaled and not yet on the backend as typed.
    pub drafts: Vec<JournaledDraft>,
    /// Notes typed and not sent.
    pub note_drafts: Vec<NoteDraft>,
}

/// Drift windows and quality points older than this are dropped from the cache.
pub const MONITORING_RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(14);

#[derive(Clone)]
pub struct Cache {
    pool: SqlitePool,
}

/// key, target_id, action, base_version, epoch, created_at, attempts, last_error
type OutboxRow = (String, String, String, i64, Option<String>, String, i64, Option<String>);

/// Incidents in the order the list shows them (the `rank` column; see migration 0005). Spelled out
/// in each query rather than spliced in with `format!`: SQL here is always a literal.
const FIRST_INCIDENTS: &str = "SELECT doc FROM incidents ORDER BY rank, sort_at DESC, id LIMIT ?";
const ALL_INCIDENTS: &str = "SELECT doc FROM incidents ORDER BY rank, sort_at DESC, id";
/// What a replaced server database empties: the server's data, never the user's own work.
const RESET: [&str; 4] =
    ["DELETE FROM incidents", "DELETE FROM tickets", "DELETE FROM entities", "DELETE FROM monitoring"];
/// Resolved and closed tickets kept on screen besides the open ones.
pub const CLOSED_TICKETS_SHOWN: u32 = 500;

impl Cache {
    pub async fn open(location: &DbLocation) -> Result<Cache, CacheError> {
        Ok(Cache { pool: db::open(location, &MIGRATOR).await? })
    }

    /// The first `first` incidents in list order, the count, and everything small.
    pub async fn snapshot(&self, first: u32) -> Result<CacheSnapshot, CacheError> {
        let docs: Vec<String> =
            sqlx::query_scalar(FIRST_INCIDENTS).bind(i64::from(first)).fetch_all(&self.pool).await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents").fetch_one(&self.pool).await?;
        Ok(CacheSnapshot {
            incidents: decode_all(&docs),
            total: usize::try_from(total).unwrap_or(0),
            tickets: self.tickets().await?,
            services: self.entities("service").await?,
            policies: self.entities("escalation_policy").await?,
            outbox: self.outbox().await?,
            rejected: self.rejected(crate::console::outbox::REJECTED_SHOWN).await?,
            sync: self.sync_meta().await?,
            // Read after the first frame (`Cache::monitoring`): parsing a week of windows and
            // computing their statistics would take longer than everything else here.
            monitoring: MonitoringRows::default(),
            maintenance: self.entities("maintenance").await?,
            postmortems: self.entities("postmortem").await?,
            drafts: self.drafts().await?,
            note_drafts: self.note_drafts().await?,
        })
    }

    /// Every cached model in the order the backend first sent them, and the windows and quality
    /// points within the retention period, oldest first.
    pub async fn monitoring(&self) -> Result<MonitoringRows, CacheError> {
        Ok(MonitoringRows {
            models: self.monitoring_docs("model").await?,
            windows: self.monitoring_docs("drift_window").await?,
            quality: self.monitoring_docs("quality").await?,
        })
    }

    async fn monitoring_docs<T: serde::de::DeserializeOwned>(&self, kind: &str) -> Result<Vec<T>, CacheError> {
        let docs: Vec<String> = sqlx::query_scalar("SELECT doc FROM monitoring WHERE kind = ? ORDER BY at, rowid")
            .bind(kind)
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_all(&docs))
    }

    /// Every cached incident in list order.
    pub async fn incidents(&self) -> Result<Vec<Incident>, CacheError> {
        let docs: Vec<String> = sqlx::query_scalar(ALL_INCIDENTS).fetch_all(&self.pool).await?;
        Ok(decode_all(&docs))
    }

    /// Open tickets, then the most recently changed closed ones.
    pub async fn tickets(&self) -> Result<Vec<Ticket>, CacheError> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM tickets WHERE open = 1
             UNION ALL
             SELECT doc FROM (SELECT doc FROM tickets WHERE open = 0 ORDER BY sort_at DESC LIMIT ?)",
        )
        .bind(i64::from(CLOSED_TICKETS_SHOWN))
        .fetch_all(&self.pool)
        .await?;
        Ok(decode_all(&docs))
    }

    async fn entities<T: serde::de::DeserializeOwned>(&self, kind: &str) -> Result<Vec<T>, CacheError> {
        let docs: Vec<String> = sqlx::query_scalar("SELECT doc FROM entities WHERE kind = ? ORDER BY id")
            .bind(kind)
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_all(&docs))
    }

    pub async fn sync_meta(&self) -> Result<SyncMeta, CacheError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM meta").fetch_all(&self.pool).await?;
        let mut meta = SyncMeta::default();
        for (key, value) in rows {
            match key.as_str() {
                "cursor" => meta.cursor = Some(value),
                "epoch" => meta.epoch = Some(value),
                "last_ok" => meta.last_ok = DateTime::parse_from_rfc3339(&value).ok().map(|t| t.with_timezone(&Utc)),
                _ => {}
            }
        }
        Ok(meta)
    }

    /// Stores one page of changes and the cursor after it, atomically. With `reset`, the cache
    /// is emptied first (the server's database was replaced).
    pub async fn apply_page(&self, page: &ReceivedPage, reset: bool, at: DateTime<Utc>) -> Result<(), CacheError> {
        let mut tx = self.pool.begin().await?;
        if reset {
            for statement in RESET {
                sqlx::query(statement).execute(&mut *tx).await?;
            }
        }
        for change in &page.changes {
            match change {
                Change::Incident(incident) => upsert_incident(&mut tx, incident).await?,
                Change::Service(service) => put_entity(&mut tx, "service", &service.id, service).await?,
                Change::EscalationPolicy(policy) => {
                    put_entity(&mut tx, "escalation_policy", &policy.id, policy).await?
                }
                Change::Ticket(ticket) => upsert_ticket(&mut tx, ticket).await?,
                Change::Model(model) => put_monitoring(&mut tx, "model", &model.id, 0, model).await?,
                Change::DriftWindow(w) => {
                    put_monitoring(&mut tx, "drift_window", &w.id(), w.start.timestamp(), w).await?
                }
                Change::Quality(q) => put_monitoring(&mut tx, "quality", &q.id(), q.start.timestamp(), q).await?,
                Change::Maintenance(window) => put_entity(&mut tx, "maintenance", &window.id, window).await?,
                Change::Postmortem(pm) => put_entity(&mut tx, "postmortem", &pm.id, pm).await?,
            }
        }
        let monitored = page.changes.iter().any(|c| matches!(c, Change::DriftWindow(_) | Change::Quality(_)));
        if monitored {
            sqlx::query("DELETE FROM monitoring WHERE kind != 'model' AND at < ?")
                .bind((at - MONITORING_RETENTION).timestamp())
                .execute(&mut *tx)
                .await?;
        }
        for (key, value) in
            [("cursor", page.cursor.as_str()), ("epoch", page.epoch.as_str()), ("last_ok", &at.to_rfc3339())]
        {
            set_meta(&mut tx, key, value).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a successful contact that brought no changes.
    pub async fn touch_last_ok(&self, at: DateTime<Utc>) -> Result<(), CacheError> {
        let mut tx = self.pool.begin().await?;
        set_meta(&mut tx, "last_ok", &at.to_rfc3339()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores incidents unless the cache already has a newer version of one.
    pub async fn put_incidents(&self, incidents: &[Incident]) -> Result<(), CacheError> {
        let mut tx = self.pool.begin().await?;
        for incident in incidents {
            upsert_incident(&mut tx, incident).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, CacheError> {
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "SELECT key, target_id, action, base_version, epoch, created_at, attempts, last_error
             FROM outbox ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for (key, target_id, action, base_version, epoch, created_at, attempts, last_error) in rows {
            entries.push(OutboxEntry {
                key,
                target_id,
                action: serde_json::from_str(&action)?,
                base_version,
                epoch,
                created_at: DateTime::parse_from_rfc3339(&created_at)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default(),
                attempts: u32::try_from(attempts).unwrap_or(0),
                last_error,
            });
        }
        Ok(entries)
    }

    /// The most recent rejected actions, newest first.
    pub async fn rejected(&self, limit: usize) -> Result<Vec<RejectedEntry>, CacheError> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT entry, reason, rejected_at FROM outbox_rejected ORDER BY seq DESC LIMIT ?")
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (entry, reason, rejected_at) in rows {
            out.push(RejectedEntry {
                entry: serde_json::from_str(&entry)?,
                reason,
                rejected_at: DateTime::parse_from_rfc3339(&rejected_at)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default(),
            });
        }
        Ok(out)
    }

    pub async fn outbox_insert(&self, entry: &OutboxEntry) -> Result<(), CacheError> {
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The server applied `key`: drop it, keep the item it returned, and move the base
    /// version of the user's later entries on that item.
    pub async fn outbox_complete(
        &self,
        key: &str,
        entity: &Entity,
        rebased: &[(String, i64)],
    ) -> Result<(), CacheError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM outbox WHERE key = ?").bind(key).execute(&mut *tx).await?;
        upsert_entity(&mut tx, entity).await?;
        for (other, version) in rebased {
            sqlx::query("UPDATE outbox SET base_version = ? WHERE key = ?")
                .bind(version)
                .bind(other)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The server refused the entry: keep it, with the reason, among the rejected.
    pub async fn outbox_reject(&self, rejected: &RejectedEntry, current: Option<&Entity>) -> Result<(), CacheError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM outbox WHERE key = ?").bind(&rejected.entry.key).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO outbox_rejected (key, entry, reason, rejected_at) VALUES (?, ?, ?, ?)")
            .bind(&rejected.entry.key)
            .bind(serde_json::to_string(&rejected.entry)?)
            .bind(&rejected.reason)
            .bind(rejected.rejected_at.to_rfc3339())
            .execute(&mut *tx)
            .await?;
        if let Some(entity) = current {
            upsert_entity(&mut tx, entity).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an entry the user dropped, queued or rejected.
    pub async fn outbox_drop(&self, key: &str) -> Result<(), CacheError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM outbox WHERE key = ?").bind(key).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM outbox_rejected WHERE key = ?").bind(key).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn outbox_attempt(&self, key: &str, error: &str) -> Result<(), CacheError> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE key = ?")
            .bind(error)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

async fn upsert_incident(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, incident: &Incident) -> Result<(), CacheError> {
    let (rank, sort_at) = incident.list_order();
    sqlx::query(
        "INSERT INTO incidents (id, version, rank, sort_at, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, rank = excluded.rank,
             sort_at = excluded.sort_at, doc = excluded.doc
         WHERE excluded.version >= incidents.version",
    )
    .bind(&incident.id)
    .bind(incident.version)
    .bind(i64::from(rank))
    .bind(sort_at)
    .bind(serde_json::to_string(incident)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn upsert_ticket(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, ticket: &Ticket) -> Result<(), CacheError> {
    sqlx::query(
        "INSERT INTO tickets (key, version, open, sort_at, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET version = excluded.version, open = excluded.open,
             sort_at = excluded.sort_at, doc = excluded.doc
         WHERE excluded.version >= tickets.version",
    )
    .bind(&ticket.key)
    .bind(ticket.version)
    .bind(ticket.is_open())
    .bind(ticket.updated_at.timestamp_millis())
    .bind(serde_json::to_string(ticket)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn upsert_entity(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, entity: &Entity) -> Result<(), CacheError> {
    match entity {
        Entity::Incident(incident) => upsert_incident(tx, incident).await,
        Entity::Ticket(ticket) => upsert_ticket(tx, ticket).await,
        Entity::Maintenance(window) => put_entity(tx, "maintenance", &window.id, window).await,
        Entity::Postmortem(postmortem) => put_entity(tx, "postmortem", &postmortem.id, postmortem).await,
    }
}

async fn put_entity(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    kind: &str,
    id: &str,
    doc: &impl serde::Serialize,
) -> Result<(), CacheError> {
    sqlx::query(
        "INSERT INTO entities (kind, id, doc) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc",
    )
    .bind(kind)
    .bind(id)
    .bind(serde_json::to_string(doc)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn put_monitoring(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    kind: &str,
    id: &str,
    at: i64,
    doc: &impl serde::Serialize,
) -> Result<(), CacheError> {
    sqlx::query(
        "INSERT INTO monitoring (kind, id, at, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind, id) DO UPDATE SET at = excluded.at, doc = excluded.doc",
    )
    .bind(kind)
    .bind(id)
    .bind(at)
    .bind(serde_json::to_string(doc)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn set_meta(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, key: &str, value: &str) -> Result<(), CacheError> {
    sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Decodes documents, skipping (and logging) any that do not parse: one bad row must not
/// hide the rest of the cache.
fn decode_all<T: serde::de::DeserializeOwned>(docs: &[String]) -> Vec<T> {
    docs.iter()
        .filter_map(|doc| match serde_json::from_str(doc) {
            Ok(value) => Some(value),
            Err(err) => {
                tracing::warn!(error = %err, "skipping an unreadable cache record");
                None
            }
        })
        .collect()
}

mod drafts;
pub use drafts::{JournaledDraft, NoteDraft};

#[cfg(test)]
mod tests;
