//! Alertmanager's API v2 as opsdeck uses it: the calls (`GET /api/v2/alerts`, `GET` and `POST
//! /api/v2/silences`, `DELETE /api/v2/silence/{id}`, `GET /-/ready`) on the shared source client,
//! and the wire types, decoded leniently.
//!
//! Decoding tolerates Alertmanager 0.25 (Debian 12): fields added later (`mutedBy`, silence
//! `annotations`) are optional and unknown fields are ignored. An alert that does not decode is
//! skipped and named in [`Alerts::skipped`], never the whole poll. Errors come back as JSON
//! objects (`{"code":602,"message":…}`), bare JSON strings or empty bodies; [`error_message`]
//! turns each into one line. Nothing here sanitises: the mapping does, before anything is stored.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::sources::http;

/// Longest part of an error body kept in a message.
const ERROR_CHARS: usize = 200;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// Alertmanager cannot be reached, timed out or failed on its side (5xx): retry later.
    Unavailable(String),
    /// Alertmanager refused the request (4xx): retrying the same will not help.
    Refused(String),
}

impl CallError {
    pub fn message(&self) -> &str {
        match self {
            CallError::Unavailable(m) | CallError::Refused(m) => m,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertStatus {
    /// `unprocessed`, `active` or `suppressed`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub silenced_by: Vec<String>,
    #[serde(default)]
    pub inhibited_by: Vec<String>,
    /// Alertmanager 0.28 and later.
    #[serde(default)]
    pub muted_by: Vec<String>,
}

/// One alert of `GET /api/v2/alerts` (a gettableAlert).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub fingerprint: String,
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    /// For a firing alert a future "resolve timeout", not an end.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub status: AlertStatus,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: Option<String>,
}

/// The alerts of one answer, and the ones that did not decode (one line each).
#[derive(Debug, Clone, Default)]
pub struct Alerts {
    pub alerts: Vec<Alert>,
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    /// Alertmanager 0.22 and later; absent means equal.
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl Matcher {
    pub fn equal(name: &str, value: &str) -> Matcher {
        Matcher { name: name.to_string(), value: value.to_string(), is_regex: false, is_equal: true }
    }

    pub fn regex(name: &str, value: &str) -> Matcher {
        Matcher { name: name.to_string(), value: value.to_string(), is_regex: true, is_equal: true }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SilenceStatus {
    /// `active`, `pending` or `expired`.
    #[serde(default)]
    pub state: String,
}

/// One silence of `GET /api/v2/silences` (a gettableSilence).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Silence {
    pub id: String,
    #[serde(default)]
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub status: SilenceStatus,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Silence {
    /// Active or pending: not expired.
    pub fn is_live(&self) -> bool {
        self.status.state != "expired"
    }
}

/// What `POST /api/v2/silences` takes; with `id` it updates that silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSilence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

/// One Alertmanager's API at `base` (`http://127.0.0.1:9093`), with an optional bearer token for a
/// proxy in front of it.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<Secret>,
}

impl Client {
    pub fn new(base: &str, token: Option<Secret>) -> Result<Client, String> {
        Ok(Client { http: http::client()?, base: base.trim_end_matches('/').to_string(), token })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => builder.bearer_auth(token.expose()),
            None => builder,
        }
    }

    /// Sends `builder` and returns the body of a 2xx answer; anything else as a [`CallError`].
    async fn send(&self, what: &str, builder: reqwest::RequestBuilder) -> Result<Vec<u8>, CallError> {
        let response = builder.send().await.map_err(|e| CallError::Unavailable(http::describe(what, e)))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| CallError::Unavailable(http::describe(what, e)))?;
        if status.is_success() {
            return Ok(body.to_vec());
        }
        let message = format!("{what}: {}", error_message(status.as_u16(), &body));
        if status.is_client_error() && status.as_u16() != 429 {
            Err(CallError::Refused(message))
        } else {
            Err(CallError::Unavailable(message))
        }
    }

    /// `GET /-/ready`.
    pub async fn ready(&self) -> Result<(), CallError> {
        self.send("Alertmanager ready", self.request(reqwest::Method::GET, "/-/ready")).await.map(|_| ())
    }

    /// `GET /api/v2/alerts`: every alert Alertmanager holds (active, silenced, inhibited).
    pub async fn alerts(&self) -> Result<Alerts, CallError> {
        let what = "GET /api/v2/alerts";
        let body = self.send(what, self.request(reqwest::Method::GET, "/api/v2/alerts")).await?;
        decode_alerts(&body).map_err(|e| CallError::Unavailable(format!("{what}: {e}")))
    }

    /// `GET /api/v2/silences`: every silence, expired ones included (0.25 ignores the filters).
    pub async fn silences(&self) -> Result<Vec<Silence>, CallError> {
        let what = "GET /api/v2/silences";
        let body = self.send(what, self.request(reqwest::Method::GET, "/api/v2/silences")).await?;
        decode_silences(&body).map_err(|e| CallError::Unavailable(format!("{what}: {e}")))
    }

    /// `POST /api/v2/silences`: creates (or, with an id, updates) a silence; returns its id.
    pub async fn post_silence(&self, silence: &NewSilence) -> Result<String, CallError> {
        let what = "POST /api/v2/silences";
        let body = self.send(what, self.request(reqwest::Method::POST, "/api/v2/silences").json(silence)).await?;
        serde_json::from_slice::<Created>(&body)
            .map(|c| c.silence_id)
            .map_err(|e| CallError::Unavailable(format!("{what}: the answer is not a silence id ({e})")))
    }

    /// `DELETE /api/v2/silence/{id}`: expires a silence (expiring an expired one is fine).
    pub async fn expire_silence(&self, id: &str) -> Result<(), CallError> {
        let what = "DELETE /api/v2/silence";
        if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(CallError::Refused(format!("{what}: `{id}` is not a silence id")));
        }
        let path = format!("/api/v2/silence/{id}");
        self.send(what, self.request(reqwest::Method::DELETE, &path)).await.map(|_| ())
    }
}

/// The alerts of a `GET /api/v2/alerts` body; an alert that does not decode is skipped and named.
pub fn decode_alerts(body: &[u8]) -> Result<Alerts, String> {
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not a list of alerts ({e})"))?;
    let mut out = Alerts { alerts: Vec::with_capacity(items.len()), skipped: Vec::new() };
    for (index, item) in items.into_iter().enumerate() {
        let fingerprint = item.get("fingerprint").and_then(|f| f.as_str()).map(str::to_string);
        match serde_json::from_value::<Alert>(item) {
            Ok(alert) => out.alerts.push(alert),
            Err(e) => {
                let which = match fingerprint {
                    Some(f) => format!("alert {}", crate::domain::text::truncate(&f, 40)),
                    None => format!("alert #{}", index + 1),
                };
                let line = format!("{which} skipped: {e}");
                out.skipped.push(crate::domain::text::sanitize(&line).into_owned());
            }
        }
    }
    Ok(out)
}

/// The silences of a `GET /api/v2/silences` body; one that does not decode is left out.
pub fn decode_silences(body: &[u8]) -> Result<Vec<Silence>, String> {
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not a list of silences ({e})"))?;
    Ok(items.into_iter().filter_map(|item| serde_json::from_value(item).ok()).collect())
}

/// An error answer in one line: a JSON object's `message` (with its `code`), a bare JSON
/// string, plain text, or for an empty body the status itself; sanitised and cut short.
pub fn error_message(status: u16, body: &[u8]) -> String {
    let reason = reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    let head = format!("HTTP {status} {reason}").trim_end().to_string();
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return head;
    }
    let detail = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(map)) => {
            let message = map.get("message").or_else(|| map.get("error")).and_then(|m| m.as_str());
            match (message, map.get("code")) {
                (Some(m), Some(code)) => format!("{m} (code {code})"),
                (Some(m), None) => m.to_string(),
                (None, _) => serde_json::Value::Object(map).to_string(),
            }
        }
        _ => text.to_string(),
    };
    let detail = crate::domain::text::sanitize(&detail);
    format!("{head}: {}", crate::domain::text::truncate(detail.trim(), ERROR_CHARS))
}
