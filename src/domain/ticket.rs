//! Customer tickets: the support desk's queue, and the transitions a support engineer makes.
//!
//! Like incidents, `Ticket::apply` runs on the server (authoritatively) and in the console
//! (optimistically, over queued actions). A ticket's SLA clocks are derived from its fields:
//! the response clock stops at `first_response_at`, the resolution clock at `resolved_at`, and
//! both pause over `pauses` (waiting on the customer).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::escalation::Tier;
use super::incident::{MAX_NOTE_CHARS, MAX_TITLE_CHARS, Priority, Rejection, validate_assignee};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Nobody has picked it up yet.
    New,
    /// Someone is working on it.
    Open,
    /// Waiting on the customer: the SLA clocks are paused.
    Pending,
    Resolved,
    /// Resolved and no longer reopenable.
    Closed,
}

impl TicketStatus {
    pub fn is_open(self) -> bool {
        !matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::New => "new",
            TicketStatus::Open => "open",
            TicketStatus::Pending => "pending",
            TicketStatus::Resolved => "resolved",
            TicketStatus::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketEventKind {
    Created,
    Assigned,
    Escalated,
    Responded,
    Pending,
    Resumed,
    Resolved,
    Closed,
    Linked,
}

impl TicketEventKind {
    pub fn label(self) -> &'static str {
        match self {
            TicketEventKind::Created => "created",
            TicketEventKind::Assigned => "assigned",
            TicketEventKind::Escalated => "escalated",
            TicketEventKind::Responded => "responded",
            TicketEventKind::Pending => "pending",
            TicketEventKind::Resumed => "resumed",
            TicketEventKind::Resolved => "resolved",
            TicketEventKind::Closed => "closed",
            TicketEventKind::Linked => "linked",
        }
    }
}

/// One line of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketEvent {
    pub at: DateTime<Utc>,
    pub kind: TicketEventKind,
    pub actor: String,
    pub text: String,
}

/// A span during which the ticket waited on the customer; `to` is `None` while it still does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Pause {
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ticket {
    /// Stable key, e.g. `SUP-2041`.
    pub key: String,
    /// Increases by one with every change; actions carry the version the client last saw.
    pub version: i64,
    pub subject: String,
    pub customer: String,
    /// The service the customer reports about.
    pub service_id: String,
    pub priority: Priority,
    /// The support tier working it (T1 first response … T4 engineering).
    pub tier: Tier,
    pub status: TicketStatus,
    pub assignee: Option<String>,
    /// What the customer wrote, as sent through their channel (portal form, e-mail body, first
    /// chat message). Absent from backends that do not carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The incident this ticket reports, for outage reports.
    pub linked_incident: Option<String>,
    /// Spans waiting on the customer; the SLA clocks do not run during them.
    pub pauses: Vec<Pause>,
    pub history: Vec<TicketEvent>,
}

/// What a customer channel (portal, e-mail, chat) opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewTicket {
    pub subject: String,
    pub customer: String,
    pub service_id: String,
    pub priority: Priority,
    #[serde(default = "first_tier")]
    pub tier: Tier,
    #[serde(default)]
    pub linked_incident: Option<String>,
    /// What the customer wrote (at most 4000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn first_tier() -> Tier {
    Tier::T1
}

/// A change a support engineer asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TicketAction {
    /// Assign to the acting user.
    Take,
    Assign {
        to: String,
    },
    /// Move to the next support tier; the ticket waits for someone there to take it.
    Escalate,
    /// Record the first response to the customer (stops the response clock).
    Respond,
    /// Waiting on the customer: pauses the clocks.
    Pending,
    /// The customer answered: the clocks run again.
    Resume,
    Resolve,
}

impl TicketAction {
    /// The path segment of the action in the Ops API.
    pub fn path(&self) -> &'static str {
        match self {
            TicketAction::Take => "take",
            TicketAction::Assign { .. } => "assign",
            TicketAction::Escalate => "escalate",
            TicketAction::Respond => "respond",
            TicketAction::Pending => "pending",
            TicketAction::Resume => "resume",
            TicketAction::Resolve => "resolve",
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            TicketAction::Take => "take",
            TicketAction::Assign { .. } => "assign",
            TicketAction::Escalate => "escalate",
            TicketAction::Respond => "mark first response on",
            TicketAction::Pending => "set pending",
            TicketAction::Resume => "resume",
            TicketAction::Resolve => "resolve",
        }
    }

    pub fn done(&self) -> &'static str {
        match self {
            TicketAction::Take => "taken",
            TicketAction::Assign { .. } => "assigned",
            TicketAction::Escalate => "escalated",
            TicketAction::Respond => "first response recorded",
            TicketAction::Pending => "pending on customer",
            TicketAction::Resume => "resumed",
            TicketAction::Resolve => "resolved",
        }
    }
}

