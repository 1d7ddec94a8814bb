//! [`PostgresStore`]: the store on PostgreSQL (sqlx), for a team server of several replicas on
//! one database (`opsdeck serve --db postgres://…`).
//!
//! The tables are [`docs`](super::docs)' (`migrations/postgres/`, applied by whichever replica
//! starts first: sqlx's migrator takes an advisory lock of its own). Every write transaction
//! first takes one transaction-scoped advisory lock, the database's write turn, on every replica
//! alike: the feed's sequence numbers are then handed out in commit order (a console reading
//! `seq > N` never misses a write that commits later under a lower number), a version check and
//! its write are one step, and an idempotency key seen by one replica is seen by all.

use std::time::Duration;

use async_trait::async_trait;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::watch;

use super::docs::{Documents, FeedRow, Seen, Writer, assembled};
use super::{Lease, StoreError};
use crate::db::DbError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The advisory lock every write takes: the database's one write turn ("opsdeck" in ASCII).
const WRITE_TURN: i64 = 0x006f_7073_6465_636b;

/// The advisory lock the replica running the sources holds for as long as its session lasts.
const SOURCES_LEAD: i64 = 0x006f_7073_736f_7572;

/// The channel every write transaction notifies with the last sequence number it wrote
/// (delivered at its commit, in commit order, to every replica).
const CHANGES_CHANNEL: &str = "opsdeck_changes";

pub struct PostgresStore {
    pool: PgPool,
    epoch: String,
    /// How to open the lease's own connection.
    options: PgConnectOptions,
    /// The feed's head: set by every notification on [`CHANGES_CHANNEL`], and read from the
    /// database whenever the listener had to reconnect (a notification may have been missed).
    changed: watch::Sender<i64>,
    /// Listens on [`CHANGES_CHANNEL`]; aborted with the store.
    listener: tokio::task::JoinHandle<()>,
    decoded: super::decoded::Decoded,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Sets `changed` to the head each notification of a write names, on any replica.
async fn listen(mut listener: PgListener, changed: watch::Sender<i64>, pool: PgPool) {
    let ahead = |changed: &watch::Sender<i64>, head: i64| {
        changed.send_if_modified(|told| {
            let moved = head > *told;
            *told = (*told).max(head);
            moved
        })
    };
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match notification.payload().parse::<i64>() {
                Ok(head) => {
                    ahead(&changed, head);
                }
                Err(_) => tracing::warn!("a change notification without a sequence number; ignored"),
            },
            // The connection was lost (and is opened again on the next call): something may have
            // been written meanwhile.
            Ok(None) => {
                if let Ok(head) = head_of(&pool).await {
                    ahead(&changed, head);
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "listening for changes failed; trying again in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn head_of(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM entities").fetch_one(pool).await
}

/// A `postgres://` URL with its password replaced, for messages and logs.
pub fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(a PostgreSQL URL that does not parse)".to_string(),
    }
}

/// Whether `db` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

impl PostgresStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let location = redacted(url);
        let open = |source| DbError::Open { location: location.clone(), source };
        let options = PgConnectOptions::from_str(url).map_err(open)?;
        // One connection first: a refused connection or a wrong password is said as it is, not
        // as the pool's timeout after retrying it.
        PgConnection::connect_with(&options).await.map_err(open)?.close().await.map_err(open)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(open)?;
        MIGRATOR.run(&pool).await.map_err(|source| DbError::Migrate { location, source })?;
        // The first replica to start names the database; the others read its name.
        sqlx::query("INSERT INTO meta (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING")
            .bind(uuid::Uuid::new_v4().to_string())
            .execute(&pool)
            .await?;
        let epoch = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'epoch'").fetch_one(&pool).await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANGES_CHANNEL).await?;
        let changed = watch::Sender::new(head_of(&pool).await?);
        let listener = tokio::spawn(listen(listener, changed.clone(), pool.clone()));
        Ok(PostgresStore { pool, epoch, options, changed, listener, decoded: Default::default() })
    }
}

