//! Alertmanager (API v2) as a source: its alerts become incidents, acknowledging one silences it
//! there, resolving expires that silence, and maintenance windows that suppress alerts become
//! silences; silences made by hand show as read-only windows of kind `silence`.
//!
//! The folder: this file is the configuration ([`Config`], [`source`]) and the [`Source`] impl
//! with its poll loop; `client.rs` the API calls and wire types; `map.rs` alerts → incidents;
//! `actions.rs` acknowledge and resolve carried to silences; `silences.rs` windows ↔ silences.
//!
//! `poll`, `ack_silence` and `silence_horizon` are durations (`sources::config::duration`): seconds (`5`) or
//! as a human duration (`"5s"`, `"12h"`, `"7d"`, the forms `domain::duration` reads).

mod actions;
pub mod client;
pub mod map;
pub mod silences;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::domain::{Incident, IncidentAction, Priority};
use crate::server::sources::{CarryError, Source, SourceContext, Support};
use crate::server::store::StoreError;
use client::Client;

/// The kind's name in `[[sources]]`.
pub const KIND: &str = "alertmanager";

/// One `[[sources]]` table of kind `alertmanager`, without `kind` and `name`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Alertmanager's base URL, e.g. `http://127.0.0.1:9093`.
    pub url: String,
    /// A bearer token for a proxy in front of Alertmanager, from a file or the environment.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    #[serde(default)]
    pub token_env: Option<String>,
    /// Between polls; default 5 s.
    #[serde(default, deserialize_with = "crate::sources::config::duration")]
    pub poll: Option<Duration>,
    /// The label naming the opsdeck service; default `service`.
    #[serde(default)]
    pub service_label: Option<String>,
    /// The service of an alert without that label; default `alertmanager`.
    #[serde(default)]
    pub default_service: Option<String>,
    /// The escalation policy of a service opsdeck does not know yet (added to its catalog);
    /// default the first policy of the catalog.
    #[serde(default)]
    pub default_policy: Option<String>,
    /// The label giving the priority; default `severity`.
    #[serde(default)]
    pub priority_label: Option<String>,
    /// Label value → `P1`…`P4`, over the defaults (critical P1, error and high P2, warning P3,
    /// info P4; anything else P3).
    #[serde(default)]
    pub priorities: BTreeMap<String, String>,
    /// How long an acknowledgement's silence lasts; default 24 h.
    #[serde(default, deserialize_with = "crate::sources::config::duration")]
    pub ack_silence: Option<Duration>,
    /// How far ahead maintenance windows are planned as silences; default 7 days.
    #[serde(default, deserialize_with = "crate::sources::config::duration")]
    pub silence_horizon: Option<Duration>,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub name: String,
    pub poll: Duration,
    pub service_label: String,
    pub default_service: String,
    pub default_policy: Option<String>,
    pub priority_label: String,
    pub priorities: BTreeMap<String, Priority>,
    pub ack_silence: chrono::Duration,
    pub silence_horizon: chrono::Duration,
}

impl Settings {
    /// The priority an alert's label value maps to.
    pub fn priority(&self, value: Option<&str>) -> Priority {
        value.and_then(|v| self.priorities.get(&v.to_ascii_lowercase())).copied().unwrap_or(Priority::P3)
    }
}

fn default_priorities() -> BTreeMap<String, Priority> {
    [
        ("critical", Priority::P1),
        ("page", Priority::P1),
        ("error", Priority::P2),
        ("high", Priority::P2),
        ("warning", Priority::P3),
        ("info", Priority::P4),
    ]
    .into_iter()
    .map(|(k, p)| (k.to_string(), p))
    .collect()
}

