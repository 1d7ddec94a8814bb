//! The console's two SQLite files, and the cache of one backend: confirmed entities and the
//! sync cursor.
//!
//! - [`Cache`] (`<data dir>/cache/<backend>.sqlite`) holds only what can be rebuilt from the
//!   backend. Damaged, it is moved aside and synced anew; unwritable, it goes on in memory.
//! - [`Work`] (`<data dir>/work/<backend>.sqlite`, `work/`) holds the user's own work: the
//!   outbox (queued and rejected actions), journaled postmortem drafts and note drafts. Caches
//!   written by earlier versions kept these too; they are moved over once ([`Work::adopt`]).
//!
//! Both go through [`file::StoreFile`], which deals with damaged, deleted and unwritable files.
//! Everything the console shows at start-up comes from here, before any network call: the first
//! frame's reads are `first.rs`, the pages read after it `pages.rs`. Writes
//! that belong together (a page of changes and its cursor) share a transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::api::{Change, ReceivedPage};
use crate::console::outbox::{OutboxEntry, RejectedEntry};
use crate::db::{DbError, DbLocation, StorageNotice, StoredFile};
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
    /// A storage fault, said in one line naming the file, with a hint (`db::describe`).
    #[error("{0}")]
    Storage(String),
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
    /// How many incidents the cache holds in all (with `counts_pending`: those read so far).
    pub total: usize,
    /// The open tickets changed last, as many as the first frame reads; the rest (every open
    /// ticket and the most recently closed ones, [`Cache::tickets`]) loads after it.
    pub tickets: Vec<Ticket>,
    /// How many tickets that full load holds (with `counts_pending`: those read so far).
    pub tickets_total: usize,
    /// The cache holds more than the first frame read (or its tickets were not read,
    /// [`Cache::first_screen`]), and was not counted for it: the counts come after it
    /// ([`Cache::counts`]).
    pub counts_pending: bool,
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
    file: Arc<file::StoreFile>,
}

/// Incidents in the order the list shows them (the `rank` column; see migration 0005). Spelled out
/// in each query rather than spliced in with `format!`: SQL here is always a literal.
const ALL_INCIDENTS: &str = "SELECT doc FROM incidents ORDER BY rank, sort_at DESC, id";
/// What a replaced server database empties: the server's data, never the user's own work.
const RESET: [&str; 4] =
    ["DELETE FROM incidents", "DELETE FROM tickets", "DELETE FROM entities", "DELETE FROM monitoring"];
/// Resolved and closed tickets kept on screen besides the open ones.
pub const CLOSED_TICKETS_SHOWN: u32 = 500;

impl Cache {
    /// Opens the cache, or fails (tests and tools).
    pub async fn open(location: &DbLocation) -> Result<Cache, CacheError> {
        let file = file::StoreFile::open_strict(location, StoredFile::Cache, &MIGRATOR).await?;
        Ok(Cache { file: Arc::new(file) })
    }

    /// Opens the cache whatever state its file is in (see `file.rs`): never fails, and says
    /// what it did. The thorough check of every page is [`Cache::verify`], after the first frame.
    pub async fn open_recovering(location: &DbLocation) -> (Cache, Vec<StorageNotice>) {
        let (file, notices) = file::StoreFile::open_recovering(location, StoredFile::Cache, &MIGRATOR, false).await;
        (Cache { file: Arc::new(file) }, notices)
    }

    /// Where later notices (damaged, deleted, unwritable) go.
    pub fn set_sink(&self, sink: file::NoticeSink) {
        self.file.set_sink(sink);
    }

    pub fn location(&self) -> &DbLocation {
        self.file.location()
    }

    /// Checks every page; a damaged cache is moved aside and made again.
    pub async fn verify(&self) {
        self.file.verify().await;
    }

    /// Checks that the path still names the file open (made again if not).
    pub async fn check_path(&self) {
        self.file.check_path().await;
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
        let docs: Vec<String> = self
            .file
            .with(|pool| async move {
                Ok(sqlx::query_scalar("SELECT doc FROM monitoring WHERE kind = ? ORDER BY at, rowid")
                    .bind(kind)
                    .fetch_all(&pool)
                    .await?)
            })
            .await?;
        Ok(decode_all(&docs))
    }

    /// Every cached incident in list order.
    pub async fn incidents(&self) -> Result<Vec<Incident>, CacheError> {
        let docs: Vec<String> =
            self.file.with(|pool| async move { Ok(sqlx::query_scalar(ALL_INCIDENTS).fetch_all(&pool).await?) }).await?;
        Ok(decode_all(&docs))
    }

