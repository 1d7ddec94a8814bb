//! Contract tests for postmortem commands as the console queues them: the real reference server
//! on 127.0.0.1:0, the console's real HTTP client, and a real SQLite cache file.

#[path = "support/ops.rs"]
mod ops;

use chrono::Utc;
use serde_json::json;

use ops::{DANA, ERIN, VIC, client, poller, start, sync_round};
use opsdeck::api::Change;
use opsdeck::backend::http::HttpBackend;
use opsdeck::backend::{ActionRequest, Backend, BackendError};
use opsdeck::cache::{Cache, Work};
use opsdeck::db::DbLocation;
use opsdeck::domain::postmortem::postmortem_id;
use opsdeck::domain::{Command, Entity, Postmortem, PostmortemAction, PostmortemDraft, PostmortemStatus, Rejection};
use opsdeck::server::RunningServer;

async fn incident(server: &RunningServer) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/incidents", server.url()))
        .bearer_auth(DANA)
        .json(&json!({"title": "Hallucination rate 11% on support-assistant", "service_id": "support-assistant", "priority": "P2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

fn save(incident_id: &str, body: &str, version: i64, key: &str) -> ActionRequest {
    let draft = PostmortemDraft { title: "Refund terms invented after template v42".into(), body: body.into() };
    let command = Command::Postmortem(PostmortemAction::Save { incident_id: incident_id.into(), draft });
    ops::action(&postmortem_id(incident_id), command, version, key)
}

fn set_status(id: &str, status: PostmortemStatus, version: i64, key: &str) -> ActionRequest {
    ops::action(id, Command::Postmortem(PostmortemAction::SetStatus { status }), version, key)
}

async fn act(backend: &HttpBackend, request: &ActionRequest) -> Result<Postmortem, BackendError> {
    match backend.act(request).await? {
        Entity::Postmortem(pm) => Ok(pm),
        other => panic!("a postmortem command answered with {other:?}"),
    }
}

const ERIN_TEXT: &str =
    "## Summary\n\nerin's account.\n\n## Action items\n\n- [ ] Canary templates @mei due:2026-12-15\n";
const DANA_TEXT: &str = "## Summary\n\ndana's account.\n\n## Action items\n\n- [x] Roll back to v41 @lee\n";

#[tokio::test]
async fn a_save_creates_a_resend_applies_once_and_a_stale_save_brings_back_the_other_text() {
    let server = start(DbLocation::Memory).await;
    let inc = incident(&server).await;
    let (erin, dana) = (client(&server, ERIN), client(&server, DANA));

    let create = save(&inc, ERIN_TEXT, 0, "pm-1");
    let created = act(&erin, &create).await.unwrap();
    assert_eq!((created.id.clone(), created.version, created.created_by.as_str()), (postmortem_id(&inc), 1, "erin"));
    assert_eq!(created.action_items[0].owner, "mei");
    assert_eq!(act(&erin, &create).await.unwrap(), created, "the same key creates once, with the first answer");

    // dana saves on version 1; erin, still on version 1, saves her own text.
    let danas = act(&dana, &save(&inc, DANA_TEXT, 1, "pm-2")).await.unwrap();
    assert_eq!((danas.version, danas.updated_by.as_str()), (2, "dana"));
    let stale = act(&erin, &save(&inc, ERIN_TEXT, 1, "pm-3")).await.unwrap_err();
    let BackendError::Conflict(conflict) = &stale else { panic!("expected a conflict, got {stale:?}") };
    assert_eq!(conflict.reason, Rejection::StaleVersion { seen: 1, current: 2 });
    let Entity::Postmortem(theirs) = &conflict.current else { panic!("{:?}", conflict.current) };
    assert_eq!(theirs.body, DANA_TEXT, "the other writer's text, to keep alongside erin's");
    assert_eq!(theirs, &danas);
    assert!(!stale.is_transient(), "a conflict is for the writer to resolve, not to retry");
    let sentence = stale.describe_for(&created.id, Utc::now());
    let expected = format!("{} changed since you saw it (saved by dana ", created.id);
    assert!(sentence.starts_with(&expected) && sentence.ends_with("); not applied"), "{sentence}");

    // Status changes go through the same client; publishing needs a commander.
    let review = act(&erin, &set_status(&created.id, PostmortemStatus::InReview, 2, "pm-4")).await.unwrap();
    assert_eq!((review.status, review.version), (PostmortemStatus::InReview, 3));
    let refused = act(&erin, &set_status(&created.id, PostmortemStatus::Published, 3, "pm-5")).await.unwrap_err();
    assert!(matches!(&refused, BackendError::Forbidden(m) if m.contains("only commanders")), "{refused:?}");
    let published = act(&dana, &set_status(&created.id, PostmortemStatus::Published, 3, "pm-6")).await.unwrap();
    assert_eq!(published.status, PostmortemStatus::Published);
    let again = act(&dana, &set_status(&created.id, PostmortemStatus::Published, 4, "pm-7")).await.unwrap_err();
    assert!(again.describe_for(&created.id, Utc::now()).contains("already published"), "{again:?}");
    let viewer = act(&client(&server, VIC), &save(&inc, "x", 4, "pm-8")).await.unwrap_err();
    assert!(matches!(viewer, BackendError::Forbidden(_)), "{viewer:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn two_consoles_creating_the_same_postmortem_both_keep_their_text() {
    let server = start(DbLocation::Memory).await;
    let inc = incident(&server).await;
    let (erin, dana) = (client(&server, ERIN), client(&server, DANA));
    let first = act(&dana, &save(&inc, DANA_TEXT, 0, "d-1")).await.unwrap();
    let second = act(&erin, &save(&inc, ERIN_TEXT, 0, "e-1")).await.unwrap_err();
    let BackendError::Conflict(conflict) = &second else { panic!("expected a conflict, got {second:?}") };
    assert_eq!(conflict.reason, Rejection::StaleVersion { seen: 0, current: 1 });
    assert_eq!(conflict.current, Entity::Postmortem(first.clone()), "dana's text comes back to erin");
    let sentence = second.describe_for(&first.id, Utc::now());
    assert!(sentence.contains("changed since you saw it (saved by dana"), "{sentence}");

    // erin merges both texts and saves on dana's version.
    let merged = format!("{DANA_TEXT}\n{ERIN_TEXT}");
    let saved = act(&erin, &save(&inc, &merged, first.version, "e-2")).await.unwrap();
    assert_eq!((saved.version, saved.action_items.len()), (2, 2));
    let missing = act(&erin, &set_status("PM-999999", PostmortemStatus::InReview, 1, "e-3")).await.unwrap_err();
    assert!(matches!(missing, BackendError::NotFound(_)), "{missing:?}");
    let invalid = act(&erin, &save("INC-999999", "text", 0, "e-4")).await.unwrap_err();
    assert!(matches!(&invalid, BackendError::Refused { status: 422, message } if message.contains("no incident")));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_answered_save_lands_in_a_cache_file_survives_reopening_it_and_sync_brings_the_latest() {
    let server = start(DbLocation::Memory).await;
    let inc = incident(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let work_path = dir.path().join("work.sqlite");
    let cache = Cache::open(&DbLocation::File(path.clone())).await.unwrap();
    let work = Work::open(&DbLocation::File(work_path.clone())).await.unwrap();
    let request = save(&inc, ERIN_TEXT, 0, "run1-1");
    let entry = ops::queued(&request);
    work.outbox_insert(&entry).await.unwrap();
    let answer = client(&server, ERIN).act(&request).await.unwrap();
    cache.store_entity(&answer).await.unwrap();
    work.outbox_complete(&entry.key, &[]).await.unwrap();
    drop((cache, work));

    let cache = Cache::open(&DbLocation::File(path)).await.unwrap();
    let work = Work::open(&DbLocation::File(work_path)).await.unwrap();
    assert!(work.outbox().await.unwrap().is_empty());
    let Entity::Postmortem(saved) = answer else { panic!("{answer:?}") };
    assert_eq!(cache.snapshot(100).await.unwrap().postmortems, vec![saved.clone()]);

    // Someone else moves it on; the console's poller brings that version, and keeps one copy.
    let review = set_status(&saved.id, PostmortemStatus::InReview, saved.version, "other-1");
    let moved = act(&client(&server, DANA), &review).await.unwrap();
    let (sync, mut rx) = poller(&server, &cache);
    let pages = sync_round(&mut rx).await;
    sync.stop();
    let synced = pages.iter().flat_map(|p| &p.changes).filter(|c| matches!(c, Change::Postmortem(_))).count();
    assert_eq!(synced, 1, "the console reads postmortem changes");
    assert_eq!(cache.snapshot(100).await.unwrap().postmortems, vec![moved]);
}
