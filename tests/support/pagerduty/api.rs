//! The fake's HTTP side: one handler for every request Prism forwards. It records the request,
//! checks the API key (401), counts it against the key's per-minute limit (429 code 2020 with
//! `Retry-After` and `ratelimit-*` headers, or without any header), wants `From` on writes (400), serves
//! the endpoints the PagerDuty source uses, checks its own answer against the spec, and marks an
//! answer the relay must drop.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Months, Utc};
use serde_json::{Value, json};

use super::model::{ApiError, Change, Model, now};
use super::spec::Spec;

/// Marks every answer of the fake (an error without it came from Prism).
pub const FAKE_HEADER: &str = "x-fake-pagerduty";
/// Asks the relay to drop the client's connection instead of passing this answer on.
pub const DROP_HEADER: &str = "x-fake-drop";
/// PagerDuty's cap on classic pagination: offset + limit.
pub const OFFSET_CAP: u64 = 10_000;

/// One request as the fake saw it (after Prism).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: DateTime<Utc>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub struct Rate {
    pub per_minute: u32,
    pub headers: bool,
    /// Per API key: when its minute started and how many requests it has made in it.
    windows: HashMap<String, (Instant, u32)>,
}

impl Rate {
    pub fn new(per_minute: u32, headers: bool) -> Rate {
        Rate { per_minute, headers, windows: HashMap::new() }
    }

    /// Counts one request: `Ok((remaining, reset_seconds))` or `Err(retry_after_seconds)`.
    fn take(&mut self, key: &str) -> Result<(u32, u64), u64> {
        let now = Instant::now();
        let window = self.windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(window.0) >= Duration::from_secs(60) {
            *window = (now, 0);
        }
        let reset =
            (Duration::from_secs(60).saturating_sub(now.duration_since(window.0)).as_secs_f64().ceil() as u64).max(1);
        if window.1 >= self.per_minute {
            return Err(reset);
        }
        window.1 += 1;
        Ok((self.per_minute - window.1, reset))
    }
}

pub struct Shared {
    pub model: Mutex<Model>,
    pub spec: Arc<Spec>,
    pub token: String,
    pub page_limit_max: u32,
    pub rate: Mutex<Rate>,
    pub requests: Mutex<Vec<Recorded>>,
    pub violations: Mutex<Vec<String>>,
    /// `(method, path prefix)` of answers still to drop, first first.
    pub drops: Mutex<Vec<(String, String)>>,
    /// How many requests the fake has served, signalled after each (its model changed first).
    pub served: (Mutex<u64>, std::sync::Condvar),
}

impl Shared {
    pub fn violation(&self, text: String) {
        self.violations.lock().unwrap().push(text);
    }
}

type Answer = Result<(u16, Value), ApiError>;
/// `since` (inclusive) and `until` (exclusive), either open.
type Span = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

