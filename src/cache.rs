//! The local SQLite cache of one backend: confirmed entities, the sync cursor, and the outbox.
//!
//! Everything the console shows at start-up comes from here, before any network call. Writes
//! that belong together (a page of changes and its cursor; a completed action and the incident
//! the server returned) share a transaction.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use crate::api::{Change, ReceivedPage};
use crate::db::{self, DbError, DbLocation};
use crate::domain::{DriftWindow, Entity, EscalationPolicy, Incident, Model, QualityPoint, Service, Ticket};
use crate::outbox::{OutboxEntry, RejectedEntry};

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
}

/// Models, feature windows and quality points as cached (windows and points oldest first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonitoringRows {
    pub models: Vec<Model>,
    pub windows: Vec<DriftWindow>,
    pub quality: Vec<QualityPoint>,
}

/// Drift windows and quality points older than this are dropped from the cache.
pub const MONITORING_RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(14);

#[derive(Clone)]
pub struct Cache {
    pool: SqlitePool,
}

/// key, target_id, action, base_version, epoch, created_at, attempts, last_error
type OutboxRow = (String, String, String, i64, Option<String>, String, i64, Option<String>);

const ORDER: &str = "ORDER BY rank, sort_at DESC, id";
/// Resolved and closed tickets kept on screen besides the open ones.
pub const CLOSED_TICKETS_SHOWN: u32 = 500;

impl Cache {
    pub async fn open(location: &DbLocation) -> Result<Cache, CacheError> {
        Ok(Cache { pool: db::open(location, &MIGRATOR).await? })
    }

    /// The first `first` incidents in list order, the count, and everything small.
    pub async fn snapshot(&self, first: u32) -> Result<CacheSnapshot, CacheError> {
        let docs: Vec<String> = sqlx::query_scalar(&format!("SELECT doc FROM incidents {ORDER} LIMIT ?"))
            .bind(i64::from(first))
            .fetch_all(&self.pool)
            .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents").fetch_one(&self.pool).await?;
        Ok(CacheSnapshot {
            incidents: decode_all(&docs),
            total: usize::try_from(total).unwrap_or(0),
            tickets: self.tickets().await?,
            services: self.entities("service").await?,
            policies: self.entities("escalation_policy").await?,
            outbox: self.outbox().await?,
            rejected: self.rejected(crate::outbox::REJECTED_SHOWN).await?,
            sync: self.sync_meta().await?,
            // Read after the first frame (`Cache::monitoring`): parsing a week of windows and
            // computing their statistics would take longer than everything else here.
            monitoring: MonitoringRows::default(),
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
        let docs: Vec<String> =
            sqlx::query_scalar(&format!("SELECT doc FROM incidents {ORDER}")).fetch_all(&self.pool).await?;
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
            for table in ["incidents", "tickets", "entities", "monitoring"] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Command, IncidentAction, NewIncident, NewTicket, Priority, TicketAction, Tier};
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn incident(id: &str, priority: Priority, min: i64) -> Incident {
        let new = NewIncident { title: format!("{id} title"), service_id: "llm-gateway".into(), priority };
        Incident::trigger(id.into(), new, "am", at(min), None)
    }

    fn page(changes: Vec<Change>, cursor: &str) -> ReceivedPage {
        ReceivedPage { epoch: "e1".into(), cursor: cursor.into(), has_more: false, changes, skipped_unknown: 0 }
    }

    async fn file_cache(dir: &tempfile::TempDir) -> Cache {
        Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap()
    }

    #[tokio::test]
    async fn monitoring_rows_are_kept_for_the_retention_period_and_cleared_by_a_reset() {
        use crate::domain::{DriftWindow, Sample};
        let dir = tempfile::tempdir().unwrap();
        let cache = file_cache(&dir).await;
        let window = |days_ago: i64| {
            let start = at(0) - chrono::Duration::days(days_ago);
            DriftWindow {
                model_id: "m".into(),
                feature: "f".into(),
                start,
                end: start + chrono::Duration::hours(1),
                current: Sample::Numeric(vec![1.0]),
            }
        };
        let changes = vec![Change::DriftWindow(window(20)), Change::DriftWindow(window(1))];
        cache.apply_page(&page(changes, "1"), false, at(0)).await.unwrap();
        let rows = cache.monitoring().await.unwrap();
        assert_eq!(rows.windows, vec![window(1)], "20 days is past the 14-day retention");
        cache.apply_page(&page(vec![], "2"), true, at(1)).await.unwrap();
        assert_eq!(cache.monitoring().await.unwrap(), MonitoringRows::default());
    }

    #[tokio::test]
    async fn pages_survive_reopening_in_list_order() {
        let dir = tempfile::tempdir().unwrap();
        let cache = file_cache(&dir).await;
        let mut resolved = incident("INC-1", Priority::P1, 0);
        resolved.status = crate::domain::IncidentStatus::Resolved;
        resolved.resolved_at = Some(at(5));
        let changes = vec![
            Change::Incident(incident("INC-2", Priority::P3, 1)),
            Change::Incident(resolved),
            Change::Incident(incident("INC-3", Priority::P1, 2)),
            Change::Incident(incident("INC-4", Priority::P1, 3)),
        ];
        cache.apply_page(&page(changes, "4"), false, at(10)).await.unwrap();
        drop(cache);
        let cache = file_cache(&dir).await;
        let snapshot = cache.snapshot(2).await.unwrap();
        assert_eq!(snapshot.total, 4);
        let ids: Vec<_> = snapshot.incidents.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["INC-4", "INC-3"], "P1s first, newest first");
        let all: Vec<_> = cache.incidents().await.unwrap().into_iter().map(|i| i.id).collect();
        assert_eq!(all, ["INC-4", "INC-3", "INC-2", "INC-1"]);
        assert_eq!(
            snapshot.sync,
            SyncMeta { cursor: Some("4".into()), epoch: Some("e1".into()), last_ok: Some(at(10)) }
        );
    }

    #[tokio::test]
    async fn an_older_version_never_overwrites_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let cache = file_cache(&dir).await;
        let mut newer = incident("INC-1", Priority::P2, 0);
        newer.version = 5;
        let older = incident("INC-1", Priority::P2, 0);
        cache.put_incidents(&[newer.clone()]).await.unwrap();
        cache.put_incidents(&[older]).await.unwrap();
        assert_eq!(cache.incidents().await.unwrap(), vec![newer]);
    }

