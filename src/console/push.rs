//! Keeps the server's change stream open (`GET /v1/stream`) beside the poller: each announced
//! cursor pokes a sync round at once, so a change reaches the screen in one round trip instead of
//! at the next poll, and while the stream is up the poller only checks in every [`PUSHED_POLL`].
//! When the stream goes quiet (no heartbeat for [`QUIET`]) or fails, the console says so, polls at
//! its interval again, and reopens the stream with backoff. A server without streams is polled
//! as before, and nothing is said.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::backend::push::Announcement;
use crate::backend::{Backend, BackendError};
use crate::console::event::{Event, EventSender};

/// How often the poller checks in while the stream is up (a change is announced; this only
/// covers one lost on the way).
pub const PUSHED_POLL: Duration = Duration::from_secs(60);
/// The server sends a heartbeat every 15 s: a stream silent for this long is dead.
pub const QUIET: Duration = Duration::from_secs(35);
/// How long "live" lasts after a heartbeat while the stream is up: one heartbeat and the slack.
pub const PUSHED_LIVE: Duration = Duration::from_secs(15);

/// Starts keeping the stream; `pushed` says whether it is up now.
pub fn spawn(
    backend: Arc<dyn Backend>,
    poke: Arc<Notify>,
    pushed: Arc<AtomicBool>,
    events: EventSender,
) -> JoinHandle<()> {
    tokio::spawn(run(backend, poke, pushed, events))
}

async fn run(backend: Arc<dyn Backend>, poke: Arc<Notify>, pushed: Arc<AtomicBool>, events: EventSender) {
    let mut failures = 0u32;
    let mut last: Option<String> = None;
    loop {
        match backend.announcements(last.as_deref()).await {
            // A server without streams: polling it is.
            Ok(None) | Err(BackendError::NotFound(_)) => return,
            Ok(Some(mut stream)) => {
                failures = 0;
                pushed.store(true, Ordering::SeqCst);
                if events.send(Event::Pushed(true)).is_err() {
                    return;
                }
                loop {
                    match tokio::time::timeout(QUIET, stream.next()).await {
                        Ok(Ok(Some(Announcement::Cursor(cursor)))) => {
                            last = Some(cursor);
                            poke.notify_one();
                        }
                        Ok(Ok(Some(Announcement::Heartbeat))) => {}
                        Ok(Ok(None)) => break,
                        Ok(Err(error)) => {
                            tracing::info!(%error, "the change stream failed; polling");
                            break;
                        }
                        Err(_) => {
                            tracing::info!("the change stream went quiet; polling");
                            break;
                        }
                    }
                    if events.send(Event::Pushed(true)).is_err() {
                        return;
                    }
                }
                pushed.store(false, Ordering::SeqCst);
                // Whatever was announced while it died: a round now, at the poll interval after.
                poke.notify_one();
                if events.send(Event::Pushed(false)).is_err() {
                    return;
                }
                failures += 1;
            }
            Err(error) => {
                failures += 1;
                tracing::debug!(%error, failures, "the change stream could not be opened");
            }
        }
        tokio::time::sleep(crate::console::sync::jittered(crate::console::outbox::backoff(failures))).await;
    }
}
