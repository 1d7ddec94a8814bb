//! The outbox: actions the user took, kept until the backend has answered them.
//!
//! The rules, all decided here without I/O:
//! - An entry is persisted (with its idempotency key) before it is ever sent. When the disk
//!   refuses it (full, read-only), it is sent all the same and stays marked unsaved
//!   ([`Outbox::unsaved`]) until a later write gets it to disk or the backend confirms it: the
//!   console says so until then, and asks before quitting.
//! - Entries are sent one at a time, in the order they were taken.
//! - A transient failure (network, timeout, 5xx, 401) pauses the queue; it resumes on a retry
//!   timer with backoff, or at once when a sync succeeds again — but never before a 429's or a
//!   503's `Retry-After` (a 503 is an item's source that cannot be reached). The same key is sent again, so
//!   the server applies the action once however many times it arrives.
//! - A definite answer (409, 403, 404, 4xx) rejects the entry: it leaves the queue and its
//!   content is kept in the rejected list with the reason.
//! - After an entry succeeds, later entries for the same item that were taken against the same
//!   version move to the new version: the user's own earlier action is not a conflict.
//!
//! Entries are commands on incidents or tickets alike; the outbox never looks inside them.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::backend::BackendError;
use crate::domain::{Command, Entity};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The idempotency key: the same for every attempt to send this entry.
    pub key: String,
    /// The incident id or ticket key the command is for.
    #[serde(alias = "incident_id")]
    pub target_id: String,
    pub action: Command,
    /// The item's version the user saw when taking the action.
    pub base_version: i64,
    /// The server database the version refers to; entries for another epoch are never sent.
    pub epoch: Option<String>,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedEntry {
    pub entry: OutboxEntry,
    pub rejected_at: DateTime<Utc>,
    pub reason: String,
}

/// What the outbox asks the effect runner to do.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxEffect {
    Persist(OutboxEntry),
    Send(OutboxEntry),
    /// Delete the entry, store the item the server returned, move rebased entries.
    Complete {
        entry: OutboxEntry,
        entity: Entity,
        rebased: Vec<(String, i64)>,
    },
    /// Move the entry to the rejected list, and store the current item if the server sent it.
    Reject {
        rejected: RejectedEntry,
        current: Option<Entity>,
    },
    RecordAttempt {
        key: String,
        error: String,
    },
    RetryAfter(Duration),
    /// The user dropped a queued entry (never sent) or a rejected one: delete it from disk.
    Drop {
        key: String,
    },
}

/// Why an entry cannot be dropped now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropRefused {
    /// It is on its way to the backend: wait for the answer.
    InFlight,
    NotFound,
}

/// Where an entry stands with the disk.
#[derive(Debug, Clone, PartialEq)]
enum Disk {
    /// Its first write has not answered yet: it is not sent before it does.
    Writing,
    Saved,
    /// The write failed (why): it is sent anyway, and kept in memory only.
    Unsaved(String),
}

#[derive(Debug, Clone, PartialEq)]
struct Queued {
    entry: OutboxEntry,
    disk: Disk,
}

/// Rejected entries kept in memory for the outbox panel (all of them stay in the cache).
pub const REJECTED_SHOWN: usize = 50;
const RETRY_MIN: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outbox {
    queue: VecDeque<Queued>,
    in_flight: Option<String>,
    paused: bool,
    failures: u32,
    rejected: Vec<RejectedEntry>,
    /// A `429`'s `Retry-After`: nothing is sent before it, not even when a sync succeeds.
    not_before: Option<DateTime<Utc>>,
}

impl Outbox {
    /// The outbox as the cache holds it after a restart: everything there is persisted.
    pub fn restore(pending: Vec<OutboxEntry>, rejected: Vec<RejectedEntry>) -> Outbox {
        Outbox {
            queue: pending.into_iter().map(|entry| Queued { entry, disk: Disk::Saved }).collect(),
            rejected,
            ..Outbox::default()
        }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    pub fn in_flight(&self) -> Option<&str> {
        self.in_flight.as_deref()
    }

    pub fn pending(&self) -> impl Iterator<Item = &OutboxEntry> {
        self.queue.iter().map(|q| &q.entry)
    }

    pub fn pending_for<'a>(&'a self, target_id: &'a str) -> impl Iterator<Item = &'a OutboxEntry> + 'a {
        self.pending().filter(move |e| e.target_id == target_id)
    }

