use chrono::TimeZone;

use super::*;
use crate::domain::monitoring::window_stats;
use crate::domain::{NewIncident, Priority};

fn origin() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 25, 0).unwrap()
}

fn demo() -> Monitoring {
    demo_monitoring(7, origin(), 72, &[])
}

fn model<'a>(m: &'a Monitoring, id: &str) -> &'a Model {
    m.models.iter().find(|x| x.id == id).unwrap()
}

/// The windows of one feature, oldest first, with the feature.
fn series<'a>(m: &'a Monitoring, model_id: &str, feature: &str) -> (&'a Feature, Vec<&'a DriftWindow>) {
    let feature_def = model(m, model_id).feature(feature).unwrap();
    let windows = m.windows.iter().filter(|w| w.model_id == model_id && w.feature == feature).collect();
    (feature_def, windows)
}

fn stats(feature: &Feature, window: &DriftWindow) -> crate::domain::monitoring::WindowStats {
    window_stats(&feature.reference, &window.current).unwrap()
}

/// An incident on `service` open from `from` to `to` (hours relative to the origin).
fn incident(service: &str, from: i64, to: Option<i64>) -> Incident {
    let new = NewIncident { title: "p95 latency 4.2s".into(), service_id: service.into(), priority: Priority::P1 };
    let mut incident = Incident::trigger("INC-1".into(), new, "alertmanager", origin() + Duration::hours(from), None);
    incident.resolved_at = to.map(|h| origin() + Duration::hours(h));
    incident
}

#[test]
fn the_same_seed_gives_the_same_data_and_a_window_regenerates_unchanged() {
    let incidents = [incident(GATEWAY, -10, Some(-8))];
    let a = demo_monitoring(7, origin(), 72, &incidents);
    assert_eq!(a, demo_monitoring(7, origin(), 72, &incidents));
    assert_ne!(a.windows, demo_monitoring(8, origin(), 72, &incidents).windows, "another seed, other values");
    assert_eq!((a.models.len(), a.windows.len(), a.quality.len()), (2, 72 * 8, 72 * 2));

    // Later, from a fresh generator with the same origin: the same window, the same point.
    let sim = DriftSim::new(7, origin());
    let support = model(&a, SUPPORT_ASSISTANT);
    let old = &a.windows[10];
    assert_eq!(sim.window(support, &old.feature, old.start, 1.0, &incidents).as_ref(), Some(old));
    assert_eq!(&sim.quality(support, a.quality[10].start, 1.0, &incidents), &a.quality[10]);
    assert_eq!(DriftSim::origin_of(&a.models), Some(origin()));
    assert_eq!(sim.window(support, "no_such_feature", old.start, 1.0, &[]), None);
}

#[test]
fn a_partly_filled_window_is_the_beginning_of_the_full_one() {
    let m = demo();
    let sim = DriftSim::new(7, origin());
    let support = model(&m, SUPPORT_ASSISTANT);
    let start = hour_start(origin());
    let full = sim.window(support, "query_length", start, 1.0, &[]).unwrap();
    let (Sample::Numeric(all), n) = (&full.current, full.current.len()) else { panic!("numeric") };
    assert!((WINDOW_SIZE - 20..=WINDOW_SIZE + 20).contains(&n));
    for fill in [0.0, 0.3, 0.75] {
        let part = sim.window(support, "query_length", start, fill, &[]).unwrap();
        let Sample::Numeric(values) = &part.current else { panic!("numeric") };
        assert!(values.len() >= MIN_WINDOW_VALUES && values.len() < n);
        assert_eq!(values[..], all[..values.len()]);
        assert_eq!((part.start, part.end), (full.start, full.end));
    }
    // The demo's last window is the current hour, filled as far as the origin is into it.
    let last = m.windows.iter().rfind(|w| w.model_id == SUPPORT_ASSISTANT && w.feature == "query_length").unwrap();
    assert_eq!(last.start, start);
    let expected = (25.0 / 60.0 * n as f64).round() as usize;
    assert_eq!(last.current.len(), expected);
    let point = m.quality.iter().rfind(|q| q.model_id == SUPPORT_ASSISTANT).unwrap();
    assert!(point.requests.unwrap() < sim.quality(support, start, 1.0, &[]).requests.unwrap());
}

