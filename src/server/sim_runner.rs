//! Runs the simulator against a store: seeds the demo world, then steps once per `Pace::step_secs`
//! and applies each operation through the same store transaction as the HTTP handlers.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinHandle;

use super::handlers::{decide_action, entity_response};
use super::simulator::{Pace, SimOp, Simulator};
use super::store::{EntityTx, Store, StoreError, StoredResponse, TxInput, TxOutcome};
use crate::domain::{Command, Entity, EntityKind, Incident, Ticket, TicketStatus};

/// Recently changed tickets handed to the simulator besides the open ones, so it sees tickets
/// just resolved (the desk closes them later).
const RECENT_TICKETS: u32 = 50;

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
    Ok(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(pace.step_secs.max(1)));
        loop {
            ticker.tick().await;
            if let Err(err) = run_step(store.as_ref(), &mut sim).await {
                tracing::warn!(error = %err, "simulator step failed");
            }
        }
    }))
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
        };
        TxOutcome { response: entity_response(201, &entity), write: Some(entity) }
    });
    store.transact(EntityTx { kind, id: None, idempotency: None, decide }).await?;
    Ok(())
}

/// Applies `command` to the entity as it is now, on behalf of `actor`.
async fn act(store: &dyn Store, id: String, command: Command, actor: String) -> Result<(), StoreError> {
    let kind = command.kind();
    let (version, policy) = match kind {
        EntityKind::Incident => {
            let Some(current) = store.incident(&id).await? else {
                return Ok(());
            };
            let policy = match store.service(&current.service_id).await? {
                Some(service) => store.policy(&service.escalation_policy_id).await?,
                None => None,
            };
            (current.version, policy)
        }
        EntityKind::Ticket => match store.ticket(&id).await? {
            Some(current) => (current.version, None),
            None => return Ok(()),
        },
    };
    let key = id.clone();
    let decide = Box::new(move |input: TxInput| {
        decide_action(input.current, kind, &key, &command, version, &actor, policy.as_ref())
    });
    store.transact(EntityTx { kind, id: Some(id), idempotency: None, decide }).await?;
    Ok(())
}

/// Applies one operation through the same transaction the HTTP handlers use.
pub async fn apply(store: &dyn Store, op: SimOp) -> Result<(), StoreError> {
    match op {
        SimOp::Trigger(new) => {
            let policy = match store.service(&new.service_id).await? {
                Some(service) => store.policy(&service.escalation_policy_id).await?,
                None => None,
            };
            let incident = Incident::trigger(String::new(), new, "alertmanager", Utc::now(), policy.as_ref());
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
