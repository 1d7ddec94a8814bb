//! What the server knows of its sources: the [`Source`] trait every adapter under `src/sources/`
//! implements, the [`SourceContext`] it is started with, the [`Health`] it reports, and how it
//! takes the console's actions back to the outside system ([`Source::support`], [`Source::carry`]).
//!
//! The server imports no source: it is handed `Box<dyn Source>` values (by the command line or the
//! console's in-process start) and keeps them in a [`SourceSet`], one poller per source whatever
//! the number of consoles.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use utoipa::ToSchema;

use crate::domain::{Incident, IncidentAction};
use crate::server::store::{Store, StoreError};

/// What a source does with an action on one of its incidents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// The source carries the action to the outside system ([`Source::carry`]) before opsdeck
    /// records it.
    Carried,
    /// The outside system has no such thing: opsdeck records the action on its own, and the
    /// answer says so with this sentence ("Alertmanager has no escalation; escalated in opsdeck
    /// only").
    OpsdeckOnly(String),
    /// The action cannot be done on this source's items at all (a 422 with this reason).
    Refused(String),
}

/// Why carrying an action to the outside system failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarryError {
    /// The outside system cannot be reached or failed: the console keeps the action and sends it
    /// again later under the same idempotency key (a 503 with Retry-After).
    #[error("{message}")]
    Unavailable { message: String, retry_after_secs: u64 },
    /// The outside system refused it for a reason that will not go away by retrying (a 409).
    #[error("{0}")]
    Refused(String),
}

/// A source's health as the API shows it (`GET /v1/sources`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SourceHealth {
    /// The configured name, e.g. `prod-alertmanager`; entities record it as their `source`.
    pub name: String,
    /// `alertmanager`, `prometheus`, `simulator`, …
    pub kind: String,
    /// The last poll that got a full answer.
    pub last_ok_at: Option<DateTime<Utc>>,
    /// The last failure, one line, without credentials.
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// After failures the source waits until then before polling again.
    pub backoff_until: Option<DateTime<Utc>>,
    /// Consecutive failed polls (0 when the last poll was good).
    pub failures: u32,
}

/// Where a running source reports how its polls go; cheap to clone, shared with the API.
#[derive(Debug, Clone)]
pub struct Health(Arc<Mutex<SourceHealth>>);

impl Health {
    pub fn new(name: &str, kind: &str) -> Self {
        Health(Arc::new(Mutex::new(SourceHealth {
            name: name.to_string(),
            kind: kind.to_string(),
            ..Default::default()
        })))
    }

    /// A poll got a full answer at `at`.
    pub fn ok(&self, at: DateTime<Utc>) {
        let mut health = self.lock();
        health.last_ok_at = Some(at);
        health.backoff_until = None;
        health.failures = 0;
    }

    /// A poll failed at `at` with `error` (one line, no credentials); the next is at `retry_at`.
    pub fn failed(&self, at: DateTime<Utc>, error: &str, retry_at: Option<DateTime<Utc>>) {
        let mut health = self.lock();
        health.last_error = Some(crate::domain::text::sanitize(error).into_owned());
        health.last_error_at = Some(at);
        health.backoff_until = retry_at;
        health.failures = health.failures.saturating_add(1);
    }

    /// The source holds back at `at` because the outside system asked it to (a rate limit), until
    /// `until`: not a failure, so `failures` is unchanged; `last_error` says why
    /// ("PagerDuty: paused 20 s by its rate limit") and `backoff_until` when it goes on.
    pub fn paused(&self, at: DateTime<Utc>, why: &str, until: DateTime<Utc>) {
        let mut health = self.lock();
        health.last_error = Some(crate::domain::text::sanitize(why).into_owned());
        health.last_error_at = Some(at);
        health.backoff_until = Some(until);
    }

    pub fn snapshot(&self) -> SourceHealth {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SourceHealth> {
        // A poisoned lock only means a poller panicked mid-update; the health is still readable.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What a source is started with.
#[derive(Clone)]
pub struct SourceContext {
    pub store: Arc<dyn Store>,
    pub health: Health,
}

/// An adapter that feeds the store from an outside system and carries actions back: the demo
/// simulator, Alertmanager, Prometheus, … The server starts each once its catalog is seeded, and
/// stops it on shutdown.
#[async_trait]
pub trait Source: Send + Sync {
    /// The configured name (`prod-alertmanager`), unique among a server's sources.
    fn name(&self) -> &str;
    /// The kind as configured (`alertmanager`).
    fn kind(&self) -> &'static str;
    /// People who act through this source (the simulated desk and on-call staff): the server adds
    /// them as responders, so they can be assigned like anyone else.
    fn people(&self) -> Vec<String> {
        Vec::new()
    }
    /// Seeds what the source needs into the store, then feeds it on a task until that is aborted.
    async fn start(&self, context: SourceContext) -> Result<JoinHandle<()>, StoreError>;
    /// What this source does with `action` on one of its incidents. By default every action is
    /// opsdeck's own and needs no sentence.
    fn support(&self, _action: &IncidentAction) -> Support {
        Support::OpsdeckOnly(String::new())
    }
    /// Carries `action` by `actor` on `incident` (as stored now) to the outside system. `key`
    /// is the request's idempotency key (or one the server made): carrying the same key twice
    /// must act once (e.g. find the silence made under it instead of making a second).
    async fn carry(
        &self,
        _incident: &Incident,
        _action: &IncidentAction,
        _actor: &str,
        _key: &str,
    ) -> Result<(), CarryError> {
        Ok(())
    }
}

/// A server's sources with their health, by name.
#[derive(Clone, Default)]
pub struct SourceSet {
    sources: Vec<(Arc<dyn Source>, Health)>,
    /// Whether the sources run on this server (replicas on one database run them on one).
    leading: Arc<AtomicBool>,
}

impl SourceSet {
    pub fn new(sources: Vec<Box<dyn Source>>) -> Self {
        let sources = sources
            .into_iter()
            .map(|source| {
                let health = Health::new(source.name(), source.kind());
                (Arc::from(source), health)
            })
            .collect();
        SourceSet { sources, leading: Arc::new(AtomicBool::new(false)) }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Source>> {
        self.sources.iter().find(|(source, _)| source.name() == name).map(|(source, _)| source)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Arc<dyn Source>, &Health)> {
        self.sources.iter().map(|(source, health)| (source, health))
    }

    /// Whether the sources run here: set by [`lead`](crate::server::lead).
    pub fn leading(&self) -> Arc<AtomicBool> {
        self.leading.clone()
    }

    pub fn runs_here(&self) -> bool {
        self.leading.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn health(&self) -> Vec<SourceHealth> {
        self.sources.iter().map(|(_, health)| health.snapshot()).collect()
    }
}
