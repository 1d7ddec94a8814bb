mod update;

use chrono::TimeZone;

use super::*;
use crate::domain::{Feature, ModelVersion, NewIncident, Priority, Sample};

fn t(hour: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap() + TimeDelta::hours(hour)
}

fn model(id: &str) -> Model {
    Model {
        id: id.into(),
        name: id.into(),
        service_id: "support-assistant".into(),
        versions: vec![ModelVersion { version: "2.3.0".into(), deployed_at: t(10), note: String::new() }],
        features: vec![
            Feature {
                name: "len".into(),
                description: String::new(),
                reference: Sample::Numeric((0..100).map(f64::from).collect()),
            },
            Feature {
                name: "intent".into(),
                description: String::new(),
                reference: Sample::Categorical(["a", "b", "a", "c"].iter().map(|s| s.to_string()).collect()),
            },
        ],
        window_secs: 3600,
        source: None,
    }
}

/// Window `hour` of `len`: the reference shifted by `hour`.
fn window(model: &str, hour: i64) -> DriftWindow {
    DriftWindow {
        model_id: model.into(),
        feature: "len".into(),
        start: t(hour),
        end: t(hour + 1),
        current: Sample::Numeric((0..100).map(|v| f64::from(v) + hour as f64).collect()),
    }
}

fn tab(hours: i64) -> DriftTab {
    let rows = MonitoringRows {
        models: vec![model("b-model"), model("a-model")],
        windows: (0..hours).map(|h| window("a-model", h)).collect(),
        quality: Vec::new(),
    };
    let mut tab = DriftTab::new(Monitoring::from_rows(rows));
    tab.rebuild(std::iter::empty());
    tab.next_model(1, std::iter::empty());
    assert_eq!(tab.model().unwrap().id, "a-model");
    tab.settle();
    tab
}

#[test]
fn the_series_follows_the_newest_window_and_drift_grows_with_the_shift() {
    let tab = tab(30);
    assert_eq!(tab.model().unwrap().id, "a-model");
    assert_eq!(tab.series().len(), 30);
    let psi: Vec<f64> = tab.series().iter().map(|p| p.stats.clone().unwrap().unwrap().psi).collect();
    assert_eq!(psi[0], 0.0);
    assert!(psi.windows(2).all(|w| w[1] >= w[0]), "{psi:?}");
    assert!(tab.following());
    assert_eq!(tab.selected().unwrap().start, t(29));
    assert_eq!(tab.range(), Some((t(30) - TimeDelta::hours(48), t(30))));
    assert_eq!(tab.visible().len(), 30);
    assert_eq!(tab.distribution().unwrap().len(), crate::domain::monitoring::CONSOLE_BINS);
    assert_eq!(tab.markers().len(), 1, "the deploy");
}

#[test]
fn moving_left_past_the_range_scrolls_it_and_moving_back_follows_again() {
    let mut tab = tab(30);
    tab.zoom(-2); // 12 h
    assert_eq!(tab.span(), TimeDelta::hours(12));
    assert_eq!(tab.visible().len(), 12);
    tab.move_cursor(-12);
    assert!(!tab.following());
    assert_eq!(tab.selected().unwrap().start, t(17));
    let (from, to) = tab.range().unwrap();
    assert!(from <= t(17) && t(18) <= to, "the cursor stays visible: {from}..{to}");
    assert_eq!(tab.visible().first().unwrap().start, t(17));
    tab.move_cursor(-100);
    assert_eq!(tab.selected().unwrap().start, t(0), "clamped at the oldest");
    tab.move_cursor(100);
    assert!(tab.following());
    assert_eq!(tab.range().unwrap().1, t(30));
}

#[test]
fn zoom_is_bounded_at_both_ends() {
    let mut tab = tab(5);
    tab.zoom(-10);
    assert_eq!(tab.span(), TimeDelta::hours(SPANS_HOURS[0]));
    tab.zoom(10);
    assert_eq!(tab.span(), TimeDelta::hours(*SPANS_HOURS.last().unwrap()));
    assert_eq!(tab.span_label(), "7 days");
}

#[test]
fn spans_read_as_the_readme_names_them() {
    let labels: Vec<String> = SPANS_HOURS.iter().map(|h| span_label(*h)).collect();
    assert_eq!(labels, ["6 h", "12 h", "24 h", "48 h", "72 h", "7 days"]);
}

#[test]
fn statistics_cycle_within_what_the_feature_kind_has() {
    let mut tab = tab(3);
    let mut seen = vec![tab.statistic];
    for _ in 0..3 {
        tab.next_statistic();
        seen.push(tab.statistic);
    }
    assert_eq!(seen, [Statistic::Psi, Statistic::PValue, Statistic::JsDistance, Statistic::Wasserstein]);
    tab.next_feature(1, std::iter::empty());
    tab.settle();
    assert_eq!(tab.feature().unwrap().name, "intent");
    assert_eq!(tab.statistic, Statistic::Psi, "no Wasserstein for categories");
    assert!(tab.series().is_empty(), "no windows for intent");
    assert!(tab.distribution().is_err());
    tab.next_model(1, std::iter::empty());
    assert_eq!(tab.model().unwrap().id, "b-model", "models keep the backend's order, and wrap");
    assert_eq!(tab.feature().unwrap().name, "len");
}