fn seen_of(row: Option<(String, i64, String)>) -> Option<Seen> {
    row.map(|(fingerprint, status, body)| Seen { fingerprint, status, body })
}

#[async_trait]
impl Documents for PostgresStore {
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
        Ok(sqlx::query_scalar("SELECT doc FROM entities WHERE kind = $1 AND id = $2")
            .bind(kind)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn docs(&self, kind: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT doc, (SELECT string_agg(v.event, ',' ORDER BY v.n) FROM events v
                          WHERE v.incident = e.id AND e.kind = 'incident')
             FROM entities e WHERE kind = $1 ORDER BY id COLLATE \"C\"",
        )
        .bind(kind)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(doc, events)| assembled(kind, doc, events)).collect())
    }

    async fn recent(&self, kind: &str, open_only: bool, limit: u32) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT doc, (SELECT string_agg(v.event, ',' ORDER BY v.n) FROM events v
                          WHERE v.incident = e.id AND e.kind = 'incident')
             FROM entities e WHERE kind = $1 AND (open OR NOT $2) ORDER BY seq DESC LIMIT $3",
        )
        .bind(kind)
        .bind(open_only)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(doc, events)| assembled(kind, doc, events)).collect())
    }

    async fn series(&self, kind: &str, prefix: &str, since: i64, limit: u32) -> Result<Vec<String>, StoreError> {
        // As on SQLite: ids are `prefix` + seconds, and the range [prefix, prefix with `/` → `0`)
        // is exactly the series. An id whose tail is not a number is left out, not an error.
        let upper = format!("{}0", &prefix[..prefix.len() - 1]);
        Ok(sqlx::query_scalar(
            "SELECT doc FROM (
                 SELECT doc, CASE WHEN substr(id, $1) ~ '^-?[0-9]{1,18}$'
                                  THEN CAST(substr(id, $1) AS BIGINT) END AS start
                 FROM entities
                 WHERE kind = $2 AND id COLLATE \"C\" >= $3 AND id COLLATE \"C\" < $4
             ) AS s WHERE start >= $5 ORDER BY start DESC LIMIT $6",
        )
        .bind(prefix.chars().count() as i32 + 1)
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
                 (SELECT string_agg(v.event, ',' ORDER BY v.n) FROM events v
                  WHERE v.incident = f.id AND f.kind = 'incident' AND v.n >= f.first),
                 f.first, f.len
             FROM (
                 SELECT kind, seq, doc, id,
                     (SELECT MIN(v.n) FROM events v WHERE v.incident = e.id AND e.kind = 'incident' AND v.seq > $3) AS first,
                     (SELECT COUNT(*) FROM events v WHERE v.incident = e.id AND e.kind = 'incident') AS len
                 FROM entities e WHERE seq > $1 ORDER BY seq LIMIT $2
             ) f ORDER BY f.seq",
        )
        .bind(since)
        .bind(limit)
        .bind(cut)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn feed_count(&self, since: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM entities WHERE seq > $1").bind(since).fetch_one(&self.pool).await?)
    }

    async fn seen(&self, user: &str, key: &str) -> Result<Option<Seen>, StoreError> {
        Ok(seen_of(
            sqlx::query_as("SELECT fingerprint, status, body FROM idempotency WHERE user_name = $1 AND key = $2")
                .bind(user)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        ))
    }

    async fn writer(&self) -> Result<Box<dyn Writer + '_>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_TURN).execute(&mut *tx).await?;
        Ok(Box::new(PgWriter { tx, head: None }))
    }

    async fn head(&self) -> Result<i64, StoreError> {
        Ok(head_of(&self.pool).await?)
    }

    fn changed(&self) -> watch::Receiver<i64> {
        self.changed.subscribe()
    }

    async fn lead(&self) -> Result<Option<Box<dyn Lease>>, StoreError> {
        // A session lock on a connection of its own, outside the pool: it is held while that
        // session lives, and PostgreSQL lets it go the moment the replica dies or its connection
        // breaks, whatever the replica was doing.
        let mut conn = PgConnection::connect_with(&self.options).await?;
        let held: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(SOURCES_LEAD).fetch_one(&mut conn).await?;
        if !held {
            conn.close().await.ok();
            return Ok(None);
        }
        Ok(Some(Box::new(PgLease { conn: Some(conn) })))
    }
}

