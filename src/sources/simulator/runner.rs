//! Runs the simulator against a store: seeds the demo world, then steps once per `Pace::step_secs`
//! and applies each operation through the store's transaction, actions decided by the same domain
//! rule as the API's action endpoints ([`crate::domain::decide`]) and new incidents paged or held
//! by the same rule as the API's. A client of [`Store`] only: no HTTP, no particular store. Model
//! monitoring is seeded with three days of history and its current hour refreshed once a minute.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

use super::drift::{self, DriftSim};
use super::{Pace, SimOp, Simulator, maintenance, postmortems, tickets};
use crate::domain::{self, Command, Decision, Entity, EntityKind, Incident, MaintenanceWindow, Ticket, TicketStatus};
use crate::server::sources::{Source, SourceContext};
use crate::server::store::{EntityTx, Store, StoreError, StoredResponse, TxInput, TxOutcome};

/// Recently changed tickets handed to the simulator besides the open ones, so it sees tickets
/// just resolved (the desk closes them later).
const RECENT_TICKETS: u32 = 50;
/// Hours of monitoring history seeded into a store without models.
pub const MONITORING_HISTORY_HOURS: i64 = 72;
/// How often the open hour's windows and quality points are sent again.
const DRIFT_REFRESH: Duration = Duration::from_secs(60);

/// The simulator as a source of a server's store.
pub(super) struct Runner {
    pub name: String,
    pub seed: u64,
    pub pace: Pace,
}

#[async_trait::async_trait]
impl Source for Runner {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "simulator"
    }

    fn people(&self) -> Vec<String> {
        tickets::staff()
    }

    async fn start(&self, context: SourceContext) -> Result<JoinHandle<()>, StoreError> {
        let handle = start(context.store, self.seed, self.pace).await?;
        context.health.ok(Utc::now());
        Ok(handle)
    }
}

/// Seeds the history into an empty store and runs the simulator until the task is aborted.
pub async fn start(store: Arc<dyn Store>, seed: u64, pace: Pace) -> Result<JoinHandle<()>, StoreError> {
    let mut sim = Simulator::new(seed, pace, Utc::now());
    if store.incidents(false, 1).await?.is_empty() {
        for incident in sim.seed_history(Utc::now()) {
            insert(store.as_ref(), Entity::Incident(incident)).await?;
        }
    }
    if store.tickets(false, 1).await?.is_empty() {
        let open = store.incidents(true, 1000).await?;
        for ticket in sim.seed_ticket_history(Utc::now(), &open) {
            insert(store.as_ref(), Entity::Ticket(ticket)).await?;
        }
    }
    seed_maintenance(store.as_ref()).await?;
    seed_postmortems(store.as_ref()).await?;
    let mut drift = DriftLive::start(store.as_ref(), seed).await?;
    Ok(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(pace.step_secs.max(1)));
        loop {
            ticker.tick().await;
            if let Err(err) = run_step(store.as_ref(), &mut sim).await {
                tracing::warn!(error = %err, "simulator step failed");
            }
            if let Err(err) = drift.step(store.as_ref(), Utc::now()).await {
                tracing::warn!(error = %err, "monitoring step failed");
            }
        }
    }))
}

/// Plans the demo maintenance calendar into a store that has no windows (cancelled ones count).
async fn seed_maintenance(store: &dyn Store) -> Result<(), StoreError> {
    if !store.maintenance_windows(true).await?.is_empty() {
        return Ok(());
    }
    let services: Vec<String> = store.services().await?.into_iter().map(|s| s.id).collect();
    let now = Utc::now();
    for new in maintenance::demo_windows(now, &services) {
        insert(store, Entity::Maintenance(MaintenanceWindow::create(String::new(), new, "simulator", now))).await?;
    }
    Ok(())
}

/// Writes the demo postmortems about the seeded incidents into a store that has none. Their ids
/// come from their incidents, so each is stored under its own id, and one that exists by then is
/// left as it is.
async fn seed_postmortems(store: &dyn Store) -> Result<(), StoreError> {
    if !store.postmortems().await?.is_empty() {
        return Ok(());
    }
    let incidents = store.incidents(false, 1000).await?;
    for postmortem in postmortems::demo_postmortems(&incidents, Utc::now()) {
        let id = Some(postmortem.id.clone());
        let decide = Box::new(move |input: TxInput| match input.current {
            None => {
                let entity = Entity::Postmortem(postmortem);
                TxOutcome { response: StoredResponse::entity(201, &entity), write: Some(entity) }
            }
            Some(current) => TxOutcome { response: StoredResponse::entity(200, &current), write: None },
        });
        store.transact(EntityTx { kind: EntityKind::Postmortem, id, idempotency: None, decide }).await?;
    }
    Ok(())
}