#[test]
fn every_sample_and_point_can_be_stored() {
    let m = demo_monitoring(3, origin(), 72, &[incident(GATEWAY, -30, Some(-28)), incident("doc-processor", -1, None)]);
    for model in &m.models {
        assert_eq!(model.window_secs, 3600);
        assert!(model.versions.windows(2).all(|v| v[0].deployed_at < v[1].deployed_at));
        for feature in &model.features {
            assert_eq!(feature.reference.problem(), None, "{}", feature.name);
            assert!(feature.reference.len() >= 900);
        }
    }
    for window in &m.windows {
        assert_eq!(window.current.problem(), None, "{}", window.id());
    }
    for point in &m.quality {
        assert_eq!(point.problem(), None, "{}", point.id());
    }
}

#[test]
fn query_length_drifts_gradually() {
    let m = demo();
    let (feature, windows) = series(&m, SUPPORT_ASSISTANT, "query_length");
    let psi: Vec<f64> = windows.iter().map(|w| stats(feature, w).psi).collect();
    assert!(psi[0] < 0.1, "{psi:?}");
    let calm = psi[..24].iter().filter(|p| **p < 0.1).count();
    assert!(calm >= 20, "no drift three days ago: {psi:?}");
    let before_last = psi[psi.len() - 2];
    assert!(before_last >= 0.25, "{psi:?}");
    assert!(psi.iter().any(|p| (0.1..0.25).contains(p)), "it climbs through the middle band: {psi:?}");
    let mean = |w: &DriftWindow| match &w.current {
        Sample::Numeric(v) => v.iter().sum::<f64>() / v.len() as f64,
        _ => unreachable!(),
    };
    assert!(mean(windows[70]) > mean(windows[0]) * 1.2);
}

#[test]
fn agent_handoff_is_a_new_intent_with_a_growing_share() {
    let m = demo();
    let (feature, windows) = series(&m, SUPPORT_ASSISTANT, "detected_intent");
    let share = |s: &Sample| match s {
        Sample::Categorical(v) => v.iter().filter(|c| *c == "agent_handoff").count() as f64 / v.len() as f64,
        _ => unreachable!(),
    };
    assert_eq!(share(&feature.reference), 0.0);
    // The window of the hour it appears in (18:00, the origin being 14:25) is the 52nd.
    let (old, recent) = windows.split_at(51);
    assert!(old.iter().all(|w| share(&w.current) == 0.0));
    assert!(recent[recent.len() - 4..].iter().all(|w| share(&w.current) > 0.05));
    assert!(share(&recent[recent.len() - 2].current) > share(&recent[2].current));
    assert!(stats(feature, recent[recent.len() - 2]).psi >= 0.25);
    // The stable feature stays put.
    let (language, windows) = series(&m, SUPPORT_ASSISTANT, "language");
    let psi: Vec<f64> = windows.iter().map(|w| stats(language, w).psi).collect();
    assert!(psi.iter().all(|p| *p < 0.2) && psi.iter().filter(|p| **p < 0.1).count() >= 65, "{psi:?}");
}

#[test]
fn embedding_norm_and_ocr_confidence_step_after_their_deploys() {
    let m = demo();
    for (model_id, feature, deploy_hours) in [
        (SUPPORT_ASSISTANT, "embedding_norm", SUPPORT_DEPLOY_HOURS),
        (DOC_SUMMARISER, "ocr_confidence", DOCS_DEPLOY_HOURS),
    ] {
        let deployed = model(&m, model_id).versions.last().unwrap().deployed_at;
        assert_eq!(deployed, origin() - Duration::hours(deploy_hours));
        let (feature_def, windows) = series(&m, model_id, feature);
        let full = |w: &&&DriftWindow| w.current.len() >= WINDOW_SIZE - 20;
        let before: Vec<f64> =
            windows.iter().filter(|w| w.end <= deployed).filter(full).map(|w| stats(feature_def, w).pvalue).collect();
        let after: Vec<f64> =
            windows.iter().filter(|w| w.start >= deployed).filter(full).map(|w| stats(feature_def, w).pvalue).collect();
        assert!(before.len() > 30 && after.len() >= 6, "{feature}");
        let quiet = before.iter().filter(|p| **p >= 0.05).count();
        assert!(quiet * 10 >= before.len() * 8, "{feature}: {before:?}");
        assert!(after.iter().all(|p| *p < 0.05), "{feature}: {after:?}");
    }
}

