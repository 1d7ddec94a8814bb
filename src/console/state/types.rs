//! The state's vocabulary: updates, messages, the session, sync status and settings (dialogs are
//! `modal.rs`'s).
//! Plain data; the logic that changes it lives in `mod.rs` and `keys.rs`; the effects an update
//! carries are `crate::console::effect`'s.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::api::Me;
use crate::config::Config;
use crate::console::effect::Effect;
use crate::console::keymap::Keymap;
use crate::console::theme::{TermCaps, Theme};
use crate::console::zone::{DisplayZone, SystemZone};
use crate::sla::SlaPolicy;

/// The result of one `update`: whether the screen needs drawing, and what to do.
#[derive(Debug, Default, PartialEq)]
pub struct Update {
    pub changed: bool,
    pub effects: Vec<Effect>,
}

impl Update {
    pub(crate) fn changed() -> Update {
        Update { changed: true, effects: Vec::new() }
    }

    pub(crate) fn unchanged() -> Update {
        Update::default()
    }

    pub(crate) fn with(mut self, effects: impl IntoIterator<Item = Effect>) -> Update {
        self.effects.extend(effects);
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Warning,
    Error,
}

/// A message in the status bar until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub level: Level,
    pub until: DateTime<Utc>,
}

/// Who we are and what we may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `DEMO` or the backend's host, for the header.
    pub backend_label: String,
    pub demo: bool,
    /// `--read-only` on the command line.
    pub read_only_flag: bool,
    pub me: Option<Me>,
    /// Makes idempotency keys unique to this run of the console.
    pub run_id: String,
    /// Whose typing this console journals: drafts and notes belong to their author and are only
    /// offered back to the same one (several people may share a data folder). A fingerprint of
    /// the backend and token (never the token), or `demo:<login>` in the demo.
    pub author: String,
}

impl Session {
    /// The owner key for a user of `backend` with `token`: a short SHA-256 fingerprint, so the
    /// journal tells users apart without knowing who they are before the server says, and
    /// without keeping the token.
    pub fn author_for(backend: &str, token: Option<&str>) -> String {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        hash.update(backend.as_bytes());
        hash.update([0]);
        hash.update(token.unwrap_or("").as_bytes());
        let digest = hash.finalize();
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("token:{hex}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncStatus {
    /// The last successful contact with the backend (from the cache at start-up).
    pub last_ok: Option<DateTime<Utc>>,
    /// Set while syncing fails: since when, and the latest error.
    pub failing: Option<(DateTime<Utc>, String)>,
    /// At least one sync succeeded since start-up.
    pub live: bool,
    pub epoch: Option<String>,
    /// Bad records (and unknown kinds) already reported, so the same one sent again on a later
    /// page is not reported on every poll.
    pub reported: std::collections::BTreeSet<String>,
    /// While a round of several pages is being taken in: how far it has come.
    pub catching_up: Option<crate::console::event::SyncProgress>,
    /// What feeds the server and how its polls go (`GET /v1/sources`, read every few polls).
    pub sources: Vec<crate::api::SourceStatus>,
    /// Whether the server's change stream is up.
    pub push: Push,
}

/// The server's change stream, as the console last heard of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Push {
    /// Never opened: a server without one, or not yet.
    #[default]
    Unknown,
    /// Open: changes are announced, and each heartbeat says the server is there.
    Up,
    /// It was open and went down: the console polls (and says so).
    Down,
}

impl SyncStatus {
    /// How long an answer keeps the console live: the poll interval, or while the stream is up
    /// the time between its heartbeats (asked for the poll interval, in whole seconds).
    fn live_interval(&self, poll_interval: Duration) -> Duration {
        match self.push {
            Push::Up => poll_interval.max(crate::console::push::heartbeat(poll_interval)),
            Push::Unknown | Push::Down => poll_interval,
        }
    }

    /// The data on screen is not known to be current.
    pub fn is_stale(&self) -> bool {
        self.failing.is_some() || !self.live
    }

    /// The sources whose data may be out of date, in the server's order.
    pub fn stale_sources(&self) -> impl Iterator<Item = &crate::api::SourceStatus> {
        self.sources.iter().filter(|s| s.stale)
    }

    /// When "live" runs out unless another answer comes: the last answer plus the poll interval
    /// and [`crate::config::LIVE_SLACK`]. `None` while not live.
    pub fn live_until(&self, poll_interval: Duration) -> Option<DateTime<Utc>> {
        let window = chrono::Duration::from_std(crate::config::live_window(self.live_interval(poll_interval))).ok()?;
        self.last_ok.filter(|_| self.live && self.failing.is_none()).map(|at| at + window)
    }

