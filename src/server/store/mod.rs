//! The server's storage interface: the [`Store`] trait, its errors, the transaction it runs,
//! and what every store shares (the id scheme, which entities count as open, the idempotency
//! retention). [`docs`] writes the stores once over the rows of a database; [`sqlite`] (one
//! machine) and [`postgres`] (replicas on one database) are those rows in SQL.
//!
//! Handlers and sources see only [`Store`]: reads, and one transactional primitive,
//! [`Store::transact`], which loads an entity, lets the caller decide what to write and what to
//! answer, and records that answer under the idempotency key, all atomically. What writes into a
//! store beside the API is a [`Source`](crate::server::sources::Source).

pub mod decoded;
pub mod docs;
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::api::Change;
use crate::db::{DbError, DbLocation};
use crate::domain::incident::Suppression;
use crate::domain::maintenance::suppression_for;
use crate::domain::{
    DriftWindow, Entity, EntityKind, EscalationPolicy, Incident, MaintenanceWindow, Model, Postmortem,
    PostmortemStatus, QualityPoint, Service, Ticket,
};

/// Where a server keeps its data: a SQLite file (or memory), or a PostgreSQL database that
/// replicas share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(DbLocation),
    /// A `postgres://` URL (it may hold a password: say it with [`StoreLocation::describe`]).
    Postgres(String),
}

impl From<DbLocation> for StoreLocation {
    fn from(location: DbLocation) -> StoreLocation {
        StoreLocation::Sqlite(location)
    }
}

impl StoreLocation {
    /// `--db` as given: `postgres://…` (or `postgresql://…`), `:memory:`, or a SQLite file.
    pub fn parse(db: &str) -> StoreLocation {
        if postgres::is_postgres_url(db) {
            StoreLocation::Postgres(db.to_string())
        } else if db == ":memory:" {
            StoreLocation::Sqlite(DbLocation::Memory)
        } else {
            StoreLocation::Sqlite(DbLocation::File(db.into()))
        }
    }

    /// Where it is, without a password.
    pub fn describe(&self) -> String {
        match self {
            StoreLocation::Sqlite(location) => location.describe(),
            StoreLocation::Postgres(url) => postgres::redacted(url),
        }
    }

    /// Opens (creating or bringing up to date) the store there.
    pub async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            StoreLocation::Sqlite(location) => Arc::new(sqlite::SqliteStore::open(location).await?),
            StoreLocation::Postgres(url) => Arc::new(postgres::PostgresStore::open(url).await?),
        })
    }
}

/// How long a server remembers the answer given for an idempotency key.
pub const IDEMPOTENCY_RETENTION_HOURS: i64 = 72;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("stored document is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A transaction tried to write another entity than the one it loaded or created.
    #[error("a {kind} transaction wrote {wrote}")]
    WrongEntity { kind: &'static str, wrote: String },
}

/// An HTTP answer as it is stored for replay.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: serde_json::Value,
}

impl StoredResponse {
    pub fn json(status: u16, body: &impl Serialize) -> Self {
        let body = serde_json::to_value(body).unwrap_or(serde_json::Value::Null);
        StoredResponse { status, body }
    }

    /// An entity as an answer body: the incident, ticket, window or postmortem itself, untagged.
    pub fn entity(status: u16, entity: &Entity) -> Self {
        match entity {
            Entity::Incident(incident) => StoredResponse::json(status, incident),
            Entity::Ticket(ticket) => StoredResponse::json(status, ticket),
            Entity::Maintenance(window) => StoredResponse::json(status, window),
            Entity::Postmortem(postmortem) => StoredResponse::json(status, postmortem),
        }
    }
}

/// The scope of an idempotency key: the same key from two users is two keys.
#[derive(Debug, Clone)]
pub struct IdempotencyScope {
    pub user: String,
    pub key: String,
    /// Identifies the request (method, path, body); a key reused for another request is refused.
    pub fingerprint: String,
}

pub struct TxInput {
    /// The entity as stored now (`None` when it does not exist or one is being created).
    pub current: Option<Entity>,
    /// For creation: the id (incidents) or key (tickets) the new entity gets.
    pub new_id: Option<String>,
}

