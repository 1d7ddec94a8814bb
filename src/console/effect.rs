//! The effect runner: does what `update` asked for and reports results as events.
//!
//! Cache writes are tracked so that quitting (or SIGTERM, or SIGHUP from a dropped SSH
//! session) waits for them: an action the user took is on disk before the process exits.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::backend::{ActionRequest, Backend};
use crate::cache::Cache;
use crate::console::event::{Event, EventSender};
use crate::console::outbox::OutboxEffect;
use crate::console::state::Effect;
use crate::console::sync::{SyncHandle, jittered};

pub struct EffectRunner {
    backend: Arc<dyn Backend>,
    cache: Cache,
    events: EventSender,
    sync: SyncHandle,
    writes: JoinSet<()>,
    /// Where postmortem drafts are exported (`<data dir>/drafts`).
    drafts_dir: std::path::PathBuf,
}

impl EffectRunner {
    pub fn new(
        backend: Arc<dyn Backend>,
        cache: Cache,
        events: EventSender,
        sync: SyncHandle,
        drafts_dir: std::path::PathBuf,
    ) -> Self {
        EffectRunner { backend, cache, events, sync, writes: JoinSet::new(), drafts_dir }
    }

    /// Starts an effect. Terminal effects (bell, quit) belong to the run loop and are ignored.
    pub fn run(&mut self, effect: Effect) {
        while self.writes.try_join_next().is_some() {}
        match effect {
            Effect::Outbox(effect) => self.outbox(effect),
            Effect::SyncNow => self.sync.poke(),
            Effect::SetPollInterval(interval) => self.sync.set_interval(interval),
            Effect::Bell | Effect::Quit => {}
            Effect::JournalDraft(draft) => {
                let (cache, events) = (self.cache.clone(), self.events.clone());
                self.writes.spawn(async move {
                    let error = cache.journal_draft(&draft).await.err().map(|e| e.to_string());
                    if let Some(error) = &error {
                        tracing::error!(%error, id = %draft.id, "could not journal a postmortem draft");
                    }
                    let _ = events.send(Event::Journaled { id: draft.id, at: draft.journaled_at, error });
                });
            }
            Effect::SaveNoteDraft(note) => {
                let (cache, events) = (self.cache.clone(), self.events.clone());
                self.writes.spawn(async move {
                    if let Err(err) = cache.save_note_draft(&note, chrono::Utc::now()).await {
                        tracing::error!(error = %err, id = %note.incident_id, "could not keep a note draft");
                        let _ = events
                            .send(Event::NoteDraftFailed { incident_id: note.incident_id, error: err.to_string() });
                    }
                });
            }
            Effect::ForgetDraft { id, author, draft } => {
                let cache = self.cache.clone();
                self.writes.spawn(async move {
                    if let Err(err) = cache.forget_draft(&id, &author, &draft).await {
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
            // Needs the terminal: the run loop does it.
            Effect::ExternalEditor { .. } => {}
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
    }

    fn outbox(&mut self, effect: OutboxEffect) {
        let cache = self.cache.clone();
        let events = self.events.clone();
        match effect {
            OutboxEffect::Persist(entry) => {
                self.writes.spawn(async move {
                    let error = cache.outbox_insert(&entry).await.err().map(|e| e.to_string());
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
                    let result = backend.act(&request).await;
                    tracing::info!(key = %entry.key, target = %entry.target_id, action = entry.action.verb(), ok = result.is_ok(), "outbox send");
                    let _ = events.send(Event::OutboxAnswered { key: entry.key, result });
                });
            }
            OutboxEffect::Complete { entry, entity, rebased } => {
                self.writes.spawn(async move {
                    let key = entry.key;
                    if let Err(err) = cache.outbox_complete(&key, &entity, &rebased).await {
                        tracing::error!(error = %err, %key, "could not record a completed action; it will be resent (idempotently)");
                    }
                });
            }
            OutboxEffect::Reject { rejected, current } => {
                self.writes.spawn(async move {
                    if let Err(err) = cache.outbox_reject(&rejected, current.as_ref()).await {
                        tracing::error!(error = %err, key = %rejected.entry.key, "could not record a rejected action");
                    }
                });
            }
            OutboxEffect::RecordAttempt { key, error } => {
                self.writes.spawn(async move {
                    if let Err(err) = cache.outbox_attempt(&key, &error).await {
                        tracing::warn!(error = %err, %key, "could not record a send attempt");
                    }
                });
            }
            OutboxEffect::Drop { key } => {
                self.writes.spawn(async move {
                    if let Err(err) = cache.outbox_drop(&key).await {
                        tracing::error!(error = %err, %key, "could not delete a dropped action");
                    }
                });
            }
            OutboxEffect::RetryAfter(delay) => {
                tokio::spawn(async move {
                    tokio::time::sleep(jittered(delay)).await;
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
        self.sync.stop();
    }
}

/// A calendar file's text, or why it cannot be imported (missing, too large, not UTF-8).
async fn read_calendar(path: &std::path::Path) -> Result<String, String> {
    use crate::console::state::MAX_CALENDAR_BYTES;
    let size = tokio::fs::metadata(path).await.map_err(|e| e.to_string())?.len();
    if size > MAX_CALENDAR_BYTES {
        return Err(format!("{size} bytes is more than a calendar file should be ({MAX_CALENDAR_BYTES} at most)"));
    }
    let bytes = tokio::fs::read(path).await.map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text ({e})"))
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
