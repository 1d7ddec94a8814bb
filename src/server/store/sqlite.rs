//! [`SqliteStore`]: the store on one SQLite file (sqlx), for a server on one machine.
//!
//! The tables are [`docs`](super::docs)' (`migrations/server/`). SQLite has one writer: taking
//! [`SqliteStore`]'s writer lock first keeps `seq` allocation and each read-decide-write atomic
//! without relying on busy retries.

use async_trait::async_trait;
use sqlx::SqlitePool;
use tokio::sync::{Mutex, MutexGuard, watch};

use super::docs::{Documents, FeedRow, Seen, Writer, assembled};
use super::{Lease, Sole, StoreError};
use crate::db::{self, DbLocation};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/server");

pub struct SqliteStore {
    pool: SqlitePool,
    epoch: String,
    /// SQLite has one writer; taking this lock first keeps `seq` allocation and the
    /// read-decide-write of actions atomic without relying on busy retries.
    writer: Mutex<()>,
    /// The feed's head, moved by every write's commit (a SQLite file has one server: no one
    /// else writes).
    changed: watch::Sender<i64>,
    decoded: super::decoded::Decoded,
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
        let head = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM entities").fetch_one(&pool).await?;
        Ok(SqliteStore {
            pool,
            epoch,
            writer: Mutex::new(()),
            changed: watch::Sender::new(head),
            decoded: Default::default(),
        })
    }
}

fn seen_of(row: Option<(String, i64, String)>) -> Option<Seen> {
    row.map(|(fingerprint, status, body)| Seen { fingerprint, status, body })
}

#[async_trait]
impl Documents for SqliteStore {
    fn stored_epoch(&self) -> &str {
        &self.epoch
    }

    fn decoded(&self) -> &super::decoded::Decoded {
        &self.decoded
    }

    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>, StoreError> {
        whole_doc(&self.pool, kind, id).await
    }

    async fn stored(&self, kind: &str, id: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT doc FROM entities WHERE kind = ? AND id = ?")
            .bind(kind)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn docs(&self, kind: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT doc, (SELECT group_concat(v.event, ',' ORDER BY v.n) FROM events v
                          WHERE v.incident = e.id AND e.kind = 'incident')
             FROM entities e WHERE kind = ? ORDER BY id",
        )
        .bind(kind)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(doc, events)| assembled(kind, doc, events)).collect())
    }

    async fn recent(&self, kind: &str, open_only: bool, limit: u32) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT doc, (SELECT group_concat(v.event, ',' ORDER BY v.n) FROM events v
                          WHERE v.incident = e.id AND e.kind = 'incident')
             FROM entities e WHERE kind = ? AND (open = 1 OR ? = 0) ORDER BY seq DESC LIMIT ?",
        )
        .bind(kind)
        .bind(open_only)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(doc, events)| assembled(kind, doc, events)).collect())
    }

    async fn series(&self, kind: &str, prefix: &str, since: i64, limit: u32) -> Result<Vec<String>, StoreError> {
        // Ids are `prefix` + seconds; prefixes end in `/` and ids never hold another `/` after
        // it, so the range [prefix, prefix with `/` → `0`) is exactly this series.
        let upper = format!("{}0", &prefix[..prefix.len() - 1]);
        Ok(sqlx::query_scalar(
            "SELECT doc FROM (
                 SELECT doc, CAST(substr(id, ?) AS INTEGER) AS start FROM entities
                 WHERE kind = ? AND id >= ? AND id < ?
             ) WHERE start >= ? ORDER BY start DESC LIMIT ?",
        )
        .bind(prefix.chars().count() as i64 + 1)
        .bind(kind)
        .bind(prefix)
        .bind(&upper)
        .bind(since)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn feed(&self, since: i64, limit: i64, cut: i64) -> Result<Vec<FeedRow>, StoreError> {
        // Every event from the first one changed after the cut on: the tail a console puts after
        // the events it has before it.
        Ok(sqlx::query_as(
            "SELECT kind, seq, doc,
                 (SELECT group_concat(v.event, ',' ORDER BY v.n) FROM events v
                  WHERE v.incident = f.id AND f.kind = 'incident' AND v.n >= f.first),
                 f.first, f.len
             FROM (
                 SELECT kind, seq, doc, id,
                     (SELECT MIN(v.n) FROM events v WHERE v.incident = e.id AND e.kind = 'incident' AND v.seq > ?) AS first,
                     (SELECT COUNT(*) FROM events v WHERE v.incident = e.id AND e.kind = 'incident') AS len
                 FROM entities e WHERE seq > ? ORDER BY seq LIMIT ?
             ) f ORDER BY f.seq",
        )
        .bind(cut)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn feed_count(&self, since: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM entities WHERE seq > ?").bind(since).fetch_one(&self.pool).await?)
    }

    async fn seen(&self, user: &str, key: &str) -> Result<Option<Seen>, StoreError> {
        Ok(seen_of(
            sqlx::query_as("SELECT fingerprint, status, body FROM idempotency WHERE user_name = ? AND key = ?")
                .bind(user)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        ))
    }

    async fn writer(&self) -> Result<Box<dyn Writer + '_>, StoreError> {
        let turn = self.writer.lock().await;
        let tx = self.pool.begin().await?;
        Ok(Box::new(SqliteWriter { tx, _turn: turn, changed: &self.changed, head: None }))
    }

    async fn head(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM entities").fetch_one(&self.pool).await?)
    }

    fn changed(&self) -> watch::Receiver<i64> {
        self.changed.subscribe()
    }

    async fn lead(&self) -> Result<Option<Box<dyn Lease>>, StoreError> {
        // A SQLite file has one server.
        Ok(Some(Box::new(Sole)))
    }
}

struct SqliteWriter<'a> {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    _turn: MutexGuard<'a, ()>,
    changed: &'a watch::Sender<i64>,
    /// The last sequence number this transaction wrote.
    head: Option<i64>,
}

