//! PagerDuty incidents and log entries → opsdeck incidents and timeline events (pure).
//!
//! - The id is `PD-` and PagerDuty's id (`PD-Q2QKCWT4OZ5MS9`); `source` is the source's name.
//!   opsdeck's incident has no external link field: the first event's text carries the
//!   incident number and PagerDuty's `html_url`.
//! - Priority: `priority.name` through `priority_names` where the account uses priorities, else
//!   the urgency through `urgency_priority`. Status and times as PagerDuty says. Assignee: the
//!   first assignment (opsdeck keeps one; every assignee is named in the assign events).
//! - Tier: PagerDuty's Incident has no escalation level, so the tier starts at the level-1 tier
//!   and each escalate log entry moves it one level up through `level_tier`.
//! - Service: the PagerDuty service's name (its id when it has none); escalation policy:
//!   `pd-<id>` with one opsdeck level per PagerDuty rule (several rules may share a tier).
//! - Log entries → events: trigger, notify, acknowledge, escalate, annotate (note), assign (a
//!   note naming the assignees), resolve; any other type a note `other: <summary>`. An entry
//!   whose event opsdeck already holds (an action carried from opsdeck, which the server records
//!   itself) is not added twice: same kind within [`SAME_EVENT`], and for notes the same text.
//!
//! Every outside string is sanitised and cut to the field's limit here.

use chrono::{DateTime, Utc};

use super::Settings;
use super::client::{self, LogEntry};
use crate::domain::escalation::{EscalationLevel, EscalationPolicy};
use crate::domain::incident::{MAX_NOTE_CHARS, MAX_TITLE_CHARS, TimelineEvent};
use crate::domain::maintenance::MAX_SERVICE_ID_CHARS;
use crate::domain::text::{sanitize, truncate};
use crate::domain::{EventKind, Incident, IncidentStatus, Service, Tier};

/// Two events of the same kind this close are taken to be one (an opsdeck action and the log
/// entry PagerDuty made of it).
pub const SAME_EVENT: chrono::Duration = chrono::Duration::minutes(2);

/// The opsdeck id of PagerDuty incident `id`.
pub fn incident_id(id: &str) -> String {
    format!("PD-{id}")
}

