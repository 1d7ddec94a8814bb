//! PagerDuty (REST API v2) as a source: its open incidents become opsdeck incidents, kept up to
//! date through its log entries, and acknowledge, resolve, escalate and notes are carried back,
//! all within one rate budget per API key.
//!
//! The folder: this file is the configuration ([`Config`], [`settings`], [`source`]) and the
//! [`Source`] impl with its poll loop; `client.rs` the API calls and wire types; `budget.rs` the
//! rate budget shared by the poller and the actions; `map.rs` PagerDuty incidents and log entries
//! → opsdeck incidents and timeline events; `sync.rs` the first fill and the incremental sync;
//! `actions.rs` the actions carried to PagerDuty.
//!
//! `poll` is a duration (`sources::config::duration`): seconds (`30`) or `"30s"`, `"1m"`.

mod actions;
pub mod budget;
pub mod client;
pub mod map;
pub mod sync;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::domain::{Incident, IncidentAction, Priority, Tier};
use crate::server::sources::{CarryError, Source, SourceContext, Support};
use crate::server::store::StoreError;
use budget::Budget;
use client::Client;

/// The kind's name in `[[sources]]`.
pub const KIND: &str = "pagerduty";
/// PagerDuty's API.
pub const DEFAULT_URL: &str = "https://api.pagerduty.com";
/// PagerDuty's limit for one API key, per minute.
pub const DEFAULT_RATE_PER_MINUTE: u32 = 960;

/// One `[[sources]]` table of kind `pagerduty`, without `kind` and `name`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The API's base URL; default `https://api.pagerduty.com`.
    #[serde(default)]
    pub url: Option<String>,
    /// The REST API key (account or user key), from a file or the environment: one is required.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    #[serde(default)]
    pub token_env: Option<String>,
    /// The email of the PagerDuty user writes are made as (`From:`); required for actions.
    #[serde(default)]
    pub from: Option<String>,
    /// Between incremental syncs; default 30 s.
    #[serde(default, deserialize_with = "crate::sources::config::duration")]
    pub poll: Option<Duration>,
    /// The account's limit for this key, per minute; default 960.
    #[serde(default)]
    pub rate_per_minute: Option<u32>,
    /// PagerDuty service ids to follow; empty follows every service.
    #[serde(default)]
    pub services: Vec<String>,
    /// Urgency (`high`, `low`) → `P1`…`P4`, used when an incident has no priority; default
    /// high P2, low P4.
    #[serde(default)]
    pub urgency_priority: BTreeMap<String, String>,
    /// PagerDuty priority name → `P1`…`P4`; default P1..P5 → P1, P2, P3, P4, P4.
    #[serde(default)]
    pub priority_names: BTreeMap<String, String>,
    /// Escalation level (`"1"`, `"2"`, …) → `T1`…`T4`; default 1 T1, 2 T2, 3 T3, 4 and above T4.
    #[serde(default)]
    pub level_tier: BTreeMap<String, String>,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub name: String,
    pub url: String,
    pub from: Option<String>,
    pub poll: Duration,
    pub rate_per_minute: u32,
    pub services: Vec<String>,
    /// Lower-case urgency → priority.
    pub urgency_priority: BTreeMap<String, Priority>,
    /// Lower-case priority name → priority.
    pub priority_names: BTreeMap<String, Priority>,
    /// Level → tier; levels above the highest listed take the highest's tier.
    pub level_tier: BTreeMap<u32, Tier>,
}

impl Settings {
    /// The priority of an incident with PagerDuty priority `name` (if any) and `urgency`.
    pub fn priority(&self, name: Option<&str>, urgency: Option<&str>) -> Priority {
        let by_name = name.and_then(|n| self.priority_names.get(&n.trim().to_ascii_lowercase()));
        let by_urgency = || urgency.and_then(|u| self.urgency_priority.get(&u.trim().to_ascii_lowercase()));
        by_name.or_else(by_urgency).copied().unwrap_or(Priority::P3)
    }

