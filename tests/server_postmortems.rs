//! Postmortems in the Ops API: the real reference server on 127.0.0.1:0 and plain HTTP calls as
//! dana (commander), erin (responder) and vic (viewer).

#[path = "support/ops.rs"]
mod ops;

use serde_json::{Value, json};

use ops::{DANA, ERIN, VIC, call, start};
use opsdeck::api::{Change, PostmortemConflictBody, ReceivedPage};
use opsdeck::db::DbLocation;
use opsdeck::domain::{Postmortem, PostmortemStatus, Rejection};
use opsdeck::server::RunningServer;

/// Opens an incident and returns its id.
async fn incident(server: &RunningServer, title: &str) -> String {
    let new = json!({"title": title, "service_id": "support-assistant", "priority": "P2"});
    let answer = call(server, "POST", DANA, "/v1/incidents", Some(new), None).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body["id"].as_str().unwrap().to_string()
}

fn save(version: i64, incident_id: &str, title: &str, body: &str) -> Value {
    json!({"version": version, "incident_id": incident_id, "title": title, "body": body})
}

const BODY: &str = "## Summary\n\nThe assistant invented refund terms.\n\n## Action items\n\n\
    - [ ] Canary prompt templates @mei due:2026-12-15\n- [x] Roll back template v42 @lee\n";

fn status(version: i64, status: &str) -> Value {
    json!({"version": version, "status": status})
}

