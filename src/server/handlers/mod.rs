//! The Ops API v1 handlers, one file per resource: [`incidents`], [`tickets`], [`maintenance`],
//! [`models`], [`postmortems`], [`sources`] (what feeds the store). Here what they share: the
//! change feed and the small endpoints of no resource (health, me, users, the catalog's services
//! and escalation policies), list queries,
//! roles, idempotency keys, and [`act`], one action as one store transaction decided by the
//! domain, answered the same way for every kind ([`carry`]: through the item's source first).
//!
//! Handlers authenticate, validate, and hand decisions to the domain and the store; they never
//! touch SQL, and nothing outside `server/` calls them.

pub mod carry;
pub mod incidents;
pub mod maintenance;
pub mod models;
pub mod postmortems;
pub mod sources;
pub mod stream;
pub mod tickets;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use super::ServerState;
use super::auth::Caller;
use super::error::{ApiError, not_found_message};
use super::store::{EntityTx, IdempotencyScope, StoredResponse, TxInput, TxOutcome, TxResult};
use crate::api::{
    ChangesPage, ConflictBody, ErrorBody, Health, IDEMPOTENCY_HEADER, MaintenanceConflictBody, Me,
    PostmortemConflictBody, TicketConflictBody, UserList,
};
use crate::domain::{Command, Decision, Entity, EntityKind, EscalationPolicy, Rejection, Service};

/// Longest idempotency key accepted.
pub(crate) const MAX_KEY_LEN: usize = 200;

#[utoipa::path(get, path = "/v1/health", tag = "meta",
    responses((status = 200, description = "The server is up", body = Health)))]
pub async fn health(State(state): State<ServerState>) -> Json<Health> {
    Json(Health { status: "ok".into(), epoch: state.store.epoch().to_string() })
}

#[utoipa::path(get, path = "/v1/me", tag = "meta", security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = Me),
              (status = 401, description = "No or unknown token", body = ErrorBody)))]
pub async fn me(Caller(me): Caller) -> Json<Me> {
    Json(me)
}

#[utoipa::path(get, path = "/v1/users", tag = "meta", security(("bearer" = [])),
    responses((status = 200, description = "Everyone the server knows, by name, with their role (no tokens)", body = UserList),
              (status = 401, description = "No or unknown token", body = ErrorBody),
              (status = 403, description = "Viewers cannot list users", body = ErrorBody)))]
pub async fn users(State(state): State<ServerState>, Caller(me): Caller) -> Result<Json<UserList>, ApiError> {
    if !me.role.can_act() {
        return Err(ApiError::forbidden(format!(
            "{} is a {}: listing users needs the responder role or above",
            me.name,
            me.role.label()
        )));
    }
    Ok(Json(UserList { users: state.users.directory() }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The cursor of the last page seen (digits, as the server gave it); omit for a full sync.
    #[param(pattern = "^[0-9]{0,18}$")]
    pub since: Option<String>,
    /// Page size (1–1000, default 500). A page also stops early once it holds about 768 KB of
    /// documents; `has_more` says so.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `true`: an incident changed since `since` comes as an `incident_tail` (the events of its
    /// timeline changed since then, not the whole of it) when the client had it at `since`.
    pub tails: Option<bool>,
}

#[utoipa::path(get, path = "/v1/changes", tag = "sync", security(("bearer" = [])), params(ChangesQuery),
    responses((status = 200, description = "Entities created or changed after the cursor, oldest first", body = ChangesPage),
              (status = 400, description = "Malformed cursor", body = ErrorBody),
              (status = 401, description = "No or unknown token", body = ErrorBody)))]
