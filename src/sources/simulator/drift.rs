//! The demo's model monitoring: two models in production, their feature windows and quality
//! series, with drift worth looking at.
//!
//! Pure and deterministic: everything is a function of the seed, the `origin` (the moment the demo
//! started; deploys and drift are placed relative to it, so the demo always looks the same relative
//! to now) and the incidents passed in. Each window draws its values from a generator seeded by
//! (seed, model, feature, window start), and value `i` of a window stands for the moment
//! `start + (i + ½) / N` of it, so a partly filled window is exactly the first values of the full one
//! and regenerating a window gives it again unchanged.
//!
//! The story, in hours before the origin:
//! - `query_length` grows steadily over the last 48 h (PSI from < 0.1 to ≥ 0.25);
//! - an intent the reference never had, `agent_handoff`, appears 20 h before and keeps growing;
//! - support-assistant 2.3.0 (30 h before, a new embedding model) moves `embedding_norm` at once, and
//!   doc-summariser 1.5.0 (8 h before) moves `ocr_confidence`;
//! - while an incident on the model's service or on `llm-gateway` is open, latency, errors and
//!   timeouts spike, retrieval scores dip and customers are less happy.

use chrono::{DateTime, Duration, DurationRound, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::{DriftWindow, Feature, Incident, Model, ModelVersion, QualityPoint, Sample};

#[cfg(test)]
mod tests;

pub const SUPPORT_ASSISTANT: &str = "support-assistant";
pub const DOC_SUMMARISER: &str = "doc-summariser";
/// Incidents on this service hurt every model behind it.
const GATEWAY: &str = "llm-gateway";

/// Values in a reference sample.
pub const REFERENCE_SIZE: usize = 1000;
/// Values in a full window (± 20).
pub const WINDOW_SIZE: usize = 300;
/// Values in a window that has barely started.
pub const MIN_WINDOW_VALUES: usize = 20;
/// Hours before the origin at which `query_length` starts to grow.
pub const QUERY_DRIFT_HOURS: f64 = 48.0;
/// Hours before the origin at which `agent_handoff` first appears.
pub const HANDOFF_HOURS: f64 = 20.0;
/// Hours before the origin at which support-assistant 2.3.0 went live.
pub const SUPPORT_DEPLOY_HOURS: i64 = 30;
/// Hours before the origin at which doc-summariser 1.5.0 went live.
pub const DOCS_DEPLOY_HOURS: i64 = 8;

/// Models with their history, as seeded into a new store.
#[derive(Debug, Clone, PartialEq)]
pub struct Monitoring {
    pub models: Vec<Model>,
    pub windows: Vec<DriftWindow>,
    pub quality: Vec<QualityPoint>,
}

/// Models plus `hours` of hourly history ending at the hour that contains `now` (that last window
/// partly filled, in proportion to how far `now` is into the hour). `now` is also the origin the
/// story is told relative to.
pub fn demo_monitoring(seed: u64, now: DateTime<Utc>, hours: i64, incidents: &[Incident]) -> Monitoring {
    let sim = DriftSim::new(seed, now);
    let models = sim.models();
    let current = hour_start(now);
    let mut windows = Vec::new();
    let mut quality = Vec::new();
    for model in &models {
        for back in (0..hours.max(0)).rev() {
            let start = current - Duration::hours(back);
            let fill = if back == 0 { fill_at(start, now) } else { 1.0 };
            for feature in &model.features {
                windows.extend(sim.window(model, &feature.name, start, fill, incidents));
            }
            quality.push(sim.quality(model, start, fill, incidents));
        }
    }
    Monitoring { models, windows, quality }
}

/// The start of the hour that contains `at`.
pub fn hour_start(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::hours(1)).unwrap_or(at)
}

/// How much of the hour starting at `start` has passed at `now`, 0–1.
pub fn fill_at(start: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    ((now - start).num_milliseconds() as f64 / 3_600_000.0).clamp(0.0, 1.0)
}

/// The generator behind [`demo_monitoring`], also used by the runner for live windows.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftSim {
    seed: u64,
    origin: DateTime<Utc>,
}

