//! Compact writes: timeline events stored as rows, the change feed's incident tails, and
//! `Prefer: return=minimal`, on the real server on 127.0.0.1:0 over plain HTTP (and, with
//! `OPSDECK_TEST_POSTGRES`, on PostgreSQL too), with the console's real poller and cache.

#[path = "support/ops.rs"]
mod ops;

use serde_json::{Value, json};

use ops::{DANA, ERIN, VIC, call, start};
use opsdeck::cache::Cache;
use opsdeck::db::DbLocation;
use opsdeck::server::RunningServer;

async fn open_incident(server: &RunningServer) -> String {
    let new = json!({"title": "p95 latency 2.4s over the SLO", "service_id": "llm-gateway", "priority": "P1"});
    let answer = call(server, "POST", DANA, "/v1/incidents", Some(new), None).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body["id"].as_str().unwrap().to_string()
}

/// Adds a note as erin at `version`; the incident's new version.
async fn note(server: &RunningServer, id: &str, version: i64, text: &str) -> i64 {
    let body = json!({"version": version, "text": text});
    let answer = call(server, "POST", ERIN, &format!("/v1/incidents/{id}/notes"), Some(body), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["version"].as_i64().unwrap()
}

/// `GET /v1/changes` after `since` (from the start when `None`), asking for tails or not.
async fn changes(server: &RunningServer, since: Option<&str>, tails: bool) -> Value {
    let mut path = format!("/v1/changes?tails={tails}");
    if let Some(since) = since {
        path.push_str(&format!("&since={since}"));
    }
    let answer = call(server, "GET", VIC, &path, None, None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

fn cursor(page: &Value) -> String {
    page["cursor"].as_str().unwrap().to_string()
}

/// The page's changes of incident `id` (whole or a tail).
fn of_incident<'a>(page: &'a Value, id: &str) -> Vec<&'a Value> {
    let changes = page["changes"].as_array().unwrap().iter();
    changes
        .filter(|c| c["data"]["id"] == id || c["data"]["incident"]["id"] == id)
        .filter(|c| c["kind"] == "incident" || c["kind"] == "incident_tail")
        .collect()
}

fn texts(timeline: &Value) -> Vec<String> {
    timeline.as_array().unwrap().iter().map(|event| event["text"].as_str().unwrap_or_default().to_string()).collect()
}

#[tokio::test]
async fn the_feed_sends_an_incident_it_has_seen_as_its_new_events_and_a_new_one_whole() {
    let server = start(DbLocation::Memory).await;
    let id = open_incident(&server).await;

    let cold = changes(&server, None, true).await;
    let first = of_incident(&cold, &id)[0];
    assert_eq!(first["kind"], "incident", "new to the console: the incident whole");
    let opened = first["data"]["timeline"].as_array().unwrap().len();
    assert!(opened >= 1, "{first}");

    let mut version = first["data"]["version"].as_i64().unwrap();
    for text in ["Failing over to us-east", "Error rate back under 1%", "Watching for 30 minutes"] {
        version = note(&server, &id, version, text).await;
    }

    let page = changes(&server, Some(&cursor(&cold)), true).await;
    let changes_after = of_incident(&page, &id);
    assert_eq!(changes_after.len(), 1, "three writes of one incident are one change: {page}");
    let tail = &changes_after[0];
    assert_eq!(tail["kind"], "incident_tail", "{tail}");
    assert_eq!(tail["data"]["timeline_from"], opened, "from the first event the console lacks");
    assert_eq!(
        texts(&tail["data"]["incident"]["timeline"])[..],
        ["Failing over to us-east", "Error rate back under 1%", "Watching for 30 minutes"],
        "only the new events"
    );
    assert_eq!(tail["data"]["incident"]["version"], version, "with the incident's head as it is now");

    // A console that does not ask for tails gets the document whole, as before.
    let whole = changes(&server, Some(&cursor(&cold)), false).await;
    let whole = of_incident(&whole, &id)[0];
    assert_eq!(whole["kind"], "incident");
    assert_eq!(whole["data"]["timeline"].as_array().unwrap().len(), opened + 3);

    // A star marks an old event: the tail starts there.
    let before_star = cursor(&page);
    let star = json!({"version": version, "event": 1, "starred": true});
    let answer = call(&server, "POST", ERIN, &format!("/v1/incidents/{id}/star"), Some(star), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let page = changes(&server, Some(&before_star), true).await;
    let tail = &of_incident(&page, &id)[0]["data"];
    assert_eq!(tail["timeline_from"], 1, "{page}");
    assert_eq!(tail["incident"]["timeline"].as_array().unwrap().len(), opened + 3 - 1);
    assert_eq!(tail["incident"]["timeline"][0]["starred"], true);

    // The incident read by itself is whole, every event in its place.
    let read = call(&server, "GET", VIC, &format!("/v1/incidents/{id}"), None, None).await;
    let timeline = &read.json::<Value>(200)["timeline"];
    assert_eq!(timeline.as_array().unwrap().len(), opened + 3);
    assert_eq!(
        texts(timeline)[opened..],
        ["Failing over to us-east", "Error rate back under 1%", "Watching for 30 minutes"]
    );
}

#[tokio::test]
async fn prefer_return_minimal_answers_an_action_with_what_it_added() {
    let server = start(DbLocation::Memory).await;
    let id = open_incident(&server).await;
    let version = note(&server, &id, 1, "First look: the gateway's p95 is 2.4 s").await;

    let url = format!("{}/v1/incidents/{id}/notes", server.url());
    let body = json!({"version": version, "text": "Rolled back the router config"});
    let send = |key: &'static str| {
        reqwest::Client::new()
            .post(&url)
            .bearer_auth(ERIN)
            .header("Prefer", "respond-async, return=minimal")
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let response = send("minimal-1").await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let applied = response.headers().get("preference-applied").and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(applied.as_deref(), Some("return=minimal"));
    let answer: Value = response.json().await.unwrap();
    let had = answer["timeline_from"].as_u64().unwrap() as usize;
    assert!(had >= 2, "the events before the note are left out: {answer}");
    assert_eq!(texts(&answer["incident"]["timeline"]), ["Rolled back the router config"]);
    assert_eq!(answer["incident"]["version"], version + 1);

    // Retried with its key: the same answer, and the note is there once.
    let again: Value = send("minimal-1").await.unwrap().json().await.unwrap();
    assert_eq!(again, answer);
    let read = call(&server, "GET", VIC, &format!("/v1/incidents/{id}"), None, None).await;
    assert_eq!(read.json::<Value>(200)["timeline"].as_array().unwrap().len(), had + 1);

    // Without the preference the incident comes whole.
    let plain = call(
        &server,
        "POST",
        ERIN,
        &format!("/v1/incidents/{id}/notes"),
        Some(json!({"version": version + 1, "text": "Closing the bridge"})),
        None,
    )
    .await;
    assert_eq!(plain.json::<Value>(200)["timeline"].as_array().unwrap().len(), had + 2);
}

#[tokio::test]
async fn the_console_makes_tails_whole_from_its_cache() {
    let server = start(DbLocation::Memory).await;
    let id = open_incident(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&DbLocation::File(dir.path().join("cache.db"))).await.unwrap();
    let (sync, mut events) = ops::poller(&server, &cache);
    ops::sync_round(&mut events).await;
    let cached = cache.incident(&id).await.unwrap().expect("cached");

    let mut version = cached.version;
    for n in 0..5 {
        version = note(&server, &id, version, &format!("update {n}")).await;
    }
    sync.poke();
    ops::sync_round(&mut events).await;

    let served = call(&server, "GET", VIC, &format!("/v1/incidents/{id}"), None, None).await;
    let served: opsdeck::domain::Incident = served.json(200);
    let cached = cache.incident(&id).await.unwrap().expect("still cached");
    assert_eq!(cached, served, "the cached incident is the server's, every event in order");

    // A star on an early event: the tail from there replaces what the cache has after it.
    let star = json!({"version": version, "event": 1, "starred": true});
    let answer = call(&server, "POST", ERIN, &format!("/v1/incidents/{id}/star"), Some(star), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    sync.poke();
    ops::sync_round(&mut events).await;
    let cached = cache.incident(&id).await.unwrap().expect("still cached");
    assert!(cached.timeline[1].starred);
    assert_eq!(cached, answer.json::<opsdeck::domain::Incident>(200));
    sync.stop();
}

#[tokio::test]
async fn a_page_of_changes_stops_at_its_byte_budget_and_the_next_goes_on() {
    let server = start(DbLocation::Memory).await;
    // Notes of nearly the 4,000 characters allowed: 80 KB of timeline per incident.
    let long = "l".repeat(3990);
    let mut ids = Vec::new();
    for _ in 0..12 {
        let id = open_incident(&server).await;
        let mut version = 1;
        for _ in 0..20 {
            version = note(&server, &id, version, &long).await;
        }
        ids.push(id);
    }
    let budget = opsdeck::server::store::docs::PAGE_BYTES;
    let mut seen = Vec::new();
    let mut since: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= 10, "the feed ends");
        let page = changes(&server, since.as_deref(), true).await;
        let docs = page["changes"].as_array().unwrap();
        let biggest = docs.iter().map(|c| c.to_string().len()).max().unwrap_or(0);
        let bytes: usize = docs.iter().map(|c| c.to_string().len()).sum();
        assert!(bytes <= budget + biggest, "a page holds its budget and at most one change past it: {bytes}");
        seen.extend(
            docs.iter().filter(|c| c["kind"] == "incident").map(|c| c["data"]["id"].as_str().unwrap().to_string()),
        );
        since = Some(cursor(&page));
        if page["has_more"] == false {
            break;
        }
        assert!(page["remaining"].as_u64().unwrap() > 0, "says how many wait");
    }
    assert!(pages >= 2, "12 incidents of 80 KB each do not fit one page");
    assert_eq!(seen, ids, "every incident once, in order");
}

/// The rows behind one SQLite file (the server's own database).
async fn rows(path: &std::path::Path) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
    sqlx::SqlitePool::connect_with(options).await.unwrap()
}

