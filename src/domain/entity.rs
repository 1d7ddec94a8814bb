//! What users act on: incidents, tickets, maintenance windows and postmortems, the commands that
//! change them, and [`decide`], the one rule that decides a command on an entity as stored.
//!
//! The outbox, the backend client and the cache handle [`Command`]s and [`Entity`]s without
//! caring which kind they are; only applying a command looks inside.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::escalation::EscalationPolicy;
use super::incident::{ActionContext, Incident, IncidentAction, Rejection};
use super::maintenance::{MaintenanceAction, MaintenanceWindow};
use super::postmortem::{Postmortem, PostmortemAction};
use super::ticket::{Ticket, TicketAction};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Incident,
    Ticket,
    Maintenance,
    Postmortem,
}

impl EntityKind {
    pub fn label(self) -> &'static str {
        match self {
            EntityKind::Incident => "incident",
            EntityKind::Ticket => "ticket",
            EntityKind::Maintenance => "maintenance window",
            EntityKind::Postmortem => "postmortem",
        }
    }

    /// The collection in the Ops API: `/v1/incidents/…`, `/v1/tickets/…`, `/v1/maintenance/…`.
    pub fn collection(self) -> &'static str {
        match self {
            EntityKind::Incident => "incidents",
            EntityKind::Ticket => "tickets",
            EntityKind::Maintenance => "maintenance",
            EntityKind::Postmortem => "postmortems",
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        match s {
            "incident" => Some(EntityKind::Incident),
            "ticket" => Some(EntityKind::Ticket),
            "maintenance" => Some(EntityKind::Maintenance),
            "postmortem" => Some(EntityKind::Postmortem),
            _ => None,
        }
    }
}

/// An action on some entity, as queued and sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "action", rename_all = "snake_case")]
pub enum Command {
    Incident(IncidentAction),
    Ticket(TicketAction),
    Maintenance(MaintenanceAction),
    Postmortem(PostmortemAction),
}

impl Command {
    pub fn kind(&self) -> EntityKind {
        match self {
            Command::Incident(_) => EntityKind::Incident,
            Command::Ticket(_) => EntityKind::Ticket,
            Command::Maintenance(_) => EntityKind::Maintenance,
            Command::Postmortem(_) => EntityKind::Postmortem,
        }
    }

    pub fn path(&self) -> &'static str {
        match self {
            Command::Incident(a) => a.path(),
            Command::Ticket(a) => a.path(),
            Command::Maintenance(a) => a.path(),
            Command::Postmortem(a) => a.path(),
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            Command::Incident(a) => a.verb(),
            Command::Ticket(a) => a.verb(),
            Command::Maintenance(a) => a.verb(),
            Command::Postmortem(a) => a.verb(),
        }
    }

    pub fn done(&self) -> &'static str {
        match self {
            Command::Incident(a) => a.done(),
            Command::Ticket(a) => a.done(),
            Command::Maintenance(a) => a.done(),
            Command::Postmortem(a) => a.done(),
        }
    }

    /// Whether a newer version of the entity makes the command stale (notes only append).
    pub fn checks_version(&self) -> bool {
        match self {
            Command::Incident(a) => a.checks_version(),
            Command::Ticket(_) => true,
            // A new window has no version yet; edits and cancellations are of what was seen.
            Command::Maintenance(a) => !matches!(a, MaintenanceAction::Create { .. }),
            // A save is of the revision the writer saw: a 409 keeps both texts.
            Command::Postmortem(_) => true,
        }
    }

    /// The note text, for commands that carry typed text worth keeping when refused.
    pub fn text(&self) -> Option<&str> {
        match self {
            Command::Incident(IncidentAction::Note { text }) => Some(text),
            Command::Ticket(TicketAction::Assign { to }) | Command::Incident(IncidentAction::Reassign { to }) => {
                Some(to)
            }
            Command::Maintenance(a) => a.title(),
            Command::Postmortem(PostmortemAction::Save { draft, .. }) => Some(&draft.title),
            _ => None,
        }
    }
}

