//! What every store shares above its SQL: the entities as JSON documents in one table, keyed by
//! kind and id, with the change-feed sequence number and an `open` flag; ids from counters; the
//! answers kept for idempotency keys. A database backend implements [`Documents`] (the raw rows,
//! and a [`Writer`] that holds the database's one write turn), and is a [`Store`] by that alone:
//! decoding, the kinds, the read-decide-write of [`Store::transact`] and the idempotency rules
//! are written once, here, for SQLite and PostgreSQL alike.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    ChangeDocs, ChangeRows, EntityTx, IDEMPOTENCY_RETENTION_HOURS, IdempotencyScope, Lease, Store, StoreError,
    StoredResponse, TxInput, TxResult, counts_as_open, id_scheme,
};
use crate::api::Change;
use crate::domain::{
    DriftWindow, Entity, EntityKind, EscalationPolicy, Incident, MaintenanceWindow, Model, Postmortem, QualityPoint,
    Service, Ticket,
};

const KIND_INCIDENT: &str = "incident";
const KIND_TICKET: &str = "ticket";
const KIND_SERVICE: &str = "service";
const KIND_POLICY: &str = "escalation_policy";
const KIND_MODEL: &str = "model";
const KIND_WINDOW: &str = "drift_window";
const KIND_QUALITY: &str = "quality";
const KIND_MAINTENANCE: &str = "maintenance";
const KIND_POSTMORTEM: &str = "postmortem";
/// An incident of which the feed sends the timeline's end only (`api::IncidentTail`).
const KIND_INCIDENT_TAIL: &str = "incident_tail";
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

/// One row of the change feed: its kind, sequence number and document; for an incident, its
/// timeline events from the first one changed after the feed's cut on (see
/// [`Documents::feed`]) joined by `,`, the place of that first one, and how many events its
/// timeline has.
pub type FeedRow = (String, i64, String, Option<String>, Option<i64>, i64);

/// How many bytes of documents a page of the feed holds before it stops (past one change):
/// a cold console's first page stays small whatever the documents are.
pub const PAGE_BYTES: usize = 768 * 1024;

/// An incident's document as stored (`head`, without its timeline) with its events put back
/// (`events`, each event's JSON joined by `,`); any other document as it is.
pub fn assembled(kind: &str, head: String, events: Option<String>) -> String {
    if kind != KIND_INCIDENT {
        return head;
    }
    let events = events.unwrap_or_default();
    let trimmed = head.trim_end();
    let Some(open) = trimmed.strip_suffix('}') else { return head };
    let separator = if open.trim_end().ends_with('{') { "" } else { "," };
    let mut doc = String::with_capacity(head.len() + events.len() + 16);
    doc.push_str(open);
    doc.push_str(separator);
    doc.push_str("\"timeline\":[");
    doc.push_str(&events);
    doc.push_str("]}");
    doc
}

/// An incident's stored document: everything but its timeline (whose events are rows).
fn head_doc(incident: &mut Incident) -> Result<String, StoreError> {
    let timeline = std::mem::take(&mut incident.timeline);
    let doc = serde_json::to_string(&*incident);
    incident.timeline = timeline;
    // Serialised as `…,"timeline":[],…`; a `"` inside a string is always escaped, so only the
    // field itself reads like this.
    Ok(doc?.replacen(",\"timeline\":[]", "", 1))
}

/// The answer stored under an idempotency key.
pub struct Seen {
    pub fingerprint: String,
    pub status: i64,
    pub body: String,
}

