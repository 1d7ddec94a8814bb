//! Quality series of a model: one [`QualityPoint`] per window, the [`QualityMetric`]s it holds and
//! their service-level objectives ([`Slo`]).
//!
//! A metric the backend has no value for in a window (Prometheus returned no sample, the exporter
//! was down) is `None`: missing, never a zero. Charts draw a gap there and summaries skip it. On the
//! wire a missing metric is absent (or `null`); documents written before metrics could be missing
//! carry every number and still read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A model's quality over one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QualityPoint {
    pub model_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// Share of audited answers that stated something unsupported (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hallucination_rate: Option<f64>,
    /// Mean customer satisfaction, 1–5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat: Option<f64>,
    /// Share of conversations handed to a human (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation_rate: Option<f64>,
    /// Share of requests routed to the wrong intent (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_misclassification_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p95_ms: Option<f64>,
    /// Share of requests that failed (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_request: Option<f64>,
    /// US dollars per 1,000 tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_1k_tokens: Option<f64>,
}

impl QualityPoint {
    /// A point of `model_id` over `start..end` with every metric missing.
    pub fn empty(model_id: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        QualityPoint {
            model_id: model_id.to_string(),
            start,
            end,
            requests: None,
            hallucination_rate: None,
            csat: None,
            escalation_rate: None,
            intent_misclassification_rate: None,
            latency_p50_ms: None,
            latency_p95_ms: None,
            error_rate: None,
            timeouts: None,
            tokens_per_request: None,
            cost_per_1k_tokens: None,
        }
    }

    /// `model/start-seconds`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.model_id, self.start.timestamp())
    }

    /// The metric's value in this window, `None` when it is missing.
    pub fn get(&self, metric: QualityMetric) -> Option<f64> {
        match metric {
            QualityMetric::HallucinationRate => self.hallucination_rate,
            QualityMetric::Csat => self.csat,
            QualityMetric::EscalationRate => self.escalation_rate,
            QualityMetric::IntentMisclassification => self.intent_misclassification_rate,
            QualityMetric::LatencyP50 => self.latency_p50_ms,
            QualityMetric::LatencyP95 => self.latency_p95_ms,
            QualityMetric::ErrorRate => self.error_rate,
            QualityMetric::Timeouts => self.timeouts.map(|t| t as f64),
            QualityMetric::TokensPerRequest => self.tokens_per_request,
            QualityMetric::CostPer1k => self.cost_per_1k_tokens,
        }
    }

    /// Sets the metric's value (a timeout count is rounded to a whole number, not below zero).
    pub fn set(&mut self, metric: QualityMetric, value: Option<f64>) {
        let count = |v: Option<f64>| v.map(|v| v.round().max(0.0) as u64);
        match metric {
            QualityMetric::HallucinationRate => self.hallucination_rate = value,
            QualityMetric::Csat => self.csat = value,
            QualityMetric::EscalationRate => self.escalation_rate = value,
            QualityMetric::IntentMisclassification => self.intent_misclassification_rate = value,
            QualityMetric::LatencyP50 => self.latency_p50_ms = value,
            QualityMetric::LatencyP95 => self.latency_p95_ms = value,
            QualityMetric::ErrorRate => self.error_rate = value,
            QualityMetric::Timeouts => self.timeouts = count(value),
            QualityMetric::TokensPerRequest => self.tokens_per_request = value,
            QualityMetric::CostPer1k => self.cost_per_1k_tokens = value,
        }
    }

    /// Why this point cannot be stored, if a figure present is out of its range.
    pub fn problem(&self) -> Option<String> {
        if self.end <= self.start {
            return Some("the window ends before it starts".into());
        }
        QualityMetric::ALL.iter().find_map(|m| {
            let v = self.get(*m)?;
            let (lo, hi) = m.range();
            (!(v.is_finite() && (lo..=hi).contains(&v))).then(|| format!("{} = {v} is outside {lo}–{hi}", m.label()))
        })
    }
}

/// A quality series of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QualityMetric {
    HallucinationRate,
    Csat,
    EscalationRate,
    IntentMisclassification,
    LatencyP50,
    LatencyP95,
    ErrorRate,
    Timeouts,
    TokensPerRequest,
    CostPer1k,
}

