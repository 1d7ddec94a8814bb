//! The reference server on 127.0.0.1:0 with three users, and clients for it: what contract
//! tests share.

#![allow(dead_code)]

use std::time::Duration;

use tokio::sync::mpsc;

use opsdeck::api::Role;
use opsdeck::backend::http::HttpBackend;
use opsdeck::cache::Cache;
use opsdeck::config::Secret;
use opsdeck::db::DbLocation;
use opsdeck::event::{Event, EventReceiver, SyncReport};
use opsdeck::server::auth::Users;
use opsdeck::server::simulator::Pace;
use opsdeck::server::{self, RunningServer, ServeOptions};

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
    server::start(listener, ServeOptions { db, users: users(), simulate: None, pace: Pace::demo() }).await.unwrap()
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
/// and when poked.
pub fn poller(server: &RunningServer, cache: &Cache) -> (opsdeck::sync::SyncHandle, EventReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let backend = std::sync::Arc::new(client(server, ERIN));
    (opsdeck::sync::spawn(backend, cache.clone(), tx, Duration::from_secs(3600)), rx)
}

/// The server with the simulator on: the demo world, model monitoring included, seeded at start.
pub async fn start_simulating(db: DbLocation, seed: u64) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let options = ServeOptions { db, users: users(), simulate: Some(seed), pace: Pace::demo() };
    server::start(listener, options).await.unwrap()
}
