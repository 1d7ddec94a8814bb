//! The Drift tab: models, their features' windows against the reference, quality series, and the
//! statistics computed from them.
//!
//! Statistics are computed away from the UI task: the tab asks for the windows whose statistics it
//! lacks ([`DriftTab::take_job`], run by the effect runner on a blocking thread) and keeps what comes
//! back ([`DriftTab::accept`]) per window and sample size, so a frame only reads them, switching back
//! to a feature costs nothing, and an open window that fills up is the only one recomputed.

pub mod monitoring;
pub mod quality_view;
pub(crate) mod update;
pub mod view;

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::cache::MonitoringRows;
use crate::console::action::Action;
pub use crate::console::data::{DriftJob, DriftResults};
use crate::console::keymap::Mode;
use crate::console::tabs::TabMeta;
pub use crate::console::tabs::drift::monitoring::Monitoring;
use crate::console::tabs::incidents::IncidentSpan;
use crate::domain::monitoring::{DistributionRow, WindowStats, distribution};
use crate::domain::{DriftWindow, FeatureKind, Model, QualityPoint, Sample, Statistic};

pub const META: TabMeta = TabMeta { title: "Drift", short_title: "Drift", mode: Mode::Drift, action: Action::TabDrift };

/// The time spans `+` and `-` step through, in hours.
pub const SPANS_HOURS: [i64; 6] = [6, 12, 24, 48, 72, 168];
const DEFAULT_SPAN: usize = 3;

/// `6 h`, `48 h`, `72 h`; whole weeks and anything over three days in days: `7 days`.
pub fn span_label(hours: i64) -> String {
    match hours {
        h if h > 72 && h % 24 == 0 => format!("{} days", h / 24),
        h => format!("{h} h"),
    }
}

/// What the tab shows when only one chart fits (80×24); larger terminals show all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DriftView {
    #[default]
    Trend,
    Distribution,
    Quality,
}

impl DriftView {
    pub fn next(self) -> DriftView {
        match self {
            DriftView::Trend => DriftView::Distribution,
            DriftView::Distribution => DriftView::Quality,
            DriftView::Quality => DriftView::Trend,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DriftView::Trend => "trend",
            DriftView::Distribution => "distribution",
            DriftView::Quality => "quality",
        }
    }
}

/// One window of the selected feature with its statistics (or why they could not be computed).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The current sample's size.
    pub n: usize,
    /// `None` while being computed.
    pub stats: Option<Result<WindowStats, String>>,
}

/// A window: model, feature, start.
type WindowKey = (String, String, DateTime<Utc>);

/// Something that happened on the chart's time axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub kind: MarkerKind,
    pub at: DateTime<Utc>,
    /// When it stopped (incidents and maintenance); `None` while it goes on or for instants.
    pub until: Option<DateTime<Utc>>,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkerKind {
    Deploy,
    Incident,
    /// Maintenance windows (none exist before the Calendar tab brings them).
    Maintenance,
}

#[derive(Debug, Clone)]
pub struct DriftTab {
    pub data: Monitoring,
    model: usize,
    feature: usize,
    pub statistic: Statistic,
    pub view: DriftView,
    span: usize,
    /// The selected window's start; `None` follows the newest window.
    cursor: Option<DateTime<Utc>>,
    /// The right edge of the visible range; `None` follows the newest window.
    range_end: Option<DateTime<Utc>>,
    /// Statistics of every window of the selected feature, oldest first.
    series: Vec<SeriesPoint>,
    /// Reference vs current of the selected window.
    distribution: Result<Vec<DistributionRow>, String>,
    /// Deploys and incidents of the selected model, oldest first.
    markers: Vec<Marker>,
    /// Statistics computed so far, with the sample size they were computed for.
    computed: HashMap<WindowKey, (usize, Result<WindowStats, String>)>,
    /// A job is out; the next waits for its results.
    in_flight: bool,
    /// Maintenance windows, for markers on the models' services.
    maintenance: Vec<crate::domain::maintenance::MaintenanceWindow>,
}

