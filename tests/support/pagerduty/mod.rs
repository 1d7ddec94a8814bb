//! A stateful fake PagerDuty REST API v2 for the PagerDuty source's tests and bench, judged by
//! PagerDuty's own OpenAPI document: clients talk to a relay ([`relay`]) in front of a real
//! `prism proxy --errors` that validates every request against the spec, in front of the fake
//! ([`api`], [`model`]), whose every answer is validated against the spec's response schemas
//! ([`spec`]). Request refusals by Prism, its `sl-violations` and answer-schema failures all land
//! in [`FakePagerDuty::violations`]; tests assert it is empty.
//!
//! Used as `#[path = "support/pagerduty/mod.rs"] mod pagerduty;` from tokio tests: the fake,
//! the relay and Prism live on the test's runtime and stop (Prism killed) when the fake drops.
#![allow(dead_code)]

mod api;
mod model;
mod prism;
mod relay;
mod render;
pub mod spec;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::task::JoinHandle;

pub use api::Recorded;
#[allow(unused_imports)]
pub use model::LEVELS;
use model::{Change, Model, now};
pub use spec::VENDOR_MEDIA_TYPE;

/// The API key the fake accepts.
const TOKEN: &str = "u+fakeKeyForOpsdeckTests";

pub struct FakeOptions {
    /// Requests a minute per API key (PagerDuty's default: 960).
    pub rate_per_minute: u32,
    /// Whether answers carry `ratelimit-*` headers and a 429 its `Retry-After` and body.
    pub rate_headers: bool,
    /// The largest page `limit` honoured (PagerDuty: 100); a larger one is lowered to it.
    pub page_limit_max: u32,
}

impl Default for FakeOptions {
    fn default() -> FakeOptions {
        FakeOptions { rate_per_minute: 960, rate_headers: true, page_limit_max: 100 }
    }
}

pub struct NewIncident {
    pub title: String,
    pub service_id: String,
    /// `high` or `low`.
    pub urgency: String,
    /// A priority name (`P1`…`P5`) or id; `None` for no priority.
    pub priority: Option<String>,
    /// Direct assignment; empty for the policy's first level.
    pub assignee_ids: Vec<String>,
    /// `triggered`, or `acknowledged` (by its first assignee, at once).
    pub status: String,
    /// When it was triggered; `None` for now.
    pub created_at: Option<DateTime<Utc>>,
}

impl NewIncident {
    /// A high-urgency triggered incident of `service_id`, assigned by its policy.
    pub fn new(title: &str, service_id: &str) -> NewIncident {
        NewIncident {
            title: title.into(),
            service_id: service_id.into(),
            urgency: "high".into(),
            priority: None,
            assignee_ids: Vec::new(),
            status: "triggered".into(),
            created_at: None,
        }
    }
}

/// What someone else does in PagerDuty (its web UI), with its log entries.
#[derive(Debug, Clone)]
pub enum Act {
    Acknowledge,
    Resolve,
    /// To the next level of the incident's policy.
    Escalate,
    Note(String),
    /// To this user id.
    Reassign(String),
}

pub struct FakePagerDuty {
    shared: Arc<api::Shared>,
    relay: relay::Relay,
    prism: prism::Prism,
    server: JoinHandle<()>,
}

impl Drop for FakePagerDuty {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakePagerDuty {
    pub async fn start() -> FakePagerDuty {
        FakePagerDuty::start_with(FakeOptions::default()).await
    }

