//! The poller: asks the backend what changed since the cached cursor, stores it, reports it.
//!
//! It runs on its own task and only sends events, so a slow or dead backend never blocks the
//! UI. Each request may take the poll interval plus [`crate::config::LIVE_SLACK`] (the window
//! in which the badge says live), so a hung server shows as such about as soon as the badge
//! turns stale. A server that cannot be reached or did not answer is tried again at the next
//! poll, so a restarted one is back within a poll interval; a server that answers with errors
//! (5xx, 429, a refused token) gets exponential backoff with jitter, from the poll interval up
//! to 30 s. `poke` asks for a round now. Every [`SOURCES_EVERY`], and after a failed round, it
//! also reads the health of the server's sources for the header.
//!
//! A page is read record by record: a record that cannot be read is skipped, the rest is
//! stored and the cursor moves past it, and the report carries what was skipped and why (the
//! state says so once per bad record), so one bad record never keeps the console stale.
//!
//! Catching up is a pipeline: the next page is requested (on its own task) while the current
//! one is written to the cache, and the state takes each page as reports of at most [`SLICE`]
//! changes, so the run loop draws between them. A page's reports are sent only once the state
//! has taken the previous page's ([`Backlog`]): the channel never holds more than one page, so
//! a key pressed during a long catch-up is not queued behind the whole backlog. Each report
//! says how far the round has come when the server tells how many changes remain.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::api::Change;
use crate::backend::{Backend, BackendError};
use crate::cache::{Cache, CacheError};
use crate::console::event::{Event, EventSender, SyncProgress, SyncReport};

/// How often the sources' health (`GET /v1/sources`) is read while polls succeed.
pub const SOURCES_EVERY: Duration = Duration::from_secs(10);
/// Changes asked for per request, while catching up and when idle alike (a page brings what
/// there is, up to this).
pub const CATCH_UP_PAGE: u32 = 1000;
/// The most changes one report to the state carries: a larger page is taken in several turns
/// of the run loop, each short enough to draw between them (see `benches/ingest_e2e.rs`).
pub const SLICE: usize = 200;
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
    backlog: Arc<Backlog>,
    interval: watch::Sender<Duration>,
    task: JoinHandle<()>,
    /// Keeps the change stream open ([`crate::console::push`]).
    stream: JoinHandle<()>,
}

impl SyncHandle {
    /// Sync now instead of waiting for the next poll (or the end of a backoff).
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    pub fn set_interval(&self, interval: Duration) {
        self.interval.send_replace(interval);
    }

    /// Says the state took one `Event::Synced`: the poller sends a page's reports only once
    /// the last page's are taken.
    pub fn taken(&self) {
        self.backlog.taken();
    }

    /// What [`SyncHandle::taken`] counts down, for the run loop to hold.
    pub fn backlog(&self) -> Arc<Backlog> {
        self.backlog.clone()
    }

    pub fn stop(&self) {
        self.task.abort();
        self.stream.abort();
    }
}