impl Default for DriftTab {
    fn default() -> Self {
        DriftTab::new(Monitoring::default())
    }
}

impl DriftTab {
    pub fn new(data: Monitoring) -> DriftTab {
        DriftTab {
            data,
            model: 0,
            feature: 0,
            statistic: Statistic::Psi,
            view: DriftView::default(),
            span: DEFAULT_SPAN,
            cursor: None,
            range_end: None,
            series: Vec::new(),
            distribution: Err(String::new()),
            markers: Vec::new(),
            computed: HashMap::new(),
            in_flight: false,
            maintenance: Vec::new(),
        }
    }

    pub fn model(&self) -> Option<&Model> {
        self.data.models.get(self.model)
    }

    pub fn feature(&self) -> Option<&crate::domain::Feature> {
        self.model().and_then(|m| m.features.get(self.feature))
    }

    pub fn kind(&self) -> FeatureKind {
        self.feature().map_or(FeatureKind::Numeric, |f| f.kind())
    }

    pub fn series(&self) -> &[SeriesPoint] {
        &self.series
    }

    pub fn markers(&self) -> &[Marker] {
        &self.markers
    }

    pub fn distribution(&self) -> Result<&[DistributionRow], &str> {
        self.distribution.as_deref().map_err(String::as_str)
    }

    pub fn quality(&self) -> &[QualityPoint] {
        self.model().map_or(&[], |m| self.data.quality(&m.id))
    }

    pub fn span(&self) -> TimeDelta {
        TimeDelta::hours(SPANS_HOURS[self.span])
    }

    /// The span as the README names it: `6 h` … `72 h`, `7 days`.
    pub fn span_label(&self) -> String {
        span_label(SPANS_HOURS[self.span])
    }

    /// Whether the view follows the newest window.
    pub fn following(&self) -> bool {
        self.cursor.is_none()
    }

    /// The selected window: the one under the cursor, or the newest.
    pub fn selected(&self) -> Option<&SeriesPoint> {
        match self.cursor {
            None => self.series.last(),
            Some(at) => self.series.iter().find(|p| p.start == at),
        }
    }

    fn selected_index(&self) -> Option<usize> {
        match self.cursor {
            None => self.series.len().checked_sub(1),
            Some(at) => self.series.iter().position(|p| p.start == at),
        }
    }

    /// The visible time range `[start, end)`: it ends at the newest window of the selected feature, or at the newest
    /// quality point for a model with quality series only (a Prometheus model without features).
    pub fn range(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let newest = match self.series.last() {
            Some(window) => window.end,
            None => self.quality().iter().map(|p| p.end).max()?,
        };
        let end = self.range_end.unwrap_or(newest);
        Some((end - self.span(), end))
    }

    /// Windows within the visible range.
    pub fn visible(&self) -> &[SeriesPoint] {
        let Some((from, to)) = self.range() else { return &[] };
        let first = self.series.partition_point(|p| p.end <= from);
        let last = self.series.partition_point(|p| p.start < to);
        &self.series[first..last.max(first)]
    }