/// A service-level objective on a quality series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slo {
    /// Met while the value stays below the bound.
    Below(f64),
    /// Met while the value is at least the bound.
    AtLeast(f64),
}

impl Slo {
    pub fn bound(self) -> f64 {
        match self {
            Slo::Below(b) | Slo::AtLeast(b) => b,
        }
    }

    pub fn breached_by(self, value: f64) -> bool {
        match self {
            Slo::Below(b) => value >= b,
            Slo::AtLeast(b) => value < b,
        }
    }
}

impl QualityMetric {
    pub const ALL: [QualityMetric; 10] = [
        QualityMetric::LatencyP95,
        QualityMetric::ErrorRate,
        QualityMetric::Csat,
        QualityMetric::HallucinationRate,
        QualityMetric::EscalationRate,
        QualityMetric::IntentMisclassification,
        QualityMetric::LatencyP50,
        QualityMetric::Timeouts,
        QualityMetric::TokensPerRequest,
        QualityMetric::CostPer1k,
    ];

    /// The point's field name, as the API and the config spell it (`latency_p95_ms`).
    pub fn key(self) -> &'static str {
        match self {
            QualityMetric::HallucinationRate => "hallucination_rate",
            QualityMetric::Csat => "csat",
            QualityMetric::EscalationRate => "escalation_rate",
            QualityMetric::IntentMisclassification => "intent_misclassification_rate",
            QualityMetric::LatencyP50 => "latency_p50_ms",
            QualityMetric::LatencyP95 => "latency_p95_ms",
            QualityMetric::ErrorRate => "error_rate",
            QualityMetric::Timeouts => "timeouts",
            QualityMetric::TokensPerRequest => "tokens_per_request",
            QualityMetric::CostPer1k => "cost_per_1k_tokens",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QualityMetric::HallucinationRate => "hallucination",
            QualityMetric::Csat => "CSAT",
            QualityMetric::EscalationRate => "escalation to human",
            QualityMetric::IntentMisclassification => "intent misclassified",
            QualityMetric::LatencyP50 => "latency p50",
            QualityMetric::LatencyP95 => "latency p95",
            QualityMetric::ErrorRate => "error rate",
            QualityMetric::Timeouts => "timeouts",
            QualityMetric::TokensPerRequest => "tokens/request",
            QualityMetric::CostPer1k => "cost/1k tokens",
        }
    }

    /// The objective the console colours breaches of: p95 latency < 1 s, error rate < 1 %,
    /// CSAT ≥ 4.0, hallucination rate < 2 %.
    pub fn slo(self) -> Option<Slo> {
        match self {
            QualityMetric::LatencyP95 => Some(Slo::Below(1000.0)),
            QualityMetric::ErrorRate => Some(Slo::Below(0.01)),
            QualityMetric::Csat => Some(Slo::AtLeast(4.0)),
            QualityMetric::HallucinationRate => Some(Slo::Below(0.02)),
            _ => None,
        }
    }

    /// The values a backend may report.
    fn range(self) -> (f64, f64) {
        match self {
            QualityMetric::Csat => (1.0, 5.0),
            QualityMetric::HallucinationRate
            | QualityMetric::EscalationRate
            | QualityMetric::IntentMisclassification
            | QualityMetric::ErrorRate => (0.0, 1.0),
            _ => (0.0, f64::MAX),
        }
    }

    /// The value as people read it: shares in %, latency in ms or s, CSAT out of 5.
    pub fn format(self, value: f64) -> String {
        match self {
            QualityMetric::HallucinationRate
            | QualityMetric::EscalationRate
            | QualityMetric::IntentMisclassification
            | QualityMetric::ErrorRate => format!("{:.1}%", value * 100.0),
            QualityMetric::Csat => format!("{value:.2}/5"),
            QualityMetric::LatencyP50 | QualityMetric::LatencyP95 if value >= 1000.0 => {
                format!("{:.2}s", value / 1000.0)
            }
            QualityMetric::LatencyP50 | QualityMetric::LatencyP95 => format!("{value:.0}ms"),
            QualityMetric::Timeouts | QualityMetric::TokensPerRequest => format!("{value:.0}"),
            QualityMetric::CostPer1k => format!("${value:.4}"),
        }
    }
}