pub async fn dispatch(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or_default().to_string();
    let text = String::from_utf8_lossy(&body).into_owned();
    shared.requests.lock().unwrap().push(Recorded {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: text.clone(),
        at: Utc::now(),
    });
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let template = match (method.as_str(), segments.as_slice()) {
        ("GET", ["users"]) => "/users",
        ("GET", ["incidents"]) => "/incidents",
        ("GET" | "PUT", ["incidents", _]) => "/incidents/{id}",
        ("GET" | "POST", ["incidents", _, "notes"]) => "/incidents/{id}/notes",
        ("GET", ["incidents", _, "log_entries"]) => "/incidents/{id}/log_entries",
        ("GET", ["log_entries"]) => "/log_entries",
        ("GET", ["services"]) => "/services",
        ("GET", ["escalation_policies"]) => "/escalation_policies",
        ("GET", ["priorities"]) => "/priorities",
        _ => {
            shared.violation(format!("the fake does not serve {method} {path}"));
            let error = ApiError::new(404, 2100, "Not Found", format!("the fake does not serve {method} {path}"));
            return json_response(error.status, Some(error.body()), &[]);
        }
    };

    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if authorization != format!("Token token={}", shared.token) {
        let error = ApiError::new(401, 2006, "Unauthorized", "the API key is not valid for this account");
        shared.check(&method, template, error.status, Some(&error.body()));
        return json_response(error.status, Some(error.body()), &[]);
    }
    let (limited, per_minute, with_headers) = {
        let mut rate = shared.rate.lock().unwrap();
        (rate.take(authorization), rate.per_minute, rate.headers)
    };
    let mut extra = match limited {
        Err(retry) => {
            // Without headers: no `ratelimit-*`, no `Retry-After`. The body stays: PagerDuty may
            // send none, but Prism refuses a 429 without the JSON body the spec declares.
            let body = json!({"error": {"message": "Rate Limit Exceeded", "code": 2020}});
            shared.check(&method, template, 429, Some(&body));
            let headers = if with_headers { rate_headers(per_minute, 0, retry, Some(retry)) } else { Vec::new() };
            return json_response(429, Some(body), &headers);
        }
        Ok((remaining, reset)) if with_headers => rate_headers(per_minute, remaining, reset, None),
        Ok(_) => Vec::new(),
    };
    let (status, body) = match shared.serve(&method, template, &segments, &query, &headers, &text) {
        Ok(answer) => answer,
        Err(e) => (e.status, e.body()),
    };
    *shared.served.0.lock().unwrap() += 1;
    shared.served.1.notify_all();
    shared.check(&method, template, status, Some(&body));
    if shared.take_drop(method.as_str(), &path) {
        extra.push((DROP_HEADER, "1".into()));
    }
    json_response(status, Some(body), &extra)
}

fn rate_headers(limit: u32, remaining: u32, reset: u64, retry_after: Option<u64>) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("ratelimit-limit", limit.to_string()),
        ("ratelimit-remaining", remaining.to_string()),
        ("ratelimit-reset", reset.to_string()),
    ];
    if let Some(retry) = retry_after {
        headers.push(("retry-after", retry.to_string()));
    }
    headers
}

fn json_response(status: u16, body: Option<Value>, extra: &[(&'static str, String)]) -> Response {
    let status = StatusCode::from_u16(status).expect("a valid status");
    let mut response = match body {
        Some(body) => (status, [("content-type", "application/json")], body.to_string()).into_response(),
        None => status.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(FAKE_HEADER, HeaderValue::from_static("1"));
    for (name, value) in extra {
        headers.insert(*name, HeaderValue::from_str(value).expect("a header value"));
    }
    response
}

/// The query as pairs, decoded.
fn pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://q/?{query}")).expect("a query").query_pairs().into_owned().collect()
}

fn all<'a>(q: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    q.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
}

fn one<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn time(q: &[(String, String)], key: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    one(q, key)
        .map(|v| {
            DateTime::parse_from_rfc3339(v).map(|t| t.with_timezone(&Utc)).map_err(|_| {
                ApiError::new(400, 2004, "Invalid Input Provided", format!("{key} is not an ISO 8601 date-time: {v}"))
            })
        })
        .transpose()
}

/// `since`/`until` (since inclusive, until exclusive); with neither, the last month when
/// `default_month`, as PagerDuty does for incident and log entry lists.
fn range(q: &[(String, String)], default_month: bool) -> Result<Span, ApiError> {
    if one(q, "date_range") == Some("all") {
        return Ok((None, None));
    }
    let (since, until) = (time(q, "since")?, time(q, "until")?);
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(ApiError::new(400, 2004, "Invalid Input Provided", "since is after until"));
    }
    if since.is_none() && until.is_none() && default_month {
        return Ok((now().checked_sub_months(Months::new(1)), None));
    }
    Ok((since, until))
}

