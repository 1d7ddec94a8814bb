//! The Ops API over HTTP with reqwest (rustls). Tokens go in a header and nowhere else.
//!
//! Answers are read field by field with the path of what failed. A changes page is read record
//! by record ([`DecodedPage`]); the item a successful action returns is read on its own, and one
//! that cannot be read is [`BackendError::AppliedUnreadable`] — the action was applied, so it is
//! never sent again. [`read_answer`] and [`read_applied`] are that reading as functions of the
//! status and the bytes alone, which the fuzz targets and `tests/fuzz_corpus.rs` feed directly.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::{ActionRequest, Backend, BackendError, Conflict};
use crate::api::{
    AssignBody, ConflictBody, DecodedPage, ErrorBody, IDEMPOTENCY_HEADER, MaintenanceConflictBody, MaintenanceEdit, Me,
    NoteBody, PostmortemConflictBody, PostmortemSave, StarBody, StatusBody, TicketConflictBody, User, UserList,
    VersionBody,
};
use crate::config::Secret;
use crate::domain::{Command, Entity, EntityKind, IncidentAction, MaintenanceAction, PostmortemAction, TicketAction};

/// Long enough for a TCP handshake over a link with seconds of latency (a 2 s delay each way makes
/// a 4 s round trip, which a 3 s limit could never connect over); the sync still bounds each of its
/// requests by its own window (poll interval + 3 s), so a hung connect never delays STALE.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The change stream stays open: this only bounds it (the sync task reopens it).
const STREAM_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// `GET /v1/stream` as it arrives.
struct HttpAnnouncements {
    response: reqwest::Response,
    parser: super::push::Parser,
    /// Announcements read but not yet taken, oldest last.
    ready: Vec<super::push::Announcement>,
}

#[async_trait]
impl super::push::Announcements for HttpAnnouncements {
    async fn next(&mut self) -> Result<Option<super::push::Announcement>, BackendError> {
        loop {
            if let Some(next) = self.ready.pop() {
                return Ok(Some(next));
            }
            let Some(chunk) = self.response.chunk().await.map_err(transport_error)? else { return Ok(None) };
            let mut read = self.parser.feed(&chunk)?;
            read.reverse();
            self.ready = read;
        }
    }
}

pub struct HttpBackend {
    client: reqwest::Client,
    base: String,
    token: Option<Secret>,
    /// Said instead of "refused the token" when a request without one is refused.
    no_token: String,
    /// Leaves the change stream out: the console polls alone.
    polling_only: bool,
}

impl std::fmt::Debug for HttpBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpBackend").field("base", &self.base).field("token", &self.token).finish()
    }
}

