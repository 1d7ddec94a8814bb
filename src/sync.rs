//! The poller: asks the backend what changed since the cached cursor, stores it, reports it.
//!
//! It runs on its own task and only sends events, so a slow or dead backend never blocks the
//! UI. Failures back off exponentially with jitter (1 s … 30 s); `poke` asks for a round now.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::backend::{Backend, BackendError};
use crate::cache::{Cache, CacheError};
use crate::event::{Event, EventSender, SyncReport};

/// Changes asked for per request.
pub const PAGE_SIZE: u32 = 500;
/// An idle poll writes `last_ok` to the cache at most this often.
const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    Cache(#[from] CacheError),
}

pub struct SyncHandle {
    poke: Arc<Notify>,
    interval: watch::Sender<Duration>,
    task: JoinHandle<()>,
}

impl SyncHandle {
    /// Sync now instead of waiting for the next poll (or the end of a backoff).
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    pub fn set_interval(&self, interval: Duration) {
        self.interval.send_replace(interval);
    }

    pub fn stop(&self) {
        self.task.abort();
    }
}

pub fn spawn(backend: Arc<dyn Backend>, cache: Cache, events: EventSender, interval: Duration) -> SyncHandle {
    let poke = Arc::new(Notify::new());
    let (interval_tx, interval_rx) = watch::channel(interval);
    let task = tokio::spawn(run(backend, cache, events, poke.clone(), interval_rx));
    SyncHandle { poke, interval: interval_tx, task }
}

/// Backoff after `failures` consecutive failures, ±20 % jitter so a fleet of consoles does not
/// hammer a recovering server in step.
pub fn jittered(base: Duration) -> Duration {
    base.mul_f64(rand::rng().random_range(0.8..1.2))
}

async fn run(
    backend: Arc<dyn Backend>,
    cache: Cache,
    events: EventSender,
    poke: Arc<Notify>,
    mut interval: watch::Receiver<Duration>,
) {
    let mut poller = Poller { backend, cache, events, identity_known: false, failures: 0, last_touch: None };
    loop {
        let wait = match poller.round().await {
            Ok(()) => *interval.borrow(),
            Err(err) => {
                poller.failures += 1;
                poller.identity_known = false;
                tracing::info!(error = %err, failures = poller.failures, "sync failed");
                let sent = poller.events.send(Event::SyncFailed { error: err.to_string(), at: Utc::now() });
                if sent.is_err() {
                    return;
                }
                jittered(crate::outbox::backoff(poller.failures))
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = poke.notified() => {}
            changed = interval.changed() => if changed.is_err() { return },
        }
    }
}

struct Poller {
    backend: Arc<dyn Backend>,
    cache: Cache,
    events: EventSender,
    identity_known: bool,
    failures: u32,
    last_touch: Option<DateTime<Utc>>,
}

impl Poller {
    async fn round(&mut self) -> Result<(), SyncError> {
        if !self.identity_known {
            let me = self.backend.me().await?;
            let _ = self.events.send(Event::Identity(me));
            self.identity_known = true;
            // Who tickets can go to, once per sign-in; without it syncing goes on (older servers
            // do not list users, viewers may not), and assigning says the name is unchecked.
            let users = self.backend.users().await.map_err(|e| e.to_string());
            let _ = self.events.send(Event::Users(users));
        }
        let meta = self.cache.sync_meta().await?;
        let mut cursor = meta.cursor;
        let mut epoch = meta.epoch;
        let mut from_empty = cursor.is_none();
        let mut reset = false;
        let mut recovered = self.failures > 0;
        loop {
            let page = self.backend.changes(cursor.as_deref(), PAGE_SIZE).await?;
            if !reset && epoch.as_deref().is_some_and(|e| e != page.epoch) {
                // The cursor belongs to another database: start over from empty.
                tracing::warn!("the server's database changed; syncing from empty");
                reset = true;
                from_empty = true;
                cursor = None;
                epoch = Some(page.epoch.clone());
                continue;
            }
            let now = Utc::now();
            let idle = page.changes.is_empty() && !reset && cursor.as_deref() == Some(page.cursor.as_str());
            if !idle {
                self.cache.apply_page(&page, reset, now).await?;
                self.last_touch = Some(now);
            } else if self.last_touch.is_none_or(|t| now - t >= TOUCH_EVERY) {
                self.cache.touch_last_ok(now).await?;
                self.last_touch = Some(now);
            }
            if page.skipped_unknown > 0 {
                tracing::debug!(skipped = page.skipped_unknown, "skipped changes of kinds this console does not know");
            }
            let report = SyncReport {
                at: now,
                epoch: page.epoch.clone(),
                reset,
                from_empty,
                more: page.has_more,
                recovered,
                changes: page.changes,
            };
            if self.events.send(Event::Synced(Box::new(report))).is_err() {
                return Ok(());
            }
            reset = false;
            recovered = false;
            cursor = Some(page.cursor);
            epoch = Some(page.epoch);
            if !page.has_more {
                break;
            }
        }
        self.failures = 0;
        Ok(())
    }
}