/// Checks `config` and reads its credential; the error names the key.
pub fn settings(name: &str, config: &Config) -> Result<(Settings, Option<crate::config::Secret>), String> {
    let what = format!("source {name}");
    let url = config.url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
        return Err(format!("{what}: url: `{url}` is not an http:// or https:// URL"));
    }
    let token = crate::sources::http::read_secret(config.token_file.as_deref(), config.token_env.as_deref(), &what)?;
    let poll = config.poll.unwrap_or(Duration::from_secs(5));
    if poll < Duration::from_millis(250) {
        return Err(format!("{what}: poll: at least 250ms"));
    }
    let ack = config.ack_silence.unwrap_or(Duration::from_secs(24 * 3600));
    let horizon = config.silence_horizon.unwrap_or(Duration::from_secs(7 * 86_400));
    if ack < Duration::from_secs(60) {
        return Err(format!("{what}: ack_silence: at least 1m"));
    }
    if horizon < Duration::from_secs(3600) || horizon > Duration::from_secs(366 * 86_400) {
        return Err(format!("{what}: silence_horizon: between 1h and 366d"));
    }
    let label = |value: &Option<String>, key: &str, default: &str| {
        let v = value.as_deref().unwrap_or(default).trim().to_string();
        let valid = !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid { Ok(v) } else { Err(format!("{what}: {key}: `{v}` is not a label name")) }
    };
    let mut priorities = default_priorities();
    for (value, priority) in &config.priorities {
        let p = match priority.trim().to_ascii_uppercase().as_str() {
            "P1" => Priority::P1,
            "P2" => Priority::P2,
            "P3" => Priority::P3,
            "P4" => Priority::P4,
            other => return Err(format!("{what}: priorities.{value}: `{other}` is not P1, P2, P3 or P4")),
        };
        priorities.insert(value.to_ascii_lowercase(), p);
    }
    let default_service = config.default_service.as_deref().unwrap_or(KIND).trim().to_string();
    if default_service.is_empty() {
        return Err(format!("{what}: default_service: must not be empty"));
    }
    let settings = Settings {
        name: name.to_string(),
        poll,
        service_label: label(&config.service_label, "service_label", "service")?,
        default_service,
        default_policy: config.default_policy.clone().filter(|p| !p.trim().is_empty()),
        priority_label: label(&config.priority_label, "priority_label", "severity")?,
        priorities,
        ack_silence: chrono::Duration::from_std(ack).map_err(|_| format!("{what}: ack_silence: too long"))?,
        silence_horizon: chrono::Duration::from_std(horizon)
            .map_err(|_| format!("{what}: silence_horizon: too long"))?,
    };
    Ok((settings, token))
}

/// The source `name` configured by `config`.
pub fn source(name: &str, config: Config) -> Result<Box<dyn Source>, String> {
    let (settings, token) = settings(name, &config)?;
    let client = Client::new(config.url.trim(), token)?;
    Ok(Box::new(Alertmanager { settings: Arc::new(settings), client }))
}

/// An Alertmanager feeding the store.
pub struct Alertmanager {
    settings: Arc<Settings>,
    client: Client,
}

#[async_trait]
impl Source for Alertmanager {
    fn name(&self) -> &str {
        &self.settings.name
    }

    fn kind(&self) -> &'static str {
        KIND
    }

    async fn start(&self, context: SourceContext) -> Result<JoinHandle<()>, StoreError> {
        let mut poller = map::Poller::new(self.settings.clone(), context.store.clone()).await?;
        let client = self.client.clone();
        let settings = self.settings.clone();
        let health = context.health.clone();
        Ok(tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let now = Utc::now();
                match poll_once(&client, &mut poller, now).await {
                    Ok(skipped) => {
                        failures = 0;
                        health.ok(now);
                        if !skipped.is_empty() {
                            tracing::warn!(source = %settings.name, skipped = ?skipped, "alerts skipped");
                        }
                        tokio::time::sleep(settings.poll).await;
                    }
                    Err(error) => {
                        poller.failed();
                        failures = failures.saturating_add(1);
                        let retry = crate::sources::http::retry_at(now, settings.poll, failures);
                        health.failed(now, &error, Some(retry));
                        tracing::warn!(source = %settings.name, %error, "Alertmanager poll failed");
                        tokio::time::sleep(crate::sources::http::backoff(settings.poll, failures)).await;
                    }
                }
            }
        }))
    }

    fn support(&self, action: &IncidentAction) -> Support {
        actions::support(action)
    }

    async fn carry(
        &self,
        incident: &Incident,
        action: &IncidentAction,
        actor: &str,
        key: &str,
    ) -> Result<(), CarryError> {
        actions::carry(&self.client, &self.settings, incident, action, actor, key, Utc::now()).await
    }
}

/// One poll: alerts and silences read, incidents and windows written where they changed.
/// Returns the alerts that were skipped (one line each); an error is one line.
pub async fn poll_once(
    client: &Client,
    poller: &mut map::Poller,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<String>, String> {
    let alerts = client.alerts().await.map_err(|e| e.to_string())?;
    let silences = client.silences().await.map_err(|e| e.to_string())?;
    poller.observe(&alerts.alerts, &silences, now).await.map_err(|e| format!("store: {e}"))?;
    silences::sync(client, poller, &silences, now).await?;
    Ok(alerts.skipped)
}

#[cfg(test)]
mod tests;
