//! Keeping the store in line with PagerDuty within the rate budget.
//!
//! - Catalog, once: `GET /escalation_policies` and `GET /services` become opsdeck policies and
//!   services (`map::policy`, `map::service`).
//! - First fill: open incidents (`statuses[]=triggered&statuses[]=acknowledged`, created in the
//!   last [`FILL_RANGE`], oldest first, `limit=100`, `offset` while `more`). PagerDuty refuses
//!   `offset + limit > 10000`, so before the offset would pass it a new time slice starts at the
//!   creation time of the last incident read ([`Slicer`]; ids already read are skipped). Open
//!   incidents of this source in the store that PagerDuty no longer lists open are fetched once
//!   (`GET /incidents/{id}`) and closed. Log entries are not read for the fill (one request per
//!   incident): the timeline starts with the trigger and the acknowledgement the incident shows.
//! - Then, every poll: `GET /log_entries?since=<last until − overlap>&is_overview=true` names what
//!   changed; only those incidents are fetched again and their entries become timeline events
//!   (an annotate entry without its text costs one `GET /incidents/{id}/notes` for the incident).
//!   Entries already applied are remembered by id for the overlap, and the first read skips
//!   entries older than the fill of the incidents the fill read (their state holds them).
//!
//! Every request is a sync request of the budget: it yields to actions.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use super::Settings;
use super::budget::Class;
use super::client::{self, CallError, Client, LogEntry, OFFSET_CAP, PAGE_LIMIT};
use super::map;
use crate::domain::{Entity, EntityKind};
use crate::server::store::{EntityTx, Store, StoreError, StoredResponse, TxInput, TxOutcome, TxResult};

/// How far back the first fill looks for open incidents (PagerDuty allows six months at most).
pub const FILL_RANGE: chrono::Duration = chrono::Duration::days(180);
/// Each log-entry read starts this much before the last one ended (PagerDuty's clock and ours).
pub const OVERLAP: chrono::Duration = chrono::Duration::seconds(10);
/// Log entry ids remembered against the overlap.
const REMEMBERED: usize = 5_000;
/// More incidents than a source ever holds open.
const ALL: u32 = 1_000_000;

/// One listing request: the time slice and the offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub offset: u32,
}

/// Plans the pages of a listing under PagerDuty's offset cap.
#[derive(Debug, Clone)]
pub struct Slicer {
    pub current: Listing,
}

impl Slicer {
    pub fn new(since: DateTime<Utc>, until: DateTime<Utc>) -> Slicer {
        Slicer { current: Listing { since, until, offset: 0 } }
    }

    /// The request after a page that held `read` items, said `more`, and whose last item was
    /// created at `last`; none when the listing is done.
    pub fn next(&mut self, read: usize, more: bool, last: Option<DateTime<Utc>>) -> Option<Listing> {
        if !more || read == 0 {
            return None;
        }
        let offset = self.current.offset + PAGE_LIMIT;
        if offset + PAGE_LIMIT <= OFFSET_CAP {
            self.current.offset = offset;
            return Some(self.current);
        }
        // A new slice from the last creation time read (inclusive: ids already read are skipped).
        // A slice of one instant holding more than the cap cannot be read further: move a second on.
        let since = match last {
            Some(last) if last > self.current.since => last,
            _ => self.current.since + chrono::Duration::seconds(1),
        };
        if since >= self.current.until {
            return None;
        }
        self.current = Listing { since, until: self.current.until, offset: 0 };
        Some(self.current)
    }
}

/// The poller's memory: where the log entries were read to, and which were applied.
pub struct Syncer {
    settings: Arc<Settings>,
    store: Arc<dyn Store>,
    client: Client,
    cursor: Option<DateTime<Utc>>,
    catalog: bool,
    services: HashSet<String>,
    applied: VecDeque<String>,
    applied_set: HashSet<String>,
    /// When the first fill read the state, and what it read: entries older than that of those
    /// incidents are in the state already (the first log-entry read overlaps the fill).
    fill: Option<(DateTime<Utc>, HashSet<String>)>,
    /// Requests sent since the start (for the bench and the logs).
    pub requests: u64,
}

fn call_error(error: CallError) -> String {
    error.to_string()
}

fn store_error(error: StoreError) -> String {
    format!("store: {error}")
}

impl Syncer {
    pub fn new(settings: Arc<Settings>, store: Arc<dyn Store>, client: Client) -> Syncer {
        Syncer {
            settings,
            store,
            client,
            cursor: None,
            catalog: false,
            services: HashSet::new(),
            applied: VecDeque::new(),
            applied_set: HashSet::new(),
            fill: None,
            requests: 0,
        }
    }

