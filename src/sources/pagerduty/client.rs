//! PagerDuty's REST API v2 as opsdeck uses it, on the shared source client: every request with
//! `Authorization: Token token=…`, `Accept: application/vnd.pagerduty+json;version=2` and
//! `Content-Type: application/json`, writes with `From:`; each takes a token of the key's
//! [`Budget`] first and tells it what the answer said of the rate limit.
//!
//! The calls: `GET /users?query=` (the `from` email resolved once: account keys cannot call
//! `/users/me`), `GET /incidents`, `GET` and `PUT /incidents/{id}`, `GET` and `POST
//! /incidents/{id}/notes`, `GET /log_entries`, `GET /services`, `GET /escalation_policies`. Wire
//! types are decoded leniently (nothing in PagerDuty's Incident schema is required; unknown
//! fields and values are ignored). Nothing here sanitises: the mapping does, before storing.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use super::budget::{Budget, Class, Observed};
use crate::config::Secret;
use crate::sources::http;

/// The media type PagerDuty versions its API by.
pub const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";
/// The largest page PagerDuty serves.
pub const PAGE_LIMIT: u32 = 100;
/// How far `offset + limit` may go in one listing.
pub const OFFSET_CAP: u32 = 10_000;
/// An action waits this long at most for the budget; then it is answered "later".
pub const ACTION_WAIT: Duration = Duration::from_secs(5);
/// The poller waits this long at most; a longer pause shows in the source's health.
pub const SYNC_WAIT: Duration = Duration::from_secs(2);
/// Longest part of an error body kept in a message.
const ERROR_CHARS: usize = 200;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// PagerDuty cannot be reached, failed (5xx) or its rate limit holds the request back: try
    /// again after `retry_after`.
    Unavailable { message: String, retry_after: Duration },
    /// PagerDuty refused the request (4xx): retrying the same will not help. `code` is its error code.
    Refused { message: String, status: u16, code: Option<i64> },
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Unavailable { message, .. } | CallError::Refused { message, .. } => f.write_str(message),
        }
    }
}

