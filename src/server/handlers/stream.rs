//! `GET /v1/stream`: Server-Sent Events announcing the change feed's new cursors, so a console
//! syncs the moment something changes instead of at its next poll. It carries no entities: each
//! event names the cursor the feed has reached, and the console asks `/v1/changes` for what is
//! new to it. On PostgreSQL the announcements come from every replica's writes (LISTEN/NOTIFY).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::server::ServerState;
use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::store::Store;

/// How often an idle stream sends a heartbeat comment unless the client asks otherwise.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often a stream reads the feed's head again without a notification: one lost to a
/// reconnect is announced late by at most this.
pub const RECHECK: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Seconds between heartbeats (1–60, default 15): a console that shows whether the server is
    /// there asks for its poll interval, so a dead stream is noticed as soon as a missed poll is.
    #[param(minimum = 1, maximum = 60)]
    pub heartbeat: Option<u64>,
}

#[utoipa::path(get, path = "/v1/stream", tag = "sync", security(("bearer" = [])),
    params(StreamQuery, ("Last-Event-ID" = Option<String>, Header,
        description = "The last cursor this client was told (an event's `id`): the stream announces the current one at once only when the feed has moved past it.")),
    description = "Server-Sent Events: an event `changes` (its `id` the cursor, its data `{\"epoch\", \"cursor\"}`) whenever the change feed moves past what was last announced — the current cursor first, unless `Last-Event-ID` already names it — and a `: heartbeat` comment every `heartbeat` seconds (15 by default). Sync with `/v1/changes?since=<your cursor>` on each event.",
    responses((status = 200, description = "The event stream; it stays open", content_type = "text/event-stream", body = String),
              (status = 400, description = "A heartbeat out of range", body = crate::api::ErrorBody),
              (status = 401, description = "No or unknown token", body = crate::api::ErrorBody)))]
pub async fn stream(
    State(state): State<ServerState>,
    _caller: Caller,
    headers: HeaderMap,
    query: Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let heartbeat = match query.heartbeat {
        None => HEARTBEAT,
        Some(seconds @ 1..=60) => Duration::from_secs(seconds),
        Some(other) => return Err(ApiError::invalid(format!("`heartbeat` is seconds from 1 to 60, not {other}"))),
    };
    let told = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|cursor| *cursor >= 0);
    let stream = announcements(state.store, state.closing.subscribe(), told);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(heartbeat).text("heartbeat")))
}

struct Announcer {
    store: Arc<dyn Store>,
    /// The feed's head as the store hears of it.
    changed: tokio::sync::watch::Receiver<i64>,
    /// The last cursor announced (or named by the client).
    told: Option<i64>,
    first: bool,
    closing: tokio::sync::watch::Receiver<bool>,
}

/// The announcements: the head whenever it differs from the last one told (a database made
/// anew has a lower head, and is announced too), checked on each change and each heartbeat.
fn announcements(
    store: Arc<dyn Store>,
    closing: tokio::sync::watch::Receiver<bool>,
    told: Option<i64>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let mut changed = store.changed();
    changed.mark_unchanged();
    let start = Announcer { store, changed, told, first: true, closing };
    futures_util::stream::unfold(start, |mut at| async move {
        loop {
            if *at.closing.borrow() {
                return None;
            }
            // The head as the store heard of it last (every stream shares that: no query each),
            // read from the database only when nothing was heard for a while.
            let mut quiet = false;
            if !at.first {
                tokio::select! {
                    // The server shuts down: the stream ends, so the shutdown is not held up by it.
                    _ = at.closing.wait_for(|closing| *closing) => return None,
                    changed = tokio::time::timeout(RECHECK, at.changed.changed()) => match changed {
                        // The store is gone: so is the stream.
                        Ok(Err(_)) => return None,
                        Ok(Ok(())) => {}
                        Err(_) => quiet = true,
                    }
                }
            }
            at.first = false;
            let head = if quiet {
                match at.store.head().await {
                    Ok(head) => head,
                    Err(err) => {
                        tracing::warn!(error = %err, "reading the change feed's head for the stream failed");
                        continue;
                    }
                }
            } else {
                *at.changed.borrow_and_update()
            };
            if at.told != Some(head) {
                at.told = Some(head);
                let data = serde_json::json!({ "epoch": at.store.epoch(), "cursor": head.to_string() });
                let event = Event::default().event("changes").id(head.to_string()).data(data.to_string());
                return Some((Ok(event), at));
            }
        }
    })
}
