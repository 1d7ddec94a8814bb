//! Actions on an incident from a source go through the source, on the real server (127.0.0.1:0,
//! SQLite file) and the console's real HTTP client. The source here stands for an outside system:
//! it records what it was asked to carry and can be switched unavailable. Refused → 422 with the
//! reason; opsdeck's own → 200 with `Opsdeck-Notice`; a stale version → 409 without a word to the
//! outside system; unavailable → 503 with Retry-After, which the console's client reads as
//! transient (the outbox keeps the action); available again → applied once and carried once, and
//! a replay of the key carries nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Utc;
use tokio::task::JoinHandle;

use opsdeck::backend::{ActionRequest, Backend, BackendError};
use opsdeck::domain::{Command, Entity, EntityKind, Incident, IncidentAction, NewIncident, Priority};
use opsdeck::server::sources::{CarryError, Source, SourceContext, Support};
use opsdeck::server::store::{EntityTx, StoreError, StoredResponse, TxOutcome};
use opsdeck::server::{self, RunningServer, ServeOptions};

#[path = "support/ops.rs"]
mod ops;

/// One carry attempt: incident, action, actor, key, and whether the outside system took it.
type Call = (String, String, String, String, bool);

/// The outside system's side: each carry attempt.
#[derive(Default)]
struct Outside {
    available: AtomicBool,
    calls: Mutex<Vec<Call>>,
}