impl HttpBackend {
    pub fn new(base: &str, token: Option<Secret>) -> Result<HttpBackend, BackendError> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")))
            .redirect(same_origin_redirects())
            .build()
            .map_err(|e| BackendError::Protocol(format!("cannot build the HTTP client: {e}")))?;
        let no_token = "no token configured: set OPSDECK_TOKEN, token_file or token in the config file".to_string();
        Ok(HttpBackend { client, base: base.trim_end_matches('/').to_string(), token, no_token, polling_only: false })
    }

    /// Names the config file in the message shown when the backend wants a token and none is set.
    pub fn with_config_path(mut self, path: &std::path::Path) -> Self {
        self.no_token = super::no_token_hint(path);
        self
    }

    /// Without the change stream: a console on this backend polls alone (tests that need sync
    /// rounds only when they poke, and the floor the stream is measured against).
    pub fn polling_only(mut self) -> Self {
        self.polling_only = true;
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => builder.bearer_auth(token.expose()),
            None => builder,
        }
    }

    async fn send<T: DeserializeOwned>(&self, builder: reqwest::RequestBuilder) -> Result<T, BackendError> {
        let bytes = self.exchange(builder, EntityKind::Incident).await?;
        serde_json::from_slice(&bytes).map_err(|e| BackendError::Protocol(e.to_string()))
    }

    /// Sends a request about an item of `kind`, which says how to read a 409's body; the body of
    /// a success.
    async fn exchange(&self, builder: reqwest::RequestBuilder, kind: EntityKind) -> Result<Vec<u8>, BackendError> {
        self.exchange_noticed(builder, kind).await.map(|(bytes, _)| bytes)
    }

    /// [`HttpBackend::exchange`], with the answer's `Opsdeck-Notice` header.
    async fn exchange_noticed(
        &self,
        builder: reqwest::RequestBuilder,
        kind: EntityKind,
    ) -> Result<(Vec<u8>, Option<String>), BackendError> {
        let response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let notice = response
            .headers()
            .get("opsdeck-notice")
            .and_then(|v| v.to_str().ok())
            .map(|v| crate::domain::text::sanitize(v).chars().take(300).collect::<String>())
            .filter(|v| !v.trim().is_empty());
        let bytes = response.bytes().await.map_err(transport_error)?;
        if status == StatusCode::UNAUTHORIZED && self.token.is_none() {
            return Err(BackendError::NoToken(self.no_token.clone()));
        }
        answer(status, &bytes, kind).map(|b| (b.to_vec(), notice)).map_err(|e| match e {
            BackendError::Refused { status: 429, message } => BackendError::RateLimited { retry_after, message },
            BackendError::Server { status: 503, message } => BackendError::Unavailable { retry_after, message },
            other => other,
        })
    }
}

/// The body of a success; any other status as the error it means, a 409's body read as the
/// current item of `kind`.
fn answer(status: StatusCode, body: &[u8], kind: EntityKind) -> Result<&[u8], BackendError> {
    if status.is_success() { Ok(body) } else { Err(status_error(status, body, kind)) }
}

/// Reads an answer as the client does: a success as `T` (a changes page is a [`DecodedPage`]), any
/// other status as the error it means. Never panics, whatever the bytes.
pub fn read_answer<T: DeserializeOwned>(status: u16, body: &[u8], kind: EntityKind) -> Result<T, BackendError> {
    serde_json::from_slice(answer(status_code(status)?, body, kind)?).map_err(|e| BackendError::Protocol(e.to_string()))
}

/// Reads the answer to an action on an item of `kind` as the client does: the item, capped, or
/// [`BackendError::AppliedUnreadable`]; any other status as the error it means. Never panics.
pub fn read_applied(status: u16, body: &[u8], kind: EntityKind) -> Result<Entity, BackendError> {
    applied(kind, answer(status_code(status)?, body, kind)?)
}

fn status_code(status: u16) -> Result<StatusCode, BackendError> {
    StatusCode::from_u16(status).map_err(|_| BackendError::Protocol(format!("HTTP status {status} is not a status")))
}

/// The item of `kind` a successful action returned, read and capped (see [`applied_entity`]).
fn applied(kind: EntityKind, body: &[u8]) -> Result<Entity, BackendError> {
    match kind {
        EntityKind::Incident => applied_entity(body, Entity::Incident),
        EntityKind::Ticket => applied_entity(body, Entity::Ticket),
        EntityKind::Maintenance => applied_entity(body, Entity::Maintenance),
        EntityKind::Postmortem => applied_entity(body, Entity::Postmortem),
    }
}

/// Reads the item a successful action returned. The action is done whatever this says: what
/// cannot be read is [`BackendError::AppliedUnreadable`], with the new version when it is there.
fn applied_entity<E: DeserializeOwned>(bytes: &[u8], wrap: fn(E) -> Entity) -> Result<Entity, BackendError> {
    let unreadable = |version, problem: String| BackendError::AppliedUnreadable { version, problem };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| unreadable(None, e.to_string()))?;
    let version = value.get("version").and_then(serde_json::Value::as_i64);
    let mut entity = wrap(crate::api::read(&value).map_err(|problem| unreadable(version, problem))?);
    crate::domain::caps::entity(&mut entity).map_err(|e| unreadable(version, e.to_string()))?;
    Ok(entity)
}

