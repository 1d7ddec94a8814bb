//! The Prometheus source (`kind = "prometheus"`): quality series from PromQL and drift from
//! histogram features, per configured model, into the store's monitoring tables.
//!
//! Each poll, per model: the model is put in the store (once its features' reference ranges were
//! read); every closed window after the last one done is asked with one `query_range` per query,
//! evaluated at the window ends with `step` = the window (so a `[1h]` range in the query covers
//! exactly its window; the first fill goes back `history`); then the open window is asked again
//! with instant queries at the poll's time (its figures move until it closes, and the window is
//! asked once more with the closed ones when it has). Windows are aligned on multiples of the
//! window since the Unix epoch.
//!
//! A query Prometheus refuses is reported by name in the source's health and the other queries
//! still arrive: a `bad_data` one (a wrong query) is not asked again for those windows; any other
//! error (`timeout`, `execution`, …) leaves the model's windows to be asked again next poll.
//! A feature whose reference range cannot be read (yet) is left out of the model and the
//! model's windows are asked again next poll. Prometheus unreachable fails the poll, and the
//! source backs off. Prometheus has no actions:
//! the source carries nothing back (every incident action is opsdeck's own).

mod client;
mod config;
mod drift;
mod quality;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

pub use client::{Answer, Client, QueryError, Series};
pub use config::{Config, FeatureConfig, ModelConfig, ModelSettings, QualityQueries, Settings, Target};

use crate::domain::{DriftWindow, Feature, Model, QualityPoint, Sample};
use crate::server::sources::{Source, SourceContext};
use crate::server::store::{Store, StoreError};
use crate::sources::http;

/// A checked Prometheus source named `name` (`kind` and `name` are core's keys).
pub fn source(name: &str, config: Config) -> Result<Box<dyn Source>, String> {
    let settings = Arc::new(config.check(name)?);
    let client = Client::new(&settings.url, settings.token.clone())?;
    Ok(Box::new(Prometheus { name: name.to_string(), settings, client }))
}

/// A poller over a checked configuration, to poll by hand (what the source's task runs).
pub fn poller(name: &str, config: Config) -> Result<Poller, String> {
    let settings = Arc::new(config.check(name)?);
    let client = Client::new(&settings.url, settings.token.clone())?;
    Ok(Poller::new(name, settings, client))
}

struct Prometheus {
    name: String,
    settings: Arc<Settings>,
    client: Client,
}

#[async_trait]
impl Source for Prometheus {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "prometheus"
    }

    async fn start(&self, context: SourceContext) -> Result<JoinHandle<()>, StoreError> {
        let mut poller = Poller::new(&self.name, self.settings.clone(), self.client.clone());
        let every = self.settings.poll;
        Ok(tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let now = Utc::now();
                let wait = match poller.poll(context.store.as_ref(), now).await {
                    Ok(report) => {
                        failures = 0;
                        context.health.ok(now);
                        if !report.errors.is_empty() {
                            // Prometheus answered, some queries did not: named, no back-off.
                            context.health.failed(now, &report.errors.join("; "), None);
                        }
                        every
                    }
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        context.health.failed(now, &error, Some(http::retry_at(now, every, failures)));
                        http::backoff(every, failures)
                    }
                };
                tokio::time::sleep(wait).await;
            }
        }))
    }
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollReport {
    /// Quality points written (closed windows asked, and the open one).
    pub points: usize,
    /// Drift windows written.
    pub windows: usize,
    /// Queries that failed, one line each, naming the model, the series and the query.
    pub errors: Vec<String>,
    /// What Prometheus warned about (partial data), one line each.
    pub warnings: Vec<String>,
}

/// The poll state of one source: per model, the end of the last closed window done.
pub struct Poller {
    name: String,
    settings: Arc<Settings>,
    client: Client,
    cursors: HashMap<String, i64>,
    references: HashMap<(String, String), Sample>,
    complete: HashMap<String, bool>,
}

/// Part of a poll that failed: Prometheus cannot be reached (the poll fails), or one query did.
enum Failed {
    Poll(String),
    Query { line: String, permanent: bool },
}

impl Poller {
    fn new(name: &str, settings: Arc<Settings>, client: Client) -> Self {
        Poller {
            name: name.to_string(),
            settings,
            client,
            cursors: HashMap::new(),
            references: HashMap::new(),
            complete: HashMap::new(),
        }
    }

    /// Requests sent to Prometheus so far.
    pub fn requests(&self) -> u64 {
        self.client.requests()
    }

