//! Models in production and what is watched about them: the features whose distribution may drift
//! away from the reference the model was built on, and the quality series that say whether it still
//! answers well.
//!
//! These are wire types (the Ops API serves them, the console caches them) and the pure rules that go
//! with them: which statistics a feature kind has, and the service-level objectives of quality series.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::drift::{self, Binning, DriftError};

mod quality;
pub use quality::{QualityMetric, QualityPoint, Slo};

/// A model in production, e.g. the support assistant behind `llm-gateway`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Model {
    /// Stable id, e.g. `support-assistant`.
    pub id: String,
    pub name: String,
    /// The service it runs behind; incidents on this service are drawn on its charts.
    pub service_id: String,
    /// Every version that went live, oldest first.
    pub versions: Vec<ModelVersion>,
    /// The monitored features, each with its reference sample.
    pub features: Vec<Feature>,
    /// Length of the drift and quality windows, in seconds (3600 for hourly).
    pub window_secs: i64,
    /// The configured source that feeds it (`prod-prometheus`); none for models put through the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Model {
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }

    /// The version live at `at`, if one was deployed by then.
    pub fn version_at(&self, at: DateTime<Utc>) -> Option<&ModelVersion> {
        self.versions.iter().rev().find(|v| v.deployed_at <= at)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelVersion {
    /// e.g. `2.3.0`.
    pub version: String,
    pub deployed_at: DateTime<Utc>,
    /// What changed, one line.
    pub note: String,
}

/// A monitored input or output feature and the sample it is compared against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Feature {
    /// e.g. `query_length`, `detected_intent`.
    pub name: String,
    pub description: String,
    /// The reference sample (what the model was built and validated on). Its kind is the feature's kind.
    pub reference: Sample,
}

impl Feature {
    pub fn kind(&self) -> FeatureKind {
        self.reference.kind()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    Numeric,
    Categorical,
    /// Counts per bucket only (a Prometheus histogram): no raw values.
    Histogram,
}

/// Observed values of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "values", rename_all = "snake_case")]
pub enum Sample {
    Numeric(Vec<f64>),
    Categorical(Vec<String>),
    /// Values counted into buckets: `counts[i]` fell in `(bounds[i-1], bounds[i]]` (the first
    /// from −∞), and the last count, one more than there are bounds, above the last bound (`+Inf`,
    /// which JSON cannot carry). Counts may be fractional (Prometheus's `increase`).
    Histogram {
        bounds: Vec<f64>,
        counts: Vec<f64>,
    },
}

impl Sample {
    pub fn kind(&self) -> FeatureKind {
        match self {
            Sample::Numeric(_) => FeatureKind::Numeric,
            Sample::Categorical(_) => FeatureKind::Categorical,
            Sample::Histogram { .. } => FeatureKind::Histogram,
        }
    }

    /// How many values the sample holds (a histogram's total count, rounded).
    pub fn len(&self) -> usize {
        match self {
            Sample::Numeric(v) => v.len(),
            Sample::Categorical(v) => v.len(),
            Sample::Histogram { counts, .. } => counts.iter().filter(|c| c.is_finite()).sum::<f64>().round() as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Sample::Histogram { counts, .. } => !counts.iter().any(|c| *c > 0.0),
            _ => self.len() == 0,
        }
    }

    /// Why this sample cannot be stored: empty, a non-finite number, an empty category, or
    /// buckets that do not fit their bounds.
    pub fn problem(&self) -> Option<String> {
        match self {
            Sample::Histogram { bounds, counts } => histogram_problem(bounds, counts),
            _ if self.is_empty() => Some("the sample is empty".into()),
            Sample::Numeric(v) => v.iter().position(|x| !x.is_finite()).map(|i| format!("value {i} is not finite")),
            Sample::Categorical(v) => {
                v.iter().position(|c| c.trim().is_empty()).map(|i| format!("category {i} is empty"))
            }
        }
    }
}

fn histogram_problem(bounds: &[f64], counts: &[f64]) -> Option<String> {
    if counts.len() != bounds.len() + 1 {
        return Some(format!("{} bounds need {} counts, not {}", bounds.len(), bounds.len() + 1, counts.len()));
    }
    if counts.len() > drift::MAX_BINS {
        return Some(format!("more than {} buckets", drift::MAX_BINS));
    }
    if let Some(i) = bounds.iter().position(|b| !b.is_finite()) {
        return Some(format!("bound {i} is not finite"));
    }
    if let Some(i) = bounds.windows(2).position(|w| w[0] >= w[1]) {
        return Some(format!("bound {} is not above bound {i}", i + 1));
    }
    if let Some(i) = counts.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
        return Some(format!("count {i} is negative or not finite"));
    }
    (!counts.iter().any(|c| *c > 0.0)).then(|| "the sample is empty".into())
}