    pub fn rejected(&self) -> &[RejectedEntry] {
        &self.rejected
    }

    /// Takes a new action: persist it first; it is sent once that is done.
    pub fn enqueue(&mut self, entry: OutboxEntry) -> Vec<OutboxEffect> {
        self.queue.push_back(Queued { entry: entry.clone(), disk: Disk::Writing });
        vec![OutboxEffect::Persist(entry)]
    }

    /// Whether `key` is queued (not yet answered).
    pub fn contains(&self, key: &str) -> bool {
        self.queue.iter().any(|q| q.entry.key == key)
    }

    /// The entry is on disk.
    pub fn persisted(&mut self, key: &str) -> Vec<OutboxEffect> {
        if let Some(q) = self.queue.iter_mut().find(|q| q.entry.key == key) {
            q.disk = Disk::Saved;
        }
        self.send_next()
    }

    /// The entry could not be written (`error` names the file): it is sent all the same rather
    /// than held back, and stays unsaved until a write succeeds or the backend confirms it.
    pub fn not_persisted(&mut self, key: &str, error: &str) -> Vec<OutboxEffect> {
        if let Some(q) = self.queue.iter_mut().find(|q| q.entry.key == key) {
            q.disk = Disk::Unsaved(error.to_string());
        }
        self.send_next()
    }

    /// Entries neither on disk nor confirmed by the backend, with why they are not on disk.
    pub fn unsaved(&self) -> impl Iterator<Item = (&OutboxEntry, &str)> {
        self.queue.iter().filter_map(|q| match &q.disk {
            Disk::Unsaved(error) => Some((&q.entry, error.as_str())),
            _ => None,
        })
    }

    pub fn unsaved_count(&self) -> usize {
        self.unsaved().count()
    }

    /// Starts sending the head of the queue if nothing is in flight and nothing holds it back.
    pub fn send_next(&mut self) -> Vec<OutboxEffect> {
        if self.in_flight.is_some() || self.paused {
            return Vec::new();
        }
        match self.queue.front() {
            Some(head) if head.disk != Disk::Writing => {
                self.in_flight = Some(head.entry.key.clone());
                vec![OutboxEffect::Send(head.entry.clone())]
            }
            _ => Vec::new(),
        }
    }

    /// The backend answered entry `key`.
    pub fn answered(
        &mut self,
        key: &str,
        result: Result<Entity, BackendError>,
        now: DateTime<Utc>,
    ) -> Vec<OutboxEffect> {
        if self.in_flight.as_deref() != Some(key) {
            return Vec::new();
        }
        self.in_flight = None;
        let Some(index) = self.queue.iter().position(|q| q.entry.key == key) else {
            return self.send_next();
        };
        let mut effects = Vec::new();
        match result {
            Ok(entity) => {
                let done = self.queue.remove(index).expect("index is in range").entry;
                let mut rebased = Vec::new();
                let version = entity.version();
                for q in self.queue.iter_mut() {
                    if q.entry.target_id == done.target_id && q.entry.base_version == done.base_version {
                        q.entry.base_version = version;
                        rebased.push((q.entry.key.clone(), version));
                    }
                }
                self.failures = 0;
                effects.push(OutboxEffect::Complete { entry: done, entity, rebased });
            }
            Err(error) if error.is_transient() => {
                let q = &mut self.queue[index];
                q.entry.attempts += 1;
                q.entry.last_error = Some(error.to_string());
                self.paused = true;
                self.failures += 1;
                effects.push(OutboxEffect::RecordAttempt { key: key.to_string(), error: error.to_string() });
                let mut delay = backoff(self.failures);
                if let BackendError::RateLimited { retry_after: Some(secs), .. }
                | BackendError::Unavailable { retry_after: Some(secs), .. } = &error
                {
                    delay = delay.max(Duration::from_secs(*secs));
                    self.not_before = chrono::TimeDelta::from_std(delay).ok().map(|d| now + d);
                }
                effects.push(OutboxEffect::RetryAfter(delay));
                return effects;
            }
            Err(error) => {
                let entry = self.queue.remove(index).expect("index is in range").entry;
                let current = match &error {
                    BackendError::Conflict(body) => Some(body.current.clone()),
                    _ => None,
                };
                let reason = error.describe_for(&entry.target_id, now);
                let rejected = RejectedEntry { entry, rejected_at: now, reason };
                self.remember(rejected.clone());
                effects.push(OutboxEffect::Reject { rejected, current });
            }
        }
        effects.extend(self.send_next());
        effects
    }

