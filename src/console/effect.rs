//! Effects: what `update` asks for, as data, and the one place that does it.
//!
//! [`Effect`] is what the state returns; [`EffectRunner::run`] interprets every one of them. Most
//! become tasks (HTTP, SQLite, files) whose results come back as events. [`TerminalEffect`]s need
//! the terminal itself (the bell, handing it to `$EDITOR`, quitting), so the runner does them
//! through the run loop's [`Screen`] and tells the loop how to go on ([`Flow`]): the loop ends
//! because of `Quit`, and for no other reason than its channel closing.
//!
//! Writes are tracked so that quitting (or SIGTERM, or SIGHUP from a dropped SSH session) waits
//! for them: an action the user took is on disk before the process exits. The user's own work
//! goes to the work file, what the server said to the cache (`crate::cache`); every write of the
//! user's work reports back whether it reached the disk, so the state can say what has not. A
//! timer checks every [`PATH_CHECK`] that both files are still the ones opened.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::backend::{ActionRequest, Backend};
use crate::cache::{Cache, CacheError, Work};
use crate::console::event::{Event, EventSender};
use crate::console::outbox::OutboxEffect;
use crate::console::sync::{SyncHandle, jittered};

/// What the runner is asked to do.
///
/// The outbox variant carries whole incidents and is much larger than the others; effects are
/// made a handful per key press, so moving them costs nothing worth a box.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Effect {
    Outbox(OutboxEffect),
    SyncNow,
    SetPollInterval(Duration),
    /// Read one incident in full from the cache (a compact row was selected or opened);
    /// `Event::IncidentRead`.
    ReadIncident(String),
    /// Read one ticket in full from the cache; `Event::TicketRead`.
    ReadTicket(String),
    /// Cached rows are still to be merged: `Event::CacheMergeStep` goes to the back of the
    /// channel, behind any key already queued.
    ContinueMerge,
    /// Every cached row is merged: the heap the merge's pages used is given back to the system
    /// (glibc keeps freed memory for the next allocation otherwise).
    ReleaseMemory,
    /// Needs the terminal: done through the run loop's [`Screen`].
    Terminal(TerminalEffect),
    /// Compute drift statistics away from the UI task; the results come back as
    /// `Event::DriftComputed`.
    ComputeDrift(Box<crate::console::data::DriftJob>),
    /// Read a calendar file to import (at most `MAX_CALENDAR_BYTES`); the text comes back as
    /// `Event::CalendarFile` with `services` for events that name none.
    ReadCalendar {
        path: std::path::PathBuf,
        services: Vec<String>,
    },
    /// Write again into the work file what the console holds of the user's work (after the file
    /// was made anew, or to retry what the disk refused); `Event::WorkRewritten`.
    RewriteWork(crate::cache::WorkCopy),
    /// Write a postmortem draft to the journal in the work file.
    JournalDraft(crate::cache::JournaledDraft),
    /// Forget the journaled draft of `id` if it still holds `draft` (the backend has that text).
    ForgetDraft {
        id: String,
        author: String,
        draft: crate::domain::PostmortemDraft,
    },
    /// Keep (or, with empty text, forget) a note typed and not sent.
    SaveNoteDraft(crate::cache::NoteDraft),
    /// Write the draft to `<drafts folder>/<id>.md`; `Event::DraftExported`.
    ExportDraft {
        id: String,
        text: String,
    },
}

/// What needs the terminal itself, so only the run loop has what it takes to do it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminalEffect {
    Bell,
    /// Hand the draft to `$EDITOR` (the terminal is suspended meanwhile); `Event::EditorReturned`.
    ExternalEditor {
        id: String,
        text: String,
    },
    /// End the run loop once the events already queued are handled; cache writes in progress
    /// are waited for (`EffectRunner::finish`). Effects asked for before it (the journal, a
    /// note's draft) are started first.
    Quit,
}

/// How the run loop goes on after an effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The terminal was handed away and back: draw the whole screen again.
    Redraw,
    /// `Quit`: the loop ends.
    Stop,
}

/// The terminal as terminal effects need it: the run loop's real one, or a stand-in in tests.
pub trait Screen {
    fn bell(&mut self);
    /// Suspends the console, runs `$EDITOR` on `path` holding `text` and takes the terminal back
    /// when it exits: the file's text, or why there is none.
    fn edit(&mut self, path: &Path, text: &str) -> impl Future<Output = Result<String, String>>;
}

