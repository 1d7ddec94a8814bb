//! The incident endpoints: list, read, open (paged by the service's escalation policy, or held
//! back by a maintenance window), and the actions (acknowledge, escalate, resolve, reassign, note,
//! star), which go through [`act`] like every resource's. An action asked with
//! `Prefer: return=minimal` answers with an `IncidentTail`: the timeline from the first event it
//! changed, not all of it again.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;

use super::{ListQuery, act, action_handler, idempotency_scope, require_actor, respond};
use crate::api::{AssignBody, ConflictBody, ErrorBody, NoteBody, StarBody, VersionBody};
use crate::domain::incident::validate_new_incident;
use crate::domain::{Command, Entity, EntityKind, Incident, IncidentAction, NewIncident};
use crate::server::ServerState;
use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::extract::Body;
use crate::server::store::{EntityTx, StoredResponse, TxInput, TxOutcome};

#[utoipa::path(get, path = "/v1/incidents", tag = "incidents", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "Incidents, most recently changed first", body = Vec<Incident>),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or unknown token", body = ErrorBody)))]
pub async fn list_incidents(
    State(state): State<ServerState>,
    _caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<Incident>>, ApiError> {
    let (open_only, limit) = ListQuery::parse(query)?;
    Ok(Json(state.store.incidents(open_only, limit).await?))
}

#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, description = "Incident id, e.g. INC-1042")),
    responses((status = 200, description = "The incident with its timeline", body = Incident),
              (status = 404, description = "No such incident", body = ErrorBody)))]
pub async fn get_incident(
    State(state): State<ServerState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Incident>, ApiError> {
    state.store.incident(&id).await?.map(Json).ok_or_else(|| ApiError::not_found(EntityKind::Incident, &id))
}

#[utoipa::path(post, path = "/v1/incidents", tag = "incidents", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    request_body = NewIncident,
    description = "Open an incident. Its service's escalation policy pages the first tier, unless a maintenance window suppressing alerts on the service is running: then nobody is paged (the timeline says which window) until no such window covers the service any more, if it is still unacknowledged.",
    responses((status = 201, description = "Opened", body = Incident),
              (status = 403, description = "Viewers cannot open incidents", body = ErrorBody),
              (status = 422, description = "Invalid fields or unknown service", body = ErrorBody)))]
pub async fn create_incident(
    State(state): State<ServerState>,
    Caller(me): Caller,
    headers: HeaderMap,
    body: Body<NewIncident>,
) -> Result<Response, ApiError> {
    require_actor(&me, EntityKind::Incident)?;
    let Body(new) = body;
    validate_new_incident(&new).map_err(ApiError::unprocessable)?;
    let service = state
        .store
        .service(&new.service_id)
        .await?
        .ok_or_else(|| ApiError::unprocessable(format!("unknown service `{}`", new.service_id)))?;
    let policy = state.store.policy(&service.escalation_policy_id).await?;
    let scope = idempotency_scope(&headers, &me, "POST /v1/incidents", &new)?;
    let actor = me.name.clone();
    // A window suppressing alerts on the service holds the page back until it is over.
    let held = state.store.suppression(&new.service_id, Utc::now()).await?;
    let decide = Box::new(move |input: TxInput| {
        let id = input.new_id.unwrap_or_default();
        let incident = Incident::trigger_during(id, new, &actor, Utc::now(), policy.as_ref(), held.as_ref());
        TxOutcome { response: StoredResponse::json(201, &incident), write: Some(Entity::Incident(incident)) }
    });
    let tx = EntityTx { kind: EntityKind::Incident, id: None, idempotency: scope, decide };
    Ok(respond(state.store.transact(tx).await?))
}