pub async fn changes(
    State(state): State<ServerState>,
    _caller: Caller,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let since = match query.since.as_deref() {
        None | Some("") => 0,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::invalid(format!("`since` must be a cursor from this server, not `{s}`")))?,
    };
    let limit = page_limit(query.limit, 500, crate::api::MAX_CHANGES_PAGE)?;
    let rows = state.store.change_docs(since, limit, query.tails.unwrap_or(false)).await?;
    let body = changes_body(state.store.epoch(), &rows);
    Ok(([(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response())
}

/// A [`ChangesPage`] as JSON, each record's `data` the stored document itself: the feed sends
/// what it holds without reading every document into its type and writing it out again.
pub(crate) fn changes_body(epoch: &str, rows: &super::store::ChangeDocs) -> String {
    let string = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let size: usize = rows.docs.iter().map(|(_, doc)| doc.len() + 40).sum();
    let mut body = String::with_capacity(size + 160);
    body.push_str("{\"epoch\":");
    body.push_str(&string(epoch));
    body.push_str(",\"cursor\":");
    body.push_str(&string(&rows.last_seq.to_string()));
    body.push_str(if rows.has_more { ",\"has_more\":true" } else { ",\"has_more\":false" });
    body.push_str(",\"remaining\":");
    body.push_str(&rows.remaining.to_string());
    body.push_str(",\"changes\":[");
    for (i, (kind, doc)) in rows.docs.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str("{\"kind\":");
        body.push_str(&string(kind));
        body.push_str(",\"data\":");
        body.push_str(doc);
        body.push('}');
    }
    body.push_str("]}");
    body
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `open` (default) or `all`.
    #[param(value_type = Option<ListStatus>)]
    pub status: Option<String>,
    /// At most this many, newest change first (default 200, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Which entities a list returns (the `status` of a list query).
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ListStatus {
    Open,
    All,
}

impl ListQuery {
    /// `(open_only, limit)` of a list request, or a 400 for a malformed query.
    pub fn parse(query: Result<Query<ListQuery>, QueryRejection>) -> Result<(bool, u32), ApiError> {
        let Query(query) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
        let open_only = match query.status.as_deref() {
            None | Some("open") => true,
            Some("all") => false,
            Some(other) => {
                let shown: String = other.chars().take(40).collect();
                return Err(ApiError::invalid(format!("status must be `open` or `all`, not `{shown}`")));
            }
        };
        Ok((open_only, page_limit(query.limit, 200, 1000)?))
    }
}

/// The `limit` of a list request: `default` when absent, else 1 to `max` (a 400 otherwise, so a
/// client asking for more learns it gets less).
pub(crate) fn page_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid(format!("limit must be 1–{max}, not {n}"))),
    }
}

/// An action endpoint whose body is a [`VersionBody`]: `name, tag, path, "param" = "its doc",
/// entity schema, conflict schema, command, description`. `ErrorBody` and `VersionBody` must be in scope.
macro_rules! action_handler {
    ($name:ident, $tag:literal, $path:literal, $param:literal = $param_doc:literal, $entity:ident, $conflict:ident, $command:expr, $summary:literal) => {
        #[utoipa::path(post, path = $path, tag = $tag,
            security(("bearer" = [])), description = $summary,
            params(($param = String, Path, description = $param_doc),
                   ("Idempotency-Key" = Option<String>, Header, description = "The same key twice applies once and returns the first answer")),
            request_body = VersionBody,
            responses((status = 200, description = "Applied; the entity as it is now", body = $entity),
                      (status = 400, description = "Malformed body or idempotency key", body = ErrorBody),
                      (status = 403, description = "Viewers cannot act", body = ErrorBody),
                      (status = 404, description = "Not found", body = ErrorBody),
                      (status = 409, description = "Stale version or impossible transition", body = $conflict),
                      (status = 422, description = "Idempotency key reused for another request", body = ErrorBody)))]
        pub async fn $name(
            axum::extract::State(state): axum::extract::State<$crate::server::ServerState>,
            $crate::server::auth::Caller(me): $crate::server::auth::Caller,
            axum::extract::Path(id): axum::extract::Path<String>,
            headers: axum::http::HeaderMap,
            body: $crate::server::extract::Body<$crate::api::VersionBody>,
        ) -> Result<axum::response::Response, $crate::server::error::ApiError> {
            let $crate::server::extract::Body(body) = body;
            $crate::server::handlers::act(state, me, id, headers, $command, body.version).await
        }
    };
}
pub(crate) use action_handler;