/// `{id, summary}` of anything PagerDuty refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Reference {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl Reference {
    /// Its summary (a person's or service's name), else its id.
    pub fn label(&self) -> &str {
        self.summary.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or(&self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Assignment {
    pub at: Option<DateTime<Utc>>,
    pub assignee: Reference,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Acknowledgement {
    pub at: Option<DateTime<Utc>>,
    pub acknowledger: Reference,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PriorityRef {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

/// One incident as PagerDuty answers it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Incident {
    pub id: String,
    #[serde(default)]
    pub incident_number: Option<u64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// `triggered`, `acknowledged`, `resolved` (more may come).
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub urgency: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_status_change_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_status_change_by: Option<Reference>,
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub priority: Option<PriorityRef>,
    #[serde(default)]
    pub service: Option<Reference>,
    #[serde(default)]
    pub escalation_policy: Option<Reference>,
    #[serde(default)]
    pub assignments: Vec<Assignment>,
    #[serde(default)]
    pub acknowledgements: Vec<Acknowledgement>,
}

/// One log entry (of any type).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogEntry {
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub summary: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub agent: Option<Reference>,
    #[serde(default)]
    pub incident: Option<Reference>,
    #[serde(default)]
    pub service: Option<Reference>,
    #[serde(default)]
    pub assignees: Vec<Reference>,
    #[serde(default)]
    pub user: Option<Reference>,
    #[serde(default)]
    pub note: Option<String>,
    /// How it was made (`web_ui`, `api`, `note`…); some carry the note's text as `summary`.
    #[serde(default)]
    pub channel: Option<Reference>,
}

impl LogEntry {
    /// An annotate entry whose text is not in the entry itself.
    pub fn lacks_note(&self) -> bool {
        self.kind == "annotate_log_entry"
            && self.note.as_deref().is_none_or(|n| n.trim().is_empty())
            && self.channel.as_ref().and_then(|c| c.summary.as_deref()).is_none_or(|s| s.trim().is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Note {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub user: Option<Reference>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Service {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub escalation_policy: Option<Reference>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EscalationRule {
    #[serde(default)]
    pub escalation_delay_in_minutes: Option<u32>,
    #[serde(default)]
    pub targets: Vec<Reference>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EscalationPolicy {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub escalation_rules: Vec<EscalationRule>,
}

/// One page of a classic listing: the items under `key`, and whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub more: bool,
}

/// One PagerDuty account's API at `base`, with its key, its `From:` email and its budget.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Secret,
    from: Option<String>,
    budget: Arc<Budget>,
    me: Arc<OnceCell<User>>,
}

/// A time as PagerDuty reads it unambiguously: UTC with an explicit `Z`.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Client {
    pub fn new(base: &str, token: Secret, from: Option<String>, budget: Arc<Budget>) -> Result<Client, String> {
        Ok(Client {
            http: http::client()?,
            base: base.trim_end_matches('/').to_string(),
            token,
            from,
            budget,
            me: Arc::new(OnceCell::new()),
        })
    }

    pub fn budget(&self) -> &Arc<Budget> {
        &self.budget
    }

    /// Sends one request under the budget and decodes a 2xx answer's JSON.
    async fn call<T: DeserializeOwned>(
        &self,
        class: Class,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<serde_json::Value>,
    ) -> Result<T, CallError> {
        let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let max_wait = if class == Class::Action { ACTION_WAIT } else { SYNC_WAIT };
        if let Err(wait) = self.budget.acquire(class, max_wait).await {
            let message = format!("{what}: held back, PagerDuty {}", self.budget.pause_reason());
            return Err(CallError::Unavailable { message, retry_after: wait });
        }
        let write = method != Method::GET;
        let mut builder = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Token token={}", self.token.expose()))
            .header("Accept", ACCEPT)
            .header("Content-Type", "application/json")
            .query(query);
        if write {
            let Some(from) = &self.from else {
                return Err(CallError::Refused {
                    message: format!("{what}: no `from` email is configured for writes"),
                    status: 0,
                    code: None,
                });
            };
            builder = builder.header("From", from);
        }
        if let Some(body) = body {
            builder = builder.body(body.to_string());
        }
        let unavailable = |message: String| CallError::Unavailable { message, retry_after: Duration::from_secs(5) };
        let response = builder.send().await.map_err(|e| unavailable(http::describe(&what, e)))?;
        let status = response.status().as_u16();
        let seen = Observed::from_headers(status, response.headers());
        self.budget.observe(seen);
        let bytes = response.bytes().await.map_err(|e| unavailable(http::describe(&what, e)))?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes)
                .map_err(|e| unavailable(format!("{what}: the answer does not read ({e})")));
        }
        let (message, code) = error_message(status, &bytes);
        let message = format!("{what}: {message}");
        if status == 429 {
            let retry_after = self.budget.paused_for().unwrap_or(Duration::from_secs(1));
            return Err(CallError::Unavailable { message, retry_after });
        }
        if (400..500).contains(&status) && status != 408 {
            Err(CallError::Refused { message, status, code })
        } else {
            Err(unavailable(message))
        }
    }

    /// The user writes are made as: the `from` email looked up once with `GET /users?query=`.
    pub async fn me(&self) -> Result<&User, CallError> {
        let Some(email) = self.from.clone() else {
            return Err(CallError::Refused {
                message: "no `from` email is configured for writes".into(),
                status: 0,
                code: None,
            });
        };
        self.me
            .get_or_try_init(|| async move {
                self.users(&email)
                    .await?
                    .into_iter()
                    .find(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&email)))
                    .ok_or_else(|| CallError::Refused {
                        message: "from: no PagerDuty user has that email".into(),
                        status: 404,
                        code: None,
                    })
            })
            .await
    }

    /// `GET /users?query=`: the users whose name or email matches `query` (the first page).
    pub async fn users(&self, query: &str) -> Result<Vec<User>, CallError> {
        #[derive(Deserialize)]
        struct Users {
            users: Vec<User>,
        }
        let query = [("query", query.to_string())];
        let found: Users = self.call(Class::Action, Method::GET, "/users", &query, None).await?;
        Ok(found.users)
    }

    /// One page of `GET /incidents` in `statuses`, created in `since..until`, oldest first.
    pub async fn incidents(
        &self,
        statuses: &[&str],
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        offset: u32,
    ) -> Result<Page<Incident>, CallError> {
        #[derive(Deserialize)]
        struct Listing {
            incidents: Vec<Incident>,
            #[serde(default)]
            more: bool,
        }
        let mut query: Vec<(&str, String)> = statuses.iter().map(|s| ("statuses[]", s.to_string())).collect();
        query.extend([
            ("since", stamp(since)),
            ("until", stamp(until)),
            ("sort_by", "created_at:asc".to_string()),
            ("limit", PAGE_LIMIT.to_string()),
            ("offset", offset.to_string()),
        ]);
        let page: Listing = self.call(Class::Sync, Method::GET, "/incidents", &query, None).await?;
        Ok(Page { items: page.incidents, more: page.more })
    }

    /// `GET /incidents/{id}`, for the poller or (with [`Class::Action`]) before an action.
    pub async fn incident(&self, id: &str, class: Class) -> Result<Incident, CallError> {
        #[derive(Deserialize)]
        struct One {
            incident: Incident,
        }
        let path = format!("/incidents/{}", path_id(id)?);
        let one: One = self.call(class, Method::GET, &path, &[], None).await?;
        Ok(one.incident)
    }

    /// `PUT /incidents/{id}` with the fields of `change` (`status`, `escalation_level`,
    /// `assignments`); `type` is added.
    pub async fn update_incident(&self, id: &str, mut change: serde_json::Value) -> Result<Incident, CallError> {
        #[derive(Deserialize)]
        struct One {
            incident: Incident,
        }
        if let Some(map) = change.as_object_mut() {
            map.insert("type".into(), "incident_reference".into());
        }
        let path = format!("/incidents/{}", path_id(id)?);
        let body = serde_json::json!({ "incident": change });
        let one: One = self.call(Class::Action, Method::PUT, &path, &[], Some(body)).await?;
        Ok(one.incident)
    }

    /// `GET /incidents/{id}/notes`, for an action or (with [`Class::Sync`]) the poller.
    pub async fn notes(&self, id: &str, class: Class) -> Result<Vec<Note>, CallError> {
        #[derive(Deserialize)]
        struct Notes {
            notes: Vec<Note>,
        }
        let path = format!("/incidents/{}/notes", path_id(id)?);
        let notes: Notes = self.call(class, Method::GET, &path, &[], None).await?;
        Ok(notes.notes)
    }

    /// `POST /incidents/{id}/notes`.
    pub async fn add_note(&self, id: &str, content: &str) -> Result<Note, CallError> {
        #[derive(Deserialize)]
        struct One {
            note: Note,
        }
        let path = format!("/incidents/{}/notes", path_id(id)?);
        let body = serde_json::json!({ "note": { "content": content } });
        let one: One = self.call(Class::Action, Method::POST, &path, &[], Some(body)).await?;
        Ok(one.note)
    }

    /// One page of `GET /log_entries` since `since` (important changes only).
    pub async fn log_entries(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        offset: u32,
    ) -> Result<Page<LogEntry>, CallError> {
        #[derive(Deserialize)]
        struct Listing {
            log_entries: Vec<LogEntry>,
            #[serde(default)]
            more: bool,
        }
        let query = [
            ("since", stamp(since)),
            ("until", stamp(until)),
            ("is_overview", "true".to_string()),
            ("limit", PAGE_LIMIT.to_string()),
            ("offset", offset.to_string()),
        ];
        let page: Listing = self.call(Class::Sync, Method::GET, "/log_entries", &query, None).await?;
        Ok(Page { items: page.log_entries, more: page.more })
    }

    /// One page of `GET /services`.
    pub async fn services(&self, offset: u32) -> Result<Page<Service>, CallError> {
        #[derive(Deserialize)]
        struct Listing {
            services: Vec<Service>,
            #[serde(default)]
            more: bool,
        }
        let query = [("limit", PAGE_LIMIT.to_string()), ("offset", offset.to_string())];
        let page: Listing = self.call(Class::Sync, Method::GET, "/services", &query, None).await?;
        Ok(Page { items: page.services, more: page.more })
    }

    /// One page of `GET /escalation_policies`.
    pub async fn escalation_policies(&self, offset: u32) -> Result<Page<EscalationPolicy>, CallError> {
        #[derive(Deserialize)]
        struct Listing {
            escalation_policies: Vec<EscalationPolicy>,
            #[serde(default)]
            more: bool,
        }
        let query = [("limit", PAGE_LIMIT.to_string()), ("offset", offset.to_string())];
        let page: Listing = self.call(Class::Sync, Method::GET, "/escalation_policies", &query, None).await?;
        Ok(Page { items: page.escalation_policies, more: page.more })
    }
}

/// A PagerDuty id as it may go into a path (letters and digits).
fn path_id(id: &str) -> Result<&str, CallError> {
    if !id.is_empty() && id.len() <= 40 && id.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(CallError::Refused { message: "not a PagerDuty id".into(), status: 0, code: None })
    }
}

/// An error answer in one line with PagerDuty's error code: `{"error":{"code":…,"message":…,
/// "errors":[…]}}`, plain text, or for an empty body the status itself; sanitised, cut short.
pub fn error_message(status: u16, body: &[u8]) -> (String, Option<i64>) {
    let reason = reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    let head = format!("HTTP {status} {reason}").trim_end().to_string();
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return (head, None);
    }
    let (detail, code) = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => {
            let error = value.get("error").unwrap_or(&value);
            let code = error.get("code").and_then(|c| c.as_i64());
            let message = error.get("message").and_then(|m| m.as_str()).unwrap_or("").to_string();
            let details: Vec<&str> = error
                .get("errors")
                .and_then(|e| e.as_array())
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str())
                .collect();
            let mut line = message;
            if !details.is_empty() {
                line = format!("{line} ({})", details.join("; "));
            }
            if let Some(code) = code {
                line = format!("{line} [code {code}]");
            }
            (if line.trim().is_empty() { text.to_string() } else { line }, code)
        }
        Err(_) => (text.to_string(), None),
    };
    let detail = crate::domain::text::sanitize(&detail);
    (format!("{head}: {}", crate::domain::text::truncate(detail.trim(), ERROR_CHARS)), code)
}