impl DriftSim {
    pub fn new(seed: u64, origin: DateTime<Utc>) -> DriftSim {
        DriftSim { seed, origin }
    }

    pub fn origin(&self) -> DateTime<Utc> {
        self.origin
    }

    /// The origin a store seeded by this simulator was seeded with, read back from the deploy time
    /// of support-assistant 2.3.0, so a restarted server continues the same story.
    pub fn origin_of(models: &[Model]) -> Option<DateTime<Utc>> {
        let model = models.iter().find(|m| m.id == SUPPORT_ASSISTANT)?;
        let version = model.versions.iter().find(|v| v.version == "2.3.0")?;
        Some(version.deployed_at + Duration::hours(SUPPORT_DEPLOY_HOURS))
    }

    /// Hours from the origin to `at` (negative before it).
    fn hours(&self, at: DateTime<Utc>) -> f64 {
        (at - self.origin).num_milliseconds() as f64 / 3_600_000.0
    }

    fn rng(&self, parts: &[&str]) -> ChaCha8Rng {
        let mut hash = fnv1a(0xcbf2_9ce4_8422_2325, &self.seed.to_le_bytes());
        for part in parts {
            hash = fnv1a(hash, part.as_bytes());
            hash = fnv1a(hash, &[0xff]);
        }
        ChaCha8Rng::seed_from_u64(hash)
    }

    /// The two demo models with their reference samples.
    pub fn models(&self) -> Vec<Model> {
        let version = |version: &str, days: i64, hours: i64, note: &str| ModelVersion {
            version: version.into(),
            deployed_at: self.origin - Duration::days(days) - Duration::hours(hours),
            note: note.into(),
        };
        let support = Model {
            id: SUPPORT_ASSISTANT.into(),
            name: "Support assistant".into(),
            service_id: "support-assistant".into(),
            versions: vec![
                version("2.2.0", 12, 0, "intent router retrained on Q3 conversations"),
                version("2.3.0", 0, SUPPORT_DEPLOY_HOURS, "new embedding model text-embed-3"),
            ],
            features: vec![
                self.feature(SUPPORT_ASSISTANT, "query_length", "Length of the customer's message, in tokens"),
                self.feature(SUPPORT_ASSISTANT, "retrieval_score", "Similarity of the best retrieved passage, 0–1"),
                self.feature(SUPPORT_ASSISTANT, "embedding_norm", "L2 norm of the query embedding"),
                self.feature(SUPPORT_ASSISTANT, "detected_intent", "Intent the router assigned"),
                self.feature(SUPPORT_ASSISTANT, "language", "Detected language of the conversation"),
            ],
            window_secs: 3600,
            source: None,
        };
        let docs = Model {
            id: DOC_SUMMARISER.into(),
            name: "Document summariser".into(),
            service_id: "doc-processor".into(),
            versions: vec![
                version("1.4.0", 20, 0, "summaries capped at 200 words"),
                version("1.5.0", 0, DOCS_DEPLOY_HOURS, "new OCR engine for scanned documents"),
            ],
            features: vec![
                self.feature(DOC_SUMMARISER, "page_count", "Pages in the submitted document"),
                self.feature(DOC_SUMMARISER, "ocr_confidence", "Mean OCR confidence over the document, 0–1"),
                self.feature(DOC_SUMMARISER, "document_type", "Document class assigned on intake"),
            ],
            window_secs: 3600,
            source: None,
        };
        vec![support, docs]
    }

    fn feature(&self, model: &str, name: &str, description: &str) -> Feature {
        let mut rng = self.rng(&[model, name, "reference"]);
        let kind = FeatureGen::of(model, name).unwrap_or(FeatureGen::Language);
        let reference = kind.sample(&mut rng, &vec![Conditions::REFERENCE; REFERENCE_SIZE]);
        Feature { name: name.into(), description: description.into(), reference }
    }

