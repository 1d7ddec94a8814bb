//! Incidents, their timeline and the transitions between their states.
//!
//! The same `Incident::apply` runs on the reference server (authoritatively) and in the console
//! (optimistically, over queued actions), so both sides agree on what an action does.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::escalation::{EscalationPolicy, Tier};

/// Urgency of an incident or ticket: P1 is the most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    /// 1 for P1 … 4 for P4; sorts most urgent first.
    pub fn rank(self) -> u8 {
        match self {
            Priority::P1 => 1,
            Priority::P2 => 2,
            Priority::P3 => 3,
            Priority::P4 => 4,
        }
    }

    pub fn from_rank(rank: i64) -> Option<Self> {
        Self::ALL.get(usize::try_from(rank).ok()?.checked_sub(1)?).copied()
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Triggered,
    Acknowledged,
    Resolved,
}

impl IncidentStatus {
    pub fn is_open(self) -> bool {
        self != IncidentStatus::Resolved
    }

    pub fn label(self) -> &'static str {
        match self {
            IncidentStatus::Triggered => "triggered",
            IncidentStatus::Acknowledged => "acknowledged",
            IncidentStatus::Resolved => "resolved",
        }
    }

    /// Four-letter form for narrow columns.
    pub fn short(self) -> &'static str {
        match self {
            IncidentStatus::Triggered => "TRIG",
            IncidentStatus::Acknowledged => "ACK",
            IncidentStatus::Resolved => "RES",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Triggered,
    Notified,
    /// A maintenance window suppressing alerts on the service held the page back.
    Suppressed,
    Acknowledged,
    Escalated,
    /// Handed to someone else, who is now the one to acknowledge.
    Reassigned,
    Note,
    Resolved,
}

impl EventKind {
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Triggered => "triggered",
            EventKind::Notified => "notified",
            EventKind::Suppressed => "suppressed",
            EventKind::Acknowledged => "acknowledged",
            EventKind::Escalated => "escalated",
            EventKind::Reassigned => "reassigned",
            EventKind::Note => "note",
            EventKind::Resolved => "resolved",
        }
    }
}

/// One line of an incident's timeline: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    /// The user (or system component) that caused the event.
    pub actor: String,
    pub text: String,
    /// Marked as a key moment (`*` in the console); a postmortem's timeline takes these first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub starred: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Incident {
    /// Stable identifier, e.g. `INC-1042`.
    pub id: String,
    /// Increases by one with every change; actions carry the version the client last saw.
    pub version: i64,
    pub title: String,
    pub service_id: String,
    pub priority: Priority,
    pub status: IncidentStatus,
    /// The escalation level the incident is at (T1 first response … T4 engineering).
    pub tier: Tier,
    pub assignee: Option<String>,
    pub triggered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub timeline: Vec<TimelineEvent>,
    /// The source the incident came from (`prod-alertmanager`), as configured on the server;
    /// none for incidents opened through the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What a client asks to open an incident (alerts, integrations, tests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewIncident {
    pub title: String,
    pub service_id: String,
    pub priority: Priority,
}

/// A change a user asks for. Notes carry their text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum IncidentAction {
    Acknowledge,
    Escalate,
    Resolve,
    /// Hands the incident to `to`, who must acknowledge it: an acknowledged incident goes back
    /// to triggered (as PagerDuty does).
    Reassign {
        to: String,
    },
    Note {
        text: String,
    },
    /// Marks (or unmarks) the timeline event at index `event` as a key moment. The timeline only
    /// ever appends, so an index names the same event for good.
    Star {
        event: usize,
        starred: bool,
    },
}

impl IncidentAction {
    /// The path segment of the action in the Ops API.
    pub fn path(&self) -> &'static str {
        match self {
            IncidentAction::Acknowledge => "acknowledge",
            IncidentAction::Escalate => "escalate",
            IncidentAction::Resolve => "resolve",
            IncidentAction::Reassign { .. } => "reassign",
            IncidentAction::Note { .. } => "notes",
            IncidentAction::Star { .. } => "star",
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            IncidentAction::Acknowledge => "acknowledge",
            IncidentAction::Escalate => "escalate",
            IncidentAction::Resolve => "resolve",
            IncidentAction::Reassign { .. } => "reassign",
            IncidentAction::Note { .. } => "note",
            IncidentAction::Star { .. } => "star",
        }
    }

    /// Past tense, for confirmations: `acknowledged`, `note added`.
    pub fn done(&self) -> &'static str {
        match self {
            IncidentAction::Acknowledge => "acknowledged",
            IncidentAction::Escalate => "escalated",
            IncidentAction::Resolve => "resolved",
            IncidentAction::Reassign { .. } => "reassigned",
            IncidentAction::Note { .. } => "note added",
            IncidentAction::Star { starred: true, .. } => "starred",
            IncidentAction::Star { starred: false, .. } => "unstarred",
        }
    }

    /// Whether the action can conflict with a concurrent change. A note only appends, so the
    /// version it was written against is recorded but never makes it stale; a star marks one
    /// event, which later changes do not move.
    pub fn checks_version(&self) -> bool {
        !matches!(self, IncidentAction::Note { .. } | IncidentAction::Star { .. })
    }
}

