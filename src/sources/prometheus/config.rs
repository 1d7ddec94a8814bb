//! The `[[sources]]` table of `kind = "prometheus"`: what the server config says ([`Config`]) and
//! what the source runs on once it is checked ([`Settings`]).
//!
//! ```toml
//! [[sources]]
//! kind = "prometheus"
//! name = "prod-prometheus"
//! url = "http://127.0.0.1:9090"
//! token_env = "PROMETHEUS_TOKEN"   # or token_file; sent as a bearer token
//! poll = "60s"                     # a duration ("90s", "5m") or whole seconds (60)
//! window = "1h"                    # the length of a quality point and a drift window
//! history = "72h"                  # how far back the first fill goes
//!
//! [[sources.models]]
//! id = "support-assistant"
//! name = "Support assistant"       # defaults to the id
//! service = "llm-gateway"
//! [sources.models.quality]         # every key optional; a missing key is a missing series
//! latency_p95_ms = 'histogram_quantile(0.95, sum by (le) (rate(llm_latency_ms_bucket{model="support"}[1h])))'
//! error_rate = '...'
//! [[sources.models.features]]
//! name = "prompt_tokens"
//! histogram = 'llm_prompt_tokens_bucket{model="support"}'
//! reference_start = "2026-11-01T00:00:00Z"   # the fixed range the model was validated on
//! reference_end = "2026-11-08T00:00:00Z"
//! ```

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::config::Secret;
use crate::domain::QualityMetric;

/// Every key of a Prometheus source's table except `kind` and `name`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub url: String,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    #[serde(default)]
    pub token_env: Option<String>,
    /// Between two polls; default 60 s.
    #[serde(default, deserialize_with = "crate::sources::config::duration")]
    pub poll: Option<Duration>,
    /// One window; default 1 h.
    #[serde(default, deserialize_with = "crate::sources::config::duration")]
    pub window: Option<Duration>,
    /// How far back the first fill goes; default 72 h.
    #[serde(default, deserialize_with = "crate::sources::config::duration")]
    pub history: Option<Duration>,
    #[serde(default)]
    pub models: Vec<ModelConfig>,
}

/// One `[[sources.models]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub service: String,
    #[serde(default)]
    pub quality: QualityQueries,
    #[serde(default)]
    pub features: Vec<FeatureConfig>,
}

/// The PromQL of each quality series, keyed as the quality point's fields are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityQueries {
    pub requests: Option<String>,
    pub hallucination_rate: Option<String>,
    pub csat: Option<String>,
    pub escalation_rate: Option<String>,
    pub intent_misclassification_rate: Option<String>,
    pub latency_p50_ms: Option<String>,
    pub latency_p95_ms: Option<String>,
    pub error_rate: Option<String>,
    pub timeouts: Option<String>,
    pub tokens_per_request: Option<String>,
    pub cost_per_1k_tokens: Option<String>,
}

/// One `[[sources.models.features]]`: a feature exported as a Prometheus histogram.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureConfig {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The `_bucket` series selector, e.g. `llm_prompt_tokens_bucket{model="support"}`.
    pub histogram: String,
    pub reference_start: DateTime<Utc>,
    pub reference_end: DateTime<Utc>,
}

/// What a quality query fills in a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Requests,
    Metric(QualityMetric),
}

impl Target {
    pub fn key(self) -> &'static str {
        match self {
            Target::Requests => "requests",
            Target::Metric(m) => m.key(),
        }
    }
}

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: String,
    pub token: Option<Secret>,
    pub poll: Duration,
    pub window_secs: i64,
    pub history_secs: i64,
    pub models: Vec<ModelSettings>,
}

#[derive(Debug, Clone)]
pub struct ModelSettings {
    pub id: String,
    pub name: String,
    pub service: String,
    pub queries: Vec<(Target, String)>,
    pub features: Vec<FeatureConfig>,
}

pub const DEFAULT_POLL: Duration = Duration::from_secs(60);
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(3600);
pub const DEFAULT_HISTORY: Duration = Duration::from_secs(72 * 3600);

