//! [`SqliteStore`]: the [`Store`] on SQLite (sqlx), the one store today.
//!
//! Every entity is a JSON document in one `entities` table, keyed by kind and id, with the
//! change-feed sequence number and an `open` flag; ids come from `counters`, and answers kept for
//! idempotency keys from `idempotency` (`migrations/server/`). SQLite has one writer: taking
//! [`SqliteStore`]'s writer lock first keeps `seq` allocation and each read-decide-write atomic.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use tokio::sync::Mutex;

use super::{
    ChangeDocs, ChangeRows, EntityTx, IDEMPOTENCY_RETENTION_HOURS, IdempotencyScope, Store, StoreError, StoredResponse,
    TxInput, TxResult, counts_as_open, id_scheme,
};
use crate::api::Change;
use crate::db::{self, DbLocation};
use crate::domain::{
    DriftWindow, Entity, EntityKind, EscalationPolicy, Incident, MaintenanceWindow, Model, Postmortem, QualityPoint,
    Service, Ticket,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/server");

const KIND_INCIDENT: &str = "incident";
const KIND_TICKET: &str = "ticket";
const KIND_SERVICE: &str = "service";
const KIND_POLICY: &str = "escalation_policy";
const KIND_MODEL: &str = "model";
const KIND_WINDOW: &str = "drift_window";
const KIND_QUALITY: &str = "quality";
const KIND_MAINTENANCE: &str = "maintenance";
const KIND_POSTMORTEM: &str = "postmortem";
/// Every kind the change feed sends, named as on the wire (`api::Change`'s tags).
const FEED_KINDS: [&str; 9] = [
    KIND_INCIDENT,
    KIND_SERVICE,
    KIND_POLICY,
    KIND_TICKET,
    KIND_MODEL,
    KIND_WINDOW,
    KIND_QUALITY,
    KIND_MAINTENANCE,
    KIND_POSTMORTEM,
];

/// The `kind` column the entities of a kind are stored under.
fn stored_kind(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Incident => KIND_INCIDENT,
        EntityKind::Ticket => KIND_TICKET,
        EntityKind::Maintenance => KIND_MAINTENANCE,
        EntityKind::Postmortem => KIND_POSTMORTEM,
    }
}

fn decode_entity(kind: EntityKind, doc: &str) -> Result<Entity, StoreError> {
    Ok(match kind {
        EntityKind::Incident => Entity::Incident(serde_json::from_str(doc)?),
        EntityKind::Ticket => Entity::Ticket(serde_json::from_str(doc)?),
        EntityKind::Maintenance => Entity::Maintenance(serde_json::from_str(doc)?),
        EntityKind::Postmortem => Entity::Postmortem(serde_json::from_str(doc)?),
    })
}

/// The stored document of an entity and whether it counts as open.
fn encode_entity(entity: &Entity) -> Result<(String, bool), StoreError> {
    let doc = match entity {
        Entity::Incident(i) => serde_json::to_string(i)?,
        Entity::Ticket(t) => serde_json::to_string(t)?,
        Entity::Maintenance(w) => serde_json::to_string(w)?,
        Entity::Postmortem(p) => serde_json::to_string(p)?,
    };
    Ok((doc, counts_as_open(entity)))
}

pub struct SqliteStore {
    pool: SqlitePool,
    epoch: String,
    /// SQLite has one writer; taking this lock first keeps `seq` allocation and the
    /// read-decide-write of actions atomic without relying on busy retries.
    writer: Mutex<()>,
}

impl SqliteStore {
    pub async fn open(location: &DbLocation) -> Result<Self, StoreError> {
        let pool = db::open(location, &MIGRATOR).await?;
        let epoch = match sqlx::query_scalar::<_, String>("SELECT value FROM meta WHERE key = 'epoch'")
            .fetch_optional(&pool)
            .await?
        {
            Some(epoch) => epoch,
            None => {
                let epoch = uuid::Uuid::new_v4().to_string();
                sqlx::query("INSERT INTO meta (key, value) VALUES ('epoch', ?)").bind(&epoch).execute(&pool).await?;
                epoch
            }
        };
        Ok(SqliteStore { pool, epoch, writer: Mutex::new(()) })
    }

    async fn get_doc<T: serde::de::DeserializeOwned>(&self, kind: &str, id: &str) -> Result<Option<T>, StoreError> {
        let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM entities WHERE kind = ? AND id = ?")
            .bind(kind)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
    }