    /// Whether the first fill is done.
    pub fn filled(&self) -> bool {
        self.cursor.is_some()
    }

    /// One round: the catalog and first fill until done, then one incremental read.
    pub async fn run_once(&mut self, now: DateTime<Utc>) -> Result<(), String> {
        if !self.catalog {
            self.sync_catalog().await?;
            self.catalog = true;
        }
        match self.cursor {
            None => {
                self.first_fill(now).await?;
                self.cursor = Some(now);
            }
            Some(cursor) => {
                self.incremental(cursor - OVERLAP, now).await?;
                self.cursor = Some(now);
                if self.fill.as_ref().is_some_and(|(at, _)| cursor - OVERLAP > *at) {
                    self.fill = None;
                }
            }
        }
        Ok(())
    }

    fn follows(&self, service: Option<&client::Reference>) -> bool {
        self.settings.services.is_empty() || service.is_some_and(|s| self.settings.services.contains(&s.id))
    }

    async fn sync_catalog(&mut self) -> Result<(), String> {
        let mut offset = 0;
        loop {
            self.requests += 1;
            let page = self.client.escalation_policies(offset).await.map_err(call_error)?;
            for policy in &page.items {
                self.store.put_policy(&map::policy(policy, &self.settings)).await.map_err(store_error)?;
            }
            offset += PAGE_LIMIT;
            if !page.more || page.items.is_empty() || offset + PAGE_LIMIT > OFFSET_CAP {
                break;
            }
        }
        self.services = self.store.services().await.map_err(store_error)?.into_iter().map(|s| s.id).collect();
        let mut offset = 0;
        loop {
            self.requests += 1;
            let page = self.client.services(offset).await.map_err(call_error)?;
            for service in &page.items {
                if !self.settings.services.is_empty() && !self.settings.services.contains(&service.id) {
                    continue;
                }
                let service = map::service(service, &self.settings.name);
                self.store.put_service(&service).await.map_err(store_error)?;
                self.services.insert(service.id);
            }
            offset += PAGE_LIMIT;
            if !page.more || page.items.is_empty() || offset + PAGE_LIMIT > OFFSET_CAP {
                break;
            }
        }
        Ok(())
    }

    async fn first_fill(&mut self, now: DateTime<Utc>) -> Result<(), String> {
        let mut slicer = Slicer::new(now - FILL_RANGE, now + chrono::Duration::minutes(1));
        let mut listed: HashSet<String> = HashSet::new();
        let mut listing = slicer.current;
        loop {
            self.requests += 1;
            let page = self
                .client
                .incidents(&["triggered", "acknowledged"], listing.since, listing.until, listing.offset)
                .await
                .map_err(call_error)?;
            for pd in &page.items {
                if !listed.insert(pd.id.clone()) || !self.follows(pd.service.as_ref()) {
                    continue;
                }
                self.upsert(pd, &[], now).await.map_err(store_error)?;
            }
            let last = page.items.last().map(|i| i.created_at);
            match slicer.next(page.items.len(), page.more, last) {
                Some(next) => listing = next,
                None => break,
            }
        }
        // Open here, no longer open there: resolved while opsdeck was not looking.
        let stale: Vec<String> = self
            .store
            .incidents(true, ALL)
            .await
            .map_err(store_error)?
            .into_iter()
            .filter(|i| i.source.as_deref() == Some(self.settings.name.as_str()))
            .filter_map(|i| map::parse_id(&i.id).map(str::to_string))
            .filter(|id| !listed.contains(id))
            .collect();
        for id in stale {
            self.requests += 1;
            match self.client.incident(&id, Class::Sync).await {
                Ok(pd) => {
                    self.upsert(&pd, &[], now).await.map_err(store_error)?;
                }
                Err(CallError::Refused { status: 404, .. }) => {
                    tracing::warn!(source = %self.settings.name, incident = %id, "gone from PagerDuty");
                }
                Err(error) => return Err(call_error(error)),
            }
        }
        self.fill = Some((now, listed));
        Ok(())
    }

    /// Whether `entry` is older than the state the first fill read of its incident.
    fn before_fill(&self, entry: &LogEntry) -> bool {
        self.fill.as_ref().is_some_and(|(at, listed)| {
            // PagerDuty's times are whole seconds: an entry of the fill's own second may be newer.
            entry.created_at < at.trunc_subsecs(0) && entry.incident.as_ref().is_some_and(|i| listed.contains(&i.id))
        })
    }

