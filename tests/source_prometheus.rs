//! The Prometheus source against a real Prometheus 2.42 (backfilled with `promtool`) and a real
//! SQLite store: quality points equal what Prometheus answers for the same queries, a gap stays
//! missing, only new windows are asked on the next poll, a wrong query is named while the others
//! arrive, and histogram drift equals the domain's statistics on the same buckets.

#[path = "support/prometheus.rs"]
mod prometheus;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use opsdeck::db::DbLocation;
use opsdeck::domain::monitoring::window_stats;
use opsdeck::domain::{Sample, drift};
use opsdeck::server::sources::{Health, SourceContext};
use opsdeck::server::store::Store;
use opsdeck::server::store::sqlite::SqliteStore;
use opsdeck::sources::prometheus::{self as source, Config};
use prometheus::Prometheus;

const HOUR: i64 = 3600;
const MODEL: &str = "support-assistant";
const BOUNDS: [&str; 5] = ["50", "100", "200", "400", "+Inf"];
const BAD: &str = "sum(rate(llm_timeouts_total[1h]";

/// The history: 15-minute samples from `from` to `to`, a CSAT gap before `gap_end`, and a
/// prompt-token histogram whose shape moves to longer prompts from `shift`.
fn history(from: i64, to: i64, gap_end: i64, shift: i64) -> String {
    let steps: Vec<i64> = (0..).map(|i| from + i * 900).take_while(|t| *t <= to).collect();
    let mut out = String::from("# TYPE llm_error_rate gauge\n");
    for (i, t) in steps.iter().enumerate() {
        out += &format!("llm_error_rate{{model=\"{MODEL}\"}} {} {t}\n", 0.001 * (i % 13) as f64);
    }
    out += "# TYPE llm_csat gauge\n";
    for (i, t) in steps.iter().enumerate() {
        if !(gap_end - 45 * 60..=gap_end).contains(t) {
            out += &format!("llm_csat{{model=\"{MODEL}\"}} {} {t}\n", 4.0 + 0.05 * (i % 9) as f64);
        }
    }
    out += "# TYPE llm_prompt_tokens histogram\n";
    let mut totals = [0.0f64; 5];
    let mut sum = 0.0;
    for t in &steps {
        let adds = if *t < shift { [10.0, 15.0, 8.0, 5.0, 2.0] } else { [3.0, 8.0, 12.0, 12.0, 6.0] };
        let mut cumulative = 0.0;
        for (k, add) in adds.iter().enumerate() {
            totals[k] += add;
            cumulative += totals[k];
            out += &format!("llm_prompt_tokens_bucket{{model=\"{MODEL}\",le=\"{}\"}} {cumulative} {t}\n", BOUNDS[k]);
        }
        sum += adds.iter().zip([30.0, 80.0, 150.0, 300.0, 600.0]).map(|(n, v)| n * v).sum::<f64>();
        out += &format!("llm_prompt_tokens_count{{model=\"{MODEL}\"}} {cumulative} {t}\n");
        out += &format!("llm_prompt_tokens_sum{{model=\"{MODEL}\"}} {sum} {t}\n");
    }
    out + "# EOF\n"
}

fn config(url: &str, reference: (i64, i64)) -> Config {
    let at = |t: i64| DateTime::<Utc>::from_timestamp(t, 0).unwrap().to_rfc3339();
    let text = format!(
        r#"
        url = "{url}"
        poll = "1s"
        window = "1h"
        history = "12h"
        [[models]]
        id = "{MODEL}"
        name = "Support assistant"
        service = "llm-gateway"
        [models.quality]
        error_rate = 'llm_error_rate{{model="{MODEL}"}}'
        csat = 'llm_csat{{model="{MODEL}"}}'
        latency_p95_ms = 'histogram_quantile(0.95, sum by (le) (rate(llm_prompt_tokens_bucket{{model="{MODEL}"}}[1h])))'
        timeouts = '{BAD}'
        [[models.features]]
        name = "prompt_tokens"
        histogram = 'llm_prompt_tokens_bucket{{model="{MODEL}"}}'
        reference_start = "{}"
        reference_end = "{}"
        "#,
        at(reference.0),
        at(reference.1)
    );
    toml::from_str(&text).unwrap()
}

/// Prometheus's own answer: the first series's value at each time (`None` for NaN).
fn values(answer: &serde_json::Value) -> Vec<(i64, Option<f64>)> {
    assert_eq!(answer["status"], "success", "{answer}");
    let Some(series) = answer["data"]["result"].as_array().and_then(|r| r.first()) else { return Vec::new() };
    let samples = series["values"].as_array().cloned().unwrap_or_else(|| vec![series["value"].clone()]);
    samples
        .iter()
        .map(|s| (s[0].as_f64().unwrap() as i64, s[1].as_str().unwrap().parse::<f64>().ok().filter(|v| v.is_finite())))
        .collect()
}