pub fn spawn(backend: Arc<dyn Backend>, cache: Cache, events: EventSender, interval: Duration) -> SyncHandle {
    let poke = Arc::new(Notify::new());
    let (interval_tx, interval_rx) = watch::channel(interval);
    let backlog = Arc::new(Backlog::default());
    let pushed = Arc::new(AtomicBool::new(false));
    let stream = crate::console::push::Pusher {
        backend: backend.clone(),
        poke: poke.clone(),
        pushed: pushed.clone(),
        events: events.clone(),
        interval: interval_rx.clone(),
    }
    .spawn();
    let task = tokio::spawn(run(backend, cache, events, poke.clone(), interval_rx, backlog.clone(), pushed));
    SyncHandle { poke, backlog, interval: interval_tx, task, stream }
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
    backlog: Arc<Backlog>,
    pushed: Arc<AtomicBool>,
) {
    let mut poller = Poller { backend, cache, events, backlog, identity_known: false, failures: 0, last_touch: None };
    let mut sources_read: Option<tokio::time::Instant> = None;
    loop {
        let every = *interval.borrow();
        let round = poller.round(crate::config::live_window(every)).await;
        // The sources' health: every SOURCES_EVERY, and after a round the server answered with
        // an error (one that cannot be reached or did not answer is not asked again at once).
        let absent = matches!(&round, Err(SyncError::Backend(BackendError::Unreachable(_) | BackendError::Timeout)));
        let answered_badly = round.is_err() && !absent;
        if answered_badly || (!absent && sources_read.is_none_or(|at| at.elapsed() >= SOURCES_EVERY)) {
            match within(crate::config::live_window(every), poller.backend.sources()).await {
                Ok(sources) => {
                    sources_read = Some(tokio::time::Instant::now());
                    if poller.events.send(Event::Sources(sources)).is_err() {
                        return;
                    }
                }
                Err(error) => tracing::debug!(%error, "the sources' health was not read"),
            }
        }
        let wait = match round {
            // While the stream is up it announces each change: the poll only checks in.
            Ok(()) if pushed.load(Ordering::SeqCst) => every.max(crate::console::push::PUSHED_POLL),
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
    backlog: Arc<Backlog>,
    identity_known: bool,
    failures: u32,
    last_touch: Option<DateTime<Utc>>,
}

/// A page request running on its own task, so the next page is read off the wire and decoded
/// while the current one is written to the cache; dropped, it is cancelled.
struct Prefetch(JoinHandle<Result<crate::api::DecodedPage, BackendError>>);

impl Prefetch {
    fn start(backend: &Arc<dyn Backend>, cursor: Option<String>, limit: Duration) -> Prefetch {
        let backend = backend.clone();
        Prefetch(tokio::spawn(async move { within(limit, backend.changes(cursor.as_deref(), CATCH_UP_PAGE)).await }))
    }

    async fn page(mut self) -> Result<crate::api::DecodedPage, BackendError> {
        match (&mut self.0).await {
            Ok(result) => result,
            Err(err) => Err(BackendError::Unreachable(format!("the sync request stopped: {err}"))),
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Poller {
    /// The page's changes with each incident tail made whole: the cached timeline's start and
    /// the tail's events, or, when the cache lacks what comes before the tail, the incident as
    /// the backend has it now.
    async fn whole(&self, changes: Vec<Change>) -> Result<Vec<Change>, SyncError> {
        let mut whole = Vec::with_capacity(changes.len());
        for change in changes {
            let Change::IncidentTail(tail) = change else {
                whole.push(change);
                continue;
            };
            let id = tail.incident.id.clone();
            let had = self.cache.incident(&id).await?.map(|cached| cached.timeline).unwrap_or_default();
            let incident = match tail.complete(&had) {
                Some(incident) => incident,
                None => {
                    tracing::debug!(incident = %crate::domain::text::sanitize(&id), "a tail past the cached timeline; reading the incident");
                    match self.backend.incident(&id).await {
                        Ok(incident) => incident,
                        // Gone from the server since the page was read: nothing to keep.
                        Err(BackendError::NotFound(_)) => continue,
                        Err(err) => return Err(err.into()),
                    }
                }
            };
            whole.push(Change::Incident(incident));
        }
        Ok(whole)
    }

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
        let mut done = 0u64;
        let mut next = Some(Prefetch::start(&self.backend, cursor.clone(), limit));
        while let Some(request) = next.take() {
            let decoded = request.page().await?;
            let crate::api::DecodedPage { mut page, skipped, unknown_kinds } = decoded;
            if !reset && epoch.as_deref().is_some_and(|e| e != page.epoch) {
                // The cursor belongs to another database: start over from empty.
                tracing::warn!("the server's database changed; syncing from empty");
                reset = true;
                from_empty = true;
                cursor = None;
                epoch = Some(page.epoch.clone());
                next = Some(Prefetch::start(&self.backend, None, limit));
                continue;
            }
            // A page that says "more" must move the cursor, or the next request asks the same thing
            // (the page is the one taken last time).
            if page.has_more && !reset && cursor.as_deref() == Some(page.cursor.as_str()) {
                tracing::warn!("the server's cursor did not advance on a page with more; backing off");
                return Err(SyncError::Stuck { cursor: crate::domain::text::sanitize(&page.cursor).into_owned() });
            }
            // The next page, when there is one, is asked for now and read while this one is stored.
            next = page.has_more.then(|| Prefetch::start(&self.backend, Some(page.cursor.clone()), limit));
            page.changes = self.whole(std::mem::take(&mut page.changes)).await?;
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
            let taken = (page.changes.len() + skipped.len() + page.skipped_unknown) as u64;
            done += taken;
            // Progress is told for a round of several pages (its last page says how far, too).
            let progress = (page.has_more || done > taken)
                .then_some(page.remaining)
                .flatten()
                .map(|remaining| SyncProgress { done, total: done + remaining });
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
                progress,
            };
            // The state has taken the last page's reports before this one's go: a key pressed
            // during a long catch-up waits behind one page at most.
            self.backlog.drained().await;
            for slice in slices(report, SLICE) {
                self.backlog.sent();
                if self.events.send(Event::Synced(Box::new(slice))).is_err() {
                    return Ok(());
                }
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

/// Reports the poller sent that the state has not taken yet. Pacing starts with the first
/// report taken ([`SyncHandle::taken`]): a receiver that never says so is never waited for.
#[derive(Default)]
pub struct Backlog {
    paced: AtomicBool,
    waiting: AtomicUsize,
    taken: Notify,
}

impl Backlog {
    fn sent(&self) {
        if self.paced.load(Ordering::SeqCst) {
            self.waiting.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The state took one report.
    pub fn taken(&self) {
        self.paced.store(true, Ordering::SeqCst);
        let _ = self.waiting.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| Some(n.saturating_sub(1)));
        self.taken.notify_one();
    }

    /// Until the state has taken every report sent.
    async fn drained(&self) {
        while self.waiting.load(Ordering::SeqCst) > 0 {
            self.taken.notified().await;
        }
    }
}

/// Cuts a page's report into reports of at most `max` changes, in order, so that the state
/// takes a large page in turns short enough to draw between them. What belongs to the page
/// once (the reset, the skipped records, the recovery) rides on the first; every slice but the
/// last says more follows; each one's progress counts the changes up to its own last.
pub fn slices(report: SyncReport, max: usize) -> Vec<SyncReport> {
    let max = max.max(1);
    if report.changes.len() <= max {
        return vec![report];
    }
    let SyncReport { at, epoch, reset, from_empty, more, recovered, changes, skipped, unknown_kinds, progress } =
        report;
    let count = changes.len().div_ceil(max);
    let mut changes = changes.into_iter();
    let (mut skipped, mut unknown_kinds) = (Some(skipped), Some(unknown_kinds));
    let mut out = Vec::with_capacity(count);
    let mut after = changes.len() as u64;
    for index in 0..count {
        let first = index == 0;
        let last = index + 1 == count;
        let part: Vec<_> = changes.by_ref().take(max).collect();
        after -= part.len() as u64;
        out.push(SyncReport {
            at,
            epoch: epoch.clone(),
            reset: reset && first,
            from_empty,
            more: more || !last,
            recovered: recovered && first,
            changes: part,
            skipped: skipped.take().unwrap_or_default(),
            unknown_kinds: unknown_kinds.take().unwrap_or_default(),
            progress: progress.map(|p| SyncProgress { done: p.done.saturating_sub(after), total: p.total }),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Change;

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

    fn report(changes: usize, more: bool, progress: Option<SyncProgress>) -> SyncReport {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 5, 14, 0, 0).unwrap();
        let changes = crate::fixtures::many_incidents(changes, now).into_iter().map(Change::Incident).collect();
        SyncReport {
            at: now,
            epoch: "e1".into(),
            reset: true,
            from_empty: true,
            more,
            recovered: true,
            changes,
            skipped: vec![crate::api::SkippedRecord {
                position: 3,
                kind: Some("incident".into()),
                id: Some("INC-x".into()),
                problem: "unreadable".into(),
            }],
            unknown_kinds: vec!["alien".into()],
            progress,
        }
    }

    fn ids(report: &SyncReport) -> Vec<String> {
        report
            .changes
            .iter()
            .map(|c| match c {
                Change::Incident(i) => i.id.clone(),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_large_page_is_taken_in_slices_in_order_each_change_once() {
        let whole = report(450, true, Some(SyncProgress { done: 1_450, total: 10_000 }));
        let all = ids(&whole);
        let parts = slices(whole, 200);
        assert_eq!(parts.iter().map(|p| p.changes.len()).collect::<Vec<_>>(), [200, 200, 50]);
        assert_eq!(parts.iter().flat_map(ids).collect::<Vec<_>>(), all, "every change once, in the page's order");
        // What happens once per page rides on the first slice only.
        assert!(parts[0].reset && parts[0].recovered);
        assert_eq!(parts[0].skipped.len(), 1);
        assert_eq!(parts[0].unknown_kinds, ["alien"]);
        for part in &parts[1..] {
            assert!(!part.reset && !part.recovered && part.skipped.is_empty() && part.unknown_kinds.is_empty());
        }
        assert!(parts.iter().all(|p| p.from_empty && p.more && p.epoch == "e1"));
        let done: Vec<u64> = parts.iter().map(|p| p.progress.unwrap().done).collect();
        assert_eq!(done, [1_200, 1_400, 1_450], "each slice counts up to its own last change");
    }

    #[test]
    fn only_the_last_slice_of_a_rounds_last_page_says_nothing_more_follows() {
        let parts = slices(report(401, false, None), 200);
        assert_eq!(parts.iter().map(|p| p.more).collect::<Vec<_>>(), [true, true, false]);
        assert!(parts.iter().all(|p| p.progress.is_none()), "an old server tells no progress");
        let small = slices(report(200, false, None), 200);
        assert_eq!(small.len(), 1, "a page within the slice is one report");
        assert!(!small[0].more && small[0].reset);
    }
}
