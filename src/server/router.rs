//! The routes of the Ops API v1: every path to its handler, and a JSON 404 for any other.

use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::routing::{get, post, put};

use super::ServerState;
use super::error::ApiError;
use super::handlers::{self, incidents, maintenance, models, postmortems, tickets};
use super::openapi::openapi_json;

pub fn router(state: ServerState) -> axum::Router {
    axum::Router::new()
        .route("/v1/health", get(handlers::health))
        .route("/v1/me", get(handlers::me))
        .route("/v1/users", get(handlers::users))
        .route("/v1/changes", get(handlers::changes))
        .route("/v1/stream", get(handlers::stream::stream))
        .route("/v1/sources", get(handlers::sources::list_sources))
        .route("/v1/incidents", get(incidents::list_incidents).post(incidents::create_incident))
        .route("/v1/incidents/{id}", get(incidents::get_incident))
        .route("/v1/incidents/{id}/acknowledge", post(incidents::acknowledge))
        .route("/v1/incidents/{id}/escalate", post(incidents::escalate))
        .route("/v1/incidents/{id}/resolve", post(incidents::resolve))
        .route("/v1/incidents/{id}/reassign", post(incidents::reassign))
        .route("/v1/incidents/{id}/notes", post(incidents::add_note))
        .route("/v1/incidents/{id}/star", post(incidents::star))
        .route("/v1/tickets", get(tickets::list_tickets).post(tickets::create_ticket))
        .route("/v1/tickets/{key}", get(tickets::get_ticket))
        .route("/v1/tickets/{key}/take", post(tickets::take))
        .route("/v1/tickets/{key}/assign", post(tickets::assign))
        .route("/v1/tickets/{key}/escalate", post(tickets::escalate_ticket))
        .route("/v1/tickets/{key}/respond", post(tickets::respond_ticket))
        .route("/v1/tickets/{key}/pending", post(tickets::pending))
        .route("/v1/tickets/{key}/resume", post(tickets::resume))
        .route("/v1/tickets/{key}/resolve", post(tickets::resolve_ticket))
        .route("/v1/services", get(handlers::list_services))
        .route("/v1/escalation-policies", get(handlers::list_policies))
        .route("/v1/models", get(models::list_models))
        .route(
            "/v1/models/{id}",
            get(models::get_model).put(models::put_model).layer(DefaultBodyLimit::max(models::MAX_BODY_BYTES)),
        )
        .route("/v1/models/{id}/features/{feature}/windows", get(models::list_windows))
        .route("/v1/models/{id}/windows", put(models::put_window).layer(DefaultBodyLimit::max(models::MAX_BODY_BYTES)))
        .route("/v1/models/{id}/quality", get(models::list_quality).put(models::put_quality))
        .route("/v1/maintenance", get(maintenance::list_maintenance).post(maintenance::create_maintenance))
        .route("/v1/maintenance/{id}", get(maintenance::get_maintenance).put(maintenance::edit_maintenance))
        .route("/v1/maintenance/{id}/cancel", post(maintenance::cancel_maintenance))
        .route("/v1/postmortems", get(postmortems::list_postmortems))
        .route("/v1/postmortems/{id}", get(postmortems::get_postmortem).put(postmortems::save_postmortem))
        .route("/v1/postmortems/{id}/status", post(postmortems::set_postmortem_status))
        .route("/v1/openapi.json", get(|| async { ([(header::CONTENT_TYPE, "application/json")], openapi_json()) }))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        // gzip for a client that accepts it (a cold console's first pages shrink several times);
        // never the event stream (the default predicate leaves `text/event-stream` alone, and
        // answers too small to gain).
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}
