//! Maintenance windows in the Ops API: the real reference server on 127.0.0.1:0 and plain HTTP
//! calls as dana (commander), erin (responder) and vic (viewer).

#[path = "support/ops.rs"]
mod ops;

use serde_json::{Value, json};

use ops::{DANA, ERIN, VIC, call, start};
use opsdeck::api::Change;
use opsdeck::api::{MaintenanceConflictBody, ReceivedPage};
use opsdeck::db::DbLocation;
use opsdeck::domain::{EventKind, Incident, MaintenanceKind, MaintenanceWindow};

fn patching() -> Value {
    json!({
        "title": "Monthly patching",
        "kind": "routine",
        "services": ["llm-gateway", "rag-retrieval"],
        "start": "2026-12-05T01:00:00Z",
        "end": "2026-12-05T03:00:00Z",
        "timezone": "Europe/Berlin",
        "rrule": "FREQ=MONTHLY;BYDAY=1SA",
        "description": "OS and driver updates",
        "suppress_alerts": true,
        "pause_sla": true
    })
}

fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

#[tokio::test]
async fn commander_creates_edits_and_cancels() {
    let server = start(DbLocation::Memory).await;
    let created =
        call(&server, "POST", DANA, "/v1/maintenance", Some(patching()), None).await.json::<MaintenanceWindow>(201);
    assert_eq!((created.id.as_str(), created.version, created.created_by.as_str()), ("MW-3001", 1, "dana"));
    assert_eq!(created.kind, MaintenanceKind::Routine);
    assert_eq!(created.rrule.as_deref(), Some("FREQ=MONTHLY;BYDAY=1SA"));
    assert!(created.suppress_alerts && created.pause_sla && !created.cancelled);

    let fetched = call(&server, "GET", VIC, "/v1/maintenance/MW-3001", None, None).await.json::<MaintenanceWindow>(200);
    assert_eq!(fetched, created);

    let edit = with(with(patching(), "title", json!("Patching, moved")), "version", json!(1));
    let edited =
        call(&server, "PUT", DANA, "/v1/maintenance/MW-3001", Some(edit), None).await.json::<MaintenanceWindow>(200);
    assert_eq!((edited.version, edited.title.as_str()), (2, "Patching, moved"));

    let cancelled = call(&server, "POST", DANA, "/v1/maintenance/MW-3001/cancel", Some(json!({"version": 2})), None)
        .await
        .json::<MaintenanceWindow>(200);
    assert!(cancelled.cancelled);
    assert_eq!(cancelled.version, 3);

    let again = call(&server, "POST", DANA, "/v1/maintenance/MW-3001/cancel", Some(json!({"version": 3})), None).await;
    assert_eq!(again.status, 409, "{}", again.body);
    let conflict: MaintenanceConflictBody = serde_json::from_value(again.body).unwrap();
    assert!(conflict.message.contains("already cancelled"), "{}", conflict.message);

    let missing = call(&server, "GET", DANA, "/v1/maintenance/MW-9999", None, None).await;
    assert_eq!(missing.error(404), "no maintenance window `MW-9999`");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn responders_and_viewers_are_refused() {
    let server = start(DbLocation::Memory).await;
    for (token, name, role) in [(ERIN, "erin", "responder"), (VIC, "vic", "viewer")] {
        let message = call(&server, "POST", token, "/v1/maintenance", Some(patching()), None).await.error(403);
        assert!(message.contains(name) && message.contains(role) && message.contains("only commanders"), "{message}");
    }
    call(&server, "POST", DANA, "/v1/maintenance", Some(patching()), None).await.json::<MaintenanceWindow>(201);
    let edit = with(patching(), "version", json!(1));
    call(&server, "PUT", ERIN, "/v1/maintenance/MW-3001", Some(edit), None).await.error(403);
    call(&server, "POST", VIC, "/v1/maintenance/MW-3001/cancel", Some(json!({"version": 1})), None).await.error(403);
    let list = call(&server, "GET", VIC, "/v1/maintenance", None, None).await;
    assert_eq!(list.status, 200);
    let windows: Vec<MaintenanceWindow> = serde_json::from_value(list.body).unwrap();
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0].version, 1, "refused writes changed nothing");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn stale_version_gets_409_with_the_current_window() {
    let server = start(DbLocation::Memory).await;
    call(&server, "POST", DANA, "/v1/maintenance", Some(patching()), None).await.json::<MaintenanceWindow>(201);
    let first = with(with(patching(), "title", json!("First edit")), "version", json!(1));
    call(&server, "PUT", DANA, "/v1/maintenance/MW-3001", Some(first), None).await.json::<MaintenanceWindow>(200);
    let stale = with(with(patching(), "title", json!("Second edit")), "version", json!(1));
    let answer = call(&server, "PUT", DANA, "/v1/maintenance/MW-3001", Some(stale), None).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    let conflict: MaintenanceConflictBody = serde_json::from_value(answer.body).unwrap();
    assert_eq!((conflict.window.version, conflict.window.title.as_str()), (2, "First edit"));
    assert!(conflict.message.contains("changed since you saw it"), "{}", conflict.message);
    let stale_cancel =
        call(&server, "POST", DANA, "/v1/maintenance/MW-3001/cancel", Some(json!({"version": 1})), None).await;
    assert_eq!(stale_cancel.status, 409);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn idempotency_key_replays_and_refuses_reuse() {
    let server = start(DbLocation::Memory).await;
    let first = call(&server, "POST", DANA, "/v1/maintenance", Some(patching()), Some("plan-1")).await;
    let again = call(&server, "POST", DANA, "/v1/maintenance", Some(patching()), Some("plan-1")).await;
    assert!(!first.replayed && again.replayed);
    assert_eq!(first.json::<MaintenanceWindow>(201), again.json::<MaintenanceWindow>(201));
    let other = with(patching(), "title", json!("Something else"));
    let reused = call(&server, "POST", DANA, "/v1/maintenance", Some(other), Some("plan-1")).await;
    assert!(reused.error(422).contains("already used"));
    let cancel = json!({"version": 1});
    let c1 = call(&server, "POST", DANA, "/v1/maintenance/MW-3001/cancel", Some(cancel.clone()), Some("c")).await;
    let c2 = call(&server, "POST", DANA, "/v1/maintenance/MW-3001/cancel", Some(cancel), Some("c")).await;
    assert_eq!((c1.status, c2.status, c2.replayed), (200, 200, true));
    let all = call(&server, "GET", DANA, "/v1/maintenance?include_cancelled=true", None, None).await;
    assert_eq!(all.body.as_array().unwrap().len(), 1, "one window despite the retry");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn invalid_fields_get_422_naming_the_field() {
    let server = start(DbLocation::Memory).await;
    let cases = [
        (with(patching(), "rrule", json!("FREQ=SOMETIMES")), "rrule: "),
        (with(patching(), "rrule", json!("FREQ=SECONDLY")), "rrule: FREQ=SECONDLY repeats more often than"),
        (with(patching(), "rrule", json!("FREQ=MINUTELY;INTERVAL=5")), "rrule: FREQ=MINUTELY repeats more often than"),
        (with(patching(), "rrule", json!("FREQ=HOURLY")), "rrule: FREQ=HOURLY repeats more often than"),
        (with(patching(), "rrule", json!("FREQ=DAILY;BYMINUTE=0,30")), "rrule: several BYMINUTE values"),
        (with(patching(), "uid", json!("u".repeat(501))), "uid: is limited to 500 characters"),
        (with(patching(), "timezone", json!("Mars/Olympus")), "timezone: unknown time zone `Mars/Olympus`"),
        (with(patching(), "end", json!("2026-12-05T00:00:00Z")), "end: must be after start"),
        (with(patching(), "title", json!(" ")), "title: must not be empty"),
        (with(patching(), "services", json!([])), "services: at least one"),
        (with(patching(), "services", json!(["no-such-service"])), "services: unknown service `no-such-service`"),
    ];
    for (body, expected) in cases {
        let message = call(&server, "POST", DANA, "/v1/maintenance", Some(body), None).await.error(422);
        assert!(message.starts_with(expected), "{message} should start with {expected}");
    }
    let bad_kind =
        call(&server, "POST", DANA, "/v1/maintenance", Some(with(patching(), "kind", json!("party"))), None).await;
    assert_eq!(bad_kind.status, 400, "{}", bad_kind.body);
    assert!(call(&server, "GET", DANA, "/v1/maintenance", None, None).await.body.as_array().unwrap().is_empty());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn windows_appear_in_changes_and_cancelled_ones_are_hidden_by_default() {
    let server = start(DbLocation::Memory).await;
    call(&server, "POST", DANA, "/v1/maintenance", Some(patching()), None).await.json::<MaintenanceWindow>(201);
    let drill = with(with(patching(), "title", json!("DR drill")), "kind", json!("dr_drill"));
    call(&server, "POST", DANA, "/v1/maintenance", Some(drill), None).await.json::<MaintenanceWindow>(201);
    call(&server, "POST", DANA, "/v1/maintenance/MW-3001/cancel", Some(json!({"version": 1})), None)
        .await
        .json::<MaintenanceWindow>(200);

    let listed = call(&server, "GET", ERIN, "/v1/maintenance", None, None).await;
    let ids: Vec<String> =
        listed.body.as_array().unwrap().iter().map(|w| w["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, vec!["MW-3002"]);
    let all = call(&server, "GET", ERIN, "/v1/maintenance?include_cancelled=true", None, None).await;
    assert_eq!(all.body.as_array().unwrap().len(), 2);
    let bad = call(&server, "GET", ERIN, "/v1/maintenance?include_cancelled=maybe", None, None).await;
    assert_eq!(bad.status, 400);

    let page = call(&server, "GET", ERIN, "/v1/changes", None, None).await;
    assert!(page.body["changes"].as_array().unwrap().iter().any(|c| c["kind"] == "maintenance"));
    let page: ReceivedPage = serde_json::from_value(page.body).unwrap();
    assert_eq!(page.skipped_unknown, 0);
    let windows: Vec<&MaintenanceWindow> =
        page.changes.iter().filter_map(|c| if let Change::Maintenance(w) = c { Some(w) } else { None }).collect();
    assert_eq!(windows.len(), 2, "the latest state of each window");
    assert!(windows.iter().any(|w| w.id == "MW-3001" && w.cancelled));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_simulator_plans_a_calendar_with_a_patch_running_now() {
    let server = ops::start_simulating(DbLocation::Memory, 7).await;
    let listed = call(&server, "GET", VIC, "/v1/maintenance", None, None).await;
    let windows: Vec<MaintenanceWindow> = serde_json::from_value(listed.body).unwrap();
    assert_eq!(windows.len(), 5);
    assert!(windows.iter().all(|w| w.created_by == "simulator"));
    let now = chrono::Utc::now();
    let active: Vec<&MaintenanceWindow> = windows.iter().filter(|w| w.active_at(now).is_some()).collect();
    assert!(active.iter().any(|w| w.kind == MaintenanceKind::EmergencyPatch && w.affects("llm-gateway")));
    server.shutdown().await.unwrap();
}

/// A window running now on llm-gateway, suppressing alerts (or not).
fn running_now(suppress: bool) -> Value {
    let now = chrono::Utc::now();
    json!({
        "title": "Emergency patch", "kind": "emergency_patch", "services": ["llm-gateway"],
        "start": now - chrono::Duration::minutes(20), "end": now + chrono::Duration::minutes(40),
        "timezone": "Europe/Berlin", "suppress_alerts": suppress, "pause_sla": true
    })
}

fn alert(service: &str) -> Value {
    json!({ "title": "p95 latency over the SLO", "service_id": service, "priority": "P1" })
}

fn kinds(incident: &opsdeck::domain::Incident) -> Vec<EventKind> {
    incident.timeline.iter().map(|e| e.kind).collect()
}

#[tokio::test]
async fn a_suppressing_window_holds_new_pages_until_it_is_over() {
    let server = start(DbLocation::Memory).await;
    let window = call(&server, "POST", DANA, "/v1/maintenance", Some(running_now(true)), None)
        .await
        .json::<MaintenanceWindow>(201);

    // Triggered on the patched service: nobody paged, and the timeline says which window.
    let held =
        call(&server, "POST", ERIN, "/v1/incidents", Some(alert("llm-gateway")), None).await.json::<Incident>(201);
    assert_eq!(kinds(&held), [EventKind::Triggered, EventKind::Suppressed]);
    let text = &held.timeline[1].text;
    assert!(text.starts_with(&format!("suppressed by {} until ", window.id)), "{text}");
    assert!(text.contains("nobody paged"), "{text}");
    assert_eq!(held.assignee, None);
    // Elsewhere the page goes out as always.
    let other =
        call(&server, "POST", ERIN, "/v1/incidents", Some(alert("rag-retrieval")), None).await.json::<Incident>(201);
    assert_eq!(kinds(&other), [EventKind::Triggered, EventKind::Notified]);
    assert!(other.timeline[1].text.starts_with("paged "), "{}", other.timeline[1].text);
    // One acknowledged while the window runs (someone saw it on the console) never pages.
    let seen =
        call(&server, "POST", ERIN, "/v1/incidents", Some(alert("llm-gateway")), None).await.json::<Incident>(201);
    let path = format!("/v1/incidents/{}/acknowledge", seen.id);
    call(&server, "POST", ERIN, &path, Some(json!({"version": seen.version})), None).await.json::<Incident>(200);

    // The commander ends the window early: the held page goes out at once, saying why only now.
    let cancel = format!("/v1/maintenance/{}/cancel", window.id);
    call(&server, "POST", DANA, &cancel, Some(json!({"version": 1})), None).await.json::<MaintenanceWindow>(200);
    let paged =
        call(&server, "GET", VIC, &format!("/v1/incidents/{}", held.id), None, None).await.json::<Incident>(200);
    assert_eq!(kinds(&paged), [EventKind::Triggered, EventKind::Suppressed, EventKind::Notified]);
    let page = &paged.timeline[2].text;
    assert!(page.starts_with("paged ") && page.ends_with(&format!("now that {} is over", window.id)), "{page}");
    assert!(paged.assignee.is_some());
    let seen = call(&server, "GET", VIC, &format!("/v1/incidents/{}", seen.id), None, None).await.json::<Incident>(200);
    assert!(!kinds(&seen).contains(&EventKind::Notified), "acknowledged: no page after the window");

    // After the window, new incidents page at once.
    let after =
        call(&server, "POST", ERIN, "/v1/incidents", Some(alert("llm-gateway")), None).await.json::<Incident>(201);
    assert_eq!(kinds(&after), [EventKind::Triggered, EventKind::Notified]);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_window_that_keeps_alerts_on_pages_as_usual() {
    let server = start(DbLocation::Memory).await;
    call(&server, "POST", DANA, "/v1/maintenance", Some(running_now(false)), None).await.json::<MaintenanceWindow>(201);
    let incident =
        call(&server, "POST", ERIN, "/v1/incidents", Some(alert("llm-gateway")), None).await.json::<Incident>(201);
    assert_eq!(kinds(&incident), [EventKind::Triggered, EventKind::Notified]);
    server.shutdown().await.unwrap();
}