/// The values of one feature seen in one window (e.g. one hour).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DriftWindow {
    pub model_id: String,
    pub feature: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The current sample; while the window is still open it grows and is sent again.
    pub current: Sample,
}

impl DriftWindow {
    /// `model/feature/start-seconds`: one window per feature and start.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.model_id, self.feature, self.start.timestamp())
    }
}

/// Everything known about the monitored models at once: the models, their features' windows and
/// their quality points (windows and points oldest first), as the console's cache keeps them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonitoringRows {
    pub models: Vec<Model>,
    pub windows: Vec<DriftWindow>,
    pub quality: Vec<QualityPoint>,
}

/// Statistics the Drift tab can chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Statistic {
    Psi,
    /// KS p-value (numeric) or χ² p-value (categorical, histogram): low means drift.
    PValue,
    JsDistance,
    /// Numeric only.
    Wasserstein,
}

impl Statistic {
    /// The statistics a feature kind has, in the order `s` cycles through them.
    pub fn for_kind(kind: FeatureKind) -> &'static [Statistic] {
        match kind {
            FeatureKind::Numeric => &[Statistic::Psi, Statistic::PValue, Statistic::JsDistance, Statistic::Wasserstein],
            FeatureKind::Categorical | FeatureKind::Histogram => {
                &[Statistic::Psi, Statistic::PValue, Statistic::JsDistance]
            }
        }
    }

    pub fn label(self, kind: FeatureKind) -> &'static str {
        match (self, kind) {
            (Statistic::Psi, _) => "PSI",
            (Statistic::PValue, FeatureKind::Numeric) => "KS p-value",
            (Statistic::PValue, FeatureKind::Categorical | FeatureKind::Histogram) => "χ² p-value",
            (Statistic::JsDistance, _) => "JS distance",
            (Statistic::Wasserstein, _) => "Wasserstein-1",
        }
    }
}

/// How a statistic's value reads: no drift, possible drift, or drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DriftBand {
    Stable,
    Moderate,
    Significant,
}

impl DriftBand {
    pub fn label(self) -> &'static str {
        match self {
            DriftBand::Stable => "stable",
            DriftBand::Moderate => "moderate",
            DriftBand::Significant => "significant",
        }
    }
}

/// The thresholds of the drift bands (the `[drift]` table of the config).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftBands {
    /// PSI at or above this is moderate (default 0.1).
    pub psi_moderate: f64,
    /// PSI at or above this is significant (default 0.25).
    pub psi_significant: f64,
    /// A p-value at or below this is possible drift (default 0.15).
    pub pvalue_possible: f64,
    /// A p-value below this is drift (default 0.05).
    pub pvalue_drift: f64,
}

impl Default for DriftBands {
    fn default() -> Self {
        DriftBands { psi_moderate: 0.1, psi_significant: 0.25, pvalue_possible: 0.15, pvalue_drift: 0.05 }
    }
}

impl DriftBands {
    /// The band of `value`; statistics without bands (JS, Wasserstein) have none.
    pub fn band(&self, statistic: Statistic, value: f64) -> Option<DriftBand> {
        match statistic {
            Statistic::Psi if value >= self.psi_significant => Some(DriftBand::Significant),
            Statistic::Psi if value >= self.psi_moderate => Some(DriftBand::Moderate),
            Statistic::Psi => Some(DriftBand::Stable),
            Statistic::PValue if value < self.pvalue_drift => Some(DriftBand::Significant),
            Statistic::PValue if value <= self.pvalue_possible => Some(DriftBand::Moderate),
            Statistic::PValue => Some(DriftBand::Stable),
            Statistic::JsDistance | Statistic::Wasserstein => None,
        }
    }