/// The sources' lead: a session holding [`SOURCES_LEAD`].
struct PgLease {
    conn: Option<PgConnection>,
}

#[async_trait]
impl Lease for PgLease {
    async fn alive(&mut self) -> bool {
        let Some(conn) = self.conn.as_mut() else { return false };
        let check = sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
                            AND granted AND ((classid::bigint << 32) | objid::bigint) = $1)",
        )
        .bind(SOURCES_LEAD)
        .fetch_one(conn);
        let held = matches!(tokio::time::timeout(Duration::from_secs(2), check).await, Ok(Ok(true)));
        if !held {
            // Closed, so that a lock it might still hold is let go with it.
            self.conn = None;
        }
        held
    }
}

struct PgWriter {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    /// The last sequence number this transaction wrote, notified at its commit.
    head: Option<i64>,
}

#[async_trait]
impl Writer for PgWriter {
    async fn seen(&mut self, user: &str, key: &str) -> Result<Option<Seen>, StoreError> {
        Ok(seen_of(
            sqlx::query_as("SELECT fingerprint, status, body FROM idempotency WHERE user_name = $1 AND key = $2")
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
        Ok(sqlx::query_scalar("SELECT seq FROM entities WHERE kind = $1 AND id = $2")
            .bind(kind)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn next_number(&mut self, counter: &str, first: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .bind(counter)
        .bind(first)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    async fn write(&mut self, kind: &str, id: &str, open: Option<bool>, doc: &str) -> Result<i64, StoreError> {
        let seq = sqlx::query_scalar(
            "INSERT INTO entities (kind, id, seq, open, doc)
             VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM entities), $3, $4)
             ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, open = excluded.open, doc = excluded.doc
             RETURNING seq",
        )
        .bind(kind)
        .bind(id)
        .bind(open)
        .bind(doc)
        .fetch_one(&mut *self.tx)
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
                "INSERT INTO events (incident, n, seq, event) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (incident, n) DO UPDATE SET seq = excluded.seq, event = excluded.event",
            )
            .bind(incident)
            .bind(n)
            .bind(seq)
            .bind(event)
            .execute(&mut *self.tx)
            .await?;
        }
        sqlx::query("DELETE FROM events WHERE incident = $1 AND n >= $2")
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
        sqlx::query("DELETE FROM idempotency WHERE created_at < $1").bind(forget_before).execute(&mut *self.tx).await?;
        sqlx::query(
            "INSERT INTO idempotency (user_name, key, fingerprint, status, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
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

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        if let Some(head) = self.head {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANGES_CHANNEL)
                .bind(head.to_string())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(self.tx.commit().await?)
    }
}

/// An entity's document, whole (an incident's with its events put back), read through `on`: the
/// pool, or a writer's transaction.
async fn whole_doc<'e>(
    on: impl sqlx::Executor<'e, Database = sqlx::Postgres>,
    kind: &str,
    id: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query_as(
        "SELECT doc, (SELECT string_agg(v.event, ',' ORDER BY v.n) FROM events v
                          WHERE v.incident = e.id AND e.kind = 'incident')
             FROM entities e WHERE kind = $1 AND id = $2",
    )
    .bind(kind)
    .bind(id)
    .fetch_optional(on)
    .await?;
    Ok(row.map(|(doc, events)| assembled(kind, doc, events)))
}
