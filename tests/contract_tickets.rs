//! Contract tests for ticket actions: the real reference server on 127.0.0.1:0, the console's
//! real HTTP client and sync task, and a real SQLite cache in a temporary directory.

#[path = "support/ops.rs"]
mod ops;

use chrono::Utc;
use serde_json::json;

use ops::{DANA, ERIN, VIC, client, poller, start, sync_round};
use opsdeck::api::Change;
use opsdeck::backend::http::HttpBackend;
use opsdeck::backend::{ActionRequest, Backend, BackendError};
use opsdeck::cache::Cache;
use opsdeck::db::DbLocation;
use opsdeck::domain::{Command, Entity, Rejection, Ticket, TicketAction, TicketEventKind, TicketStatus};
use opsdeck::server::RunningServer;

/// Opens a ticket the way a customer channel (portal, e-mail) does.
async fn open_ticket(server: &RunningServer, subject: &str, priority: &str) -> Ticket {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/tickets", server.url()))
        .bearer_auth(DANA)
        .json(&json!({
            "subject": subject,
            "customer": "Northwind Travel",
            "service_id": "support-assistant",
            "priority": priority,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

fn request(key: &str, action: TicketAction, version: i64, idempotency_key: &str) -> ActionRequest {
    ops::action(key, Command::Ticket(action), version, idempotency_key)
}

async fn act(backend: &HttpBackend, request: &ActionRequest) -> Result<Ticket, BackendError> {
    match backend.act(request).await? {
        Entity::Ticket(ticket) => Ok(ticket),
        other => panic!("a ticket action answered with {other:?}"),
    }
}

#[tokio::test]
async fn every_ticket_action_goes_through_the_client_and_a_resend_applies_once() {
    let server = start(DbLocation::Memory).await;
    let ticket = open_ticket(&server, "Assistant cites a refund policy that does not exist", "P3").await;
    assert_eq!(ticket.status, TicketStatus::New);
    let erin = client(&server, ERIN);

    let taken = act(&erin, &request(&ticket.key, TicketAction::Take, ticket.version, "t1")).await.unwrap();
    assert_eq!((taken.assignee.as_deref(), taken.status), (Some("erin"), TicketStatus::Open));
    let respond = request(&ticket.key, TicketAction::Respond, taken.version, "t2");
    let responded = act(&erin, &respond).await.unwrap();
    let again = act(&erin, &respond).await.unwrap();
    assert_eq!(again, responded, "the same key gets the first answer");
    let responses = responded.history.iter().filter(|e| e.kind == TicketEventKind::Responded).count();
    assert_eq!(responses, 1);
    assert!(responded.first_response_at.is_some());

    let pending = act(&erin, &request(&ticket.key, TicketAction::Pending, responded.version, "t3")).await.unwrap();
    assert_eq!(pending.status, TicketStatus::Pending);
    assert_eq!(pending.pauses.last().map(|p| p.to), Some(None), "a pause is open");
    let resumed = act(&erin, &request(&ticket.key, TicketAction::Resume, pending.version, "t4")).await.unwrap();
    assert!(resumed.pauses.last().unwrap().to.is_some(), "resuming closes the pause");
    let escalated = act(&erin, &request(&ticket.key, TicketAction::Escalate, resumed.version, "t5")).await.unwrap();
    assert_eq!((escalated.tier.label(), escalated.assignee.as_deref()), ("T2", None));
    let assign = TicketAction::Assign { to: "omar".into() };
    let assigned = act(&erin, &request(&ticket.key, assign, escalated.version, "t6")).await.unwrap();
    assert_eq!(assigned.assignee.as_deref(), Some("omar"));
    let resolved = act(&erin, &request(&ticket.key, TicketAction::Resolve, assigned.version, "t7")).await.unwrap();
    assert_eq!(resolved.status, TicketStatus::Resolved);
    assert_eq!(resolved.version, ticket.version + 7);
}

#[tokio::test]
async fn refusals_carry_the_current_ticket_and_read_as_sentences() {
    let server = start(DbLocation::Memory).await;
    let ticket = open_ticket(&server, "Chat widget says model overloaded", "P1").await;
    let (erin, dana, vic) = (client(&server, ERIN), client(&server, DANA), client(&server, VIC));
    let responded = act(&dana, &request(&ticket.key, TicketAction::Respond, ticket.version, "d1")).await.unwrap();

    // erin saw the ticket before dana answered the customer.
    let error = act(&erin, &request(&ticket.key, TicketAction::Respond, ticket.version, "e1")).await.unwrap_err();
    match &error {
        BackendError::Conflict(conflict) => {
            assert!(matches!(&conflict.reason, Rejection::AlreadyResponded { by, .. } if by == "dana"));
            assert_eq!(conflict.current, Entity::Ticket(responded.clone()));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let sentence = error.describe_for(&ticket.key, Utc::now());
    assert!(sentence.starts_with(&format!("{} first response already recorded by dana", ticket.key)), "{sentence}");

    let stale = act(&erin, &request(&ticket.key, TicketAction::Take, ticket.version, "e2")).await.unwrap_err();
    let sentence = stale.describe_for(&ticket.key, Utc::now());
    assert!(sentence.contains("changed since you saw it (responded by dana"), "{sentence}");
    assert!(!stale.is_transient(), "a conflict is an answer, not a failure to retry");

    let forbidden = act(&vic, &request(&ticket.key, TicketAction::Take, responded.version, "v1")).await.unwrap_err();
    assert!(matches!(forbidden, BackendError::Forbidden(_)), "{forbidden:?}");
    let missing = act(&erin, &request("SUP-999999", TicketAction::Take, 1, "e3")).await.unwrap_err();
    assert!(matches!(missing, BackendError::NotFound(_)), "{missing:?}");
}

#[tokio::test]
async fn tickets_sync_into_the_cache_and_changes_arrive_incrementally() {
    let server = start(DbLocation::Memory).await;
    let first = open_ticket(&server, "Invoice counts tokens twice", "P4").await;
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap();
    let (sync, mut rx) = poller(&server, &cache);
    sync_round(&mut rx).await;
    assert_eq!(cache.tickets().await.unwrap(), vec![first.clone()]);

    let erin = client(&server, ERIN);
    let taken = act(&erin, &request(&first.key, TicketAction::Take, first.version, "k1")).await.unwrap();
    let second = open_ticket(&server, "Safety filter let a jailbreak through", "P2").await;
    sync.poke();
    let pages = sync_round(&mut rx).await;
    let keys: Vec<&str> = pages
        .iter()
        .flat_map(|p| &p.changes)
        .map(|c| match c {
            Change::Ticket(t) => t.key.as_str(),
            other => panic!("only tickets changed, got {other:?}"),
        })
        .collect();
    assert_eq!(keys, [taken.key.as_str(), second.key.as_str()], "just the two changes, in order");
    let cached = cache.tickets().await.unwrap();
    assert!(cached.contains(&taken) && cached.contains(&second), "{cached:?}");
    sync.stop();
}