    /// The tier of escalation level `level` (1 first).
    pub fn tier(&self, level: u32) -> Tier {
        let level = level.max(1);
        self.level_tier.range(..=level).next_back().map(|(_, t)| *t).unwrap_or(Tier::T1)
    }

    /// The lowest escalation level at `tier` (the level an incident opsdeck shows at `tier` is
    /// taken to be at); past the table, the level after the highest listed.
    pub fn level(&self, tier: Tier) -> u32 {
        let found = self.level_tier.iter().find(|(_, t)| **t == tier).map(|(l, _)| *l);
        found.unwrap_or_else(|| {
            let below = self.level_tier.iter().filter(|(_, t)| **t < tier).map(|(l, _)| *l).max();
            below.map_or(1, |l| l + 1)
        })
    }
}

fn parse_priority(value: &str) -> Option<Priority> {
    match value.trim().to_ascii_uppercase().as_str() {
        "P1" => Some(Priority::P1),
        "P2" => Some(Priority::P2),
        "P3" => Some(Priority::P3),
        "P4" => Some(Priority::P4),
        _ => None,
    }
}

fn parse_tier(value: &str) -> Option<Tier> {
    Tier::ALL.into_iter().find(|t| t.label().eq_ignore_ascii_case(value.trim()))
}

fn shown(value: &str) -> String {
    crate::domain::text::sanitize(value).chars().take(60).collect()
}

/// Checks `config` and reads its credential; the error is one line naming the key.
pub fn settings(name: &str, config: &Config) -> Result<(Settings, crate::config::Secret), String> {
    let what = format!("source {name}");
    let url = config.url.as_deref().unwrap_or(DEFAULT_URL).trim().trim_end_matches('/').to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
        return Err(format!("url: `{}` is not an http:// or https:// URL", shown(&url)));
    }
    let token = crate::sources::http::read_secret(config.token_file.as_deref(), config.token_env.as_deref(), &what)?
        .ok_or_else(|| "token_file: a PagerDuty API key is required (token_file or token_env)".to_string())?;
    let from = match config.from.as_deref().map(str::trim) {
        None => None,
        Some(email) if email.contains('@') && !email.contains(char::is_whitespace) && email.len() <= 200 => {
            Some(email.to_string())
        }
        Some(other) => return Err(format!("from: `{}` is not an email address", shown(other))),
    };
    let poll = config.poll.unwrap_or(Duration::from_secs(30));
    if poll < Duration::from_secs(1) {
        return Err("poll: at least 1s (PagerDuty counts every request)".into());
    }
    let rate_per_minute = config.rate_per_minute.unwrap_or(DEFAULT_RATE_PER_MINUTE);
    if !(10..=100_000).contains(&rate_per_minute) {
        return Err(format!("rate_per_minute: {rate_per_minute} is not between 10 and 100000"));
    }
    let mut services = Vec::new();
    for id in &config.services {
        let id = id.trim();
        if id.is_empty() || id.len() > 40 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("services: `{}` is not a PagerDuty service id (e.g. PIJ90N7)", shown(id)));
        }
        services.push(id.to_string());
    }
    let mut urgency_priority: BTreeMap<String, Priority> =
        [("high".to_string(), Priority::P2), ("low".to_string(), Priority::P4)].into();
    for (urgency, value) in &config.urgency_priority {
        let p = parse_priority(value).ok_or_else(|| {
            format!("urgency_priority.{}: `{}` is not P1, P2, P3 or P4", shown(urgency), shown(value))
        })?;
        urgency_priority.insert(urgency.trim().to_ascii_lowercase(), p);
    }
    let mut priority_names: BTreeMap<String, Priority> =
        [("p1", Priority::P1), ("p2", Priority::P2), ("p3", Priority::P3), ("p4", Priority::P4), ("p5", Priority::P4)]
            .into_iter()
            .map(|(k, p)| (k.to_string(), p))
            .collect();
    for (priority, value) in &config.priority_names {
        let p = parse_priority(value)
            .ok_or_else(|| format!("priority_names.{}: `{}` is not P1, P2, P3 or P4", shown(priority), shown(value)))?;
        priority_names.insert(priority.trim().to_ascii_lowercase(), p);
    }
    let mut level_tier: BTreeMap<u32, Tier> = [(1, Tier::T1), (2, Tier::T2), (3, Tier::T3), (4, Tier::T4)].into();
    for (level, value) in &config.level_tier {
        let l: u32 = level
            .trim()
            .parse()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| format!("level_tier.{}: not an escalation level (1, 2, …)", shown(level)))?;
        let t =
            parse_tier(value).ok_or_else(|| format!("level_tier.{l}: `{}` is not T1, T2, T3 or T4", shown(value)))?;
        level_tier.insert(l, t);
    }
    if level_tier.values().zip(level_tier.values().skip(1)).any(|(a, b)| b < a) {
        return Err("level_tier: a higher escalation level cannot map to a lower tier".into());
    }
    let settings = Settings {
        name: name.to_string(),
        url,
        from,
        poll,
        rate_per_minute,
        services,
        urgency_priority,
        priority_names,
        level_tier,
    };
    Ok((settings, token))
}

