//! The poller: asks the backend what changed since the cached cursor, stores it, reports it.
//!
//! It runs on its own task and only sends events, so a slow or dead backend never blocks the
//! UI. Each request may take the poll interval plus [`crate::config::LIVE_SLACK`] (the window
//! in which the badge says live), so a hung server shows as such about as soon as the badge
//! turns stale. A server that cannot be reached or did not answer is tried again at the next
//! poll, so a restarted one is back within a poll interval; a server that answers with errors
//! (5xx, 429, a refused token) gets exponential backoff with jitter, from the poll interval up
//! to 30 s. `poke` asks for a round now.
//!
//! A page is read record by record: a record that cannot be read is skipped, the rest is
//! stored and the cursor moves past it, and the report carries what was skipped and why (the
//! state says so once per bad record), so one bad record never keeps the console stale.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::backend::{Backend, BackendError};
use crate::cache::{Cache, CacheError};
use crate::console::event::{Event, EventSender, SyncReport};

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
    /// The server said more changes wait after a page but gave the cursor it was asked with:
    /// asking again would get the same page forever.
    #[error("the backend says more changes wait but its cursor does not move (`{cursor}`); trying again later")]
    Stuck { cursor: String },
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
        let every = *interval.borrow();
        let wait = match poller.round(crate::config::live_window(every)).await {
            Ok(()) => every,
            Err(err) => {
                poller.failures += 1;
                poller.identity_known = false;
                tracing::info!(error = %err, failures = poller.failures, "sync failed");
                let sent = poller.events.send(Event::SyncFailed { error: err.to_string(), at: Utc::now() });
                if sent.is_err() {
                    return;
                }
                let wait = retry_after(&err, poller.failures, every);
                match err {
                    // Jitter only later than the server asked, never sooner.
                    SyncError::Backend(BackendError::RateLimited { retry_after: Some(_), .. }) => {
                        wait.mul_f64(rand::rng().random_range(1.0..1.2))
                    }
                    _ => jittered(wait),
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = poke.notified() => {}
            changed = interval.changed() => if changed.is_err() { return },
        }
    }
}

/// How long to wait after a failed round: the next poll when the server was not there or did
/// not answer (nothing to spare it from, and it may be back already); backoff when it answered
/// with an error.
fn retry_after(err: &SyncError, failures: u32, interval: Duration) -> Duration {
    match err {
        SyncError::Backend(BackendError::Unreachable(_) | BackendError::Timeout) => interval,
        // The server said when: not before then, and not sooner than the backoff either.
        SyncError::Backend(BackendError::RateLimited { retry_after: Some(seconds), .. }) => {
            Duration::from_secs(*seconds).max(crate::console::outbox::backoff(failures)).max(interval)
        }
        _ => crate::console::outbox::backoff(failures).max(interval),
    }
}

/// A request that takes longer than `limit` is a timeout.
async fn within<T>(
    limit: Duration,
    request: impl std::future::Future<Output = Result<T, BackendError>>,
) -> Result<T, BackendError> {
    tokio::time::timeout(limit, request).await.unwrap_or(Err(BackendError::Timeout))
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
    /// One round of requests, each allowed `limit`.
    async fn round(&mut self, limit: Duration) -> Result<(), SyncError> {
        if !self.identity_known {
            let me = within(limit, self.backend.me()).await?;
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
            let decoded = within(limit, self.backend.changes(cursor.as_deref(), PAGE_SIZE)).await?;
            let crate::api::DecodedPage { page, skipped, unknown_kinds } = decoded;
            if !reset && epoch.as_deref().is_some_and(|e| e != page.epoch) {
                // The cursor belongs to another database: start over from empty.
                tracing::warn!("the server's database changed; syncing from empty");
                reset = true;
                from_empty = true;
                cursor = None;
                epoch = Some(page.epoch.clone());
                continue;
            }
            // A page that says "more" must move the cursor, or the next request asks the same thing
            // (the page is the one taken last time).
            if page.has_more && !reset && cursor.as_deref() == Some(page.cursor.as_str()) {
                tracing::warn!("the server's cursor did not advance on a page with more; backing off");
                return Err(SyncError::Stuck { cursor: crate::domain::text::sanitize(&page.cursor).into_owned() });
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
            for record in &skipped {
                tracing::warn!(record = %record.describe(), "skipped a change this console cannot read");
            }
            let report = SyncReport {
                at: now,
                epoch: page.epoch.clone(),
                reset,
                from_empty,
                more: page.has_more,
                recovered,
                changes: page.changes,
                skipped,
                unknown_kinds,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_server_is_tried_at_the_next_poll_and_an_erring_one_backs_off() {
        let every = Duration::from_secs(2);
        let gone = SyncError::Backend(BackendError::Unreachable("Connection refused".into()));
        let hung = SyncError::Backend(BackendError::Timeout);
        let failing = SyncError::Backend(BackendError::Server { status: 503, message: "overloaded".into() });
        for failures in [1, 5, 20] {
            assert_eq!(retry_after(&gone, failures, every), every);
            assert_eq!(retry_after(&hung, failures, every), every);
        }
        assert_eq!(retry_after(&failing, 1, every), every);
        assert_eq!(retry_after(&failing, 4, every), Duration::from_secs(8));
        assert_eq!(retry_after(&failing, 20, every), Duration::from_secs(30));
    }

    #[test]
    fn a_429_is_asked_again_no_sooner_than_its_retry_after() {
        let every = Duration::from_secs(2);
        let limited = |s| SyncError::Backend(BackendError::RateLimited { retry_after: s, message: "slow down".into() });
        assert_eq!(retry_after(&limited(Some(120)), 1, every), Duration::from_secs(120));
        assert_eq!(retry_after(&limited(Some(1)), 4, every), Duration::from_secs(8), "never sooner than the backoff");
        assert_eq!(retry_after(&limited(None), 1, every), every);
    }
}
