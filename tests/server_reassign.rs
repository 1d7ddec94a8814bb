//! Reassigning an incident: the real reference server on 127.0.0.1:0, plain HTTP as erin
//! (responder), dana (commander) and vic (viewer), and the console's real HTTP client.

#[path = "support/ops.rs"]
mod ops;

use chrono::Utc;
use serde_json::{Value, json};

use ops::{DANA, ERIN, VIC, call, client, start};
use opsdeck::api::{ConflictBody, ErrorBody};
use opsdeck::backend::{ActionRequest, Backend, BackendError};
use opsdeck::db::DbLocation;
use opsdeck::domain::{Command, Entity, EventKind, Incident, IncidentAction, IncidentStatus, Rejection};
use opsdeck::server::RunningServer;

async fn post(server: &RunningServer, token: &str, path: &str, body: Value, key: Option<&str>) -> (u16, bool, Value) {
    let answer = call(server, "POST", token, path, Some(body), key).await;
    (answer.status, answer.replayed, answer.body)
}

/// An incident dana opened and erin acknowledged (version 2).
async fn acknowledged(server: &RunningServer) -> Incident {
    let new = json!({"title": "Retrieval index stale", "service_id": "llm-gateway", "priority": "P2"});
    let (status, _, body) = post(server, DANA, "/v1/incidents", new, None).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let (status, _, body) =
        post(server, ERIN, &format!("/v1/incidents/{id}/acknowledge"), json!({"version": 1}), None).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn a_responder_hands_an_acknowledged_incident_to_someone_who_must_acknowledge_it_once() {
    let server = start(DbLocation::Memory).await;
    let incident = acknowledged(&server).await;
    assert_eq!((incident.status, incident.assignee.as_deref()), (IncidentStatus::Acknowledged, Some("erin")));
    let path = format!("/v1/incidents/{}/reassign", incident.id);

    let (status, replayed, body) = post(&server, ERIN, &path, json!({"version": 2, "to": "dana"}), Some("r1")).await;
    assert_eq!((status, replayed), (200, false), "{body}");
    let moved: Incident = serde_json::from_value(body).unwrap();
    assert_eq!(moved.version, 3);
    assert_eq!((moved.status, moved.assignee.as_deref()), (IncidentStatus::Triggered, Some("dana")));
    assert_eq!(moved.acknowledged_at, None);
    let last = moved.timeline.last().unwrap();
    assert_eq!((last.kind, last.actor.as_str()), (EventKind::Reassigned, "erin"));
    assert_eq!(last.text, "reassigned to dana (from erin), who must acknowledge");

    // The same key again: answered as the first time, applied once.
    let (status, replayed, again) = post(&server, ERIN, &path, json!({"version": 2, "to": "dana"}), Some("r1")).await;
    assert_eq!((status, replayed, again["version"].clone()), (200, true, json!(3)));
    // The feed carries the handover; dana can acknowledge now.
    let page = call(&server, "GET", VIC, "/v1/changes", None, None).await.body;
    let latest = page["changes"].as_array().unwrap().iter().rfind(|c| c["kind"] == "incident").unwrap().clone();
    assert_eq!((latest["data"]["version"].clone(), latest["data"]["assignee"].clone()), (json!(3), json!("dana")));
    let ack = format!("/v1/incidents/{}/acknowledge", incident.id);
    let (status, _, body) = post(&server, DANA, &ack, json!({"version": 3}), None).await;
    assert_eq!((status, body["assignee"].clone()), (200, json!("dana")), "{body}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn viewers_stale_versions_resolved_incidents_and_bad_names_are_refused_and_change_nothing() {
    let server = start(DbLocation::Memory).await;
    let incident = acknowledged(&server).await;
    let path = format!("/v1/incidents/{}/reassign", incident.id);

    let (status, _, body) = post(&server, VIC, &path, json!({"version": 2, "to": "dana"}), None).await;
    assert_eq!(status, 403, "{body}");
    let error: ErrorBody = serde_json::from_value(body).unwrap();
    assert!(error.message.contains("vic has the viewer role"), "{}", error.message);

    let conflict = |body: Value| serde_json::from_value::<ConflictBody>(body).unwrap();
    let (status, _, body) = post(&server, DANA, &path, json!({"version": 1, "to": "dana"}), None).await;
    assert_eq!(status, 409, "a handover of a version since changed: {body}");
    assert_eq!(conflict(body).reason, Rejection::StaleVersion { seen: 1, current: 2 });
    for (to, message) in [("   ", "assign needs a name"), ("erin", "already assigned to erin")] {
        let (status, _, body) = post(&server, DANA, &path, json!({"version": 2, "to": to}), None).await;
        assert_eq!(status, 409, "{to:?}: {body}");
        let refused = conflict(body);
        assert_eq!(refused.reason, Rejection::Invalid { message: message.into() });
        assert_eq!(refused.incident, incident, "the incident as it is, unchanged");
    }
    let (status, _, body) = post(&server, DANA, &path, json!({"version": 2, "to": "da\u{1b}]52;c;x\u{7}"}), None).await;
    assert_eq!(status, 422, "an escape sequence in the name: {body}");
    assert!(body["message"].as_str().unwrap().starts_with("to contains a control character"), "{body}");
    let (status, _, body) = post(&server, DANA, &path, json!({"version": 2}), None).await;
    assert_eq!(status, 400, "no name at all: {body}");

    let resolve = format!("/v1/incidents/{}/resolve", incident.id);
    assert_eq!(post(&server, ERIN, &resolve, json!({"version": 2}), None).await.0, 200);
    let (status, _, body) = post(&server, DANA, &path, json!({"version": 3, "to": "dana"}), None).await;
    assert_eq!(status, 409, "{body}");
    assert!(matches!(conflict(body).reason, Rejection::AlreadyResolved { by, .. } if by == "erin"));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_console_client_sends_a_reassignment_and_reads_its_refusal() {
    let server = start(DbLocation::Memory).await;
    let incident = acknowledged(&server).await;
    let erin = client(&server, ERIN);
    let reassign = |to: &str, version: i64, key: &str| ActionRequest {
        target_id: incident.id.clone(),
        command: Command::Incident(IncidentAction::Reassign { to: to.into() }),
        version,
        idempotency_key: key.into(),
    };
    let Entity::Incident(moved) = erin.act(&reassign("dana", 2, "c1")).await.unwrap() else {
        panic!("not an incident")
    };
    assert_eq!((moved.assignee.as_deref(), moved.version), (Some("dana"), 3));
    assert_eq!(erin.act(&reassign("dana", 2, "c1")).await.unwrap(), Entity::Incident(moved.clone()), "applied once");

    let refused = erin.act(&reassign("dana", 3, "c2")).await.unwrap_err();
    assert!(matches!(&refused, BackendError::Conflict(c) if c.current == Entity::Incident(moved.clone())));
    let sentence = refused.describe_for(&incident.id, Utc::now());
    assert!(sentence.contains("already assigned to dana"), "{sentence}");
    let viewer = client(&server, VIC).act(&reassign("sam", 3, "c3")).await.unwrap_err();
    assert!(matches!(viewer, BackendError::Forbidden(_)), "{viewer:?}");
    server.shutdown().await.unwrap();
}
