//! The reference Ops API server: router, authentication, OpenAPI document, start and stop.
//!
//! The console's demo mode runs this in-process on 127.0.0.1 and talks to it over HTTP exactly as
//! to a remote server; `opsdeck serve` runs the same thing for a team.

pub mod auth;
pub mod catalog;
pub mod handlers;
pub mod maintenance;
pub mod models;
pub mod pager;
pub mod postmortems;
pub mod store;
pub mod tickets;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use utoipa::OpenApi;

use crate::api::{ErrorBody, Me};
use crate::db::DbLocation;
use auth::Users;
use store::sqlite::SqliteStore;
use store::{Feed, Store, StoreError};

#[derive(Clone)]
pub struct ServerState {
    pub store: Arc<dyn Store>,
    pub users: Arc<Users>,
}

/// An error answer with a JSON body.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        ApiError { status, body: ErrorBody { error: error.to_string(), message: message.into() } }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }
    pub fn not_found(kind: crate::domain::EntityKind, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", handlers::not_found_message(kind, id))
    }
    pub fn not_found_message(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid `Authorization: Bearer TOKEN` header is required")
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "storage failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server could not reach its storage")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The authenticated user of a request.
pub struct Caller(pub Me);

impl FromRequestParts<ServerState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        state.users.authenticate(token).cloned().map(Caller).ok_or_else(ApiError::unauthorized)
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ops API",
        version = "1",
        description = "The contract every opsdeck backend speaks: incidents with their timelines, customer tickets with their history, services, escalation policies, monitored models with their feature windows and quality series, maintenance windows, incident postmortems, and an incremental change feed."
    ),
    paths(
        handlers::health,
        handlers::me,
        handlers::users,
        handlers::changes,
        handlers::list_incidents,
        handlers::create_incident,
        handlers::get_incident,
        handlers::acknowledge,
        handlers::escalate,
        handlers::resolve,
        handlers::add_note,
        handlers::star,
        tickets::list_tickets,
        tickets::create_ticket,
        tickets::get_ticket,
        tickets::take,
        tickets::assign,
        tickets::escalate_ticket,
        tickets::respond_ticket,
        tickets::pending,
        tickets::resume,
        tickets::resolve_ticket,
        handlers::list_services,
        handlers::list_policies,
        models::list_models,
        models::get_model,
        models::put_model,
        models::list_windows,
        models::put_window,
        models::list_quality,
        models::put_quality,
        maintenance::list_maintenance,
        maintenance::create_maintenance,
        maintenance::get_maintenance,
        maintenance::edit_maintenance,
        maintenance::cancel_maintenance,
        postmortems::list_postmortems,
        postmortems::get_postmortem,
        postmortems::save_postmortem,
        postmortems::set_postmortem_status,
    ),
    components(schemas(
        crate::domain::Ticket,
        crate::domain::NewTicket,
        crate::domain::TicketStatus,
        crate::domain::TicketEventKind,
        crate::domain::TicketEvent,
        crate::domain::Pause,
        crate::api::AssignBody,
        crate::api::TicketConflictBody,
        crate::domain::Model,
        crate::domain::ModelVersion,
        crate::domain::Feature,
        crate::domain::FeatureKind,
        crate::domain::Sample,
        crate::domain::DriftWindow,
        crate::domain::QualityPoint,
        crate::domain::MaintenanceWindow,
        crate::domain::MaintenanceKind,
        crate::domain::NewMaintenance,
        crate::domain::Occurrence,
        crate::api::MaintenanceEdit,
        crate::api::MaintenanceConflictBody,
        crate::domain::Postmortem,
        crate::domain::PostmortemStatus,
        crate::domain::postmortem::ActionItem,
        crate::api::PostmortemSave,
        crate::api::StatusBody,
        crate::api::PostmortemConflictBody,
        crate::api::StarBody,
        crate::api::User,
        crate::api::UserList,
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The OpenAPI document as checked in under `assets/openapi.json`.
pub fn openapi_json() -> String {
    let mut json = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}

pub fn router(state: ServerState) -> axum::Router {
    use handlers as h;
    axum::Router::new()
        .route("/v1/health", get(h::health))
        .route("/v1/me", get(h::me))
        .route("/v1/users", get(h::users))
        .route("/v1/changes", get(h::changes))
        .route("/v1/incidents", get(h::list_incidents).post(h::create_incident))
        .route("/v1/incidents/{id}", get(h::get_incident))
        .route("/v1/incidents/{id}/acknowledge", post(h::acknowledge))
        .route("/v1/incidents/{id}/escalate", post(h::escalate))
        .route("/v1/incidents/{id}/resolve", post(h::resolve))
        .route("/v1/incidents/{id}/notes", post(h::add_note))
        .route("/v1/incidents/{id}/star", post(h::star))
        .route("/v1/tickets", get(tickets::list_tickets).post(tickets::create_ticket))
        .route("/v1/tickets/{key}", get(tickets::get_ticket))
        .route("/v1/tickets/{key}/take", post(tickets::take))
        .route("/v1/tickets/{key}/assign", post(tickets::assign))
        .route("/v1/tickets/{key}/escalate", post(tickets::escalate_ticket))
        .route("/v1/tickets/{key}/respond", post(tickets::respond_ticket))
        .route("/v1/tickets/{key}/pending", post(tickets::pending))
        .route("/v1/tickets/{key}/resume", post(tickets::resume))
        .route("/v1/tickets/{key}/resolve", post(tickets::resolve_ticket))
        .route("/v1/services", get(h::list_services))
        .route("/v1/escalation-policies", get(h::list_policies))
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
        .with_state(state)
}

pub struct ServeOptions {
    pub db: DbLocation,
    pub users: Users,
    /// What feeds the store beside the API (the simulator with `--simulate`).
    pub sources: Vec<Box<dyn Feed>>,
}

/// A server running on a task; dropping it does not stop it, `shutdown` does.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub epoch: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    /// The feeds' tasks.
    sources: Vec<JoinHandle<()>>,
    /// Sends pages a maintenance window held back once it is over.
    pager: JoinHandle<()>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes requests in flight, and stops the feeds.
    pub async fn shutdown(self) -> std::io::Result<()> {
        for source in self.sources {
            source.abort();
        }
        self.pager.abort();
        let _ = self.stop.send(());
        self.task.await.unwrap_or(Ok(()))
    }

    /// Resolves when the server stops by itself (an accept error), never otherwise.
    pub async fn wait(&mut self) -> std::io::Result<()> {
        (&mut self.task).await.unwrap_or(Ok(()))
    }
}

/// Opens the store, seeds the catalog, starts the feeds (the simulator seeds the demo world), and
/// serves on `listener` until `shutdown`.
pub async fn start(listener: TcpListener, options: ServeOptions) -> Result<RunningServer, StoreError> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&options.db).await?);
    catalog::ensure(store.as_ref()).await?;
    let mut sources = Vec::with_capacity(options.sources.len());
    for source in &options.sources {
        sources.push(source.start(store.clone()).await?);
    }
    let pager = pager::start(store.clone());
    let addr = listener.local_addr().map_err(|e| StoreError::Sql(sqlx::Error::Io(e)))?;
    let epoch = store.epoch().to_string();
    let mut users = options.users;
    for name in options.sources.iter().flat_map(|source| source.people()) {
        users.add_person(&name, crate::api::Role::Responder);
    }
    let state = ServerState { store, users: Arc::new(users) };
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(%addr, "Ops API listening");
    Ok(RunningServer { addr, epoch, stop, task, sources, pager })
}