/// Applies `command` to the entity `id` as the caller: role, idempotency, version and the
/// domain's rules, in one store transaction; an incident from one of the server's sources goes
/// through that source first ([`carry::through_source`]).
pub async fn act(
    state: ServerState,
    me: Me,
    id: String,
    headers: HeaderMap,
    command: Command,
    seen_version: i64,
) -> Result<Response, ApiError> {
    let kind = command.kind();
    require_actor(&me, kind)?;
    let request_line = format!("POST /v1/{}/{id}/{}", kind.collection(), command.path());
    let scope = match &command {
        Command::Incident(action) => idempotency_scope(&headers, &me, &request_line, &(action, seen_version))?,
        Command::Ticket(action) => idempotency_scope(&headers, &me, &request_line, &(action, seen_version))?,
        Command::Maintenance(action) => idempotency_scope(&headers, &me, &request_line, &(action, seen_version))?,
        Command::Postmortem(action) => idempotency_scope(&headers, &me, &request_line, &(action, seen_version))?,
    };
    let policy = match kind {
        EntityKind::Incident => policy_of(&state, &id).await?,
        EntityKind::Ticket | EntityKind::Maintenance | EntityKind::Postmortem => None,
    };
    // An incident from a source goes through it first: refused, carried, or opsdeck's own.
    let notice =
        match carry::through_source(&state, &me, &id, &command, seen_version, scope.as_ref(), policy.as_ref()).await? {
            carry::Routed::Answered(response) => return Ok(response),
            carry::Routed::Record { notice } => notice,
        };
    let tx_id = Some(id.clone());
    let minimal = kind == EntityKind::Incident && prefers_minimal(&headers);
    let decide = Box::new(move |input: TxInput| {
        let tail_from = match (&input.current, &command) {
            (Some(Entity::Incident(now)), Command::Incident(action)) if minimal => Some(first_touched(now, action)),
            _ => None,
        };
        decide_action(input.current, &id, &command, seen_version, &me.name, policy.as_ref(), tail_from)
    });
    let mut response = respond(state.store.transact(EntityTx { kind, id: tx_id, idempotency: scope, decide }).await?);
    if minimal && response.status() == StatusCode::OK {
        response.headers_mut().insert("preference-applied", HeaderValue::from_static("return=minimal"));
    }
    Ok(carry::with_notice(response, notice.as_deref()))
}

/// Whether the request asks `Prefer: return=minimal` (RFC 7240): for an incident action, the
/// answer is then an [`IncidentTail`](crate::api::IncidentTail) from the first event the action
/// changed, not the whole timeline again.
fn prefers_minimal(headers: &HeaderMap) -> bool {
    headers.get_all("prefer").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|preference| {
        let preference = preference.trim();
        preference.eq_ignore_ascii_case("return=minimal")
    })
}

/// The first timeline event `action` can change on `incident`: a star marks the one it names,
/// every other action only appends.
fn first_touched(incident: &crate::domain::Incident, action: &crate::domain::IncidentAction) -> usize {
    let len = incident.timeline.len();
    match action {
        crate::domain::IncidentAction::Star { event, .. } => (*event).min(len),
        _ => len,
    }
}

/// An action decided by the domain ([`crate::domain::decide`]) as an answer: 404, 409 with the
/// reason and the entity as it is, or 200 with the applied entity (an applied incident's
/// timeline from `tail_from` on, as an [`IncidentTail`](crate::api::IncidentTail), when given).
pub fn decide_action(
    current: Option<Entity>,
    id: &str,
    command: &Command,
    seen_version: i64,
    actor: &str,
    policy: Option<&EscalationPolicy>,
    tail_from: Option<usize>,
) -> TxOutcome {
    let now = Utc::now();
    match crate::domain::decide(current, command, seen_version, actor, now, policy) {
        Decision::NotFound => {
            let body = ErrorBody { error: "not_found".into(), message: not_found_message(command.kind(), id) };
            TxOutcome { write: None, response: StoredResponse::json(404, &body) }
        }
        Decision::Rejected { reason, current } => TxOutcome { write: None, response: conflict(reason, current, now) },
        Decision::Applied(next) => {
            let response = match (&next, tail_from) {
                (Entity::Incident(incident), Some(from)) => {
                    StoredResponse::json(200, &crate::api::IncidentTail::of(incident, from))
                }
                _ => StoredResponse::entity(200, &next),
            };
            TxOutcome { response, write: Some(next) }
        }
    }
}