    /// The band edges of a statistic, to draw as lines.
    pub fn thresholds(&self, statistic: Statistic) -> Vec<(f64, DriftBand)> {
        match statistic {
            Statistic::Psi => {
                vec![(self.psi_moderate, DriftBand::Moderate), (self.psi_significant, DriftBand::Significant)]
            }
            Statistic::PValue => {
                vec![(self.pvalue_possible, DriftBand::Moderate), (self.pvalue_drift, DriftBand::Significant)]
            }
            Statistic::JsDistance | Statistic::Wasserstein => Vec::new(),
        }
    }

    /// Why these thresholds make no sense, if they do not.
    pub fn problem(&self) -> Option<String> {
        let all = [self.psi_moderate, self.psi_significant, self.pvalue_possible, self.pvalue_drift];
        if all.iter().any(|v| !v.is_finite() || *v < 0.0) {
            Some("thresholds must be finite and not negative".into())
        } else if self.psi_moderate >= self.psi_significant {
            Some("psi_moderate must be below psi_significant".into())
        } else if !(self.pvalue_drift < self.pvalue_possible && self.pvalue_possible <= 1.0) {
            Some("pvalue_drift must be below pvalue_possible, and both at most 1".into())
        } else {
            None
        }
    }
}

/// Bins used for numeric PSI and JS in the console.
pub const CONSOLE_BINS: usize = 10;

/// Every statistic of one window against its reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowStats {
    pub psi: f64,
    /// KS (numeric) or χ² (categorical, histogram) p-value.
    pub pvalue: f64,
    /// KS D or χ² statistic.
    pub test_statistic: f64,
    pub js_distance: f64,
    pub wasserstein: Option<f64>,
}

impl WindowStats {
    pub fn get(&self, statistic: Statistic) -> Option<f64> {
        match statistic {
            Statistic::Psi => Some(self.psi),
            Statistic::PValue => Some(self.pvalue),
            Statistic::JsDistance => Some(self.js_distance),
            Statistic::Wasserstein => self.wasserstein,
        }
    }
}

/// Why two samples cannot be compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareError {
    #[error("the window is {current:?} but the reference is {reference:?}")]
    KindMismatch { reference: FeatureKind, current: FeatureKind },
    #[error("the window's buckets are not the reference's (its bounds differ)")]
    BoundsMismatch,
    #[error(transparent)]
    Drift(#[from] DriftError),
}

/// The counts of two histograms over the same bounds.
fn same_buckets<'a>(
    (rb, rc): (&[f64], &'a [f64]),
    (cb, cc): (&[f64], &'a [f64]),
) -> Result<(&'a [f64], &'a [f64]), CompareError> {
    if rb != cb {
        return Err(CompareError::BoundsMismatch);
    }
    Ok((rc, cc))
}

/// Compares a window with its reference: equal-width bins (numeric), categories (categorical),
/// the buckets themselves (histogram: PSI, χ² and JS over the counts; no KS or Wasserstein, which
/// need raw values).
pub fn window_stats(reference: &Sample, current: &Sample) -> Result<WindowStats, CompareError> {
    match (reference, current) {
        (Sample::Histogram { bounds: rb, counts: rc }, Sample::Histogram { bounds: cb, counts: cc }) => {
            let (r, c) = same_buckets((rb, rc), (cb, cc))?;
            let chi2 = drift::chi2_counts(r, c)?;
            Ok(WindowStats {
                psi: drift::psi_counts(r, c)?.value,
                pvalue: chi2.pvalue,
                test_statistic: chi2.statistic,
                js_distance: drift::js_counts(r, c, None)?,
                wasserstein: None,
            })
        }
        (Sample::Numeric(r), Sample::Numeric(c)) => {
            let ks = drift::ks_2samp(r, c)?;
            let psi = drift::psi(r, c, CONSOLE_BINS, Binning::EqualWidth)?;
            Ok(WindowStats {
                psi: psi.value,
                pvalue: ks.pvalue,
                test_statistic: ks.statistic,
                js_distance: drift::js_distance(r, c, CONSOLE_BINS, Binning::EqualWidth, None)?,
                wasserstein: Some(drift::wasserstein_distance(r, c)?),
            })
        }
        (Sample::Categorical(r), Sample::Categorical(c)) => {
            let (r, c): (Vec<&str>, Vec<&str>) =
                (r.iter().map(String::as_str).collect(), c.iter().map(String::as_str).collect());
            let chi2 = drift::chi2_categorical(&r, &c)?;
            Ok(WindowStats {
                psi: drift::psi_categorical(&r, &c)?,
                pvalue: chi2.pvalue,
                test_statistic: chi2.statistic,
                js_distance: drift::js_categorical(&r, &c, None)?,
                wasserstein: None,
            })
        }
        (r, c) => Err(CompareError::KindMismatch { reference: r.kind(), current: c.kind() }),
    }
}

/// One row of the distribution view: a bin (numeric) or a category.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionRow {
    pub label: String,
    pub reference_share: f64,
    pub current_share: f64,
    /// This row's term of the PSI sum.
    pub psi_contribution: f64,
}