fn within(at: DateTime<Utc>, (since, until): Span) -> bool {
    since.is_none_or(|s| at >= s) && until.is_none_or(|u| at < u)
}

impl Shared {
    fn check(&self, method: &Method, template: &str, status: u16, body: Option<&Value>) {
        for failure in self.spec.check_response(method.as_str(), template, status, body) {
            self.violation(format!("answer of the fake: {failure}"));
        }
    }

    fn take_drop(&self, method: &str, path: &str) -> bool {
        let mut drops = self.drops.lock().unwrap();
        match drops.iter().position(|(m, prefix)| m.eq_ignore_ascii_case(method) && path.starts_with(prefix.as_str())) {
            Some(i) => {
                drops.remove(i);
                true
            }
            None => false,
        }
    }

    /// Classic pagination of `items` under `key`.
    fn page(&self, q: &[(String, String)], key: &str, items: Vec<Value>) -> Answer {
        let number = |name: &str, default: u64| -> Result<u64, ApiError> {
            one(q, name).map_or(Ok(default), |v| {
                v.parse().map_err(|_| ApiError::invalid(format!("{name} is not a number: {v}")))
            })
        };
        let limit = number("limit", 25)?.clamp(1, u64::from(self.page_limit_max));
        let offset = number("offset", 0)?;
        if offset + limit > OFFSET_CAP {
            return Err(ApiError::new(
                400,
                2002,
                "Arguments Caused Error",
                format!("offset + limit must be at most {OFFSET_CAP}; narrow the search (since/until)"),
            ));
        }
        let count = items.len() as u64;
        let total = if one(q, "total") == Some("true") { json!(count) } else { Value::Null };
        let shown: Vec<Value> = items.into_iter().skip(offset as usize).take(limit as usize).collect();
        Ok((200, json!({key: shown, "limit": limit, "offset": offset, "more": offset + limit < count, "total": total})))
    }

    fn serve(
        &self,
        method: &Method,
        template: &str,
        segments: &[&str],
        query: &str,
        headers: &HeaderMap,
        body: &str,
    ) -> Answer {
        let q = pairs(query);
        let mut model = self.model.lock().unwrap();
        let writer = if matches!(*method, Method::PUT | Method::POST) {
            let from = headers.get("from").and_then(|v| v.to_str().ok()).unwrap_or_default();
            match model.user_by_email(from) {
                Some(user) => Some(user.id.clone()),
                None if from.is_empty() => {
                    return Err(ApiError::invalid("the From header is required on this request"));
                }
                None => {
                    return Err(ApiError::invalid(format!("From: {from} is not the email of a user of the account")));
                }
            }
        } else {
            None
        };
        let text = |v: &str| v.to_lowercase();
        match (method.as_str(), template) {
            ("GET", "/users") => {
                let needle = one(&q, "query").map(text).unwrap_or_default();
                let users =
                    model.users.iter().filter(|u| text(&u.name).contains(&needle) || text(&u.email).contains(&needle));
                let items = users.map(|u| model.render_user(u)).collect();
                self.page(&q, "users", items)
            }
            ("GET", "/services") => {
                let needle = one(&q, "query").map(text).unwrap_or_default();
                let items = model
                    .services
                    .iter()
                    .filter(|s| text(&s.name).contains(&needle))
                    .map(|s| model.render_service(s))
                    .collect();
                self.page(&q, "services", items)
            }
            ("GET", "/escalation_policies") => {
                let needle = one(&q, "query").map(text).unwrap_or_default();
                let items = model
                    .policies
                    .iter()
                    .filter(|p| text(&p.name).contains(&needle))
                    .map(|p| model.render_policy(p))
                    .collect();
                self.page(&q, "escalation_policies", items)
            }
            ("GET", "/priorities") => {
                let items = model.priorities.iter().map(|p| model.render_priority(p)).collect();
                self.page(&q, "priorities", items)
            }
            ("GET", "/incidents") => self.list_incidents(&model, &q),
            ("GET", "/incidents/{id}") => {
                let inc = model.incident(segments[1]).ok_or_else(|| not_found(segments[1]))?;
                Ok((200, json!({"incident": model.render_incident(inc)})))
            }
            ("PUT", "/incidents/{id}") => {
                let user = writer.expect("writes have a From user");
                update_incident(&mut model, segments[1], &user, body)?;
                let inc = model.incident(segments[1]).expect("just updated");
                Ok((200, json!({"incident": model.render_incident(inc)})))
            }
            ("GET", "/incidents/{id}/notes") => {
                let inc = model.incident(segments[1]).ok_or_else(|| not_found(segments[1]))?;
                Ok((200, json!({"notes": inc.notes.iter().map(|n| model.render_note(n)).collect::<Vec<_>>()})))
            }
            ("POST", "/incidents/{id}/notes") => {
                let user = writer.expect("writes have a From user");
                let request: Value =
                    serde_json::from_str(body).map_err(|e| ApiError::invalid(format!("the body is not JSON: {e}")))?;
                let content = request.pointer("/note/content").and_then(Value::as_str).unwrap_or_default();
                if content.trim().is_empty() {
                    return Err(ApiError::invalid("note.content is required"));
                }
                model.change(segments[1], &user, Change::Note(content.to_string()), "api", now())?;
                let inc = model.incident(segments[1]).expect("just noted");
                Ok((200, json!({"note": model.render_note(inc.notes.last().expect("just added"))})))
            }
            ("GET", "/incidents/{id}/log_entries") => {
                model.incident(segments[1]).ok_or_else(|| not_found(segments[1]))?;
                self.list_log_entries(&model, &q, Some(segments[1]))
            }
            ("GET", "/log_entries") => self.list_log_entries(&model, &q, None),
            _ => unreachable!("routed above: {method} {template}"),
        }
    }