action_handler!(
    acknowledge,
    "incidents",
    "/v1/incidents/{id}/acknowledge",
    "id" = "Incident id",
    Incident,
    ConflictBody,
    Command::Incident(IncidentAction::Acknowledge),
    "Acknowledge: the responder owns the incident and stops the paging."
);
action_handler!(
    escalate,
    "incidents",
    "/v1/incidents/{id}/escalate",
    "id" = "Incident id",
    Incident,
    ConflictBody,
    Command::Incident(IncidentAction::Escalate),
    "Escalate to the next tier (T1 → T2 → T3 → T4), which is paged and must acknowledge."
);
action_handler!(
    resolve,
    "incidents",
    "/v1/incidents/{id}/resolve",
    "id" = "Incident id",
    Incident,
    ConflictBody,
    Command::Incident(IncidentAction::Resolve),
    "Resolve the incident."
);

#[utoipa::path(post, path = "/v1/incidents/{id}/reassign", tag = "incidents", security(("bearer" = [])),
    description = "Hand the incident to someone else (a name of at most 100 characters), who must acknowledge it: an acknowledged incident goes back to triggered. A PagerDuty incident is reassigned in PagerDuty to the user the name finds there; an Alertmanager one in opsdeck only.",
    params(("id" = String, Path, description = "Incident id"),
           ("Idempotency-Key" = Option<String>, Header, description = "The same key twice applies once and returns the first answer")),
    request_body = AssignBody,
    responses((status = 200, description = "Reassigned; the incident as it is now", body = Incident),
              (status = 403, description = "Viewers cannot act", body = ErrorBody),
              (status = 404, description = "No such incident", body = ErrorBody),
              (status = 409, description = "Stale version, resolved, an empty or oversized name, or already theirs", body = ConflictBody),
              (status = 422, description = "Idempotency key reused for another request", body = ErrorBody)))]
pub async fn reassign(
    State(state): State<ServerState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<AssignBody>,
) -> Result<Response, ApiError> {
    let Body(body) = body;
    act(state, me, id, headers, Command::Incident(IncidentAction::Reassign { to: body.to }), body.version).await
}

#[utoipa::path(post, path = "/v1/incidents/{id}/notes", tag = "incidents", security(("bearer" = [])),
    description = "Append a note to the timeline. A note only appends, so a newer incident version does not reject it.",
    params(("id" = String, Path, description = "Incident id"),
           ("Idempotency-Key" = Option<String>, Header, description = "The same key twice applies once and returns the first answer")),
    request_body = NoteBody,
    responses((status = 200, description = "Appended; the incident as it is now (with `Prefer: return=minimal`, an IncidentTail: the new event alone, `Preference-Applied` saying so)", body = Incident),
              (status = 403, description = "Viewers cannot act", body = ErrorBody),
              (status = 404, description = "No such incident", body = ErrorBody),
              (status = 409, description = "Empty or oversized note", body = ConflictBody),
              (status = 422, description = "Idempotency key reused for another request", body = ErrorBody)))]
pub async fn add_note(
    State(state): State<ServerState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<NoteBody>,
) -> Result<Response, ApiError> {
    let Body(body) = body;
    act(state, me, id, headers, Command::Incident(IncidentAction::Note { text: body.text }), body.version).await
}

#[utoipa::path(post, path = "/v1/incidents/{id}/star", tag = "incidents", security(("bearer" = [])),
    description = "Star a timeline event as a key moment, or remove the star. A star marks one event and adds none, so a newer incident version does not reject it.",
    params(("id" = String, Path, description = "Incident id"),
           ("Idempotency-Key" = Option<String>, Header, description = "The same key twice applies once and returns the first answer")),
    request_body = StarBody,
    responses((status = 200, description = "Applied; the incident as it is now", body = Incident),
              (status = 400, description = "Malformed body or idempotency key", body = ErrorBody),
              (status = 403, description = "Viewers cannot act", body = ErrorBody),
              (status = 404, description = "No such incident", body = ErrorBody),
              (status = 409, description = "No timeline event at that index (reason `invalid`, with the incident)", body = ConflictBody),
              (status = 422, description = "Idempotency key reused for another request", body = ErrorBody)))]
pub async fn star(
    State(state): State<ServerState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<StarBody>,
) -> Result<Response, ApiError> {
    let Body(body) = body;
    let action = IncidentAction::Star { event: body.event, starred: body.starred };
    act(state, me, id, headers, Command::Incident(action), body.version).await
}
