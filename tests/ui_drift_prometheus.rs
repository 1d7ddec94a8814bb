//! The Drift tab on what a Prometheus source stores, through the real state and views: a
//! histogram feature shows PSI, χ² and JS with KS and Wasserstein as "n/a", and a quality
//! metric missing in the newest window reads "–", not a zero.

#[path = "support/harness.rs"]
#[allow(unused_macros)]
mod harness;

use chrono::Duration;
use harness::{Harness, now};
use opsdeck::api::Change;
use opsdeck::domain::{DriftWindow, Feature, Model, QualityPoint, Sample};

fn histogram(counts: [f64; 4]) -> Sample {
    Sample::Histogram { bounds: vec![100.0, 200.0, 400.0], counts: counts.to_vec() }
}

#[test]
fn a_histogram_feature_shows_what_buckets_allow_and_a_missing_metric_is_a_dash() {
    let model = Model {
        id: "support-assistant".into(),
        name: "Support assistant".into(),
        service_id: "llm-gateway".into(),
        versions: Vec::new(),
        features: vec![Feature {
            name: "prompt_tokens".into(),
            description: "llm_prompt_tokens_bucket".into(),
            reference: histogram([40.0, 30.0, 20.0, 10.0]),
        }],
        window_secs: 3600,
        source: Some("prod-prometheus".into()),
    };
    let hour = |h: i64| now() - Duration::hours(h);
    let mut changes = vec![Change::Model(model)];
    for h in (1..=6).rev() {
        let shift = (6 - h) as f64 * 4.0;
        changes.push(Change::DriftWindow(DriftWindow {
            model_id: "support-assistant".into(),
            feature: "prompt_tokens".into(),
            start: hour(h),
            end: hour(h - 1),
            current: histogram([40.0 - shift, 30.0, 20.0, 10.0 + shift]),
        }));
        let mut point = QualityPoint::empty("support-assistant", hour(h), hour(h - 1));
        point.latency_p95_ms = Some(700.0 + h as f64);
        // CSAT has a gap two hours ago, and none in the newest window.
        point.csat = (h != 2 && h != 1).then_some(4.3);
        changes.push(Change::Quality(point));
    }
    let mut harness = Harness::new(160, 48);
    harness.event(opsdeck::fixtures::synced(now(), "prometheus", true, changes));
    harness.press("4");
    let screen = harness.screen();
    assert!(screen.contains("prompt_tokens"), "{screen}");
    assert!(screen.contains("KS n/a  W1 n/a"), "no fake KS or Wasserstein: {screen}");
    assert!(screen.contains("χ² p"), "the χ² p-value over the buckets: {screen}");
    assert!(screen.contains("CSAT –"), "the newest CSAT is missing, not 0: {screen}");
    assert!(screen.contains("latency p95 701ms"), "{screen}");
    assert!(!screen.contains("CSAT 0"), "{screen}");
}
