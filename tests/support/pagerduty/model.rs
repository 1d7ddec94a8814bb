//! The fake PagerDuty account's state and its rules: users, services each with an escalation
//! policy of three levels, priorities, incidents (assignments, acknowledgements, notes) and the
//! log entries every change writes (rendered in `render.rs`, as the REST API v2 renders them).
//!
//! Rules modelled (PagerDuty's, as its docs describe them): acknowledging adds the actor's
//! acknowledgement (a second person's ack is added beside the first; a re-ack by the same person
//! renews it, with a new log entry); escalating or reassigning re-triggers an acknowledged
//! incident and clears its acknowledgements; resolving clears assignments and acknowledgements;
//! `triggered`/`acknowledged` on a resolved incident reopens it at level 1; resolving twice is 400
//! code 1001, a level outside the policy 400 code 1006. Timestamps have whole seconds, as the API's.
#![allow(dead_code)]

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};

/// Where `html_url`s point: a reserved name, never reached.
pub const WEB: &str = "https://fake-account.pagerduty.invalid";
/// Levels of each service's escalation policy.
pub const LEVELS: usize = 3;

pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An answer refused, as PagerDuty's error body says it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub code: u32,
    pub message: String,
    pub errors: Vec<String>,
}

impl ApiError {
    pub fn new(status: u16, code: u32, message: &str, detail: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), errors: vec![detail.into()] }
    }
    pub fn invalid(detail: impl Into<String>) -> ApiError {
        ApiError::new(400, 2001, "Invalid Input Provided", detail)
    }
    pub fn body(&self) -> Value {
        json!({"error": {"message": self.message, "code": self.code, "errors": self.errors}})
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub policy_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub id: String,
    pub name: String,
    /// User ids on call at each level, level 1 first.
    pub levels: Vec<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Priority {
    pub id: String,
    pub name: String,
}

/// Who did something: a user, or a service (a trigger through its integration).
#[derive(Debug, Clone, PartialEq)]
pub enum Agent {
    User(String),
    Service(String),
}

#[derive(Debug, Clone)]
pub struct Note {
    pub id: String,
    pub user_id: String,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Incident {
    pub id: String,
    pub number: u64,
    pub title: String,
    pub key: String,
    pub service_id: String,
    pub policy_id: String,
    pub status: String,
    pub urgency: String,
    pub priority_id: Option<String>,
    /// The escalation level (1-based); not in the API's incident, which shows only its effects.
    pub level: usize,
    pub direct: bool,
    pub assignments: Vec<(String, DateTime<Utc>)>,
    pub acknowledgements: Vec<(String, DateTime<Utc>)>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_status_change_at: DateTime<Utc>,
    pub last_status_change_by: Agent,
    pub resolved_at: Option<DateTime<Utc>>,
    pub notes: Vec<Note>,
    pub first_trigger: String,
}

#[derive(Debug, Clone)]
pub struct LogEntry {
    pub id: String,
    /// `trigger_log_entry`, `acknowledge_log_entry`, …
    pub kind: &'static str,
    pub incident_id: String,
    pub at: DateTime<Utc>,
    pub agent: Agent,
    /// `api`, `web_ui` or `auto`.
    pub channel: &'static str,
    pub summary: String,
    pub assignees: Vec<String>,
    /// The person notified (notify entries).
    pub user: Option<String>,
}

/// One change asked of an incident.
#[derive(Debug, Clone)]
pub enum Change {
    Status(String),
    Level(usize),
    Assign(Vec<String>),
    Note(String),
}

#[derive(Default)]
pub struct Model {
    /// Where `self` links point (set by the fake: not its own loopback address, which the spec's
    /// `url` format, as Prism checks it, refuses; clients do not follow these links).
    pub base: String,
    next_id: u64,
    next_number: u64,
    pub users: Vec<User>,
    pub services: Vec<Service>,
    pub policies: Vec<Policy>,
    pub priorities: Vec<Priority>,
    pub incidents: Vec<Incident>,
    index: HashMap<String, usize>,
    /// Every log entry, oldest first.
    pub log: Vec<LogEntry>,
}

impl Model {
    pub fn new() -> Model {
        let mut model = Model::default();
        for name in ["P1", "P2", "P3", "P4", "P5"] {
            let id = model.id('R');
            model.priorities.push(Priority { id, name: name.into() });
        }
        model
    }

    /// A PagerDuty-looking id: `P`, a letter for the kind, five base-36 digits.
    fn id(&mut self, kind: char) -> String {
        self.next_id += 1;
        let mut n = self.next_id;
        let mut digits = Vec::new();
        for _ in 0..5 {
            digits.push(char::from_digit((n % 36) as u32, 36).expect("a digit").to_ascii_uppercase());
            n /= 36;
        }
        digits.reverse();
        format!("P{kind}{}", digits.into_iter().collect::<String>())
    }

    pub fn add_user(&mut self, name: &str, email: &str) -> String {
        let id = self.id('U');
        self.users.push(User { id: id.clone(), name: name.into(), email: email.into() });
        id
    }

    /// A service and its policy: level k is on call by the k-th user (round robin over the users
    /// added so far; three "On-call level k" users are added first when there are none).
    pub fn add_service(&mut self, name: &str) -> String {
        if self.users.is_empty() {
            for level in 1..=LEVELS {
                self.add_user(&format!("On-call level {level}"), &format!("oncall{level}@example.com"));
            }
        }
        let levels = (0..LEVELS).map(|k| vec![self.users[k % self.users.len()].id.clone()]).collect();
        let policy_id = self.id('E');
        self.policies.push(Policy { id: policy_id.clone(), name: format!("{name} policy"), levels });
        let id = self.id('S');
        self.services.push(Service { id: id.clone(), name: name.into(), policy_id, created_at: now() });
        id
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users.iter().find(|u| u.email.eq_ignore_ascii_case(email))
    }
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }
    pub fn policy(&self, id: &str) -> &Policy {
        self.policies.iter().find(|p| p.id == id).expect("every service has its policy")
    }
    pub fn priority(&self, id_or_name: &str) -> Option<&Priority> {
        self.priorities.iter().find(|p| p.id == id_or_name || p.name == id_or_name)
    }
    pub fn incident(&self, id: &str) -> Option<&Incident> {
        self.index.get(id).map(|&i| &self.incidents[i])
    }

    /// Triggers an incident through its service's integration; with `acknowledged`, its first
    /// assignee acknowledges it at once. Panics on an unknown service, user or priority (a test's
    /// own mistake).
    #[allow(clippy::too_many_arguments)]
    pub fn trigger(
        &mut self,
        title: &str,
        service_id: &str,
        urgency: &str,
        priority: Option<&str>,
        assignees: &[String],
        acknowledged: bool,
        at: DateTime<Utc>,
    ) -> String {
        let service = self.service(service_id).unwrap_or_else(|| panic!("no service {service_id} in the fake")).clone();
        let priority_id =
            priority.map(|p| self.priority(p).unwrap_or_else(|| panic!("no priority {p} (P1–P5)")).id.clone());
        for user in assignees {
            assert!(self.user(user).is_some(), "no user {user} in the fake");
        }
        let direct = !assignees.is_empty();
        let assigned = if direct { assignees.to_vec() } else { self.policy(&service.policy_id).levels[0].clone() };
        let id = self.id('Q');
        self.next_number += 1;
        let trigger_id = self.log_entry(
            "trigger_log_entry",
            &id,
            at,
            Agent::Service(service.id.clone()),
            "api",
            "Triggered through the API.".into(),
            Vec::new(),
        );
        self.index.insert(id.clone(), self.incidents.len());
        self.incidents.push(Incident {
            id: id.clone(),
            number: self.next_number,
            title: title.into(),
            key: format!("fake-{}", self.next_number),
            service_id: service.id.clone(),
            policy_id: service.policy_id.clone(),
            status: "triggered".into(),
            urgency: urgency.into(),
            priority_id,
            level: 1,
            direct,
            assignments: assigned.iter().map(|u| (u.clone(), at)).collect(),
            acknowledgements: Vec::new(),
            created_at: at,
            updated_at: at,
            last_status_change_at: at,
            last_status_change_by: Agent::Service(service.id.clone()),
            resolved_at: None,
            notes: Vec::new(),
            first_trigger: trigger_id,
        });
        if direct {
            let names = self.names(&assigned);
            self.log_entry(
                "assign_log_entry",
                &id,
                at,
                Agent::Service(service.id),
                "api",
                format!("Assigned to {names}."),
                assigned.clone(),
            );
        }
        self.notify(&id, &assigned, at);
        if acknowledged {
            let first = assigned[0].clone();
            self.change(&id, &first, Change::Status("acknowledged".into()), "web_ui", at)
                .expect("acknowledging a new incident");
        }
        id
    }

    fn names(&self, users: &[String]) -> String {
        let names: Vec<&str> = users.iter().filter_map(|u| self.user(u)).map(|u| u.name.as_str()).collect();
        names.join(", ")
    }

    fn notify(&mut self, incident: &str, users: &[String], at: DateTime<Utc>) {
        for user in users {
            let name = self.user(user).map(|u| u.name.clone()).unwrap_or_default();
            let id = self.log_entry(
                "notify_log_entry",
                incident,
                at,
                Agent::User(user.clone()),
                "auto",
                format!("Notified {name} by email."),
                Vec::new(),
            );
            self.log.last_mut().expect("just written").user = Some(user.clone());
            debug_assert_eq!(self.log.last().map(|e| e.id.as_str()), Some(id.as_str()));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn log_entry(
        &mut self,
        kind: &'static str,
        incident: &str,
        at: DateTime<Utc>,
        agent: Agent,
        channel: &'static str,
        summary: String,
        assignees: Vec<String>,
    ) -> String {
        let id = self.id('L');
        self.log.push(LogEntry {
            id: id.clone(),
            kind,
            incident_id: incident.into(),
            at,
            agent,
            channel,
            summary,
            assignees,
            user: None,
        });
        id
    }

    /// Applies one change by `user` (a user id) through `channel`, with its log entries.
    pub fn change(
        &mut self,
        id: &str,
        user: &str,
        change: Change,
        channel: &'static str,
        at: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let Some(&i) = self.index.get(id) else {
            return Err(ApiError::new(404, 2100, "Not Found", format!("incident {id} does not exist")));
        };
        let name = self.user(user).map(|u| u.name.clone()).unwrap_or_default();
        let by = Agent::User(user.to_string());
        let resolved = self.incidents[i].status == "resolved";
        match change {
            Change::Status(status) => match (status.as_str(), resolved) {
                ("resolved", true) => {
                    return Err(ApiError::new(
                        400,
                        1001,
                        "Incident Already Resolved",
                        format!("incident {id} is resolved"),
                    ));
                }
                ("resolved", false) => {
                    let inc = &mut self.incidents[i];
                    inc.status = status;
                    inc.resolved_at = Some(at);
                    inc.assignments.clear();
                    inc.acknowledgements.clear();
                    self.status_changed(i, &by, at);
                    self.log_entry(
                        "resolve_log_entry",
                        id,
                        at,
                        by,
                        channel,
                        format!("Resolved by {name}."),
                        Vec::new(),
                    );
                }
                ("acknowledged" | "triggered", true) => {
                    self.reopen(i, at);
                    if status == "acknowledged" {
                        return self.change(id, user, Change::Status(status), channel, at);
                    }
                    self.status_changed(i, &by, at);
                }
                ("acknowledged", false) => {
                    let inc = &mut self.incidents[i];
                    inc.status = status;
                    inc.acknowledgements.retain(|(u, _)| u != user);
                    inc.acknowledgements.push((user.to_string(), at));
                    self.status_changed(i, &by, at);
                    self.log_entry(
                        "acknowledge_log_entry",
                        id,
                        at,
                        by,
                        channel,
                        format!("Acknowledged by {name}."),
                        Vec::new(),
                    );
                }
                ("triggered", false) => {
                    if self.incidents[i].status == "acknowledged" {
                        self.incidents[i].status = status;
                        self.incidents[i].acknowledgements.clear();
                        self.status_changed(i, &by, at);
                        self.log_entry(
                            "unacknowledge_log_entry",
                            id,
                            at,
                            by,
                            channel,
                            format!("Unacknowledged by {name}."),
                            Vec::new(),
                        );
                    }
                }
                (other, _) => {
                    return Err(ApiError::new(400, 1003, "Invalid Status", format!("{other} is not a status")));
                }
            },
            Change::Level(level) => {
                if resolved {
                    return Err(ApiError::new(
                        400,
                        1001,
                        "Incident Already Resolved",
                        format!("incident {id} is resolved"),
                    ));
                }
                let levels = self.policy(&self.incidents[i].policy_id).levels.clone();
                if level == 0 || level > levels.len() {
                    return Err(ApiError::new(
                        400,
                        1006,
                        "Cannot Escalate",
                        format!("the policy has levels 1 to {}, not {level}", levels.len()),
                    ));
                }
                let targets = levels[level - 1].clone();
                self.retrigger(i, &by, at);
                let inc = &mut self.incidents[i];
                inc.level = level;
                inc.direct = false;
                inc.assignments = targets.iter().map(|u| (u.clone(), at)).collect();
                let names = self.names(&targets);
                self.log_entry(
                    "escalate_log_entry",
                    id,
                    at,
                    by,
                    channel,
                    format!("Escalated to level {level} ({names}) by {name}."),
                    targets.clone(),
                );
                self.notify(id, &targets, at);
            }
            Change::Assign(users) => {
                if resolved {
                    return Err(ApiError::new(
                        400,
                        1001,
                        "Incident Already Resolved",
                        format!("incident {id} is resolved"),
                    ));
                }
                if let Some(unknown) = users.iter().find(|u| self.user(u).is_none()) {
                    return Err(ApiError::invalid(format!("assignee {unknown} is not a user of the account")));
                }
                self.retrigger(i, &by, at);
                let inc = &mut self.incidents[i];
                inc.direct = true;
                inc.assignments = users.iter().map(|u| (u.clone(), at)).collect();
                let names = self.names(&users);
                self.log_entry(
                    "assign_log_entry",
                    id,
                    at,
                    by,
                    channel,
                    format!("Assigned to {names} by {name}."),
                    users.clone(),
                );
                self.notify(id, &users, at);
            }
            Change::Note(content) => {
                let note_id = self.id('N');
                self.incidents[i].notes.push(Note { id: note_id, user_id: user.into(), content, created_at: at });
                self.log_entry("annotate_log_entry", id, at, by, channel, format!("Note added by {name}."), Vec::new());
            }
        }
        self.incidents[i].updated_at = at;
        Ok(())
    }

    fn status_changed(&mut self, i: usize, by: &Agent, at: DateTime<Utc>) {
        self.incidents[i].last_status_change_at = at;
        self.incidents[i].last_status_change_by = by.clone();
    }

    /// Escalating or reassigning an acknowledged incident triggers it again.
    fn retrigger(&mut self, i: usize, by: &Agent, at: DateTime<Utc>) {
        if self.incidents[i].status == "acknowledged" {
            self.incidents[i].status = "triggered".into();
            self.incidents[i].acknowledgements.clear();
            self.status_changed(i, by, at);
        }
    }

    fn reopen(&mut self, i: usize, at: DateTime<Utc>) {
        let targets = self.policy(&self.incidents[i].policy_id).levels[0].clone();
        let inc = &mut self.incidents[i];
        inc.status = "triggered".into();
        inc.resolved_at = None;
        inc.level = 1;
        inc.direct = false;
        inc.assignments = targets.iter().map(|u| (u.clone(), at)).collect();
    }
}