/// Does one terminal effect on `screen`. A draft handed to `$EDITOR` is the file
/// `<drafts_dir>/<id>.md`; what the editor left is sent back as `Event::EditorReturned`.
pub async fn run_terminal(
    effect: TerminalEffect,
    screen: &mut impl Screen,
    drafts_dir: &Path,
    events: &EventSender,
) -> Flow {
    match effect {
        TerminalEffect::Bell => {
            screen.bell();
            Flow::Continue
        }
        TerminalEffect::ExternalEditor { id, text } => {
            let path = drafts_dir.join(format!("{id}.md"));
            let result = screen.edit(&path, &text).await;
            let _ = events.send(Event::EditorReturned { id, result });
            Flow::Redraw
        }
        TerminalEffect::Quit => Flow::Stop,
    }
}

/// How often both files are checked to be the ones opened (deleted or replaced under the console).
pub const PATH_CHECK: Duration = Duration::from_secs(2);

pub struct EffectRunner {
    backend: Arc<dyn Backend>,
    cache: Cache,
    work: Work,
    events: EventSender,
    sync: SyncHandle,
    writes: JoinSet<()>,
    /// Where postmortem drafts are exported (`<data dir>/drafts`).
    drafts_dir: std::path::PathBuf,
    path_check: tokio::task::JoinHandle<()>,
}

/// What the runner works with.
pub struct Stores {
    pub cache: Cache,
    pub work: Work,
}

