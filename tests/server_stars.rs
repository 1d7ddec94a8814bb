//! Starring timeline events: the real reference server on 127.0.0.1:0, plain HTTP as erin
//! (responder) and vic (viewer), and the console's real HTTP client.

#[path = "support/ops.rs"]
mod ops;

use chrono::Utc;
use serde_json::{Value, json};

use ops::{DANA, ERIN, VIC, client, start};
use opsdeck::api::{ConflictBody, ErrorBody};
use opsdeck::backend::{ActionRequest, Backend, BackendError};
use opsdeck::db::DbLocation;
use opsdeck::domain::{Command, Entity, Incident, IncidentAction, Rejection};
use opsdeck::server::RunningServer;

async fn post(server: &RunningServer, token: &str, path: &str, body: Value, key: Option<&str>) -> (u16, bool, Value) {
    let mut request = reqwest::Client::new().post(format!("{}{path}", server.url())).bearer_auth(token).json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    (status, replayed, response.json().await.unwrap())
}

async fn get(server: &RunningServer, path: &str) -> Value {
    let url = format!("{}{path}", server.url());
    reqwest::Client::new().get(url).bearer_auth(VIC).send().await.unwrap().json().await.unwrap()
}

/// An incident with a resolved timeline: triggered, notified, acknowledged, note, resolved.
async fn worked_incident(server: &RunningServer) -> Incident {
    let new = json!({"title": "p95 latency 2.4s over the SLO", "service_id": "llm-gateway", "priority": "P1"});
    let (status, _, body) = post(server, DANA, "/v1/incidents", new, None).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let steps = [("acknowledge", json!({"version": 1})), ("notes", json!({"version": 2, "text": "Failing over"}))];
    for (action, body) in steps {
        let (status, _, body) = post(server, ERIN, &format!("/v1/incidents/{id}/{action}"), body, None).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, _, body) =
        post(server, ERIN, &format!("/v1/incidents/{id}/resolve"), json!({"version": 3}), None).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn a_responder_stars_an_event_of_a_resolved_incident_and_it_shows_in_the_incident_and_the_feed() {
    let server = start(DbLocation::Memory).await;
    let incident = worked_incident(&server).await;
    assert_eq!((incident.version, incident.timeline.len()), (4, 5));
    let path = format!("/v1/incidents/{}/star", incident.id);

    // An old version is fine: a star marks one event, which later changes do not move.
    let (status, replayed, body) =
        post(&server, ERIN, &path, json!({"version": 1, "event": 3, "starred": true}), Some("s1")).await;
    assert_eq!((status, replayed), (200, false), "{body}");
    let starred: Incident = serde_json::from_value(body.clone()).unwrap();
    assert_eq!((starred.version, starred.timeline.len()), (5, 5), "a version, but no timeline event");
    let flags: Vec<bool> = starred.timeline.iter().map(|e| e.starred).collect();
    assert_eq!(flags, [false, false, false, true, false]);
    assert_eq!(starred.timeline[3].text, "Failing over");
    assert_eq!(body["timeline"][3]["starred"], true);
    assert!(body["timeline"][2].get("starred").is_none(), "unstarred events leave the field out");
    let (_, replayed, again) =
        post(&server, ERIN, &path, json!({"version": 1, "event": 3, "starred": true}), Some("s1")).await;
    assert!(replayed);
    assert_eq!(again["version"], 5, "the resend applied once");

    let fetched = get(&server, &format!("/v1/incidents/{}", incident.id)).await;
    assert_eq!(fetched["timeline"][3]["starred"], true);
    let page = get(&server, "/v1/changes").await;
    let latest = page["changes"].as_array().unwrap().iter().rfind(|c| c["kind"] == "incident").unwrap().clone();
    assert_eq!(
        (latest["data"]["version"].clone(), latest["data"]["timeline"][3]["starred"].clone()),
        (json!(5), json!(true))
    );

    let (status, _, body) = post(&server, ERIN, &path, json!({"version": 5, "event": 3, "starred": false}), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["timeline"][3].get("starred").is_none());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn viewers_are_refused_and_a_missing_event_is_a_409_naming_it() {
    let server = start(DbLocation::Memory).await;
    let incident = worked_incident(&server).await;
    let path = format!("/v1/incidents/{}/star", incident.id);
    let (status, _, body) = post(&server, VIC, &path, json!({"version": 4, "event": 0, "starred": true}), None).await;
    assert_eq!(status, 403, "{body}");
    let error: ErrorBody = serde_json::from_value(body).unwrap();
    assert!(error.message.contains("vic has the viewer role"), "{}", error.message);

    let (status, _, body) = post(&server, ERIN, &path, json!({"version": 4, "event": 5, "starred": true}), None).await;
    assert_eq!(status, 409, "{body}");
    let conflict: ConflictBody = serde_json::from_value(body).unwrap();
    let message = "event: there is no timeline event #5 (the timeline has 5)".to_string();
    assert_eq!(conflict.reason, Rejection::Invalid { message });
    assert_eq!(conflict.incident, incident, "the incident as it is, unchanged");

    let (status, _, body) = post(&server, ERIN, &path, json!({"version": 4, "event": -1, "starred": true}), None).await;
    assert_eq!(status, 400, "a negative index is not a number of the body's type: {body}");
    let (status, _, _) =
        post(&server, ERIN, "/v1/incidents/INC-9/star", json!({"version": 1, "event": 0, "starred": true}), None).await;
    assert_eq!(status, 404);
    assert_eq!(get(&server, &format!("/v1/incidents/{}", incident.id)).await["version"], 4, "nothing changed");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_console_client_sends_stars_and_reads_refusals() {
    let server = start(DbLocation::Memory).await;
    let incident = worked_incident(&server).await;
    let erin = client(&server, ERIN);
    let star = |event: usize, key: &str| ActionRequest {
        target_id: incident.id.clone(),
        command: Command::Incident(IncidentAction::Star { event, starred: true }),
        version: 2,
        idempotency_key: key.into(),
    };
    let Entity::Incident(starred) = erin.act(&star(0, "c1")).await.unwrap() else { panic!("not an incident") };
    assert!(starred.timeline[0].starred && starred.version == 5);
    assert_eq!(erin.act(&star(0, "c1")).await.unwrap(), Entity::Incident(starred.clone()), "applied once");

    let refused = erin.act(&star(9, "c2")).await.unwrap_err();
    assert!(matches!(&refused, BackendError::Conflict(c) if c.current == Entity::Incident(starred.clone())));
    let sentence = refused.describe_for(&incident.id, Utc::now());
    assert!(sentence.contains("there is no timeline event #9"), "{sentence}");
    let viewer = client(&server, VIC).act(&star(1, "c3")).await.unwrap_err();
    assert!(matches!(viewer, BackendError::Forbidden(_)), "{viewer:?}");
    server.shutdown().await.unwrap();
}
