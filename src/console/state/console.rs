//! What the console keeps for the user beyond the tabs: the message log (errors outlive
//! infos), the offer of a draft restored after a crash, and the outbox panel's drop and retry.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use super::{AppState, Input, InputKind, Level, Overlay, Update};
use crate::console::action::Action;
use crate::console::effect::Effect;
use crate::console::outbox::{DropRefused, OutboxEffect};
use crate::domain::text::sanitize;

/// How many messages the log keeps.
pub const MESSAGES_KEPT: usize = 50;

/// One message as it was shown (or would have been, had an error not been showing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub at: DateTime<Utc>,
    pub level: Level,
    pub text: String,
}

/// The last [`MESSAGES_KEPT`] messages, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageLog {
    messages: VecDeque<Message>,
}

impl MessageLog {
    pub fn push(&mut self, message: Message) {
        if self.messages.len() == MESSAGES_KEPT {
            self.messages.pop_front();
        }
        self.messages.push_back(message);
    }

    /// Newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &Message> {
        self.messages.iter().rev()
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// Errors outrank everything else; warnings and infos replace each other.
fn rank(level: Level) -> u8 {
    match level {
        Level::Error => 1,
        Level::Warning | Level::Info | Level::Success => 0,
    }
}

impl AppState {
    /// Shows `text` in the status line and logs it. A message never hides a more serious one
    /// that is still showing: it goes to the log (`L`) only.
    pub fn flash(&mut self, level: Level, text: impl AsRef<str>, now: DateTime<Utc>) {
        let secs = if matches!(level, Level::Error | Level::Warning) { super::FLASH_ERROR } else { super::FLASH_INFO };
        let text = sanitize(text.as_ref()).into_owned();
        self.messages.push(Message { at: now, level, text: text.clone() });
        if self.flash.as_ref().is_some_and(|f| f.until > now && rank(f.level) > rank(level)) {
            return;
        }
        self.flash = Some(super::Flash { text, level, until: now + chrono::Duration::seconds(secs) });
    }

    /// Writes `text` to the message log (`L`) without showing it in the status line.
    pub fn log(&mut self, level: Level, text: impl AsRef<str>, now: DateTime<Utc>) {
        self.messages.push(Message { at: now, level, text: sanitize(text.as_ref()).into_owned() });
    }

    /// The offer of a restored draft is answered by `Enter` or `Esc`; any other key leaves it on
    /// tab 6 and does what it always does.
    pub(crate) fn answer_offer(&mut self, action: Option<Action>, now: DateTime<Utc>) -> Option<Update> {
        let id = self.drafts.offer.take()?;
        match action {
            Some(Action::OpenRestored) => {
                self.open_editor(&id, now);
                Some(Update::changed())
            }
            Some(Action::DismissRestored) => {
                self.flash(Level::Info, format!("your draft of {id} stays journaled; tab 6 marks it ✎"), now);
                Some(Update::changed())
            }
            _ => None,
        }
    }

    /// Outbox panel rows: queued entries in sending order, then rejected ones, newest first.
    pub fn outbox_keys(&self) -> Vec<String> {
        let queued = self.outbox.pending().map(|e| e.key.clone());
        queued.chain(self.outbox.rejected().iter().map(|r| r.entry.key.clone())).collect()
    }

    /// `d` in the outbox panel: the first press names what would be dropped, the second drops it.
    pub(crate) fn drop_selected(&mut self, now: DateTime<Utc>) -> Update {
        let Some(key) = self.outbox_selected_key() else {
            self.flash(Level::Info, "nothing to drop", now);
            return Update::changed();
        };
        if self.drop_armed.as_deref() != Some(key.as_str()) {
            let what = self.describe_entry(&key);
            self.drop_armed = Some(key);
            self.flash(Level::Warning, format!("d again drops {what} for good; any other key keeps it"), now);
            return Update::changed();
        }
        self.drop_armed = None;
        let what = self.describe_entry(&key);
        match self.outbox.drop_entry(&key) {
            Ok(_) => {
                self.derived.pending = true;
                self.flash(Level::Success, format!("dropped {what}"), now);
                Update::changed().with([Effect::Outbox(OutboxEffect::Drop { key })])
            }
            Err(DropRefused::InFlight) => {
                self.flash(Level::Warning, format!("{what} is being sent; wait for the answer"), now);
                Update::changed()
            }
            Err(DropRefused::NotFound) => Update::changed(),
        }
    }