    /// Recomputes everything for the selection: series, distribution, markers.
    pub fn rebuild<'a>(&mut self, incidents: impl Iterator<Item = IncidentSpan<'a>>) {
        self.model = self.model.min(self.data.models.len().saturating_sub(1));
        let features = self.model().map_or(0, |m| m.features.len());
        self.feature = self.feature.min(features.saturating_sub(1));
        if !Statistic::for_kind(self.kind()).contains(&self.statistic) {
            self.statistic = Statistic::Psi;
        }
        self.refresh_series();
        self.rebuild_markers(incidents);
        self.clamp_cursor();
        self.rebuild_distribution();
    }

    /// Takes in what the cache held. Anything already here came from a sync since, and is newer:
    /// it is kept. Returns whether anything was added.
    pub fn merge_cached<'a>(
        &mut self,
        rows: MonitoringRows,
        incidents: impl Iterator<Item = IncidentSpan<'a>>,
    ) -> bool {
        let mut added = false;
        for model in rows.models {
            if !self.data.models.iter().any(|m| m.id == model.id) {
                self.data.put_model(model);
                added = true;
            }
        }
        for window in rows.windows {
            let known = self.data.windows(&window.model_id, &window.feature).iter().any(|w| w.start == window.start);
            if !known {
                self.data.put_window(window);
                added = true;
            }
        }
        for point in rows.quality {
            if !self.data.quality(&point.model_id).iter().any(|p| p.start == point.start) {
                self.data.put_quality(point);
                added = true;
            }
        }
        if added {
            self.rebuild(incidents);
        }
        added
    }

    /// Takes in synced data; returns whether anything on the tab changed. Only windows of the selected
    /// feature that arrived are recomputed.
    pub fn absorb<'a>(
        &mut self,
        models: Vec<Model>,
        windows: Vec<DriftWindow>,
        quality: Vec<QualityPoint>,
        incidents: impl Iterator<Item = IncidentSpan<'a>>,
    ) -> bool {
        if models.is_empty() && windows.is_empty() && quality.is_empty() {
            return false;
        }
        let selected = self.model().map(|m| m.id.clone()).zip(self.feature().map(|f| f.name.clone()));
        let models_changed = !models.is_empty();
        let mut touched = false;
        for window in windows {
            touched |= selected.as_ref().is_some_and(|(m, f)| *m == window.model_id && *f == window.feature);
            self.data.put_window(window);
        }
        for point in quality {
            self.data.put_quality(point);
        }
        for model in models {
            // A model sent again may carry a new reference sample: what was computed against the
            // old one no longer holds.
            if let Some(old) = self.data.models.iter().find(|m| m.id == model.id) {
                let stale: Vec<String> = old
                    .features
                    .iter()
                    .filter(|f| model.feature(&f.name).is_none_or(|new| new.reference != f.reference))
                    .map(|f| f.name.clone())
                    .collect();
                self.computed.retain(|(m, f, _), _| *m != model.id || !stale.contains(f));
            }
            self.data.put_model(model);
        }
        if models_changed || selected.is_none() {
            // Keep the selection by name when the model list changes.
            if let Some((model, feature)) = &selected {
                self.model = self.data.models.iter().position(|m| m.id == *model).unwrap_or(0);
                self.feature =
                    self.model().and_then(|m| m.features.iter().position(|f| f.name == *feature)).unwrap_or(0);
            }
            self.rebuild(incidents);
        } else if touched {
            self.refresh_series();
            self.clamp_cursor();
            self.rebuild_distribution();
        }
        true
    }

    /// The selected feature's windows with the statistics computed for their current sample size.
    fn refresh_series(&mut self) {
        let (Some(model), Some(feature)) = (self.model(), self.feature()) else {
            self.series.clear();
            return;
        };
        let series = self
            .data
            .windows(&model.id, &feature.name)
            .iter()
            .map(|w| {
                let n = w.current.len();
                let key = (model.id.clone(), feature.name.clone(), w.start);
                let stats = self.computed.get(&key).filter(|(m, _)| *m == n).map(|(_, s)| s.clone());
                SeriesPoint { start: w.start, end: w.end, n, stats }
            })
            .collect();
        self.series = series;
    }

    /// The statistics the series lacks, to compute away from the UI task; `None` when nothing is
    /// missing or a job is already out.
    pub fn take_job(&mut self) -> Option<DriftJob> {
        if self.in_flight {
            return None;
        }
        let (model, feature) = (self.model()?, self.feature()?);
        let windows = self.data.windows(&model.id, &feature.name);
        let missing: Vec<(DateTime<Utc>, Sample)> = self
            .series
            .iter()
            .filter(|p| p.stats.is_none())
            .filter_map(|p| windows.iter().find(|w| w.start == p.start).map(|w| (w.start, w.current.clone())))
            .collect();
        if missing.is_empty() {
            return None;
        }
        let job = DriftJob {
            model: model.id.clone(),
            feature: feature.name.clone(),
            reference: feature.reference.clone(),
            windows: missing,
        };
        self.in_flight = true;
        Some(job)
    }

    /// Keeps what a job computed; returns whether the series shown changed.
    pub fn accept(&mut self, results: DriftResults) -> bool {
        self.in_flight = false;
        let reference_known =
            self.data.models.iter().any(|m| m.id == results.model && m.feature(&results.feature).is_some());
        if !reference_known {
            return false;
        }
        for (start, n, stats) in results.windows {
            self.computed.insert((results.model.clone(), results.feature.clone(), start), (n, stats));
        }
        let before = self.series.iter().filter(|p| p.stats.is_some()).count();
        self.refresh_series();
        self.series.iter().filter(|p| p.stats.is_some()).count() != before
    }

    /// Computes everything missing right here (tests, benchmarks, and the first state built from data
    /// a test supplied).
    pub fn settle(&mut self) {
        while let Some(job) = self.take_job() {
            self.accept(job.run());
        }
    }

    fn rebuild_distribution(&mut self) {
        let window = match (self.model(), self.feature(), self.selected()) {
            (Some(m), Some(f), Some(p)) => {
                self.data.windows(&m.id, &f.name).iter().find(|w| w.start == p.start).map(|w| (f, w))
            }
            _ => None,
        };
        self.distribution = match window {
            Some((feature, w)) => distribution(&feature.reference, &w.current).map_err(|e| e.to_string()),
            None => Err("no window selected".into()),
        };
    }

    /// Keeps the maintenance windows whose occurrences are drawn as markers (call
    /// [`DriftTab::refresh_markers`] after).
    pub fn set_maintenance(&mut self, windows: &[crate::domain::maintenance::MaintenanceWindow]) {
        self.maintenance = windows.to_vec();
    }

    /// Redraws the incident markers after incidents changed.
    pub fn refresh_markers<'a>(&mut self, incidents: impl Iterator<Item = IncidentSpan<'a>>) {
        self.rebuild_markers(incidents);
    }

    /// Redraws the markers of `changed` incidents only (a sync page's): their old markers go,
    /// their new ones are merged in; the rest stay as they are.
    pub fn update_markers(&mut self, changed: &[IncidentSpan<'_>]) {
        let Some(service) = self.model().map(|m| m.service_id.clone()) else {
            self.markers.clear();
            return;
        };
        let ids: std::collections::HashSet<&str> = changed.iter().map(|i| i.id).collect();
        self.markers.retain(|m| m.kind != MarkerKind::Incident || !ids.contains(m.label.as_str()));
        let since = self.series.first().map(|p| p.start);
        let mut added: Vec<Marker> = Vec::new();
        for incident in changed {
            if added.iter().any(|m| m.label == incident.id) {
                continue;
            }
            if let Some(marker) = incident_marker(incident, &service, since) {
                added.push(marker);
            }
        }
        if added.is_empty() {
            return;
        }
        self.markers.extend(added);
        // Stable: the markers already in order stay in it, the new ones slot in.
        self.markers.sort_by(|a, b| a.at.cmp(&b.at).then(a.kind.cmp(&b.kind)));
    }

    fn rebuild_markers<'a>(&mut self, incidents: impl Iterator<Item = IncidentSpan<'a>>) {
        let Some(model) = self.model() else {
            self.markers.clear();
            return;
        };
        let since = self.series.first().map(|p| p.start);
        let mut markers: Vec<Marker> = model
            .versions
            .iter()
            .map(|v| Marker {
                kind: MarkerKind::Deploy,
                at: v.deployed_at,
                until: None,
                label: format!("v{}", v.version),
            })
            .collect();
        markers.extend(incidents.filter_map(|incident| incident_marker(&incident, &model.service_id, since)));
        if let (Some(first), Some(last)) = (self.series.first(), self.series.last()) {
            for window in self.maintenance.iter().filter(|w| w.affects(&model.service_id) || w.affects("llm-gateway")) {
                for o in window.occurrences(first.start, last.end) {
                    let label = format!("{} {}", window.id, window.kind.label());
                    markers.push(Marker { kind: MarkerKind::Maintenance, at: o.start, until: Some(o.end), label });
                }
            }
        }
        markers.sort_by(|a, b| a.at.cmp(&b.at).then(a.kind.cmp(&b.kind)));
        self.markers = markers;
    }

    /// Drops a cursor whose window is gone and keeps the cursor inside the visible range.
    fn clamp_cursor(&mut self) {
        if let Some(at) = self.cursor
            && !self.series.iter().any(|p| p.start == at)
        {
            self.cursor = None;
        }
        let Some(selected) = self.selected_index().map(|i| (self.series[i].start, self.series[i].end)) else {
            return;
        };
        if let Some((from, to)) = self.range() {
            if selected.0 < from {
                self.range_end = Some(selected.0 + self.span());
            } else if selected.1 > to {
                self.range_end = Some(selected.1);
            }
        }
        if self.range_end.is_some_and(|end| self.series.last().is_some_and(|p| end >= p.end)) {
            self.range_end = None;
        }
    }

    pub fn next_model<'a>(&mut self, step: isize, incidents: impl Iterator<Item = IncidentSpan<'a>>) {
        let n = self.data.models.len();
        if n == 0 {
            return;
        }
        self.model = (self.model as isize + step).rem_euclid(n as isize) as usize;
        self.feature = 0;
        self.cursor = None;
        self.range_end = None;
        self.rebuild(incidents);
    }

    pub fn next_feature<'a>(&mut self, step: isize, incidents: impl Iterator<Item = IncidentSpan<'a>>) {
        let n = self.model().map_or(0, |m| m.features.len());
        if n == 0 {
            return;
        }
        self.feature = (self.feature as isize + step).rem_euclid(n as isize) as usize;
        self.rebuild(incidents);
    }

    pub fn next_statistic(&mut self) {
        let all = Statistic::for_kind(self.kind());
        let i = all.iter().position(|s| *s == self.statistic).unwrap_or(0);
        self.statistic = all[(i + 1) % all.len()];
    }

    /// Moves the selected window by `step` windows; reaching the newest follows it again.
    pub fn move_cursor(&mut self, step: isize) {
        let Some(i) = self.selected_index() else { return };
        let last = self.series.len() - 1;
        let j = (i as isize + step).clamp(0, last as isize) as usize;
        self.cursor = (j != last).then(|| self.series[j].start);
        self.clamp_cursor();
        self.rebuild_distribution();
    }

    /// Back to the newest window.
    pub fn follow(&mut self) {
        self.cursor = None;
        self.range_end = None;
        self.rebuild_distribution();
    }

    /// `-1` zooms in (shorter span), `+1` out.
    pub fn zoom(&mut self, step: isize) {
        self.span = (self.span as isize + step).clamp(0, SPANS_HOURS.len() as isize - 1) as usize;
        self.clamp_cursor();
    }
}

/// The marker of an incident on the model's service (or the gateway every model sits behind),
/// unless it was resolved before the series starts.
fn incident_marker(incident: &IncidentSpan<'_>, service: &str, since: Option<DateTime<Utc>>) -> Option<Marker> {
    let relevant = incident.service_id == service || incident.service_id == "llm-gateway";
    if !relevant || since.is_some_and(|s| incident.resolved_at.is_some_and(|r| r < s)) {
        return None;
    }
    Some(Marker {
        kind: MarkerKind::Incident,
        at: incident.triggered_at,
        until: incident.resolved_at,
        label: incident.id.to_string(),
    })
}

#[cfg(test)]
mod tests;