/// An incident, a ticket or a maintenance window, as a backend returns it after an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Entity {
    Incident(Incident),
    Ticket(Ticket),
    Maintenance(MaintenanceWindow),
    Postmortem(Postmortem),
}

impl Entity {
    pub fn kind(&self) -> EntityKind {
        match self {
            Entity::Incident(_) => EntityKind::Incident,
            Entity::Ticket(_) => EntityKind::Ticket,
            Entity::Maintenance(_) => EntityKind::Maintenance,
            Entity::Postmortem(_) => EntityKind::Postmortem,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Entity::Incident(i) => &i.id,
            Entity::Ticket(t) => &t.key,
            Entity::Maintenance(w) => &w.id,
            Entity::Postmortem(p) => &p.id,
        }
    }

    pub fn version(&self) -> i64 {
        match self {
            Entity::Incident(i) => i.version,
            Entity::Ticket(t) => t.version,
            Entity::Maintenance(w) => w.version,
            Entity::Postmortem(p) => p.version,
        }
    }

    /// The most recent change: what it was, who made it, when.
    pub fn last_change(&self) -> Option<(&'static str, &str, DateTime<Utc>)> {
        match self {
            Entity::Incident(i) => i.last_event().map(|e| (e.kind.label(), e.actor.as_str(), e.at)),
            Entity::Ticket(t) => t.last_event().map(|e| (e.kind.label(), e.actor.as_str(), e.at)),
            Entity::Maintenance(w) => Some((w.last_change_label(), w.updated_by.as_str(), w.updated_at)),
            Entity::Postmortem(p) => Some(("saved", p.updated_by.as_str(), p.updated_at)),
        }
    }

    /// Applies `command` if it is for this kind of entity.
    pub fn apply(
        &mut self,
        command: &Command,
        actor: &str,
        now: DateTime<Utc>,
        policy: Option<&EscalationPolicy>,
    ) -> Result<(), Rejection> {
        match (self, command) {
            (Entity::Incident(i), Command::Incident(a)) => i.apply(a, ActionContext { actor, now, policy }),
            (Entity::Ticket(t), Command::Ticket(a)) => t.apply(a, actor, now),
            (Entity::Maintenance(w), Command::Maintenance(a)) => w.apply(a, actor, now),
            (Entity::Postmortem(p), Command::Postmortem(a)) => p.apply(a, actor, now),
            _ => Err(Rejection::Invalid { message: "this action is for another kind of item".into() }),
        }
    }
}

/// What deciding a command on an entity as stored came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// There is no entity of the command's kind under that id.
    NotFound,
    /// Refused: why, and the entity as it is.
    Rejected { reason: Rejection, current: Entity },
    /// Applied: the entity as it is now, to be stored.
    Applied(Entity),
}

