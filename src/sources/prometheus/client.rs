//! The Prometheus HTTP API as the source uses it: `/api/v1/query_range`, `/api/v1/query` and
//! `/-/ready`, over the shared client ([`crate::sources::http::client`]), with the bearer token
//! when one is configured.
//!
//! The answer's envelope (`status`, `data.resultType`, `errorType`, `error`, `warnings`) is decoded
//! here. Sample values are strings on the wire; `NaN` and `±Inf` (a division by zero in a rate, an
//! empty `histogram_quantile`) are missing values, never numbers. A step with no sample is simply
//! absent from the series, which is missing too. A range longer than the server's 11,000 points
//! per series is asked in pieces ([`pieces`]) and the series joined again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;

use crate::config::Secret;
use crate::sources::http;

/// Prometheus refuses a range query of more points per series than this.
pub const MAX_POINTS: i64 = 11_000;

/// A series's labels.
pub type Labels = BTreeMap<String, String>;

/// One series of an answer: its labels and its samples, `(unix seconds, value)`, `None` where
/// the value is NaN or infinite.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub samples: Vec<(i64, Option<f64>)>,
}

/// What a query answered: its series and the server's warnings (partial data), shown, not fatal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub series: Vec<Series>,
    pub warnings: Vec<String>,
}

/// Why a query failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Prometheus answered with an error envelope: `bad_data` (the query is wrong: asking again
    /// will not help), `execution`, `timeout`, `canceled`, `internal`, `unavailable`, …
    #[error("{error_type}: {message}")]
    Api { error_type: String, message: String },
    /// No answer that could be read: cannot connect, timed out, a proxy's HTML page.
    #[error("{0}")]
    Transport(String),
}

impl QueryError {
    /// A query that will fail the same way next time (`bad_data`): its windows are not asked again.
    pub fn is_permanent(&self) -> bool {
        matches!(self, QueryError::Api { error_type, .. } if error_type == "bad_data")
    }
}

/// A client of one Prometheus server; counts the requests it sends.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<Secret>,
    requests: Arc<AtomicU64>,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct WireSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
    #[serde(default)]
    value: Option<(f64, String)>,
}

impl Client {
    pub fn new(url: &str, token: Option<Secret>) -> Result<Self, String> {
        Ok(Client {
            http: http::client()?,
            base: url.trim_end_matches('/').to_string(),
            token,
            requests: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Requests sent so far (every piece of a split range counts).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `GET /-/ready`.
    pub async fn ready(&self) -> Result<(), String> {
        let url = format!("{}/-/ready", self.base);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let answer = self.authorised(self.http.get(&url)).send().await.map_err(|e| http::describe("ready", e))?;
        match answer.status() {
            s if s.is_success() => Ok(()),
            s => Err(format!("Prometheus is not ready (HTTP {s})")),
        }
    }

    /// `query` evaluated at `start`, `start + step`, … up to `end` (unix seconds), in as many
    /// requests as the point limit needs, the series joined by their labels.
    pub async fn query_range(&self, query: &str, start: i64, end: i64, step: i64) -> Result<Answer, QueryError> {
        let mut joined: BTreeMap<Labels, Vec<(i64, Option<f64>)>> = BTreeMap::new();
        let mut warnings = Vec::new();
        for (from, to) in pieces(start, end, step, MAX_POINTS) {
            let form = [
                ("query", query.to_string()),
                ("start", from.to_string()),
                ("end", to.to_string()),
                ("step", step.to_string()),
            ];
            let answer = self.post("/api/v1/query_range", &form).await?;
            warnings.extend(answer.warnings);
            for series in answer.series {
                joined.entry(series.labels).or_default().extend(series.samples);
            }
        }
        let series = joined.into_iter().map(|(labels, samples)| Series { labels, samples }).collect();
        Ok(Answer { series, warnings })
    }

    /// `query` evaluated at `at` (unix seconds): each series has one sample.
    pub async fn query(&self, query: &str, at: i64) -> Result<Answer, QueryError> {
        self.post("/api/v1/query", &[("query", query.to_string()), ("time", at.to_string())]).await
    }

    async fn post(&self, path: &str, form: &[(&str, String)]) -> Result<Answer, QueryError> {
        let url = format!("{}{path}", self.base);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .authorised(self.http.post(&url))
            .form(form)
            .send()
            .await
            .map_err(|e| QueryError::Transport(http::describe(path, e)))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| QueryError::Transport(http::describe(path, e)))?;
        decode(status.as_u16(), &body)
    }

    fn authorised(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(token) => request.bearer_auth(token.expose()),
            None => request,
        }
    }
}

/// Reads an answer: the envelope on any status (Prometheus sends its errors as JSON with 4xx/5xx),
/// else one line naming the status (a proxy's page, an empty body).
pub fn decode(status: u16, body: &[u8]) -> Result<Answer, QueryError> {
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(envelope) => envelope,
        Err(_) => {
            return Err(QueryError::Transport(format!("HTTP {status} with an answer that is not Prometheus's JSON")));
        }
    };
    let clean = |s: &str| crate::domain::text::sanitize(s).into_owned();
    if envelope.status != "success" {
        return Err(QueryError::Api {
            error_type: clean(envelope.error_type.as_deref().unwrap_or("unknown")),
            message: clean(envelope.error.as_deref().unwrap_or("no message")),
        });
    }
    let warnings = envelope.warnings.iter().map(|w| clean(w)).collect();
    let Some(data) = envelope.data else {
        return Err(QueryError::Transport(format!("HTTP {status}: a success without data")));
    };
    let bad = |what: String| QueryError::Transport(format!("HTTP {status}: {what}"));
    let series = match data.result_type.as_str() {
        "matrix" | "vector" => {
            let wire: Vec<WireSeries> =
                serde_json::from_value(data.result).map_err(|e| bad(format!("an unreadable result: {e}")))?;
            wire.into_iter()
                .map(|s| Series {
                    labels: s.metric,
                    samples: s.values.into_iter().chain(s.value).map(|(t, v)| (t.round() as i64, number(&v))).collect(),
                })
                .collect()
        }
        "scalar" => {
            let (t, v): (f64, String) =
                serde_json::from_value(data.result).map_err(|e| bad(format!("an unreadable scalar: {e}")))?;
            vec![Series { labels: BTreeMap::new(), samples: vec![(t.round() as i64, number(&v))] }]
        }
        other => return Err(bad(format!("a result of type `{}`, not a number series", clean(other)))),
    };
    Ok(Answer { series, warnings })
}

/// A sample value; NaN, ±Inf and anything unreadable are missing.
fn number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `start..=end` on the grid of `step` cut in ranges of at most `max_points` steps each (the last
/// point of one range is followed by the first of the next, one step on), so that no request
/// passes Prometheus's limit on points per series.
pub fn pieces(start: i64, end: i64, step: i64, max_points: i64) -> Vec<(i64, i64)> {
    let step = step.max(1);
    let mut out = Vec::new();
    let mut from = start;
    while from <= end {
        let to = (from + step * (max_points - 1).max(0)).min(end);
        let to = from + (to - from) / step * step;
        out.push((from, to));
        from = to + step;
    }
    out
}

#[cfg(test)]
mod tests;
