use super::*;

fn numeric(v: &[f64]) -> Sample {
    Sample::Numeric(v.to_vec())
}

fn cats(v: &[&str]) -> Sample {
    Sample::Categorical(v.iter().map(|s| s.to_string()).collect())
}

#[test]
fn identical_samples_show_no_drift() {
    let s = numeric(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let stats = window_stats(&s, &s).unwrap();
    assert_eq!(stats.psi, 0.0);
    assert_eq!(stats.pvalue, 1.0);
    assert_eq!(stats.wasserstein, Some(0.0));
    let rows = distribution(&s, &s).unwrap();
    assert_eq!(rows.len(), CONSOLE_BINS);
    assert!(rows.iter().all(|r| r.psi_contribution == 0.0 && r.reference_share == r.current_share));
    assert_eq!(rows[0].label, "< 1.50");
    assert_eq!(rows[9].label, "≥ 5.50");
}

#[test]
fn a_new_category_shows_up_as_its_own_row_and_drives_psi() {
    let r = cats(&["billing", "billing", "outage", "how_to"]);
    let c = cats(&["billing", "outage", "agent_handoff", "agent_handoff"]);
    let stats = window_stats(&r, &c).unwrap();
    assert!(stats.psi > 0.25, "{}", stats.psi);
    assert_eq!(stats.wasserstein, None);
    let rows = distribution(&r, &c).unwrap();
    let new = rows.iter().find(|row| row.label == "agent_handoff").unwrap();
    assert_eq!(new.reference_share, 0.0);
    assert_eq!(new.current_share, 0.5);
    let total: f64 = rows.iter().map(|r| r.psi_contribution).sum();
    assert!((total - stats.psi).abs() < 1e-12);
}

#[test]
fn mixing_kinds_is_an_error_not_a_panic() {
    let err = window_stats(&numeric(&[1.0]), &cats(&["a"])).unwrap_err();
    assert!(matches!(err, CompareError::KindMismatch { .. }));
}

#[test]
fn slos_and_formats_read_as_people_expect() {
    let slo = QualityMetric::LatencyP95.slo().unwrap();
    assert!(slo.breached_by(1000.0) && !slo.breached_by(999.0));
    assert!(QualityMetric::Csat.slo().unwrap().breached_by(3.99));
    assert_eq!(QualityMetric::LatencyP95.format(1240.0), "1.24s");
    assert_eq!(QualityMetric::ErrorRate.format(0.0123), "1.2%");
    assert_eq!(QualityMetric::Csat.format(4.2), "4.20/5");
}

#[test]
fn bands_follow_the_conventional_thresholds() {
    let bands = DriftBands::default();
    assert_eq!(bands.band(Statistic::Psi, 0.099), Some(DriftBand::Stable));
    assert_eq!(bands.band(Statistic::Psi, 0.1), Some(DriftBand::Moderate));
    assert_eq!(bands.band(Statistic::Psi, 0.25), Some(DriftBand::Significant));
    assert_eq!(bands.band(Statistic::PValue, 0.2), Some(DriftBand::Stable));
    assert_eq!(bands.band(Statistic::PValue, 0.15), Some(DriftBand::Moderate));
    assert_eq!(bands.band(Statistic::PValue, 0.049), Some(DriftBand::Significant));
    assert_eq!(bands.band(Statistic::JsDistance, 0.9), None);
    assert_eq!(bands.problem(), None);
    let upside_down = DriftBands { psi_moderate: 0.3, ..bands };
    assert!(upside_down.problem().unwrap().contains("psi_moderate"));
}

#[test]
fn samples_and_points_name_their_problems() {
    assert_eq!(numeric(&[]).problem().as_deref(), Some("the sample is empty"));
    assert_eq!(numeric(&[1.0, f64::NAN]).problem().as_deref(), Some("value 1 is not finite"));
    assert_eq!(cats(&["a", " "]).problem().as_deref(), Some("category 1 is empty"));
    assert_eq!(cats(&["a"]).problem(), None);
}

#[test]
fn a_missing_quality_metric_reads_as_none_and_old_documents_still_read() {
    let old = r#"{"model_id":"m","start":"2026-01-01T00:00:00Z","end":"2026-01-01T01:00:00Z","requests":10,
        "hallucination_rate":0.01,"csat":4.2,"escalation_rate":0.1,"intent_misclassification_rate":0.02,
        "latency_p50_ms":300,"latency_p95_ms":700,"error_rate":0.0,"timeouts":0,"tokens_per_request":400,
        "cost_per_1k_tokens":0.002}"#;
    let point: QualityPoint = serde_json::from_str(old).unwrap();
    assert_eq!(point.get(QualityMetric::ErrorRate), Some(0.0), "a zero stays a zero");
    assert_eq!(point.timeouts, Some(0));
    let sparse = r#"{"model_id":"m","start":"2026-01-01T00:00:00Z","end":"2026-01-01T01:00:00Z","csat":null,
        "latency_p95_ms":812.5}"#;
    let point: QualityPoint = serde_json::from_str(sparse).unwrap();
    assert_eq!(point.get(QualityMetric::Csat), None);
    assert_eq!(point.get(QualityMetric::ErrorRate), None);
    assert_eq!(point.get(QualityMetric::LatencyP95), Some(812.5));
    assert_eq!(point.problem(), None, "missing metrics are not out of range");
    let json = serde_json::to_value(&point).unwrap();
    assert!(json.get("csat").is_none(), "a missing metric is left out: {json}");
    assert_eq!(serde_json::from_value::<QualityPoint>(json).unwrap(), point);
}