/// Longest note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;
/// Longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 300;

/// Why an action cannot be applied to the incident as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rejection {
    #[error("already acknowledged by {by}")]
    AlreadyAcknowledged { by: String, at: DateTime<Utc> },
    #[error("already resolved by {by}")]
    AlreadyResolved { by: String, at: DateTime<Utc> },
    #[error("already at the top tier (T4)")]
    AtTopTier,
    #[error("first response already recorded by {by}")]
    AlreadyResponded { by: String, at: DateTime<Utc> },
    #[error("changed since version {seen} (now version {current})")]
    StaleVersion { seen: i64, current: i64 },
    #[error("{message}")]
    Invalid { message: String },
}

impl Rejection {
    /// A sentence for the status bar, with how long ago the blocking change happened.
    pub fn describe(&self, id: &str, now: DateTime<Utc>) -> String {
        use crate::domain::duration::ago;
        match self {
            Rejection::AlreadyAcknowledged { by, at } => {
                format!("{id} already acknowledged by {by} {}", ago(now, *at))
            }
            Rejection::AlreadyResolved { by, at } => {
                format!("{id} already resolved by {by} {}", ago(now, *at))
            }
            Rejection::AtTopTier => format!("{id} is already at T4; cannot escalate"),
            Rejection::AlreadyResponded { by, at } => {
                format!("{id} first response already recorded by {by} {}", ago(now, *at))
            }
            Rejection::StaleVersion { .. } => {
                format!("{id} changed since you saw it; look again and retry")
            }
            Rejection::Invalid { message } => format!("{id}: {message}"),
        }
    }
}

/// Who acts and when; the policy decides whom an escalation notifies.
#[derive(Debug, Clone, Copy)]
pub struct ActionContext<'a> {
    pub actor: &'a str,
    pub now: DateTime<Utc>,
    pub policy: Option<&'a EscalationPolicy>,
}

/// A maintenance window that suppresses alerts on an incident's service while it is triggered:
/// nobody is paged until it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub window_id: String,
    /// When the window's occurrence ends (the page goes out then, if still unacknowledged).
    pub until: DateTime<Utc>,
}

impl Incident {
    /// A copy of everything but the timeline, which is left empty (a long one is not copied).
    pub fn clone_head(&self) -> Incident {
        let Incident {
            id,
            version,
            title,
            service_id,
            priority,
            status,
            tier,
            assignee,
            triggered_at,
            updated_at,
            acknowledged_at,
            resolved_at,
            timeline: _,
            source,
        } = self;
        Incident {
            id: id.clone(),
            version: *version,
            title: title.clone(),
            service_id: service_id.clone(),
            priority: *priority,
            status: *status,
            tier: *tier,
            assignee: assignee.clone(),
            triggered_at: *triggered_at,
            updated_at: *updated_at,
            acknowledged_at: *acknowledged_at,
            resolved_at: *resolved_at,
            timeline: Vec::new(),
            source: source.clone(),
        }
    }

    /// Opens an incident at T1 and notifies the first level of the policy.
    pub fn trigger(
        id: String,
        new: NewIncident,
        source: &str,
        now: DateTime<Utc>,
        policy: Option<&EscalationPolicy>,
    ) -> Incident {
        Incident::trigger_during(id, new, source, now, policy, None)
    }

    /// Opens an incident at T1: under `suppression` nobody is paged and the timeline says which
    /// window held the page back ([`Incident::release_page`] sends it later); otherwise the first
    /// level of the policy is notified.
    pub fn trigger_during(
        id: String,
        new: NewIncident,
        source: &str,
        now: DateTime<Utc>,
        policy: Option<&EscalationPolicy>,
        suppression: Option<&Suppression>,
    ) -> Incident {
        let mut incident = Incident {
            id,
            version: 1,
            title: new.title,
            service_id: new.service_id,
            priority: new.priority,
            status: IncidentStatus::Triggered,
            tier: Tier::T1,
            assignee: None,
            triggered_at: now,
            updated_at: now,
            acknowledged_at: None,
            resolved_at: None,
            timeline: Vec::new(),
            source: None,
        };
        incident.push(now, EventKind::Triggered, source, format!("{} opened", new.priority.label()));
        match suppression {
            Some(hold) => {
                let text = format!(
                    "suppressed by {} until {} UTC: nobody paged; {} is paged then if still unacknowledged",
                    hold.window_id,
                    hold.until.format("%H:%M"),
                    incident.tier.label()
                );
                incident.push(now, EventKind::Suppressed, "opsdeck", text);
            }
            None => incident.notify(now, policy, ""),
        }
        incident
    }

