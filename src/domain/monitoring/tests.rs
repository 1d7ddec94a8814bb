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
