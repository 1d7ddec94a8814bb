//! Keeps the server's change stream open (`GET /v1/stream`) beside the poller: each announced
//! cursor pokes a sync round at once, so a change reaches the screen in one round trip instead of
//! at the next poll, and while the stream is up the poller only checks in every [`PUSHED_POLL`].
//! The server is asked for a heartbeat every poll interval ([`heartbeat`]), so the badge says
//! whether it is there as soon as with polling. When the stream goes quiet (two heartbeats
//! missed) or fails, the console says so, polls at its interval again, and reopens the stream with
//! backoff. A server without streams is polled
//! as before, and nothing is said.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::backend::push::Announcement;
use crate::backend::{Backend, BackendError};
use crate::console::event::{Event, EventSender};

/// How often the poller checks in while the stream is up (a change is announced; this only
/// covers one lost on the way).
pub const PUSHED_POLL: Duration = Duration::from_secs(60);
/// The heartbeat asked of the server for a poll interval: the interval in whole seconds, from 1
/// to 60 (what the server allows).
pub fn heartbeat(poll_interval: Duration) -> Duration {
    Duration::from_secs(poll_interval.as_secs_f64().ceil().clamp(1.0, 60.0) as u64)
}

/// A stream silent for this long is dead: two heartbeats and a little.
fn quiet(heartbeat: Duration) -> Duration {
    heartbeat * 2 + Duration::from_secs(3)
}

/// What keeps the stream: the backend, the poller's poke, whether it is up now (`pushed`, read by
/// the poller), the state's events, and the poll interval, which the heartbeat asked for follows.
pub struct Pusher {
    pub backend: Arc<dyn Backend>,
    pub poke: Arc<Notify>,
    pub pushed: Arc<AtomicBool>,
    pub events: EventSender,
    pub interval: watch::Receiver<Duration>,
}

impl Pusher {
    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(self.keep())
    }

    async fn keep(self) {
        let Pusher { backend, poke, pushed, events, interval } = self;
        let mut failures = 0u32;
        let mut last: Option<String> = None;
        loop {
            let beat = heartbeat(*interval.borrow());
            match backend.announcements(last.as_deref(), beat).await {
                // A server without streams: polling it is.
                Ok(None) | Err(BackendError::NotFound(_)) => return,
                Ok(Some(mut stream)) => {
                    failures = 0;
                    pushed.store(true, Ordering::SeqCst);
                    if events.send(Event::Pushed(true)).is_err() {
                        return;
                    }
                    loop {
                        match tokio::time::timeout(quiet(beat), stream.next()).await {
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
}