    /// Sends nothing until `resume`: at start-up, until a sync has said which server
    /// database this is.
    pub fn hold(&mut self) {
        self.paused = true;
    }

    /// The retry timer fired: try the head again.
    pub fn resume(&mut self) -> Vec<OutboxEffect> {
        self.paused = false;
        self.not_before = None;
        self.send_next()
    }

    /// A sync just succeeded: try the head again, unless the server asked (`429` with
    /// `Retry-After`) to hear nothing before a time still to come; the retry timer sends it then.
    pub fn resume_after_sync(&mut self, now: DateTime<Utc>) -> Vec<OutboxEffect> {
        match self.not_before {
            Some(at) if now < at => Vec::new(),
            _ => self.resume(),
        }
    }

    /// The backend's epoch is known: entries taken against another database are not sent.
    pub fn epoch_known(&mut self, epoch: &str, now: DateTime<Utc>) -> Vec<OutboxEffect> {
        let mut effects = Vec::new();
        let mut kept = VecDeque::with_capacity(self.queue.len());
        for q in std::mem::take(&mut self.queue) {
            let foreign = q.entry.epoch.as_deref().is_some_and(|e| e != epoch);
            if foreign && self.in_flight.as_deref() != Some(q.entry.key.as_str()) {
                let rejected = RejectedEntry {
                    entry: q.entry,
                    rejected_at: now,
                    reason: "not sent: the server's database was replaced since this action was taken".into(),
                };
                self.remember(rejected.clone());
                effects.push(OutboxEffect::Reject { rejected, current: None });
            } else {
                kept.push_back(q);
            }
        }
        self.queue = kept;
        effects.extend(self.send_next());
        effects
    }

    /// The user drops a queued entry that is not being sent, or forgets a rejected one. A queued
    /// entry never reaches the backend once dropped (the one in flight cannot be called back).
    pub fn drop_entry(&mut self, key: &str) -> Result<OutboxEntry, DropRefused> {
        if self.in_flight.as_deref() == Some(key) {
            return Err(DropRefused::InFlight);
        }
        let entry = if let Some(index) = self.queue.iter().position(|q| q.entry.key == key) {
            self.queue.remove(index).map(|q| q.entry)
        } else if let Some(index) = self.rejected.iter().position(|r| r.entry.key == key) {
            Some(self.rejected.remove(index).entry)
        } else {
            None
        };
        entry.ok_or(DropRefused::NotFound)
    }

    fn remember(&mut self, rejected: RejectedEntry) {
        self.rejected.insert(0, rejected);
        self.rejected.truncate(REJECTED_SHOWN);
    }
}