    pub async fn start_with(options: FakeOptions) -> FakePagerDuty {
        let spec = spec::spec();
        let shared = Arc::new(api::Shared {
            model: Mutex::new(Model::new()),
            spec: spec.clone(),
            token: TOKEN.into(),
            page_limit_max: options.page_limit_max,
            rate: Mutex::new(api::Rate::new(options.rate_per_minute, options.rate_headers)),
            requests: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
            drops: Mutex::new(Vec::new()),
            served: (Mutex::new(0), std::sync::Condvar::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port for the fake");
        let fake_url = format!("http://{}", listener.local_addr().expect("its address"));
        let router = axum::Router::new().fallback(api::dispatch).with_state(shared.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("the fake serves");
        });
        let prism = prism::Prism::start(&spec.path, &fake_url).await;
        let relay = relay::start(prism.url(), shared.clone()).await;
        // `self` links as PagerDuty gives them: the spec's `url` format refuses loopback hosts.
        shared.model.lock().unwrap().base = "https://api.pagerduty.com".into();
        FakePagerDuty { shared, relay, prism, server }
    }

    /// What a source is configured with: every request goes through Prism to the fake.
    pub fn url(&self) -> String {
        format!("http://{}", self.relay.addr)
    }

    /// How long Prism took to listen.
    pub fn prism_started_in(&self) -> Duration {
        self.prism.started_in
    }

    /// Prism's own log so far (for a failing test's message).
    pub fn prism_log(&self) -> String {
        self.prism.log()
    }

    pub fn token(&self) -> &str {
        &self.shared.token
    }

    pub fn add_user(&self, name: &str, email: &str) -> String {
        self.model().add_user(name, email)
    }

    /// With an escalation policy of [`LEVELS`] levels: level k is the k-th user added so far
    /// (round robin), or "On-call level k" users added for it when there are none.
    pub fn add_service(&self, name: &str) -> String {
        self.model().add_service(name)
    }

    pub fn add_incident(&self, new: NewIncident) -> String {
        let acknowledged = match new.status.as_str() {
            "triggered" => false,
            "acknowledged" => true,
            other => panic!("a new incident is triggered or acknowledged, not {other}"),
        };
        let at = new.created_at.map(|t| chrono::SubsecRound::trunc_subsecs(t, 0)).unwrap_or_else(now);
        self.model().trigger(
            &new.title,
            &new.service_id,
            &new.urgency,
            new.priority.as_deref(),
            &new.assignee_ids,
            acknowledged,
            at,
        )
    }

    /// `n` triggered incidents of one service, a minute apart and ending now (the account's
    /// default one-month list range holds up to 43,000 of them).
    pub fn add_incidents(&self, n: usize, service_id: &str) -> Vec<String> {
        let mut model = self.model();
        let end = now();
        (0..n)
            .map(|i| {
                let at = end - chrono::Duration::minutes((n - 1 - i) as i64);
                model.trigger(&format!("Bulk incident {}", i + 1), service_id, "high", None, &[], false, at)
            })
            .collect()
    }

    /// Someone else acts in PagerDuty's web UI. Panics on an unknown user or incident, or an act
    /// PagerDuty refuses (resolving twice, escalating past the last level).
    pub fn act(&self, by_email: &str, id: &str, action: Act) {
        let mut model = self.model();
        let user = model.user_by_email(by_email).unwrap_or_else(|| panic!("no user {by_email} in the fake")).id.clone();
        let change = match action {
            Act::Acknowledge => Change::Status("acknowledged".into()),
            Act::Resolve => Change::Status("resolved".into()),
            Act::Escalate => {
                let level = model.incident(id).unwrap_or_else(|| panic!("no incident {id} in the fake")).level;
                Change::Level(level + 1)
            }
            Act::Note(text) => Change::Note(text),
            Act::Reassign(to) => Change::Assign(vec![to]),
        };
        if let Err(e) = model.change(id, &user, change, "web_ui", now()) {
            panic!("PagerDuty refuses that act on {id}: {} ({})", e.message, e.errors.join("; "));
        }
    }

    /// As `GET /incidents/{id}` answers it.
    pub fn incident(&self, id: &str) -> Value {
        let model = self.model();
        let inc = model.incident(id).unwrap_or_else(|| panic!("no incident {id} in the fake"));
        model.render_incident(inc)
    }

    /// The escalation level the incident is at (1-based; not part of the API's incident).
    pub fn level(&self, id: &str) -> usize {
        self.model().incident(id).unwrap_or_else(|| panic!("no incident {id} in the fake")).level
    }

    pub fn notes(&self, id: &str) -> Vec<Value> {
        let model = self.model();
        let inc = model.incident(id).unwrap_or_else(|| panic!("no incident {id} in the fake"));
        inc.notes.iter().map(|n| model.render_note(n)).collect()
    }

    /// The incident's log entries, oldest first, as the API renders them.
    pub fn log_entries(&self, id: &str) -> Vec<Value> {
        let model = self.model();
        model.log.iter().filter(|e| e.incident_id == id).map(|e| model.render_log_entry(e, false)).collect()
    }

    /// Waits (at most `timeout`, woken by each request the fake serves) until `done` holds of the
    /// fake; returns whether it did.
    pub fn wait_until(&self, timeout: Duration, done: impl Fn(&FakePagerDuty) -> bool) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let (served, signal) = &self.shared.served;
        let mut count = served.lock().unwrap();
        loop {
            // The model is read without the counter's lock held: a request served meanwhile
            // bumps the count, so the wait below returns at once.
            let seen = *count;
            drop(count);
            if done(self) {
                return true;
            }
            count = served.lock().unwrap();
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            if *count == seen {
                count = signal.wait_timeout(count, left).unwrap().0;
            }
        }
    }

    /// Every request the fake saw (after Prism), in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The next request of `method` whose path starts with `path_prefix` is applied and answered
    /// by the fake, but the client's connection is closed instead of the answer reaching it.
    pub fn drop_next_answer(&self, method: &str, path_prefix: &str) {
        self.shared.drops.lock().unwrap().push((method.to_uppercase(), path_prefix.to_string()));
    }

    pub fn set_rate(&self, per_minute: u32, headers: bool) {
        let mut rate = self.shared.rate.lock().unwrap();
        rate.per_minute = per_minute;
        rate.headers = headers;
    }

    /// Requests Prism refused, Prism's `sl-violations`, and answers of the fake that do not
    /// match the spec: each names the operation and what was wrong.
    pub fn violations(&self) -> Vec<String> {
        self.shared.violations.lock().unwrap().clone()
    }

    fn model(&self) -> std::sync::MutexGuard<'_, Model> {
        self.shared.model.lock().unwrap()
    }
}