/// The rows of a store's database, as its SQL reads them.
#[async_trait]
pub trait Documents: Send + Sync + 'static {
    /// Identifies this database; it changes only when the database is created anew.
    fn stored_epoch(&self) -> &str;
    /// The incidents this process wrote last, decoded ([`Decoded`](super::decoded::Decoded)).
    fn decoded(&self) -> &super::decoded::Decoded;
    /// The documents `doc`, `docs` and `recent` answer (and [`Writer::doc`]) are whole: an
    /// incident's with its timeline ([`assembled`]).
    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>, StoreError>;
    /// The document as stored: an incident's without its timeline.
    async fn stored(&self, kind: &str, id: &str) -> Result<Option<String>, StoreError>;
    /// Every document of `kind`, by id.
    async fn docs(&self, kind: &str) -> Result<Vec<String>, StoreError>;
    /// Documents of `kind`, most recently changed first (`open_only`: those whose flag is set).
    async fn recent(&self, kind: &str, open_only: bool, limit: u32) -> Result<Vec<String>, StoreError>;
    /// Documents of `kind` whose id is `prefix` (ending in `/`) followed by start seconds at or
    /// after `since`: the newest `limit`, newest first.
    async fn series(&self, kind: &str, prefix: &str, since: i64, limit: u32) -> Result<Vec<String>, StoreError>;
    /// Up to `limit` rows of the feed after `since`, in order; an incident's with the events
    /// of its timeline from the first one changed after `cut` on (every event for a `cut` of
    /// -1): a star on an old event sends every event after it too.
    async fn feed(&self, since: i64, limit: i64, cut: i64) -> Result<Vec<FeedRow>, StoreError>;
    /// How many rows of the feed come after `since`.
    async fn feed_count(&self, since: i64) -> Result<i64, StoreError>;
    /// The answer stored under an idempotency key, read outside any write.
    async fn seen(&self, user: &str, key: &str) -> Result<Option<Seen>, StoreError>;
    /// The database's write turn: one writer at a time (every replica included), so the feed's
    /// sequence numbers are handed out in the order their writes become visible.
    async fn writer(&self) -> Result<Box<dyn Writer + '_>, StoreError>;
    /// See [`Store::head`].
    async fn head(&self) -> Result<i64, StoreError>;
    /// See [`Store::changed`].
    fn changed(&self) -> tokio::sync::watch::Receiver<i64>;
    /// See [`Store::lead`].
    async fn lead(&self) -> Result<Option<Box<dyn Lease>>, StoreError>;
}

/// One write transaction, holding the write turn until it commits or is dropped (rolled back).
#[async_trait]
pub trait Writer: Send {
    async fn seen(&mut self, user: &str, key: &str) -> Result<Option<Seen>, StoreError>;
    async fn doc(&mut self, kind: &str, id: &str) -> Result<Option<String>, StoreError>;
    /// The sequence number of the write that last stored `kind` `id`.
    async fn seq(&mut self, kind: &str, id: &str) -> Result<Option<i64>, StoreError>;
    /// The next value of a counter: `first` the first time, then one more each time.
    async fn next_number(&mut self, counter: &str, first: i64) -> Result<i64, StoreError>;
    /// Stores a document under the feed's next sequence number, which it answers.
    async fn write(&mut self, kind: &str, id: &str, open: Option<bool>, doc: &str) -> Result<i64, StoreError>;
    /// Stores the events of an incident's timeline that `changed` (by place, each event's JSON)
    /// as written at `seq`, and forgets any at or past `len`.
    async fn write_events(
        &mut self,
        incident: &str,
        seq: i64,
        changed: &[(i64, String)],
        len: i64,
    ) -> Result<(), StoreError>;
    /// Records an answer under an idempotency key, forgetting those older than `forget_before`.
    async fn remember(
        &mut self,
        scope: &IdempotencyScope,
        status: i64,
        body: &str,
        now: i64,
        forget_before: i64,
    ) -> Result<(), StoreError>;
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

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

/// The stored document of a window, ticket or postmortem (an incident's is [`head_doc`]).
fn encode_entity(entity: &Entity) -> Result<String, StoreError> {
    Ok(match entity {
        Entity::Incident(i) => serde_json::to_string(i)?,
        Entity::Ticket(t) => serde_json::to_string(t)?,
        Entity::Maintenance(w) => serde_json::to_string(w)?,
        Entity::Postmortem(p) => serde_json::to_string(p)?,
    })
}

fn decode_all<T: serde::de::DeserializeOwned>(docs: &[String]) -> Result<Vec<T>, StoreError> {
    docs.iter().map(|d| serde_json::from_str(d).map_err(StoreError::from)).collect()
}

async fn get<D: Documents + ?Sized, T: serde::de::DeserializeOwned>(
    db: &D,
    kind: &str,
    id: &str,
) -> Result<Option<T>, StoreError> {
    Ok(db.doc(kind, id).await?.map(|d| serde_json::from_str(&d)).transpose()?)
}

async fn all<D: Documents + ?Sized, T: serde::de::DeserializeOwned>(db: &D, kind: &str) -> Result<Vec<T>, StoreError> {
    decode_all(&db.docs(kind).await?)
}

/// A series oldest first, as [`Store::windows`] and [`Store::quality`] answer.
async fn series<D: Documents + ?Sized, T: serde::de::DeserializeOwned>(
    db: &D,
    kind: &str,
    prefix: &str,
    since: Option<DateTime<Utc>>,
    limit: u32,
) -> Result<Vec<T>, StoreError> {
    let mut docs = db.series(kind, prefix, since.map_or(i64::MIN, |s| s.timestamp()), limit).await?;
    docs.reverse();
    decode_all(&docs)
}

/// Writes documents of one kind each in one transaction.
async fn put<D: Documents + ?Sized>(db: &D, docs: &[(&str, String, String)]) -> Result<(), StoreError> {
    let mut writer = db.writer().await?;
    for (kind, id, doc) in docs {
        writer.write(kind, id, None, doc).await?;
    }
    writer.commit().await
}

fn doc_of<T: serde::Serialize>(
    kind: &'static str,
    id: String,
    value: &T,
) -> Result<(&'static str, String, String), StoreError> {
    Ok((kind, id, serde_json::to_string(value)?))
}

fn replay_of(seen: Option<Seen>, scope: &IdempotencyScope) -> Result<Option<TxResult>, StoreError> {
    let Some(seen) = seen else {
        return Ok(None);
    };
    if seen.fingerprint != scope.fingerprint {
        return Ok(Some(TxResult::KeyReused));
    }
    let status = u16::try_from(seen.status).unwrap_or(500);
    Ok(Some(TxResult::Replayed(StoredResponse { status, body: serde_json::from_str(&seen.body)? })))
}

#[async_trait]
impl<D: Documents> Store for D {
    fn epoch(&self) -> &str {
        self.stored_epoch()
    }

