//! The poller against a backend that hangs and one that is stopped and started again: the real
//! reference server (or a socket that accepts and never answers) on 127.0.0.1, the console's
//! real HTTP client, sync task and SQLite cache. Time is measured between events; nothing sleeps.

#[path = "support/ops.rs"]
mod ops;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::mpsc;

use opsdeck::backend::http::HttpBackend;
use opsdeck::cache::Cache;
use opsdeck::config::{Secret, live_window};
use opsdeck::console::event::{Event, EventReceiver};
use opsdeck::db::DbLocation;
use opsdeck::server::{self, RunningServer, ServeOptions};

const POLL: Duration = Duration::from_millis(500);

async fn serve_on(listener: TcpListener) -> RunningServer {
    let options = ServeOptions { db: DbLocation::Memory.into(), users: ops::users(), sources: Vec::new() };
    server::start(listener, options).await.unwrap()
}

async fn poller(url: &str, dir: &tempfile::TempDir) -> (opsdeck::console::sync::SyncHandle, EventReceiver) {
    let cache = Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap();
    let backend = Arc::new(HttpBackend::new(url, Some(Secret::new(ops::ERIN))).unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    (opsdeck::console::sync::spawn(backend, cache, tx, POLL), rx)
}

/// The next sync outcome: `Ok` for a page, `Err` with the error for a failed round.
async fn next_outcome(rx: &mut EventReceiver) -> Result<(), String> {
    loop {
        match tokio::time::timeout(ops::DEADLINE, rx.recv()).await.expect("a sync outcome in time").expect("open") {
            Event::Synced(_) => return Ok(()),
            Event::SyncFailed { error, .. } => return Err(error),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_hung_backend_times_out_after_the_poll_interval_and_the_slack_not_15_seconds() {
    // Accepts connections and never answers a byte.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (sync, mut rx) = poller(&url, &dir).await;
    let error = next_outcome(&mut rx).await.expect_err("nothing answers");
    let took = started.elapsed();
    assert_eq!(error, "the backend did not answer in time");
    let window = live_window(POLL);
    assert!(took >= window - Duration::from_millis(100), "timed out after {took:?}, before the live window");
    assert!(took < window + Duration::from_secs(2), "timed out after {took:?}; the window is {window:?}");
    // And again a poll later, not after a growing backoff.
    let again = Instant::now();
    assert!(next_outcome(&mut rx).await.is_err());
    assert!(again.elapsed() < window + POLL * 2 + Duration::from_secs(1), "{:?}", again.elapsed());
    sync.stop();
    held.abort();
}

#[tokio::test]
async fn a_restarted_backend_is_picked_up_at_the_next_poll() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let first = serve_on(listener).await;
    let dir = tempfile::tempdir().unwrap();
    let (sync, mut rx) = poller(&first.url(), &dir).await;
    assert_eq!(next_outcome(&mut rx).await, Ok(()));

    first.shutdown().await.unwrap();
    // Down for several failed rounds: an exponential backoff would be at 4 s or more by now.
    let mut failures = 0;
    while failures < 4 {
        if next_outcome(&mut rx).await.is_err() {
            failures += 1;
        }
    }
    let restarted = Instant::now();
    let second = serve_on(TcpListener::bind(addr).await.unwrap()).await;
    loop {
        if next_outcome(&mut rx).await.is_ok() {
            break;
        }
    }
    let took = restarted.elapsed();
    assert!(took < POLL * 2 + Duration::from_secs(1), "the restarted server was noticed after {took:?}");
    sync.stop();
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_cursor_that_does_not_advance_is_reported_and_not_asked_again_at_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    // A backend that always says more changes wait, and always gives the same cursor.
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let app = axum::Router::new()
        .route(
            "/v1/me",
            axum::routing::get(|| async { axum::Json(serde_json::json!({"name": "erin", "role": "responder"})) }),
        )
        .route("/v1/users", axum::routing::get(|| async { axum::Json(serde_json::json!([])) }))
        .route(
            "/v1/changes",
            axum::routing::get(move || {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    axum::Json(serde_json::json!({"epoch": "e1", "cursor": "c1", "has_more": true, "changes": []}))
                }
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().unwrap();
    let (sync, mut rx) = poller(&url, &dir).await;
    // The first page (from empty) is taken; the second, with the same cursor and "more", is not.
    assert_eq!(next_outcome(&mut rx).await, Ok(()));
    let error = next_outcome(&mut rx).await.expect_err("a cursor that does not move is an error");
    assert!(error.contains("cursor does not move") && error.contains("c1"), "{error}");
    assert_eq!(asked.load(Ordering::SeqCst), 2, "asked twice, not in a loop");
    sync.stop();
    served.abort();
}

#[tokio::test]
async fn a_redirect_to_another_server_is_refused_with_a_clear_message_and_the_token_stays_home() {
    use opsdeck::backend::Backend;
    use std::sync::atomic::{AtomicUsize, Ordering};
    // Another server, which must never see the token.
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    let other = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            axum::Json(serde_json::json!({"name": "mallory", "role": "commander"}))
        }
    });
    let other_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere = format!("http://{}/v1/me", other_listener.local_addr().unwrap());
    let other_served = tokio::spawn(async move { axum::serve(other_listener, other).await });
    // The backend redirects every request there (as a misconfigured proxy would).
    let backend_app = axum::Router::new().fallback(move || {
        let to = elsewhere.clone();
        async move { (axum::http::StatusCode::FOUND, [(axum::http::header::LOCATION, to)]) }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = tokio::spawn(async move { axum::serve(listener, backend_app).await });
    let backend = HttpBackend::new(&url, Some(Secret::new(ops::ERIN))).unwrap();
    let error = backend.me().await.expect_err("a redirect elsewhere is not followed").to_string();
    assert!(error.contains("redirected to another server") && error.contains("/v1/me"), "{error}");
    assert_eq!(reached.load(Ordering::SeqCst), 0, "the other server was never asked");
    served.abort();
    other_served.abort();
}

#[tokio::test]
async fn a_429_carries_the_servers_retry_after_to_the_poller() {
    use opsdeck::backend::{Backend, BackendError};
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            [(axum::http::header::RETRY_AFTER, "120")],
            axum::Json(serde_json::json!({"error": "rate_limited", "message": "slow down"})),
        )
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = tokio::spawn(async move { axum::serve(listener, app).await });
    let backend = HttpBackend::new(&url, Some(Secret::new(ops::ERIN))).unwrap();
    let error = backend.changes(None, 10).await.expect_err("429");
    assert_eq!(error, BackendError::RateLimited { retry_after: Some(120), message: "slow down".into() });
    assert!(error.to_string().contains("retry after 120 s"), "{error}");
    served.abort();
}