#[tokio::test]
async fn a_note_writes_one_event_row_and_leaves_the_document_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ops.db");
    let server = start(DbLocation::File(path.clone())).await;
    let id = open_incident(&server).await;
    let mut version = 1;
    for n in 0..20 {
        version = note(&server, &id, version, &format!("update {n}")).await;
    }
    let db = rows(&path).await;
    let (count, max_n): (i64, i64) = sqlx::query_as("SELECT COUNT(*), MAX(n) FROM events WHERE incident = ?")
        .bind(&id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(count, max_n + 1, "one row per event, numbered from 0");
    let (seq, doc): (i64, String) = sqlx::query_as("SELECT seq, doc FROM entities WHERE kind = 'incident' AND id = ?")
        .bind(&id)
        .fetch_one(&db)
        .await
        .unwrap();
    let written: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE seq = ?").bind(seq).fetch_one(&db).await.unwrap();
    assert_eq!(written, 1, "the last note wrote its own event and no other");
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert!(doc.get("timeline").is_none(), "the document holds the head only: {doc}");
    assert_eq!(doc["version"], version);
}

/// An incident as a server before compact writes stored it: the timeline inside the document.
fn stored_before_rows() -> (String, opsdeck::domain::Incident) {
    use opsdeck::domain::{Incident, NewIncident, Priority};
    let at = chrono::Utc::now();
    let new = NewIncident {
        title: "Retrieval index stale".into(),
        service_id: "doc-processor".into(),
        priority: Priority::P2,
    };
    let mut incident = Incident::trigger("INC-1001".into(), new, "alertmanager", at, None);
    let event = incident.timeline[0].clone();
    for n in 0..4 {
        let mut more = event.clone();
        more.text = format!("older note {n}");
        incident.timeline.push(more);
    }
    (serde_json::to_string(&incident).unwrap(), incident)
}

