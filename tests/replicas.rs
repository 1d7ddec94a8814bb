//! Replicas: two real servers on 127.0.0.1:0 sharing one PostgreSQL database (a fresh one on
//! the server `OPSDECK_TEST_POSTGRES` names; `.ci/run` starts it). Version checks, idempotency
//! and the change feed hold across them. Without PostgreSQL these tests say so and pass: the
//! replica guarantees are PostgreSQL's, and CI runs them.

#[path = "support/ops.rs"]
mod ops;
#[path = "support/pty.rs"]
mod pty;

use serde_json::json;

use ops::{DANA, ERIN, call, client, postgres, start_on};
use opsdeck::api::DecodedPage;
use opsdeck::backend::{Backend, BackendError};
use opsdeck::domain::{Command, EventKind, Incident, IncidentAction, Rejection};
use opsdeck::server::RunningServer;
use opsdeck::server::store::StoreLocation;

/// Two replicas on one fresh database, or `None` (said) without PostgreSQL.
async fn replicas() -> Option<(RunningServer, RunningServer)> {
    let Some(server) = postgres::server() else {
        eprintln!("OPSDECK_TEST_POSTGRES is not set: no PostgreSQL to run replicas on");
        return None;
    };
    let db = StoreLocation::Postgres(postgres::fresh_database(&server).await);
    // Both start at once: the migrations and the database's name are settled between them.
    let (a, b) = tokio::join!(start_on(db.clone()), start_on(db));
    Some((a, b))
}

async fn create(server: &RunningServer, title: &str) -> Incident {
    let body = json!({ "title": title, "service_id": "llm-gateway", "priority": "P2" });
    call(server, "POST", ERIN, "/v1/incidents", Some(body), None).await.json(201)
}

async fn fetch(server: &RunningServer, id: &str) -> Incident {
    call(server, "GET", ERIN, &format!("/v1/incidents/{id}"), None, None).await.json(200)
}

fn count(incident: &Incident, kind: EventKind) -> usize {
    incident.timeline.iter().filter(|e| e.kind == kind).count()
}

#[tokio::test]
async fn the_replicas_are_one_database_under_one_name() {
    let Some((a, b)) = replicas().await else { return };
    assert_eq!(a.epoch, b.epoch, "both replicas name the database alike: consoles keep their cursor across them");
    let incident = create(&a, "gateway 502s").await;
    assert_eq!(fetch(&b, &incident.id).await, incident, "written through one, read through the other");
}

#[tokio::test]
async fn two_consoles_acknowledging_through_two_replicas_at_once_one_wins_and_the_other_is_told_who() {
    let Some((a, b)) = replicas().await else { return };
    let (erin, dana) = (client(&a, ERIN), client(&b, DANA));
    for round in 0..10 {
        let incident = create(&a, &format!("retrieval timeouts {round}")).await;
        let ack = |key: &str| {
            ops::action(&incident.id, Command::Incident(IncidentAction::Acknowledge), incident.version, key)
        };
        let (by_erin, by_dana) = (ack(&format!("erin-{round}")), ack(&format!("dana-{round}")));
        let (first, second) = tokio::join!(erin.act(&by_erin), dana.act(&by_dana));
        let (winner, loser) = match (first, second) {
            (Ok(_), Err(lost)) => ("erin", lost),
            (Err(lost), Ok(_)) => ("dana", lost),
            other => panic!("round {round}: exactly one acknowledgement wins, got {other:?}"),
        };
        match loser {
            BackendError::Conflict(conflict) => assert!(
                matches!(&conflict.reason, Rejection::AlreadyAcknowledged { by, .. } if by == winner),
                "round {round}: the other is told {winner} has it: {:?}",
                conflict.reason
            ),
            other => panic!("round {round}: the loser gets a conflict, got {other:?}"),
        }
        let stored = fetch(&b, &incident.id).await;
        assert_eq!(count(&stored, EventKind::Acknowledged), 1, "round {round}");
        assert_eq!(stored.version, incident.version + 1, "round {round}: one write");
    }
}