impl Config {
    /// Checks every key; the error names the source and the key.
    pub fn check(self, source: &str) -> Result<Settings, String> {
        let what = format!("source {source}");
        let url = self.url.trim().to_string();
        if !(url.starts_with("http://") || url.starts_with("https://")) || reqwest::Url::parse(&url).is_err() {
            return Err(format!("{what}: url `{}` is not an http:// or https:// URL", clean(&url)));
        }
        let token = crate::sources::http::read_secret(self.token_file.as_deref(), self.token_env.as_deref(), &what)?;
        let poll = self.poll.unwrap_or(DEFAULT_POLL);
        if poll < Duration::from_secs(1) {
            return Err(format!("{what}: poll must be at least 1s"));
        }
        let window = self.window.unwrap_or(DEFAULT_WINDOW);
        if window < Duration::from_secs(60) || window.subsec_nanos() != 0 {
            return Err(format!("{what}: window must be whole seconds, at least 1m"));
        }
        let history = self.history.unwrap_or(DEFAULT_HISTORY);
        if history < window {
            return Err(format!("{what}: history must be at least one window"));
        }
        let mut models: Vec<ModelSettings> = Vec::new();
        for (i, model) in self.models.into_iter().enumerate() {
            let at = format!("{what}: models[{i}]");
            let id = model.id.trim().to_string();
            if id.is_empty() || id.len() > 128 || id.chars().any(|c| c.is_control() || c == '/') {
                return Err(format!("{at}: id must be 1–128 characters without `/` or control characters"));
            }
            if models.iter().any(|m| m.id == id) {
                return Err(format!("{at}: id `{id}` is given twice"));
            }
            if model.service.trim().is_empty() {
                return Err(format!("{at} ({id}): service is empty"));
            }
            let queries = model.quality.into_targets();
            if let Some((target, _)) = queries.iter().find(|(_, q)| q.trim().is_empty()) {
                return Err(format!("{at} ({id}): quality.{} is empty", target.key()));
            }
            for (j, feature) in model.features.iter().enumerate() {
                let at = format!("{at} ({id}): features[{j}]");
                if feature.name.trim().is_empty() || feature.name.contains('/') {
                    return Err(format!("{at}: name must not be empty or hold `/`"));
                }
                if model.features[..j].iter().any(|f| f.name == feature.name) {
                    return Err(format!("{at}: name `{}` is given twice", clean(&feature.name)));
                }
                if feature.histogram.trim().is_empty() {
                    return Err(format!("{at}: histogram is empty"));
                }
                if feature.reference_end <= feature.reference_start {
                    return Err(format!("{at}: reference_end must be after reference_start"));
                }
            }
            models.push(ModelSettings {
                name: model.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| id.clone()),
                id,
                service: model.service.trim().to_string(),
                queries,
                features: model.features,
            });
        }
        Ok(Settings {
            url,
            token,
            poll,
            window_secs: window.as_secs() as i64,
            history_secs: history.as_secs() as i64,
            models,
        })
    }
}

impl QualityQueries {
    fn into_targets(self) -> Vec<(Target, String)> {
        use QualityMetric as M;
        [
            (Target::Requests, self.requests),
            (Target::Metric(M::HallucinationRate), self.hallucination_rate),
            (Target::Metric(M::Csat), self.csat),
            (Target::Metric(M::EscalationRate), self.escalation_rate),
            (Target::Metric(M::IntentMisclassification), self.intent_misclassification_rate),
            (Target::Metric(M::LatencyP50), self.latency_p50_ms),
            (Target::Metric(M::LatencyP95), self.latency_p95_ms),
            (Target::Metric(M::ErrorRate), self.error_rate),
            (Target::Metric(M::Timeouts), self.timeouts),
            (Target::Metric(M::TokensPerRequest), self.tokens_per_request),
            (Target::Metric(M::CostPer1k), self.cost_per_1k_tokens),
        ]
        .into_iter()
        .filter_map(|(target, query)| Some((target, query?)))
        .collect()
    }
}

fn clean(text: &str) -> String {
    crate::domain::text::sanitize(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Settings, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check("prom")
    }

    #[test]
    fn defaults_and_a_full_model_read() {
        let settings = read(
            r#"
            url = "http://127.0.0.1:9090/"
            poll = 30
            [[models]]
            id = "support-assistant"
            service = "llm-gateway"
            [models.quality]
            latency_p95_ms = "x"
            requests = "y"
            [[models.features]]
            name = "prompt_tokens"
            histogram = "t_bucket"
            reference_start = "2026-11-01T00:00:00Z"
            reference_end = "2026-11-08T00:00:00Z"
            "#,
        )
        .unwrap();
        assert_eq!(settings.poll, Duration::from_secs(30));
        assert_eq!((settings.window_secs, settings.history_secs), (3600, 72 * 3600));
        let model = &settings.models[0];
        assert_eq!(model.name, "support-assistant");
        let keys: Vec<&str> = model.queries.iter().map(|(t, _)| t.key()).collect();
        assert_eq!(keys, ["requests", "latency_p95_ms"]);
    }

    #[test]
    fn bad_keys_are_named() {
        let unknown =
            read("url = \"http://a\"\n[[models]]\nid = \"m\"\nservice = \"s\"\n[models.quality]\np95 = \"x\"")
                .unwrap_err();
        assert!(unknown.contains("p95"), "{unknown}");
        assert!(read("url = \"ftp://a\"").unwrap_err().contains("url"));
        assert!(read("url = \"http://a\"\nwindow = \"10s\"").unwrap_err().contains("window"));
        assert!(read("url = \"http://a\"\npoll = \"soon\"").unwrap_err().contains("soon"));
        let twice = read(
            "url = \"http://a\"\n[[models]]\nid = \"m\"\nservice = \"s\"\n[[models]]\nid = \"m\"\nservice = \"s\"",
        );
        assert!(twice.unwrap_err().contains("models[1]: id `m` is given twice"));
        let backwards = read(
            "url = \"http://a\"\n[[models]]\nid = \"m\"\nservice = \"s\"\n[[models.features]]\nname = \"f\"\nhistogram = \"h\"\nreference_start = \"2026-11-08T00:00:00Z\"\nreference_end = \"2026-11-01T00:00:00Z\"",
        );
        assert!(backwards.unwrap_err().contains("features[0]: reference_end"));
    }
}