/// PagerDuty's id in an opsdeck id made by [`incident_id`].
pub fn parse_id(id: &str) -> Option<&str> {
    id.strip_prefix("PD-").filter(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// One line, no control characters, at most `max` characters.
pub fn clean(value: &str, max: usize) -> String {
    truncate(sanitize(value).trim(), max).into_owned()
}

/// The opsdeck service of a PagerDuty service reference or object (its name, else its id).
pub fn service_id(name: Option<&str>, id: &str) -> String {
    let name = name.map(|n| clean(n, MAX_SERVICE_ID_CHARS)).filter(|n| !n.is_empty());
    name.unwrap_or_else(|| clean(id, MAX_SERVICE_ID_CHARS))
}

/// The opsdeck policy id of PagerDuty escalation policy `id`.
pub fn policy_id(id: &str) -> String {
    format!("pd-{}", clean(id, 40))
}

/// The opsdeck service of a PagerDuty service, under its policy.
pub fn service(service: &client::Service, source: &str) -> Service {
    let id = service_id(service.name.as_deref().or(service.summary.as_deref()), &service.id);
    Service {
        name: id.clone(),
        id,
        description: format!("PagerDuty service {} (source {source})", clean(&service.id, 40)),
        escalation_policy_id: service.escalation_policy.as_ref().map(|p| policy_id(&p.id)).unwrap_or_default(),
    }
}

/// The opsdeck policy of a PagerDuty escalation policy: one level per rule.
pub fn policy(policy: &client::EscalationPolicy, settings: &Settings) -> EscalationPolicy {
    let name = policy.name.as_deref().or(policy.summary.as_deref()).unwrap_or(&policy.id);
    let levels = policy
        .escalation_rules
        .iter()
        .enumerate()
        .map(|(i, rule)| EscalationLevel {
            tier: settings.tier(i as u32 + 1),
            targets: rule.targets.iter().map(|t| clean(t.label(), 100)).collect(),
            escalate_after_minutes: rule.escalation_delay_in_minutes.unwrap_or(30),
        })
        .collect();
    EscalationPolicy { id: policy_id(&policy.id), name: clean(name, 100), levels }
}

fn status(pd: &client::Incident) -> IncidentStatus {
    match pd.status.as_str() {
        "resolved" => IncidentStatus::Resolved,
        "acknowledged" => IncidentStatus::Acknowledged,
        _ => IncidentStatus::Triggered,
    }
}

fn title(pd: &client::Incident) -> String {
    let text = pd.title.as_deref().or(pd.summary.as_deref()).map(|t| clean(t, MAX_TITLE_CHARS));
    text.filter(|t| !t.is_empty()).unwrap_or_else(|| format!("PagerDuty incident {}", clean(&pd.id, 40)))
}

fn assignee(pd: &client::Incident) -> Option<String> {
    pd.assignments.first().map(|a| clean(a.assignee.label(), 100)).filter(|a| !a.is_empty())
}

fn event(at: DateTime<Utc>, kind: EventKind, actor: &str, text: String) -> TimelineEvent {
    TimelineEvent { at, kind, actor: actor.to_string(), text, starred: false }
}

/// A new opsdeck incident for `pd` as first seen at `now`. Its timeline opens with the trigger;
/// with `from_state` (no log entries read) the acknowledgement and resolution are added from
/// the incident's own fields.
pub fn new_incident(pd: &client::Incident, settings: &Settings, from_state: bool, now: DateTime<Utc>) -> Incident {
    let priority = settings
        .priority(pd.priority.as_ref().and_then(|p| p.name.as_deref().or(p.summary.as_deref())), pd.urgency.as_deref());
    let service = pd.service.as_ref().map(|s| service_id(s.summary.as_deref(), &s.id)).unwrap_or_default();
    let triggered_at = pd.created_at.min(now);
    let number = pd.incident_number.map(|n| format!(" #{n}")).unwrap_or_default();
    let urgency = pd.urgency.as_deref().map(|u| format!(", {} urgency", clean(u, 20))).unwrap_or_default();
    let link = pd.html_url.as_deref().map(|u| format!(" {}", clean(u, 300))).unwrap_or_default();
    let source = settings.name.as_str();
    let mut incident = Incident {
        id: incident_id(&pd.id),
        version: 1,
        title: title(pd),
        service_id: service,
        priority,
        status: IncidentStatus::Triggered,
        tier: settings.tier(1),
        assignee: None,
        triggered_at,
        updated_at: now,
        acknowledged_at: None,
        resolved_at: None,
        timeline: vec![event(
            triggered_at,
            EventKind::Triggered,
            source,
            format!("{} triggered in PagerDuty{number}{urgency}:{link}", priority.label()),
        )],
        source: Some(source.to_string()),
    };
    if from_state {
        if let Some(ack) = pd.acknowledgements.first() {
            let at = ack.at.unwrap_or(triggered_at).min(now);
            let who = clean(ack.acknowledger.label(), 100);
            incident.timeline.push(event(at, EventKind::Acknowledged, &who, "acknowledged in PagerDuty".into()));
        }
        if status(pd) == IncidentStatus::Resolved {
            let at = resolved_at(pd).unwrap_or(now).min(now);
            let who = pd.last_status_change_by.as_ref().map(|r| clean(r.label(), 100));
            let who = who.unwrap_or_else(|| source.to_string());
            incident.timeline.push(event(at, EventKind::Resolved, &who, "resolved in PagerDuty".into()));
        }
    }
    apply_state(&mut incident, pd, settings, now);
    incident.version = 1;
    incident.updated_at = now;
    incident
}

fn resolved_at(pd: &client::Incident) -> Option<DateTime<Utc>> {
    pd.resolved_at.or(pd.last_status_change_at).or(pd.updated_at)
}

/// Brings `incident`'s fields in line with `pd` (title, priority, status and its times,
/// assignee); returns whether anything changed. The version is the caller's.
pub fn apply_state(incident: &mut Incident, pd: &client::Incident, settings: &Settings, now: DateTime<Utc>) -> bool {
    let before = incident.clone();
    incident.title = title(pd);
    incident.priority = settings
        .priority(pd.priority.as_ref().and_then(|p| p.name.as_deref().or(p.summary.as_deref())), pd.urgency.as_deref());
    incident.status = status(pd);
    match incident.status {
        IncidentStatus::Triggered => {
            incident.acknowledged_at = None;
            incident.resolved_at = None;
        }
        IncidentStatus::Acknowledged => {
            let at = pd.acknowledgements.first().and_then(|a| a.at).or(pd.last_status_change_at);
            incident.acknowledged_at = incident.acknowledged_at.or(at.map(|a| a.min(now))).or(Some(now));
            incident.resolved_at = None;
        }
        IncidentStatus::Resolved => {
            incident.resolved_at = incident.resolved_at.or(resolved_at(pd).map(|a| a.min(now))).or(Some(now));
        }
    }
    if let Some(who) = assignee(pd) {
        incident.assignee = Some(who);
    }
    *incident != before
}

/// The timeline event of a log entry, by `source` when it names no agent.
pub fn log_event(entry: &LogEntry, source: &str) -> TimelineEvent {
    let actor = entry.agent.as_ref().map(|a| clean(a.label(), 100)).filter(|a| !a.is_empty());
    let actor = actor.unwrap_or_else(|| source.to_string());
    let summary = entry.summary.as_deref().map(|s| clean(s, 300)).unwrap_or_default();
    let names = |refs: &[client::Reference]| refs.iter().map(|r| clean(r.label(), 100)).collect::<Vec<_>>().join(", ");
    let (kind, text) = match entry.kind.as_str() {
        "trigger_log_entry" => (EventKind::Triggered, or(summary, "triggered in PagerDuty")),
        "notify_log_entry" => {
            let who = entry.user.as_ref().map(|u| format!("notified {}", clean(u.label(), 100)));
            (EventKind::Notified, who.unwrap_or(or(summary, "notified")))
        }
        "acknowledge_log_entry" => (EventKind::Acknowledged, or(summary, "acknowledged in PagerDuty")),
        "escalate_log_entry" => {
            let to = names(&entry.assignees);
            (EventKind::Escalated, if to.is_empty() { or(summary, "escalated") } else { format!("escalated to {to}") })
        }
        "annotate_log_entry" => {
            let channel = entry.channel.as_ref().and_then(|c| c.summary.as_deref());
            let note = entry.note.as_deref().or(channel).map(|n| clean(n, MAX_NOTE_CHARS)).filter(|n| !n.is_empty());
            (EventKind::Note, note.unwrap_or(or(summary, "note added in PagerDuty")))
        }
        "assign_log_entry" => {
            let to = names(&entry.assignees);
            (
                EventKind::Reassigned,
                if to.is_empty() { or(summary, "reassigned") } else { format!("reassigned to {to}") },
            )
        }
        "resolve_log_entry" => (EventKind::Resolved, or(summary, "resolved in PagerDuty")),
        other => (EventKind::Note, format!("other: {}", or(summary, &clean(other, 60)))),
    };
    event(entry.created_at, kind, &actor, text)
}

fn or(text: String, fallback: &str) -> String {
    if text.is_empty() { fallback.to_string() } else { text }
}

/// Whether `incident`'s timeline holds `event` already: the same kind close in time, and for
/// notes the same text (an opsdeck note sent to PagerDuty comes back as an annotate entry, its
/// text followed by ` — <user> (opsdeck)`).
pub fn holds(incident: &Incident, event: &TimelineEvent) -> bool {
    incident.timeline.iter().any(|e| {
        e.kind == event.kind
            && (e.at - event.at).abs() <= SAME_EVENT
            && (event.kind != EventKind::Note
                || e.text == event.text
                || event.text.starts_with(&format!("{} — ", e.text)))
    })
}

/// Fills the text of annotate entries that lack it from the incident's `notes` (the note made
/// closest in time, each note used once).
pub fn fill_notes(entries: &mut [LogEntry], notes: &[client::Note]) {
    let mut used = vec![false; notes.len()];
    for entry in entries.iter_mut().filter(|e| e.lacks_note()) {
        let best = notes
            .iter()
            .enumerate()
            .filter(|(i, n)| !used[*i] && n.created_at.is_some_and(|at| (at - entry.created_at).abs() <= SAME_EVENT))
            .min_by_key(|(_, n)| n.created_at.map(|at| (at - entry.created_at).abs()));
        if let Some((i, note)) = best {
            used[i] = true;
            entry.note = Some(note.content.clone());
        }
    }
}

/// Adds the events of `entries` (of this incident, oldest first) that the timeline lacks, moving
/// the tier up one level per escalation; returns whether anything was added.
pub fn apply_entries(incident: &mut Incident, entries: &[&LogEntry], settings: &Settings) -> bool {
    let mut changed = false;
    for entry in entries {
        let event = log_event(entry, &settings.name);
        if event.kind == EventKind::Escalated && !holds(incident, &event) {
            incident.tier = next_tier(incident.tier, settings);
        }
        if holds(incident, &event) {
            continue;
        }
        // The timeline only appends (stars name events by index), even for a late entry.
        incident.timeline.push(event);
        changed = true;
    }
    changed
}

/// The tier one escalation level above `tier`.
pub fn next_tier(tier: Tier, settings: &Settings) -> Tier {
    settings.tier(settings.level(tier) + 1)
}