    async fn incremental(&mut self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<(), String> {
        let mut by_incident: BTreeMap<String, Vec<LogEntry>> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut offset = 0;
        loop {
            self.requests += 1;
            let page = self.client.log_entries(since, until, offset).await.map_err(call_error)?;
            for entry in &page.items {
                if self.applied_set.contains(&entry.id)
                    || self.before_fill(entry)
                    || !self.follows(entry.service.as_ref())
                {
                    continue;
                }
                let Some(incident) = entry.incident.as_ref().map(|i| i.id.clone()).filter(|i| !i.is_empty()) else {
                    continue;
                };
                if !by_incident.contains_key(&incident) {
                    order.push(incident.clone());
                }
                by_incident.entry(incident).or_default().push(entry.clone());
            }
            offset += PAGE_LIMIT;
            if !page.more || page.items.is_empty() || offset + PAGE_LIMIT > OFFSET_CAP {
                break;
            }
        }
        for id in order {
            let mut entries = by_incident.remove(&id).unwrap_or_default();
            entries.sort_by_key(|e| e.created_at);
            self.requests += 1;
            let pd = match self.client.incident(&id, Class::Sync).await {
                Ok(pd) => pd,
                Err(CallError::Refused { status: 404, .. }) => continue,
                Err(error) => return Err(call_error(error)),
            };
            if !self.follows(pd.service.as_ref()) {
                continue;
            }
            if entries.iter().any(LogEntry::lacks_note) {
                self.requests += 1;
                let notes = self.client.notes(&id, Class::Sync).await.map_err(call_error)?;
                map::fill_notes(&mut entries, &notes);
            }
            let refs: Vec<&LogEntry> = entries.iter().collect();
            self.upsert(&pd, &refs, until).await.map_err(store_error)?;
            for entry in &entries {
                self.remember(&entry.id);
            }
        }
        Ok(())
    }

    fn remember(&mut self, id: &str) {
        if self.applied_set.insert(id.to_string()) {
            self.applied.push_back(id.to_string());
        }
        while self.applied.len() > REMEMBERED {
            if let Some(old) = self.applied.pop_front() {
                self.applied_set.remove(&old);
            }
        }
    }

    /// Writes `pd` (with the log entries read for it) into the store; returns whether it wrote.
    async fn upsert(
        &mut self,
        pd: &client::Incident,
        entries: &[&LogEntry],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut fresh = map::new_incident(pd, &self.settings, entries.is_empty(), now);
        if !fresh.service_id.is_empty() && !self.services.contains(&fresh.service_id) {
            let service = crate::domain::Service {
                id: fresh.service_id.clone(),
                name: fresh.service_id.clone(),
                description: format!("PagerDuty service (source {})", self.settings.name),
                escalation_policy_id: pd.escalation_policy.as_ref().map(|p| map::policy_id(&p.id)).unwrap_or_default(),
            };
            self.store.put_service(&service).await?;
            self.services.insert(service.id);
        }
        let owned: Vec<LogEntry> = entries.iter().map(|e| (*e).clone()).collect();
        map::apply_entries(&mut fresh, &owned.iter().collect::<Vec<_>>(), &self.settings);
        let (settings, pd) = (self.settings.clone(), pd.clone());
        let id = fresh.id.clone();
        let decide = Box::new(move |input: TxInput| match input.current {
            None => {
                let entity = Entity::Incident(fresh);
                TxOutcome { response: StoredResponse::entity(201, &entity), write: Some(entity) }
            }
            Some(Entity::Incident(mut current)) if current.source.as_deref() == Some(settings.name.as_str()) => {
                let refs: Vec<&LogEntry> = owned.iter().collect();
                let state = map::apply_state(&mut current, &pd, &settings, now);
                let events = map::apply_entries(&mut current, &refs, &settings);
                if state || events {
                    current.version += 1;
                    current.updated_at = now;
                    let entity = Entity::Incident(current);
                    TxOutcome { response: StoredResponse::entity(200, &entity), write: Some(entity) }
                } else {
                    TxOutcome { response: StoredResponse::json(304, &()), write: None }
                }
            }
            Some(_) => TxOutcome { response: StoredResponse::json(409, &()), write: None },
        });
        let tx = EntityTx { kind: EntityKind::Incident, id: Some(id), idempotency: None, decide };
        let result = self.store.transact(tx).await?;
        Ok(matches!(result, TxResult::Fresh(StoredResponse { status: 200 | 201, .. })))
    }
}

#[cfg(test)]
mod tests;