/// Longest assignee name accepted.
pub const MAX_ASSIGNEE_CHARS: usize = 100;

impl Ticket {
    /// Opens a new ticket, unassigned.
    pub fn open(key: String, new: NewTicket, source: &str, now: DateTime<Utc>) -> Ticket {
        let mut ticket = Ticket {
            key,
            version: 1,
            subject: new.subject,
            customer: new.customer,
            service_id: new.service_id,
            priority: new.priority,
            tier: new.tier,
            status: TicketStatus::New,
            assignee: None,
            description: new.description.filter(|d| !d.trim().is_empty()),
            created_at: now,
            updated_at: now,
            first_response_at: None,
            resolved_at: None,
            linked_incident: new.linked_incident,
            pauses: Vec::new(),
            history: Vec::new(),
        };
        let text = format!("opened as {} at {}", new.priority.label(), new.tier.label());
        ticket.push(now, TicketEventKind::Created, source, text);
        if let Some(incident) = ticket.linked_incident.clone() {
            ticket.push(now, TicketEventKind::Linked, source, format!("linked to {incident}"));
        }
        ticket
    }

    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    fn last_by(&self, kind: TicketEventKind) -> (String, DateTime<Utc>) {
        self.history
            .iter()
            .rev()
            .find(|e| e.kind == kind)
            .map(|e| (e.actor.clone(), e.at))
            .unwrap_or_else(|| ("someone".to_string(), self.updated_at))
    }

    /// Checks that `action` may be applied by `actor` to the ticket as it is now.
    pub fn check(&self, action: &TicketAction, actor: &str) -> Result<(), Rejection> {
        if !self.is_open() {
            let (by, at) = self.last_by(TicketEventKind::Resolved);
            return Err(Rejection::AlreadyResolved { by, at });
        }
        let invalid = |message: String| Err(Rejection::Invalid { message });
        match action {
            TicketAction::Take if self.assignee.as_deref() == Some(actor) => invalid("already yours".into()),
            TicketAction::Take => Ok(()),
            TicketAction::Assign { to } => validate_assignee(to, self.assignee.as_deref()).map(|_| ()),
            TicketAction::Escalate if self.tier.next().is_none() => Err(Rejection::AtTopTier),
            TicketAction::Escalate => Ok(()),
            TicketAction::Respond => match self.first_response_at {
                Some(_) => {
                    let (by, at) = self.last_by(TicketEventKind::Responded);
                    Err(Rejection::AlreadyResponded { by, at })
                }
                None => Ok(()),
            },
            TicketAction::Pending if self.status == TicketStatus::Pending => invalid("already pending".into()),
            TicketAction::Pending => Ok(()),
            TicketAction::Resume if self.status != TicketStatus::Pending => invalid("not pending".into()),
            TicketAction::Resume => Ok(()),
            TicketAction::Resolve => Ok(()),
        }
    }

    /// Applies `action` as `actor` at `now`, appending history and bumping the version.
    pub fn apply(&mut self, action: &TicketAction, actor: &str, now: DateTime<Utc>) -> Result<(), Rejection> {
        self.check(action, actor)?;
        match action {
            TicketAction::Take => self.assign(actor, actor, now),
            TicketAction::Assign { to } => self.assign(to.trim(), actor, now),
            TicketAction::Escalate => {
                let next = self.tier.next().ok_or(Rejection::AtTopTier)?;
                self.tier = next;
                // The next tier picks it up: it waits unassigned there.
                self.assignee = None;
                self.push(
                    now,
                    TicketEventKind::Escalated,
                    actor,
                    format!("escalated to {} {}", next.label(), next.name()),
                );
            }
            TicketAction::Respond => {
                self.first_response_at = Some(now);
                if self.status == TicketStatus::New {
                    self.status = TicketStatus::Open;
                }
                self.push(now, TicketEventKind::Responded, actor, String::new());
            }
            TicketAction::Pending => {
                self.status = TicketStatus::Pending;
                self.pauses.push(Pause { from: now, to: None });
                self.push(now, TicketEventKind::Pending, actor, "waiting on customer".into());
            }
            TicketAction::Resume => {
                self.end_pause(now);
                self.status = if self.assignee.is_some() { TicketStatus::Open } else { TicketStatus::New };
                self.push(now, TicketEventKind::Resumed, actor, String::new());
            }
            TicketAction::Resolve => {
                self.end_pause(now);
                self.status = TicketStatus::Resolved;
                self.resolved_at = Some(now);
                self.push(now, TicketEventKind::Resolved, actor, String::new());
            }
        }
        self.version += 1;
        self.updated_at = now;
        Ok(())
    }

