//! The reference Ops API server: this file starts and stops it ([`start`], [`RunningServer`]) and
//! holds what every request sees ([`ServerState`]).
//!
//! The console's demo mode runs this in-process on 127.0.0.1 and talks to it over HTTP exactly as
//! to a remote server; `opsdeck serve` runs the same thing for a team. Either way the server may
//! run [`Source`]s beside its API (the simulator, Alertmanager, … of `crate::sources`); it knows
//! them only by that trait ([`sources`]) and imports none of them.
//!
//! - [`router`]: every route to its handler; [`openapi`]: the OpenAPI document.
//! - [`handlers`]: one file per resource (incidents, tickets, maintenance, models, postmortems)
//!   and what they share (roles, idempotency keys, one action as one store transaction).
//! - [`error`]: [`ApiError`](error::ApiError), the JSON error answer; [`extract`]: request bodies
//!   as every write endpoint reads them (JSON only, stored text without control characters).
//! - [`auth`]: tokens, users and their roles, and [`Caller`](auth::Caller), a request's user.
//! - [`store`]: the [`Store`] trait and what any store shares; `store/sqlite.rs` the SQLite store.
//! - [`catalog`]: seeding a new store with the default catalog.
//! - [`pager`]: pages held back by maintenance windows, sent once the window is over.
//!
//! `server/` may use `domain`, `api`, `db` and `sla`; never the console or `sources`.

pub mod auth;
pub mod catalog;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod lead;
pub mod openapi;
pub mod pager;
pub mod router;
pub mod sources;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use auth::Users;
use sources::{Source, SourceSet};
use store::{Store, StoreError, StoreLocation};

#[derive(Clone)]
pub struct ServerState {
    pub store: Arc<dyn Store>,
    pub users: Arc<Users>,
    /// The sources feeding the store, with their health; actions on their items go through them.
    pub sources: SourceSet,
    /// Turns true when the server shuts down: what never ends by itself (event streams) ends then.
    /// (Held here as well as by [`RunningServer`], so it lasts as long as any request.)
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
}

pub struct ServeOptions {
    pub db: StoreLocation,
    pub users: Users,
    /// What feeds the store beside the API (the simulator with `--simulate`).
    pub sources: Vec<Box<dyn Source>>,
}

/// A server running on a task; dropping it does not stop it, `shutdown` does.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub epoch: String,
    stop: oneshot::Sender<()>,
    closing: Arc<tokio::sync::watch::Sender<bool>>,
    task: JoinHandle<std::io::Result<()>>,
    /// Keeps the lead of the sources, and runs them (and the sweep that sends pages a
    /// maintenance window held back) while it has it.
    lead: JoinHandle<()>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes requests in flight, and stops the feeds.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.lead.abort();
        // Awaited, so the feeds and the lease are gone before this returns.
        let _ = self.lead.await;
        self.closing.send_replace(true);
        let _ = self.stop.send(());
        self.task.await.unwrap_or(Ok(()))
    }

    /// Resolves when the server stops by itself (an accept error), never otherwise.
    pub async fn wait(&mut self) -> std::io::Result<()> {
        (&mut self.task).await.unwrap_or(Ok(()))
    }
}

/// Opens the store, seeds the catalog, starts the feeds (the simulator seeds the demo world), and
/// serves on `listener` until `shutdown`.
pub async fn start(listener: TcpListener, options: ServeOptions) -> Result<RunningServer, StoreError> {
    let store = options.db.open().await?;
    catalog::ensure(store.as_ref()).await?;
    let mut users = options.users;
    for name in options.sources.iter().flat_map(|source| source.people()) {
        users.add_person(&name, crate::api::Role::Responder);
    }
    let set = SourceSet::new(options.sources);
    let lead = lead::start(store.clone(), set.clone(), set.leading()).await?;
    let addr = listener.local_addr().map_err(|e| StoreError::Sql(sqlx::Error::Io(e)))?;
    let epoch = store.epoch().to_string();
    let closing = Arc::new(tokio::sync::watch::Sender::new(false));
    let state = ServerState { store, users: Arc::new(users), sources: set, closing: closing.clone() };
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router::router(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(%addr, "Ops API listening");
    Ok(RunningServer { addr, epoch, stop, closing, task, lead })
}