/// Redirects are followed only within the backend's own origin (scheme, host and port), at most
/// five: a redirect elsewhere would send the token to another server while the header still names
/// this one.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let from = attempt.previous().first().map(|u| u.origin());
        if from.as_ref() != Some(&attempt.url().origin()) {
            let to = crate::domain::text::sanitize(attempt.url().as_str()).into_owned();
            attempt.error(RedirectRefused(format!("the backend redirected to another server ({to}); not followed")))
        } else if attempt.previous().len() > 5 {
            attempt.error(RedirectRefused("the backend redirected more than five times".to_string()))
        } else {
            attempt.follow()
        }
    })
}

#[derive(Debug)]
struct RedirectRefused(String);

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedirectRefused {}

fn transport_error(err: reqwest::Error) -> BackendError {
    if err.is_timeout() {
        return BackendError::Timeout;
    }
    // The source chain says what went wrong ("Connection refused"); the URL is already shown.
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(inner) = source {
        message = inner.to_string();
        source = inner.source();
    }
    BackendError::Unreachable(message)
}

/// Reads a 409's body: the reason and the item as it is now, whose field depends on its kind.
fn conflict(kind: EntityKind, body: &[u8]) -> Result<Conflict, serde_json::Error> {
    Ok(match kind {
        EntityKind::Incident => {
            let b: ConflictBody = serde_json::from_slice(body)?;
            Conflict { message: b.message, reason: b.reason, current: Entity::Incident(b.incident) }
        }
        EntityKind::Ticket => {
            let b: TicketConflictBody = serde_json::from_slice(body)?;
            Conflict { message: b.message, reason: b.reason, current: Entity::Ticket(b.ticket) }
        }
        EntityKind::Maintenance => {
            let b: MaintenanceConflictBody = serde_json::from_slice(body)?;
            Conflict { message: b.message, reason: b.reason, current: Entity::Maintenance(b.window) }
        }
        EntityKind::Postmortem => {
            let b: PostmortemConflictBody = serde_json::from_slice(body)?;
            Conflict { message: b.message, reason: b.reason, current: Entity::Postmortem(b.postmortem) }
        }
    })
}

/// `Retry-After` as delta-seconds (the form rate limiters send); an HTTP date is not read, and a
/// value past an hour is taken as an hour.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(|s| s.min(3_600))
}

fn status_error(status: StatusCode, body: &[u8], kind: EntityKind) -> BackendError {
    let message = || {
        serde_json::from_slice::<ErrorBody>(body)
            .map(|e| e.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned())
    };
    match status {
        // A 409 was not applied: one whose item cannot be read is still a refusal (sending it
        // again would only be refused again), said with the server's message.
        // The item's source refused it: a reason, no item.
        StatusCode::CONFLICT
            if serde_json::from_slice::<ErrorBody>(body).is_ok_and(|e| e.error == "source_refused") =>
        {
            BackendError::Refused { status: 409, message: message() }
        }
        StatusCode::CONFLICT => match conflict(kind, body) {
            Ok(mut conflict) => {
                // Capped like any item read; its id is the one the action named.
                let _ = crate::domain::caps::entity(&mut conflict.current);
                BackendError::Conflict(Box::new(conflict))
            }
            Err(e) => BackendError::Refused {
                status: 409,
                message: format!("{} (the item sent with it cannot be read: {e})", message()),
            },
        },
        StatusCode::UNAUTHORIZED => BackendError::Unauthorized(message()),
        StatusCode::FORBIDDEN => BackendError::Forbidden(message()),
        StatusCode::NOT_FOUND => BackendError::NotFound(message()),
        s if s.is_server_error() => BackendError::Server { status: s.as_u16(), message: message() },
        s => BackendError::Refused { status: s.as_u16(), message: message() },
    }
}