    /// One cached incident in full (its timeline with it), if the cache holds it: what a
    /// compact row in the console reads when it is opened.
    pub async fn incident(&self, id: &str) -> Result<Option<Incident>, CacheError> {
        let doc: Option<String> = self
            .file
            .with(|pool| async move {
                Ok(sqlx::query_scalar("SELECT doc FROM incidents WHERE id = ?").bind(id).fetch_optional(&pool).await?)
            })
            .await?;
        Ok(doc.map(|doc| serde_json::from_str(&doc)).transpose()?)
    }

    /// One cached ticket in full (its history and message with it), if the cache holds it.
    pub async fn ticket(&self, key: &str) -> Result<Option<Ticket>, CacheError> {
        let doc: Option<String> = self
            .file
            .with(|pool| async move {
                Ok(sqlx::query_scalar("SELECT doc FROM tickets WHERE key = ?").bind(key).fetch_optional(&pool).await?)
            })
            .await?;
        Ok(doc.map(|doc| serde_json::from_str(&doc)).transpose()?)
    }

    /// Up to `limit` open tickets stored after row `after` (0: from the first), in no
    /// particular order, and the row to read on from (`None`: that was the last page); the
    /// closed ones shown come last, in one page ([`Cache::closed_tickets`]).
    pub async fn open_tickets_page(&self, after: i64, limit: u32) -> Result<(Vec<Ticket>, Option<i64>), CacheError> {
        let rows: Vec<(i64, String)> = self
            .file
            .with(|pool| async move {
                Ok(sqlx::query_as("SELECT rowid, doc FROM tickets WHERE open = 1 AND rowid > ? ORDER BY rowid LIMIT ?")
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&pool)
                    .await?)
            })
            .await?;
        Ok(decode_page(rows, limit))
    }

    /// The most recently changed closed tickets, as many as are shown.
    pub async fn closed_tickets(&self) -> Result<Vec<Ticket>, CacheError> {
        let docs: Vec<String> = self
            .file
            .with(|pool| async move {
                Ok(sqlx::query_scalar("SELECT doc FROM tickets WHERE open = 0 ORDER BY sort_at DESC LIMIT ?")
                    .bind(i64::from(CLOSED_TICKETS_SHOWN))
                    .fetch_all(&pool)
                    .await?)
            })
            .await?;
        Ok(decode_all(&docs))
    }

    /// Open tickets, then the most recently changed closed ones.
    pub async fn tickets(&self) -> Result<Vec<Ticket>, CacheError> {
        let docs: Vec<String> = self
            .file
            .with(|pool| async move {
                Ok(sqlx::query_scalar(
                    "SELECT doc FROM tickets WHERE open = 1
                     UNION ALL
                     SELECT doc FROM (SELECT doc FROM tickets WHERE open = 0 ORDER BY sort_at DESC LIMIT ?)",
                )
                .bind(i64::from(CLOSED_TICKETS_SHOWN))
                .fetch_all(&pool)
                .await?)
            })
            .await?;
        Ok(decode_all(&docs))
    }

    async fn entities<T: serde::de::DeserializeOwned>(&self, kind: &str) -> Result<Vec<T>, CacheError> {
        let docs: Vec<String> = self
            .file
            .with(|pool| async move {
                Ok(sqlx::query_scalar("SELECT doc FROM entities WHERE kind = ? ORDER BY id")
                    .bind(kind)
                    .fetch_all(&pool)
                    .await?)
            })
            .await?;
        Ok(decode_all(&docs))
    }

    pub async fn sync_meta(&self) -> Result<SyncMeta, CacheError> {
        let rows: Vec<(String, String)> = self
            .file
            .with(|pool| async move { Ok(sqlx::query_as("SELECT key, value FROM meta").fetch_all(&pool).await?) })
            .await?;
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
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                if reset {
                    for statement in RESET {
                        sqlx::query(statement).execute(&mut *tx).await?;
                    }
                }
                // Incidents and tickets, nearly all of a large page, go in one statement a kind.
                let incidents: Vec<&Incident> = page
                    .changes
                    .iter()
                    .filter_map(|c| if let Change::Incident(i) = c { Some(i) } else { None })
                    .collect();
                let tickets: Vec<&Ticket> = page
                    .changes
                    .iter()
                    .filter_map(|c| if let Change::Ticket(t) = c { Some(t) } else { None })
                    .collect();
                upsert_incidents(&mut tx, &incidents).await?;
                upsert_tickets(&mut tx, &tickets).await?;
                for change in &page.changes {
                    match change {
                        Change::Incident(_) | Change::Ticket(_) => {}
                        // Made whole by the poller before a page is stored (`console::sync`).
                        Change::IncidentTail(_) => {}
                        Change::Service(service) => put_entity(&mut tx, "service", &service.id, service).await?,
                        Change::EscalationPolicy(policy) => {
                            put_entity(&mut tx, "escalation_policy", &policy.id, policy).await?
                        }
                        Change::Model(model) => put_monitoring(&mut tx, "model", &model.id, 0, model).await?,
                        Change::DriftWindow(w) => {
                            put_monitoring(&mut tx, "drift_window", &w.id(), w.start.timestamp(), w).await?
                        }
                        Change::Quality(q) => {
                            put_monitoring(&mut tx, "quality", &q.id(), q.start.timestamp(), q).await?
                        }
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
            })
            .await
    }

    /// Records a successful contact that brought no changes.
    pub async fn touch_last_ok(&self, at: DateTime<Utc>) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                set_meta(&mut tx, "last_ok", &at.to_rfc3339()).await?;
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    /// Stores incidents unless the cache already has a newer version of one.
    pub async fn put_incidents(&self, incidents: &[Incident]) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                for incident in incidents {
                    upsert_incident(&mut tx, incident).await?;
                }
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    /// Stores an item the server returned (for an action taken or refused).
    pub async fn store_entity(&self, entity: &Entity) -> Result<(), CacheError> {
        self.file
            .with(|pool| async move {
                let mut tx = pool.begin().await?;
                upsert_entity(&mut tx, entity).await?;
                tx.commit().await?;
                Ok(())
            })
            .await
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

/// Stores many incidents in one statement (a JSON array of rows read by `json_each`, in order),
/// each unless the cache already has a newer version of it.
async fn upsert_incidents(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    incidents: &[&Incident],
) -> Result<(), CacheError> {
    if incidents.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(incidents.len());
    for incident in incidents {
        let (rank, sort_at) = incident.list_order();
        rows.push((&incident.id, incident.version, rank, sort_at, serde_json::to_string(incident)?));
    }
    let sql = "INSERT INTO incidents (id, version, rank, sort_at, doc)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
                json_extract(value, '$[3]'), json_extract(value, '$[4]')
         FROM json_each(?) WHERE true
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, rank = excluded.rank,
             sort_at = excluded.sort_at, doc = excluded.doc
         WHERE excluded.version >= incidents.version";
    upsert_rows(tx, sql, &rows).await
}

/// Runs one of the bulk upserts above: `rows`, as one JSON array, bound to the statement's only
/// parameter and read back by `json_each`.
async fn upsert_rows(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    sql: &'static str,
    rows: &impl serde::Serialize,
) -> Result<(), CacheError> {
    sqlx::query(sql).bind(serde_json::to_string(rows)?).execute(&mut **tx).await?;
    Ok(())
}

/// Stores many tickets in one statement, as [`upsert_incidents`] does.
async fn upsert_tickets(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, tickets: &[&Ticket]) -> Result<(), CacheError> {
    if tickets.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(tickets.len());
    for ticket in tickets {
        rows.push((
            &ticket.key,
            ticket.version,
            ticket.is_open(),
            ticket.updated_at.timestamp_millis(),
            serde_json::to_string(ticket)?,
        ));
    }
    let sql = "INSERT INTO tickets (key, version, open, sort_at, doc)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
                json_extract(value, '$[3]'), json_extract(value, '$[4]')
         FROM json_each(?) WHERE true
         ON CONFLICT (key) DO UPDATE SET version = excluded.version, open = excluded.open,
             sort_at = excluded.sort_at, doc = excluded.doc
         WHERE excluded.version >= tickets.version";
    upsert_rows(tx, sql, &rows).await
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

/// Decodes a page of `(rowid, doc)` rows as [`decode_all`] does, with the row to read on from
/// when the page was full.
fn decode_page<T: serde::de::DeserializeOwned>(rows: Vec<(i64, String)>, limit: u32) -> (Vec<T>, Option<i64>) {
    let next = (rows.len() >= limit as usize).then(|| rows.last().map(|(rowid, _)| *rowid)).flatten();
    let docs: Vec<String> = rows.into_iter().map(|(_, doc)| doc).collect();
    (decode_all(&docs), next)
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

mod file;
mod first;
mod legacy;
mod pages;
pub use pages::IncidentsAfter;
mod work;
pub use file::NoticeSink;
pub use work::{JournaledDraft, NoteDraft, Work, WorkCopy};

#[cfg(test)]
mod tests;