/// Decides `command` on `current` (the entity as stored, if any) on behalf of `actor` at `now`.
/// The domain's rules come first, then the version seen: a transition that is impossible anyway
/// says why rather than only that the client's copy is old. The server's action endpoints and
/// the simulator both decide every action with this.
pub fn decide(
    current: Option<Entity>,
    command: &Command,
    seen_version: i64,
    actor: &str,
    now: DateTime<Utc>,
    policy: Option<&EscalationPolicy>,
) -> Decision {
    let Some(current) = current.filter(|e| e.kind() == command.kind()) else {
        return Decision::NotFound;
    };
    let stale = command.checks_version() && seen_version != current.version();
    if !stale && matches!(current, Entity::Incident(_)) {
        // An incident's actions check before they change anything (a refused one leaves it as
        // it was): applied in place, without copying a long timeline.
        let mut next = current;
        return match next.apply(command, actor, now, policy) {
            Ok(()) => Decision::Applied(next),
            Err(reason) => Decision::Rejected { reason, current: next },
        };
    }
    let mut next = current.clone();
    let verdict = match next.apply(command, actor, now, policy) {
        Err(reason) => Err(reason),
        Ok(()) if command.checks_version() && seen_version != current.version() => {
            Err(Rejection::StaleVersion { seen: seen_version, current: current.version() })
        }
        Ok(()) => Ok(()),
    };
    match verdict {
        Ok(()) => Decision::Applied(next),
        Err(reason) => Decision::Rejected { reason, current },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_serialise_with_their_kind() {
        let c = Command::Ticket(TicketAction::Assign { to: "sam".into() });
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"kind":"ticket","action":{"action":"assign","to":"sam"}}"#);
        assert_eq!(serde_json::from_str::<Command>(&json).unwrap(), c);
        let c = Command::Incident(IncidentAction::Escalate);
        assert_eq!(serde_json::from_str::<Command>(&serde_json::to_string(&c).unwrap()).unwrap(), c);
    }

    #[test]
    fn deciding_checks_the_kind_then_the_rules_then_the_version() {
        use crate::domain::{IncidentStatus, NewIncident, Priority};
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let new = NewIncident { title: "5xx spike".into(), service_id: "llm-gateway".into(), priority: Priority::P1 };
        let incident = Entity::Incident(Incident::trigger("INC-1".into(), new, "alertmanager", now, None));
        let resolve = Command::Incident(IncidentAction::Resolve);
        let take = Command::Ticket(TicketAction::Take);

        assert_eq!(decide(None, &resolve, 1, "dana", now, None), Decision::NotFound);
        assert_eq!(decide(Some(incident.clone()), &take, 1, "dana", now, None), Decision::NotFound, "another kind");
        let Decision::Applied(Entity::Incident(resolved)) =
            decide(Some(incident.clone()), &resolve, 1, "dana", now, None)
        else {
            panic!("resolving the version seen applies");
        };
        assert_eq!(resolved.status, IncidentStatus::Resolved);
        let stale = decide(Some(incident.clone()), &resolve, 0, "dana", now, None);
        assert_eq!(
            stale,
            Decision::Rejected { reason: Rejection::StaleVersion { seen: 0, current: 1 }, current: incident }
        );
        let again = Entity::Incident(resolved);
        let Decision::Rejected { reason, .. } = decide(Some(again), &resolve, 0, "dana", now, None) else {
            panic!("resolving twice is refused");
        };
        assert!(!matches!(reason, Rejection::StaleVersion { .. }), "the rule says why before the version: {reason:?}");
    }

    #[test]
    fn a_refused_incident_action_leaves_the_incident_as_it_was() {
        use crate::domain::{NewIncident, Priority};
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let new = NewIncident { title: "5xx spike".into(), service_id: "llm-gateway".into(), priority: Priority::P1 };
        let mut incident = Incident::trigger("INC-1".into(), new, "alertmanager", now, None);
        incident.apply(&IncidentAction::Acknowledge, ActionContext { actor: "dana", now, policy: None }).unwrap();
        let v = incident.version;
        let refused = [
            IncidentAction::Acknowledge,
            IncidentAction::Reassign { to: "dana".into() },
            IncidentAction::Reassign { to: " ".into() },
            IncidentAction::Note { text: "x".repeat(5_000) },
            IncidentAction::Note { text: String::new() },
            IncidentAction::Star { event: 99, starred: true },
        ];
        for action in refused {
            let before = Entity::Incident(incident.clone());
            let decision = decide(Some(before.clone()), &Command::Incident(action.clone()), v, "erin", now, None);
            let Decision::Rejected { current, .. } = decision else { panic!("{action:?} is refused") };
            assert_eq!(current, before, "{action:?} changed nothing");
        }
        let mut top = incident.clone();
        top.tier = crate::domain::Tier::T4;
        let before = Entity::Incident(top);
        let decision = decide(Some(before.clone()), &Command::Incident(IncidentAction::Escalate), v, "erin", now, None);
        assert!(matches!(decision, Decision::Rejected { current, .. } if current == before));
    }
}
