//! The reference server on 127.0.0.1:0 with three users, and clients for it: what contract
//! tests share.

#![allow(dead_code)]

#[path = "postgres.rs"]
pub mod postgres;

use std::time::Duration;

use tokio::sync::mpsc;

use opsdeck::api::Role;
use opsdeck::backend::http::HttpBackend;
use opsdeck::cache::Cache;
use opsdeck::config::Secret;
use opsdeck::console::event::{Event, EventReceiver, SyncReport};
use opsdeck::db::DbLocation;
use opsdeck::server::auth::Users;
use opsdeck::server::store::StoreLocation;
use opsdeck::server::{self, RunningServer, ServeOptions};
use opsdeck::sources::simulator::{self, Pace};

pub const ERIN: &str = "erin-token-0123456789";
pub const DANA: &str = "dana-token-0123456789";
pub const VIC: &str = "vic-token-0123456789";
/// Failure deadline for anything awaited; never a wait in itself.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// erin (responder), dana (commander), vic (viewer).
pub fn users() -> Users {
    let mut users = Users::default();
    users.add("erin", Role::Responder, ERIN);
    users.add("dana", Role::Commander, DANA);
    users.add("vic", Role::Viewer, VIC);
    users
}

pub async fn start(db: DbLocation) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    server::start(listener, ServeOptions { db: store_for(db).await, users: users(), sources: Vec::new() })
        .await
        .unwrap()
}

/// Where a test server keeps its data: `db`, except that with `OPSDECK_TEST_POSTGRES` set an
/// in-memory database becomes a fresh PostgreSQL database of its own (the contract suites run
/// against both stores so).
pub async fn store_for(db: DbLocation) -> StoreLocation {
    match (&db, postgres::server()) {
        (DbLocation::Memory, Some(server)) => StoreLocation::Postgres(postgres::fresh_database(&server).await),
        _ => db.into(),
    }
}

/// A server on `db`, for replicas of one database.
pub async fn start_on(db: StoreLocation) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    server::start(listener, ServeOptions { db, users: users(), sources: Vec::new() }).await.unwrap()
}

pub fn client(server: &RunningServer, token: &str) -> HttpBackend {
    HttpBackend::new(&server.url(), Some(Secret::new(token))).unwrap()
}

/// Receives events until a sync round ends (a page with nothing more after it).
pub async fn sync_round(rx: &mut EventReceiver) -> Vec<SyncReport> {
    let mut pages = Vec::new();
    loop {
        let event = tokio::time::timeout(DEADLINE, rx.recv()).await.expect("sync reports in time").expect("open");
        match event {
            Event::Synced(report) => {
                let more = report.more;
                pages.push(*report);
                if !more {
                    return pages;
                }
            }
            Event::SyncFailed { error, .. } => panic!("sync failed: {error}"),
            _ => {}
        }
    }
}

/// The console's poller as erin, with an interval so long that rounds happen only at start
/// and when poked (the change stream left out: `pushed_poller` has it).
pub fn poller(server: &RunningServer, cache: &Cache) -> (opsdeck::console::sync::SyncHandle, EventReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let backend = std::sync::Arc::new(client(server, ERIN).polling_only());
    (opsdeck::console::sync::spawn(backend, cache.clone(), tx, Duration::from_secs(3600)), rx)
}

/// [`poller`] with the change stream: rounds also on each announcement.
pub fn pushed_poller(server: &RunningServer, cache: &Cache) -> (opsdeck::console::sync::SyncHandle, EventReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let backend = std::sync::Arc::new(client(server, ERIN));
    (opsdeck::console::sync::spawn(backend, cache.clone(), tx, Duration::from_secs(3600)), rx)
}

/// The server with the simulator on: the demo world, model monitoring included, seeded at start.
pub async fn start_simulating(db: DbLocation, seed: u64) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let db = store_for(db).await;
    let options = ServeOptions { db, users: users(), sources: vec![simulator::feed(seed, Pace::demo())] };
    server::start(listener, options).await.unwrap()
}

/// One HTTP answer: its status, whether it was an idempotent replay, and its JSON body.
pub struct Answer {
    pub status: u16,
    pub replayed: bool,
    /// The `Opsdeck-Notice` header: what opsdeck did on its own where a source could not.
    pub notice: Option<String>,
    pub body: serde_json::Value,
}

impl Answer {
    /// The body as a `T`, once the status is checked.
    pub fn json<T: serde::de::DeserializeOwned>(&self, status: u16) -> T {
        assert_eq!(self.status, status, "{}", self.body);
        serde_json::from_value(self.body.clone()).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The error message of a `status` answer.
    pub fn error(&self, status: u16) -> String {
        self.json::<opsdeck::api::ErrorBody>(status).message
    }
}

/// `method path` on the server as `token`, with an optional JSON body and idempotency key.
pub async fn call(
    server: &RunningServer,
    method: &str,
    token: &str,
    path: &str,
    body: Option<serde_json::Value>,
    key: Option<&str>,
) -> Answer {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", server.url());
    let mut request = match method {
        "GET" => client.get(url),
        "PUT" => client.put(url),
        _ => client.post(url),
    }
    .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(key) = key {
        request = request.header(opsdeck::api::IDEMPOTENCY_HEADER, key);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let notice = response.headers().get("opsdeck-notice").and_then(|v| v.to_str().ok()).map(str::to_string);
    Answer { status, replayed, notice, body: response.json().await.unwrap_or(serde_json::Value::Null) }
}

/// An action as the outbox sends it.
pub fn action(
    target: &str,
    command: opsdeck::domain::Command,
    version: i64,
    key: &str,
) -> opsdeck::backend::ActionRequest {
    opsdeck::backend::ActionRequest { target_id: target.into(), command, version, idempotency_key: key.into() }
}

/// Runs the `opsdeck` binary off the runtime's threads, so a server in this process keeps
/// answering while it runs.
pub async fn run_opsdeck(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck")).args(&args).output().expect("the binary runs")
    })
    .await
    .expect("the binary's task")
}

/// The outbox entry a console keeps for `request` until the backend answers it.
pub fn queued(request: &opsdeck::backend::ActionRequest) -> opsdeck::console::outbox::OutboxEntry {
    opsdeck::console::outbox::OutboxEntry {
        key: request.idempotency_key.clone(),
        target_id: request.target_id.clone(),
        action: request.command.clone(),
        base_version: request.version,
        epoch: None,
        created_at: chrono::Utc::now(),
        attempts: 0,
        last_error: None,
    }
}

/// The server in memory and a temporary folder holding a commander's token file: what the
/// tests of the command-line tools start from.
pub struct Commander {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
    pub token: std::path::PathBuf,
}

pub async fn commander() -> Commander {
    let server = start(DbLocation::Memory).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{DANA}\n")).unwrap();
    Commander { server, dir, token }
}
