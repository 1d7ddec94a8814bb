//! Pure domain types and rules shared by the console and the reference server. No I/O here.

pub mod duration;
pub mod escalation;
pub mod incident;
pub mod text;

pub use escalation::{EscalationLevel, EscalationPolicy, Service, Tier};
pub use incident::{
    ActionContext, EventKind, Incident, IncidentAction, IncidentStatus, NewIncident, Priority, Rejection, TimelineEvent,
};
