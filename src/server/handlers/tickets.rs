//! The Ops API v1 ticket endpoints: the support desk's queue. They share the incident endpoints'
//! plumbing (roles, idempotency, versions, the store transaction) through [`act`].

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;

use super::{ListQuery, act, action_handler, idempotency_scope, require_actor, respond};
use crate::api::{AssignBody, ErrorBody, TicketConflictBody, VersionBody};
use crate::domain::ticket::validate_new_ticket;
use crate::domain::{Command, Entity, EntityKind, NewTicket, Ticket, TicketAction};
use crate::server::ServerState;
use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::extract::Body;
use crate::server::store::{EntityTx, StoredResponse, TxInput, TxOutcome};

/// Longest service id or linked incident id accepted when opening a ticket.
const MAX_REF_CHARS: usize = 100;

#[utoipa::path(get, path = "/v1/tickets", tag = "tickets", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "Tickets, most recently changed first; `open` leaves out resolved and closed ones", body = Vec<Ticket>),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or unknown token", body = ErrorBody)))]
pub async fn list_tickets(
    State(state): State<ServerState>,
    _caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<Ticket>>, ApiError> {
    let (open_only, limit) = ListQuery::parse(query)?;
    Ok(Json(state.store.tickets(open_only, limit).await?))
}

#[utoipa::path(get, path = "/v1/tickets/{key}", tag = "tickets", security(("bearer" = [])),
    params(("key" = String, Path, description = "Ticket key, e.g. SUP-2041")),
    responses((status = 200, description = "The ticket with its history", body = Ticket),
              (status = 404, description = "No such ticket", body = ErrorBody)))]
pub async fn get_ticket(
    State(state): State<ServerState>,
    _caller: Caller,
    Path(key): Path<String>,
) -> Result<Json<Ticket>, ApiError> {
    state.store.ticket(&key).await?.map(Json).ok_or_else(|| ApiError::not_found(EntityKind::Ticket, &key))
}

#[utoipa::path(post, path = "/v1/tickets", tag = "tickets", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    request_body = NewTicket,
    responses((status = 201, description = "Opened, unassigned", body = Ticket),
              (status = 400, description = "Malformed body or idempotency key", body = ErrorBody),
              (status = 403, description = "Viewers cannot open tickets", body = ErrorBody),
              (status = 422, description = "Invalid fields, unknown service or unknown linked incident", body = ErrorBody)))]
pub async fn create_ticket(
    State(state): State<ServerState>,
    Caller(me): Caller,
    headers: HeaderMap,
    body: Body<NewTicket>,
) -> Result<Response, ApiError> {
    require_actor(&me, EntityKind::Ticket)?;
    let Body(mut new) = body;
    validate_new_ticket(&new).map_err(ApiError::unprocessable)?;
    let scope = idempotency_scope(&headers, &me, "POST /v1/tickets", &new)?;
    new.subject = new.subject.trim().to_string();
    new.customer = new.customer.trim().to_string();
    if new.service_id.chars().count() > MAX_REF_CHARS || state.store.service(&new.service_id).await?.is_none() {
        let shown: String = new.service_id.chars().take(MAX_REF_CHARS).collect();
        return Err(ApiError::unprocessable(format!("unknown service `{shown}`")));
    }
    if let Some(incident) = &new.linked_incident {
        let known = incident.chars().count() <= MAX_REF_CHARS && state.store.incident(incident).await?.is_some();
        if !known {
            let shown: String = incident.chars().take(MAX_REF_CHARS).collect();
            return Err(ApiError::unprocessable(format!("linked_incident: unknown incident `{shown}`")));
        }
    }
    let source = me.name;
    let decide = Box::new(move |input: TxInput| {
        let ticket = Ticket::open(input.new_id.unwrap_or_default(), new, &source, Utc::now());
        TxOutcome { response: StoredResponse::json(201, &ticket), write: Some(Entity::Ticket(ticket)) }
    });
    let tx = EntityTx { kind: EntityKind::Ticket, id: None, idempotency: scope, decide };
    Ok(respond(state.store.transact(tx).await?))
}

action_handler!(
    take,
    "tickets",
    "/v1/tickets/{key}/take",
    "key" = "Ticket key",
    Ticket,
    TicketConflictBody,
    Command::Ticket(TicketAction::Take),
    "Take the ticket: it is assigned to the caller."
);
action_handler!(
    escalate_ticket,
    "tickets",
    "/v1/tickets/{key}/escalate",
    "key" = "Ticket key",
    Ticket,
    TicketConflictBody,
    Command::Ticket(TicketAction::Escalate),
    "Move the ticket to the next support tier (T1 → T2 → T3 → T4), where it waits unassigned."
);
action_handler!(
    respond_ticket,
    "tickets",
    "/v1/tickets/{key}/respond",
    "key" = "Ticket key",
    Ticket,
    TicketConflictBody,
    Command::Ticket(TicketAction::Respond),
    "Record the first response to the customer; this stops the response clock."
);
action_handler!(
    pending,
    "tickets",
    "/v1/tickets/{key}/pending",
    "key" = "Ticket key",
    Ticket,
    TicketConflictBody,
    Command::Ticket(TicketAction::Pending),
    "Waiting on the customer: the SLA clocks pause."
);
action_handler!(
    resume,
    "tickets",
    "/v1/tickets/{key}/resume",
    "key" = "Ticket key",
    Ticket,
    TicketConflictBody,
    Command::Ticket(TicketAction::Resume),
    "The customer answered: the SLA clocks run again."
);
action_handler!(
    resolve_ticket,
    "tickets",
    "/v1/tickets/{key}/resolve",
    "key" = "Ticket key",
    Ticket,
    TicketConflictBody,
    Command::Ticket(TicketAction::Resolve),
    "Resolve the ticket; the desk closes it after a quiet period."
);

#[utoipa::path(post, path = "/v1/tickets/{key}/assign", tag = "tickets", security(("bearer" = [])),
    description = "Assign the ticket to someone (at most 100 characters).",
    params(("key" = String, Path, description = "Ticket key"),
           ("Idempotency-Key" = Option<String>, Header, description = "The same key twice applies once and returns the first answer")),
    request_body = AssignBody,
    responses((status = 200, description = "Applied; the ticket as it is now", body = Ticket),
              (status = 400, description = "Malformed body or idempotency key", body = ErrorBody),
              (status = 403, description = "Viewers cannot act", body = ErrorBody),
              (status = 404, description = "Not found", body = ErrorBody),
              (status = 409, description = "Stale version, empty or oversized name, or impossible transition", body = TicketConflictBody),
              (status = 422, description = "Idempotency key reused for another request", body = ErrorBody)))]
pub async fn assign(
    State(state): State<ServerState>,
    Caller(me): Caller,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body<AssignBody>,
) -> Result<Response, ApiError> {
    let Body(body) = body;
    act(state, me, key, headers, Command::Ticket(TicketAction::Assign { to: body.to }), body.version).await
}
