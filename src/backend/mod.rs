//! Backends as the console sees them: anything that speaks the Ops API.
//!
//! [`Backend`] is what sync and the outbox call; [`http::HttpBackend`] implements it over HTTP.
//! Later connectors (PagerDuty, Alertmanager) implement the same trait.

pub mod http;
pub mod push;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::api::{DecodedPage, Me, User};
use crate::domain::duration::ago;
use crate::domain::text::sanitize;
use crate::domain::{Command, Entity, Rejection};

/// One action as sent: the idempotency key makes a resend safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    /// The incident id or ticket key.
    pub target_id: String,
    pub command: Command,
    pub version: i64,
    pub idempotency_key: String,
}

/// A 409: the action does not fit the item as it is now, which the backend sent along.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub message: String,
    pub reason: Rejection,
    pub current: Entity,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BackendError {
    #[error("cannot reach the backend: {0}")]
    Unreachable(String),
    #[error("the backend did not answer in time")]
    Timeout,
    #[error("the backend failed (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    #[error("the backend refused the token: {0}")]
    Unauthorized(String),
    /// A 401 to a request sent without a token: what to set, and where.
    #[error("{0}")]
    NoToken(String),
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("{}", .0.message)]
    Conflict(Box<Conflict>),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("refused (HTTP {status}): {message}")]
    Refused { status: u16, message: String },
    /// `429 Too Many Requests`, with the server's `Retry-After` in seconds when it gave one.
    #[error("the backend is rate limiting (HTTP 429){}: {message}", retry_after.map(|s| format!(", retry after {s} s")).unwrap_or_default())]
    RateLimited { retry_after: Option<u64>, message: String },
    /// `503` with `Retry-After`: the server, or the outside system an item came from, cannot
    /// take it now; nothing was applied.
    #[error("{message}")]
    Unavailable { retry_after: Option<u64>, message: String },
    #[error("unexpected answer from the backend: {0}")]
    Protocol(String),
    /// The backend took the action (a 2xx) but the item it sent back cannot be read. The action
    /// is done: sending it again would only replay the same answer (the idempotency key), so it
    /// is not transient. `version` is the item's new version when that much could be read.
    #[error("the backend applied it, but its answer could not be read ({problem})")]
    AppliedUnreadable { version: Option<i64>, problem: String },
}

impl BackendError {
    /// Worth trying again later with the same request: the server may not have seen it, or
    /// may have applied it without us hearing back (the idempotency key covers that). A
    /// refused token is fixed in the config, not by dropping the user's actions.
    pub fn is_transient(&self) -> bool {
        match self {
            BackendError::Unreachable(_)
            | BackendError::Timeout
            | BackendError::Server { .. }
            | BackendError::Unauthorized(_)
            | BackendError::NoToken(_)
            | BackendError::Protocol(_) => true,
            BackendError::RateLimited { .. } | BackendError::Unavailable { .. } => true,
            BackendError::Refused { status, .. } => *status == 429,
            BackendError::Forbidden(_)
            | BackendError::Conflict(_)
            | BackendError::NotFound(_)
            | BackendError::AppliedUnreadable { .. } => false,
        }
    }

    /// A sentence for the user about an action on `id` (an incident or ticket) that this error
    /// stopped.
    pub fn describe_for(&self, id: &str, now: DateTime<Utc>) -> String {
        let text = match self {
            BackendError::Conflict(body) => match &body.reason {
                Rejection::StaleVersion { .. } => {
                    let what = body
                        .current
                        .last_change()
                        .map(|(what, by, at)| format!(" ({what} by {by} {})", ago(now, at)))
                        .unwrap_or_default();
                    format!("{id} changed since you saw it{what}; not applied")
                }
                reason => reason.describe(id, now),
            },
            other => format!("{id}: {other}"),
        };
        sanitize(&text).into_owned()
    }
}

/// What to do when no token is configured, naming the config file to put one in.
pub fn no_token_hint(config_path: &std::path::Path) -> String {
    format!("no token configured: set OPSDECK_TOKEN, token_file or token in {}", config_path.display())
}

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Who we are signed in as.
    async fn me(&self) -> Result<Me, BackendError>;
    /// Everyone tickets can be assigned to (`NotFound` from a server that does not list users).
    async fn users(&self) -> Result<Vec<User>, BackendError>;
    /// Changes after `since` (all of them when `None`), with the records that could not be read
    /// skipped and described.
    async fn changes(&self, since: Option<&str>, limit: u32) -> Result<DecodedPage, BackendError>;
    /// One incident as the backend has it now, its outside text capped (what a change feed's
    /// incident tail is made whole from when the cache lacks the start of its timeline).
    async fn incident(&self, id: &str) -> Result<crate::domain::Incident, BackendError> {
        Err(BackendError::NotFound(format!("incident {}", sanitize(id))))
    }
    /// Sends one action; the incident or ticket as the server has it afterwards (its outside
    /// text capped, [`crate::domain::caps`]), or [`BackendError::AppliedUnreadable`] when the
    /// server took it but what it sent back cannot be read.
    async fn act(&self, request: &ActionRequest) -> Result<Entity, BackendError>;
    /// The server's sources with their health; none from a server without `GET /v1/sources`.
    async fn sources(&self) -> Result<Vec<crate::api::SourceStatus>, BackendError> {
        Ok(Vec::new())
    }
    /// The server's announcements of new change cursors (`GET /v1/stream`), told the last cursor
    /// this console has and asked for a heartbeat at least every `heartbeat`; `None` from a
    /// backend without them (the console polls).
    async fn announcements(
        &self,
        _last: Option<&str>,
        _heartbeat: std::time::Duration,
    ) -> Result<Option<Box<dyn push::Announcements>>, BackendError> {
        Ok(None)
    }
    /// [`Backend::act`], with the server's `Opsdeck-Notice` when it sent one: the sentence saying
    /// the item's source could not do the action and opsdeck recorded it on its own.
    async fn act_noticed(&self, request: &ActionRequest) -> Result<(Entity, Option<String>), BackendError> {
        Ok((self.act(request).await?, None))
    }
}
