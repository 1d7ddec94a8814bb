//! The Ops API v1 maintenance-window endpoints. Anyone may read; only commanders plan, edit and
//! cancel. Windows are entities like incidents and tickets: writes run in one store transaction
//! ([`Store::transact`](crate::server::store::Store::transact)) with the same idempotency and version
//! rules, and edits and cancellations are decided by [`decide_action`].

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{decide_action, idempotency_scope, respond};
use crate::api::{ErrorBody, MaintenanceConflictBody, MaintenanceEdit, Me, Role, VersionBody};
use crate::domain::maintenance::validate;
use crate::domain::{Command, Entity, EntityKind, MaintenanceAction, MaintenanceWindow, NewMaintenance};
use crate::server::ServerState;
use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::extract::Body;
use crate::server::store::{EntityTx, StoredResponse, TxInput, TxOutcome};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MaintenanceQuery {
    /// Also list cancelled windows (default `false`).
    pub include_cancelled: Option<bool>,
}

#[utoipa::path(get, path = "/v1/maintenance", tag = "maintenance", security(("bearer" = [])), params(MaintenanceQuery),
    responses((status = 200, description = "Maintenance windows by first start; cancelled ones only when asked", body = Vec<MaintenanceWindow>),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or unknown token", body = ErrorBody)))]
pub async fn list_maintenance(
    State(state): State<ServerState>,
    _caller: Caller,
    query: Result<Query<MaintenanceQuery>, QueryRejection>,
) -> Result<Json<Vec<MaintenanceWindow>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    Ok(Json(state.store.maintenance_windows(query.include_cancelled.unwrap_or(false)).await?))
}

#[utoipa::path(get, path = "/v1/maintenance/{id}", tag = "maintenance", security(("bearer" = [])),
    params(("id" = String, Path, description = "Window id, e.g. MW-3001")),
    responses((status = 200, description = "The window, cancelled or not", body = MaintenanceWindow),
              (status = 404, description = "No such window", body = ErrorBody)))]
pub async fn get_maintenance(
    State(state): State<ServerState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<MaintenanceWindow>, ApiError> {
    state.store.maintenance(&id).await?.map(Json).ok_or_else(|| ApiError::not_found(EntityKind::Maintenance, &id))
}

#[utoipa::path(post, path = "/v1/maintenance", tag = "maintenance", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    request_body = NewMaintenance,
    responses((status = 201, description = "Planned", body = MaintenanceWindow),
              (status = 400, description = "Malformed body or idempotency key", body = ErrorBody),
              (status = 403, description = "Only commanders plan maintenance", body = ErrorBody),
              (status = 422, description = "Invalid fields (the message names the field), unknown service, or idempotency key reused", body = ErrorBody)))]
pub async fn create_maintenance(
    State(state): State<ServerState>,
    Caller(me): Caller,
    headers: HeaderMap,
    body: Body<NewMaintenance>,
) -> Result<Response, ApiError> {
    require_commander(&me)?;
    let Body(new) = body;
    let scope = idempotency_scope(&headers, &me, "POST /v1/maintenance", &new)?;
    let new = checked(&state, new).await?;
    let actor = me.name;
    let decide = Box::new(move |input: TxInput| {
        let window = MaintenanceWindow::create(input.new_id.unwrap_or_default(), new, &actor, Utc::now());
        let window = Entity::Maintenance(window);
        TxOutcome { response: StoredResponse::entity(201, &window), write: Some(window) }
    });
    let tx = EntityTx { kind: EntityKind::Maintenance, id: None, idempotency: scope, decide };
    Ok(respond(state.store.transact(tx).await?))
}

#[utoipa::path(put, path = "/v1/maintenance/{id}", tag = "maintenance", security(("bearer" = [])),
    description = "Replace the fields of a window. The body carries the version the client last saw.",
    params(("id" = String, Path, description = "Window id"),
           ("Idempotency-Key" = Option<String>, Header, description = "The same key twice applies once and returns the first answer")),
    request_body = MaintenanceEdit,
    responses((status = 200, description = "Edited; the window as it is now", body = MaintenanceWindow),
              (status = 400, description = "Malformed body or idempotency key", body = ErrorBody),
              (status = 403, description = "Only commanders edit maintenance", body = ErrorBody),
              (status = 404, description = "No such window", body = ErrorBody),
              (status = 409, description = "Stale version or cancelled window", body = MaintenanceConflictBody),
              (status = 422, description = "Invalid fields, unknown service, a window made in Alertmanager (change it there), or idempotency key reused", body = ErrorBody)))]