impl EffectRunner {
    pub fn new(
        backend: Arc<dyn Backend>,
        stores: Stores,
        events: EventSender,
        sync: SyncHandle,
        drafts_dir: std::path::PathBuf,
    ) -> Self {
        let Stores { cache, work } = stores;
        let path_check = {
            let (cache, work) = (cache.clone(), work.clone());
            tokio::spawn(async move {
                let mut every = tokio::time::interval(PATH_CHECK);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    every.tick().await;
                    work.check_path().await;
                    cache.check_path().await;
                }
            })
        };
        EffectRunner { backend, cache, work, events, sync, writes: JoinSet::new(), drafts_dir, path_check }
    }

    /// Does `effect`: starts the task it asks for, or does it on `screen` when it needs the
    /// terminal. Says how the run loop goes on.
    pub async fn run(&mut self, effect: Effect, screen: &mut impl Screen) -> Flow {
        while self.writes.try_join_next().is_some() {}
        match effect {
            Effect::Terminal(effect) => return run_terminal(effect, screen, &self.drafts_dir, &self.events).await,
            Effect::Outbox(effect) => self.outbox(effect),
            Effect::SyncNow => self.sync.poke(),
            Effect::ReadIncident(id) => {
                let (cache, events) = (self.cache.clone(), self.events.clone());
                tokio::spawn(async move {
                    let result = cache.incident(&id).await.map_err(|e| e.to_string());
                    let _ = events.send(Event::IncidentRead { id, result });
                });
            }
            Effect::ReadTicket(key) => {
                let (cache, events) = (self.cache.clone(), self.events.clone());
                tokio::spawn(async move {
                    let result = cache.ticket(&key).await.map_err(|e| e.to_string());
                    let _ = events.send(Event::TicketRead { key, result });
                });
            }
            Effect::ContinueMerge => {
                let _ = self.events.send(Event::CacheMergeStep);
            }
            Effect::ReleaseMemory => release_memory(),
            Effect::SetPollInterval(interval) => self.sync.set_interval(interval),
            Effect::RewriteWork(copy) => {
                let (work, events) = (self.work.clone(), self.events.clone());
                self.writes.spawn(async move {
                    let error = work.rewrite(&copy, chrono::Utc::now()).await.err().map(|e| e.to_string());
                    if let Some(error) = &error {
                        tracing::error!(%error, "could not write the user's work to disk");
                    }
                    let _ = events.send(Event::WorkRewritten {
                        keys: copy.pending.into_iter().map(|e| e.key).collect(),
                        drafts: copy.drafts.into_iter().map(|d| d.id).collect(),
                        notes: copy.notes.into_iter().map(|n| n.incident_id).collect(),
                        error,
                    });
                });
            }
            Effect::JournalDraft(draft) => {
                let (work, events) = (self.work.clone(), self.events.clone());
                self.writes.spawn(async move {
                    let error = work.journal_draft(&draft).await.err().map(|e| e.to_string());
                    if let Some(error) = &error {
                        tracing::error!(%error, id = %draft.id, "could not journal a postmortem draft");
                    }
                    let _ = events.send(Event::Journaled { id: draft.id, at: draft.journaled_at, error });
                });
            }
            Effect::SaveNoteDraft(note) => {
                let (work, events) = (self.work.clone(), self.events.clone());
                self.writes.spawn(async move {
                    let error = work.save_note_draft(&note, chrono::Utc::now()).await.err().map(|e| e.to_string());
                    if let Some(error) = &error {
                        tracing::error!(%error, id = %note.incident_id, "could not keep a note draft");
                    }
                    let _ =
                        events.send(Event::NoteDraftSaved { incident_id: note.incident_id, text: note.text, error });
                });
            }
            Effect::ForgetDraft { id, author, draft } => {
                let work = self.work.clone();
                self.writes.spawn(async move {
                    if let Err(err) = work.forget_draft(&id, &author, &draft).await {
                        tracing::warn!(error = %err, %id, "could not forget a saved postmortem draft");
                    }
                });
            }
            Effect::ExportDraft { id, text } => {
                let (events, path) = (self.events.clone(), self.drafts_dir.join(format!("{id}.md")));
                self.writes.spawn(async move {
                    let result = write_draft(&path, &text).await.map(|()| path.display().to_string());
                    let _ = events.send(Event::DraftExported { id, result });
                });
            }
            Effect::ReadCalendar { path, services } => {
                let events = self.events.clone();
                tokio::spawn(async move {
                    let result = read_calendar(&path).await;
                    let _ = events.send(Event::CalendarFile { path, services, result });
                });
            }
            Effect::ComputeDrift(job) => {
                let events = self.events.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = events.send(Event::DriftComputed(Box::new(job.run())));
                });
            }
        }
        Flow::Continue
    }

    fn outbox(&mut self, effect: OutboxEffect) {
        let (cache, work) = (self.cache.clone(), self.work.clone());
        let events = self.events.clone();
        match effect {
            OutboxEffect::Persist(entry) => {
                self.writes.spawn(async move {
                    let error = work.outbox_insert(&entry).await.err().map(|e| e.to_string());
                    let _ = events.send(Event::OutboxPersisted { key: entry.key, error });
                });
            }
            OutboxEffect::Send(entry) => {
                let backend = self.backend.clone();
                tokio::spawn(async move {
                    let request = ActionRequest {
                        target_id: entry.target_id.clone(),
                        command: entry.action.clone(),
                        version: entry.base_version,
                        idempotency_key: entry.key.clone(),
                    };
                    let result = backend.act_noticed(&request).await;
                    tracing::info!(key = %entry.key, target = %entry.target_id, action = entry.action.verb(), ok = result.is_ok(), "outbox send");
                    let (result, notice) = match result {
                        Ok((entity, notice)) => (Ok(entity), notice),
                        Err(error) => (Err(error), None),
                    };
                    let _ = events.send(Event::OutboxAnswered { key: entry.key, result });
                    if let Some(notice) = notice {
                        let _ = events.send(Event::Notice { target_id: entry.target_id, text: notice });
                    }
                });
            }
            // Two files, two writes: the item first, then the entry leaves the outbox. A crash
            // between them leaves the entry, which the next start sends again with the same
            // Idempotency-Key; the server replays its answer, so the action happened once.
            OutboxEffect::Complete { entry, entity, rebased } => {
                self.writes.spawn(async move {
                    let key = entry.key;
                    if let Err(err) = cache.store_entity(&entity).await {
                        tracing::warn!(error = %err, %key, "could not cache the item a completed action returned");
                    }
                    if let Err(err) = work.outbox_complete(&key, &rebased).await {
                        tracing::error!(error = %err, %key, "could not record a completed action; it will be resent (idempotently)");
                    }
                });
            }
            OutboxEffect::Reject { rejected, current } => {
                self.writes.spawn(async move {
                    if let Some(current) = &current
                        && let Err(err) = cache.store_entity(current).await
                    {
                        tracing::warn!(error = %err, "could not cache the item a refused action returned");
                    }
                    if let Err(err) = work.outbox_reject(&rejected).await {
                        let what = format!(
                            "the refused {} on {} was not saved to disk",
                            rejected.entry.action.verb(),
                            rejected.entry.target_id
                        );
                        write_failed(&events, what, err);
                    }
                });
            }
            OutboxEffect::RecordAttempt { key, error } => {
                self.writes.spawn(async move {
                    if let Err(err) = work.outbox_attempt(&key, &error).await {
                        tracing::warn!(error = %err, %key, "could not record a send attempt");
                    }
                });
            }
            OutboxEffect::Drop { key } => {
                self.writes.spawn(async move {
                    if let Err(err) = work.outbox_drop(&key).await {
                        write_failed(
                            &events,
                            "a dropped action is still on disk and comes back at the next start".into(),
                            err,
                        );
                    }
                });
            }
            OutboxEffect::RetryAfter(delay) => {
                tokio::spawn(async move {
                    // Never sooner than asked: a 429's Retry-After is a floor, and so is the backoff.
                    tokio::time::sleep(jittered(delay).max(delay)).await;
                    let _ = events.send(Event::OutboxRetry);
                });
            }
        }
    }

    /// Waits (at most `limit`) for cache writes in progress, then stops syncing.
    pub async fn finish(mut self, limit: Duration) {
        let drained = tokio::time::timeout(limit, async { while self.writes.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::error!("cache writes did not finish in time at exit");
        }
        self.path_check.abort();
        self.sync.stop();
    }
}