#[async_trait]
impl Backend for HttpBackend {
    async fn me(&self) -> Result<Me, BackendError> {
        self.send(self.request(reqwest::Method::GET, "/v1/me")).await
    }

    async fn users(&self) -> Result<Vec<User>, BackendError> {
        let list: UserList = self.send(self.request(reqwest::Method::GET, "/v1/users")).await?;
        Ok(list.users)
    }

    async fn changes(&self, since: Option<&str>, limit: u32) -> Result<DecodedPage, BackendError> {
        // Tails: an incident this console has comes with only its timeline's new events
        // (`Poller::whole` puts the start back from the cache).
        let mut query = vec![("limit", limit.to_string()), ("tails", "true".to_string())];
        if let Some(since) = since {
            query.push(("since", since.to_string()));
        }
        let bytes = self
            .exchange(self.request(reqwest::Method::GET, "/v1/changes").query(&query), EntityKind::Incident)
            .await?;
        DecodedPage::from_slice(&bytes).map_err(|e| BackendError::Protocol(e.to_string()))
    }

    async fn announcements(
        &self,
        last: Option<&str>,
        heartbeat: Duration,
    ) -> Result<Option<Box<dyn super::push::Announcements>>, BackendError> {
        if self.polling_only {
            return Ok(None);
        }
        // Open for as long as it lasts: the sync task drops it when it goes quiet.
        let mut request = self
            .request(reqwest::Method::GET, "/v1/stream")
            .query(&[("heartbeat", heartbeat.as_secs().clamp(1, 60))])
            .timeout(STREAM_TIMEOUT);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last);
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            // A server before streams.
            return Ok(None);
        }
        if !status.is_success() {
            let bytes = response.bytes().await.map_err(transport_error)?;
            return Err(status_error(status, &bytes, EntityKind::Incident));
        }
        Ok(Some(Box::new(HttpAnnouncements { response, parser: super::push::Parser::default(), ready: Vec::new() })))
    }

    async fn sources(&self) -> Result<Vec<crate::api::SourceStatus>, BackendError> {
        match self.send::<crate::api::SourceList>(self.request(reqwest::Method::GET, "/v1/sources")).await {
            Ok(list) => Ok(list
                .sources
                .into_iter()
                .map(|mut source| {
                    // Outside text, shown in the header: one line, no control characters.
                    let clean = |s: &str| crate::domain::text::sanitize(s).chars().take(200).collect::<String>();
                    source.name = clean(&source.name);
                    source.kind = clean(&source.kind);
                    source.last_error = source.last_error.as_deref().map(clean);
                    source
                })
                .collect()),
            // An older server: no sources to speak of.
            Err(BackendError::NotFound(_)) => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    }

    async fn incident(&self, id: &str) -> Result<crate::domain::Incident, BackendError> {
        let path = format!("/v1/incidents/{}", encode_segment(id));
        let bytes = self.exchange(self.request(reqwest::Method::GET, &path), EntityKind::Incident).await?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| BackendError::Protocol(e.to_string()))?;
        let mut incident: crate::domain::Incident = crate::api::read(&value).map_err(BackendError::Protocol)?;
        crate::domain::caps::incident(&mut incident).map_err(|e| BackendError::Protocol(e.to_string()))?;
        Ok(incident)
    }

    async fn act(&self, request: &ActionRequest) -> Result<Entity, BackendError> {
        self.act_noticed(request).await.map(|(entity, _)| entity)
    }

    async fn act_noticed(&self, request: &ActionRequest) -> Result<(Entity, Option<String>), BackendError> {
        let command = &request.command;
        let kind = command.kind();
        let item = format!("/v1/{}/{}", kind.collection(), encode_segment(&request.target_id));
        let (method, path) = match command {
            Command::Maintenance(MaintenanceAction::Create { .. }) => (reqwest::Method::POST, "/v1/maintenance".into()),
            Command::Maintenance(MaintenanceAction::Edit { .. })
            | Command::Postmortem(PostmortemAction::Save { .. }) => (reqwest::Method::PUT, item),
            _ => (reqwest::Method::POST, format!("{item}/{}", command.path())),
        };
        let builder = self.request(method, &path).header(IDEMPOTENCY_HEADER, &request.idempotency_key);
        let version = request.version;
        let builder = match command {
            Command::Incident(IncidentAction::Note { text }) => builder.json(&NoteBody { version, text: text.clone() }),
            Command::Incident(IncidentAction::Star { event, starred }) => {
                builder.json(&StarBody { version, event: *event, starred: *starred })
            }
            Command::Ticket(TicketAction::Assign { to }) | Command::Incident(IncidentAction::Reassign { to }) => {
                builder.json(&AssignBody { version, to: to.clone() })
            }
            Command::Maintenance(MaintenanceAction::Create { window }) => builder.json(window),
            Command::Maintenance(MaintenanceAction::Edit { window }) => {
                builder.json(&MaintenanceEdit { version, fields: window.clone() })
            }
            Command::Postmortem(PostmortemAction::Save { incident_id, draft }) => builder.json(&PostmortemSave {
                version,
                incident_id: incident_id.clone(),
                title: draft.title.clone(),
                body: draft.body.clone(),
            }),
            Command::Postmortem(PostmortemAction::SetStatus { status }) => {
                builder.json(&StatusBody { version, status: *status })
            }
            _ => builder.json(&VersionBody { version }),
        };
        let (bytes, notice) = self.exchange_noticed(builder, kind).await?;
        Ok((applied(kind, &bytes)?, notice))
    }
}

