//! The fake account's objects rendered as PagerDuty's REST API v2 renders them: references
//! (`*_reference` with `summary`, `self`, `html_url`), users, services, escalation policies,
//! priorities, incidents, notes and log entries.
#![allow(dead_code)]

use serde_json::{Value, json};

use super::model::{Agent, Incident, LogEntry, Model, Note, Policy, Priority, Service, User, WEB, stamp};

impl Model {
    fn reference(&self, kind: &str, path: &str, id: &str, summary: &str) -> Value {
        json!({"id": id, "type": kind, "summary": summary, "self": format!("{}/{path}/{id}", self.base), "html_url": format!("{WEB}/{path}/{id}")})
    }
    pub fn user_ref(&self, id: &str) -> Value {
        let name = self.user(id).map(|u| u.name.as_str()).unwrap_or("Unknown user");
        self.reference("user_reference", "users", id, name)
    }
    fn service_ref(&self, id: &str) -> Value {
        let name = self.service(id).map(|s| s.name.as_str()).unwrap_or("Unknown service");
        self.reference("service_reference", "services", id, name)
    }
    fn policy_ref(&self, id: &str) -> Value {
        self.reference("escalation_policy_reference", "escalation_policies", id, &self.policy(id).name)
    }
    fn agent(&self, agent: &Agent) -> Value {
        match agent {
            Agent::User(id) => self.user_ref(id),
            Agent::Service(id) => self.service_ref(id),
        }
    }

    pub fn render_user(&self, u: &User) -> Value {
        json!({
            "id": u.id, "type": "user", "summary": u.name, "name": u.name, "email": u.email,
            "time_zone": "Etc/UTC", "color": "green", "role": "user", "job_title": "",
            "self": format!("{}/users/{}", self.base, u.id), "html_url": format!("{WEB}/users/{}", u.id),
            "invitation_sent": false, "teams": [], "contact_methods": [], "notification_rules": [],
        })
    }

    pub fn render_service(&self, s: &Service) -> Value {
        json!({
            "id": s.id, "type": "service", "summary": s.name, "name": s.name, "description": "",
            "self": format!("{}/services/{}", self.base, s.id), "html_url": format!("{WEB}/services/{}", s.id),
            "status": "active", "created_at": stamp(s.created_at), "auto_resolve_timeout": 14400,
            "acknowledgement_timeout": 1800, "escalation_policy": self.policy_ref(&s.policy_id),
            "teams": [], "integrations": [], "addons": [], "scheduled_actions": [],
            "incident_urgency_rule": {"type": "constant", "urgency": "high"},
        })
    }

    pub fn render_policy(&self, p: &Policy) -> Value {
        let rules: Vec<Value> = p
            .levels
            .iter()
            .enumerate()
            .map(|(k, users)| {
                json!({
                    "id": format!("{}R{}", p.id, k + 1), "escalation_delay_in_minutes": 30,
                    "targets": users.iter().map(|u| self.user_ref(u)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let services: Vec<Value> =
            self.services.iter().filter(|s| s.policy_id == p.id).map(|s| self.service_ref(&s.id)).collect();
        json!({
            "id": p.id, "type": "escalation_policy", "summary": p.name, "name": p.name, "description": "",
            "self": format!("{}/escalation_policies/{}", self.base, p.id), "html_url": format!("{WEB}/escalation_policies/{}", p.id),
            "num_loops": 0, "on_call_handoff_notifications": "if_has_services",
            "escalation_rules": rules, "services": services, "teams": [],
        })
    }

    pub fn render_priority(&self, p: &Priority) -> Value {
        json!({
            "id": p.id, "type": "priority", "summary": p.name, "name": p.name,
            "description": format!("Priority {}", p.name), "self": format!("{}/priorities/{}", self.base, p.id), "html_url": null,
        })
    }

    pub fn render_incident(&self, inc: &Incident) -> Value {
        let assignments: Vec<Value> =
            inc.assignments.iter().map(|(u, at)| json!({"at": stamp(*at), "assignee": self.user_ref(u)})).collect();
        let acks: Vec<Value> = inc
            .acknowledgements
            .iter()
            .map(|(u, at)| json!({"at": stamp(*at), "acknowledger": self.user_ref(u)}))
            .collect();
        let priority = inc.priority_id.as_deref().and_then(|p| self.priority(p)).map(|p| self.render_priority(p));
        let summary = format!("[#{}] {}", inc.number, inc.title);
        json!({
            "id": inc.id, "type": "incident", "summary": summary,
            "self": format!("{}/incidents/{}", self.base, inc.id), "html_url": format!("{WEB}/incidents/{}", inc.id),
            "incident_number": inc.number, "title": inc.title, "incident_key": inc.key,
            "status": inc.status, "urgency": inc.urgency, "priority": priority,
            "service": self.service_ref(&inc.service_id), "escalation_policy": self.policy_ref(&inc.policy_id),
            "assignments": assignments, "acknowledgements": acks,
            "assigned_via": if inc.direct { "direct_assignment" } else { "escalation_policy" },
            "created_at": stamp(inc.created_at), "updated_at": stamp(inc.updated_at),
            "last_status_change_at": stamp(inc.last_status_change_at),
            "last_status_change_by": self.agent(&inc.last_status_change_by),
            "resolved_at": inc.resolved_at.map(stamp),
            "first_trigger_log_entry": self.reference("trigger_log_entry_reference", "log_entries", &inc.first_trigger, "Triggered through the self.base."),
            "alert_counts": {"all": 1, "triggered": i64::from(inc.status != "resolved"), "resolved": i64::from(inc.status == "resolved")},
            "is_mergeable": true, "teams": [], "pending_actions": [], "incident_type": {"name": "incident_default"},
        })
    }

    pub fn render_note(&self, n: &Note) -> Value {
        json!({
            "id": n.id, "user": self.user_ref(&n.user_id), "content": n.content, "created_at": stamp(n.created_at),
            "channel": {"summary": "The PagerDuty website or self.bases"},
        })
    }

    /// With `embed`, the entry carries the whole incident (`include[]=incidents`).
    pub fn render_log_entry(&self, e: &LogEntry, embed: bool) -> Value {
        let inc = self.incident(&e.incident_id).expect("log entries are of known incidents");
        let incident = if embed {
            self.render_incident(inc)
        } else {
            self.reference("incident_reference", "incidents", &inc.id, &format!("[#{}] {}", inc.number, inc.title))
        };
        let mut entry = json!({
            "id": e.id, "type": e.kind, "summary": e.summary, "created_at": stamp(e.at),
            "self": format!("{}/log_entries/{}", self.base, e.id), "html_url": format!("{WEB}/incidents/{}/log_entries/{}", inc.id, e.id),
            "agent": self.agent(&e.agent), "channel": {"type": e.channel},
            "service": self.service_ref(&inc.service_id), "incident": incident, "teams": [], "contexts": [],
            "event_details": {},
        });
        if matches!(e.kind, "assign_log_entry" | "escalate_log_entry") {
            entry["assignees"] = e.assignees.iter().map(|u| self.user_ref(u)).collect();
        }
        if let Some(user) = &e.user {
            entry["user"] = self.user_ref(user);
        }
        if e.kind == "acknowledge_log_entry" {
            entry["acknowledgement_timeout"] = json!(1800);
        }
        entry
    }
}