    /// The window of `feature` starting at `start`, `fill` (0–1) of the way through; `None` for a
    /// model or feature this simulator does not generate.
    pub fn window(
        &self,
        model: &Model,
        feature: &str,
        start: DateTime<Utc>,
        fill: f64,
        incidents: &[Incident],
    ) -> Option<DriftWindow> {
        let generator = FeatureGen::of(&model.id, feature)?;
        let secs = model.window_secs.max(1);
        let mut rng = self.rng(&[&model.id, feature, &start.timestamp().to_string()]);
        let full = rng.random_range(WINDOW_SIZE - 20..=WINDOW_SIZE + 20);
        let outages = outages(model, incidents);
        let conditions: Vec<Conditions> = (0..full)
            .map(|i| {
                let at = start + Duration::milliseconds(((i as f64 + 0.5) / full as f64 * secs as f64 * 1000.0) as i64);
                self.conditions(model, at, outages.iter().any(|(from, to)| *from <= at && at < *to))
            })
            .collect();
        let n = ((fill.clamp(0.0, 1.0) * full as f64).round() as usize).clamp(MIN_WINDOW_VALUES, full);
        let current = generator.sample(&mut rng, &conditions[..n]);
        let end = start + Duration::seconds(secs);
        Some(DriftWindow { model_id: model.id.clone(), feature: feature.into(), start, end, current })
    }

    fn conditions(&self, model: &Model, at: DateTime<Utc>, outage: bool) -> Conditions {
        let h = self.hours(at);
        // Past the origin the story keeps going for a day, then holds.
        let drift = |from: f64| ((h + from) / from).clamp(0.0, 1.0 + 24.0 / from);
        let deployed =
            model.versions.len() > 1 && model.version_at(at).is_some_and(|v| Some(v) == model.versions.last());
        Conditions { query_growth: drift(QUERY_DRIFT_HOURS), handoff: drift(HANDOFF_HOURS), deployed, outage }
    }

    /// The model's quality over the window starting at `start`, `fill` (0–1) of the way through.
    pub fn quality(&self, model: &Model, start: DateTime<Utc>, fill: f64, incidents: &[Incident]) -> QualityPoint {
        let secs = model.window_secs.max(1);
        let fill = fill.clamp(0.0, 1.0);
        let end = start + Duration::seconds(secs);
        let elapsed_end = start + Duration::milliseconds((fill * secs as f64 * 1000.0).max(1000.0) as i64);
        let mid = start + (elapsed_end - start) / 2;
        let mut rng = self.rng(&[&model.id, "quality", &start.timestamp().to_string()]);
        let mut noise = |sd: f64| normal(&mut rng) * sd;
        let c = self.conditions(model, mid, false);
        // How much of the elapsed part of the window an outage covered.
        let span = (elapsed_end - start).num_milliseconds().max(1) as f64;
        let outages = outages(model, incidents);
        let covered: f64 = outages
            .iter()
            .map(|(from, to)| ((*to).min(elapsed_end) - (*from).max(start)).num_milliseconds().max(0) as f64)
            .sum::<f64>()
            .min(span);
        let overlaps = outages.iter().any(|(from, to)| *from < elapsed_end && *to > start);
        let severity = if overlaps { 0.3 + 0.7 * covered / span } else { 0.0 };
        let support = model.id == SUPPORT_ASSISTANT;

        let hour = (start.timestamp().rem_euclid(86_400) / 3600) as f64;
        let daily = 1.0 + 0.35 * ((hour - 9.0) / 24.0 * std::f64::consts::TAU).cos();
        let base_requests = if support { 2400.0 } else { 380.0 };
        let requests = (base_requests * daily * (1.0 + noise(0.05)) * fill).round().max(1.0);

        let (p50, p95) = if support { (420.0, 780.0) } else { (360.0, 840.0) };
        let latency_p50 = p50 + noise(25.0) + severity * 450.0;
        let latency_p95 = if overlaps { 1250.0 + 1500.0 * severity + noise(80.0).abs() } else { p95 + noise(50.0) };
        let error_rate =
            if overlaps { 0.015 + 0.05 * severity + noise(0.003).abs() } else { 0.003 + noise(0.001).abs() };
        let timeout_share = if overlaps { 0.008 + 0.02 * severity } else { 0.0008 };
        let timeouts = (requests * timeout_share * (1.0 + noise(0.2))).round().max(0.0);

        let mean_query = (QUERY_MU + QUERY_SHIFT * c.query_growth + QUERY_SIGMA * QUERY_SIGMA / 2.0).exp();
        let handoff = if support { HANDOFF_SHARE * c.handoff } else { 0.0 };
        let base_hallucination = match (support, c.deployed) {
            (true, false) => 0.011,
            (true, true) => 0.0165,
            (false, false) => 0.008,
            (false, true) => 0.012,
        };
        let hallucination = base_hallucination + severity * 0.012 + noise(0.0025);
        let (escalation, misclassified, base_csat, tokens) = if support {
            (0.06 + 0.9 * handoff, 0.035 + 0.6 * handoff, 4.32, 350.0 + 4.0 * mean_query)
        } else {
            (0.02, 0.018, 4.38, 2300.0)
        };
        let escalation = escalation + severity * 0.03 + noise(0.004);
        let misclassified = misclassified + noise(0.003);
        let hurt = 2.5 * handoff + 1.1 * severity + 8.0 * (hallucination - 0.011).max(0.0);
        let csat = base_csat - hurt + noise(0.04);
        let tokens = tokens * (1.0 + noise(0.02));
        let cost = match (support, c.deployed) {
            (true, false) => 0.0021,
            (true, true) => 0.0018,
            (false, false) => 0.0032,
            (false, true) => 0.0027,
        } * (1.0 + noise(0.01));

        let share = |x: f64| round(x.clamp(0.0, 1.0), 4);
        QualityPoint {
            model_id: model.id.clone(),
            start,
            end,
            requests: Some(requests as u64),
            hallucination_rate: Some(share(hallucination)),
            csat: Some(round(csat.clamp(1.0, 5.0), 2)),
            escalation_rate: Some(share(escalation)),
            intent_misclassification_rate: Some(share(misclassified)),
            latency_p50_ms: Some(round(latency_p50.max(1.0), 0)),
            latency_p95_ms: Some(round(latency_p95.max(latency_p50).max(1.0), 0)),
            error_rate: Some(share(error_rate)),
            timeouts: Some(timeouts as u64),
            tokens_per_request: Some(round(tokens.max(1.0), 1)),
            cost_per_1k_tokens: Some(round(cost.max(0.0), 5)),
        }
    }
}

