//! Tickets in the Ops API: the real reference server on 127.0.0.1:0 and plain HTTP calls.

#[path = "support/ops.rs"]
mod ops;

use serde_json::{Value, json};

use ops::{DANA, ERIN, VIC, start};
use opsdeck::api::{ErrorBody, IDEMPOTENCY_HEADER, ReceivedPage, TicketConflictBody};
use opsdeck::db::DbLocation;
use opsdeck::domain::{Rejection, Ticket, TicketEventKind, TicketStatus, Tier};
use opsdeck::server::RunningServer;

struct Answer {
    status: u16,
    replayed: bool,
    body: Value,
}

impl Answer {
    fn ticket(&self) -> Ticket {
        assert!(matches!(self.status, 200 | 201), "expected a ticket, got {}: {}", self.status, self.body);
        serde_json::from_value(self.body.clone()).expect("a ticket")
    }

    fn conflict(&self) -> TicketConflictBody {
        assert_eq!(self.status, 409, "{}", self.body);
        serde_json::from_value(self.body.clone()).expect("a ticket conflict")
    }

    fn error(&self, status: u16) -> ErrorBody {
        assert_eq!(self.status, status, "{}", self.body);
        let body: ErrorBody = serde_json::from_value(self.body.clone()).expect("an error body");
        assert!(!body.message.is_empty());
        body
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    let body = response.json().await.unwrap_or(Value::Null);
    Answer { status, replayed, body }
}

async fn post(server: &RunningServer, token: &str, path: &str, body: Value, key: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new().post(format!("{}{path}", server.url())).bearer_auth(token).json(&body);
    if let Some(key) = key {
        request = request.header(IDEMPOTENCY_HEADER, key);
    }
    send(request).await
}

async fn get(server: &RunningServer, token: &str, path: &str) -> Answer {
    send(reqwest::Client::new().get(format!("{}{path}", server.url())).bearer_auth(token)).await
}

async fn open_ticket(server: &RunningServer, subject: &str) -> Ticket {
    let body = json!({
        "subject": subject,
        "customer": "Northwind Travel",
        "service_id": "support-assistant",
        "priority": "P3",
    });
    let answer = post(server, ERIN, "/v1/tickets", body, None).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.ticket()
}

/// `POST /v1/tickets/{key}/{action}` with the version the caller saw.
async fn act(server: &RunningServer, token: &str, ticket: &Ticket, action: &str, key: Option<&str>) -> Answer {
    let path = format!("/v1/tickets/{}/{action}", ticket.key);
    post(server, token, &path, json!({ "version": ticket.version }), key).await
}

async fn fetch(server: &RunningServer, key: &str) -> Ticket {
    get(server, ERIN, &format!("/v1/tickets/{key}")).await.ticket()
}

fn count(ticket: &Ticket, kind: TicketEventKind) -> usize {
    ticket.history.iter().filter(|e| e.kind == kind).count()
}

#[tokio::test]
async fn a_ticket_goes_from_new_to_resolved_one_version_at_a_time() {
    let server = start(DbLocation::Memory).await;
    let new = open_ticket(&server, "Assistant quoted a refund policy we do not have").await;
    assert_eq!((new.key.as_str(), new.version, new.status), ("SUP-2001", 1, TicketStatus::New));
    assert_eq!((new.tier, new.assignee.as_deref()), (Tier::T1, None));
    assert_eq!(new.history[0].actor, "erin", "the creator is recorded");

    let taken = act(&server, ERIN, &new, "take", None).await.ticket();
    assert_eq!((taken.version, taken.status, taken.assignee.as_deref()), (2, TicketStatus::Open, Some("erin")));
    let responded = act(&server, ERIN, &taken, "respond", None).await.ticket();
    assert_eq!(responded.first_response_at, Some(responded.updated_at));
    let pending = act(&server, ERIN, &responded, "pending", None).await.ticket();
    assert_eq!(pending.status, TicketStatus::Pending);
    assert_eq!(pending.pauses.len(), 1);
    assert_eq!(pending.pauses[0].to, None, "the clocks are paused");
    let resumed = act(&server, ERIN, &pending, "resume", None).await.ticket();
    assert_eq!(resumed.status, TicketStatus::Open);
    assert_eq!(resumed.pauses[0].to, Some(resumed.updated_at));
    let escalated = act(&server, ERIN, &resumed, "escalate", None).await.ticket();
    assert_eq!((escalated.tier, escalated.assignee.as_deref()), (Tier::T2, None));
    let path = format!("/v1/tickets/{}/assign", escalated.key);
    let body = json!({ "version": escalated.version, "to": " sam " });
    let assigned = post(&server, DANA, &path, body, None).await.ticket();
    assert_eq!(assigned.assignee.as_deref(), Some("sam"));
    assert_eq!(assigned.history.last().unwrap().actor, "dana", "the actor is the caller");
    let resolved = act(&server, DANA, &assigned, "resolve", None).await.ticket();
    assert_eq!((resolved.version, resolved.status), (8, TicketStatus::Resolved));
    assert_eq!(resolved.resolved_at, Some(resolved.updated_at));
    assert_eq!(fetch(&server, &resolved.key).await, resolved);

    let other = open_ticket(&server, "How are cached prompt tokens billed?").await;
    let keys = |answer: Answer| -> Vec<String> {
        serde_json::from_value::<Vec<Ticket>>(answer.body).unwrap().into_iter().map(|t| t.key).collect()
    };
    assert_eq!(keys(get(&server, VIC, "/v1/tickets").await), [other.key.as_str()], "open only by default");
    assert_eq!(keys(get(&server, VIC, "/v1/tickets?status=all").await), [other.key.as_str(), resolved.key.as_str()]);
    assert_eq!(keys(get(&server, VIC, "/v1/tickets?status=all&limit=1").await), [other.key]);
    let again = act(&server, ERIN, &resolved, "take", None).await.conflict();
    assert!(matches!(&again.reason, Rejection::AlreadyResolved { by, .. } if by == "dana"), "{:?}", again.reason);
}

#[tokio::test]
async fn the_customers_message_is_stored_and_served_and_stays_optional() {
    let server = start(DbLocation::Memory).await;
    let message = "Since this morning every answer to our German users comes back in English.";
    let body = json!({
        "subject": "Answers in the wrong language",
        "customer": "Contoso Retail",
        "service_id": "support-assistant",
        "priority": "P2",
        "description": message,
    });
    let created = post(&server, ERIN, "/v1/tickets", body, None).await.ticket();
    assert_eq!(created.description.as_deref(), Some(message));
    assert_eq!(fetch(&server, &created.key).await.description.as_deref(), Some(message));
    let raw = get(&server, VIC, &format!("/v1/tickets/{}", created.key)).await.body;
    assert_eq!(raw["description"], message);

    // A client that sends no message gets a ticket without one, and no `description` key at all.
    let plain = open_ticket(&server, "How are cached prompt tokens billed?").await;
    assert_eq!(plain.description, None);
    let raw = get(&server, VIC, &format!("/v1/tickets/{}", plain.key)).await.body;
    assert!(raw.get("description").is_none(), "{raw:#}");

    let long = json!({"subject": "s", "customer": "c", "service_id": "llm-gateway", "priority": "P4", "description": "x".repeat(4001)});
    let refused = post(&server, ERIN, "/v1/tickets", long, None).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.error(422).message.contains("description"), "{}", refused.body);
}