/// A write of the user's work failed: logged, and told to the user.
fn write_failed(events: &EventSender, what: String, error: CacheError) {
    tracing::error!(%error, "{what}");
    let _ = events.send(Event::WorkWriteFailed { what, error: error.to_string() });
}

/// A calendar file's text, or why it cannot be imported (missing, not a regular file — a FIFO
/// or `/dev/zero` is refused before it is opened —, too large, not UTF-8), without the path: the
/// message that shows it names it. Read off the runtime's threads.
async fn read_calendar(path: &std::path::Path) -> Result<String, String> {
    use crate::console::state::MAX_CALENDAR_BYTES;
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || crate::files::read_text(&path, MAX_CALENDAR_BYTES).map_err(|e| e.problem()))
        .await
        .map_err(|e| format!("the reading task failed: {e}"))?
}

/// Writes a draft file whole: to a temporary file next to it, then renamed over it, so a watcher
/// or an editor never reads half of it.
pub async fn write_draft(path: &std::path::Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let temp = path.with_extension("md.tmp");
    tokio::fs::write(&temp, text).await.map_err(|e| format!("{}: {e}", temp.display()))?;
    tokio::fs::rename(&temp, path).await.map_err(|e| format!("{}: {e}", path.display()))
}

/// Gives freed heap back to the system: what glibc's allocator keeps of a large merge's pages
/// (tens of megabytes from a 100,000-row cache) would otherwise stay in the process's RSS.
fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free pages of glibc's own heap; it touches no live
    // allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A terminal that records what was done to it.
    #[derive(Default)]
    struct FakeScreen {
        bells: usize,
        edited: Vec<(std::path::PathBuf, String)>,
    }

    impl Screen for FakeScreen {
        fn bell(&mut self) {
            self.bells += 1;
        }

        async fn edit(&mut self, path: &Path, text: &str) -> Result<String, String> {
            self.edited.push((path.to_path_buf(), text.to_string()));
            Ok(format!("{text}edited\n"))
        }
    }

    #[tokio::test]
    async fn quit_stops_the_loop_and_the_other_terminal_effects_do_not() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (mut screen, dir) = (FakeScreen::default(), Path::new("/drafts"));
        assert_eq!(run_terminal(TerminalEffect::Quit, &mut screen, dir, &tx).await, Flow::Stop);
        assert_eq!(run_terminal(TerminalEffect::Bell, &mut screen, dir, &tx).await, Flow::Continue);
        assert_eq!(screen.bells, 1);
        let edit = TerminalEffect::ExternalEditor { id: "PM-7".into(), text: "draft\n".into() };
        assert_eq!(run_terminal(edit, &mut screen, dir, &tx).await, Flow::Redraw, "the screen is drawn anew");
        assert_eq!(screen.edited, [(dir.join("PM-7.md"), "draft\n".to_string())]);
        match rx.try_recv() {
            Ok(Event::EditorReturned { id, result }) => {
                assert_eq!((id.as_str(), result), ("PM-7", Ok("draft\nedited\n".into())))
            }
            other => panic!("expected the editor's text back, got {other:?}"),
        }
        assert!(rx.try_recv().is_err(), "quitting and the bell send nothing");
    }

    /// `i` in the Calendar tab: what the path typed at the prompt names is read only when it is a
    /// regular file within the limit; each refusal comes back at once, saying why.
    #[tokio::test]
    async fn a_calendar_path_that_is_not_a_file_or_too_large_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.ics");
        let c = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(fifo.as_os_str())).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let huge = dir.path().join("huge.ics");
        std::fs::File::create(&huge).unwrap().set_len(3 * 1024 * 1024 * 1024).unwrap();
        let cases = [
            (Path::new("/dev/zero"), "not a regular file (a character device)"),
            (fifo.as_path(), "not a regular file (a FIFO)"),
            (dir.path(), "not a regular file (a directory)"),
            (huge.as_path(), "too large (3 GB; the limit is 5 MB)"),
        ];
        for (path, expected) in cases {
            let read = tokio::time::timeout(Duration::from_secs(10), read_calendar(path)).await;
            assert_eq!(
                read.expect("the read returns instead of hanging"),
                Err(expected.to_string()),
                "{}",
                path.display()
            );
        }
        let ok = dir.path().join("ok.ics");
        std::fs::write(&ok, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").unwrap();
        assert_eq!(read_calendar(&ok).await.unwrap(), "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
    }
}