    /// The event that held the page back, while it still does: the incident is triggered, a
    /// window suppressed its page, and nobody has been paged (nor has it been acknowledged)
    /// since.
    pub fn page_held(&self) -> Option<&TimelineEvent> {
        if self.status != IncidentStatus::Triggered {
            return None;
        }
        // A window's hold reads "suppressed by MW-…"; a silence in an outside system (Alertmanager)
        // is recorded as suppressed too, but holds no page of opsdeck's.
        let held = |e: &&TimelineEvent| e.kind == EventKind::Suppressed && e.text.starts_with("suppressed by ");
        let last = self.timeline.iter().rev().find(|e| e.kind == EventKind::Notified || held(e))?;
        held(&last).then_some(last)
    }

    /// The id of the window holding the page back (`MW-3005`), read from the held event.
    pub fn held_by(&self) -> Option<&str> {
        let text = &self.page_held()?.text;
        text.strip_prefix("suppressed by ")?.split_whitespace().next()
    }

    /// Sends the page a window held back, now that no suppressing window covers the service:
    /// notifies the current tier's target, saying why only now. Returns whether it did (false
    /// when no page is held).
    pub fn release_page(&mut self, now: DateTime<Utc>, policy: Option<&EscalationPolicy>) -> bool {
        if self.page_held().is_none() {
            return false;
        }
        let window = self.held_by().unwrap_or("the maintenance window").to_string();
        self.notify(now, policy, &format!(" now that {window} is over"));
        self.version += 1;
        self.updated_at = now;
        true
    }

    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    /// Checks that `action` may be applied to the incident as it is now, without changing it.
    pub fn check(&self, action: &IncidentAction) -> Result<(), Rejection> {
        let last_by = |kind: EventKind| {
            self.timeline
                .iter()
                .rev()
                .find(|e| e.kind == kind)
                .map(|e| (e.actor.clone(), e.at))
                .unwrap_or_else(|| ("someone".to_string(), self.updated_at))
        };
        let resolved = || {
            let (by, at) = last_by(EventKind::Resolved);
            Rejection::AlreadyResolved { by, at }
        };
        match action {
            IncidentAction::Acknowledge => match self.status {
                IncidentStatus::Triggered => Ok(()),
                IncidentStatus::Acknowledged => {
                    let (by, at) = last_by(EventKind::Acknowledged);
                    Err(Rejection::AlreadyAcknowledged { by, at })
                }
                IncidentStatus::Resolved => Err(resolved()),
            },
            IncidentAction::Escalate => match (self.status, self.tier.next()) {
                (IncidentStatus::Resolved, _) => Err(resolved()),
                (_, None) => Err(Rejection::AtTopTier),
                (_, Some(_)) => Ok(()),
            },
            IncidentAction::Resolve => match self.status {
                IncidentStatus::Resolved => Err(resolved()),
                _ => Ok(()),
            },
            IncidentAction::Reassign { to } => match self.status {
                IncidentStatus::Resolved => Err(resolved()),
                _ => validate_assignee(to, self.assignee.as_deref()).map(|_| ()),
            },
            IncidentAction::Note { text } => validate_note(text).map(|_| ()),
            IncidentAction::Star { event, .. } if *event >= self.timeline.len() => Err(Rejection::Invalid {
                message: format!(
                    "event: there is no timeline event #{event} (the timeline has {})",
                    self.timeline.len()
                ),
            }),
            IncidentAction::Star { .. } => Ok(()),
        }
    }