pub struct TxOutcome {
    /// What to store: the entity the transaction is about (same kind, same id), or nothing.
    pub write: Option<Entity>,
    pub response: StoredResponse,
}

pub type Decide = Box<dyn FnOnce(TxInput) -> TxOutcome + Send>;

/// One atomic read-decide-write of an entity.
pub struct EntityTx {
    pub kind: EntityKind,
    /// The entity to load; `None` creates one with a fresh id (`INC-1001…`, `SUP-2001…`).
    pub id: Option<String>,
    pub idempotency: Option<IdempotencyScope>,
    pub decide: Decide,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TxResult {
    /// Decided now.
    Fresh(StoredResponse),
    /// The key was seen before: the first answer, unchanged.
    Replayed(StoredResponse),
    /// The key was seen before with a different request.
    KeyReused,
}

/// A page of the change feed.
#[derive(Debug, Clone)]
pub struct ChangeRows {
    pub changes: Vec<Change>,
    pub last_seq: i64,
    pub has_more: bool,
}

/// A page of the change feed as stored: each change its kind (the wire's `kind`) and its JSON
/// document, sent as it is without reading it into its type and writing it out again.
#[derive(Debug, Clone)]
pub struct ChangeDocs {
    pub docs: Vec<(&'static str, String)>,
    pub last_seq: i64,
    pub has_more: bool,
    /// Changes after `last_seq` when the page was read (0 without `has_more`).
    pub remaining: u64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Identifies this database; it changes only when the database is created anew.
    fn epoch(&self) -> &str;
    async fn changes(&self, since: i64, limit: u32) -> Result<ChangeRows, StoreError>;
    /// The same page as [`Store::changes`] with each document as stored, and how many remain;
    /// with `tails`, an incident the console had at `since` comes as an `incident_tail`: the
    /// events of its timeline changed since then, not the whole of it. A page holds at most
    /// `limit` changes, and stops early past [`docs::PAGE_BYTES`] of documents.
    async fn change_docs(&self, since: i64, limit: u32, tails: bool) -> Result<ChangeDocs, StoreError>;
    async fn incident(&self, id: &str) -> Result<Option<Incident>, StoreError>;
    /// The incident without its timeline (left empty), read without reading the timeline: for
    /// what its head decides (its service's policy, its source).
    async fn incident_head(&self, id: &str) -> Result<Option<Incident>, StoreError>;
    /// Incidents, most recently changed first; `open_only` leaves out resolved ones.
    async fn incidents(&self, open_only: bool, limit: u32) -> Result<Vec<Incident>, StoreError>;
    async fn ticket(&self, key: &str) -> Result<Option<Ticket>, StoreError>;
    /// Tickets, most recently changed first; `open_only` leaves out resolved and closed ones.
    async fn tickets(&self, open_only: bool, limit: u32) -> Result<Vec<Ticket>, StoreError>;
    async fn services(&self) -> Result<Vec<Service>, StoreError>;
    async fn service(&self, id: &str) -> Result<Option<Service>, StoreError>;
    async fn policies(&self) -> Result<Vec<EscalationPolicy>, StoreError>;
    async fn policy(&self, id: &str) -> Result<Option<EscalationPolicy>, StoreError>;
    async fn put_service(&self, service: &Service) -> Result<(), StoreError>;
    async fn put_policy(&self, policy: &EscalationPolicy) -> Result<(), StoreError>;
    async fn put_model(&self, model: &Model) -> Result<(), StoreError>;
    /// Stores a window, replacing the one of the same model, feature and start.
    async fn put_window(&self, window: &DriftWindow) -> Result<(), StoreError>;
    /// Stores a quality point, replacing the one of the same model and start.
    async fn put_quality(&self, point: &QualityPoint) -> Result<(), StoreError>;
    /// Stores models, windows and quality points in one transaction (seeding, live batches).
    async fn put_monitoring(
        &self,
        models: &[Model],
        windows: &[DriftWindow],
        quality: &[QualityPoint],
    ) -> Result<(), StoreError>;
    /// All models, by id.
    async fn models(&self) -> Result<Vec<Model>, StoreError>;
    async fn model(&self, id: &str) -> Result<Option<Model>, StoreError>;
    /// Windows of one feature starting at or after `since`, oldest first; the newest `limit` when
    /// there are more.
    async fn windows(
        &self,
        model_id: &str,
        feature: &str,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<DriftWindow>, StoreError>;
    /// Quality points of a model starting at or after `since`, oldest first; the newest `limit`
    /// when there are more.
    async fn quality(
        &self,
        model_id: &str,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<QualityPoint>, StoreError>;
    /// Loads (or allocates the id of) one entity, decides, writes and records the answer under
    /// the idempotency key, atomically. A key seen before replays the first answer instead.
    async fn transact(&self, tx: EntityTx) -> Result<TxResult, StoreError>;
    /// The answer already given for this idempotency key, if any (`Replayed`, or `KeyReused` for
    /// another request), without deciding anything: lets a handler skip work outside the store
    /// (carrying an action to a source) for a request it has answered before.
    async fn replayed(&self, scope: &IdempotencyScope) -> Result<Option<TxResult>, StoreError>;
    /// Maintenance windows by start; `include_cancelled` keeps cancelled ones.
    async fn maintenance_windows(&self, include_cancelled: bool) -> Result<Vec<MaintenanceWindow>, StoreError>;
    async fn maintenance(&self, id: &str) -> Result<Option<MaintenanceWindow>, StoreError>;
    /// Postmortems, most recently changed first.
    async fn postmortems(&self) -> Result<Vec<Postmortem>, StoreError>;
    async fn postmortem(&self, id: &str) -> Result<Option<Postmortem>, StoreError>;

    /// The last change's sequence number (0 for none): the cursor a console has once it read
    /// everything.
    async fn head(&self) -> Result<i64, StoreError>;
    /// The feed's head as this server last heard of it, moved by every write's commit — this
    /// server's, or (on PostgreSQL) any replica's, told by its notification: what `/v1/stream`
    /// announces without reading the database for each of its clients.
    fn changed(&self) -> tokio::sync::watch::Receiver<i64>;

    /// The lead of the sources: `Some` when this server is to run them (always, on SQLite; on
    /// PostgreSQL, for the one replica holding the lease), `None` while another replica has it.
    async fn lead(&self) -> Result<Option<Box<dyn Lease>>, StoreError>;

    /// The escalation policy of a service, when both exist.
    async fn service_policy(&self, service_id: &str) -> Result<Option<EscalationPolicy>, StoreError> {
        match self.service(service_id).await? {
            Some(service) => self.policy(&service.escalation_policy_id).await,
            None => Ok(None),
        }
    }

    /// The window holding back pages on `service_id` at `now`, if one suppresses alerts there.
    async fn suppression(&self, service_id: &str, now: DateTime<Utc>) -> Result<Option<Suppression>, StoreError> {
        Ok(suppression_for(&self.maintenance_windows(false).await?, service_id, now))
    }
}

/// This server's lead of the sources, held until dropped.
#[async_trait]
pub trait Lease: Send {
    /// Whether it is still held (a lease whose database connection broke is not: another replica
    /// may hold it already).
    async fn alive(&mut self) -> bool;
}

/// The lead of a database only one server uses: always held.
pub struct Sole;

#[async_trait]
impl Lease for Sole {
    async fn alive(&mut self) -> bool {
        true
    }
}

/// How new ids of a kind are made: the counter, its first value, the prefix.
fn id_scheme(kind: EntityKind) -> (&'static str, i64, &'static str) {
    match kind {
        EntityKind::Incident => ("incident", 1001, "INC"),
        EntityKind::Ticket => ("ticket", 2001, "SUP"),
        EntityKind::Maintenance => ("maintenance", 3001, "MW"),
        // Postmortem ids come from their incident's (`PM-1042`); none is allocated.
        EntityKind::Postmortem => ("postmortem", 4001, "PM"),
    }
}

/// Whether an entity counts as open for `open_only` lists: incidents until resolved, tickets until
/// resolved or closed, windows until cancelled, postmortems until published.
fn counts_as_open(entity: &Entity) -> bool {
    match entity {
        Entity::Incident(i) => i.is_open(),
        Entity::Ticket(t) => t.is_open(),
        Entity::Maintenance(w) => !w.cancelled,
        Entity::Postmortem(p) => p.status != PostmortemStatus::Published,
    }
}