    /// Polls every model once as of `now`. An error is a poll that got no full answer
    /// (Prometheus unreachable, the store failing); a failed query is in the report.
    pub async fn poll(&mut self, store: &dyn Store, now: DateTime<Utc>) -> Result<PollReport, String> {
        let mut report = PollReport::default();
        let settings = self.settings.clone();
        for model in &settings.models {
            self.poll_model(store, model, now, &mut report).await?;
        }
        Ok(report)
    }

    async fn poll_model(
        &mut self,
        store: &dyn Store,
        model: &ModelSettings,
        now: DateTime<Utc>,
        report: &mut PollReport,
    ) -> Result<(), String> {
        let name = self.name.clone();
        let store_error = |e: StoreError| format!("source {name}: storing model {}: {e}", model.id);
        if !self.complete.get(&model.id).copied().unwrap_or(false) {
            let stored = self.put_model(model, report).await?;
            store.put_model(&stored).await.map_err(store_error)?;
        }
        let w = self.settings.window_secs;
        let now_s = now.timestamp();
        let last_closed_end = now_s.div_euclid(w) * w;
        let cursor = match self.cursors.get(&model.id) {
            Some(cursor) => *cursor,
            None => self.first_cursor(store, model, last_closed_end).await.map_err(store_error)?,
        };
        let mut points: BTreeMap<i64, QualityPoint> = BTreeMap::new();
        let mut windows: Vec<DriftWindow> = Vec::new();
        // A feature whose reference could not be read yet gets no windows, and the model's
        // windows are asked again next poll, so that none are lost once it can.
        let features: Vec<&FeatureConfig> = model
            .features
            .iter()
            .filter(|f| self.references.contains_key(&(model.id.clone(), f.name.clone())))
            .collect();
        let mut retry = features.len() < model.features.len();
        let mut failed = |failure: Failed, report: &mut PollReport| match failure {
            Failed::Poll(error) => Err(error),
            Failed::Query { line, permanent } => {
                retry |= !permanent;
                report.errors.push(line);
                Ok(())
            }
        };
        if last_closed_end > cursor {
            let first_end = cursor + w;
            points = quality::empty_points(&model.id, first_end, last_closed_end, w);
            for (target, query) in &model.queries {
                match self.range(query, first_end, last_closed_end, model, target.key(), report).await {
                    Ok(answer) => {
                        let values = quality::values_by_time(&answer);
                        for (end, point) in points.iter_mut() {
                            quality::set(point, *target, values.get(end).copied().flatten());
                        }
                    }
                    Err(failure) => failed(failure, report)?,
                }
            }
            for feature in &features {
                let query = drift::increase_query(&feature.histogram, w);
                match self.range(&query, first_end, last_closed_end, model, &feature.name, report).await {
                    Ok(answer) => windows.extend(
                        drift::histograms(&answer.series)
                            .into_iter()
                            .filter_map(|(end, current)| window(&model.id, &feature.name, end - w, end, current)),
                    ),
                    Err(failure) => failed(failure, report)?,
                }
            }
        }
        // The open window, so far: the queries at `now`.
        let (open_start, elapsed) = (last_closed_end, now_s - last_closed_end);
        if elapsed > 0
            && let (Some(s), Some(e)) = (quality::at(open_start), quality::at(open_start + w))
        {
            let mut point = QualityPoint::empty(&model.id, s, e);
            for (target, query) in &model.queries {
                match self.instant(query, now_s, model, target.key(), report).await {
                    Ok(answer) => {
                        let value = answer.series.first().and_then(|s| s.samples.first()).and_then(|(_, v)| *v);
                        quality::set(&mut point, *target, value);
                    }
                    Err(failure) => failed(failure, report)?,
                }
            }
            points.insert(open_start + w, point);
            for feature in &features {
                let query = drift::increase_query(&feature.histogram, elapsed);
                match self.instant(&query, now_s, model, &feature.name, report).await {
                    Ok(answer) => windows.extend(
                        drift::histograms(&answer.series)
                            .into_values()
                            .next()
                            .and_then(|current| window(&model.id, &feature.name, open_start, open_start + w, current)),
                    ),
                    Err(failure) => failed(failure, report)?,
                }
            }
        }
        let points: Vec<QualityPoint> = points.into_values().collect();
        store.put_monitoring(&[], &windows, &points).await.map_err(store_error)?;
        report.points += points.len();
        report.windows += windows.len();
        self.cursors.insert(model.id.clone(), if retry { cursor } else { cursor.max(last_closed_end) });
        Ok(())
    }