#[test]
fn outages_spike_latency_and_hurt_quality() {
    let incidents = [incident(GATEWAY, -40, Some(-38)), incident("safety-filter", -20, Some(-18))];
    let m = demo_monitoring(7, origin(), 72, &incidents);
    let support: Vec<&QualityPoint> = m.quality.iter().filter(|q| q.model_id == SUPPORT_ASSISTANT).collect();
    let outage_start = origin() - Duration::hours(40);
    let outage_end = origin() - Duration::hours(38);
    let (bad, quiet): (Vec<&QualityPoint>, Vec<&QualityPoint>) =
        support.iter().partition(|q| q.start < outage_end && q.end > outage_start);
    assert_eq!(bad.len(), 3, "the outage starts at :25 and touches three hours");
    for q in &bad {
        assert!(q.latency_p95_ms.unwrap() > 1000.0 && q.error_rate.unwrap() > 0.01, "{q:?}");
        assert!(q.csat.unwrap() < 4.0, "{q:?}");
    }
    assert!(
        quiet.iter().all(|q| q.latency_p95_ms.unwrap() < 1000.0 && q.error_rate.unwrap() < 0.01),
        "an unrelated service is quiet"
    );
    let mean = |v: &[&QualityPoint], f: fn(&QualityPoint) -> f64| v.iter().map(|q| f(q)).sum::<f64>() / v.len() as f64;
    assert!(
        mean(&bad, |q| q.timeouts.unwrap() as f64 / q.requests.unwrap() as f64)
            > 3.0 * mean(&quiet, |q| q.timeouts.unwrap() as f64 / q.requests.unwrap() as f64)
    );
    // The doc summariser sits behind the gateway too.
    assert!(m.quality.iter().any(|q| q.model_id == DOC_SUMMARISER && q.latency_p95_ms.unwrap() > 1000.0));

    // Retrieval scores dip while the outage is on.
    let (feature, windows) = series(&m, SUPPORT_ASSISTANT, "retrieval_score");
    let inside = windows.iter().find(|w| w.start == outage_start + Duration::minutes(35)).unwrap();
    assert!(stats(feature, inside).pvalue < 0.001);
    let plain = demo();
    let (_, calm) = series(&plain, SUPPORT_ASSISTANT, "retrieval_score");
    assert!(stats(feature, calm.iter().find(|w| w.start == inside.start).unwrap()).pvalue > 0.001);
}

#[test]
fn quality_moves_with_the_drift() {
    let m = demo();
    let support: Vec<&QualityPoint> = m.quality.iter().filter(|q| q.model_id == SUPPORT_ASSISTANT).collect();
    let deployed = origin() - Duration::hours(SUPPORT_DEPLOY_HOURS);
    let (after, before): (Vec<&QualityPoint>, Vec<&QualityPoint>) = support.iter().partition(|q| q.start >= deployed);
    let mean = |v: &[&QualityPoint], f: fn(&QualityPoint) -> f64| v.iter().map(|q| f(q)).sum::<f64>() / v.len() as f64;
    assert!(mean(&after, |q| q.hallucination_rate.unwrap()) > mean(&before, |q| q.hallucination_rate.unwrap()) + 0.003);
    assert!(after.iter().any(|q| q.hallucination_rate.unwrap() >= 0.02), "the 2% SLO is crossed at times");
    assert!(before.iter().all(|q| q.hallucination_rate.unwrap() < 0.02));
    assert!(before.iter().all(|q| (4.1..=4.5).contains(&q.csat.unwrap())), "CSAT around 4.2–4.4 normally");
    let (first, last) = (support[0], support[70]);
    assert!(last.escalation_rate.unwrap() > first.escalation_rate.unwrap() + 0.05);
    assert!(last.intent_misclassification_rate.unwrap() > first.intent_misclassification_rate.unwrap() + 0.03);
    assert!(last.tokens_per_request.unwrap() > first.tokens_per_request.unwrap() + 20.0);
    assert!(last.cost_per_1k_tokens < first.cost_per_1k_tokens, "2.3.0 is cheaper per token");
    assert!(last.csat < first.csat);
}
