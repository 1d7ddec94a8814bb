//! Model monitoring in the Ops API: the real reference server on 127.0.0.1:0, a SQLite file in a
//! temporary directory, and plain HTTP calls.

#[path = "support/ops.rs"]
mod ops;

use serde_json::{Value, json};

use ops::{ERIN, VIC, start, start_simulating};
use opsdeck::api::{ErrorBody, ReceivedPage};
use opsdeck::db::DbLocation;
use opsdeck::domain::{DriftWindow, Model, QualityPoint, Sample};
use opsdeck::server::RunningServer;

struct Answer {
    status: u16,
    body: Value,
}

impl Answer {
    fn ok<T: serde::de::DeserializeOwned>(&self) -> T {
        assert_eq!(self.status, 200, "{}", self.body);
        serde_json::from_value(self.body.clone()).expect("the expected body")
    }

    /// The error message of a `status` answer.
    fn error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        let body: ErrorBody = serde_json::from_value(self.body.clone()).expect("an error body");
        body.message
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    Answer { status, body: response.json().await.unwrap_or(Value::Null) }
}

async fn get(server: &RunningServer, token: &str, path: &str) -> Answer {
    send(reqwest::Client::new().get(format!("{}{path}", server.url())).bearer_auth(token)).await
}

async fn put(server: &RunningServer, token: &str, path: &str, body: Value) -> Answer {
    send(reqwest::Client::new().put(format!("{}{path}", server.url())).bearer_auth(token).json(&body)).await
}

fn model() -> Value {
    json!({
        "id": "ranker",
        "name": "Search ranker",
        "service_id": "rag-retrieval",
        "versions": [
            {"version": "1.0.0", "deployed_at": "2026-10-01T09:00:00Z", "note": "first"},
            {"version": "1.1.0", "deployed_at": "2026-11-04T09:00:00Z", "note": "new reranker"}
        ],
        "features": [
            {"name": "score", "description": "Top score", "reference": {"kind": "numeric", "values": [0.1, 0.5, 0.9]}},
            {"name": "lang", "description": "Language", "reference": {"kind": "categorical", "values": ["en", "de"]}}
        ],
        "window_secs": 3600
    })
}

fn window(hour: u32, values: Value) -> Value {
    json!({
        "model_id": "ranker",
        "feature": "score",
        "start": format!("2026-11-05T{hour:02}:00:00Z"),
        "end": format!("2026-11-05T{:02}:00:00Z", hour + 1),
        "current": {"kind": "numeric", "values": values}
    })
}

fn quality(hour: u32) -> Value {
    json!({
        "model_id": "ranker",
        "start": format!("2026-11-05T{hour:02}:00:00Z"),
        "end": format!("2026-11-05T{:02}:00:00Z", hour + 1),
        "requests": 1200, "hallucination_rate": 0.012, "csat": 4.3, "escalation_rate": 0.05,
        "intent_misclassification_rate": 0.03, "latency_p50_ms": 410.0, "latency_p95_ms": 820.0,
        "error_rate": 0.004, "timeouts": 2, "tokens_per_request": 512.0, "cost_per_1k_tokens": 0.002
    })
}