    /// The model with the features whose reference could be read; whether that was all of them
    /// is remembered (a model is put again each poll until it is).
    async fn put_model(&mut self, model: &ModelSettings, report: &mut PollReport) -> Result<Model, String> {
        let mut features = Vec::new();
        let mut complete = true;
        for feature in &model.features {
            let key = (model.id.clone(), feature.name.clone());
            if !self.references.contains_key(&key) {
                let secs = (feature.reference_end - feature.reference_start).num_seconds();
                let query = drift::increase_query(&feature.histogram, secs);
                let at = feature.reference_end.timestamp();
                match self.instant(&query, at, model, &feature.name, report).await {
                    Ok(answer) => match drift::histograms(&answer.series).into_values().next() {
                        Some(reference) => {
                            self.references.insert(key.clone(), reference);
                        }
                        None => report.errors.push(format!(
                            "model {}, feature {}: nothing counted in the reference range {} – {}",
                            model.id,
                            clean(&feature.name),
                            feature.reference_start.format("%Y-%m-%d %H:%M"),
                            feature.reference_end.format("%Y-%m-%d %H:%M")
                        )),
                    },
                    Err(Failed::Poll(error)) => return Err(error),
                    Err(Failed::Query { line, .. }) => report.errors.push(line),
                }
            }
            match self.references.get(&key) {
                Some(reference) => features.push(Feature {
                    name: feature.name.clone(),
                    description: feature.description.clone().unwrap_or_else(|| feature.histogram.clone()),
                    reference: reference.clone(),
                }),
                None => complete = false,
            }
        }
        self.complete.insert(model.id.clone(), complete);
        Ok(Model {
            id: model.id.clone(),
            name: model.name.clone(),
            service_id: model.service.clone(),
            versions: Vec::new(),
            features,
            window_secs: self.settings.window_secs,
            source: Some(self.name.clone()),
        })
    }

    /// Where the first poll starts: `history` back, or at the newest window stored (asked again:
    /// it may have been stored while open).
    async fn first_cursor(
        &self,
        store: &dyn Store,
        model: &ModelSettings,
        last_closed_end: i64,
    ) -> Result<i64, StoreError> {
        let floor = last_closed_end - self.settings.history_secs;
        let mut newest = store.quality(&model.id, None, 1).await?.last().map(|p| p.start.timestamp());
        for feature in &model.features {
            let window = store.windows(&model.id, &feature.name, None, 1).await?;
            newest = newest.max(window.last().map(|w| w.start.timestamp()));
        }
        Ok(newest.map_or(floor, |n| n.max(floor)).min(last_closed_end))
    }

    async fn range(
        &self,
        query: &str,
        first_end: i64,
        last_end: i64,
        model: &ModelSettings,
        series: &str,
        report: &mut PollReport,
    ) -> Result<Answer, Failed> {
        let answer = self.client.query_range(query, first_end, last_end, self.settings.window_secs).await;
        self.answered(answer, query, model, series, report)
    }

    async fn instant(
        &self,
        query: &str,
        at: i64,
        model: &ModelSettings,
        series: &str,
        report: &mut PollReport,
    ) -> Result<Answer, Failed> {
        let answer = self.client.query(query, at).await;
        self.answered(answer, query, model, series, report)
    }

    fn answered(
        &self,
        answer: Result<Answer, QueryError>,
        query: &str,
        model: &ModelSettings,
        series: &str,
        report: &mut PollReport,
    ) -> Result<Answer, Failed> {
        let what = format!("model {}, {}: `{}`", model.id, clean(series), short(query));
        match answer {
            Ok(answer) => {
                report.warnings.extend(answer.warnings.iter().map(|w| format!("{what}: {w}")));
                Ok(answer)
            }
            Err(QueryError::Transport(error)) => Err(Failed::Poll(format!("source {}: {error}", self.name))),
            Err(error) => Err(Failed::Query { permanent: error.is_permanent(), line: format!("{what}: {error}") }),
        }
    }
}

fn window(model: &str, feature: &str, start: i64, end: i64, current: Sample) -> Option<DriftWindow> {
    Some(DriftWindow {
        model_id: model.to_string(),
        feature: feature.to_string(),
        start: quality::at(start)?,
        end: quality::at(end)?,
        current,
    })
}

fn clean(text: &str) -> String {
    crate::domain::text::sanitize(text).into_owned()
}

/// A query in one line of at most 120 characters.
fn short(query: &str) -> String {
    let one: String = clean(query).split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}