#[tokio::test]
async fn created_at_version_0_then_saved_with_the_version_seen() {
    let server = start(DbLocation::Memory).await;
    let inc = incident(&server, "Hallucination rate 9% on support-assistant").await;
    let path = format!("/v1/postmortems/PM-{}", inc.trim_start_matches("INC-"));
    let created = call(&server, "PUT", ERIN, &path, Some(save(0, &inc, "Refund terms", BODY)), None).await;
    let created = created.json::<Postmortem>(201);
    assert_eq!(created.id, format!("PM-{}", inc.trim_start_matches("INC-")));
    assert_eq!((created.version, created.status, created.incident_id.as_str()), (1, PostmortemStatus::Draft, &*inc));
    assert_eq!((created.created_by.as_str(), created.updated_by.as_str()), ("erin", "erin"));
    assert_eq!(created.action_items.len(), 2);
    assert!(created.action_items[1].done && created.action_items[0].owner == "mei");

    let body = format!("{BODY}- [ ] Long-conversation evals @priya due:2027-01-10\n");
    let saved = call(&server, "PUT", DANA, &path, Some(save(1, &inc, " Refund terms, revised ", &body)), None).await;
    let saved = saved.json::<Postmortem>(200);
    assert_eq!((saved.version, saved.title.as_str(), saved.action_items.len()), (2, "Refund terms, revised", 3));
    assert_eq!((saved.created_by.as_str(), saved.updated_by.as_str()), ("erin", "dana"));
    assert_eq!(call(&server, "GET", VIC, &path, None, None).await.json::<Postmortem>(200), saved);
    let missing = call(&server, "GET", VIC, "/v1/postmortems/PM-9999", None, None).await;
    assert_eq!(missing.error(404), "no postmortem `PM-9999`");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_stale_save_gets_409_with_the_current_text_and_changes_nothing() {
    let server = start(DbLocation::Memory).await;
    let inc = incident(&server, "Intent misclassification spike").await;
    let path = format!("/v1/postmortems/PM-{}", inc.trim_start_matches("INC-"));
    call(&server, "PUT", ERIN, &path, Some(save(0, &inc, "Misroutes", "first")), None).await.json::<Postmortem>(201);
    call(&server, "PUT", DANA, &path, Some(save(1, &inc, "Misroutes", "dana's text")), None)
        .await
        .json::<Postmortem>(200);
    let stale = call(&server, "PUT", ERIN, &path, Some(save(1, &inc, "Misroutes", "erin's text")), None).await;
    let conflict = stale.json::<PostmortemConflictBody>(409);
    assert_eq!(conflict.reason, Rejection::StaleVersion { seen: 1, current: 2 });
    assert_eq!((conflict.postmortem.body.as_str(), conflict.postmortem.version), ("dana's text", 2));
    assert!(conflict.message.contains("changed since you saw it"), "{}", conflict.message);
    let current = call(&server, "GET", VIC, &path, None, None).await.json::<Postmortem>(200);
    assert_eq!(current, conflict.postmortem, "the refused save stored nothing");

    // None yet, but the writer claims to have seen one: nothing to save onto.
    let other = incident(&server, "Second incident").await;
    let other_path = format!("/v1/postmortems/PM-{}", other.trim_start_matches("INC-"));
    let missing = call(&server, "PUT", ERIN, &other_path, Some(save(3, &other, "t", "b")), None).await;
    let message = missing.error(404);
    assert!(message.contains("save with version 0 to create it"), "{message}");
    assert_eq!(call(&server, "GET", VIC, &other_path, None, None).await.status, 404);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn two_writers_creating_at_once_meet_at_one_document_and_the_second_gets_the_first_text() {
    let server = start(DbLocation::Memory).await;
    let inc = incident(&server, "Retrieval index stale").await;
    let path = format!("/v1/postmortems/PM-{}", inc.trim_start_matches("INC-"));
    let (a, b) = tokio::join!(
        call(&server, "PUT", ERIN, &path, Some(save(0, &inc, "Stale index", "erin's draft")), None),
        call(&server, "PUT", DANA, &path, Some(save(0, &inc, "Stale index", "dana's draft")), None),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} / {}", a.body, b.body);
    let (won, lost) = if a.status == 201 { (a, b) } else { (b, a) };
    let winner = won.json::<Postmortem>(201);
    let conflict = lost.json::<PostmortemConflictBody>(409);
    assert_eq!(conflict.reason, Rejection::StaleVersion { seen: 0, current: 1 });
    assert_eq!(conflict.postmortem, winner, "the loser gets the winner's text to keep both");
    let (winner_name, winner_text) =
        if winner.created_by == "erin" { ("erin", "erin's draft") } else { ("dana", "dana's draft") };
    assert_eq!((winner.created_by.as_str(), winner.body.as_str()), (winner_name, winner_text));

    // Later, the same with nobody racing: a version 0 save of an existing one is a 409 too.
    let late = call(&server, "PUT", ERIN, &path, Some(save(0, &inc, "Stale index", "late")), None).await;
    let late = late.json::<PostmortemConflictBody>(409);
    assert_eq!((late.postmortem.version, late.postmortem.body.as_str()), (1, winner_text));
    assert_eq!(call(&server, "GET", VIC, "/v1/postmortems", None, None).await.body.as_array().unwrap().len(), 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn viewers_cannot_write_and_only_commanders_publish() {
    let server = start(DbLocation::Memory).await;
    let inc = incident(&server, "Safety filter bypass").await;
    let id = format!("PM-{}", inc.trim_start_matches("INC-"));
    let path = format!("/v1/postmortems/{id}");
    let status_path = format!("{path}/status");
    let denied = call(&server, "PUT", VIC, &path, Some(save(0, &inc, "Bypass", "text")), None).await;
    assert!(denied.error(403).contains("viewer"));
    assert_eq!(call(&server, "GET", VIC, &path, None, None).await.status, 404, "nothing was created");
    call(&server, "PUT", ERIN, &path, Some(save(0, &inc, "Bypass", "text")), None).await.json::<Postmortem>(201);
    call(&server, "POST", VIC, &status_path, Some(status(1, "in_review")), None).await.error(403);

    let review = call(&server, "POST", ERIN, &status_path, Some(status(1, "in_review")), None).await;
    assert_eq!(review.json::<Postmortem>(200).status, PostmortemStatus::InReview);
    let back = call(&server, "POST", ERIN, &status_path, Some(status(2, "draft")), None).await;
    assert_eq!(back.json::<Postmortem>(200).status, PostmortemStatus::Draft);
    call(&server, "POST", ERIN, &status_path, Some(status(3, "in_review")), None).await.json::<Postmortem>(200);

    let publish = call(&server, "POST", ERIN, &status_path, Some(status(4, "published")), None).await;
    let message = publish.error(403);
    assert!(message.contains("erin has the responder role; only commanders can publish"), "{message}");
    let published = call(&server, "POST", DANA, &status_path, Some(status(4, "published")), None).await;
    let published = published.json::<Postmortem>(200);
    assert_eq!(
        (published.status, published.version, published.updated_by.as_str()),
        (PostmortemStatus::Published, 5, "dana")
    );

    let reopen = call(&server, "POST", ERIN, &status_path, Some(status(5, "draft")), None).await;
    assert!(reopen.error(403).contains("take a published one back"), "{}", reopen.body);
    let again = call(&server, "POST", DANA, &status_path, Some(status(5, "published")), None).await;
    let conflict = again.json::<PostmortemConflictBody>(409);
    assert!(conflict.message.contains("already published"), "{}", conflict.message);
    let stale = call(&server, "POST", DANA, &status_path, Some(status(4, "in_review")), None).await;
    assert_eq!(stale.json::<PostmortemConflictBody>(409).reason, Rejection::StaleVersion { seen: 4, current: 5 });
    let missing = call(&server, "POST", DANA, "/v1/postmortems/PM-1/status", Some(status(1, "draft")), None).await;
    assert_eq!(missing.error(404), "no postmortem `PM-1`");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn invalid_saves_get_422_naming_the_field() {
    let server = start(DbLocation::Memory).await;
    let inc = incident(&server, "Token cost anomaly").await;
    let num = inc.trim_start_matches("INC-").to_string();
    let path = format!("/v1/postmortems/PM-{num}");
    let too_many: String = (0..101).map(|i| format!("- [ ] item {i}\n")).collect();
    let cases = [
        (path.clone(), save(0, &inc, "  ", "b"), "title: must not be empty".to_string()),
        (path.clone(), save(0, &inc, &"t".repeat(201), "b"), "title: is limited to 200".into()),
        (path.clone(), save(0, &inc, "t", &"b".repeat(200_001)), "body: is limited to 200000".into()),
        (path.clone(), save(0, &inc, "t", &format!("## Action items\n{too_many}")), "action items: at most 100".into()),
        (path.clone(), save(-1, &inc, "t", "b"), "version: ".into()),
        (
            "/v1/postmortems/PM-1".into(),
            save(0, &inc, "t", "b"),
            format!("incident_id: the postmortem of `{inc}` is `PM-{num}`, not `PM-1`"),
        ),
        ("/v1/postmortems/PM-404".into(), save(0, "INC-404", "t", "b"), "incident_id: no incident `INC-404`".into()),
    ];
    for (path, body, expected) in cases {
        let message = call(&server, "PUT", ERIN, &path, Some(body), None).await.error(422);
        assert!(message.starts_with(&expected), "{message} should start with {expected}");
    }
    let malformed = call(&server, "PUT", ERIN, &path, Some(json!({"version": 0, "title": "t"})), None).await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    let list = call(&server, "GET", VIC, "/v1/postmortems", None, None).await;
    assert_eq!(list.body, json!([]), "nothing invalid was stored");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_resend_with_the_same_key_applies_once_and_a_reused_key_is_refused() {
    let server = start(DbLocation::Memory).await;
    let inc = incident(&server, "OCR timeouts").await;
    let path = format!("/v1/postmortems/PM-{}", inc.trim_start_matches("INC-"));
    let first = call(&server, "PUT", ERIN, &path, Some(save(0, &inc, "OCR", "v1")), Some("pm-1")).await;
    let again = call(&server, "PUT", ERIN, &path, Some(save(0, &inc, "OCR", "v1")), Some("pm-1")).await;
    assert!(!first.replayed && again.replayed);
    assert_eq!(first.json::<Postmortem>(201), again.json::<Postmortem>(201), "the first answer, not a 409");
    let other = call(&server, "PUT", ERIN, &path, Some(save(1, &inc, "OCR", "v2")), Some("pm-1")).await;
    assert!(other.error(422).contains("already used"));

    let body = Some(status(1, "in_review"));
    let s1 = call(&server, "POST", ERIN, &format!("{path}/status"), body.clone(), Some("st")).await;
    let s2 = call(&server, "POST", ERIN, &format!("{path}/status"), body, Some("st")).await;
    assert_eq!((s1.status, s2.status, s2.replayed), (200, 200, true));
    assert_eq!(call(&server, "GET", VIC, &path, None, None).await.json::<Postmortem>(200).version, 2, "applied once");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_list_filters_by_status_newest_change_first_and_the_changes_feed_carries_them() {
    let server = start(DbLocation::Memory).await;
    let mut ids = Vec::new();
    for title in ["Latency breach", "Provider 429s", "Embedding drift"] {
        let inc = incident(&server, title).await;
        let id = format!("PM-{}", inc.trim_start_matches("INC-"));
        let path = format!("/v1/postmortems/{id}");
        call(&server, "PUT", ERIN, &path, Some(save(0, &inc, title, BODY)), None).await.json::<Postmortem>(201);
        ids.push(id);
    }
    let review = |id: &str| format!("/v1/postmortems/{id}/status");
    call(&server, "POST", ERIN, &review(&ids[0]), Some(status(1, "in_review")), None).await.json::<Postmortem>(200);
    call(&server, "POST", DANA, &review(&ids[0]), Some(status(2, "published")), None).await.json::<Postmortem>(200);
    call(&server, "POST", ERIN, &review(&ids[1]), Some(status(1, "in_review")), None).await.json::<Postmortem>(200);

    let listed = |query: &'static str| {
        let server = &server;
        async move {
            let answer = call(server, "GET", VIC, &format!("/v1/postmortems{query}"), None, None).await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            let all: Vec<Postmortem> = serde_json::from_value(answer.body).unwrap();
            all.into_iter().map(|p| p.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("").await, [ids[1].clone(), ids[0].clone(), ids[2].clone()], "most recently changed first");
    assert_eq!(listed("?status=published").await, [ids[0].clone()]);
    assert_eq!(listed("?status=in_review").await, [ids[1].clone()]);
    assert_eq!(listed("?status=draft").await, [ids[2].clone()]);
    let bad = call(&server, "GET", VIC, "/v1/postmortems?status=final", None, None).await;
    assert!(bad.error(400).contains("`draft`, `in_review` or `published`, not `final`"));

    let page = call(&server, "GET", VIC, "/v1/changes", None, None).await;
    let received: ReceivedPage = serde_json::from_value(page.body.clone()).unwrap();
    assert_eq!(received.skipped_unknown, 0, "the console reads postmortem changes");
    let changes: Vec<Change> = page.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "postmortem")
        .map(|c| serde_json::from_value(c.clone()).unwrap())
        .collect();
    let latest: Vec<(String, PostmortemStatus)> = changes
        .iter()
        .map(|c| match c {
            Change::Postmortem(pm) => (pm.id.clone(), pm.status),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        latest,
        [
            (ids[2].clone(), PostmortemStatus::Draft),
            (ids[0].clone(), PostmortemStatus::Published),
            (ids[1].clone(), PostmortemStatus::InReview)
        ],
        "each once, in the order of their last change"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_file_backed_server_keeps_postmortems_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = || DbLocation::File(dir.path().join("server.sqlite"));
    let server = start(db()).await;
    let inc = incident(&server, "Latency breach").await;
    let path = format!("/v1/postmortems/PM-{}", inc.trim_start_matches("INC-"));
    call(&server, "PUT", ERIN, &path, Some(save(0, &inc, "Latency", BODY)), Some("k")).await.json::<Postmortem>(201);
    let before = call(&server, "POST", ERIN, &format!("{path}/status"), Some(status(1, "in_review")), None).await;
    let before = before.json::<Postmortem>(200);
    server.shutdown().await.unwrap();

    let server = start(db()).await;
    assert_eq!(call(&server, "GET", VIC, &path, None, None).await.json::<Postmortem>(200), before);
    let replay = call(&server, "PUT", ERIN, &path, Some(save(0, &inc, "Latency", BODY)), Some("k")).await;
    assert!(replay.replayed, "the idempotency key is remembered too");
    let saved = call(&server, "PUT", DANA, &path, Some(save(2, &inc, "Latency", "rewritten")), None).await;
    assert_eq!(saved.json::<Postmortem>(200).version, 3);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_simulator_writes_a_published_and_a_draft_postmortem_about_its_incidents() {
    let server = ops::start_simulating(DbLocation::Memory, 7).await;
    let all: Vec<Postmortem> =
        serde_json::from_value(call(&server, "GET", VIC, "/v1/postmortems", None, None).await.body).unwrap();
    let statuses: Vec<PostmortemStatus> = all.iter().map(|p| p.status).collect();
    assert!(statuses.contains(&PostmortemStatus::Published) && statuses.contains(&PostmortemStatus::Draft));
    for pm in &all {
        let incident = call(&server, "GET", VIC, &format!("/v1/incidents/{}", pm.incident_id), None, None).await;
        assert_eq!(incident.body["status"], "resolved", "{}", pm.id);
        assert!(pm.action_items.iter().any(|i| i.done) && pm.action_items.iter().any(|i| !i.done));
        assert!(pm.body.contains("**Classification:**") && pm.body.contains("## Lessons learned"));
    }
    // The oldest resolved incident is from a day before: its day-after fix is overdue by now.
    let published = all.iter().find(|p| p.status == PostmortemStatus::Published).unwrap();
    assert_eq!((published.version, published.updated_by.as_str()), (3, "dana"));
    assert!(published.overdue_items(chrono::Utc::now().date_naive()) >= 1, "{:?}", published.action_items);
    let again: Vec<Postmortem> =
        serde_json::from_value(call(&server, "GET", VIC, "/v1/postmortems?status=draft", None, None).await.body)
            .unwrap();
    assert_eq!(again.len(), 1);
    server.shutdown().await.unwrap();
}