/// The source `name` configured by `config`.
pub fn source(name: &str, config: Config) -> Result<Box<dyn Source>, String> {
    Ok(Box::new(connect(name, config)?))
}

/// The PagerDuty source `name` configured by `config`, as itself (tests and benches reach its
/// client through it).
pub fn connect(name: &str, config: Config) -> Result<PagerDuty, String> {
    let (settings, token) = settings(name, &config)?;
    let budget = Arc::new(Budget::new(settings.rate_per_minute));
    let client = Client::new(&settings.url, token, settings.from.clone(), budget)?;
    Ok(PagerDuty { settings: Arc::new(settings), client, tried: Arc::new(actions::Tried::default()) })
}

/// A PagerDuty account feeding the store.
pub struct PagerDuty {
    settings: Arc<Settings>,
    client: Client,
    tried: Arc<actions::Tried>,
}

impl PagerDuty {
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl Source for PagerDuty {
    fn name(&self) -> &str {
        &self.settings.name
    }

    fn kind(&self) -> &'static str {
        KIND
    }

    async fn start(&self, context: SourceContext) -> Result<JoinHandle<()>, StoreError> {
        let mut syncer = sync::Syncer::new(self.settings.clone(), context.store.clone(), self.client.clone());
        let settings = self.settings.clone();
        let health = context.health.clone();
        let budget = self.client.budget().clone();
        Ok(tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let now = Utc::now();
                match syncer.run_once(now).await {
                    Ok(()) => {
                        failures = 0;
                        health.ok(Utc::now());
                        tokio::time::sleep(settings.poll).await;
                    }
                    Err(error) => {
                        // Paused by the rate limit is not a failure: the health says so with
                        // the time it lifts, and the sync goes on then.
                        if let Some(wait) = budget.paused_for() {
                            let until = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                            let text = format!("PagerDuty: {}", budget.pause_reason());
                            health.paused(Utc::now(), &text, until);
                            tokio::time::sleep(wait.max(Duration::from_millis(100))).await;
                            continue;
                        }
                        failures = failures.saturating_add(1);
                        let retry = crate::sources::http::retry_at(now, settings.poll, failures);
                        health.failed(now, &error, Some(retry));
                        tracing::warn!(source = %settings.name, %error, "PagerDuty sync failed");
                        tokio::time::sleep(crate::sources::http::backoff(settings.poll, failures)).await;
                    }
                }
            }
        }))
    }

    fn support(&self, action: &IncidentAction) -> Support {
        actions::support(action, self.settings.from.is_some())
    }

    async fn carry(
        &self,
        incident: &Incident,
        action: &IncidentAction,
        actor: &str,
        key: &str,
    ) -> Result<(), CarryError> {
        actions::carry(&self.client, &self.settings, &self.tried, incident, action, actor, key, Utc::now()).await
    }
}

#[cfg(test)]
mod tests;
