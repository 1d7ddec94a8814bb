//! Contract tests of the Ops API: the real reference server on 127.0.0.1:0, the console's real
//! HTTP client and sync task, and real SQLite files in a temporary directory.

#[path = "support/ops.rs"]
mod ops;

use serde_json::json;

use ops::{DANA, ERIN, VIC, client, poller, start, sync_round};
use opsdeck::api::{IDEMPOTENCY_HEADER, Role};
use opsdeck::backend::http::HttpBackend;
use opsdeck::backend::{ActionRequest, Backend, BackendError};
use opsdeck::cache::Cache;
use opsdeck::db::DbLocation;
use opsdeck::domain::{Command, Entity, EventKind, Incident, IncidentAction, IncidentStatus, Rejection};
use opsdeck::server::RunningServer;

async fn create(server: &RunningServer, title: &str, priority: &str) -> Incident {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/incidents", server.url()))
        .bearer_auth(ERIN)
        .json(&json!({ "title": title, "service_id": "llm-gateway", "priority": priority }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn fetch(server: &RunningServer, id: &str) -> Incident {
    let response = reqwest::Client::new()
        .get(format!("{}/v1/incidents/{id}", server.url()))
        .bearer_auth(ERIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn request(id: &str, action: IncidentAction, version: i64, key: &str) -> ActionRequest {
    ActionRequest { target_id: id.into(), command: Command::Incident(action), version, idempotency_key: key.into() }
}

/// `Backend::act` for incident actions: the answer must be an incident.
trait ActOnIncident {
    async fn act_incident(&self, request: &ActionRequest) -> Result<Incident, BackendError>;
}

impl ActOnIncident for HttpBackend {
    async fn act_incident(&self, request: &ActionRequest) -> Result<Incident, BackendError> {
        match self.act(request).await? {
            Entity::Incident(incident) => Ok(incident),
            other => panic!("an incident action answered with {other:?}"),
        }
    }
}

fn count(incident: &Incident, kind: EventKind) -> usize {
    incident.timeline.iter().filter(|e| e.kind == kind).count()
}

#[tokio::test]
async fn sync_from_empty_then_only_what_changed() {
    let server = start(DbLocation::Memory).await;
    let a = create(&server, "p95 latency breach", "P1").await;
    create(&server, "hallucination rate high", "P2").await;
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap();

    let (sync, mut rx) = poller(&server, &cache);
    let first = sync_round(&mut rx).await;
    assert!(first[0].from_empty);
    let snapshot = cache.snapshot(100).await.unwrap();
    assert_eq!(snapshot.total, 2);
    assert_eq!(snapshot.services.len(), 7);
    assert_eq!(snapshot.policies.len(), 2);
    let cursor = snapshot.sync.cursor.clone().expect("cursor stored");

    let erin = client(&server, ERIN);
    let acked = erin.act_incident(&request(&a.id, IncidentAction::Acknowledge, a.version, "k1")).await.unwrap();
    let c = create(&server, "safety filter bypass", "P1").await;
    sync.poke();
    let second = sync_round(&mut rx).await;
    let changed: Vec<String> = second
        .iter()
        .flat_map(|p| &p.changes)
        .map(|c| match c {
            opsdeck::api::Change::Incident(i) => i.id.clone(),
            other => panic!("only incidents changed, got {other:?}"),
        })
        .collect();
    assert_eq!(changed, [acked.id.clone(), c.id.clone()], "incremental: just the two changes, in order");
    assert!(!second[0].from_empty);
    let meta = cache.sync_meta().await.unwrap();
    assert_ne!(meta.cursor.as_deref(), Some(cursor.as_str()));
    let cached = cache.incidents().await.unwrap();
    assert_eq!(cached.len(), 3);
    assert_eq!(cached.iter().find(|i| i.id == a.id).unwrap().status, IncidentStatus::Acknowledged);
    sync.stop();
}

#[tokio::test]
async fn changes_are_paged_without_gaps_or_repeats() {
    let server = start(DbLocation::Memory).await;
    for i in 0..6 {
        create(&server, &format!("incident {i}"), "P3").await;
    }
    let erin = client(&server, ERIN);
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut remaining = Vec::new();
    loop {
        let decoded = erin.changes(cursor.as_deref(), 4).await.unwrap();
        assert!(decoded.skipped.is_empty() && decoded.unknown_kinds.is_empty(), "{:?}", decoded.skipped);
        let page = decoded.page;
        pages += 1;
        remaining.push(page.remaining);
        seen.extend(page.changes.iter().map(|c| format!("{c:?}").chars().take(40).collect::<String>()));
        cursor = Some(page.cursor);
        if !page.has_more {
            break;
        }
    }
    // 2 policies + 7 services + 6 incidents.
    assert_eq!(seen.len(), 15);
    assert_eq!(pages, 4);
    // Each page says how many changes wait after it: what the console shows as progress.
    assert_eq!(remaining, [Some(11), Some(7), Some(3), Some(0)]);
    let again = erin.changes(cursor.as_deref(), 4).await.unwrap().page;
    assert!(again.changes.is_empty() && !again.has_more);
    assert_eq!(again.remaining, Some(0));
}

#[tokio::test]
async fn the_same_idempotency_key_applies_once() {
    let server = start(DbLocation::Memory).await;
    let incident = create(&server, "provider 429s", "P1").await;
    let erin = client(&server, ERIN);
    let req = request(&incident.id, IncidentAction::Acknowledge, incident.version, "same-key");
    let first = erin.act_incident(&req).await.unwrap();
    let second = erin.act_incident(&req).await.unwrap();
    assert_eq!(first, second, "the replay returns the first answer");
    let stored = fetch(&server, &incident.id).await;
    assert_eq!(count(&stored, EventKind::Acknowledged), 1);
    assert_eq!(stored.version, 2);
    let ack = stored.timeline.iter().find(|e| e.kind == EventKind::Acknowledged).unwrap();
    assert_eq!(ack.actor, "erin", "the actor is recorded");

    let http = reqwest::Client::new();
    let replay = http
        .post(format!("{}/v1/incidents/{}/acknowledge", server.url(), incident.id))
        .bearer_auth(ERIN)
        .header(IDEMPOTENCY_HEADER, "same-key")
        .json(&json!({ "version": incident.version }))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.headers().get("idempotent-replayed").unwrap(), "true");

    let reused = erin.act_incident(&request(&incident.id, IncidentAction::Resolve, 2, "same-key")).await.unwrap_err();
    assert!(matches!(reused, BackendError::Refused { status: 422, .. }), "{reused:?}");

    // Notes replay too: one note however often it is resent.
    let note = request(&incident.id, IncidentAction::Note { text: "failover started".into() }, 2, "note-key");
    erin.act_incident(&note).await.unwrap();
    erin.act_incident(&note).await.unwrap();
    assert_eq!(count(&fetch(&server, &incident.id).await, EventKind::Note), 1);
}

#[tokio::test]
async fn a_stale_version_or_an_impossible_transition_is_a_409_with_the_current_incident() {
    let server = start(DbLocation::Memory).await;
    let incident = create(&server, "index stale", "P2").await;
    let erin = client(&server, ERIN);
    let dana = client(&server, DANA);

    let stale =
        erin.act_incident(&request(&incident.id, IncidentAction::Escalate, incident.version - 1, "k-stale")).await;
    match stale.unwrap_err() {
        BackendError::Conflict(body) => {
            assert_eq!(body.reason, Rejection::StaleVersion { seen: incident.version - 1, current: incident.version });
            assert_eq!(body.current, Entity::Incident(incident.clone()));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }

    dana.act_incident(&request(&incident.id, IncidentAction::Acknowledge, incident.version, "k-dana")).await.unwrap();
    match erin
        .act_incident(&request(&incident.id, IncidentAction::Acknowledge, incident.version, "k-erin"))
        .await
        .unwrap_err()
    {
        BackendError::Conflict(body) => {
            assert!(
                matches!(&body.reason, Rejection::AlreadyAcknowledged { by, .. } if by == "dana"),
                "{:?}",
                body.reason
            );
            assert!(matches!(&body.current, Entity::Incident(i) if i.status == IncidentStatus::Acknowledged));
            assert!(
                body.message.starts_with(&format!("{} already acknowledged by dana", incident.id)),
                "{}",
                body.message
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }

    // A note only appends: the version it was written against is old, and it still lands.
    let noted = erin
        .act_incident(&request(&incident.id, IncidentAction::Note { text: "seen the alert".into() }, 1, "k-note"))
        .await
        .unwrap();
    assert_eq!(count(&noted, EventKind::Note), 1);
}

#[tokio::test]
async fn viewers_are_refused_and_tokens_are_required() {
    let server = start(DbLocation::Memory).await;
    let incident = create(&server, "token cost anomaly", "P3").await;
    let vic = client(&server, VIC);
    assert_eq!(vic.me().await.unwrap().role, Role::Viewer);
    let refused = vic.act_incident(&request(&incident.id, IncidentAction::Acknowledge, incident.version, "k")).await;
    assert!(matches!(refused, Err(BackendError::Forbidden(_))), "{refused:?}");
    assert_eq!(fetch(&server, &incident.id).await, incident, "nothing changed");

    let anonymous = HttpBackend::new(&server.url(), None).unwrap();
    let anonymous = anonymous.with_config_path(std::path::Path::new("/home/erin/.config/opsdeck/config.toml"));
    let refused = anonymous.me().await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        "no token configured: set OPSDECK_TOKEN, token_file or token in /home/erin/.config/opsdeck/config.toml"
    );
    let wrong = client(&server, "not-a-valid-token-at-all");
    assert!(matches!(wrong.changes(None, 10).await, Err(BackendError::Unauthorized(_))));
}

#[tokio::test]
async fn bad_requests_get_clear_json_errors() {
    let server = start(DbLocation::Memory).await;
    let http = reqwest::Client::new();
    let url = server.url();
    let cases = [
        (
            http.post(format!("{url}/v1/incidents"))
                .bearer_auth(ERIN)
                .header("content-type", "application/json")
                .body("{not json"),
            400,
        ),
        (
            http.post(format!("{url}/v1/incidents"))
                .bearer_auth(ERIN)
                .json(&json!({"title": "x", "service_id": "nope", "priority": "P1"})),
            422,
        ),
        (
            http.post(format!("{url}/v1/incidents"))
                .bearer_auth(ERIN)
                .json(&json!({"title": " ", "service_id": "llm-gateway", "priority": "P1"})),
            422,
        ),
        (http.get(format!("{url}/v1/changes?since=abc")).bearer_auth(ERIN), 400),
        (http.get(format!("{url}/v1/incidents/INC-404")).bearer_auth(ERIN), 404),
        (
            http.post(format!("{url}/v1/incidents/INC-404/acknowledge")).bearer_auth(ERIN).json(&json!({"version": 1})),
            404,
        ),
        (http.get(format!("{url}/v1/nothing-here")).bearer_auth(ERIN), 404),
        (
            http.post(format!("{url}/v1/incidents/INC-1/acknowledge"))
                .bearer_auth(ERIN)
                .header(IDEMPOTENCY_HEADER, "bad key with spaces")
                .json(&json!({"version": 1})),
            400,
        ),
    ];
    for (request, status) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status);
        let body: opsdeck::api::ErrorBody = response.json().await.expect("a JSON error body");
        assert!(!body.message.is_empty());
    }
}

#[tokio::test]
async fn a_replaced_server_database_resets_the_cache() {
    let first = start(DbLocation::Memory).await;
    create(&first, "from the old database", "P2").await;
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap();
    let (sync, mut rx) = poller(&first, &cache);
    sync_round(&mut rx).await;
    sync.stop();
    first.shutdown().await.unwrap();

    let second = start(DbLocation::Memory).await;
    create(&second, "from the new database", "P1").await;
    let (sync, mut rx) = poller(&second, &cache);
    let pages = sync_round(&mut rx).await;
    assert!(pages[0].reset, "a different epoch means start again");
    let titles: Vec<String> = cache.incidents().await.unwrap().into_iter().map(|i| i.title).collect();
    assert_eq!(titles, ["from the new database"]);
    sync.stop();
}

#[tokio::test]
async fn a_file_database_keeps_incidents_and_epoch_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let db = DbLocation::File(dir.path().join("server.sqlite"));
    let server = start(db.clone()).await;
    let incident = create(&server, "survives restarts", "P2").await;
    let epoch = server.epoch.clone();
    server.shutdown().await.unwrap();
    let server = start(db).await;
    assert_eq!(server.epoch, epoch);
    assert_eq!(fetch(&server, &incident.id).await, incident);
    assert_eq!(create(&server, "next", "P4").await.id, "INC-1002", "ids continue");
}

#[tokio::test]
async fn users_are_listed_by_name_and_role_for_responders_and_never_with_tokens() {
    let server = start(DbLocation::Memory).await;
    let names: Vec<(String, Role)> =
        client(&server, ERIN).users().await.unwrap().into_iter().map(|u| (u.name, u.role)).collect();
    let expected = [("dana", Role::Commander), ("erin", Role::Responder), ("vic", Role::Viewer)];
    assert_eq!(names, expected.map(|(n, r)| (n.to_string(), r)));
    let raw = reqwest::Client::new().get(format!("{}/v1/users", server.url())).bearer_auth(DANA).send().await.unwrap();
    let text = raw.text().await.unwrap();
    for token in [ERIN, DANA, VIC] {
        assert!(!text.contains(token), "{text}");
    }
    assert!(matches!(client(&server, VIC).users().await, Err(BackendError::Forbidden(_))), "viewers may not");
    server.shutdown().await.unwrap();

    // With the simulator the desk's and on-call staff are there too, to assign tickets to.
    let server = ops::start_simulating(DbLocation::Memory, 7).await;
    let users = client(&server, ERIN).users().await.unwrap();
    for name in ["erin", "nina", "rosa", "lee"] {
        assert!(users.iter().any(|u| u.name == name), "{name} missing from {users:?}");
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_poller_reports_the_users_after_the_identity() {
    let server = start(DbLocation::Memory).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap();
    let (sync, mut rx) = poller(&server, &cache);
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match tokio::time::timeout(ops::DEADLINE, rx.recv()).await.expect("in time").expect("open") {
            opsdeck::console::event::Event::Identity(me) => seen.push(format!("identity {}", me.name)),
            opsdeck::console::event::Event::Users(users) => seen.push(format!("{} users", users.unwrap().len())),
            _ => {}
        }
    }
    assert_eq!(seen, ["identity erin", "3 users"]);
    sync.stop();
}