#[tokio::test]
async fn the_same_idempotency_key_applies_once_and_replays_the_first_answer() {
    let server = start(DbLocation::Memory).await;
    let ticket = open_ticket(&server, "Invoice shows 30% more tokens than our dashboard").await;
    let first = act(&server, ERIN, &ticket, "take", Some("take-1")).await;
    let second = act(&server, ERIN, &ticket, "take", Some("take-1")).await;
    assert_eq!(first.status, 200);
    assert_eq!((second.status, second.replayed, &second.body), (200, true, &first.body));
    assert!(!first.replayed);
    let stored = fetch(&server, &ticket.key).await;
    assert_eq!((stored.version, count(&stored, TicketEventKind::Assigned)), (2, 1));

    let reused = act(&server, ERIN, &stored, "respond", Some("take-1")).await;
    assert_eq!(reused.error(422).error, "idempotency_mismatch");
    let reassigned = post(
        &server,
        ERIN,
        &format!("/v1/tickets/{}/assign", ticket.key),
        json!({"version": 2, "to": "sam"}),
        Some("take-1"),
    )
    .await;
    assert_eq!(reassigned.error(422).error, "idempotency_mismatch", "the body is part of the request");
    assert_eq!(fetch(&server, &ticket.key).await, stored, "nothing changed");

    // Keys are per user: dana's `take-1` is another request, and it is decided on its own.
    let dana = act(&server, DANA, &stored, "take", Some("take-1")).await.ticket();
    assert_eq!(dana.assignee.as_deref(), Some("dana"));

    // Creation replays too: one ticket however often it is resent.
    let body =
        json!({"subject": "OCR job stuck", "customer": "Proseware", "service_id": "doc-processor", "priority": "P3"});
    let a = post(&server, ERIN, "/v1/tickets", body.clone(), Some("create-1")).await;
    let b = post(&server, ERIN, "/v1/tickets", body, Some("create-1")).await;
    assert_eq!((a.status, b.status, b.replayed), (201, 201, true));
    assert_eq!(a.body, b.body);
    let all: Vec<Ticket> = serde_json::from_value(get(&server, ERIN, "/v1/tickets?status=all").await.body).unwrap();
    assert_eq!(all.len(), 2);
}