    async fn all_docs<T: serde::de::DeserializeOwned>(&self, kind: &str) -> Result<Vec<T>, StoreError> {
        let docs: Vec<String> = sqlx::query_scalar("SELECT doc FROM entities WHERE kind = ? ORDER BY id")
            .bind(kind)
            .fetch_all(&self.pool)
            .await?;
        docs.iter().map(|d| serde_json::from_str(d).map_err(StoreError::from)).collect()
    }

    /// Documents of `kind`, most recently changed first.
    async fn recent_docs<T: serde::de::DeserializeOwned>(
        &self,
        kind: &str,
        open_only: bool,
        limit: u32,
    ) -> Result<Vec<T>, StoreError> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM entities WHERE kind = ? AND (open = 1 OR ? = 0) ORDER BY seq DESC LIMIT ?",
        )
        .bind(kind)
        .bind(open_only)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        docs.iter().map(|d| serde_json::from_str(d).map_err(StoreError::from)).collect()
    }

    /// Documents of `kind` whose id is `prefix` followed by start seconds at or after `since`,
    /// oldest first; the newest `limit` when there are more.
    async fn series<T: serde::de::DeserializeOwned>(
        &self,
        kind: &str,
        prefix: &str,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<T>, StoreError> {
        // Ids are `prefix` + seconds; prefixes end in `/` and ids never hold another `/` after
        // it, so the range [prefix, prefix with `/` → `0`) is exactly this series.
        let upper = format!("{}0", &prefix[..prefix.len() - 1]);
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM (
                 SELECT doc, CAST(substr(id, ?) AS INTEGER) AS start FROM entities
                 WHERE kind = ? AND id >= ? AND id < ?
             ) WHERE start >= ? ORDER BY start DESC LIMIT ?",
        )
        .bind(prefix.chars().count() as i64 + 1)
        .bind(kind)
        .bind(prefix)
        .bind(&upper)
        .bind(since.map_or(i64::MIN, |s| s.timestamp()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        docs.iter().rev().map(|d| serde_json::from_str(d).map_err(StoreError::from)).collect()
    }

    async fn put_doc(&self, kind: &str, id: &str, open: Option<bool>, doc: String) -> Result<(), StoreError> {
        let _w = self.writer.lock().await;
        let mut tx = self.pool.begin().await?;
        write_doc(&mut tx, kind, id, open, &doc).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn write_doc(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    kind: &str,
    id: &str,
    open: Option<bool>,
    doc: &str,
) -> Result<(), StoreError> {
    let seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM entities").fetch_one(&mut **tx).await?;
    sqlx::query(
        "INSERT INTO entities (kind, id, seq, open, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, open = excluded.open, doc = excluded.doc",
    )
    .bind(kind)
    .bind(id)
    .bind(seq)
    .bind(open)
    .bind(doc)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    fn epoch(&self) -> &str {
        &self.epoch
    }

    async fn changes(&self, since: i64, limit: u32) -> Result<ChangeRows, StoreError> {
        let ChangeDocs { docs, last_seq, has_more, .. } = self.change_docs(since, limit).await?;
        let mut changes = Vec::with_capacity(docs.len());
        for (kind, doc) in docs {
            changes.push(match kind {
                KIND_INCIDENT => Change::Incident(serde_json::from_str(&doc)?),
                KIND_SERVICE => Change::Service(serde_json::from_str(&doc)?),
                KIND_POLICY => Change::EscalationPolicy(serde_json::from_str(&doc)?),
                KIND_TICKET => Change::Ticket(serde_json::from_str(&doc)?),
                KIND_MODEL => Change::Model(serde_json::from_str(&doc)?),
                KIND_WINDOW => Change::DriftWindow(serde_json::from_str(&doc)?),
                KIND_QUALITY => Change::Quality(serde_json::from_str(&doc)?),
                KIND_MAINTENANCE => Change::Maintenance(serde_json::from_str(&doc)?),
                _ => Change::Postmortem(serde_json::from_str(&doc)?),
            });
        }
        Ok(ChangeRows { changes, last_seq, has_more })
    }

    async fn change_docs(&self, since: i64, limit: u32) -> Result<ChangeDocs, StoreError> {
        let limit = limit.clamp(1, crate::api::MAX_CHANGES_PAGE);
        let rows: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT kind, seq, doc FROM entities WHERE seq > ? ORDER BY seq LIMIT ?")
                .bind(since)
                .bind(i64::from(limit) + 1)
                .fetch_all(&self.pool)
                .await?;
        let has_more = rows.len() > limit as usize;
        let mut docs = Vec::with_capacity(rows.len().min(limit as usize));
        let mut last_seq = since;
        for (kind, seq, doc) in rows.into_iter().take(limit as usize) {
            last_seq = seq;
            // Documents were written by this server as the kind's type: sent as they are.
            let Some(kind) = FEED_KINDS.iter().copied().find(|k| *k == kind) else { continue };
            docs.push((kind, doc));
        }
        // Counted on the `seq` index, only while more wait: an idle poll costs nothing more.
        let remaining: i64 = if has_more {
            sqlx::query_scalar("SELECT COUNT(*) FROM entities WHERE seq > ?")
                .bind(last_seq)
                .fetch_one(&self.pool)
                .await?
        } else {
            0
        };
        Ok(ChangeDocs { docs, last_seq, has_more, remaining: u64::try_from(remaining).unwrap_or(0) })
    }

    async fn incident(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        self.get_doc(KIND_INCIDENT, id).await
    }

    async fn incidents(&self, open_only: bool, limit: u32) -> Result<Vec<Incident>, StoreError> {
        self.recent_docs(KIND_INCIDENT, open_only, limit).await
    }

    async fn ticket(&self, key: &str) -> Result<Option<Ticket>, StoreError> {
        self.get_doc(KIND_TICKET, key).await
    }

    async fn tickets(&self, open_only: bool, limit: u32) -> Result<Vec<Ticket>, StoreError> {
        self.recent_docs(KIND_TICKET, open_only, limit).await
    }

    async fn services(&self) -> Result<Vec<Service>, StoreError> {
        self.all_docs(KIND_SERVICE).await
    }

    async fn service(&self, id: &str) -> Result<Option<Service>, StoreError> {
        self.get_doc(KIND_SERVICE, id).await
    }

    async fn policies(&self) -> Result<Vec<EscalationPolicy>, StoreError> {
        self.all_docs(KIND_POLICY).await
    }

    async fn policy(&self, id: &str) -> Result<Option<EscalationPolicy>, StoreError> {
        self.get_doc(KIND_POLICY, id).await
    }

    async fn put_service(&self, service: &Service) -> Result<(), StoreError> {
        self.put_doc(KIND_SERVICE, &service.id, None, serde_json::to_string(service)?).await
    }

    async fn put_policy(&self, policy: &EscalationPolicy) -> Result<(), StoreError> {
        self.put_doc(KIND_POLICY, &policy.id, None, serde_json::to_string(policy)?).await
    }

    async fn put_model(&self, model: &Model) -> Result<(), StoreError> {
        self.put_doc(KIND_MODEL, &model.id, None, serde_json::to_string(model)?).await
    }

    async fn put_window(&self, window: &DriftWindow) -> Result<(), StoreError> {
        self.put_doc(KIND_WINDOW, &window.id(), None, serde_json::to_string(window)?).await
    }

    async fn put_quality(&self, point: &QualityPoint) -> Result<(), StoreError> {
        self.put_doc(KIND_QUALITY, &point.id(), None, serde_json::to_string(point)?).await
    }

    async fn put_monitoring(
        &self,
        models: &[Model],
        windows: &[DriftWindow],
        quality: &[QualityPoint],
    ) -> Result<(), StoreError> {
        let _w = self.writer.lock().await;
        let mut tx = self.pool.begin().await?;
        for model in models {
            write_doc(&mut tx, KIND_MODEL, &model.id, None, &serde_json::to_string(model)?).await?;
        }
        for window in windows {
            write_doc(&mut tx, KIND_WINDOW, &window.id(), None, &serde_json::to_string(window)?).await?;
        }
        for point in quality {
            write_doc(&mut tx, KIND_QUALITY, &point.id(), None, &serde_json::to_string(point)?).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn models(&self) -> Result<Vec<Model>, StoreError> {
        self.all_docs(KIND_MODEL).await
    }

    async fn model(&self, id: &str) -> Result<Option<Model>, StoreError> {
        self.get_doc(KIND_MODEL, id).await
    }

    async fn windows(
        &self,
        model_id: &str,
        feature: &str,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<DriftWindow>, StoreError> {
        self.series(KIND_WINDOW, &format!("{model_id}/{feature}/"), since, limit).await
    }

    async fn quality(
        &self,
        model_id: &str,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<QualityPoint>, StoreError> {
        self.series(KIND_QUALITY, &format!("{model_id}/"), since, limit).await
    }

    async fn transact(&self, request: EntityTx) -> Result<TxResult, StoreError> {
        let _w = self.writer.lock().await;
        let mut tx = self.pool.begin().await?;
        if let Some(seen) = replay(&mut tx, request.idempotency.as_ref()).await? {
            return Ok(seen);
        }
        let kind = stored_kind(request.kind);
        let input = match &request.id {
            Some(id) => {
                let doc = read_doc(&mut tx, kind, id).await?;
                TxInput { current: doc.map(|d| decode_entity(request.kind, &d)).transpose()?, new_id: None }
            }
            None => {
                let (counter, first, prefix) = id_scheme(request.kind);
                TxInput { current: None, new_id: Some(next_id(&mut tx, counter, first, prefix).await?) }
            }
        };
        let expected_id = request.id.clone().or_else(|| input.new_id.clone());
        let outcome = (request.decide)(input);
        if let Some(entity) = &outcome.write {
            if entity.kind() != request.kind || expected_id.as_deref() != Some(entity.id()) {
                let wrote = format!("{} `{}`", entity.kind().label(), entity.id());
                return Err(StoreError::WrongEntity { kind, wrote });
            }
            let (doc, open) = encode_entity(entity)?;
            write_doc(&mut tx, kind, entity.id(), Some(open), &doc).await?;
        }
        remember(&mut tx, request.idempotency.as_ref(), &outcome.response).await?;
        tx.commit().await?;
        Ok(TxResult::Fresh(outcome.response))
    }

    async fn replayed(&self, scope: &IdempotencyScope) -> Result<Option<TxResult>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let seen = replay(&mut tx, Some(scope)).await?;
        tx.rollback().await?;
        Ok(seen)
    }

    async fn maintenance_windows(&self, include_cancelled: bool) -> Result<Vec<MaintenanceWindow>, StoreError> {
        let mut windows: Vec<MaintenanceWindow> = self.all_docs(KIND_MAINTENANCE).await?;
        windows.retain(|w| include_cancelled || !w.cancelled);
        windows.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
        Ok(windows)
    }

    async fn postmortems(&self) -> Result<Vec<Postmortem>, StoreError> {
        let mut all: Vec<Postmortem> = self.all_docs(KIND_POSTMORTEM).await?;
        all.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }

    async fn postmortem(&self, id: &str) -> Result<Option<Postmortem>, StoreError> {
        self.get_doc(KIND_POSTMORTEM, id).await
    }

    async fn maintenance(&self, id: &str) -> Result<Option<MaintenanceWindow>, StoreError> {
        self.get_doc(KIND_MAINTENANCE, id).await
    }
}

type SqliteTx = sqlx::Transaction<'static, sqlx::Sqlite>;

async fn read_doc(tx: &mut SqliteTx, kind: &str, id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT doc FROM entities WHERE kind = ? AND id = ?")
        .bind(kind)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?)
}

/// Allocates the next id of a counter: `prefix-first`, then one more each time.
async fn next_id(tx: &mut SqliteTx, counter: &str, first: i64, prefix: &str) -> Result<String, StoreError> {
    let number: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
    )
    .bind(counter)
    .bind(first)
    .fetch_one(&mut **tx)
    .await?;
    Ok(format!("{prefix}-{number}"))
}

/// The answer already given for the idempotency key, if it was seen before.
async fn replay(tx: &mut SqliteTx, scope: Option<&IdempotencyScope>) -> Result<Option<TxResult>, StoreError> {
    let Some(scope) = scope else {
        return Ok(None);
    };
    let seen: Option<(String, i64, String)> =
        sqlx::query_as("SELECT fingerprint, status, body FROM idempotency WHERE user_name = ? AND key = ?")
            .bind(&scope.user)
            .bind(&scope.key)
            .fetch_optional(&mut **tx)
            .await?;
    let Some((fingerprint, status, body)) = seen else {
        return Ok(None);
    };
    if fingerprint != scope.fingerprint {
        return Ok(Some(TxResult::KeyReused));
    }
    let status = u16::try_from(status).unwrap_or(500);
    Ok(Some(TxResult::Replayed(StoredResponse { status, body: serde_json::from_str(&body)? })))
}

/// Records the answer under the idempotency key, forgetting answers past the retention.
async fn remember(
    tx: &mut SqliteTx,
    scope: Option<&IdempotencyScope>,
    response: &StoredResponse,
) -> Result<(), StoreError> {
    let Some(scope) = scope else {
        return Ok(());
    };
    let now = Utc::now().timestamp();
    sqlx::query("DELETE FROM idempotency WHERE created_at < ?")
        .bind(now - IDEMPOTENCY_RETENTION_HOURS * 3_600)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO idempotency (user_name, key, fingerprint, status, body, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&scope.user)
    .bind(&scope.key)
    .bind(&scope.fingerprint)
    .bind(i64::from(response.status))
    .bind(serde_json::to_string(&response.body)?)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
