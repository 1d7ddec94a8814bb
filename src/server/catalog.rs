//! Seeding a new store with the default catalog ([`crate::domain::catalog`]).

use super::store::{Store, StoreError};
use crate::domain::catalog::{policies, services};

/// Writes the default catalog into a store that has no services yet.
pub async fn ensure(store: &dyn Store) -> Result<(), StoreError> {
    if !store.services().await?.is_empty() {
        return Ok(());
    }
    for policy in policies() {
        store.put_policy(&policy).await?;
    }
    for service in services() {
        store.put_service(&service).await?;
    }
    Ok(())
}