/// Bucket counts from Prometheus's own cumulative answer, by `le`.
fn buckets(answer: &serde_json::Value) -> Vec<f64> {
    let mut cumulative: Vec<(f64, f64)> = answer["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (s["metric"]["le"].as_str().unwrap().parse().unwrap(), s["value"][1].as_str().unwrap().parse().unwrap())
        })
        .collect();
    cumulative.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut below = 0.0;
    cumulative
        .into_iter()
        .map(|(_, c)| {
            let n = c - below;
            below = c;
            n
        })
        .collect()
}

struct World {
    prometheus: Prometheus,
    store: Arc<SqliteStore>,
    /// The first poll's time: half past an hour, two days after the history starts.
    first: i64,
    reference: (i64, i64),
    gap_end: i64,
}

async fn world() -> World {
    let hour = Utc::now().timestamp() / HOUR * HOUR;
    let (from, to) = (hour - 100 * HOUR, hour - 3 * HOUR);
    let first = from + 48 * HOUR + 1800;
    let gap_end = first - 1800 - 5 * HOUR;
    let prometheus = Prometheus::start(&history(from, to, gap_end, first - 1800 - 6 * HOUR)).await;
    let store = Arc::new(SqliteStore::open(&DbLocation::Memory).await.unwrap());
    World { prometheus, store, first, reference: (from, from + 24 * HOUR), gap_end }
}

fn at(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap()
}

#[tokio::test]
async fn quality_points_are_what_prometheus_answers_and_only_new_windows_are_asked_again() {
    let w = world().await;
    let mut poller = source::poller("prod-prometheus", config(&w.prometheus.url, w.reference)).unwrap();
    let report = poller.poll(w.store.as_ref(), at(w.first)).await.unwrap();
    assert_eq!(report.points, 12 + 1, "12 closed windows of history and the open one");
    assert!(report.errors.iter().any(|e| e.contains(BAD) && e.contains("bad_data")), "{:?}", report.errors);
    assert_eq!(report.errors.len(), 2, "the wrong query, closed and open windows: {:?}", report.errors);

    let model = w.store.model(MODEL).await.unwrap().expect("the model is in the store");
    assert_eq!(model.source.as_deref(), Some("prod-prometheus"));
    assert_eq!((model.service_id.as_str(), model.window_secs), ("llm-gateway", 3600));
    let points = w.store.quality(MODEL, None, 100).await.unwrap();
    assert_eq!(points.len(), 13);
    let last_closed_end = w.first - 1800;
    type Field = fn(&opsdeck::domain::QualityPoint) -> Option<f64>;
    let queries: [(String, Field); 3] = [
        (format!("llm_error_rate{{model=\"{MODEL}\"}}"), |p: &opsdeck::domain::QualityPoint| p.error_rate),
        (format!("llm_csat{{model=\"{MODEL}\"}}"), |p: &opsdeck::domain::QualityPoint| p.csat),
        (
            format!("histogram_quantile(0.95, sum by (le) (rate(llm_prompt_tokens_bucket{{model=\"{MODEL}\"}}[1h])))"),
            |p: &opsdeck::domain::QualityPoint| p.latency_p95_ms,
        ),
    ];
    for (query, field) in &queries {
        let direct = values(&w.prometheus.range(query, last_closed_end - 11 * HOUR, last_closed_end, HOUR).await);
        for point in &points[..12] {
            let end = point.end.timestamp();
            let expected = direct.iter().find(|(t, _)| *t == end).and_then(|(_, v)| *v);
            assert_eq!(field(point), expected, "{query} at {end}");
        }
        assert!(points[..12].iter().filter(|p| field(p).is_some()).count() >= 11, "{query} has values");
    }
    let gap = points.iter().find(|p| p.end.timestamp() == w.gap_end).unwrap();
    assert_eq!(gap.csat, None, "no sample: missing, not zero");
    assert!(gap.error_rate.is_some());
    assert!(points.iter().all(|p| p.timeouts.is_none()), "the wrong query fills nothing");
    let open = points.last().unwrap();
    let now_values = values(&w.prometheus.instant(&queries[0].0, w.first).await);
    assert_eq!(open.error_rate, now_values[0].1, "the open window is the query at the poll's time");

    // An hour on: one window has closed, and only it is asked (one range per query and feature),
    // with the open window again (one instant query each).
    let before = poller.requests();
    let report = poller.poll(w.store.as_ref(), at(w.first + HOUR)).await.unwrap();
    assert_eq!(report.points, 2);
    assert_eq!(poller.requests() - before, (4 + 1) * 2);
    assert_eq!(w.store.quality(MODEL, None, 100).await.unwrap().len(), 14);
    // Ten minutes later nothing has closed: the open window only.
    let before = poller.requests();
    let report = poller.poll(w.store.as_ref(), at(w.first + HOUR + 600)).await.unwrap();
    assert_eq!((report.points, poller.requests() - before), (1, 4 + 1));
}