impl Outside {
    fn carried(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

struct Recorder(Arc<Outside>);

#[async_trait]
impl Source for Recorder {
    fn name(&self) -> &str {
        "rec"
    }
    fn kind(&self) -> &'static str {
        "recorder"
    }
    /// Opens one incident of its own, as a poll of the outside system would.
    async fn start(&self, context: SourceContext) -> Result<JoinHandle<()>, StoreError> {
        let service = context.store.services().await?.remove(0);
        let new = NewIncident { title: "disk full on gpu-7".into(), service_id: service.id, priority: Priority::P2 };
        let decide = Box::new(move |input: opsdeck::server::store::TxInput| {
            let mut incident = Incident::trigger(input.new_id.unwrap_or_default(), new, "rec", Utc::now(), None);
            incident.source = Some("rec".into());
            let entity = Entity::Incident(incident);
            TxOutcome { response: StoredResponse::entity(201, &entity), write: Some(entity) }
        });
        context.store.transact(EntityTx { kind: EntityKind::Incident, id: None, idempotency: None, decide }).await?;
        context.health.ok(Utc::now());
        Ok(tokio::spawn(async {}))
    }
    fn support(&self, action: &IncidentAction) -> Support {
        match action {
            IncidentAction::Acknowledge | IncidentAction::Resolve => Support::Carried,
            IncidentAction::Escalate => {
                Support::OpsdeckOnly("Recorder has no escalation; escalated in opsdeck only".into())
            }
            IncidentAction::Star { .. } => Support::Refused("Recorder items cannot be starred".into()),
            _ => Support::OpsdeckOnly(String::new()),
        }
    }
    async fn carry(
        &self,
        incident: &Incident,
        action: &IncidentAction,
        actor: &str,
        key: &str,
    ) -> Result<(), CarryError> {
        let up = self.0.available.load(Ordering::SeqCst);
        let verb = Command::Incident(action.clone()).path().to_string();
        self.0.calls.lock().unwrap().push((incident.id.clone(), verb, actor.into(), key.into(), up));
        if up {
            Ok(())
        } else {
            Err(CarryError::Unavailable { message: "connection refused".into(), retry_after_secs: 7 })
        }
    }
}

async fn start(dir: &std::path::Path) -> (RunningServer, Arc<Outside>, String) {
    let outside = Arc::new(Outside::default());
    outside.available.store(true, Ordering::SeqCst);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let db = opsdeck::db::DbLocation::File(dir.join("server.sqlite"));
    let sources: Vec<Box<dyn Source>> = vec![Box::new(Recorder(outside.clone()))];
    let server = server::start(listener, ServeOptions { db: db.into(), users: ops::users(), sources }).await.unwrap();
    let client = reqwest::Client::new();
    let list: Vec<Incident> = client
        .get(format!("{}/v1/incidents", server.url()))
        .bearer_auth(ops::ERIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list.iter().find(|i| i.source.as_deref() == Some("rec")).expect("the source's incident").id.clone();
    (server, outside, id)
}

async fn post(server: &RunningServer, path: &str, key: Option<&str>, body: serde_json::Value) -> reqwest::Response {
    let mut request = reqwest::Client::new().post(format!("{}{path}", server.url())).bearer_auth(ops::ERIN).json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

async fn version(server: &RunningServer, id: &str) -> i64 {
    let incident: Incident = reqwest::Client::new()
        .get(format!("{}/v1/incidents/{id}", server.url()))
        .bearer_auth(ops::VIC)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    incident.version
}

#[tokio::test]
async fn sources_are_listed_with_their_health_to_any_role() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _outside, _) = start(dir.path()).await;
    let response =
        reqwest::Client::new().get(format!("{}/v1/sources", server.url())).bearer_auth(ops::VIC).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let list: opsdeck::api::SourceList = response.json().await.unwrap();
    assert_eq!(list.sources.len(), 1);
    let rec = &list.sources[0];
    assert_eq!((rec.name.as_str(), rec.kind.as_str(), rec.stale, rec.failures), ("rec", "recorder", false, 0));
    assert!(rec.last_ok_at.is_some() && rec.last_error.is_none());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn what_a_source_cannot_do_is_refused_and_what_it_lacks_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let (server, outside, id) = start(dir.path()).await;
    let v = version(&server, &id).await;
    let starred = post(
        &server,
        &format!("/v1/incidents/{id}/star"),
        None,
        serde_json::json!({"version": v, "event": 0, "starred": true}),
    )
    .await;
    assert_eq!(starred.status(), 422);
    let body: serde_json::Value = starred.json().await.unwrap();
    assert_eq!(
        (body["error"].as_str(), body["message"].as_str()),
        (Some("source_refused"), Some("Recorder items cannot be starred"))
    );
    assert_eq!(version(&server, &id).await, v, "nothing recorded");

    let escalated =
        post(&server, &format!("/v1/incidents/{id}/escalate"), Some("esc-1"), serde_json::json!({"version": v})).await;
    assert_eq!(escalated.status(), 200);
    let notice = escalated.headers().get("opsdeck-notice").map(|h| h.to_str().unwrap().to_string());
    assert_eq!(notice.as_deref(), Some("Recorder has no escalation; escalated in opsdeck only"));
    assert!(outside.carried().is_empty(), "opsdeck's own: nothing carried");

    // The console's client hands the notice on with the item.
    let client = ops::client(&server, ops::ERIN);
    let request = ActionRequest {
        target_id: id.clone(),
        command: Command::Incident(IncidentAction::Escalate),
        version: version(&server, &id).await,
        idempotency_key: "esc-2".into(),
    };
    let (entity, notice) = client.act_noticed(&request).await.unwrap();
    assert_eq!(entity.id(), id);
    assert_eq!(notice.as_deref(), Some("Recorder has no escalation; escalated in opsdeck only"));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_stale_version_is_answered_without_touching_the_outside_system() {
    let dir = tempfile::tempdir().unwrap();
    let (server, outside, id) = start(dir.path()).await;
    let v = version(&server, &id).await;
    let stale = post(
        &server,
        &format!("/v1/incidents/{id}/acknowledge"),
        Some("ack-old"),
        serde_json::json!({"version": v - 1}),
    )
    .await;
    assert_eq!(stale.status(), 409);
    assert!(outside.carried().is_empty(), "{:?}", outside.carried());
    // Without a key the source is handed one the server derives from user, action, incident and
    // version.
    let acked =
        post(&server, &format!("/v1/incidents/{id}/acknowledge"), None, serde_json::json!({"version": v})).await;
    assert_eq!(acked.status(), 200);
    let calls = outside.carried();
    assert_eq!(calls.len(), 1);
    assert_eq!((calls[0].0.as_str(), calls[0].1.as_str(), calls[0].2.as_str()), (id.as_str(), "acknowledge", "erin"));
    assert!(calls[0].3.starts_with("opsdeck-") && calls[0].3.len() == "opsdeck-".len() + 32, "{}", calls[0].3);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unavailable_source_keeps_the_action_waiting_then_it_is_applied_and_carried_once() {
    let dir = tempfile::tempdir().unwrap();
    let (server, outside, id) = start(dir.path()).await;
    let v = version(&server, &id).await;
    outside.available.store(false, Ordering::SeqCst);
    let path = format!("/v1/incidents/{id}/acknowledge");
    let down = post(&server, &path, Some("ack-1"), serde_json::json!({"version": v})).await;
    assert_eq!(down.status(), 503);
    assert_eq!(down.headers().get("retry-after").unwrap(), "7");
    let body: serde_json::Value = down.json().await.unwrap();
    assert_eq!(body["error"], "source_unavailable");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("rec") && message.contains("connection refused"), "{message}");
    assert_eq!(version(&server, &id).await, v, "nothing applied");

    // The console's client reads it as transient, with the Retry-After its outbox waits for.
    let client = ops::client(&server, ops::ERIN);
    let request = ActionRequest {
        target_id: id.clone(),
        command: Command::Incident(IncidentAction::Acknowledge),
        version: v,
        idempotency_key: "ack-1".into(),
    };
    match client.act(&request).await {
        Err(error @ BackendError::Unavailable { retry_after: Some(7), .. }) => assert!(error.is_transient()),
        other => panic!("expected a transient 503, got {other:?}"),
    }

    outside.available.store(true, Ordering::SeqCst);
    let applied = client.act(&request).await.expect("applied once the source is back");
    assert_eq!(applied.version(), v + 1);
    let replayed = client.act(&request).await.expect("the same key again replays");
    assert_eq!(replayed.version(), v + 1);
    let carried: Vec<_> = outside.carried().into_iter().filter(|c| c.4).collect();
    assert_eq!(carried.len(), 1, "carried once: {:?}", outside.carried());
    assert_eq!(carried[0].3, "ack-1", "under the request's key");
    assert_eq!(version(&server, &id).await, v + 1, "applied once");
    server.shutdown().await.unwrap();
}

/// The console's client reads the sources of this server, and none from an older server that has
/// no such endpoint (its JSON 404).
#[tokio::test]
async fn the_consoles_client_reads_the_sources_and_an_older_server_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _outside, _) = start(dir.path()).await;
    let sources = ops::client(&server, ops::VIC).sources().await.unwrap();
    assert_eq!(sources.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["rec"]);
    server.shutdown().await.unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let older = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": "not_found", "message": "no such endpoint"})),
        )
    });
    let task = tokio::spawn(async move { axum::serve(listener, older).await });
    let client = opsdeck::backend::http::HttpBackend::new(&url, Some(opsdeck::config::Secret::new(ops::VIC))).unwrap();
    assert_eq!(client.sources().await.unwrap(), Vec::new());
    task.abort();
}