/// The live side of the monitoring demo: the open hour, sent again as it fills.
pub struct DriftLive {
    sim: DriftSim,
    last_refresh: Option<std::time::Instant>,
    /// The hour refreshed last; when the clock moves past it, its final windows are sent.
    hour: Option<DateTime<Utc>>,
}

impl DriftLive {
    /// Seeds the demo models and their history into a store that has no models (after the
    /// incidents, which shape the quality series), and continues the story a store already has.
    pub async fn start(store: &dyn Store, seed: u64) -> Result<DriftLive, StoreError> {
        let now = Utc::now();
        let models = store.models().await?;
        let origin = if models.is_empty() {
            let incidents = store.incidents(false, 1000).await?;
            let seeded = drift::demo_monitoring(seed, now, MONITORING_HISTORY_HOURS, &incidents);
            store.put_monitoring(&seeded.models, &seeded.windows, &seeded.quality).await?;
            now
        } else {
            DriftSim::origin_of(&models).unwrap_or(now)
        };
        Ok(DriftLive { sim: DriftSim::new(seed, origin), last_refresh: None, hour: None })
    }

    /// At most once a minute: the open hour of every demo model and feature, filled as far as
    /// `now` is into it, and the final windows of the hour that just ended.
    pub async fn step(&mut self, store: &dyn Store, now: DateTime<Utc>) -> Result<(), StoreError> {
        if self.last_refresh.is_some_and(|at| at.elapsed() < DRIFT_REFRESH) {
            return Ok(());
        }
        self.last_refresh = Some(std::time::Instant::now());
        let current = drift::hour_start(now);
        let mut hours = vec![(current, drift::fill_at(current, now))];
        if self.hour.is_some_and(|h| h < current) {
            hours.push((current - chrono::Duration::hours(1), 1.0));
        }
        self.hour = Some(current);
        let models = store.models().await?;
        let incidents = store.incidents(false, 1000).await?;
        let (mut windows, mut quality) = (Vec::new(), Vec::new());
        for model in models.iter().filter(|m| m.window_secs == 3600) {
            for (start, fill) in &hours {
                let before = windows.len();
                for feature in &model.features {
                    let window = self.sim.window(model, &feature.name, *start, *fill, &incidents);
                    windows.extend(window.filter(|w| w.current.kind() == feature.kind()));
                }
                // Models this simulator did not make get no made-up quality either.
                if windows.len() > before {
                    quality.push(self.sim.quality(model, *start, *fill, &incidents));
                }
            }
        }
        store.put_monitoring(&[], &windows, &quality).await
    }
}

async fn run_step(store: &dyn Store, sim: &mut Simulator) -> Result<(), StoreError> {
    let open = store.incidents(true, 1000).await?;
    let tickets = desk_view(store).await?;
    let now = Utc::now();
    for op in sim.step(now, &open, &tickets) {
        apply(store, op).await?;
    }
    Ok(())
}

/// The open tickets and the recently changed ones, each once.
async fn desk_view(store: &dyn Store) -> Result<Vec<Ticket>, StoreError> {
    let mut tickets = store.tickets(true, 1000).await?;
    for ticket in store.tickets(false, RECENT_TICKETS).await? {
        if !ticket.is_open() {
            tickets.push(ticket);
        }
    }
    Ok(tickets)
}

/// Stores a new entity under a fresh id or key.
async fn insert(store: &dyn Store, entity: Entity) -> Result<(), StoreError> {
    let kind = entity.kind();
    let decide = Box::new(move |input: TxInput| {
        let id = input.new_id.unwrap_or_default();
        let entity = match entity {
            Entity::Incident(incident) => Entity::Incident(Incident { id, ..incident }),
            Entity::Ticket(ticket) => Entity::Ticket(Ticket { key: id, ..ticket }),
            Entity::Maintenance(window) => Entity::Maintenance(MaintenanceWindow { id, ..window }),
            Entity::Postmortem(postmortem) => Entity::Postmortem(postmortem),
        };
        TxOutcome { response: StoredResponse::entity(201, &entity), write: Some(entity) }
    });
    store.transact(EntityTx { kind, id: None, idempotency: None, decide }).await?;
    Ok(())
}

