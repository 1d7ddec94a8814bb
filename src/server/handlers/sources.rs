//! `GET /v1/sources`: every source feeding the store with its health, and whether what opsdeck
//! shows of it may be out of date (`stale`).

use axum::Json;
use axum::extract::State;

use crate::api::{ErrorBody, SourceList, SourceStatus};
use crate::server::ServerState;
use crate::server::auth::Caller;
use crate::server::sources::SourceHealth;

#[utoipa::path(get, path = "/v1/sources", tag = "meta", security(("bearer" = [])),
    description = "The sources that feed this server's store (the simulator, Alertmanager, Prometheus, …), each with the health of its polls. `stale` is set when the source has not had a good poll yet or its last poll failed: what opsdeck shows of it may be out of date since `last_ok_at`. Any role may read it.",
    responses((status = 200, description = "Every configured source, in the order of the configuration", body = SourceList),
              (status = 401, description = "No or unknown token", body = ErrorBody)))]
pub async fn list_sources(State(state): State<ServerState>, _caller: Caller) -> Json<SourceList> {
    let runs_here = state.sources.runs_here();
    Json(SourceList { sources: state.sources.health().into_iter().map(|h| status(h, runs_here)).collect() })
}

/// A source's health as the API shows it.
pub fn status(health: SourceHealth, runs_here: bool) -> SourceStatus {
    SourceStatus {
        runs_here,
        stale: health.last_ok_at.is_none() || health.failures > 0,
        name: health.name,
        kind: health.kind,
        last_ok_at: health.last_ok_at,
        last_error: health.last_error,
        last_error_at: health.last_error_at,
        backoff_until: health.backoff_until,
        failures: health.failures,
    }
}