pub async fn edit_maintenance(
    State(state): State<ServerState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<MaintenanceEdit>,
) -> Result<Response, ApiError> {
    require_commander(&me)?;
    let Body(body) = body;
    let scope = idempotency_scope(&headers, &me, &format!("PUT /v1/maintenance/{id}"), &body)?;
    let seen = body.version;
    refuse_read_only(&state, &id).await?;
    let window = checked(&state, body.fields).await?;
    change(state, me, id, scope, MaintenanceAction::Edit { window }, seen).await
}

#[utoipa::path(post, path = "/v1/maintenance/{id}/cancel", tag = "maintenance", security(("bearer" = [])),
    description = "Cancel a window: it keeps its history but has no occurrences any more.",
    params(("id" = String, Path, description = "Window id"),
           ("Idempotency-Key" = Option<String>, Header, description = "The same key twice applies once and returns the first answer")),
    request_body = VersionBody,
    responses((status = 200, description = "Cancelled; the window as it is now", body = MaintenanceWindow),
              (status = 400, description = "Malformed body or idempotency key", body = ErrorBody),
              (status = 403, description = "Only commanders cancel maintenance", body = ErrorBody),
              (status = 404, description = "No such window", body = ErrorBody),
              (status = 409, description = "Stale version or already cancelled", body = MaintenanceConflictBody),
              (status = 422, description = "A window made in Alertmanager (change it there), or idempotency key reused for another request", body = ErrorBody)))]
pub async fn cancel_maintenance(
    State(state): State<ServerState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<VersionBody>,
) -> Result<Response, ApiError> {
    require_commander(&me)?;
    let Body(body) = body;
    let scope = idempotency_scope(&headers, &me, &format!("POST /v1/maintenance/{id}/cancel"), &body)?;
    refuse_read_only(&state, &id).await?;
    change(state, me, id, scope, MaintenanceAction::Cancel, body.version).await
}

/// An edit or a cancellation, decided by the domain's rules like every other action: 404, 409
/// (already cancelled, then stale version) with the current window, or 200 with the changed one.
async fn change(
    state: ServerState,
    me: Me,
    id: String,
    scope: Option<crate::server::store::IdempotencyScope>,
    action: MaintenanceAction,
    seen: i64,
) -> Result<Response, ApiError> {
    let kind = EntityKind::Maintenance;
    let tx_id = Some(id.clone());
    let command = Command::Maintenance(action);
    let decide =
        Box::new(move |input: TxInput| decide_action(input.current, &id, &command, seen, &me.name, None, None));
    let result = state.store.transact(EntityTx { kind, id: tx_id, idempotency: scope, decide }).await?;
    // A window cut short or cancelled no longer holds pages back: send them now, not at the
    // next sweep. A failure here leaves them to the sweep; the change itself stands.
    if let Err(err) = crate::server::pager::release_held(state.store.as_ref(), Utc::now()).await {
        tracing::warn!(error = %err, "sending held pages after a window change failed");
    }
    Ok(respond(result))
}

/// A 422 for a window a source made (a silence made in Alertmanager): it is changed there.
async fn refuse_read_only(state: &ServerState, id: &str) -> Result<(), ApiError> {
    match state.store.maintenance(id).await? {
        Some(window) if window.source.is_some() => {
            Err(ApiError::unprocessable(format!("{id} was {}", crate::domain::maintenance::READ_ONLY)))
        }
        _ => Ok(()),
    }
}

/// Validates and normalises the fields, and checks the services are in the catalog.
async fn checked(state: &ServerState, mut new: NewMaintenance) -> Result<NewMaintenance, ApiError> {
    validate(&new).map_err(|e| ApiError::unprocessable(e.to_string()))?;
    new.normalize();
    for service in &new.services {
        if state.store.service(service).await?.is_none() {
            return Err(ApiError::unprocessable(format!("services: unknown service `{service}`")));
        }
    }
    Ok(new)
}

fn require_commander(me: &Me) -> Result<(), ApiError> {
    if me.role >= Role::Commander {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "{} has the {} role; only commanders can plan, edit or cancel maintenance windows",
        me.name,
        me.role.label()
    )))
}