#[test]
fn setting_a_metric_by_key_reaches_the_field() {
    let at = chrono::DateTime::from_timestamp(3600, 0).unwrap();
    let mut point = QualityPoint::empty("m", at, at + chrono::Duration::hours(1));
    for (i, metric) in QualityMetric::ALL.iter().enumerate() {
        point.set(*metric, Some(i as f64));
        assert_eq!(point.get(*metric), Some(i as f64), "{}", metric.key());
    }
    point.set(QualityMetric::Timeouts, Some(2.6));
    assert_eq!(point.timeouts, Some(3));
    point.set(QualityMetric::Csat, Some(7.0));
    assert!(point.problem().unwrap().contains("CSAT"));
}

#[test]
fn a_histogram_compares_bucket_by_bucket_and_has_no_raw_value_tests() {
    let reference = Sample::Histogram { bounds: vec![100.0, 500.0], counts: vec![20.0, 60.0, 20.0] };
    let current = Sample::Histogram { bounds: vec![100.0, 500.0], counts: vec![5.0, 45.0, 50.0] };
    assert_eq!(reference.kind(), FeatureKind::Histogram);
    assert_eq!(current.len(), 100);
    let stats = window_stats(&reference, &current).unwrap();
    let (r, c) = ([20.0, 60.0, 20.0], [5.0, 45.0, 50.0]);
    assert_eq!(stats.psi, drift::psi_counts(&r, &c).unwrap().value);
    assert_eq!(stats.pvalue, drift::chi2_counts(&r, &c).unwrap().pvalue);
    assert_eq!(stats.js_distance, drift::js_counts(&r, &c, None).unwrap());
    assert_eq!(stats.wasserstein, None, "not faked from buckets");
    assert!(!Statistic::for_kind(FeatureKind::Histogram).contains(&Statistic::Wasserstein));
    let rows = distribution(&reference, &current).unwrap();
    let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["≤ 100", "100–500", "> 500"]);
    let other = Sample::Histogram { bounds: vec![100.0, 400.0], counts: vec![5.0, 45.0, 50.0] };
    assert_eq!(window_stats(&reference, &other).unwrap_err(), CompareError::BoundsMismatch);
}

#[test]
fn a_histogram_sample_is_checked_and_its_json_reads_back() {
    let ok = Sample::Histogram { bounds: vec![1.0, 2.0], counts: vec![0.0, 1.5, 0.0] };
    assert_eq!(ok.problem(), None);
    let json = serde_json::to_string(&ok).unwrap();
    assert_eq!(json, r#"{"kind":"histogram","values":{"bounds":[1.0,2.0],"counts":[0.0,1.5,0.0]}}"#);
    assert_eq!(serde_json::from_str::<Sample>(&json).unwrap(), ok);
    let old: Sample = serde_json::from_str(r#"{"kind":"numeric","values":[1.0,2.0]}"#).unwrap();
    assert_eq!(old, numeric(&[1.0, 2.0]));
    let bad = |bounds: Vec<f64>, counts: Vec<f64>| Sample::Histogram { bounds, counts }.problem().unwrap();
    assert!(bad(vec![1.0], vec![1.0]).contains("need 2 counts"));
    assert!(bad(vec![2.0, 1.0], vec![1.0, 1.0, 1.0]).contains("not above"));
    assert!(bad(vec![1.0], vec![-1.0, 2.0]).contains("negative"));
    assert!(bad(vec![1.0], vec![0.0, 0.0]).contains("empty"));
}