#[tokio::test]
async fn a_stale_version_or_a_second_first_response_is_a_409_with_the_current_ticket() {
    let server = start(DbLocation::Memory).await;
    let ticket = open_ticket(&server, "Extraction drops tables after page 12").await;
    let taken = act(&server, ERIN, &ticket, "take", None).await.ticket();

    let stale = act(&server, DANA, &ticket, "escalate", None).await.conflict();
    assert_eq!(stale.error, "conflict");
    assert_eq!(stale.reason, Rejection::StaleVersion { seen: 1, current: 2 });
    assert_eq!(stale.ticket, taken);
    assert!(stale.message.starts_with("SUP-2001 changed since you saw it"), "{}", stale.message);

    let responded = act(&server, ERIN, &taken, "respond", None).await.ticket();
    let second = act(&server, DANA, &responded, "respond", None).await.conflict();
    assert!(
        matches!(&second.reason, Rejection::AlreadyResponded { by, at } if by == "erin" && Some(*at) == responded.first_response_at),
        "{:?}",
        second.reason
    );
    assert_eq!(second.ticket, responded);
    assert!(second.message.starts_with("SUP-2001 first response already recorded by erin"), "{}", second.message);
    // The rule wins over the version: an old copy still learns why, not only that it is old.
    let old = act(&server, DANA, &taken, "respond", None).await.conflict();
    assert!(matches!(old.reason, Rejection::AlreadyResponded { .. }), "{:?}", old.reason);

    let not_pending = act(&server, ERIN, &responded, "resume", None).await.conflict();
    assert_eq!(not_pending.reason, Rejection::Invalid { message: "not pending".into() });
    let long_name = "x".repeat(101);
    let path = format!("/v1/tickets/{}/assign", ticket.key);
    let refused = post(&server, ERIN, &path, json!({"version": responded.version, "to": long_name}), None).await;
    assert!(matches!(refused.conflict().reason, Rejection::Invalid { .. }));
    assert_eq!(fetch(&server, &ticket.key).await, responded, "refusals change nothing");
}