/// A 409 with the reason and the entity as it is now, in the body of its kind.
pub(crate) fn conflict(reason: Rejection, current: Entity, now: chrono::DateTime<Utc>) -> StoredResponse {
    let message = reason.describe(current.id(), now);
    let error = "conflict".to_string();
    match current {
        Entity::Incident(incident) => StoredResponse::json(409, &ConflictBody { error, message, reason, incident }),
        Entity::Ticket(ticket) => StoredResponse::json(409, &TicketConflictBody { error, message, reason, ticket }),
        Entity::Maintenance(window) => {
            StoredResponse::json(409, &MaintenanceConflictBody { error, message, reason, window })
        }
        Entity::Postmortem(postmortem) => {
            StoredResponse::json(409, &PostmortemConflictBody { error, message, reason, postmortem })
        }
    }
}

async fn policy_of(state: &ServerState, incident_id: &str) -> Result<Option<EscalationPolicy>, ApiError> {
    let Some(incident) = state.store.incident_head(incident_id).await? else {
        return Ok(None);
    };
    Ok(state.store.service_policy(&incident.service_id).await?)
}

pub(crate) fn require_actor(me: &Me, kind: EntityKind) -> Result<(), ApiError> {
    if me.role.can_act() {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "{} has the {} role, which cannot change {}",
            me.name,
            me.role.label(),
            kind.collection()
        )))
    }
}

pub(crate) fn idempotency_scope(
    headers: &HeaderMap,
    me: &Me,
    request_line: &str,
    body: &impl serde::Serialize,
) -> Result<Option<IdempotencyScope>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::invalid(format!("{IDEMPOTENCY_HEADER} must be 1–{MAX_KEY_LEN} visible ASCII characters"))
        })?;
    let mut hasher = Sha256::new();
    hasher.update(request_line.as_bytes());
    hasher.update(serde_json::to_vec(body).unwrap_or_default());
    let fingerprint = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Some(IdempotencyScope { user: me.name.clone(), key: key.to_string(), fingerprint }))
}

pub(crate) fn respond(result: TxResult) -> Response {
    match result {
        TxResult::Fresh(stored) => stored_response(stored, false),
        TxResult::Replayed(stored) => stored_response(stored, true),
        TxResult::KeyReused => ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: ErrorBody {
                error: "idempotency_mismatch".into(),
                message: format!("this {IDEMPOTENCY_HEADER} was already used for a different request"),
            },
        }
        .into_response(),
    }
}

fn stored_response(stored: StoredResponse, replayed: bool) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(stored.body)).into_response();
    if replayed {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

#[utoipa::path(get, path = "/v1/services", tag = "catalog", security(("bearer" = [])),
    responses((status = 200, description = "All services", body = Vec<Service>)))]
pub async fn list_services(State(state): State<ServerState>, _caller: Caller) -> Result<Json<Vec<Service>>, ApiError> {
    Ok(Json(state.store.services().await?))
}

#[utoipa::path(get, path = "/v1/escalation-policies", tag = "catalog", security(("bearer" = [])),
    responses((status = 200, description = "All escalation policies", body = Vec<EscalationPolicy>)))]
pub async fn list_policies(
    State(state): State<ServerState>,
    _caller: Caller,
) -> Result<Json<Vec<EscalationPolicy>>, ApiError> {
    Ok(Json(state.store.policies().await?))
}

#[cfg(test)]
mod tests {
    use crate::api::{Change, ChangesPage};
    use crate::server::store::ChangeDocs;

    /// The page written from stored documents is the page serde writes from the types.
    #[test]
    fn a_page_of_stored_documents_is_the_typed_page_to_the_byte_of_meaning() {
        let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 5, 14, 0, 0).unwrap();
        let incidents = crate::fixtures::many_incidents(3, now);
        let services = crate::domain::catalog::services();
        let docs = incidents
            .iter()
            .map(|i| ("incident", serde_json::to_string(i).unwrap()))
            .chain([("service", serde_json::to_string(&services[0]).unwrap())])
            .collect();
        let rows = ChangeDocs { docs, last_seq: 42, has_more: true, remaining: 7 };
        let typed = ChangesPage {
            epoch: "e\"1".into(),
            cursor: "42".into(),
            has_more: true,
            remaining: Some(7),
            changes: incidents
                .into_iter()
                .map(Change::Incident)
                .chain([Change::Service(services[0].clone())])
                .collect(),
        };
        let body: serde_json::Value = serde_json::from_str(&super::changes_body("e\"1", &rows)).unwrap();
        assert_eq!(body, serde_json::to_value(&typed).unwrap());
    }
}
