//! Paging under maintenance: whether a new incident is paged or held back by a window that
//! suppresses alerts on its service, and sending the held pages once no such window covers the
//! service any more (the window ended, was cut short or was cancelled) while the incident is
//! still unacknowledged.
//!
//! Held pages are sent by a sweep: every [`SWEEP`] on a task of its own, and at once after a
//! window is edited or cancelled, so a page is late by at most a few seconds after a window ends
//! on its own and not at all after a commander ends it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

use super::store::{EntityTx, Store, StoreError, StoredResponse, TxInput, TxOutcome, TxResult};
use crate::domain::maintenance::suppression_for;
use crate::domain::{Entity, EntityKind};

/// How often held pages are looked at.
pub const SWEEP: Duration = Duration::from_secs(5);

/// Sends every held page no window holds back at `now` any more; returns the incidents paged.
pub async fn release_held(store: &dyn Store, now: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
    let held: Vec<_> = store.incidents(true, 1000).await?.into_iter().filter(|i| i.page_held().is_some()).collect();
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let windows = store.maintenance_windows(false).await?;
    let mut paged = Vec::new();
    for incident in held {
        if suppression_for(&windows, &incident.service_id, now).is_some() {
            continue;
        }
        let policy = store.service_policy(&incident.service_id).await?;
        // Decided on the incident as it is in the transaction: acknowledged meanwhile, no page.
        let decide = Box::new(move |input: TxInput| match input.current {
            Some(Entity::Incident(mut current)) => {
                if current.release_page(now, policy.as_ref()) {
                    let entity = Entity::Incident(current);
                    TxOutcome { response: StoredResponse::entity(200, &entity), write: Some(entity) }
                } else {
                    TxOutcome { response: StoredResponse::json(409, &()), write: None }
                }
            }
            _ => TxOutcome { response: StoredResponse::json(409, &()), write: None },
        });
        let tx = EntityTx { kind: EntityKind::Incident, id: Some(incident.id.clone()), idempotency: None, decide };
        if matches!(store.transact(tx).await?, TxResult::Fresh(StoredResponse { status: 200, .. })) {
            paged.push(incident.id);
        }
    }
    Ok(paged)
}

/// Sweeps for held pages every [`SWEEP`] until aborted.
pub fn start(store: Arc<dyn Store>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(SWEEP);
        loop {
            ticker.tick().await;
            match release_held(store.as_ref(), Utc::now()).await {
                Ok(paged) if !paged.is_empty() => tracing::info!(?paged, "held pages sent after maintenance"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "sending held pages failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DbLocation;
    use crate::domain::{EventKind, MaintenanceKind, MaintenanceWindow, NewIncident, NewMaintenance, Priority};
    use crate::server::simulator::SimOp;
    use crate::server::store::SqliteStore;

    async fn plan(store: &dyn Store, new: NewMaintenance) {
        let decide = Box::new(move |input: TxInput| {
            let window = MaintenanceWindow::create(input.new_id.unwrap_or_default(), new, "dana", Utc::now());
            let entity = Entity::Maintenance(window);
            TxOutcome { response: StoredResponse::entity(201, &entity), write: Some(entity) }
        });
        store.transact(EntityTx { kind: EntityKind::Maintenance, id: None, idempotency: None, decide }).await.unwrap();
    }

    #[tokio::test]
    async fn a_held_page_goes_out_when_the_window_ends_on_its_own() {
        let store = SqliteStore::open(&DbLocation::Memory).await.unwrap();
        crate::server::catalog::ensure(&store).await.unwrap();
        let now = Utc::now();
        let end = now + chrono::Duration::minutes(30);
        plan(
            &store,
            NewMaintenance {
                title: "Emergency patch".into(),
                kind: MaintenanceKind::EmergencyPatch,
                services: vec!["llm-gateway".into()],
                start: now - chrono::Duration::minutes(10),
                end,
                timezone: "UTC".into(),
                rrule: None,
                description: String::new(),
                suppress_alerts: true,
                pause_sla: false,
            },
        )
        .await;
        // The simulator's alerts go through the same rule as the API's.
        let new = NewIncident { title: "5xx spike".into(), service_id: "llm-gateway".into(), priority: Priority::P1 };
        crate::server::sim_runner::apply(&store, SimOp::Trigger(new)).await.unwrap();
        let id = store.incidents(true, 10).await.unwrap()[0].id.clone();
        let incident = store.incident(&id).await.unwrap().unwrap();
        assert_eq!(incident.held_by(), Some("MW-3001"), "{:?}", incident.timeline);

        assert!(release_held(&store, now + chrono::Duration::minutes(10)).await.unwrap().is_empty(), "still running");
        assert_eq!(release_held(&store, end).await.unwrap(), vec![id.clone()], "ended: paged");
        let incident = store.incident(&id).await.unwrap().unwrap();
        let page = incident.last_event().unwrap();
        assert_eq!((page.kind, page.at), (EventKind::Notified, end));
        assert!(page.text.starts_with("paged ") && page.text.ends_with("now that MW-3001 is over"), "{}", page.text);
        assert!(release_held(&store, end).await.unwrap().is_empty(), "once");
    }
}