    /// Closes a resolved ticket (the desk does this after a quiet period; no user action).
    pub fn close(&mut self, now: DateTime<Utc>) {
        if self.status == TicketStatus::Resolved {
            self.status = TicketStatus::Closed;
            self.push(now, TicketEventKind::Closed, "opsdeck", String::new());
            self.version += 1;
            self.updated_at = now;
        }
    }

    fn assign(&mut self, to: &str, actor: &str, now: DateTime<Utc>) {
        self.assignee = Some(to.to_string());
        if self.status == TicketStatus::New {
            self.status = TicketStatus::Open;
        }
        let text = if to == actor { "took it".to_string() } else { format!("assigned to {to}") };
        self.push(now, TicketEventKind::Assigned, actor, text);
    }

    fn end_pause(&mut self, now: DateTime<Utc>) {
        if let Some(pause) = self.pauses.iter_mut().rev().find(|p| p.to.is_none()) {
            pause.to = Some(now.max(pause.from));
        }
    }

    fn push(&mut self, at: DateTime<Utc>, kind: TicketEventKind, actor: &str, text: String) {
        self.history.push(TicketEvent { at, kind, actor: actor.to_string(), text });
    }

    /// Pauses as `(from, to)` pairs, the form the SLA clocks take.
    pub fn pause_spans(&self) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        self.pauses.iter().map(|p| (p.from, p.to)).collect()
    }

    pub fn last_event(&self) -> Option<&TicketEvent> {
        self.history.last()
    }
}