    /// No answer within the live window by `now` (a request hangs, say): stale from the last
    /// answer on, without waiting for the request to fail. Returns whether that changed.
    pub fn expire(&mut self, now: DateTime<Utc>, poll_interval: Duration) -> bool {
        let Some(until) = self.live_until(poll_interval) else {
            return false;
        };
        if now < until {
            return false;
        }
        let since = self.last_ok.unwrap_or(now);
        let window = crate::config::live_window(self.live_interval(poll_interval)).as_secs_f64();
        self.live = false;
        self.failing = Some((since, format!("the backend has not answered for {window:.0}s; still trying")));
        true
    }
}

/// What the console found about where it runs when it started: what the terminal can show and
/// the system's time zone ([`SystemZone::detect`]). Read once; config reloads keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Environment {
    pub terminal: TermCaps,
    pub system_zone: SystemZone,
}

/// A terminal's capabilities with the system's zone taken as UTC: what tests and benchmarks use,
/// so they show the same times on every machine.
impl From<TermCaps> for Environment {
    fn from(terminal: TermCaps) -> Environment {
        Environment { terminal, system_zone: SystemZone::UTC }
    }
}

/// `NO_COLOR` (or not) on a modern terminal, in UTC (see `From<TermCaps>`).
impl From<bool> for Environment {
    fn from(no_color: bool) -> Environment {
        TermCaps::from(no_color).into()
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub keymap: Keymap,
    pub theme: Theme,
    /// The zone times are shown in: `timezone` in the config, else the system's as found at start.
    pub timezone: DisplayZone,
    pub bell_on_new_p1: bool,
    pub sla: std::sync::Arc<SlaPolicy>,
    pub drift_bands: crate::domain::monitoring::DriftBands,
    /// A team's postmortem template, when the config names one.
    pub postmortem_template: Option<std::sync::Arc<str>>,
    pub poll_interval: Duration,
    /// `read_only = true` in the config.
    pub read_only_config: bool,
    /// What the terminal can show and the system's zone, as found at start; kept across config
    /// reloads.
    pub environment: Environment,
    /// Backend and token as started; changing them needs a restart.
    pub(super) started_with: (Option<String>, bool),
}

impl Settings {
    /// The settings for `config` in `environment` (for tests and benchmarks, a [`TermCaps`] or a
    /// `bool`, see [`Environment`]).
    pub fn from_config(config: &Config, environment: impl Into<Environment>) -> (Settings, Vec<String>) {
        let environment = environment.into();
        let terminal = environment.terminal;
        let (keymap, mut warnings) = Keymap::with_overrides(&config.keys);
        warnings.extend(config.warnings.iter().cloned());
        let settings = Settings {
            keymap,
            theme: Theme::for_terminal(&config.colors, terminal, config.glyphs),
            timezone: DisplayZone::resolve(config.timezone, environment.system_zone),
            bell_on_new_p1: config.bell_on_new_p1,
            sla: config.sla.clone(),
            drift_bands: config.drift_bands,
            postmortem_template: config.postmortem_template.clone(),
            poll_interval: config.poll_interval,
            read_only_config: config.read_only,
            environment,
            started_with: (config.backend.clone(), config.token.is_some() || config.token_file.is_some()),
        };
        (settings, warnings)
    }
}

/// Derived state a handler made stale, rebuilt once at the end of `update`
/// (`AppState::refresh_derived`). Which incidents and tickets changed the tabs record themselves
/// (`take_touched`), so no handler can forget to say it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Derived {
    /// The optimistic view of every item with queued actions (the outbox changed). Without it,
    /// only the items a page stored show their queued actions again.
    pub pending: bool,
    /// Every SLA clock (maintenance pauses or the policy changed, the data was replaced).
    /// Without it, only the clocks of the items stored or shown anew are redone.
    pub clocks: bool,
    /// The Drift tab's copy of the maintenance windows.
    pub maintenance: bool,
    /// The Drift tab's incident markers.
    pub markers: bool,
}

/// The user's own unsent work the console keeps: journaled postmortem drafts, note drafts, the
/// window form closed with Esc, and the restored draft on offer. Never emptied by a sync.
#[derive(Debug, Default)]
pub struct Drafts {
    /// Postmortem drafts journaled and not yet on the backend as typed, by id.
    pub postmortems: std::collections::HashMap<String, crate::cache::JournaledDraft>,
    /// When the editor's unwritten typing must be journaled.
    pub journal_due: Option<chrono::DateTime<chrono::Utc>>,
    /// Per postmortem, when its journaled draft was last confirmed on disk.
    pub journal_written: std::collections::HashMap<String, chrono::DateTime<chrono::Utc>>,
    /// Note text typed and not sent (Esc, Ctrl-c), by incident: kept in the cache for the next
    /// start too.
    pub notes: std::collections::HashMap<String, String>,
    /// A window form closed with Esc: what was typed, for `n` (or `e` on the same window).
    pub form: Option<crate::console::tabs::calendar::form::MaintenanceForm>,
    /// A journaled postmortem draft restored at start and offered (`Enter` opens it); the
    /// keyboard stays the user's.
    pub offer: Option<String>,
}

/// What the backend says about its services, escalation policies and users.
#[derive(Debug)]
pub struct Catalog {
    pub services: std::collections::HashMap<String, crate::domain::Service>,
    pub policies: std::collections::HashMap<String, crate::domain::EscalationPolicy>,
    /// The backend's users, whom tickets are assigned to.
    pub users: super::Directory,
}