/// What shapes a value: where the drift story is at its moment, and whether an outage is on.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Conditions {
    /// 0 before `query_length` starts growing, 1 at the origin.
    query_growth: f64,
    /// 0 before `agent_handoff` appears, 1 at the origin.
    handoff: f64,
    /// The model's latest version is live.
    deployed: bool,
    outage: bool,
}

impl Conditions {
    const REFERENCE: Conditions = Conditions { query_growth: 0.0, handoff: 0.0, deployed: false, outage: false };
}

/// Log-normal parameters of `query_length` (median e^μ ≈ 40 tokens) and how far μ moves by the origin.
const QUERY_MU: f64 = 3.69;
const QUERY_SIGMA: f64 = 0.42;
const QUERY_SHIFT: f64 = 0.28;
/// Share of `agent_handoff` among intents at the origin.
const HANDOFF_SHARE: f64 = 0.12;

const INTENTS: &[(&str, f64)] = &[
    ("billing", 0.27),
    ("technical", 0.24),
    ("how_to", 0.19),
    ("account", 0.15),
    ("complaint", 0.08),
    ("cancellation", 0.05),
    ("feedback", 0.02),
];
const LANGUAGES: &[(&str, f64)] =
    &[("en", 0.61), ("de", 0.12), ("fr", 0.1), ("es", 0.08), ("it", 0.04), ("nl", 0.03), ("pt", 0.02)];
const DOCUMENT_TYPES: &[(&str, f64)] =
    &[("invoice", 0.34), ("contract", 0.21), ("receipt", 0.19), ("letter", 0.14), ("form", 0.12)];

/// How the values of each demo feature are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FeatureGen {
    QueryLength,
    RetrievalScore,
    EmbeddingNorm,
    DetectedIntent,
    Language,
    PageCount,
    OcrConfidence,
    DocumentType,
}