#[tokio::test]
async fn viewers_cannot_act_and_unknown_tickets_are_404() {
    let server = start(DbLocation::Memory).await;
    let ticket = open_ticket(&server, "Chat answers take 12.5s since this morning").await;
    let body = json!({"subject": "x", "customer": "y", "service_id": "llm-gateway", "priority": "P4"});
    assert_eq!(post(&server, VIC, "/v1/tickets", body, None).await.error(403).error, "forbidden");
    for action in ["take", "escalate", "respond", "pending", "resume", "resolve"] {
        assert_eq!(act(&server, VIC, &ticket, action, None).await.error(403).error, "forbidden", "{action}");
    }
    let path = format!("/v1/tickets/{}/assign", ticket.key);
    post(&server, VIC, &path, json!({"version": 1, "to": "vic"}), None).await.error(403);
    assert_eq!(get(&server, VIC, &format!("/v1/tickets/{}", ticket.key)).await.ticket(), ticket, "viewers read");

    let missing = get(&server, ERIN, "/v1/tickets/SUP-404").await.error(404);
    assert_eq!((missing.error.as_str(), missing.message.as_str()), ("not_found", "no ticket `SUP-404`"));
    let ghost = Ticket { key: "SUP-404".into(), ..ticket.clone() };
    assert_eq!(act(&server, ERIN, &ghost, "take", None).await.error(404).message, "no ticket `SUP-404`");
    post(&server, ERIN, "/v1/tickets/SUP-404/assign", json!({"version": 1, "to": "sam"}), None).await.error(404);
    // An incident id is not a ticket key, and the other way round.
    get(&server, ERIN, "/v1/incidents/SUP-2001").await.error(404);
    assert!(get(&server, ERIN, "/v1/tickets").await.body.as_array().is_some_and(|a| a.len() == 1));
    let anonymous = send(reqwest::Client::new().get(format!("{}/v1/tickets", server.url()))).await;
    anonymous.error(401);
}

#[tokio::test]
async fn bad_ticket_requests_get_clear_json_errors() {
    let server = start(DbLocation::Memory).await;
    let ticket = open_ticket(&server, "Does the embeddings API support batch requests?").await;
    let url = server.url();
    let http = reqwest::Client::new();
    let new = |subject: &str, customer: &str, service: &str| json!({"subject": subject, "customer": customer, "service_id": service, "priority": "P3"});
    let incident = json!({"subject": "down", "customer": "Contoso", "service_id": "llm-gateway", "priority": "P1", "linked_incident": "INC-9999"});
    let cases = [
        (http.post(format!("{url}/v1/tickets")).header("content-type", "application/json").body("{not json"), 400),
        (http.post(format!("{url}/v1/tickets")).json(&json!({"subject": "no customer"})), 400),
        (http.post(format!("{url}/v1/tickets")).json(&new("ok", "Contoso", "nope")), 422),
        (http.post(format!("{url}/v1/tickets")).json(&new("ok", "Contoso", &"s".repeat(100_000))), 422),
        (http.post(format!("{url}/v1/tickets")).json(&new(" ", "Contoso", "llm-gateway")), 422),
        (http.post(format!("{url}/v1/tickets")).json(&new(&"x".repeat(301), "Contoso", "llm-gateway")), 422),
        (http.post(format!("{url}/v1/tickets")).json(&new("ok", &"c".repeat(5000), "llm-gateway")), 422),
        (http.post(format!("{url}/v1/tickets")).json(&incident), 422),
        (http.post(format!("{url}/v1/tickets/{}/take", ticket.key)).json(&json!({"versions": 1})), 400),
        // Not sent as JSON: 415 (Unsupported Media Type), as the OpenAPI document says.
        (http.post(format!("{url}/v1/tickets/{}/take", ticket.key)).body("1"), 415),
        (
            http.post(format!("{url}/v1/tickets/{}/take", ticket.key))
                .header(IDEMPOTENCY_HEADER, "bad key with spaces")
                .json(&json!({"version": 1})),
            400,
        ),
        (http.get(format!("{url}/v1/tickets?status=closed")), 400),
        (http.get(format!("{url}/v1/tickets?limit=lots")), 400),
    ];
    for (i, (request, status)) in cases.into_iter().enumerate() {
        let answer = send(request.bearer_auth(ERIN)).await;
        assert_eq!(answer.status, status, "case {i}: {}", answer.body);
        let body: ErrorBody = serde_json::from_value(answer.body).expect("a JSON error body");
        assert!(!body.message.is_empty() && body.message.len() < 1000, "case {i}: {}", body.message);
    }
    assert_eq!(fetch(&server, &ticket.key).await, ticket);

    // An outage report links to an incident that exists.
    let created = post(
        &server,
        ERIN,
        "/v1/incidents",
        json!({"title": "5xx", "service_id": "llm-gateway", "priority": "P1"}),
        None,
    )
    .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let body = json!({"subject": "Chat is down", "customer": "Contoso", "service_id": "llm-gateway", "priority": "P1", "linked_incident": id});
    let linked = post(&server, ERIN, "/v1/tickets", body, None).await.ticket();
    assert_eq!(linked.linked_incident.as_deref(), Some(id.as_str()));
    assert_eq!(linked.history.last().unwrap().text, format!("linked to {id}"));
}

