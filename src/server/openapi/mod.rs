//! The OpenAPI document of the Ops API v1 ([`ApiDoc`]), generated from the handlers'
//! annotations, completed by [`contract`] with what the server enforces that annotations do not
//! say (the answers every endpoint may give, the rules of stored text, limits, and the links
//! between operations), and checked in as `assets/openapi.json` (`tests/openapi.rs` keeps the two
//! equal).

mod contract;

use utoipa::OpenApi;

use super::handlers::{self, incidents, maintenance, models, postmortems, tickets};

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
        handlers::stream::stream,
        handlers::sources::list_sources,
        incidents::list_incidents,
        incidents::create_incident,
        incidents::get_incident,
        incidents::acknowledge,
        incidents::escalate,
        incidents::resolve,
        incidents::reassign,
        incidents::add_note,
        incidents::star,
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
        handlers::ListStatus,
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
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    contract::complete(&mut doc);
    let mut json = serde_json::to_string_pretty(&doc).unwrap_or_default();
    json.push('\n');
    json
}