/// Applies `command` to the entity as it is now, on behalf of `actor`, decided by the same rule
/// as the API's action endpoints. Nobody reads the answer (no idempotency key keeps it).
async fn act(store: &dyn Store, id: String, command: Command, actor: String) -> Result<(), StoreError> {
    let kind = command.kind();
    let (version, policy) = match kind {
        EntityKind::Incident => {
            let Some(current) = store.incident(&id).await? else {
                return Ok(());
            };
            (current.version, store.service_policy(&current.service_id).await?)
        }
        EntityKind::Ticket => match store.ticket(&id).await? {
            Some(current) => (current.version, None),
            None => return Ok(()),
        },
        EntityKind::Postmortem => match store.postmortem(&id).await? {
            Some(current) => (current.version, None),
            None => return Ok(()),
        },
        EntityKind::Maintenance => match store.maintenance(&id).await? {
            Some(current) => (current.version, None),
            None => return Ok(()),
        },
    };
    let decide = Box::new(move |input: TxInput| {
        match domain::decide(input.current, &command, version, &actor, Utc::now(), policy.as_ref()) {
            Decision::Applied(next) => TxOutcome { response: StoredResponse::entity(200, &next), write: Some(next) },
            Decision::Rejected { .. } => TxOutcome { response: StoredResponse::json(409, &()), write: None },
            Decision::NotFound => TxOutcome { response: StoredResponse::json(404, &()), write: None },
        }
    });
    store.transact(EntityTx { kind, id: Some(id), idempotency: None, decide }).await?;
    Ok(())
}

/// Applies one operation through the same transaction the HTTP handlers use.
pub async fn apply(store: &dyn Store, op: SimOp) -> Result<(), StoreError> {
    match op {
        SimOp::Trigger(new) => {
            let policy = store.service_policy(&new.service_id).await?;
            let now = Utc::now();
            let held = store.suppression(&new.service_id, now).await?;
            let incident =
                Incident::trigger_during(String::new(), new, "alertmanager", now, policy.as_ref(), held.as_ref());
            insert(store, Entity::Incident(incident)).await
        }
        SimOp::Act { incident_id, action, actor } => act(store, incident_id, Command::Incident(action), actor).await,
        SimOp::OpenTicket { new, source } => {
            insert(store, Entity::Ticket(Ticket::open(String::new(), new, &source, Utc::now()))).await
        }
        SimOp::TicketAct { key, action, actor } => act(store, key, Command::Ticket(action), actor).await,
        SimOp::CloseTicket { key } => {
            let decide = Box::new(move |input: TxInput| match input.current {
                Some(Entity::Ticket(mut ticket)) if ticket.status == TicketStatus::Resolved => {
                    ticket.close(Utc::now());
                    TxOutcome { response: StoredResponse::json(200, &ticket), write: Some(Entity::Ticket(ticket)) }
                }
                _ => TxOutcome { response: StoredResponse::json(409, &()), write: None },
            });
            store.transact(EntityTx { kind: EntityKind::Ticket, id: Some(key), idempotency: None, decide }).await?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DbLocation;
    use crate::server::store::sqlite::SqliteStore;

    #[tokio::test]
    async fn monitoring_is_seeded_once_and_the_open_hour_refreshed_at_most_once_a_minute() {
        let store = SqliteStore::open(&DbLocation::Memory).await.unwrap();
        let mut live = DriftLive::start(&store, 7).await.unwrap();
        let seeded = store.head().await.unwrap();
        assert!(seeded >= MONITORING_HISTORY_HOURS * 10, "models, windows and quality seeded");
        let origin = live.sim.origin();
        assert_eq!(DriftLive::start(&store, 7).await.unwrap().sim.origin(), origin, "a restart continues the story");
        assert_eq!(store.head().await.unwrap(), seeded, "and seeds nothing again");

        let now = origin + chrono::Duration::minutes(1);
        live.step(&store, now).await.unwrap();
        let refreshed = store.changes(seeded, 1000).await.unwrap();
        assert_eq!(refreshed.changes.len(), 8 + 2, "every feature's open window and both quality points");
        live.step(&store, now).await.unwrap();
        assert_eq!(store.changes(refreshed.last_seq, 1000).await.unwrap().changes.len(), 0, "not again so soon");

        // The hour turns: the one that ended is sent complete, with the new one.
        live.last_refresh = None;
        let next = drift::hour_start(now) + chrono::Duration::hours(1);
        live.step(&store, next + chrono::Duration::minutes(5)).await.unwrap();
        let turned = store.changes(refreshed.last_seq, 1000).await.unwrap().changes;
        assert_eq!(turned.len(), 2 * (8 + 2));
        let ended = store.windows(drift::SUPPORT_ASSISTANT, "language", None, 2).await.unwrap();
        assert_eq!(ended[1].start, next);
        assert!(ended[0].current.len() >= drift::WINDOW_SIZE - 20, "the hour that ended is full");
        assert!(ended[1].current.len() < ended[0].current.len(), "the new hour has just begun");
    }
}
