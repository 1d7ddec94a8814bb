//! Paging under maintenance: sending the pages a window suppressing alerts on a service held back,
//! once no such window covers the service any more (the window ended, was cut short or was
//! cancelled) while the incident is still unacknowledged. Whether a new incident's page is held is
//! [`Store::suppression`], which the API and the simulator both ask.
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