/// Every change in the feed, page after page.
async fn all_changes(server: &RunningServer) -> Vec<Value> {
    let (mut since, mut changes) = (String::new(), Vec::new());
    loop {
        let page = get(server, VIC, &format!("/v1/changes?since={since}&limit=1000")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let typed: ReceivedPage = serde_json::from_value(page.body.clone()).expect("a changes page");
        assert_eq!(typed.skipped_unknown, 0, "every kind is known to the console");
        changes.extend(page.body["changes"].as_array().unwrap().iter().cloned());
        if !typed.has_more {
            return changes;
        }
        since = typed.cursor;
    }
}

#[tokio::test]
async fn a_pipeline_puts_a_model_its_windows_and_quality_and_everyone_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(DbLocation::File(dir.path().join("ops.sqlite"))).await;
    let stored: Model = put(&server, ERIN, "/v1/models/ranker", model()).await.ok();
    assert_eq!((stored.features.len(), stored.versions.len()), (2, 2));
    assert_eq!(put(&server, ERIN, "/v1/models/ranker", model()).await.ok::<Model>(), stored, "a PUT replaces");
    assert_eq!(get(&server, VIC, "/v1/models").await.ok::<Vec<Model>>(), std::slice::from_ref(&stored));
    assert_eq!(get(&server, VIC, "/v1/models/ranker").await.ok::<Model>(), stored);

    // Windows arrive out of order; one is sent again as it fills.
    for hour in [12, 10, 11] {
        put(&server, ERIN, "/v1/models/ranker/windows", window(hour, json!([0.2, 0.4]))).await.ok::<DriftWindow>();
    }
    let refilled: DriftWindow =
        put(&server, ERIN, "/v1/models/ranker/windows", window(12, json!([0.2, 0.4, 0.8]))).await.ok();
    for hour in [9, 10, 11] {
        put(&server, ERIN, "/v1/models/ranker/quality", quality(hour)).await.ok::<QualityPoint>();
    }

    let windows: Vec<DriftWindow> = get(&server, VIC, "/v1/models/ranker/features/score/windows").await.ok();
    let hours: Vec<String> = windows.iter().map(|w| w.start.format("%H").to_string()).collect();
    assert_eq!(hours, ["10", "11", "12"], "oldest first");
    assert_eq!(windows[2], refilled);
    assert_eq!(refilled.current, Sample::Numeric(vec![0.2, 0.4, 0.8]));
    let path = "/v1/models/ranker/features/score/windows?since=2026-11-05T11:00:00Z";
    let since: Vec<DriftWindow> = get(&server, VIC, path).await.ok();
    assert_eq!(since.len(), 2);
    let newest: Vec<DriftWindow> = get(&server, VIC, "/v1/models/ranker/features/score/windows?limit=2").await.ok();
    assert_eq!(newest, windows[1..], "the newest two, oldest first");
    let other: Vec<DriftWindow> = get(&server, VIC, "/v1/models/ranker/features/lang/windows").await.ok();
    assert!(other.is_empty());

    let points: Vec<QualityPoint> = get(&server, VIC, "/v1/models/ranker/quality?limit=2").await.ok();
    let hours: Vec<String> = points.iter().map(|q| q.start.format("%H").to_string()).collect();
    assert_eq!(hours, ["10", "11"]);
    let points: Vec<QualityPoint> =
        get(&server, VIC, "/v1/models/ranker/quality?since=2026-11-05T09:30:00%2B00:00").await.ok();
    assert_eq!(points.len(), 2);

    // The changes feed carries all of it, each id once with its latest content.
    let changes = all_changes(&server).await;
    let of = |kind: &str| changes.iter().filter(|c| c["kind"] == kind).map(|c| c["data"].clone()).collect::<Vec<_>>();
    assert_eq!(of("model").len(), 1);
    assert_eq!(of("drift_window").len(), 3);
    assert_eq!(of("quality").len(), 3);
    assert!(of("drift_window").contains(&serde_json::to_value(&refilled).unwrap()));
    assert_eq!(changes.last().unwrap()["kind"], "quality", "the last write is the newest change");

    // The data is in the file: a restarted server serves it.
    server.shutdown().await.unwrap();
    let server = start(DbLocation::File(dir.path().join("ops.sqlite"))).await;
    let again: Vec<DriftWindow> = get(&server, VIC, "/v1/models/ranker/features/score/windows").await.ok();
    assert_eq!(again, windows);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn viewers_cannot_write_and_unknown_things_are_404() {
    let server = start(DbLocation::Memory).await;
    let message = put(&server, VIC, "/v1/models/ranker", model()).await.error(403);
    assert!(message.contains("vic") && message.contains("viewer"), "{message}");
    put(&server, ERIN, "/v1/models/ranker", model()).await.ok::<Model>();
    put(&server, VIC, "/v1/models/ranker/windows", window(10, json!([0.5]))).await.error(403);
    put(&server, VIC, "/v1/models/ranker/quality", quality(10)).await.error(403);
    put(&server, "not-a-token", "/v1/models/ranker/quality", quality(10)).await.error(401);
    get(&server, "not-a-token", "/v1/models").await.error(401);

    let message = get(&server, VIC, "/v1/models/nope").await.error(404);
    assert!(message.contains("no model `nope`"), "{message}");
    let message = get(&server, VIC, "/v1/models/ranker/features/nope/windows").await.error(404);
    assert!(message.contains("no feature `nope`"), "{message}");
    get(&server, VIC, "/v1/models/nope/features/score/windows").await.error(404);
    get(&server, VIC, "/v1/models/nope/quality").await.error(404);
    let mut unknown_feature = window(10, json!([0.5]));
    unknown_feature["feature"] = json!("latency");
    let message = put(&server, ERIN, "/v1/models/ranker/windows", unknown_feature).await.error(404);
    assert!(message.contains("no feature `latency`"), "{message}");
    put(&server, ERIN, "/v1/models/nope/windows", window(10, json!([0.5]))).await.error(404);
    put(&server, ERIN, "/v1/models/nope/quality", quality(10)).await.error(404);
    let message = get(&server, VIC, "/v1/models/ranker/quality?since=yesterday").await.error(400);
    assert!(message.contains("RFC 3339"), "{message}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn invalid_monitoring_data_is_refused_with_the_reason() {
    let server = start(DbLocation::Memory).await;
    let refused = |body: Value| async { put(&server, ERIN, "/v1/models/ranker", body).await.error(422) };

    let message = put(&server, ERIN, "/v1/models/other", model()).await.error(422);
    assert!(message.contains("`ranker` is not the path's `other`"), "{message}");
    let mut empty_reference = model();
    empty_reference["features"][0]["reference"]["values"] = json!([]);
    assert!(refused(empty_reference).await.contains("the reference of `score`: the sample is empty"));
    let mut twice = model();
    twice["features"][1]["name"] = json!("score");
    twice["features"][1]["reference"] = json!({"kind": "numeric", "values": [1.0]});
    assert!(refused(twice).await.contains("`score` is listed twice"));
    let mut unordered = model();
    unordered["versions"][1]["deployed_at"] = json!("2026-09-01T00:00:00Z");
    assert!(refused(unordered).await.contains("1.1.0 was deployed before 1.0.0"));
    let mut no_window = model();
    no_window["window_secs"] = json!(0);
    assert!(refused(no_window).await.contains("window_secs must be positive"));
    let mut slash = model();
    slash["features"][0]["name"] = json!("a/b");
    assert!(refused(slash).await.contains("contains `/`"));
    // NaN cannot be written in JSON; a malformed body is a 400.
    let answer = send(
        reqwest::Client::new()
            .put(format!("{}/v1/models/ranker", server.url()))
            .bearer_auth(ERIN)
            .header("content-type", "application/json")
            .body(r#"{"id": "ranker", "window_secs": NaN}"#),
    )
    .await;
    answer.error(400);
    get(&server, VIC, "/v1/models/ranker").await.error(404);

    put(&server, ERIN, "/v1/models/ranker", model()).await.ok::<Model>();
    let bad_window = |body: Value| async { put(&server, ERIN, "/v1/models/ranker/windows", body).await.error(422) };
    assert!(bad_window(window(10, json!([]))).await.contains("the sample: the sample is empty"));
    let mut wrong_kind = window(10, json!([]));
    wrong_kind["current"] = json!({"kind": "categorical", "values": ["en"]});
    let message = bad_window(wrong_kind).await;
    assert!(message.contains("`score` is numeric but the window's sample is categorical"), "{message}");
    let mut mismatch = window(10, json!([0.5]));
    mismatch["model_id"] = json!("other");
    assert!(bad_window(mismatch).await.contains("model_id `other` is not the path's `ranker`"));
    let mut backwards = window(10, json!([0.5]));
    backwards["end"] = backwards["start"].clone();
    assert!(bad_window(backwards).await.contains("ends before it starts"));
    let huge: Vec<f64> = (0..100_001).map(|i| f64::from(i % 7)).collect();
    assert!(bad_window(window(10, json!(huge))).await.contains("more than 100000 values"));

    let mut csat = quality(10);
    csat["csat"] = json!(7.5);
    let message = put(&server, ERIN, "/v1/models/ranker/quality", csat).await.error(422);
    assert!(message.contains("CSAT = 7.5"), "{message}");
    let mut mismatch = quality(10);
    mismatch["model_id"] = json!("other");
    put(&server, ERIN, "/v1/models/ranker/quality", mismatch).await.error(422);
    let nothing: Vec<DriftWindow> = get(&server, VIC, "/v1/models/ranker/features/score/windows").await.ok();
    assert!(nothing.is_empty(), "nothing refused was stored");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_simulator_seeds_models_with_three_days_of_windows_and_quality() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_simulating(DbLocation::File(dir.path().join("demo.sqlite")), 7).await;
    let models: Vec<Model> = get(&server, VIC, "/v1/models").await.ok();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["doc-summariser", "support-assistant"]);
    let support = &models[1];
    assert_eq!(support.versions.last().unwrap().version, "2.3.0");
    assert_eq!(support.features.len(), 5);

    for feature in &support.features {
        let path = format!("/v1/models/support-assistant/features/{}/windows?limit=1000", feature.name);
        let windows: Vec<DriftWindow> = get(&server, VIC, &path).await.ok();
        // 72, or 73 if the hour turned while the test ran and the live refresh opened the next.
        assert!((72..=73).contains(&windows.len()), "{}: {}", feature.name, windows.len());
        assert!(windows.windows(2).all(|w| w[0].end == w[1].start), "hourly and in order");
        assert!(windows.iter().all(|w| w.current.kind() == feature.kind() && w.current.problem().is_none()));
        assert!(windows.last().unwrap().end > chrono::Utc::now(), "the last window is the open hour");
    }
    let quality: Vec<QualityPoint> = get(&server, VIC, "/v1/models/doc-summariser/quality?limit=1000").await.ok();
    assert!((72..=73).contains(&quality.len()));
    assert!(quality.iter().all(|q| q.problem().is_none()));

    // The open hour is refreshed live, so a window may move past the cursor and come again.
    let changes = all_changes(&server).await;
    let count = |kind: &str| {
        let ids: std::collections::BTreeSet<String> = changes
            .iter()
            .filter(|c| c["kind"] == kind)
            .map(|c| {
                format!("{}/{}/{}/{}", c["data"]["id"], c["data"]["model_id"], c["data"]["feature"], c["data"]["start"])
            })
            .collect();
        ids.len()
    };
    assert_eq!(count("model"), 2);
    assert!((72 * 8..=73 * 8).contains(&count("drift_window")));
    assert!((72 * 2..=73 * 2).contains(&count("quality")));
    assert!(count("incident") > 0 && count("ticket") > 0, "the rest of the demo world is there too");
    server.shutdown().await.unwrap();
}