/// 1 s, 2 s, 4 s … up to 30 s. Jitter is added by the runner, which owns randomness.
pub fn backoff(failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(10);
    (RETRY_MIN * 2u32.pow(exp)).min(RETRY_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Conflict;
    use crate::domain::{ActionContext, Incident, IncidentAction, NewIncident, Priority, Rejection};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
    }

    fn incident(version: i64) -> Incident {
        let new = NewIncident { title: "t".into(), service_id: "llm-gateway".into(), priority: Priority::P2 };
        let mut inc = Incident::trigger("INC-1".into(), new, "am", now(), None);
        inc.version = version;
        inc
    }

    fn answer(version: i64) -> Result<Entity, BackendError> {
        Ok(Entity::Incident(incident(version)))
    }

    fn entry(key: &str, action: IncidentAction, base: i64) -> OutboxEntry {
        OutboxEntry {
            key: key.into(),
            target_id: "INC-1".into(),
            action: Command::Incident(action),
            base_version: base,
            epoch: Some("e1".into()),
            created_at: now(),
            attempts: 0,
            last_error: None,
        }
    }

    fn sends(effects: &[OutboxEffect]) -> Vec<&str> {
        effects
            .iter()
            .filter_map(|e| match e {
                OutboxEffect::Send(entry) => Some(entry.key.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn persists_before_sending_and_sends_one_at_a_time_in_order() {
        let mut outbox = Outbox::default();
        let effects = outbox.enqueue(entry("k1", IncidentAction::Acknowledge, 1));
        assert!(matches!(&effects[..], [OutboxEffect::Persist(e)] if e.key == "k1"), "persist only: {effects:?}");
        let effects = outbox.enqueue(entry("k2", IncidentAction::Note { text: "x".into() }, 1));
        assert!(sends(&effects).is_empty());
        // k2 is written first, but k1 is the head and is not on disk yet: nothing is sent.
        assert!(sends(&outbox.persisted("k2")).is_empty());
        assert_eq!(sends(&outbox.persisted("k1")), ["k1"]);
        assert_eq!(outbox.in_flight(), Some("k1"));
        assert!(outbox.send_next().is_empty(), "one in flight at a time");
        let effects = outbox.answered("k1", answer(2), now());
        assert_eq!(sends(&effects), ["k2"]);
    }

    #[test]
    fn own_earlier_action_rebases_later_entries_on_the_same_incident() {
        let mut outbox = Outbox::restore(
            vec![entry("ack", IncidentAction::Acknowledge, 3), entry("esc", IncidentAction::Escalate, 3)],
            vec![],
        );
        assert_eq!(sends(&outbox.send_next()), ["ack"]);
        let effects = outbox.answered("ack", answer(4), now());
        assert!(
            matches!(&effects[0], OutboxEffect::Complete { entry, rebased, .. } if entry.key == "ack" && rebased == &vec![("esc".to_string(), 4)])
        );
        assert!(matches!(&effects[1], OutboxEffect::Send(e) if e.key == "esc" && e.base_version == 4));
    }

    #[test]
    fn a_429_is_sent_again_no_sooner_than_its_retry_after_even_when_a_sync_succeeds() {
        let mut outbox = Outbox::restore(vec![entry("k1", IncidentAction::Acknowledge, 1)], vec![]);
        outbox.send_next();
        let limited = BackendError::RateLimited { retry_after: Some(120), message: "slow down".into() };
        let effects = outbox.answered("k1", Err(limited), now());
        assert!(effects.contains(&OutboxEffect::RetryAfter(Duration::from_secs(120))), "{effects:?}");
        let soon = now() + chrono::TimeDelta::seconds(5);
        assert!(outbox.resume_after_sync(soon).is_empty(), "a sync 5 s later sends nothing");
        assert!(outbox.is_paused());
        let later = now() + chrono::TimeDelta::seconds(121);
        assert_eq!(sends(&outbox.resume_after_sync(later)), ["k1"], "after Retry-After it goes, same key");
    }

    #[test]
    fn a_503_from_an_unreachable_source_keeps_the_action_until_its_retry_after() {
        let mut outbox = Outbox::restore(vec![entry("k1", IncidentAction::Acknowledge, 1)], vec![]);
        outbox.send_next();
        let down = BackendError::Unavailable { retry_after: Some(30), message: "prod-am cannot be reached".into() };
        let effects = outbox.answered("k1", Err(down), now());
        assert!(effects.contains(&OutboxEffect::RetryAfter(Duration::from_secs(30))), "{effects:?}");
        assert!(outbox.rejected().is_empty() && outbox.contains("k1"), "kept, not rejected");
        assert!(outbox.resume_after_sync(now() + chrono::TimeDelta::seconds(5)).is_empty());
        let later = now() + chrono::TimeDelta::seconds(31);
        assert_eq!(sends(&outbox.resume_after_sync(later)), ["k1"], "after Retry-After it goes, same key");
    }

    #[test]
    fn transient_failures_pause_and_retry_the_same_key() {
        let mut outbox = Outbox::restore(vec![entry("k1", IncidentAction::Acknowledge, 1)], vec![]);
        outbox.send_next();
        let effects = outbox.answered("k1", Err(BackendError::Unreachable("connection refused".into())), now());
        assert!(
            matches!(&effects[..], [OutboxEffect::RecordAttempt { .. }, OutboxEffect::RetryAfter(d)] if *d == Duration::from_secs(1))
        );
        assert!(outbox.is_paused());
        assert_eq!(outbox.len(), 1, "nothing is lost");
        assert!(outbox.send_next().is_empty(), "paused");
        let effects = outbox.resume();
        assert_eq!(sends(&effects), ["k1"]);
        let effects = outbox.answered("k1", Err(BackendError::Timeout), now());
        assert!(effects.contains(&OutboxEffect::RetryAfter(Duration::from_secs(2))));
        assert_eq!(outbox.pending().next().unwrap().attempts, 2);
        let resent = outbox.resume();
        assert!(matches!(&resent[..], [OutboxEffect::Send(e)] if e.key == "k1"), "same idempotency key");
    }

    #[test]
    fn a_conflict_rejects_keeps_the_content_and_carries_the_current_incident() {
        let mut outbox = Outbox::restore(
            vec![
                entry("k1", IncidentAction::Acknowledge, 1),
                entry("k2", IncidentAction::Note { text: "keep me".into() }, 1),
            ],
            vec![],
        );
        outbox.send_next();
        let mut current = incident(2);
        current.apply(&IncidentAction::Acknowledge, ActionContext { actor: "dana", now: now(), policy: None }).unwrap();
        let body = Conflict {
            message: "m".into(),
            reason: Rejection::AlreadyAcknowledged { by: "dana".into(), at: now() },
            current: Entity::Incident(current.clone()),
        };
        let later = now() + chrono::Duration::seconds(40);
        let effects = outbox.answered("k1", Err(BackendError::Conflict(Box::new(body))), later);
        match &effects[0] {
            OutboxEffect::Reject { rejected, current: returned } => {
                assert_eq!(rejected.reason, "INC-1 already acknowledged by dana 40 s ago");
                assert_eq!(returned.as_ref(), Some(&Entity::Incident(current.clone())));
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        assert_eq!(sends(&effects), ["k2"], "the queue moves on");
        assert_eq!(outbox.rejected()[0].entry.key, "k1");
        let forbidden = outbox.answered("k2", Err(BackendError::Forbidden("viewer".into())), later);
        assert!(
            matches!(&forbidden[0], OutboxEffect::Reject { rejected, .. } if rejected.entry.action == Command::Incident(IncidentAction::Note { text: "keep me".into() }))
        );
        assert!(outbox.is_empty());
    }

    #[test]
    fn answers_for_keys_not_in_flight_are_ignored() {
        let mut outbox = Outbox::restore(vec![entry("k1", IncidentAction::Acknowledge, 1)], vec![]);
        assert!(outbox.answered("k1", answer(2), now()).is_empty());
        assert_eq!(outbox.len(), 1);
    }

    #[test]
    fn entries_for_another_database_are_rejected_not_sent() {
        let mut outbox = Outbox::restore(
            vec![
                entry("old", IncidentAction::Acknowledge, 1),
                OutboxEntry { epoch: None, ..entry("new", IncidentAction::Resolve, 1) },
            ],
            vec![],
        );
        let effects = outbox.epoch_known("e2", now());
        assert!(matches!(&effects[0], OutboxEffect::Reject { rejected, .. } if rejected.entry.key == "old"));
        assert_eq!(sends(&effects), ["new"], "an entry taken before any sync goes to whatever server is there");
    }

    #[test]
    fn backoff_doubles_up_to_thirty_seconds() {
        let secs: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
