//! The Ops API v1 postmortem endpoints. Anyone may read; responders and commanders write, and
//! only commanders publish. One postmortem per incident, under an id derived from the incident's
//! (`INC-1042` → `PM-1042`), so two people who start one at the same time meet at one document:
//! the first save (at version 0) creates it, the second gets a 409 carrying the first one's text
//! so the client can keep both. Every write is one store transaction
//! ([`Store::transact`](crate::server::store::Store::transact)) with the usual idempotency and version
//! rules; revisions and status changes are decided by [`decide_action`].

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{conflict, decide_action, idempotency_scope, require_actor, respond};
use crate::api::{ErrorBody, Me, PostmortemConflictBody, PostmortemSave, Role, StatusBody};
use crate::domain::postmortem::{postmortem_id, validate};
use crate::domain::{
    Command, Entity, EntityKind, Postmortem, PostmortemAction, PostmortemDraft, PostmortemStatus, Rejection,
};
use crate::server::ServerState;
use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::extract::Body;
use crate::server::store::{EntityTx, StoredResponse, TxInput, TxOutcome};

const KIND: EntityKind = EntityKind::Postmortem;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostmortemQuery {
    /// Only postmortems in this status: `draft`, `in_review` or `published` (default: all).
    #[param(value_type = Option<PostmortemStatus>)]
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/v1/postmortems", tag = "postmortems", security(("bearer" = [])), params(PostmortemQuery),
    responses((status = 200, description = "Postmortems, most recently changed first", body = Vec<Postmortem>),
              (status = 400, description = "Malformed query or unknown status", body = ErrorBody),
              (status = 401, description = "No or unknown token", body = ErrorBody)))]
pub async fn list_postmortems(
    State(state): State<ServerState>,
    _caller: Caller,
    query: Result<Query<PostmortemQuery>, QueryRejection>,
) -> Result<Json<Vec<Postmortem>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let status = match query.status.as_deref() {
        None => None,
        Some(s) => Some(parse_status(s)?),
    };
    let mut all = state.store.postmortems().await?;
    all.retain(|pm| status.is_none_or(|s| pm.status == s));
    Ok(Json(all))
}

fn parse_status(s: &str) -> Result<PostmortemStatus, ApiError> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        let shown: String = s.chars().take(40).collect();
        ApiError::invalid(format!("status must be `draft`, `in_review` or `published`, not `{shown}`"))
    })
}

#[utoipa::path(get, path = "/v1/postmortems/{id}", tag = "postmortems", security(("bearer" = [])),
    params(("id" = String, Path, description = "Postmortem id, e.g. PM-1042 (the postmortem of INC-1042)")),
    responses((status = 200, description = "The postmortem", body = Postmortem),
              (status = 404, description = "No such postmortem", body = ErrorBody)))]
pub async fn get_postmortem(
    State(state): State<ServerState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Postmortem>, ApiError> {
    state.store.postmortem(&id).await?.map(Json).ok_or_else(|| ApiError::not_found(KIND, &id))
}

#[utoipa::path(put, path = "/v1/postmortems/{id}", tag = "postmortems", security(("bearer" = [])),
    description = "Create an incident's postmortem (version 0: none seen yet) or save a new revision of it (the version last seen). The id must be the incident's postmortem id (`PM-1042` for `INC-1042`). When someone else created it first, or saved since, the answer is a 409 with their text, and nothing of this one is stored: the client keeps both.",
    params(("id" = String, Path, description = "Postmortem id, e.g. PM-1042"),
           ("Idempotency-Key" = Option<String>, Header, description = "The same key twice applies once and returns the first answer")),
    request_body = PostmortemSave,
    responses((status = 200, description = "Saved; the postmortem as it is now", body = Postmortem),
              (status = 201, description = "Created, in draft", body = Postmortem),
              (status = 400, description = "Malformed body or idempotency key", body = ErrorBody),
              (status = 403, description = "Viewers cannot write postmortems", body = ErrorBody),
              (status = 404, description = "No such postmortem and the version is not 0", body = ErrorBody),
              (status = 409, description = "Created by someone else first, or changed since the version seen: carries the current postmortem", body = PostmortemConflictBody),
              (status = 422, description = "Id does not match the incident, invalid title or body (the message names the field), unknown incident, or idempotency key reused", body = ErrorBody)))]