/// Reference and current shares side by side, with each row's PSI contribution.
pub fn distribution(reference: &Sample, current: &Sample) -> Result<Vec<DistributionRow>, CompareError> {
    match (reference, current) {
        (Sample::Histogram { bounds, counts: rc }, Sample::Histogram { bounds: cb, counts: cc }) => {
            let (r, c) = same_buckets((bounds, rc), (cb, cc))?;
            let psi = drift::psi_counts(r, c)?;
            Ok((0..r.len())
                .map(|i| DistributionRow {
                    label: match (i.checked_sub(1).map(|j| bounds[j]), bounds.get(i)) {
                        (None, Some(hi)) => format!("≤ {}", short(*hi)),
                        (Some(lo), None) => format!("> {}", short(lo)),
                        (Some(lo), Some(hi)) => format!("{}–{}", short(lo), short(*hi)),
                        (None, None) => "all".to_string(),
                    },
                    reference_share: psi.reference_shares[i],
                    current_share: psi.current_shares[i],
                    psi_contribution: psi.contributions[i],
                })
                .collect())
        }
        (Sample::Numeric(r), Sample::Numeric(c)) => {
            let psi = drift::psi(r, c, CONSOLE_BINS, Binning::EqualWidth)?;
            let bins = psi.reference_shares.len();
            Ok((0..bins)
                .map(|i| {
                    let label = match (i.checked_sub(1).map(|j| psi.edges[j]), psi.edges.get(i)) {
                        (None, Some(hi)) => format!("< {}", short(*hi)),
                        (Some(lo), None) => format!("≥ {}", short(lo)),
                        (Some(lo), Some(hi)) => format!("{}–{}", short(lo), short(*hi)),
                        (None, None) => "all".to_string(),
                    };
                    DistributionRow {
                        label,
                        reference_share: psi.reference_shares[i],
                        current_share: psi.current_shares[i],
                        psi_contribution: psi.contributions[i],
                    }
                })
                .collect())
        }
        (Sample::Categorical(r), Sample::Categorical(c)) => {
            let (r, c): (Vec<&str>, Vec<&str>) =
                (r.iter().map(String::as_str).collect(), c.iter().map(String::as_str).collect());
            let detail = drift::psi_categories(&r, &c)?;
            Ok(detail
                .categories
                .into_iter()
                .enumerate()
                .map(|(i, label)| DistributionRow {
                    label,
                    reference_share: detail.reference_shares[i],
                    current_share: detail.current_shares[i],
                    psi_contribution: detail.contributions[i],
                })
                .collect())
        }
        (r, c) => Err(CompareError::KindMismatch { reference: r.kind(), current: c.kind() }),
    }
}

/// A bin edge in at most four significant figures.
fn short(x: f64) -> String {
    let a = x.abs();
    if a >= 1000.0 || (a > 0.0 && a < 0.01) {
        format!("{x:.3e}")
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

#[cfg(test)]
mod tests;