#[tokio::test]
async fn one_idempotency_key_sent_to_two_replicas_is_applied_once() {
    let Some((a, b)) = replicas().await else { return };
    let incident = create(&a, "embedding drift").await;
    for round in 0..10 {
        let key = format!("note-{round}");
        let body = json!({ "version": incident.version, "text": format!("failover step {round}") });
        let path = format!("/v1/incidents/{}/notes", incident.id);
        let (first, second) = tokio::join!(
            call(&a, "POST", ERIN, &path, Some(body.clone()), Some(&key)),
            call(&b, "POST", ERIN, &path, Some(body), Some(&key)),
        );
        assert_eq!((first.status, second.status), (200, 200), "round {round}: {} / {}", first.body, second.body);
        assert_eq!(first.body, second.body, "round {round}: the replay is the first answer");
        assert!(first.replayed != second.replayed, "round {round}: one of them is the replay");
    }
    assert_eq!(count(&fetch(&a, &incident.id).await, EventKind::Note), 10, "ten keys, ten notes");
}

#[tokio::test]
async fn writes_through_both_replicas_at_once_reach_the_feed_in_order_and_complete() {
    let Some((a, b)) = replicas().await else { return };
    let seeded: DecodedPage = call(&a, "GET", ERIN, "/v1/changes?limit=500", None, None).await.json(200);
    assert!(!seeded.page.has_more, "the seeded catalog fits one page");
    let cursor = seeded.page.cursor;
    let writes = (0..40).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        create(server, if i % 2 == 0 { "from a" } else { "from b" })
    });
    let created: Vec<Incident> = futures_util::future::join_all(writes).await;
    let page: DecodedPage =
        call(&b, "GET", ERIN, &format!("/v1/changes?since={cursor}&limit=500"), None, None).await.json(200);
    let mut fed: Vec<String> = page
        .page
        .changes
        .iter()
        .filter_map(|c| match c {
            opsdeck::api::Change::Incident(i) => Some(i.id.clone()),
            _ => None,
        })
        .collect();
    let mut made: Vec<String> = created.iter().map(|i| i.id.clone()).collect();
    assert_eq!(fed.len(), made.len(), "every write is in the feed once");
    fed.sort();
    made.sort();
    assert_eq!(fed, made);
    let again: DecodedPage =
        call(&a, "GET", ERIN, &format!("/v1/changes?since={cursor}&limit=500"), None, None).await.json(200);
    assert_eq!(again.page.cursor, page.page.cursor, "both replicas serve the same feed");
}

#[tokio::test]
async fn two_serve_processes_on_one_database_and_one_killed_the_other_carries_on() {
    let Some(server) = postgres::server() else {
        eprintln!("OPSDECK_TEST_POSTGRES is not set: no PostgreSQL to run replicas on");
        return;
    };
    let url = postgres::fresh_database(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.toml");
    pty::write_tokens(&tokens).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_opsdeck"));
    let timeout = std::time::Duration::from_secs(20);
    let db = std::path::PathBuf::from(&url);
    let (mut a, b) = tokio::task::spawn_blocking(move || {
        (
            pty::Server::start(bin, &db, &tokens, timeout).unwrap(),
            pty::Server::start(bin, &db, &tokens, timeout).unwrap(),
        )
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let body = json!({ "title": "vector store down", "service_id": "llm-gateway", "priority": "P1" });
    let created = http.post(format!("{}/v1/incidents", a.url)).bearer_auth(ERIN).json(&body).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let incident: Incident = created.json().await.unwrap();
    a.kill().unwrap();
    let read = http.get(format!("{}/v1/incidents/{}", b.url, incident.id)).bearer_auth(ERIN).send().await.unwrap();
    assert_eq!(read.status(), 200, "the replica left serves what the killed one wrote");
    let body = json!({ "version": incident.version });
    let path = format!("{}/v1/incidents/{}/acknowledge", b.url, incident.id);
    let acked = http.post(path).bearer_auth(DANA).json(&body).send().await.unwrap();
    assert_eq!(acked.status(), 200, "and takes actions on it");
    let acked: Incident = acked.json().await.unwrap();
    assert_eq!(acked.assignee.as_deref(), Some("dana"));
}

#[tokio::test]
async fn a_database_that_cannot_be_reached_is_said_plainly_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.toml");
    pty::write_tokens(&tokens).unwrap();
    let tokens = tokens.display().to_string();
    // Nothing listens on port 1 of loopback.
    let db = "postgres://opsdeck:s3cret-pw@127.0.0.1:1/opsdeck";
    let args = ["serve", "--bind", "127.0.0.1:0", "--db", db, "--tokens", &tokens];
    let out = ops::run_opsdeck(args.iter().map(|s| s.to_string()).collect()).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot open the database postgres://opsdeck:***@127.0.0.1:1/opsdeck"), "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(!stderr.contains("s3cret-pw"), "the password never reaches the output: {stderr}");
}