    async fn changes(&self, since: i64, limit: u32) -> Result<ChangeRows, StoreError> {
        let ChangeDocs { docs, last_seq, has_more, .. } = self.change_docs(since, limit, false).await?;
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

    async fn change_docs(&self, since: i64, limit: u32, tails: bool) -> Result<ChangeDocs, StoreError> {
        let limit = limit.clamp(1, crate::api::MAX_CHANGES_PAGE);
        let rows = self.feed(since, i64::from(limit) + 1, if tails { since } else { -1 }).await?;
        let mut has_more = rows.len() > limit as usize;
        let mut docs = Vec::with_capacity(rows.len().min(limit as usize));
        let mut last_seq = since;
        let mut bytes = 0;
        for (kind, seq, doc, events, from, len) in rows.into_iter().take(limit as usize) {
            if bytes >= PAGE_BYTES {
                // Full: the rest waits for the next page.
                has_more = true;
                break;
            }
            last_seq = seq;
            // Documents were written by this server as the kind's type: sent as they are.
            let Some(kind) = FEED_KINDS.iter().copied().find(|k| *k == kind) else { continue };
            let from = from.unwrap_or(len);
            let (kind, doc) = if kind == KIND_INCIDENT && from > 0 {
                // The console has the events before `from` as they are: the head and the rest.
                let incident = assembled(kind, doc, events);
                (KIND_INCIDENT_TAIL, format!("{{\"timeline_from\":{from},\"incident\":{incident}}}"))
            } else {
                (kind, assembled(kind, doc, events))
            };
            bytes += doc.len();
            docs.push((kind, doc));
        }
        // Counted on the `seq` index, only while more wait: an idle poll costs nothing more.
        let remaining = if has_more { self.feed_count(last_seq).await? } else { 0 };
        Ok(ChangeDocs { docs, last_seq, has_more, remaining: u64::try_from(remaining).unwrap_or(0) })
    }

    async fn incident(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        get(self, KIND_INCIDENT, id).await
    }

    async fn incident_head(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        let Some(head) = self.stored(KIND_INCIDENT, id).await? else { return Ok(None) };
        Ok(Some(serde_json::from_str(&assembled(KIND_INCIDENT, head, None))?))
    }

    async fn incidents(&self, open_only: bool, limit: u32) -> Result<Vec<Incident>, StoreError> {
        decode_all(&self.recent(KIND_INCIDENT, open_only, limit).await?)
    }

    async fn ticket(&self, key: &str) -> Result<Option<Ticket>, StoreError> {
        get(self, KIND_TICKET, key).await
    }

    async fn tickets(&self, open_only: bool, limit: u32) -> Result<Vec<Ticket>, StoreError> {
        decode_all(&self.recent(KIND_TICKET, open_only, limit).await?)
    }

    async fn services(&self) -> Result<Vec<Service>, StoreError> {
        all(self, KIND_SERVICE).await
    }

    async fn service(&self, id: &str) -> Result<Option<Service>, StoreError> {
        get(self, KIND_SERVICE, id).await
    }

    async fn policies(&self) -> Result<Vec<EscalationPolicy>, StoreError> {
        all(self, KIND_POLICY).await
    }

    async fn policy(&self, id: &str) -> Result<Option<EscalationPolicy>, StoreError> {
        get(self, KIND_POLICY, id).await
    }

    async fn put_service(&self, service: &Service) -> Result<(), StoreError> {
        put(self, &[doc_of(KIND_SERVICE, service.id.clone(), service)?]).await
    }

    async fn put_policy(&self, policy: &EscalationPolicy) -> Result<(), StoreError> {
        put(self, &[doc_of(KIND_POLICY, policy.id.clone(), policy)?]).await
    }

    async fn put_model(&self, model: &Model) -> Result<(), StoreError> {
        put(self, &[doc_of(KIND_MODEL, model.id.clone(), model)?]).await
    }

    async fn put_window(&self, window: &DriftWindow) -> Result<(), StoreError> {
        put(self, &[doc_of(KIND_WINDOW, window.id(), window)?]).await
    }

    async fn put_quality(&self, point: &QualityPoint) -> Result<(), StoreError> {
        put(self, &[doc_of(KIND_QUALITY, point.id(), point)?]).await
    }

    async fn put_monitoring(
        &self,
        models: &[Model],
        windows: &[DriftWindow],
        quality: &[QualityPoint],
    ) -> Result<(), StoreError> {
        let mut docs = Vec::with_capacity(models.len() + windows.len() + quality.len());
        for model in models {
            docs.push(doc_of(KIND_MODEL, model.id.clone(), model)?);
        }
        for window in windows {
            docs.push(doc_of(KIND_WINDOW, window.id(), window)?);
        }
        for point in quality {
            docs.push(doc_of(KIND_QUALITY, point.id(), point)?);
        }
        put(self, &docs).await
    }

    async fn models(&self) -> Result<Vec<Model>, StoreError> {
        all(self, KIND_MODEL).await
    }

    async fn model(&self, id: &str) -> Result<Option<Model>, StoreError> {
        get(self, KIND_MODEL, id).await
    }

    async fn windows(
        &self,
        model_id: &str,
        feature: &str,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<DriftWindow>, StoreError> {
        series(self, KIND_WINDOW, &format!("{model_id}/{feature}/"), since, limit).await
    }

    async fn quality(
        &self,
        model_id: &str,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<QualityPoint>, StoreError> {
        series(self, KIND_QUALITY, &format!("{model_id}/"), since, limit).await
    }

    async fn transact(&self, request: EntityTx) -> Result<TxResult, StoreError> {
        let mut writer = self.writer().await?;
        if let Some(scope) = &request.idempotency
            && let Some(seen) = replay_of(writer.seen(&scope.user, &scope.key).await?, scope)?
        {
            return Ok(seen);
        }
        let kind = stored_kind(request.kind);
        let input = match &request.id {
            // An incident this process wrote last, if the database still has that write: its
            // timeline is not read and parsed again.
            Some(id) if request.kind == EntityKind::Incident => {
                let kept = match writer.seq(kind, id).await? {
                    Some(seq) => self.decoded().take(id, seq),
                    None => None,
                };
                let current = match kept {
                    Some(incident) => Some(Entity::Incident(incident)),
                    None => writer.doc(kind, id).await?.map(|d| decode_entity(request.kind, &d)).transpose()?,
                };
                TxInput { current, new_id: None }
            }
            Some(id) => {
                let doc = writer.doc(kind, id).await?;
                TxInput { current: doc.map(|d| decode_entity(request.kind, &d)).transpose()?, new_id: None }
            }
            None => {
                let (counter, first, prefix) = id_scheme(request.kind);
                let number = writer.next_number(counter, first).await?;
                TxInput { current: None, new_id: Some(format!("{prefix}-{number}")) }
            }
        };
        let expected_id = request.id.clone().or_else(|| input.new_id.clone());
        // The timeline as stored, to write only the events the decision changes.
        let before = match &input.current {
            Some(Entity::Incident(incident)) => incident.timeline.clone(),
            _ => Vec::new(),
        };
        let mut outcome = (request.decide)(input);
        let mut written_at = None;
        if let Some(entity) = &mut outcome.write {
            if entity.kind() != request.kind || expected_id.as_deref() != Some(entity.id()) {
                let wrote = format!("{} `{}`", entity.kind().label(), entity.id());
                return Err(StoreError::WrongEntity { kind, wrote });
            }
            let open = counts_as_open(entity);
            match entity {
                Entity::Incident(incident) => {
                    let head = head_doc(incident)?;
                    let seq = writer.write(kind, &incident.id, Some(open), &head).await?;
                    let mut changed = Vec::new();
                    for (n, event) in incident.timeline.iter().enumerate() {
                        if before.get(n) != Some(event) {
                            changed.push((n as i64, serde_json::to_string(event)?));
                        }
                    }
                    writer.write_events(&incident.id, seq, &changed, incident.timeline.len() as i64).await?;
                    written_at = Some(seq);
                }
                other => {
                    writer.write(kind, other.id(), Some(open), &encode_entity(other)?).await?;
                }
            }
        }
        if let Some(scope) = &request.idempotency {
            let now = Utc::now().timestamp();
            let body = serde_json::to_string(&outcome.response.body)?;
            let status = i64::from(outcome.response.status);
            writer.remember(scope, status, &body, now, now - IDEMPOTENCY_RETENTION_HOURS * 3_600).await?;
        }
        writer.commit().await?;
        if let (Some(seq), Some(Entity::Incident(incident))) = (written_at, outcome.write) {
            self.decoded().put(seq, incident);
        }
        Ok(TxResult::Fresh(outcome.response))
    }

    async fn replayed(&self, scope: &IdempotencyScope) -> Result<Option<TxResult>, StoreError> {
        replay_of(self.seen(&scope.user, &scope.key).await?, scope)
    }

    async fn maintenance_windows(&self, include_cancelled: bool) -> Result<Vec<MaintenanceWindow>, StoreError> {
        let mut windows: Vec<MaintenanceWindow> = all(self, KIND_MAINTENANCE).await?;
        windows.retain(|w| include_cancelled || !w.cancelled);
        windows.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
        Ok(windows)
    }

    async fn maintenance(&self, id: &str) -> Result<Option<MaintenanceWindow>, StoreError> {
        get(self, KIND_MAINTENANCE, id).await
    }

    async fn postmortems(&self) -> Result<Vec<Postmortem>, StoreError> {
        let mut all: Vec<Postmortem> = all(self, KIND_POSTMORTEM).await?;
        all.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }

    async fn postmortem(&self, id: &str) -> Result<Option<Postmortem>, StoreError> {
        get(self, KIND_POSTMORTEM, id).await
    }

    async fn head(&self) -> Result<i64, StoreError> {
        Documents::head(self).await
    }

    fn changed(&self) -> tokio::sync::watch::Receiver<i64> {
        Documents::changed(self)
    }

    async fn lead(&self) -> Result<Option<Box<dyn Lease>>, StoreError> {
        Documents::lead(self).await
    }
}
