//! The user's work and the disk: what is neither on disk nor confirmed by the backend, said on
//! the status line until it is one or the other; writes the disk refused, retried with backoff
//! (and at once after any write that succeeds), a retry refused for a new cause said in full
//! once; quitting with such work asks first; and what the console's files report about
//! themselves (damaged, deleted, unwritable).
//!
//! An action the user took is on disk, or sent and confirmed, or the user is told — until it
//! is resolved — that it is neither.

use chrono::{DateTime, Utc};

use super::{AppState, Level, Modal, Update};
use crate::cache::{JournaledDraft, NoteDraft, WorkCopy};
use crate::console::effect::{Effect, TerminalEffect};
use crate::db::{NoticeKind, StorageNotice, StoredFile};

/// The status of the user's work on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Storage {
    /// Postmortem drafts whose journal write failed, by id, with why.
    pub drafts: std::collections::BTreeMap<String, String>,
    /// Note drafts whose write failed, by incident, with why.
    pub notes: std::collections::BTreeMap<String, String>,
    /// When the refused writes are tried again.
    pub retry_at: Option<DateTime<Utc>>,
    /// Writes refused in a row, for the backoff.
    pub failures: u32,
    /// The work file was moved aside, or could not be opened: said for as long as the console runs.
    pub work_notice: Option<String>,
}

/// "Quit anyway?" while work is neither on disk nor sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuitConfirm {
    /// "2 actions and 1 draft are not saved".
    pub what: String,
}

/// `1 action`, `2 drafts`.
fn count(n: usize, one: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") }
}

/// `2 actions and 1 draft`, or one of them alone.
pub fn what_is_unsaved(actions: usize, drafts: usize) -> String {
    match (actions, drafts) {
        (0, d) => count(d, "draft"),
        (a, 0) => count(a, "action"),
        (a, d) => format!("{} and {}", count(a, "action"), count(d, "draft")),
    }
}

impl AppState {
    /// Actions not on disk and not confirmed; drafts and notes not on disk (and not sent).
    pub fn unsaved_counts(&self) -> (usize, usize) {
        let drafts = self.storage.drafts.keys().filter(|id| self.drafts.postmortems.contains_key(*id)).count();
        let notes = self.storage.notes.keys().filter(|id| self.drafts.notes.contains_key(*id)).count();
        (self.outbox.unsaved_count(), drafts + notes)
    }

    /// The persistent status line: "2 actions not saved to disk (/…/work.sqlite: database or disk
    /// is full — free some space on that disk) — lost if you quit before they are sent"; else
    /// what happened to the work file, while the console runs.
    pub fn storage_line(&self) -> Option<String> {
        let (actions, drafts) = self.unsaved_counts();
        if actions + drafts == 0 {
            return self.storage.work_notice.clone();
        }
        let error = self.first_unsaved_error().unwrap_or("");
        let they = if actions + drafts == 1 { "it is" } else { "they are" };
        Some(format!(
            "{} not saved to disk ({error}) — lost if you quit before {they} sent",
            what_is_unsaved(actions, drafts)
        ))
    }

    /// Why the first of the unsaved work is not on disk.
    fn first_unsaved_error(&self) -> Option<&str> {
        self.outbox
            .unsaved()
            .map(|(_, e)| e)
            .chain(self.storage.drafts.values().map(String::as_str))
            .chain(self.storage.notes.values().map(String::as_str))
            .next()
    }

    /// What is lost if the console ends now, one line each (for standard error at exit).
    pub fn unsaved_report(&self) -> Vec<String> {
        let mut lines: Vec<String> =
            self.outbox.unsaved().map(|(e, _)| format!("{} on {} ({})", e.action.verb(), e.target_id, e.key)).collect();
        for id in self.storage.drafts.keys().filter(|id| self.drafts.postmortems.contains_key(*id)) {
            let draft = &self.drafts.postmortems[id];
            lines.push(format!("the draft of {id}: {}\n{}", draft.draft.title, draft.draft.body));
        }
        for id in self.storage.notes.keys() {
            if let Some(text) = self.drafts.notes.get(id) {
                lines.push(format!("the note on {id}: {text}"));
            }
        }
        lines
    }

    /// `q` (or Ctrl-C, or the quit key): with work neither on disk nor sent, ask first.
    pub(crate) fn ask_or_quit(&mut self, now: DateTime<Utc>) -> Update {
        // Typing not yet journaled goes to disk before the console exits (or is asked about).
        let journal = self.journal_now(now);
        let note = self.keep_open_note();
        let (actions, drafts) = self.unsaved_counts();
        if actions + drafts > 0 {
            let what = format!(
                "{} {} not saved",
                what_is_unsaved(actions, drafts),
                if actions + drafts == 1 { "is" } else { "are" }
            );
            self.modals.push(Modal::Quit(QuitConfirm { what }));
            // One more try at the disk while the question is up.
            return Update::changed().with(journal).with(note).with(self.retry_unsaved());
        }
        self.quit = true;
        Update::changed().with(journal).with(note).with([Effect::Terminal(TerminalEffect::Quit)])
    }