    #[tokio::test]
    async fn reset_empties_the_cache_before_the_new_page() {
        let dir = tempfile::tempdir().unwrap();
        let cache = file_cache(&dir).await;
        cache
            .apply_page(&page(vec![Change::Incident(incident("INC-1", Priority::P2, 0))], "1"), false, at(1))
            .await
            .unwrap();
        cache
            .apply_page(&page(vec![Change::Incident(incident("INC-9", Priority::P2, 0))], "1"), true, at(2))
            .await
            .unwrap();
        let ids: Vec<_> = cache.incidents().await.unwrap().into_iter().map(|i| i.id).collect();
        assert_eq!(ids, ["INC-9"]);
    }

    #[tokio::test]
    async fn outbox_entries_persist_complete_and_reject() {
        let dir = tempfile::tempdir().unwrap();
        let cache = file_cache(&dir).await;
        let entry = |key: &str, action| OutboxEntry {
            key: key.into(),
            target_id: "INC-1".into(),
            action: Command::Incident(action),
            base_version: 1,
            epoch: Some("e1".into()),
            created_at: at(0),
            attempts: 0,
            last_error: None,
        };
        let ack = entry("k-ack", IncidentAction::Acknowledge);
        let note = entry("k-note", IncidentAction::Note { text: "restarted the pods".into() });
        cache.outbox_insert(&ack).await.unwrap();
        cache.outbox_insert(&note).await.unwrap();
        cache.outbox_insert(&ack).await.unwrap();
        cache.outbox_attempt("k-ack", "connection refused").await.unwrap();
        drop(cache);

        let cache = file_cache(&dir).await;
        let pending = cache.outbox().await.unwrap();
        assert_eq!(pending.len(), 2, "inserting the same key twice keeps one");
        assert_eq!(pending[0].attempts, 1);
        assert_eq!(pending[1], note);

        let mut applied = incident("INC-1", Priority::P2, 0);
        applied.version = 2;
        cache.outbox_complete("k-ack", &Entity::Incident(applied.clone()), &[("k-note".into(), 2)]).await.unwrap();
        let pending = cache.outbox().await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].base_version, 2);
        assert_eq!(cache.incidents().await.unwrap(), vec![applied]);

        let rejected = RejectedEntry { entry: pending[0].clone(), rejected_at: at(3), reason: "forbidden".into() };
        cache.outbox_reject(&rejected, None).await.unwrap();
        assert!(cache.outbox().await.unwrap().is_empty());
        assert_eq!(cache.rejected(10).await.unwrap(), vec![rejected]);
    }

    #[tokio::test]
    async fn tickets_keep_their_newest_version_and_open_ones_come_first() {
        let dir = tempfile::tempdir().unwrap();
        let cache = file_cache(&dir).await;
        let new = |subject: &str| NewTicket {
            subject: subject.into(),
            customer: "Contoso".into(),
            service_id: "llm-gateway".into(),
            priority: Priority::P3,
            tier: Tier::T1,
            linked_incident: None,
        };
        let open = Ticket::open("SUP-1".into(), new("open"), "portal", at(0));
        let mut closed = Ticket::open("SUP-2".into(), new("closed"), "portal", at(1));
        closed.apply(&TicketAction::Resolve, "dana", at(2)).unwrap();
        let mut stale = closed.clone();
        stale.version = 1;
        cache
            .apply_page(&page(vec![Change::Ticket(closed.clone()), Change::Ticket(open.clone())], "2"), false, at(3))
            .await
            .unwrap();
        cache.outbox_complete("none", &Entity::Ticket(stale), &[]).await.unwrap();
        drop(cache);
        let cache = file_cache(&dir).await;
        assert_eq!(cache.snapshot(10).await.unwrap().tickets, vec![open, closed]);
    }

    /// A cache written by the previous release (outbox rows for incidents only) opens with
    /// every queued and rejected action intact.
    #[tokio::test]
    async fn queued_actions_from_the_previous_schema_survive_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.sqlite");
        let first = dir.path().join("first");
        std::fs::create_dir(&first).unwrap();
        std::fs::copy("migrations/cache/0001_init.sql", first.join("0001_init.sql")).unwrap();
        {
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            sqlx::migrate::Migrator::new(first.as_path()).await.unwrap().run(&pool).await.unwrap();
            sqlx::query(
                "INSERT INTO outbox (key, incident_id, action, base_version, epoch, created_at)
                 VALUES ('k1', 'INC-7', '{\"action\":\"note\",\"text\":\"rolled back the index\"}', 3, 'e1', ?)",
            )
            .bind(at(0).to_rfc3339())
            .execute(&pool)
            .await
            .unwrap();
            let old_entry = r#"{"key":"k0","incident_id":"INC-6","action":{"action":"acknowledge"},"base_version":1,
                "epoch":"e1","created_at":"2026-11-05T14:00:00Z","attempts":0,"last_error":null}"#;
            sqlx::query(
                "INSERT INTO outbox_rejected (key, entry, reason, rejected_at) VALUES ('k0', ?, 'forbidden', ?)",
            )
            .bind(old_entry)
            .bind(at(0).to_rfc3339())
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        }
        let cache = Cache::open(&DbLocation::File(path)).await.unwrap();
        let pending = cache.outbox().await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].target_id, "INC-7");
        assert_eq!(pending[0].action, Command::Incident(IncidentAction::Note { text: "rolled back the index".into() }));
        let rejected = cache.rejected(10).await.unwrap();
        assert_eq!(rejected[0].entry.target_id, "INC-6");
        assert_eq!(rejected[0].entry.action, Command::Incident(IncidentAction::Acknowledge));
    }
}
