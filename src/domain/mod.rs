//! Pure domain types and rules shared by the console and the reference server. No I/O here.

pub mod caps;
pub mod catalog;
pub mod drift;
pub mod duration;
pub mod entity;
pub mod escalation;
pub mod incident;
pub mod maintenance;
pub mod maintenance_ics;
pub mod monitoring;
pub mod postmortem;
pub mod postmortem_template;
pub mod text;
pub mod ticket;

pub use entity::{Command, Decision, Entity, EntityKind, decide};
pub use escalation::{EscalationLevel, EscalationPolicy, Service, Tier};
pub use incident::{
    ActionContext, EventKind, Incident, IncidentAction, IncidentStatus, NewIncident, Priority, Rejection, TimelineEvent,
};
pub use maintenance::{
    MaintenanceAction, MaintenanceError, MaintenanceKind, MaintenanceWindow, NewMaintenance, Occurrence,
};
pub use monitoring::{
    DriftWindow, Feature, FeatureKind, Model, ModelVersion, QualityMetric, QualityPoint, Sample, Statistic,
};
pub use postmortem::{ActionItem, Postmortem, PostmortemAction, PostmortemDraft, PostmortemStatus};
pub use ticket::{NewTicket, Pause, Ticket, TicketAction, TicketEvent, TicketEventKind, TicketStatus};