/// The first migration alone of `dir` (the same file, so the server's migrator recognises it),
/// as a database made before 0002 has it.
async fn first_migration(dir: &str, scratch: &std::path::Path) -> sqlx::migrate::Migrator {
    let only = scratch.join("first-migration");
    std::fs::create_dir_all(&only).unwrap();
    std::fs::copy(format!("{dir}/0001_init.sql"), only.join("0001_init.sql")).unwrap();
    sqlx::migrate::Migrator::new(only.as_path()).await.unwrap()
}

/// After opening the old database: the incident reads back whole and takes a note as a tail.
async fn check_migrated(server: &RunningServer, incident: &opsdeck::domain::Incident) {
    let read = call(server, "GET", VIC, "/v1/incidents/INC-1001", None, None).await;
    let read: opsdeck::domain::Incident = read.json(200);
    assert_eq!(&read, incident, "the timeline moved out of the document and back, unchanged");
    let cold = changes(server, None, true).await;
    note(server, "INC-1001", incident.version, "after the upgrade").await;
    let page = changes(server, Some(&cursor(&cold)), true).await;
    assert_eq!(of_incident(&page, "INC-1001")[0]["data"]["timeline_from"], incident.timeline.len(), "{page}");
}

#[tokio::test]
async fn a_sqlite_database_from_before_timeline_rows_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ops.db");
    let (doc, incident) = stored_before_rows();
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        first_migration("migrations/server", dir.path()).await.run(&pool).await.unwrap();
        sqlx::query("INSERT INTO entities (kind, id, seq, open, doc) VALUES ('incident', 'INC-1001', 1, 1, ?)")
            .bind(&doc)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let server = start(DbLocation::File(path)).await;
    check_migrated(&server, &incident).await;
}

#[tokio::test]
async fn a_postgresql_database_from_before_timeline_rows_is_migrated_on_open() {
    let Some(pg) = ops::postgres::server() else {
        eprintln!("OPSDECK_TEST_POSTGRES is not set: the PostgreSQL migration is checked in CI");
        return;
    };
    let url = ops::postgres::fresh_database(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let (doc, incident) = stored_before_rows();
    {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        first_migration("migrations/postgres", dir.path()).await.run(&pool).await.unwrap();
        sqlx::query("INSERT INTO entities (kind, id, seq, open, doc) VALUES ('incident', 'INC-1001', 1, TRUE, $1)")
            .bind(&doc)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let server = ops::start_on(opsdeck::server::store::StoreLocation::Postgres(url)).await;
    check_migrated(&server, &incident).await;
}