#[tokio::test]
async fn the_change_feed_carries_tickets_in_order_and_in_pages() {
    let server = start(DbLocation::Memory).await;
    post(
        &server,
        ERIN,
        "/v1/incidents",
        json!({"title": "p95 latency", "service_id": "llm-gateway", "priority": "P2"}),
        None,
    )
    .await;
    let first = open_ticket(&server, "Answers cite an article that does not exist").await;
    let second = open_ticket(&server, "Streaming stalls before the first token").await;
    act(&server, ERIN, &first, "take", None).await.ticket();

    let mut cursor = String::new();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let answer = get(&server, VIC, &format!("/v1/changes?since={cursor}&limit=4")).await;
        assert_eq!(answer.status, 200);
        let raw = answer.body.clone();
        let page: ReceivedPage = serde_json::from_value(answer.body).unwrap();
        assert_eq!(page.skipped_unknown, 0, "consoles know tickets");
        for change in raw["changes"].as_array().unwrap() {
            let data = &change["data"];
            let id = data.get("key").or_else(|| data.get("id")).and_then(Value::as_str).unwrap();
            seen.push((change["kind"].as_str().unwrap().to_string(), id.to_string(), data["version"].as_i64()));
        }
        pages += 1;
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    // 2 policies + 7 services, then the incident, the second ticket, and the first as taken.
    assert_eq!(seen.len(), 12);
    assert_eq!(pages, 3);
    let tail: Vec<_> = seen[9..].iter().map(|(k, id, v)| (k.as_str(), id.as_str(), *v)).collect();
    assert_eq!(
        tail,
        [
            ("incident", "INC-1001", Some(1)),
            ("ticket", second.key.as_str(), Some(1)),
            ("ticket", first.key.as_str(), Some(2))
        ]
    );
    let rest = get(&server, VIC, &format!("/v1/changes?since={cursor}")).await;
    assert_eq!(rest.body["changes"], json!([]));
    assert_eq!(rest.body["has_more"], json!(false));
}

#[tokio::test]
async fn a_file_database_keeps_tickets_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let db = DbLocation::File(dir.path().join("server.sqlite"));
    let server = start(db.clone()).await;
    let ticket = open_ticket(&server, "Charged for 12M tokens in a week without traffic").await;
    let taken = act(&server, ERIN, &ticket, "take", Some("k-take")).await.ticket();
    let pending = act(&server, ERIN, &taken, "pending", None).await.ticket();
    server.shutdown().await.unwrap();

    let server = start(db).await;
    assert_eq!(fetch(&server, &ticket.key).await, pending);
    let replay = act(&server, ERIN, &ticket, "take", Some("k-take")).await;
    assert_eq!((replay.replayed, replay.ticket()), (true, taken), "answers are remembered too");
    assert_eq!(open_ticket(&server, "next").await.key, "SUP-2002", "keys continue");
}

#[test]
fn every_ticket_route_and_schema_is_documented() {
    let doc: Value = serde_json::from_str(&opsdeck::server::openapi::openapi_json()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths["/v1/tickets"]["get"].is_object() && paths["/v1/tickets"]["post"].is_object());
    assert!(paths["/v1/tickets/{key}"]["get"].is_object());
    for action in ["take", "assign", "escalate", "respond", "pending", "resume", "resolve"] {
        let path = format!("/v1/tickets/{{key}}/{action}");
        assert!(paths.get(&path).and_then(|p| p.get("post")).is_some(), "POST {path} is not documented");
    }
    for schema in [
        "Ticket",
        "NewTicket",
        "TicketStatus",
        "TicketEventKind",
        "TicketEvent",
        "Pause",
        "AssignBody",
        "TicketConflictBody",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} missing");
    }
}