    /// `y` to "quit anyway?".
    pub(crate) fn quit_anyway(&mut self) -> Update {
        self.quit = true;
        Update::changed().with([Effect::Terminal(TerminalEffect::Quit)])
    }

    /// A write of the user's work answered: on failure the retry is scheduled with backoff; on
    /// success whatever is still unsaved is tried again at once.
    pub(crate) fn after_work_write(&mut self, failed: bool, now: DateTime<Utc>) -> Option<Effect> {
        if failed {
            self.storage.failures += 1;
            let delay = crate::console::outbox::backoff(self.storage.failures);
            self.storage.retry_at = Some(now + chrono::Duration::from_std(delay).unwrap_or_default());
            return None;
        }
        self.storage.failures = 0;
        self.retry_unsaved()
    }

    /// The retry timer is due.
    pub(crate) fn retry_due(&mut self, now: DateTime<Utc>) -> Option<Effect> {
        if self.storage.retry_at.is_some_and(|at| at <= now) {
            self.storage.retry_at = None;
            return self.retry_unsaved();
        }
        None
    }

    /// Everything unsaved, written again in one go (none when nothing is).
    fn retry_unsaved(&mut self) -> Option<Effect> {
        let pending: Vec<_> = self.outbox.unsaved().map(|(e, _)| e.clone()).collect();
        let drafts: Vec<JournaledDraft> =
            self.storage.drafts.keys().filter_map(|id| self.drafts.postmortems.get(id).cloned()).collect();
        let notes = self.storage.notes.keys().filter_map(|id| self.note_copy(id)).collect();
        let copy = WorkCopy { pending, rejected: Vec::new(), drafts, notes };
        (!copy.is_empty()).then_some(Effect::RewriteWork(copy))
    }

    fn note_copy(&self, incident_id: &str) -> Option<NoteDraft> {
        let text = self.drafts.notes.get(incident_id)?;
        Some(NoteDraft {
            incident_id: incident_id.to_string(),
            author: self.session.author.clone(),
            text: text.clone(),
        })
    }

    /// Everything the console holds of the user's work, for a work file made anew.
    fn everything(&self) -> WorkCopy {
        WorkCopy {
            pending: self.outbox.pending().cloned().collect(),
            rejected: self.outbox.rejected().to_vec(),
            drafts: self.drafts.postmortems.values().cloned().collect(),
            notes: self.drafts.notes.keys().filter_map(|id| self.note_copy(id)).collect(),
        }
    }

    /// An outbox entry was written (or not).
    pub(crate) fn on_persisted(&mut self, key: &str, error: Option<String>, now: DateTime<Utc>) -> Update {
        let saved = self.outbox.pending().find(|e| e.key == key).map(|e| (e.target_id.clone(), e.action.verb()));
        let mut update = Update::changed();
        let effects = match (&error, saved) {
            // Answered while its write was retried: the copy on disk must not come back.
            (None, None) => {
                vec![crate::console::outbox::OutboxEffect::Drop { key: key.to_string() }]
            }
            (Some(error), saved) => {
                // Said once in full (and kept in the log); the status line keeps saying it.
                if self.outbox.unsaved().all(|(e, _)| e.key == key) {
                    let what = saved.map_or_else(|| "the action".to_string(), |(id, verb)| format!("{verb} on {id}"));
                    self.flash(Level::Error, format!("{what} not saved to disk: {error}; sending it anyway"), now);
                }
                self.outbox.not_persisted(key, error)
            }
            (None, Some((id, verb))) => {
                // Offline, the user's assurance is that the action is on disk.
                if self.sync.is_stale() {
                    self.flash(Level::Info, format!("⧗ {id}: {verb} saved (offline)"), now);
                }
                self.outbox.persisted(key)
            }
        };
        update.effects.extend(effects.into_iter().map(Effect::Outbox));
        update.effects.extend(self.after_work_write(error.is_some(), now));
        update
    }

    /// A postmortem draft's journal write answered.
    pub(crate) fn on_journaled(
        &mut self,
        id: String,
        at: DateTime<Utc>,
        error: Option<String>,
        now: DateTime<Utc>,
    ) -> Update {
        let failed = error.is_some();
        match error {
            None => {
                self.storage.drafts.remove(&id);
                self.drafts.journal_written.insert(id, at);
            }
            Some(error) => {
                self.storage.drafts.insert(id, error);
            }
        }
        Update::changed().with(self.after_work_write(failed, now))
    }