#[tokio::test]
async fn histogram_drift_is_the_domain_statistics_on_prometheus_own_buckets() {
    let w = world().await;
    let mut poller = source::poller("prod-prometheus", config(&w.prometheus.url, w.reference)).unwrap();
    poller.poll(w.store.as_ref(), at(w.first)).await.unwrap();
    let model = w.store.model(MODEL).await.unwrap().unwrap();
    let selector = format!("llm_prompt_tokens_bucket{{model=\"{MODEL}\"}}");
    let reference_query = format!("sum by (le) (increase({selector}[{}s]))", w.reference.1 - w.reference.0);
    let reference = buckets(&w.prometheus.instant(&reference_query, w.reference.1).await);
    let Sample::Histogram { bounds, counts } = &model.features[0].reference else { panic!("a histogram feature") };
    assert_eq!(bounds, &[50.0, 100.0, 200.0, 400.0]);
    assert_eq!(counts, &reference);

    let windows = w.store.windows(MODEL, "prompt_tokens", None, 100).await.unwrap();
    assert_eq!(windows.len(), 13);
    let (mut stable, mut drifted) = (0, 0);
    for window in &windows[..12] {
        let query = format!("sum by (le) (increase({selector}[3600s]))");
        let current = buckets(&w.prometheus.instant(&query, window.end.timestamp()).await);
        let Sample::Histogram { counts, .. } = &window.current else { panic!("histogram windows") };
        assert_eq!(counts, &current, "the window's buckets are Prometheus's");
        let stats = window_stats(&model.features[0].reference, &window.current).unwrap();
        assert_eq!(stats.psi, drift::psi_counts(&reference, &current).unwrap().value);
        assert_eq!(stats.pvalue, drift::chi2_counts(&reference, &current).unwrap().pvalue);
        assert_eq!(stats.js_distance, drift::js_counts(&reference, &current, None).unwrap());
        assert_eq!(stats.wasserstein, None);
        if stats.psi >= 0.25 {
            drifted += 1
        } else if stats.psi < 0.1 {
            stable += 1
        }
    }
    assert!(stable >= 5 && drifted >= 5, "the shift shows: {stable} stable, {drifted} drifted");
}

#[tokio::test]
async fn the_running_source_names_the_wrong_query_in_its_health_while_the_rest_arrives() {
    let w = world().await;
    let running = source::source("prod-prometheus", config(&w.prometheus.url, w.reference)).unwrap();
    let health = Health::new("prod-prometheus", "prometheus");
    let store: Arc<dyn Store> = w.store.clone();
    let task = running.start(SourceContext { store: store.clone(), health: health.clone() }).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let points = loop {
        let points = store.quality(MODEL, None, 100).await.unwrap();
        if health.snapshot().last_error.is_some() && points.iter().any(|p| p.error_rate.is_some()) {
            break points;
        }
        assert!(tokio::time::Instant::now() < deadline, "no poll in time: {:?}", health.snapshot());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let snapshot = health.snapshot();
    let error = snapshot.last_error.clone().unwrap();
    assert!(error.contains(BAD) && error.contains("timeouts") && error.contains("bad_data"), "{error}");
    assert!(snapshot.last_ok_at.is_some() && snapshot.backoff_until.is_none(), "{snapshot:?}");
    assert!(points.iter().all(|p| p.timeouts.is_none()));

    // Prometheus gone: the poll fails and the source backs off.
    let mut prometheus = w.prometheus;
    prometheus.stop();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while health.snapshot().backoff_until.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "no failed poll: {:?}", health.snapshot());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(health.snapshot().last_error.unwrap().contains("cannot connect"), "{:?}", health.snapshot());
    task.abort();
}

#[tokio::test]
async fn a_range_past_the_point_limit_is_asked_in_pieces_and_arrives_whole() {
    let w = world().await;
    let (start, step) = (w.reference.0, 60);
    let end = start + 11_500 * step;
    let refused = w.prometheus.range("vector(1)", start, end, step).await;
    assert_eq!(refused["errorType"], "bad_data", "Prometheus refuses it in one request: {refused}");
    let client = source::Client::new(&w.prometheus.url, None).unwrap();
    let answer = client.query_range("vector(1)", start, end, step).await.unwrap();
    assert_eq!(client.requests(), 2);
    let samples = &answer.series[0].samples;
    assert_eq!(samples.len(), 11_501);
    assert!(samples.windows(2).all(|p| p[1].0 - p[0].0 == step) && samples.iter().all(|s| s.1 == Some(1.0)));
    let wrong = client.query_range("sum(", start, start + step, step).await.unwrap_err();
    assert!(wrong.is_permanent() && wrong.to_string().starts_with("bad_data: "), "{wrong}");
}