/// Checks a new ticket's fields before it is opened.
pub fn validate_new_ticket(new: &NewTicket) -> Result<(), String> {
    let subject = new.subject.trim();
    if subject.is_empty() {
        return Err("subject must not be empty".into());
    }
    if subject.chars().count() > MAX_TITLE_CHARS {
        return Err(format!("subject is limited to {MAX_TITLE_CHARS} characters"));
    }
    if new.customer.trim().is_empty() {
        return Err("customer must not be empty".into());
    }
    if new.customer.chars().count() > MAX_NOTE_CHARS {
        return Err("customer is too long".into());
    }
    if new.service_id.trim().is_empty() {
        return Err("service_id must not be empty".into());
    }
    if new.description.as_ref().is_some_and(|d| d.chars().count() > MAX_NOTE_CHARS) {
        return Err(format!("description is limited to {MAX_NOTE_CHARS} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn ticket() -> Ticket {
        let new = NewTicket {
            subject: "Assistant cites a refund policy that does not exist".into(),
            customer: "Northwind Travel".into(),
            service_id: "support-assistant".into(),
            priority: Priority::P3,
            tier: Tier::T1,
            linked_incident: None,
            description: Some("Your assistant told a customer we refund within 90 days.".into()),
        };
        Ticket::open("SUP-1".into(), new, "portal", t(0))
    }

    #[test]
    fn take_respond_pending_resume_resolve() {
        let mut tk = ticket();
        assert_eq!(tk.status, TicketStatus::New);
        tk.apply(&TicketAction::Take, "dana", t(1)).unwrap();
        assert_eq!((tk.status, tk.assignee.as_deref(), tk.version), (TicketStatus::Open, Some("dana"), 2));
        tk.apply(&TicketAction::Respond, "dana", t(2)).unwrap();
        assert_eq!(tk.first_response_at, Some(t(2)));
        tk.apply(&TicketAction::Pending, "dana", t(3)).unwrap();
        assert_eq!(tk.status, TicketStatus::Pending);
        assert_eq!(tk.pause_spans(), vec![(t(3), None)]);
        tk.apply(&TicketAction::Resume, "dana", t(10)).unwrap();
        assert_eq!((tk.status, tk.pause_spans()), (TicketStatus::Open, vec![(t(3), Some(t(10)))]));
        tk.apply(&TicketAction::Pending, "dana", t(11)).unwrap();
        tk.apply(&TicketAction::Resolve, "dana", t(12)).unwrap();
        assert_eq!(tk.pause_spans().last(), Some(&(t(11), Some(t(12)))), "resolving ends the pause");
        assert_eq!((tk.status, tk.resolved_at), (TicketStatus::Resolved, Some(t(12))));
        assert_eq!(
            tk.apply(&TicketAction::Take, "sam", t(13)),
            Err(Rejection::AlreadyResolved { by: "dana".into(), at: t(12) })
        );
        tk.close(t(20));
        assert_eq!(tk.status, TicketStatus::Closed);
    }

    #[test]
    fn a_second_first_response_names_who_was_first() {
        let mut tk = ticket();
        tk.apply(&TicketAction::Respond, "dana", t(1)).unwrap();
        assert_eq!(
            tk.apply(&TicketAction::Respond, "sam", t(2)),
            Err(Rejection::AlreadyResponded { by: "dana".into(), at: t(1) })
        );
        assert_eq!(tk.version, 2, "a rejected action changes nothing");
    }

    #[test]
    fn escalation_walks_the_tiers_and_unassigns() {
        let mut tk = ticket();
        tk.apply(&TicketAction::Take, "dana", t(1)).unwrap();
        for tier in [Tier::T2, Tier::T3, Tier::T4] {
            tk.apply(&TicketAction::Escalate, "dana", t(2)).unwrap();
            assert_eq!((tk.tier, tk.assignee.as_deref()), (tier, None));
        }
        assert_eq!(tk.apply(&TicketAction::Escalate, "dana", t(3)), Err(Rejection::AtTopTier));
    }

    #[test]
    fn invalid_actions_explain_themselves() {
        let mut tk = ticket();
        assert!(matches!(tk.check(&TicketAction::Resume, "dana"), Err(Rejection::Invalid { .. })));
        assert!(matches!(tk.check(&TicketAction::Assign { to: "  ".into() }, "dana"), Err(Rejection::Invalid { .. })));
        tk.apply(&TicketAction::Assign { to: " sam ".into() }, "dana", t(1)).unwrap();
        assert_eq!(tk.assignee.as_deref(), Some("sam"));
        assert!(tk.check(&TicketAction::Assign { to: "sam".into() }, "dana").is_err());
        tk.apply(&TicketAction::Take, "dana", t(2)).unwrap();
        assert!(tk.check(&TicketAction::Take, "dana").is_err());
        tk.apply(&TicketAction::Pending, "dana", t(3)).unwrap();
        assert!(tk.check(&TicketAction::Pending, "dana").is_err());
    }

    #[test]
    fn outage_reports_record_their_incident() {
        let new = NewTicket {
            subject: "Chat is down".into(),
            customer: "Contoso".into(),
            service_id: "llm-gateway".into(),
            priority: Priority::P1,
            tier: Tier::T1,
            linked_incident: Some("INC-7".into()),
            description: None,
        };
        let tk = Ticket::open("SUP-2".into(), new, "email", t(0));
        assert_eq!(tk.history.last().unwrap().text, "linked to INC-7");
    }

    #[test]
    fn the_customers_message_is_kept_and_older_documents_without_one_still_read() {
        let tk = ticket();
        assert_eq!(tk.description.as_deref(), Some("Your assistant told a customer we refund within 90 days."));
        let mut json = serde_json::to_value(&tk).unwrap();
        json.as_object_mut().unwrap().remove("description");
        let old: Ticket = serde_json::from_value(json).unwrap();
        assert_eq!(old.description, None);
        assert!(!serde_json::to_string(&old).unwrap().contains("description"), "absent, not null");
        let new: NewTicket =
            serde_json::from_str(r#"{"subject":"s","customer":"c","service_id":"x","priority":"P3"}"#).unwrap();
        assert_eq!(new.description, None);
        let long = NewTicket { description: Some("x".repeat(MAX_NOTE_CHARS + 1)), ..new };
        assert!(validate_new_ticket(&long).unwrap_err().contains("description"));
    }
}
