//! A backend that sends bad or huge records: a fake Ops API (axum on 127.0.0.1) serving pages
//! the reference server would never write, against the console's real HTTP client, sync task,
//! SQLite cache and state. Nothing sleeps: each step waits for the event it needs, with a deadline.

#[path = "support/ops.rs"]
mod ops;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Query;
use chrono::{TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use opsdeck::api::Change;
use opsdeck::backend::Backend;
use opsdeck::backend::http::HttpBackend;
use opsdeck::cache::Cache;
use opsdeck::config::{Config, Secret};
use opsdeck::console::event::{Event, EventReceiver, SyncReport};
use opsdeck::console::state::AppState;
use opsdeck::db::DbLocation;
use opsdeck::domain::caps::{NAME_BYTES, TEXT_BYTES};
use opsdeck::domain::{Incident, NewIncident, Priority};

const POLL: Duration = Duration::from_millis(200);

fn incident(id: &str, title: &str) -> Incident {
    let at = Utc.with_ymd_and_hms(2026, 11, 5, 13, 0, 0).unwrap();
    let new = NewIncident { title: title.into(), service_id: "llm-gateway".into(), priority: Priority::P2 };
    Incident::trigger(id.into(), new, "alertmanager", at, None)
}

fn record(incident: Incident) -> Value {
    serde_json::to_value(Change::Incident(incident)).unwrap()
}

/// A fake backend's routes for who the console is (erin, a responder) and who else there is.
fn signed_in() -> axum::Router {
    axum::Router::new()
        .route("/v1/me", axum::routing::get(|| async { axum::Json(json!({"name": "erin", "role": "responder"})) }))
        .route("/v1/users", axum::routing::get(|| async { axum::Json(json!({"users": []})) }))
}

/// A backend whose first page is `first` (cursor `c1`) and whose later pages are empty; it
/// remembers every `since` it was asked with.
async fn fake_backend(first: Vec<Value>) -> (String, Arc<Mutex<Vec<Option<String>>>>, tokio::task::JoinHandle<()>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    let first = Arc::new(first);
    let app = signed_in()
        .route(
            "/v1/changes",
            axum::routing::get(move |Query(query): Query<std::collections::HashMap<String, String>>| {
                let (seen, first) = (seen.clone(), first.clone());
                async move {
                    let since = query.get("since").cloned();
                    seen.lock().unwrap().push(since.clone());
                    let changes = if since.is_none() { (*first).clone() } else { Vec::new() };
                    axum::Json(json!({"epoch": "e1", "cursor": "c1", "has_more": false, "changes": changes}))
                }
            }),
        )
        .route(
            "/v1/incidents/{id}/acknowledge",
            // The action is applied, but the incident sent back is not one this console can read.
            axum::routing::post(|| async {
                axum::Json(json!({"id": "INC-42", "version": 2, "title": 5, "service_id": "llm-gateway"}))
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, asked, served)
}

async fn next_report(rx: &mut EventReceiver) -> SyncReport {
    loop {
        match tokio::time::timeout(ops::DEADLINE, rx.recv()).await.expect("a sync outcome in time").expect("open") {
            Event::Synced(report) => return *report,
            Event::SyncFailed { error, .. } => panic!("the round failed: {error}"),
            _ => {}
        }
    }
}

fn console_state() -> AppState {
    let now = Utc::now();
    let snapshot = opsdeck::cache::CacheSnapshot::default();
    let mut state = AppState::new(opsdeck::fixtures::session(false), &Config::default(), snapshot, false, now);
    state.update(Event::Resize { width: 100, height: 30 }, now);
    state
}

#[tokio::test]
async fn one_malformed_record_is_skipped_and_named_and_the_rest_is_synced() {
    let mut bad = record(incident("INC-42", "p95 latency"));
    bad["data"]["title"] = json!(5);
    let mut bad_date = record(incident("INC-43", "5xx"));
    bad_date["data"]["triggered_at"] = json!("yesterday");
    let page = vec![record(incident("INC-1", "first")), bad, bad_date, record(incident("INC-2", "second"))];
    let (url, asked, served) = fake_backend(page).await;

    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap();
    let backend = Arc::new(HttpBackend::new(&url, Some(Secret::new(ops::ERIN))).unwrap());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sync = opsdeck::console::sync::spawn(backend, cache.clone(), tx, POLL);

    let first = next_report(&mut rx).await;
    let described: Vec<String> = first.skipped.iter().map(|r| r.describe()).collect();
    assert_eq!(
        described,
        [
            "incident INC-42: title: expected a string, got 5",
            "incident INC-43: triggered_at: not an RFC 3339 time: 'yesterday'"
        ]
    );
    let mut state = console_state();
    state.update(Event::Synced(Box::new(first)), Utc::now());
    assert!(state.incidents.contains("INC-1") && state.incidents.contains("INC-2"), "the good records are shown");
    assert!(!state.incidents.contains("INC-42"));
    assert!(!state.sync.is_stale(), "the console is live");
    let flash = state.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert!(flash.starts_with("2 records skipped: incident INC-42: title: expected a string, got 5"), "{flash}");
    let logged: Vec<String> = state.messages.newest_first().map(|m| m.text.clone()).collect();
    assert!(logged.contains(&"skipped: incident INC-43: triggered_at: not an RFC 3339 time: 'yesterday'".into()));

    // The good records are in the cache and the cursor moved past the page.
    let cached: Vec<String> = cache.incidents().await.unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(cached.len(), 2, "{cached:?}");
    assert_eq!(cache.sync_meta().await.unwrap().cursor.as_deref(), Some("c1"));
    // The next poll asks after the page, not for it again.
    let next = next_report(&mut rx).await;
    assert!(next.skipped.is_empty() && next.changes.is_empty());
    assert_eq!(asked.lock().unwrap()[..2], [None, Some("c1".to_string())]);
    sync.stop();
    served.abort();
}

#[tokio::test]
async fn an_action_the_backend_applied_with_an_unreadable_answer_is_not_a_failed_send() {
    use opsdeck::backend::{ActionRequest, BackendError};
    use opsdeck::domain::{Command, IncidentAction};
    let (url, _, served) = fake_backend(Vec::new()).await;
    let backend = HttpBackend::new(&url, Some(Secret::new(ops::ERIN))).unwrap();
    let request = ActionRequest {
        target_id: "INC-42".into(),
        command: Command::Incident(IncidentAction::Acknowledge),
        version: 1,
        idempotency_key: "run-1".into(),
    };
    let error = backend.act(&request).await.expect_err("the answer cannot be read");
    assert_eq!(
        error,
        BackendError::AppliedUnreadable { version: Some(2), problem: "title: expected a string, got 5".into() }
    );
    assert!(!error.is_transient(), "the outbox does not send it again");
    served.abort();
}

#[tokio::test]
async fn a_one_megabyte_title_is_capped_where_it_is_read_and_the_detail_draws_a_bounded_screen() {
    let mut huge = incident("INC-9", &"x".repeat(1_000_000));
    huge.timeline[0].text = format!("{} end", "note ".repeat(200_000));
    let (url, _, served) = fake_backend(vec![record(huge)]).await;

    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap();
    let backend = Arc::new(HttpBackend::new(&url, Some(Secret::new(ops::ERIN))).unwrap());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sync = opsdeck::console::sync::spawn(backend, cache.clone(), tx, POLL);
    let report = next_report(&mut rx).await;
    sync.stop();
    served.abort();

    // What is stored is capped, the cut marked.
    let stored = cache.incidents().await.unwrap().pop().expect("the incident is cached");
    assert!(stored.title.len() <= NAME_BYTES && stored.title.ends_with('…'), "{} bytes", stored.title.len());
    assert!(stored.title.starts_with("xxxxxxxx"));
    let text = &stored.timeline[0].text;
    assert!(text.len() <= TEXT_BYTES && text.ends_with('…'), "{} bytes", text.len());

    let now = Utc::now();
    let mut state = console_state();
    state.update(Event::Synced(Box::new(report)), now);
    state.update(Event::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Enter)), now);
    assert_eq!(state.incidents.detail().map(|d| d.id.as_str()), Some("INC-9"), "the detail is open");
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    terminal.draw(|frame| opsdeck::console::view::draw(frame, &state, now)).unwrap();
    let screen: Vec<String> =
        (0..30).map(|y| (0..100).map(|x| terminal.backend().buffer()[(x, y)].symbol().to_string()).collect()).collect();
    // The title line is cut at the screen's edge; the note is wrapped to the rows that are there.
    let title_row = screen.iter().position(|l| l.starts_with(" xxxxxxxxxx")).expect("the title is drawn");
    assert_eq!(screen[title_row].trim_end().chars().count(), 100, "{}", screen[title_row]);
    let note_rows = screen.iter().filter(|l| l.contains("note note")).count();
    assert!(note_rows > 5, "the note fills the rows below:\n{}", screen.join("\n"));
}

#[tokio::test]
async fn a_tail_the_cache_cannot_complete_is_read_whole_and_one_gone_since_is_dropped() {
    // INC-7 was seen by some other cache: its tail starts after events this one never had.
    let mut served_whole = incident("INC-7", "retrieval index stale");
    let mut note = served_whole.timeline[0].clone();
    note.text = "rebuilding the index".into();
    served_whole.timeline.push(note);
    let tail = |incident: &Incident, from: usize| {
        serde_json::to_value(Change::IncidentTail(opsdeck::api::IncidentTail::of(incident, from))).unwrap()
    };
    let page = vec![tail(&served_whole, served_whole.timeline.len() - 1), tail(&incident("INC-8", "gone"), 1)];
    let read = Arc::new(Mutex::new(Vec::new()));
    let reads = read.clone();
    let whole = Arc::new(served_whole.clone());
    let app = signed_in()
        .route(
            "/v1/changes",
            axum::routing::get(move |Query(query): Query<std::collections::HashMap<String, String>>| {
                let page = if query.contains_key("since") { Vec::new() } else { page.clone() };
                async move { axum::Json(json!({"epoch": "e1", "cursor": "c1", "has_more": false, "changes": page})) }
            }),
        )
        .route(
            "/v1/incidents/{id}",
            axum::routing::get(move |axum::extract::Path(id): axum::extract::Path<String>| {
                let (reads, whole) = (reads.clone(), whole.clone());
                async move {
                    reads.lock().unwrap().push(id.clone());
                    if id == whole.id {
                        Ok(axum::Json((*whole).clone()))
                    } else {
                        Err((
                            axum::http::StatusCode::NOT_FOUND,
                            axum::Json(json!({"error": "not_found", "message": "no such incident"})),
                        ))
                    }
                }
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });

    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap();
    let backend = Arc::new(HttpBackend::new(&url, Some(Secret::new(ops::ERIN))).unwrap());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sync = opsdeck::console::sync::spawn(backend, cache.clone(), tx, POLL);
    let report = next_report(&mut rx).await;
    sync.stop();
    served.abort();

    assert_eq!(read.lock().unwrap()[..], ["INC-7", "INC-8"], "each tail past the cache read by itself");
    assert_eq!(cache.incident("INC-7").await.unwrap(), Some(served_whole), "cached whole, as the server has it");
    assert_eq!(cache.incident("INC-8").await.unwrap(), None, "gone from the server: nothing to keep");
    assert!(report.skipped.is_empty());
    assert_eq!(cache.sync_meta().await.unwrap().cursor.as_deref(), Some("c1"), "and the round went on");
}