#[async_trait]
impl Writer for SqliteWriter<'_> {
    async fn seen(&mut self, user: &str, key: &str) -> Result<Option<Seen>, StoreError> {
        Ok(seen_of(
            sqlx::query_as("SELECT fingerprint, status, body FROM idempotency WHERE user_name = ? AND key = ?")
                .bind(user)
                .bind(key)
                .fetch_optional(&mut *self.tx)
                .await?,
        ))
    }

    async fn doc(&mut self, kind: &str, id: &str) -> Result<Option<String>, StoreError> {
        whole_doc(&mut *self.tx, kind, id).await
    }

    async fn seq(&mut self, kind: &str, id: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT seq FROM entities WHERE kind = ? AND id = ?")
            .bind(kind)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn next_number(&mut self, counter: &str, first: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES (?, ?)
             ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        )
        .bind(counter)
        .bind(first)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    async fn write(&mut self, kind: &str, id: &str, open: Option<bool>, doc: &str) -> Result<i64, StoreError> {
        let seq: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM entities").fetch_one(&mut *self.tx).await?;
        sqlx::query(
            "INSERT INTO entities (kind, id, seq, open, doc) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, open = excluded.open, doc = excluded.doc",
        )
        .bind(kind)
        .bind(id)
        .bind(seq)
        .bind(open)
        .bind(doc)
        .execute(&mut *self.tx)
        .await?;
        self.head = Some(seq);
        Ok(seq)
    }

    async fn write_events(
        &mut self,
        incident: &str,
        seq: i64,
        changed: &[(i64, String)],
        len: i64,
    ) -> Result<(), StoreError> {
        for (n, event) in changed {
            sqlx::query(
                "INSERT INTO events (incident, n, seq, event) VALUES (?, ?, ?, ?)
                 ON CONFLICT (incident, n) DO UPDATE SET seq = excluded.seq, event = excluded.event",
            )
            .bind(incident)
            .bind(n)
            .bind(seq)
            .bind(event)
            .execute(&mut *self.tx)
            .await?;
        }
        sqlx::query("DELETE FROM events WHERE incident = ? AND n >= ?")
            .bind(incident)
            .bind(len)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn remember(
        &mut self,
        scope: &super::IdempotencyScope,
        status: i64,
        body: &str,
        now: i64,
        forget_before: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency WHERE created_at < ?").bind(forget_before).execute(&mut *self.tx).await?;
        sqlx::query(
            "INSERT INTO idempotency (user_name, key, fingerprint, status, body, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&scope.user)
        .bind(&scope.key)
        .bind(&scope.fingerprint)
        .bind(status)
        .bind(body)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await?;
        if let Some(head) = self.head {
            self.changed.send_replace(head);
        }
        Ok(())
    }
}

/// An entity's document, whole (an incident's with its events put back), read through `on`: the
/// pool, or a writer's transaction.
async fn whole_doc<'e>(
    on: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    kind: &str,
    id: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query_as(
        "SELECT doc, (SELECT group_concat(v.event, ',' ORDER BY v.n) FROM events v
                          WHERE v.incident = e.id AND e.kind = 'incident')
             FROM entities e WHERE kind = ? AND id = ?",
    )
    .bind(kind)
    .bind(id)
    .fetch_optional(on)
    .await?;
    Ok(row.map(|(doc, events)| assembled(kind, doc, events)))
}
