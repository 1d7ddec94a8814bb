//! The maintenance-window transaction of [`SqliteStore`]: the same read-decide-write-remember
//! as `transact`, for a kind that is not an [`crate::domain::Entity`] (windows are changed by
//! commanders through their own endpoints, not by queued console commands).

use super::{
    IdempotencyScope, KIND_MAINTENANCE, SqliteStore, StoreError, StoredResponse, TxResult, next_id, read_doc, remember,
    replay, write_doc,
};
use crate::domain::MaintenanceWindow;

pub struct MaintenanceTxInput {
    /// The window as stored now (`None` when it does not exist or one is being created).
    pub current: Option<MaintenanceWindow>,
    /// For creation: the id the new window gets (`MW-3001…`).
    pub new_id: Option<String>,
}

pub struct MaintenanceTxOutcome {
    /// What to store: the window the transaction is about (same id), or nothing.
    pub write: Option<MaintenanceWindow>,
    pub response: StoredResponse,
}

pub type MaintenanceDecide = Box<dyn FnOnce(MaintenanceTxInput) -> MaintenanceTxOutcome + Send>;

/// One atomic read-decide-write of a maintenance window.
pub struct MaintenanceTx {
    /// The window to load; `None` creates one with a fresh id.
    pub id: Option<String>,
    pub idempotency: Option<IdempotencyScope>,
    pub decide: MaintenanceDecide,
}

impl SqliteStore {
    pub(super) async fn run_maintenance_tx(&self, request: MaintenanceTx) -> Result<TxResult, StoreError> {
        let _w = self.writer.lock().await;
        let mut tx = self.pool.begin().await?;
        if let Some(seen) = replay(&mut tx, request.idempotency.as_ref()).await? {
            return Ok(seen);
        }
        let input = match &request.id {
            Some(id) => {
                let doc = read_doc(&mut tx, KIND_MAINTENANCE, id).await?;
                let current = doc.map(|d| serde_json::from_str(&d)).transpose()?;
                MaintenanceTxInput { current, new_id: None }
            }
            None => {
                MaintenanceTxInput { current: None, new_id: Some(next_id(&mut tx, "maintenance", 3001, "MW").await?) }
            }
        };
        let expected_id = request.id.clone().or_else(|| input.new_id.clone());
        let outcome = (request.decide)(input);
        if let Some(window) = &outcome.write {
            if expected_id.as_deref() != Some(window.id.as_str()) {
                let wrote = format!("maintenance `{}`", window.id);
                return Err(StoreError::WrongEntity { kind: KIND_MAINTENANCE, wrote });
            }
            let doc = serde_json::to_string(window)?;
            write_doc(&mut tx, KIND_MAINTENANCE, &window.id, Some(!window.cancelled), &doc).await?;
        }
        remember(&mut tx, request.idempotency.as_ref(), &outcome.response).await?;
        tx.commit().await?;
        Ok(TxResult::Fresh(outcome.response))
    }
}