#[test]
fn a_refilled_window_is_recomputed_and_others_are_kept() {
    let mut tab = tab(4);
    let before = tab.series().to_vec();
    let mut grown = window("a-model", 3);
    if let Sample::Numeric(v) = &mut grown.current {
        v.extend([500.0, 600.0]);
    }
    assert!(tab.absorb(Vec::new(), vec![grown], Vec::new(), std::iter::empty()));
    assert_eq!(tab.series()[3].stats, None, "being computed");
    let job = tab.take_job().expect("a job for the refilled window");
    assert_eq!(job.windows.len(), 1, "only the refilled window is recomputed");
    assert_eq!(tab.take_job(), None, "one job at a time");
    assert!(tab.accept(job.run()));
    assert_eq!(tab.series()[..3], before[..3]);
    assert_eq!(tab.series()[3].n, 102);
    assert_ne!(tab.series()[3], before[3]);
    assert!(!tab.absorb(Vec::new(), Vec::new(), Vec::new(), std::iter::empty()));
}

#[test]
fn a_window_of_the_wrong_kind_shows_why_instead_of_panicking() {
    let mut tab = tab(2);
    let mut bad = window("a-model", 2);
    bad.current = Sample::Categorical(vec!["x".into()]);
    tab.absorb(Vec::new(), vec![bad], Vec::new(), std::iter::empty());
    tab.settle();
    let newest = tab.series().last().unwrap();
    let error = newest.stats.clone().expect("computed").expect_err("a kind mismatch");
    assert!(error.contains("Categorical"), "{error}");
    assert!(tab.distribution().is_err());
}

#[test]
fn incidents_on_the_models_service_or_the_gateway_become_markers() {
    let mut tab = tab(10);
    let new = |service: &str| NewIncident { title: "x".into(), service_id: service.into(), priority: Priority::P1 };
    let incidents = [
        crate::domain::Incident::trigger("INC-1".into(), new("support-assistant"), "am", t(5), None),
        crate::domain::Incident::trigger("INC-2".into(), new("llm-gateway"), "am", t(6), None),
        crate::domain::Incident::trigger("INC-3".into(), new("billing-meter"), "am", t(7), None),
    ];
    tab.rebuild(incidents.iter().map(Into::into));
    let labels: Vec<&str> = tab.markers().iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["INC-1", "INC-2", "v2.3.0"]);
}

#[test]
fn cached_rows_arriving_after_a_sync_never_replace_what_the_sync_brought() {
    let mut tab = tab(3);
    let mut synced = window("a-model", 2);
    if let Sample::Numeric(v) = &mut synced.current {
        v.push(1000.0);
    }
    tab.absorb(Vec::new(), vec![synced], Vec::new(), std::iter::empty());
    tab.settle();
    let cached = MonitoringRows {
        models: vec![model("a-model")],
        windows: vec![window("a-model", 2), window("a-model", -1)],
        quality: Vec::new(),
    };
    assert!(tab.merge_cached(cached, std::iter::empty()), "the older window -1 is new here");
    tab.settle();
    let n: Vec<usize> = tab.series().iter().map(|p| p.n).collect();
    assert_eq!(n, [100, 100, 100, 101], "window 2 keeps its synced sample: {n:?}");
    assert!(!tab.merge_cached(MonitoringRows::default(), std::iter::empty()));
}

#[test]
fn switching_back_to_a_feature_reuses_what_was_computed() {
    let mut tab = tab(5);
    tab.next_feature(1, std::iter::empty());
    tab.next_feature(1, std::iter::empty());
    assert_eq!(tab.feature().unwrap().name, "len");
    assert_eq!(tab.take_job(), None, "nothing to compute again");
    assert!(tab.series().iter().all(|p| p.stats.is_some()));
}

#[test]
fn a_new_reference_invalidates_what_was_computed_against_the_old_one() {
    let mut tab = tab(3);
    let mut retrained = model("a-model");
    retrained.features[0].reference = Sample::Numeric((50..150).map(f64::from).collect());
    tab.absorb(vec![model("a-model")], Vec::new(), Vec::new(), std::iter::empty());
    assert_eq!(tab.take_job(), None, "the same model again changes nothing");
    tab.absorb(vec![retrained], Vec::new(), Vec::new(), std::iter::empty());
    assert_eq!(tab.take_job().map(|j| j.windows.len()), Some(3));
}

#[test]
fn windows_older_than_the_retention_are_forgotten_as_new_ones_arrive() {
    let mut tab = tab(3);
    let later = window("a-model", 24 * 15);
    tab.absorb(Vec::new(), vec![later], Vec::new(), std::iter::empty());
    tab.settle();
    let starts: Vec<DateTime<Utc>> = tab.series().iter().map(|p| p.start).collect();
    assert_eq!(starts, [t(24 * 15)], "15 days on, the first three hours are past the 14 days kept");
}

#[test]
fn a_missing_quality_value_splits_the_line_instead_of_drawing_a_zero() {
    use crate::console::tabs::drift::quality_view::segments;
    let series = [(0.5, Some(1.0)), (1.5, None), (2.5, Some(3.0)), (3.5, Some(4.0)), (4.5, None), (5.5, None)];
    assert_eq!(segments(&series), vec![vec![(0.5, 1.0)], vec![(2.5, 3.0), (3.5, 4.0)]]);
    assert!(segments(&[(0.5, None)]).is_empty());
}