    fn list_incidents(&self, model: &Model, q: &[(String, String)]) -> Answer {
        let statuses = all(q, "statuses[]");
        let services = all(q, "service_ids[]");
        let urgencies = all(q, "urgencies[]");
        let users = all(q, "user_ids[]");
        let span = range(q, true)?;
        let mut found: Vec<_> = model
            .incidents
            .iter()
            .filter(|i| statuses.is_empty() || statuses.contains(&i.status.as_str()))
            .filter(|i| services.is_empty() || services.contains(&i.service_id.as_str()))
            .filter(|i| urgencies.is_empty() || urgencies.contains(&i.urgency.as_str()))
            .filter(|i| users.is_empty() || i.assignments.iter().any(|(u, _)| users.contains(&u.as_str())))
            .filter(|i| within(i.created_at, span))
            .collect();
        let sort = one(q, "sort_by").unwrap_or("created_at:asc");
        let mut keys = Vec::new();
        for part in sort.split(',') {
            let (field, direction) = part.split_once(':').unwrap_or((part, "asc"));
            if !matches!(field, "incident_number" | "created_at" | "resolved_at" | "urgency")
                || !matches!(direction, "asc" | "desc")
            {
                return Err(ApiError::invalid(format!(
                    "sort_by {part} is not incident_number, created_at, resolved_at or urgency with :asc or :desc"
                )));
            }
            keys.push((field, direction == "desc"));
        }
        found.sort_by(|a, b| {
            let mut order = std::cmp::Ordering::Equal;
            for (field, desc) in &keys {
                let o = match *field {
                    "incident_number" => a.number.cmp(&b.number),
                    "created_at" => a.created_at.cmp(&b.created_at),
                    "resolved_at" => a.resolved_at.cmp(&b.resolved_at),
                    _ => a.urgency.cmp(&b.urgency),
                };
                order = order.then(if *desc { o.reverse() } else { o });
            }
            order.then(a.number.cmp(&b.number))
        });
        let items = found.into_iter().map(|i| model.render_incident(i)).collect();
        self.page(q, "incidents", items)
    }

