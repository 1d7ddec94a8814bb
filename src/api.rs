//! The Ops API v1 wire contract: request and response bodies every backend speaks.
//!
//! The reference server serialises these and the console's HTTP client deserialises them; the
//! OpenAPI document in `assets/openapi.json` is generated from them. How a console reads a
//! changes page record by record, skipping what it cannot read, is in `api/feed.rs`.

mod feed;

pub use feed::{DecodedPage, SkippedRecord, cap_change, read};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{
    DriftWindow, EscalationPolicy, Incident, MaintenanceWindow, Model, QualityPoint, Rejection, Service, Ticket,
};

/// The header that makes an action safe to retry.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Largest page `/v1/changes` returns, whatever `limit` asks for.
pub const MAX_CHANGES_PAGE: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything, changes nothing.
    Viewer,
    /// Acknowledges, escalates, resolves and writes notes.
    Responder,
    /// Everything a responder does, plus what later needs command authority.
    Commander,
}

impl Role {
    pub fn can_act(self) -> bool {
        self >= Role::Responder
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Responder => "responder",
            Role::Commander => "commander",
        }
    }
}

/// `GET /v1/me`: who the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub name: String,
    pub role: Role,
}

/// One person the server knows, as `GET /v1/users` lists them (never with a token).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub name: String,
    pub role: Role,
}

/// `GET /v1/users`: everyone tickets can be assigned to and incidents escalated to, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
}

/// `GET /v1/sources`: what feeds the server's store, and how each source's polls go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SourceList {
    pub sources: Vec<SourceStatus>,
}

/// One source's health. `stale` is the server's verdict: the source has never had a good poll,
/// or its last poll failed, so what opsdeck shows of it may be out of date since `last_ok_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SourceStatus {
    /// The configured name, e.g. `prod-alertmanager`; entities record it as their `source`.
    pub name: String,
    /// `alertmanager`, `prometheus`, `simulator`, …
    pub kind: String,
    pub stale: bool,
    /// The last poll that got a full answer.
    pub last_ok_at: Option<DateTime<Utc>>,
    /// The last failure, one line, without credentials.
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// After failures the source waits until then before polling again.
    pub backoff_until: Option<DateTime<Utc>>,
    /// Consecutive failed polls (0 when the last poll was good).
    #[serde(default)]
    pub failures: u32,
    /// Whether the source runs on the server that answered: replicas on one database run each
    /// source on one of them, and the others show it as they last knew it (never polled: stale).
    /// Servers before replicas leave it out: it ran there.
    #[serde(default = "runs_here_by_default")]
    pub runs_here: bool,
}

fn runs_here_by_default() -> bool {
    true
}

/// One entity that was created or changed. `kind` names the entity type; consoles skip kinds
/// they do not know, so servers can add kinds without breaking older consoles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Change {
    Incident(Incident),
    Service(Service),
    EscalationPolicy(EscalationPolicy),
    Ticket(Ticket),
    /// A model, its versions and the reference samples of its features.
    Model(Model),
    /// One window of a feature; an open window is sent again as it fills.
    DriftWindow(DriftWindow),
    /// A model's quality over one window.
    Quality(QualityPoint),
    /// A maintenance window, sent again on every edit and when cancelled.
    Maintenance(MaintenanceWindow),
    /// An incident's postmortem, sent again on every save and status change.
    Postmortem(crate::domain::Postmortem),
    /// An incident the client had at its cursor, with only the events of its timeline that
    /// changed since: sent only to a client that asks for tails (`/v1/changes?tails=true`).
    IncidentTail(IncidentTail),
}

/// An incident with the end of its timeline only: what the client already has is not sent
/// again (a 1,000-event timeline stays where it is when a note is added to it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IncidentTail {
    /// The place in the timeline of the first event `incident.timeline` holds; the events before
    /// it are as the client had them.
    pub timeline_from: usize,
    /// The incident as it is now, its timeline from `timeline_from` on.
    pub incident: Incident,
}

impl IncidentTail {
    /// The tail of `incident` from `from` on (the incident whole when `from` is 0).
    pub fn of(incident: &Incident, from: usize) -> IncidentTail {
        let from = from.min(incident.timeline.len());
        let mut head = incident.clone_head();
        head.timeline.extend_from_slice(&incident.timeline[from..]);
        IncidentTail { timeline_from: from, incident: head }
    }

    /// The whole incident, given the timeline the client has of it; `None` when that holds fewer
    /// than `timeline_from` events (the client must ask for the incident itself).
    pub fn complete(self, had: &[crate::domain::TimelineEvent]) -> Option<Incident> {
        if had.len() < self.timeline_from {
            return None;
        }
        let IncidentTail { timeline_from, mut incident } = self;
        let mut timeline = Vec::with_capacity(timeline_from + incident.timeline.len());
        timeline.extend_from_slice(&had[..timeline_from]);
        timeline.append(&mut incident.timeline);
        incident.timeline = timeline;
        Some(incident)
    }
}