    /// A note draft's write answered.
    pub(crate) fn on_note_saved(
        &mut self,
        incident_id: String,
        text: &str,
        error: Option<String>,
        now: DateTime<Utc>,
    ) -> Update {
        let failed = error.is_some();
        match error {
            None => {
                // An older write answering after a newer one failed changes nothing.
                if self.drafts.notes.get(&incident_id).map_or(text.trim().is_empty(), |t| t == text) {
                    self.storage.notes.remove(&incident_id);
                }
            }
            Some(error) => {
                self.storage.notes.insert(incident_id, error);
            }
        }
        Update::changed().with(self.after_work_write(failed, now))
    }

    /// `Effect::RewriteWork` answered.
    pub(crate) fn on_rewritten(
        &mut self,
        keys: Vec<String>,
        drafts: Vec<String>,
        notes: Vec<String>,
        error: Option<String>,
        now: DateTime<Utc>,
    ) -> Update {
        let mut update = Update::changed();
        match &error {
            None => {
                let (actions, drafts_before) = self.unsaved_counts();
                for key in keys {
                    if self.outbox.contains(&key) {
                        update.effects.extend(self.outbox.persisted(&key).into_iter().map(Effect::Outbox));
                    } else {
                        // Confirmed while it was being written: the copy on disk goes.
                        update.effects.push(Effect::Outbox(crate::console::outbox::OutboxEffect::Drop { key }));
                    }
                }
                for id in drafts {
                    self.storage.drafts.remove(&id);
                }
                for id in notes {
                    self.storage.notes.remove(&id);
                }
                self.storage.failures = 0;
                self.storage.retry_at = None;
                let (actions_now, drafts_now) = self.unsaved_counts();
                let (saved_actions, saved_drafts) = (actions - actions_now, drafts_before - drafts_now);
                if saved_actions + saved_drafts > 0 {
                    // The refusal showing is resolved: the news replaces it on the status line.
                    if self.flash.as_ref().is_some_and(|f| f.text.contains("not saved to disk")) {
                        self.flash = None;
                    }
                    let what = what_is_unsaved(saved_actions, saved_drafts);
                    self.flash(Level::Success, format!("✓ on disk now: {what}"), now);
                }
            }
            Some(error) => {
                // A new cause (the file fixed, its leftover -shm still read-only) is said in
                // full once: the status line has room only for the start of it.
                if self.first_unsaved_error().is_some_and(|before| before != error.as_str()) {
                    self.flash(Level::Error, format!("still not saved to disk: {error}"), now);
                }
                for key in keys {
                    if self.outbox.contains(&key) {
                        update.effects.extend(self.outbox.not_persisted(&key, error).into_iter().map(Effect::Outbox));
                    }
                }
                for id in drafts.into_iter().filter(|id| self.drafts.postmortems.contains_key(id)) {
                    self.storage.drafts.insert(id, error.clone());
                }
                for id in notes.into_iter().filter(|id| self.drafts.notes.contains_key(id)) {
                    self.storage.notes.insert(id, error.clone());
                }
                update.effects.extend(self.after_work_write(true, now));
            }
        }
        update
    }

    /// One of the files reported something: said once, or for the run when it is the work file
    /// that was lost; a work file made anew gets everything the console holds written into it.
    pub(crate) fn on_storage(&mut self, notice: StorageNotice, now: DateTime<Utc>) -> Update {
        let text = crate::domain::text::sanitize(&notice.text).into_owned();
        let mut update = Update::changed();
        match (&notice.file, &notice.kind) {
            (StoredFile::Work, NoticeKind::MovedAside(_) | NoticeKind::Unreadable) => {
                self.storage.work_notice = Some(text.clone());
                self.flash(Level::Error, text, now);
            }
            (StoredFile::Work, NoticeKind::Recreated) => self.flash(Level::Warning, text, now),
            (StoredFile::Cache, _) => self.flash(Level::Warning, text, now),
            (StoredFile::Work, NoticeKind::InMemory) => self.flash(Level::Error, text, now),
        }
        // A work file made anew (deleted, replaced, or damaged while running) holds nothing yet.
        if notice.file == StoredFile::Work && matches!(notice.kind, NoticeKind::Recreated | NoticeKind::MovedAside(_)) {
            let copy = self.everything();
            if !copy.is_empty() {
                update.effects.push(Effect::RewriteWork(copy));
            }
        }
        update
    }
}