    /// Applies `action`, appending its timeline events and bumping the version.
    pub fn apply(&mut self, action: &IncidentAction, ctx: ActionContext<'_>) -> Result<(), Rejection> {
        self.check(action)?;
        let now = ctx.now;
        match action {
            IncidentAction::Acknowledge => {
                self.status = IncidentStatus::Acknowledged;
                self.acknowledged_at = Some(now);
                self.assignee = Some(ctx.actor.to_string());
                self.push(now, EventKind::Acknowledged, ctx.actor, String::new());
            }
            IncidentAction::Escalate => {
                let next = self.tier.next().ok_or(Rejection::AtTopTier)?;
                self.tier = next;
                // The new tier has to acknowledge: escalation pages again.
                self.status = IncidentStatus::Triggered;
                self.acknowledged_at = None;
                self.push(
                    now,
                    EventKind::Escalated,
                    ctx.actor,
                    format!("escalated to {} {}", next.label(), next.name()),
                );
                self.notify(now, ctx.policy, "");
            }
            IncidentAction::Resolve => {
                self.status = IncidentStatus::Resolved;
                self.resolved_at = Some(now);
                self.push(now, EventKind::Resolved, ctx.actor, String::new());
            }
            IncidentAction::Reassign { to } => {
                let to = validate_assignee(to, self.assignee.as_deref())?.to_string();
                let text = match (self.status, self.assignee.take()) {
                    (IncidentStatus::Acknowledged, Some(from)) => {
                        format!("reassigned to {to} (from {from}), who must acknowledge")
                    }
                    (_, Some(from)) => format!("reassigned to {to} (from {from})"),
                    (_, None) => format!("reassigned to {to}"),
                };
                // The new owner has not acknowledged: paging is theirs to stop.
                self.status = IncidentStatus::Triggered;
                self.acknowledged_at = None;
                self.assignee = Some(to);
                self.push(now, EventKind::Reassigned, ctx.actor, text);
            }
            IncidentAction::Note { text } => {
                let text = validate_note(text)?;
                self.push(now, EventKind::Note, ctx.actor, text.to_string());
            }
            // Marking a moment is not itself a moment: no timeline event.
            IncidentAction::Star { event, starred } => self.timeline[*event].starred = *starred,
        }
        self.version += 1;
        self.updated_at = now;
        Ok(())
    }

    /// Pages the current tier's target; `why` follows the text (`" now that MW-3005 is over"`).
    fn notify(&mut self, now: DateTime<Utc>, policy: Option<&EscalationPolicy>, why: &str) {
        let target = policy.and_then(|p| p.target_for(self.tier));
        self.assignee = target.map(str::to_string);
        let text = match target {
            Some(who) => format!("paged {who} ({} {}){why}", self.tier.label(), self.tier.name()),
            None => format!("no on-call target for {}{why}", self.tier.label()),
        };
        self.push(now, EventKind::Notified, "opsdeck", text);
    }

    fn push(&mut self, at: DateTime<Utc>, kind: EventKind, actor: &str, text: String) {
        self.timeline.push(TimelineEvent { at, kind, actor: actor.to_string(), text, starred: false });
    }

    /// Where the incident sorts in the list: open ones by priority, triggered (still paging)
    /// before acknowledged, then newest first; resolved ones after them, most recently resolved
    /// first. Compare `(rank, Reverse(at), id)`.
    pub fn list_order(&self) -> (u8, i64) {
        if self.is_open() {
            // Still paging and nobody on it: above the same priority's acknowledged incidents.
            let acknowledged = u8::from(self.status == IncidentStatus::Acknowledged);
            (2 * self.priority.rank() - 1 + acknowledged, self.triggered_at.timestamp_millis())
        } else {
            (9, self.resolved_at.unwrap_or(self.updated_at).timestamp_millis())
        }
    }

    /// The most recent timeline event, for "what changed" messages.
    pub fn last_event(&self) -> Option<&TimelineEvent> {
        self.timeline.last()
    }
}

fn validate_note(text: &str) -> Result<&str, Rejection> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Rejection::Invalid { message: "a note needs some text".into() });
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(Rejection::Invalid { message: format!("a note is limited to {MAX_NOTE_CHARS} characters") });
    }
    Ok(text)
}

/// A name to hand an incident or a ticket to: not blank, at most
/// [`MAX_ASSIGNEE_CHARS`](super::ticket::MAX_ASSIGNEE_CHARS), and not whoever has it now.
pub fn validate_assignee<'a>(to: &'a str, current: Option<&str>) -> Result<&'a str, Rejection> {
    use super::ticket::MAX_ASSIGNEE_CHARS;
    let to = to.trim();
    let message = if to.is_empty() {
        "assign needs a name".to_string()
    } else if to.chars().count() > MAX_ASSIGNEE_CHARS {
        format!("a name is limited to {MAX_ASSIGNEE_CHARS} characters")
    } else if current == Some(to) {
        format!("already assigned to {to}")
    } else {
        return Ok(to);
    };
    Err(Rejection::Invalid { message })
}

/// Checks a new incident's fields before it is opened.
pub fn validate_new_incident(new: &NewIncident) -> Result<(), String> {
    let title = new.title.trim();
    if title.is_empty() {
        return Err("title must not be empty".into());
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(format!("title is limited to {MAX_TITLE_CHARS} characters"));
    }
    if new.service_id.trim().is_empty() {
        return Err("service_id must not be empty".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