pub async fn save_postmortem(
    State(state): State<ServerState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<PostmortemSave>,
) -> Result<Response, ApiError> {
    require_actor(&me, KIND)?;
    let Body(body) = body;
    let scope = idempotency_scope(&headers, &me, &format!("PUT /v1/postmortems/{id}"), &body)?;
    let PostmortemSave { version: seen, incident_id, title, body } = body;
    let draft = PostmortemDraft { title, body };
    checked(&state, &id, seen, &incident_id, &draft).await?;
    let tx_id = Some(id.clone());
    let decide = Box::new(move |input: TxInput| match input.current {
        None if seen == 0 => {
            let created = Entity::Postmortem(Postmortem::create(id, &incident_id, draft, &me.name, Utc::now()));
            TxOutcome { response: StoredResponse::entity(201, &created), write: Some(created) }
        }
        None => {
            let shown: String = id.chars().take(80).collect();
            let message = format!("no postmortem `{shown}` at version {seen}; save with version 0 to create it");
            let body = ErrorBody { error: "not_found".into(), message };
            TxOutcome { write: None, response: StoredResponse::json(404, &body) }
        }
        // Someone else created it while this writer had none: theirs stays, this text comes back
        // to its writer with theirs, and neither is lost.
        Some(current) if seen == 0 => {
            let reason = Rejection::StaleVersion { seen: 0, current: current.version() };
            TxOutcome { write: None, response: conflict(reason, current, Utc::now()) }
        }
        current => {
            let command = Command::Postmortem(PostmortemAction::Save { incident_id, draft });
            decide_action(current, &id, &command, seen, &me.name, None, None)
        }
    });
    Ok(respond(state.store.transact(EntityTx { kind: KIND, id: tx_id, idempotency: scope, decide }).await?))
}

#[utoipa::path(post, path = "/v1/postmortems/{id}/status", tag = "postmortems", security(("bearer" = [])),
    description = "Move a postmortem through its review: responders move it between `draft` and `in_review`; only commanders publish it, or move a published one back.",
    params(("id" = String, Path, description = "Postmortem id"),
           ("Idempotency-Key" = Option<String>, Header, description = "The same key twice applies once and returns the first answer")),
    request_body = StatusBody,
    responses((status = 200, description = "Moved; the postmortem as it is now", body = Postmortem),
              (status = 400, description = "Malformed body or idempotency key", body = ErrorBody),
              (status = 403, description = "Viewers cannot; responders cannot publish or unpublish", body = ErrorBody),
              (status = 404, description = "No such postmortem", body = ErrorBody),
              (status = 409, description = "Stale version or already in that status: carries the current postmortem", body = PostmortemConflictBody),
              (status = 422, description = "Idempotency key reused for another request", body = ErrorBody)))]
pub async fn set_postmortem_status(
    State(state): State<ServerState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<StatusBody>,
) -> Result<Response, ApiError> {
    require_actor(&me, KIND)?;
    let Body(body) = body;
    if body.status == PostmortemStatus::Published {
        require_commander(&me)?;
    }
    let scope = idempotency_scope(&headers, &me, &format!("POST /v1/postmortems/{id}/status"), &body)?;
    let (tx_id, seen) = (Some(id.clone()), body.version);
    let command = Command::Postmortem(PostmortemAction::SetStatus { status: body.status });
    let decide = Box::new(move |input: TxInput| {
        // Taking a published postmortem back is as much a commander's call as publishing it;
        // decided here, on the document as stored, not on what the caller last saw.
        let published =
            matches!(&input.current, Some(Entity::Postmortem(pm)) if pm.status == PostmortemStatus::Published);
        if published && let Err(refused) = require_commander(&me) {
            return TxOutcome { write: None, response: StoredResponse::json(403, &refused.body) };
        }
        decide_action(input.current, &id, &command, seen, &me.name, None, None)
    });
    Ok(respond(state.store.transact(EntityTx { kind: KIND, id: tx_id, idempotency: scope, decide }).await?))
}

/// Everything about a save that does not depend on the stored postmortem: the id is the
/// incident's postmortem id, the version is possible, the text is valid and the incident exists.
async fn checked(
    state: &ServerState,
    id: &str,
    seen: i64,
    incident_id: &str,
    draft: &PostmortemDraft,
) -> Result<(), ApiError> {
    let expected = postmortem_id(incident_id);
    if id != expected {
        let shown: String = id.chars().take(80).collect();
        let incident: String = incident_id.chars().take(80).collect();
        return Err(ApiError::unprocessable(format!(
            "incident_id: the postmortem of `{incident}` is `{expected}`, not `{shown}`"
        )));
    }
    if seen < 0 {
        return Err(ApiError::unprocessable(format!(
            "version: 0 to create the postmortem or the version last seen, not {seen}"
        )));
    }
    validate(draft).map_err(ApiError::unprocessable)?;
    if state.store.incident(incident_id).await?.is_none() {
        let incident: String = incident_id.chars().take(80).collect();
        return Err(ApiError::unprocessable(format!("incident_id: no incident `{incident}`")));
    }
    Ok(())
}

fn require_commander(me: &Me) -> Result<(), ApiError> {
    if me.role >= Role::Commander {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "{} has the {} role; only commanders can publish a postmortem or take a published one back",
        me.name,
        me.role.label()
    )))
}