/// Percent-encodes a path segment (ids are plain, but nothing from outside goes in raw).
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_token() {
        let backend = HttpBackend::new("http://127.0.0.1:1", Some(Secret::new("tok-abcdef"))).unwrap();
        let shown = format!("{backend:?}");
        assert!(!shown.contains("tok-abcdef"), "{shown}");
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_segment("INC-1042"), "INC-1042");
        assert_eq!(encode_segment("../x y"), "..%2Fx%20y");
    }

    #[test]
    fn status_codes_map_to_errors_the_outbox_understands() {
        let body = br#"{"error":"forbidden","message":"viewer"}"#;
        let error = |status, body: &[u8]| status_error(status, body, EntityKind::Incident);
        assert_eq!(error(StatusCode::FORBIDDEN, body), BackendError::Forbidden("viewer".into()));
        assert!(error(StatusCode::BAD_GATEWAY, b"<html>").is_transient());
        assert!(error(StatusCode::TOO_MANY_REQUESTS, b"").is_transient());
        assert!(!error(StatusCode::UNPROCESSABLE_ENTITY, body).is_transient());
        let unreadable = error(StatusCode::CONFLICT, br#"{"error":"conflict","message":"already resolved"}"#);
        assert!(!unreadable.is_transient(), "a refusal, not sent again: {unreadable:?}");
        assert!(unreadable.to_string().contains("already resolved"), "{unreadable}");
    }

    #[test]
    fn an_applied_action_whose_answer_cannot_be_read_is_not_sent_again() {
        let body = br#"{"id":"INC-42","version":3,"title":5}"#;
        let err = applied_entity::<crate::domain::Incident>(body, Entity::Incident).unwrap_err();
        assert_eq!(
            err,
            BackendError::AppliedUnreadable { version: Some(3), problem: "title: expected a string, got 5".into() }
        );
        assert!(!err.is_transient(), "a resend would replay the same answer");
        let err = applied_entity::<crate::domain::Incident>(b"<html>", Entity::Incident).unwrap_err();
        assert!(matches!(err, BackendError::AppliedUnreadable { version: None, .. }), "{err:?}");
    }
}