    /// `r` in the outbox panel: a rejected action is taken again, as a new action against what
    /// the server has now; the rejected copy is forgotten once the new one is queued.
    pub(crate) fn retry_selected(&mut self, now: DateTime<Utc>) -> Update {
        let Some(key) = self.outbox_selected_key() else {
            return Update::unchanged();
        };
        let Some(rejected) = self.outbox.rejected().iter().find(|r| r.entry.key == key).cloned() else {
            self.flash(Level::Info, "only rejected actions are retried; queued ones are sent by themselves", now);
            return Update::changed();
        };
        if let Some(reason) = self.read_only_reason() {
            self.flash(Level::Warning, format!("read-only: retry is disabled ({reason})"), now);
            return Update::changed();
        }
        let _ = self.outbox.drop_entry(&key);
        let update = self.enqueue(&rejected.entry.target_id, rejected.entry.action, now);
        update.with([Effect::Outbox(OutboxEffect::Drop { key })])
    }

    fn outbox_selected_key(&self) -> Option<String> {
        let Some(Overlay::Outbox { selected, .. }) = self.modals.overlay() else { return None };
        self.outbox_keys().get(selected).cloned()
    }

    fn describe_entry(&self, key: &str) -> String {
        let entry = self
            .outbox
            .pending()
            .find(|e| e.key == key)
            .or_else(|| self.outbox.rejected().iter().map(|r| &r.entry).find(|e| e.key == key));
        entry.map_or_else(|| "the action".to_string(), |e| format!("{} on {}", e.action.verb(), e.target_id))
    }
}

impl AppState {
    /// Keeps (or with empty text forgets) the note draft of `incident_id`, here and on disk;
    /// writes nothing when that is what is kept already.
    pub(crate) fn set_note_draft(&mut self, incident_id: &str, text: String) -> Option<Effect> {
        let text = if text.trim().is_empty() { String::new() } else { text };
        if self.drafts.notes.get(incident_id).map_or("", String::as_str) == text {
            return None;
        }
        if text.is_empty() {
            self.drafts.notes.remove(incident_id);
        } else {
            self.drafts.notes.insert(incident_id.to_string(), text.clone());
        }
        Some(self.note_draft_effect(incident_id, &text))
    }

    fn note_draft_effect(&self, incident_id: &str, text: &str) -> Effect {
        Effect::SaveNoteDraft(crate::cache::NoteDraft {
            incident_id: incident_id.to_string(),
            author: self.session.author.clone(),
            text: text.to_string(),
        })
    }

    /// The console is stopping with the note prompt open: what was typed becomes its draft.
    pub(crate) fn keep_open_note(&mut self) -> Option<Effect> {
        let Some(Input { kind: InputKind::Note { incident_id }, textarea }) = self.modals.input() else {
            return None;
        };
        let (incident_id, text) = (incident_id.clone(), textarea.lines().join(" "));
        if text.trim().is_empty() {
            return None;
        }
        self.set_note_draft(&incident_id, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_last_fifty() {
        let mut log = MessageLog::default();
        let at = chrono::DateTime::<Utc>::UNIX_EPOCH;
        for i in 0..60 {
            log.push(Message { at, level: Level::Info, text: i.to_string() });
        }
        assert_eq!(log.len(), MESSAGES_KEPT);
        assert_eq!(log.newest_first().next().unwrap().text, "59");
        assert_eq!(log.newest_first().last().unwrap().text, "10");
    }
}