/// `GET /v1/changes`: a page of changes after a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ChangesPage {
    /// Identifies the server's database. When it differs from the one a console synced
    /// against, the console's cursor means nothing here and it must sync from empty.
    pub epoch: String,
    /// Pass as `since` to get what changed after this page.
    pub cursor: String,
    /// More changes are waiting beyond this page.
    pub has_more: bool,
    /// How many changes wait beyond this page, as the server counts them when it answers (a
    /// console shows it as progress while catching up). Servers before it leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    pub changes: Vec<Change>,
}

/// A changes page with every record read: entity kinds this console does not know are counted
/// and skipped. Reading it fails on a malformed record; the console reads pages as
/// [`DecodedPage`], which skips and describes such a record instead.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedPage {
    pub epoch: String,
    pub cursor: String,
    pub has_more: bool,
    /// Changes waiting beyond this page, when the server says.
    pub remaining: Option<u64>,
    pub changes: Vec<Change>,
    pub skipped_unknown: usize,
}

impl<'de> Deserialize<'de> for ReceivedPage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let decoded = DecodedPage::deserialize(d)?;
        match decoded.skipped.first() {
            Some(record) => Err(serde::de::Error::custom(record.describe())),
            None => Ok(decoded.page),
        }
    }
}

/// Body of acknowledge, escalate and resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VersionBody {
    /// The incident version the client last saw.
    pub version: i64,
}

/// Body of `POST /v1/incidents/{id}/notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NoteBody {
    /// The incident version the author saw. A note only appends, so it is recorded but a newer
    /// incident does not reject the note.
    pub version: i64,
    pub text: String,
}

/// Body of `POST /v1/incidents/{id}/star`: marks a timeline event as a key moment (or unmarks it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StarBody {
    /// The incident version the client saw. A star marks one event, so a newer incident does not
    /// reject it.
    pub version: i64,
    /// The index of the event in the incident's timeline (0 is the first; the timeline only
    /// appends, so an index always names the same event).
    pub event: usize,
    /// `true` to star, `false` to remove the star.
    pub starred: bool,
}

/// Body of `POST /v1/tickets/{key}/assign` and `POST /v1/incidents/{id}/reassign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssignBody {
    /// The ticket or incident version the client last saw.
    pub version: i64,
    /// Who gets the ticket or the incident.
    pub to: String,
}

/// Error body for 400, 401, 403, 404 and 422.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `unauthorized`, `forbidden`, `not_found`, `invalid`, `idempotency_mismatch`.
    pub error: String,
    pub message: String,
}

/// 409: the action does not fit the incident as it is now. Carries the current incident so the
/// client can show what happened instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConflictBody {
    pub error: String,
    pub message: String,
    pub reason: Rejection,
    pub incident: Incident,
}

/// 409 on a ticket action: carries the current ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketConflictBody {
    pub error: String,
    pub message: String,
    pub reason: Rejection,
    pub ticket: Ticket,
}

/// Body of `PUT /v1/maintenance/{id}`: the version the client last saw and the new fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MaintenanceEdit {
    /// The window version the client last saw.
    pub version: i64,
    #[serde(flatten)]
    pub fields: crate::domain::NewMaintenance,
}

/// 409 on a maintenance window change: carries the current window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MaintenanceConflictBody {
    pub error: String,
    pub message: String,
    pub reason: Rejection,
    pub window: MaintenanceWindow,
}

/// Body of `PUT /v1/postmortems/{id}`: the revision the writer saw (0 when creating it) and the
/// text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PostmortemSave {
    pub version: i64,
    /// The incident the postmortem is about; its id must be `postmortem_id(incident_id)`.
    pub incident_id: String,
    pub title: String,
    pub body: String,
}

/// Body of `POST /v1/postmortems/{id}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusBody {
    pub version: i64,
    pub status: crate::domain::PostmortemStatus,
}

/// 409 on a postmortem: carries the postmortem as it is now, so both texts can be kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PostmortemConflictBody {
    pub error: String,
    pub message: String,
    pub reason: Rejection,
    pub postmortem: crate::domain::Postmortem,
}

/// `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub epoch: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_change_kinds_are_skipped_not_fatal() {
        let json = r#"{"epoch":"e","cursor":"9","has_more":false,"changes":[
            {"kind":"runbook","data":{"id":"RB-1"}},
            {"kind":"service","data":{"id":"llm-gateway","name":"LLM Gateway","description":"","escalation_policy_id":"p"}}
        ]}"#;
        let page: ReceivedPage = serde_json::from_str(json).unwrap();
        assert_eq!(page.skipped_unknown, 1);
        assert_eq!(page.changes.len(), 1);
        assert!(matches!(&page.changes[0], Change::Service(s) if s.id == "llm-gateway"));
    }

    #[test]
    fn roles_order_by_authority() {
        assert!(!Role::Viewer.can_act());
        assert!(Role::Responder.can_act());
        assert!(Role::Commander.can_act());
    }
}