impl FeatureGen {
    fn of(model: &str, feature: &str) -> Option<FeatureGen> {
        Some(match (model, feature) {
            (SUPPORT_ASSISTANT, "query_length") => FeatureGen::QueryLength,
            (SUPPORT_ASSISTANT, "retrieval_score") => FeatureGen::RetrievalScore,
            (SUPPORT_ASSISTANT, "embedding_norm") => FeatureGen::EmbeddingNorm,
            (SUPPORT_ASSISTANT, "detected_intent") => FeatureGen::DetectedIntent,
            (SUPPORT_ASSISTANT, "language") => FeatureGen::Language,
            (DOC_SUMMARISER, "page_count") => FeatureGen::PageCount,
            (DOC_SUMMARISER, "ocr_confidence") => FeatureGen::OcrConfidence,
            (DOC_SUMMARISER, "document_type") => FeatureGen::DocumentType,
            _ => return None,
        })
    }

    /// One value per entry of `conditions`, in order.
    fn sample(self, rng: &mut ChaCha8Rng, conditions: &[Conditions]) -> Sample {
        let numeric = |rng: &mut ChaCha8Rng, f: &dyn Fn(&mut ChaCha8Rng, &Conditions) -> f64| {
            Sample::Numeric(conditions.iter().map(|c| f(rng, c)).collect())
        };
        let categorical = |rng: &mut ChaCha8Rng, f: &dyn Fn(&mut ChaCha8Rng, &Conditions) -> &'static str| {
            Sample::Categorical(conditions.iter().map(|c| f(rng, c).to_string()).collect())
        };
        match self {
            FeatureGen::QueryLength => numeric(rng, &|rng, c| {
                let mu = QUERY_MU + QUERY_SHIFT * c.query_growth;
                (mu + QUERY_SIGMA * normal(rng)).exp().round().clamp(1.0, 4000.0)
            }),
            FeatureGen::RetrievalScore => numeric(rng, &|rng, c| {
                let (mean, sd) = if c.outage { (0.61, 0.11) } else { (0.78, 0.07) };
                round((mean + sd * normal(rng)).clamp(0.0, 1.0), 3)
            }),
            FeatureGen::EmbeddingNorm => numeric(rng, &|rng, c| {
                let (mean, sd) = if c.deployed { (22.4, 0.95) } else { (21.4, 1.1) };
                round((mean + sd * normal(rng)).max(0.0), 2)
            }),
            FeatureGen::PageCount => numeric(rng, &|rng, _| (1.8 + 0.75 * normal(rng)).exp().round().clamp(1.0, 400.0)),
            FeatureGen::OcrConfidence => numeric(rng, &|rng, c| {
                let (mean, sd) = if c.deployed { (0.885, 0.05) } else { (0.93, 0.035) };
                round((mean + sd * normal(rng)).clamp(0.0, 1.0), 3)
            }),
            FeatureGen::DetectedIntent => categorical(rng, &|rng, c| {
                if rng.random::<f64>() < HANDOFF_SHARE * c.handoff { "agent_handoff" } else { pick(rng, INTENTS) }
            }),
            FeatureGen::Language => categorical(rng, &|rng, _| pick(rng, LANGUAGES)),
            FeatureGen::DocumentType => categorical(rng, &|rng, _| pick(rng, DOCUMENT_TYPES)),
        }
    }
}

/// Open periods of the incidents that hurt `model`: on its service or on the gateway in front of
/// it; an incident still open lasts until it is resolved.
fn outages(model: &Model, incidents: &[Incident]) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    incidents
        .iter()
        .filter(|i| i.service_id == model.service_id || i.service_id == GATEWAY)
        .map(|i| (i.triggered_at, i.resolved_at.unwrap_or(DateTime::<Utc>::MAX_UTC)))
        .collect()
}

fn pick(rng: &mut ChaCha8Rng, weights: &[(&'static str, f64)]) -> &'static str {
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random::<f64>() * total;
    for (name, weight) in weights {
        if roll < *weight {
            return name;
        }
        roll -= weight;
    }
    weights[weights.len() - 1].0
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// FNV-1a, so a window's generator does not depend on the standard library's hasher.
fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
