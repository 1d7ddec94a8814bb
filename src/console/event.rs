//! The one channel everything reports into: terminal, sync, outbox, config, signals, timers.
//!
//! Payloads are domain, API and config types, the backend's error, what the console's files say
//! about themselves (`db::StorageNotice`), and the drift results of `crate::console::data`: no
//! tab's or cache's type, so this module sits below both.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use crate::api::{Change, Me, SkippedRecord, User};
use crate::backend::BackendError;
use crate::config::{Config, ConfigError};
use crate::console::data::DriftResults;
use crate::db::StorageNotice;
use crate::domain::monitoring::MonitoringRows;
use crate::domain::{Entity, Incident, Ticket};

#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    Paste(String),
    Resize {
        width: u16,
        height: u16,
    },
    /// A time-dependent part of the screen (an age, a message's expiry) is due.
    Tick,
    /// Every cached incident, loaded after the first frame; merged into the list a slice per
    /// turn of the loop (`CacheMergeStep`), so that keys are handled between slices.
    CacheLoaded(Vec<Incident>),
    /// How many incidents the cache holds and how many tickets it loads, counted after the
    /// first frame when that read only the first rows (`CacheSnapshot::counts_pending`).
    CacheCounted {
        incidents: usize,
        tickets: usize,
    },
    /// The open tickets changed last, read right after the first frame (which reads none) and
    /// stored at once, in full: what the Tickets tab shows first.
    FirstTickets(Vec<Ticket>),
    /// Every open ticket and the most recently closed ones, loaded after the first frame and
    /// merged like `CacheLoaded`.
    TicketsLoaded(Vec<Ticket>),
    /// One incident read in full from the cache for a compact row (`Effect::ReadIncident`), or
    /// why it could not be.
    IncidentRead {
        id: String,
        result: Result<Option<Incident>, String>,
    },
    /// One ticket read in full from the cache for a compact row (`Effect::ReadTicket`).
    TicketRead {
        key: String,
        result: Result<Option<Ticket>, String>,
    },
    /// Merge the next slice of what the cache loaded (sent by `Effect::ContinueMerge`).
    CacheMergeStep,
    /// Cached models, drift windows and quality points, loaded after the first frame.
    MonitoringLoaded(Box<MonitoringRows>),
    /// Drift statistics computed for an `Effect::ComputeDrift`.
    DriftComputed(Box<DriftResults>),
    Synced(Box<SyncReport>),
    SyncFailed {
        error: String,
        at: DateTime<Utc>,
    },
    /// The server's change stream is up (sent again on each heartbeat and announcement: the
    /// server is there), or went down and the console polls.
    Pushed(bool),
    Identity(Me),
    /// The backend's users (after each sign-in), or why it did not list them.
    Users(Result<Vec<User>, String>),
    OutboxPersisted {
        key: String,
        error: Option<String>,
    },
    OutboxAnswered {
        key: String,
        result: Result<Entity, BackendError>,
    },
    OutboxRetry,
    /// The server's sources with their health (`GET /v1/sources`; none from an older server).
    Sources(Vec<crate::api::SourceStatus>),
    /// What the server said it did on its own with an action on `target_id` (its source cannot
    /// do it): shown in the footer after the action.
    Notice {
        target_id: String,
        text: String,
    },
    Config(Result<Config, ConfigError>),
    /// A calendar file read for an import (`Effect::ReadCalendar`), or why it could not be.
    CalendarFile {
        path: std::path::PathBuf,
        services: Vec<String>,
        result: Result<String, String>,
    },
    /// `$EDITOR` exited: the draft file's text, or why it could not be run or read.
    EditorReturned {
        id: String,
        result: Result<String, String>,
    },
    /// A postmortem draft journaled at `at` is on disk (or could not be written).
    Journaled {
        id: String,
        at: DateTime<Utc>,
        error: Option<String>,
    },
    /// A draft file in the drafts folder was changed by another program.
    DraftFileChanged {
        id: String,
        text: String,
    },
    /// `Effect::ExportDraft` finished: the file's path, or why not.
    DraftExported {
        id: String,
        result: Result<String, String>,
    },
    /// `Effect::SaveNoteDraft` wrote the note draft of `incident_id` holding `text` (or could not:
    /// why, naming the file).
    NoteDraftSaved {
        incident_id: String,
        text: String,
        error: Option<String>,
    },
    /// `Effect::RewriteWork` wrote these outbox entries, postmortem drafts and note drafts into
    /// the work file (or could not: why).
    WorkRewritten {
        keys: Vec<String>,
        drafts: Vec<String>,
        notes: Vec<String>,
        error: Option<String>,
    },
    /// A write of the user's work other than a new action or draft failed (recording a
    /// rejection, dropping an entry): what, and why.
    WorkWriteFailed {
        what: String,
        error: String,
    },
    /// A storage file was damaged, deleted, or cannot be written, and what was done about it.
    Storage(StorageNotice),
    /// SIGTERM, SIGHUP (the SSH session dropped) or SIGINT.
    Shutdown {
        signal: &'static str,
    },
}

/// One page of changes, already stored in the cache.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncReport {
    pub at: DateTime<Utc>,
    pub epoch: String,
    /// The cache was emptied first: the server's database is not the one we synced before.
    pub reset: bool,
    /// This round started without a cursor (first sync of this cache).
    pub from_empty: bool,
    /// More pages follow in this round.
    pub more: bool,
    /// The first success after failures.
    pub recovered: bool,
    pub changes: Vec<Change>,
    /// Records of the page that could not be read, and why; the rest of the page is here.
    pub skipped: Vec<SkippedRecord>,
    /// Entity kinds the page had that this console does not know.
    pub unknown_kinds: Vec<String>,
    /// How far a round that takes several pages has come, when the server says how many
    /// changes remain (older servers do not).
    pub progress: Option<SyncProgress>,
}

/// Changes taken in so far in this round (this report's included), of how many the server has
/// told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncProgress {
    pub done: u64,
    pub total: u64,
}

pub type EventSender = tokio::sync::mpsc::UnboundedSender<Event>;
pub type EventReceiver = tokio::sync::mpsc::UnboundedReceiver<Event>;

#[cfg(test)]
mod tests {
    /// Events sit below the tabs and the cache: their payloads name neither.
    #[test]
    fn events_carry_no_tab_state_or_cache_type() {
        let source = include_str!("event.rs");
        let code = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        for line in code.lines().filter(|l| l.contains("crate::")) {
            let allowed = [
                "crate::api",
                "crate::backend::BackendError",
                "crate::config",
                "crate::domain",
                "crate::console::data",
                "crate::db::StorageNotice",
            ];
            assert!(allowed.iter().any(|a| line.contains(a)), "event.rs names {line:?}");
            for layer in ["console::tabs", "console::state", "crate::cache"] {
                assert!(!line.contains(layer), "event.rs names {line:?}");
            }
        }
    }
}