    /// Newest first, as PagerDuty lists them; `is_overview=true` leaves out notifications.
    fn list_log_entries(&self, model: &Model, q: &[(String, String)], incident: Option<&str>) -> Answer {
        let span = range(q, incident.is_none())?;
        let overview = one(q, "is_overview") == Some("true");
        let embed = all(q, "include[]").contains(&"incidents");
        let items = model
            .log
            .iter()
            .rev()
            .filter(|e| incident.is_none_or(|id| e.incident_id == id))
            .filter(|e| within(e.at, span))
            .filter(|e| !(overview && e.kind == "notify_log_entry"))
            .map(|e| model.render_log_entry(e, embed))
            .collect();
        self.page(q, "log_entries", items)
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(404, 2100, "Not Found", format!("incident {id} does not exist"))
}

/// `PUT /incidents/{id}`: assignments, then the escalation level, then the status, as one change
/// each (with their log entries); other writable fields the fake does not model are refused.
fn update_incident(model: &mut Model, id: &str, user: &str, body: &str) -> Result<(), ApiError> {
    model.incident(id).ok_or_else(|| not_found(id))?;
    let request: Value =
        serde_json::from_str(body).map_err(|e| ApiError::invalid(format!("the body is not JSON: {e}")))?;
    let Some(fields) = request.get("incident").and_then(Value::as_object) else {
        return Err(ApiError::invalid("the body has no incident object"));
    };
    if !matches!(fields.get("type").and_then(Value::as_str), Some("incident" | "incident_reference")) {
        return Err(ApiError::invalid("incident.type must be incident or incident_reference"));
    }
    for name in fields.keys() {
        if !matches!(
            name.as_str(),
            "type"
                | "id"
                | "status"
                | "escalation_level"
                | "assignments"
                | "resolution"
                | "urgency"
                | "title"
                | "priority"
        ) {
            return Err(ApiError::invalid(format!("the fake does not model changing incident.{name}")));
        }
    }
    let at = now();
    if let Some(assignments) = fields.get("assignments") {
        let users = assignments
            .as_array()
            .and_then(|list| {
                list.iter()
                    .map(|a| a.pointer("/assignee/id").and_then(Value::as_str).map(str::to_string))
                    .collect::<Option<Vec<_>>>()
            })
            .filter(|users| !users.is_empty())
            .ok_or_else(|| ApiError::invalid("incident.assignments must list assignees with ids"))?;
        model.change(id, user, Change::Assign(users), "api", at)?;
    }
    if let Some(level) = fields.get("escalation_level") {
        let level = level.as_u64().ok_or_else(|| ApiError::invalid("incident.escalation_level must be an integer"))?;
        model.change(id, user, Change::Level(level as usize), "api", at)?;
    }
    if let Some(status) = fields.get("status") {
        let status = status.as_str().ok_or_else(|| ApiError::invalid("incident.status must be a string"))?;
        model.change(id, user, Change::Status(status.to_string()), "api", at)?;
    }
    let Some(&i) = model.incidents.iter().position(|i| i.id == id).as_ref() else { return Ok(()) };
    if let Some(urgency) = fields.get("urgency").and_then(Value::as_str) {
        model.incidents[i].urgency = urgency.to_string();
    }
    if let Some(title) = fields.get("title").and_then(Value::as_str) {
        model.incidents[i].title = title.to_string();
    }
    if let Some(priority) = fields.get("priority") {
        let wanted = priority.get("id").and_then(Value::as_str).or(priority.as_str()).unwrap_or_default().to_string();
        let found = model
            .priority(&wanted)
            .map(|p| p.id.clone())
            .ok_or_else(|| ApiError::invalid(format!("no priority {wanted}")))?;
        model.incidents[i].priority_id = Some(found);
    }
    model.incidents[i].updated_at = at;
    Ok(())
}
