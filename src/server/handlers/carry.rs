//! An action on an incident from a source goes through that source before opsdeck records it
//! ([`through_source`]): refused outright (422) when the source cannot do it at all; carried to
//! the outside system first when the source says so (a 503 with `Retry-After` when that system
//! is down, a 409 when it refuses), after the request was checked against the incident as stored,
//! so a conflict or a stale version never touches the outside system and a replayed key never
//! carries twice; or recorded by opsdeck alone, with the sentence that says so sent back in the
//! `Opsdeck-Notice` header.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::api::{ErrorBody, Me};
use crate::domain::{Command, Decision, Entity, EscalationPolicy};
use crate::server::ServerState;
use crate::server::error::ApiError;
use crate::server::sources::{CarryError, Support};
use crate::server::store::IdempotencyScope;

/// The header of a 2xx answer that says what opsdeck did on its own, e.g. "Alertmanager has no
/// escalation; escalated in opsdeck only".
pub const NOTICE_HEADER: &str = "opsdeck-notice";

/// What routing an action through its item's source came to.
pub enum Routed {
    /// Record it in the store as any action, then send `notice` with a 2xx answer.
    Record { notice: Option<String> },
    /// Answered already (a replay, or a refusal by the source): the store is not touched.
    Answered(Response),
}

/// Routes `command` on incident `id` through the incident's source, when the incident names one
/// of the server's sources (others are recorded as they always were).
pub async fn through_source(
    state: &ServerState,
    me: &Me,
    id: &str,
    command: &Command,
    seen_version: i64,
    scope: Option<&IdempotencyScope>,
    policy: Option<&EscalationPolicy>,
) -> Result<Routed, ApiError> {
    let Command::Incident(action) = command else {
        return Ok(Routed::Record { notice: None });
    };
    if state.sources.iter().next().is_none() {
        return Ok(Routed::Record { notice: None });
    }
    // The head says where the incident came from; most come from no source, and their
    // timelines are not read here.
    let Some(head) = state.store.incident_head(id).await? else {
        return Ok(Routed::Record { notice: None });
    };
    let Some(source) = head.source.as_deref().and_then(|name| state.sources.get(name)) else {
        return Ok(Routed::Record { notice: None });
    };
    let Some(incident) = state.store.incident(id).await? else {
        return Ok(Routed::Record { notice: None });
    };
    match source.support(action) {
        Support::Refused(reason) => Err(ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: ErrorBody { error: "source_refused".into(), message: one_line(&reason) },
        }),
        Support::OpsdeckOnly(sentence) => {
            Ok(Routed::Record { notice: Some(one_line(&sentence)).filter(|s| !s.is_empty()) })
        }
        Support::Carried => {
            // A key answered before is answered again as it was, and carries nothing.
            if let Some(scope) = scope
                && let Some(seen) = state.store.replayed(scope).await?
            {
                return Ok(Routed::Answered(super::respond(seen)));
            }
            // A conflict or a stale version is answered by the store's transaction as always,
            // without a word to the outside system.
            let now = Utc::now();
            let decision = crate::domain::decide(
                Some(Entity::Incident(incident.clone())),
                command,
                seen_version,
                &me.name,
                now,
                policy,
            );
            if !matches!(decision, Decision::Applied(_)) {
                return Ok(Routed::Record { notice: None });
            }
            let key = match scope {
                Some(scope) => scope.key.clone(),
                None => derived_key(&me.name, id, command, seen_version),
            };
            match source.carry(&incident, action, &me.name, &key).await {
                Ok(()) => Ok(Routed::Record { notice: None }),
                Err(CarryError::Unavailable { message, retry_after_secs }) => {
                    Ok(Routed::Answered(unavailable(source.name(), &message, retry_after_secs)))
                }
                Err(CarryError::Refused(reason)) => Err(ApiError {
                    status: StatusCode::CONFLICT,
                    body: ErrorBody {
                        error: "source_refused".into(),
                        message: one_line(&format!("{} refused it: {reason}", source.name())),
                    },
                }),
            }
        }
    }
}

/// The key a source is handed when the request came without an Idempotency-Key: the same
/// user doing the same action on the same version of the same incident is the same request.
pub fn derived_key(user: &str, id: &str, command: &Command, seen_version: i64) -> String {
    let mut hasher = Sha256::new();
    for part in [user, id, &serde_json::to_string(command).unwrap_or_default(), &seen_version.to_string()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let hex: String = hasher.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("opsdeck-{hex}")
}

/// A 503 naming the source and why, with `Retry-After`: nothing was applied, and the same
/// request (same key) may be sent again.
fn unavailable(source: &str, message: &str, retry_after_secs: u64) -> Response {
    let body = ErrorBody {
        error: "source_unavailable".into(),
        message: one_line(&format!("{source} cannot be reached ({message}); nothing was applied, send it again later")),
    };
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    let secs = retry_after_secs.clamp(1, 3600);
    response.headers_mut().insert(axum::http::header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

/// Adds `notice` to a 2xx answer as [`NOTICE_HEADER`] (visible ASCII; anything else is `?`).
pub fn with_notice(mut response: Response, notice: Option<&str>) -> Response {
    let Some(notice) = notice else { return response };
    if !response.status().is_success() {
        return response;
    }
    let ascii: String = notice.chars().map(|c| if c == ' ' || c.is_ascii_graphic() { c } else { '?' }).collect();
    if let Ok(value) = HeaderValue::from_str(&ascii) {
        response.headers_mut().insert(NOTICE_HEADER, value);
    }
    response
}

/// A source's sentence as one line without control characters.
fn one_line(text: &str) -> String {
    crate::domain::text::sanitize(text).chars().take(300).collect()
}
