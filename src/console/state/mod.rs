//! The console's whole state and its pure `update`: events in, state changes and effects out.
//!
//! `update` never awaits, never touches a file or socket, and reads time only from its `now`
//! argument, so tests drive it with plain values. The effect runner (`crate::console::effect`) does
//! what the effects ask and reports back through events.
//!
//! The root routes by focus: dialogs and panels first, then global actions, and everything else
//! to the focused tab (`Tab::update`, through the registry in `console::tabs`), carrying out what
//! the tab requests of it. After every update the focused tab reconciles (`reconcile_view`).
//! Keys and actions are handled in `keys.rs`; acting on the item on screen in `act.rs`; following
//! links between items and returning with `Esc` in `links.rs`; the users tickets are assigned to
//! and prompt completion in `assign.rs`; data arriving from sync and the outbox in `changes.rs`;
//! the message log, the restored-draft offer and the outbox panel in `console.rs`; the user's
//! work and the disk (what is not saved, retries, quitting with it, the files' notices) in
//! `storage.rs`; the config watcher here.

mod act;
mod assign;
mod changes;
mod console;
mod keys;
mod links;
mod load;
mod modal;
mod storage;
mod types;

pub use crate::console::tabs::calendar::update::{MAX_CALENDAR_BYTES, NEW_WINDOW_TARGET, import_args};
pub use assign::{Directory, complete};
pub use console::{MESSAGES_KEPT, Message, MessageLog};
pub use links::Origin;
pub use load::TICKET_SLICE;
pub use modal::{Confirm, Input, InputKind, Modal, Modals, Overlay};
pub use storage::{QuitConfirm, Storage, what_is_unsaved};
pub use types::{Catalog, Derived, Drafts, Environment, Flash, Level, Push, Session, Settings, SyncStatus, Update};

use chrono::{DateTime, Utc};

use crate::api::{Me, Role};
use crate::cache::CacheSnapshot;
use crate::config::Config;
use crate::console::effect::{Effect, TerminalEffect};
use crate::console::event::Event;
use crate::console::keymap::Mode;
use crate::console::outbox::Outbox;
use crate::console::tabs::TabId;
use crate::console::tabs::calendar::CalendarTab;
use crate::console::tabs::drift::{DriftTab, Monitoring};
use crate::console::tabs::incidents::IncidentsTab;
use crate::console::tabs::postmortems::PostmortemsTab;
use crate::console::tabs::sla::SlaTab;
use crate::console::tabs::tickets::TicketsTab;
use crate::domain::text::sanitize;
use crate::domain::{EntityKind, EscalationPolicy};

/// How long messages stay.
const FLASH_INFO: i64 = 5;
const FLASH_ERROR: i64 = 12;

pub struct AppState {
    pub tab: TabId,
    pub incidents: IncidentsTab,
    pub tickets: TicketsTab,
    pub sla: SlaTab,
    pub drift: DriftTab,
    pub calendar: CalendarTab,
    pub postmortems: PostmortemsTab,
    /// The windows active at the last update, to notice when one starts or ends.
    active_windows: Vec<String>,
    pub outbox: Outbox,
    pub sync: SyncStatus,
    pub session: Session,
    pub settings: Settings,
    /// The open dialogs and panels; the top one has the keyboard.
    pub modals: Modals,
    /// What the user typed and has not got back from the backend yet: never thrown away.
    pub drafts: Drafts,
    /// What of the user's work the disk refused, and what the files reported.
    pub storage: Storage,
    /// What the backend says about its services, escalation policies and users.
    pub catalog: Catalog,
    pub flash: Option<Flash>,
    pub size: (u16, u16),
    /// Every message shown, for `L`.
    pub messages: MessageLog,
    /// Why the config file on disk is invalid, while it is (the previous one stays in force).
    pub config_error: Option<String>,
    /// The outbox entry a first `d` named; a second `d` drops it.
    drop_armed: Option<String>,
    /// Why a prompt's text was refused (the text, the reason): shown above it while it holds that text.
    prompt_refusal: Option<(String, String)>,
    /// Details opened by following a link, newest last: `Esc` returns where each came from.
    pub came_from: Vec<Origin>,
    key_seq: u64,
    /// What derives from the data and must be rebuilt before this update ends.
    pub(crate) derived: Derived,
    /// Tabs whose list the user has looked at and used: until then a list starts at its top.
    seen: std::collections::HashSet<TabId>,
    /// Quitting was asked for (a key or a signal). The run loop ends on the
    /// `TerminalEffect::Quit` that comes with it, not on this.
    pub quit: bool,
    /// An `Event::CacheMergeStep` is on its way: rows loaded meanwhile join the merge under way.
    merge_queued: bool,
}

impl AppState {
    pub fn new(
        session: Session,
        config: &Config,
        snapshot: CacheSnapshot,
        environment: impl Into<Environment>,
        now: DateTime<Utc>,
    ) -> AppState {
        let (settings, warnings) = Settings::from_config(config, environment);
        let mut outbox = Outbox::restore(snapshot.outbox, snapshot.rejected);
        // Hold queued actions until the first sync says which server database this is.
        outbox.hold();
        let mut tickets = TicketsTab::new(snapshot.tickets, snapshot.tickets_total, &settings.sla);
        let mut incidents = IncidentsTab::new(snapshot.incidents, snapshot.total);
        if snapshot.counts_pending {
            incidents.count_pending();
            tickets.count_pending();
        }
        let session_author = session.author.clone();
        let mut state = AppState {
            tab: TabId::default(),
            incidents,
            tickets,
            sla: SlaTab::default(),
            drift: DriftTab::new(Monitoring::from_rows(snapshot.monitoring)),
            calendar: CalendarTab::new(snapshot.maintenance),
            postmortems: PostmortemsTab::new(snapshot.postmortems),
            active_windows: Vec::new(),
            outbox,
            sync: SyncStatus { last_ok: snapshot.sync.last_ok, epoch: snapshot.sync.epoch, ..SyncStatus::default() },
            session,
            settings,
            modals: Modals::default(),
            flash: None,
            size: (80, 24),
            catalog: Catalog {
                services: snapshot.services.into_iter().map(sanitized_service).map(|s| (s.id.clone(), s)).collect(),
                policies: snapshot.policies.into_iter().map(sanitized_policy).map(|p| (p.id.clone(), p)).collect(),
                users: Directory::Unknown,
            },
            drafts: Drafts {
                notes: snapshot
                    .note_drafts
                    .into_iter()
                    .filter(|n| n.author == session_author)
                    .map(|n| (n.incident_id, n.text))
                    .collect(),
                ..Drafts::default()
            },
            storage: Storage::default(),
            messages: MessageLog::default(),
            config_error: None,
            drop_armed: None,
            prompt_refusal: None,
            came_from: Vec::new(),
            key_seq: 0,
            derived: Derived::default(),
            seen: std::collections::HashSet::new(),
            quit: false,
            merge_queued: false,
        };
        // The calendar first: SLA clocks pause during windows that say so.
        state.calendar.today(now, state.settings.timezone);
        state.reapply_all_pending(now);
        state.rebuild_clocks(now);
        state.drift.set_maintenance(state.calendar.windows());
        state.active_windows = state.calendar.active_ids(now).into_iter().map(str::to_string).collect();
        state.drift.rebuild(state.incidents.spans());
        // The console's snapshot holds no drift data (it is loaded after the first frame); one
        // built by a test or benchmark may, and gets its statistics at once.
        state.drift.settle();
        state.restore_drafts(snapshot.drafts, now);
        if !warnings.is_empty() {
            state.flash(Level::Warning, warnings.join("; "), now);
        }
        state
    }

    /// Where the keyboard focus is: a dialog, an overlay, or a tab's list or detail view.
    pub fn mode(&self) -> Mode {
        let layers: Vec<Mode> = self.layers().into_iter().filter(|m| *m != Mode::Offer).collect();
        if layers.len() == 3 { layers[1] } else { layers[0] }
    }

    /// The keymap layers that apply now, most specific first: the top modal's alone, else the
    /// tab's view.
    pub fn layers(&self) -> Vec<Mode> {
        match self.modals.top() {
            Some(Modal::Confirm(_) | Modal::Quit(_)) => vec![Mode::Confirm],
            Some(Modal::Editor(editor)) => vec![if editor.theirs.is_some() { Mode::Conflict } else { Mode::Editor }],
            Some(Modal::Form(_)) => vec![Mode::Form],
            Some(Modal::Input(_)) => vec![Mode::Input],
            Some(Modal::Overlay(_)) => vec![Mode::Overlay],
            None => self.view_layers(),
        }
    }

    /// The layers of the tab's own view, under any dialog or panel.
    pub fn view_layers(&self) -> Vec<Mode> {
        let mut layers = Vec::with_capacity(4);
        if self.drafts.offer.is_some() {
            layers.push(Mode::Offer);
        }
        layers.extend_from_slice(self.focused().layers());
        layers.push(Mode::Global);
        layers
    }

    /// The name actions are taken under, before the server has said who we are.
    pub fn me_name(&self) -> &str {
        self.session.me.as_ref().map_or("you", |m| m.name.as_str())
    }

    /// Why dangerous actions are disabled, if they are.
    pub fn read_only_reason(&self) -> Option<&'static str> {
        if self.session.read_only_flag {
            Some("started with --read-only")
        } else if self.settings.read_only_config {
            Some("read_only = true in the config")
        } else if self.session.me.as_ref().is_some_and(|m| m.role == Role::Viewer) {
            Some("your role is viewer")
        } else {
            None
        }
    }

    pub fn update(&mut self, event: Event, now: DateTime<Utc>) -> Update {
        // A window started or ended since the last event: the banner changes, and clocks it
        // pauses stop or go on. Done first, so a tick's bell check sees the clocks as they are.
        let window_changed = self.follow_maintenance(now);
        // No answer for longer than the poll interval and its slack: the badge says stale.
        let expired = self.sync.expire(now, self.settings.poll_interval);
        let mut update = self.on_event(event, now);
        update.changed |= expired;
        // The event itself may have brought windows (a sync).
        update.changed |= window_changed | self.follow_maintenance(now);
        // A filter over many rows goes on a slice per turn, on the merge's step.
        if !self.merge_queued && self.filtering() {
            self.merge_queued = true;
            update.effects.push(Effect::ContinueMerge);
        }
        // Whatever happened, statistics the Drift tab now lacks are computed off the UI task.
        if let Some(job) = self.drift.take_job() {
            update.effects.push(Effect::ComputeDrift(Box::new(job)));
        }
        // Typing in the postmortem editor reaches the journal within 250 ms.
        update.effects.extend(self.follow_journal(now));
        self.refresh_derived(now);
        self.reconcile_view();
        // The incident selected or opened is held compact: its timeline is read from the cache.
        update.effects.extend(self.incidents.timeline_wanted().map(Effect::ReadIncident));
        update.effects.extend(self.tickets.history_wanted().map(Effect::ReadTicket));
        update
    }

    /// After every update, derived state is rebuilt once from what the handlers said changed,
    /// instead of each handler calling the rebuilds itself (one sync page used to reapply the
    /// pending actions twice and rebuild every clock). Order matters: what is shown (pending
    /// actions applied) first, then the SLA clocks built from it — of the items stored or shown
    /// anew only, unless windows or the policy changed — then the Drift tab's view of windows and
    /// incidents, again of the changed incidents only when that is all that changed.
    fn refresh_derived(&mut self, now: DateTime<Utc>) {
        let derived = std::mem::take(&mut self.derived);
        let windows_changed = if derived.pending {
            self.reapply_all_pending(now)
        } else {
            self.reapply_touched();
            false
        };
        let (incidents, tickets) = (self.incidents.take_touched(), self.tickets.take_touched());
        if derived.clocks || windows_changed {
            self.rebuild_clocks(now);
        } else {
            self.update_clocks(&incidents, &tickets, now);
        }
        if derived.maintenance {
            self.drift.set_maintenance(self.calendar.windows());
        }
        if derived.markers {
            if derived.maintenance || windows_changed || incidents.len() > self.incidents.len() / 4 {
                self.drift.refresh_markers(self.incidents.spans());
            } else {
                let changed: Vec<_> = incidents.iter().map(|&i| self.incidents.row_at(i).span()).collect();
                self.drift.update_markers(&changed);
            }
        }
    }

    /// After every update: the list on screen keeps its selection in view (after a re-sort, new
    /// rows or a resize), and a list the user has not used yet shows its top, selected. Rows
    /// re-sorting under a list in use keep the selected item selected, by id (each tab's
    /// `reselect`), so a key never acts on an item the user is not looking at.
    fn reconcile_view(&mut self) {
        let rows = crate::console::layout::list_rows(self.body_height());
        let fresh = !self.seen.contains(&self.tab);
        self.tab_mut(self.tab).reconcile(rows, fresh);
    }

    /// The user has looked at and used `tab`'s list: from now on its selection is theirs.
    pub(crate) fn mark_seen(&mut self, tab: TabId) {
        self.seen.insert(tab);
    }

    fn on_event(&mut self, event: Event, now: DateTime<Utc>) -> Update {
        match event {
            Event::Key(key) => self.on_key(key, now),
            Event::Paste(text) => self.on_paste(&text),
            Event::Resize { width, height } => {
                self.size = (width, height);
                self.incidents.scroll_into_view(crate::console::layout::list_rows(self.body_height()));
                Update::changed()
            }
            Event::Tick => {
                if self.flash.as_ref().is_some_and(|f| f.until <= now) {
                    self.flash = None;
                }
                // A new day's occurrences of recurring windows may pause clocks anew.
                if self.calendar.refresh(now, self.settings.timezone) {
                    self.derived.clocks = true;
                }
                let mut update = Update::changed();
                update.effects.extend(self.retry_due(now));
                let critical = self.sla.newly_critical(now);
                if !critical.is_empty() && self.settings.sla.bell_on_critical() {
                    self.flash(Level::Error, format!("SLA critical: {}", critical.join("; ")), now);
                    update.effects.push(Effect::Terminal(TerminalEffect::Bell));
                }
                update
            }
            Event::CacheCounted { incidents, tickets } => {
                self.incidents.set_cached_total(incidents);
                self.tickets.set_cached_total(tickets);
                Update::changed()
            }
            Event::FirstTickets(tickets) => {
                self.tickets.upsert_many(tickets, &self.settings.sla);
                Update::changed()
            }
            Event::CacheLoaded(incidents) => {
                self.incidents.queue_merge(incidents);
                self.merge_cached()
            }
            Event::TicketsLoaded(tickets) => {
                // Room for the clocks of every ticket still to merge, so that no turn copies
                // the clock index as it doubles.
                self.sla.reserve(tickets.len());
                self.tickets.queue_merge(tickets);
                self.merge_cached()
            }
            Event::IncidentRead { id, result } => self.on_incident_read(&id, result, now),
            Event::TicketRead { key, result } => self.on_ticket_read(&key, result, now),
            Event::CacheMergeStep => {
                self.merge_queued = false;
                let filtered = self.filter_step();
                if filtered && !self.merging_cache() { Update::changed() } else { self.merge_cached() }
            }
            Event::DriftComputed(results) => {
                let changed = self.drift.accept(*results);
                Update { changed, effects: Vec::new() }
            }
            Event::MonitoringLoaded(rows) => {
                let changed = self.drift.merge_cached(*rows, self.incidents.spans());
                Update { changed, effects: Vec::new() }
            }
            Event::Synced(report) => self.on_synced(*report, now),
            Event::SyncFailed { error, at } => {
                let since = self.sync.failing.as_ref().map_or(at, |(since, _)| *since);
                let error = sanitize(&error).into_owned();
                let changed = self.sync.failing.as_ref().map(|(_, e)| e) != Some(&error);
                self.sync.failing = Some((since, error));
                // Nothing is sent to a backend that does not answer; the next good sync resumes.
                self.outbox.hold();
                Update { changed, effects: Vec::new() }
            }
            Event::Pushed(up) => self.on_pushed(up, now),
            Event::Identity(me) => {
                self.session.me = Some(Me { name: sanitize(&me.name).into_owned(), role: me.role });
                // Queued actions are shown as taken by us: now we know our name.
                self.derived.pending = true;
                Update::changed()
            }
            Event::Users(result) => self.on_users(result),
            Event::OutboxPersisted { key, error } => self.on_persisted(&key, error, now),
            Event::OutboxAnswered { key, result } => self.on_answered(&key, result, now),
            Event::Sources(sources) => {
                let changed = self.sync.sources != sources;
                self.sync.sources = sources;
                if changed { Update::changed() } else { Update::default() }
            }
            Event::Notice { target_id, text } => {
                self.flash(Level::Info, format!("{target_id}: {text}"), now);
                Update::changed()
            }
            Event::OutboxRetry => Update::changed().with(self.outbox.resume().into_iter().map(Effect::Outbox)),
            Event::Config(result) => self.on_config(result, now),
            Event::CalendarFile { path, services, result } => self.on_calendar_file(path, services, result, now),
            Event::EditorReturned { id, result } => self.on_editor_returned(&id, result, now),
            Event::DraftFileChanged { id, text } => self.on_draft_file(&id, text, now),
            Event::Journaled { id, at, error } => self.on_journaled(id, at, error, now),
            Event::DraftExported { id, result } => {
                match result {
                    Ok(path) => self.flash(
                        Level::Success,
                        format!("{id} exported to {path}; edits there are offered back"),
                        now,
                    ),
                    Err(error) => self.flash(Level::Error, format!("{id} not exported: {error}"), now),
                }
                Update::changed()
            }
            Event::NoteDraftSaved { incident_id, text, error } => self.on_note_saved(incident_id, &text, error, now),
            Event::WorkRewritten { keys, drafts, notes, error } => self.on_rewritten(keys, drafts, notes, error, now),
            Event::WorkWriteFailed { what, error } => {
                self.flash(Level::Error, format!("{what} ({error})"), now);
                Update::changed()
            }
            Event::Storage(notice) => self.on_storage(notice, now),
            Event::Shutdown { signal } => {
                tracing::info!(signal, "shutting down");
                self.quit = true;
                // A dropped SSH session (SIGHUP) loses no typing: it is journaled on the way out,
                // and a note being typed is kept as its draft.
                let journal = self.journal_now(now);
                let note = self.keep_open_note();
                Update::changed().with(journal).with(note).with([Effect::Terminal(TerminalEffect::Quit)])
            }
        }
    }

    /// The title of an incident or the subject of a ticket, as shown (sanitised when it arrived).
    pub fn title_of(&self, kind: EntityKind, id: &str) -> Option<&str> {
        match kind {
            EntityKind::Incident => self.incidents.row(id).map(|r| r.title_and_service().0),
            EntityKind::Ticket => self.tickets.row(id).map(|r| r.subject_and_service().0),
            EntityKind::Maintenance | EntityKind::Postmortem => None,
        }
    }

    /// The service an incident or ticket is on, as shown, read as the row holds it: the Calendar
    /// tab asks it of every clock on a frame.
    pub fn service_of(&self, kind: EntityKind, id: &str) -> Option<&str> {
        match kind {
            EntityKind::Incident => self.incidents.row(id).map(|r| r.title_and_service().1),
            EntityKind::Ticket => self.tickets.row(id).map(|r| r.subject_and_service().1),
            EntityKind::Maintenance | EntityKind::Postmortem => None,
        }
    }

    pub fn policy_for(&self, incident_id: &str) -> Option<&EscalationPolicy> {
        let row = self.incidents.row(incident_id)?;
        let service = self.catalog.services.get(&row.confirmed().service_id)?;
        self.catalog.policies.get(&service.escalation_policy_id)
    }

    fn on_config(&mut self, result: Result<Config, crate::config::ConfigError>, now: DateTime<Utc>) -> Update {
        match result {
            Ok(config) => {
                self.config_error = None;
                let (settings, mut warnings) = Settings::from_config(&config, self.settings.environment);
                let mut effects = Vec::new();
                if settings.poll_interval != self.settings.poll_interval {
                    effects.push(Effect::SetPollInterval(settings.poll_interval));
                }
                if settings.started_with != self.settings.started_with {
                    warnings.push("backend and token changes take effect after a restart".into());
                }
                let started_with = self.settings.started_with.clone();
                let policy_changed = settings.sla != self.settings.sla;
                self.settings = Settings { started_with, ..settings };
                if policy_changed {
                    self.tickets.repolicy(&self.settings.sla);
                    self.derived.clocks = true;
                }
                if warnings.is_empty() {
                    self.flash(Level::Success, "configuration reloaded", now);
                } else {
                    self.flash(Level::Warning, format!("configuration reloaded: {}", warnings.join("; ")), now);
                }
                Update::changed().with(effects)
            }
            Err(err) => {
                self.config_error = Some(sanitize(&err.to_string()).into_owned());
                self.flash(Level::Error, format!("{err} — keeping the previous configuration"), now);
                Update::changed()
            }
        }
    }

    /// Notices windows starting or ending at `now`; returns whether the set of active ones changed.
    fn follow_maintenance(&mut self, now: DateTime<Utc>) -> bool {
        let active: Vec<String> = self.calendar.active_ids(now).into_iter().map(str::to_string).collect();
        if active == self.active_windows {
            return false;
        }
        self.active_windows = active;
        let pauses = self.calendar.all_sla_pauses();
        self.tickets.follow_maintenance(pauses, true, now, &self.settings.sla);
        self.rebuild_clocks(now);
        true
    }

    /// Whether a maintenance window is active (as of the last update): the banner line shows.
    pub fn banner(&self) -> bool {
        !self.active_windows.is_empty()
    }

    /// The terminal's height less the maintenance banner: what lists lay out in.
    pub fn body_height(&self) -> u16 {
        self.size.1.saturating_sub(u16::from(self.banner()))
    }

    /// When something on screen changes by itself next: an age label, a countdown, a message
    /// expiring; or when an SLA clock enters the critical band (the bell rings on any tab).
    pub fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut next = self.flash.as_ref().map(|f| f.until);
        let mut consider = |at: DateTime<Utc>| {
            if next.is_none_or(|n| at < n) {
                next = Some(at);
            }
        };
        // On the whole second it happens in, as the frame shows it (the band and the bell agree).
        if let Some(at) = self.sla.next_band_change(now) {
            consider(crate::console::time::from_second(at));
        }
        if let Some(at) = self.drafts.journal_due {
            consider(at);
        }
        // Writes the disk refused are tried again.
        if let Some(at) = self.storage.retry_at {
            consider(at);
        }
        // "live" runs out by itself when no answer comes.
        if let Some(at) = self.sync.live_until(self.settings.poll_interval) {
            consider(at);
        }
        // The maintenance banner comes and goes with windows.
        if let Some(at) = self.calendar.next_change(now) {
            consider(at);
        }
        // What the tab on screen shows changes by itself: ages, countdowns.
        let cx = crate::console::tabs::WakeContext {
            now,
            rows: crate::console::layout::list_rows(self.body_height()),
            width: self.size.0,
            policy: &self.settings.sla,
            pauses: self.calendar.all_sla_pauses(),
        };
        if let Some(at) = self.focused().next_wake(&cx) {
            consider(at);
        }
        next
    }

    fn next_key(&mut self) -> String {
        self.key_seq += 1;
        format!("{}-{}", self.session.run_id, self.key_seq)
    }
}

/// A service as the backend (or the cache) gave it, with its names made safe to show (its name
/// is drawn beside every incident and ticket on it).
pub(crate) fn sanitized_service(mut service: crate::domain::Service) -> crate::domain::Service {
    let _ = crate::domain::caps::service(&mut service);
    for text in [&mut service.id, &mut service.name, &mut service.description] {
        crate::domain::text::sanitize_in_place(text);
    }
    service
}

/// An escalation policy as the backend (or the cache) gave it, its name made safe to show.
pub(crate) fn sanitized_policy(mut policy: EscalationPolicy) -> EscalationPolicy {
    let _ = crate::domain::caps::policy(&mut policy);
    crate::domain::text::sanitize_in_place(&mut policy.id);
    crate::domain::text::sanitize_in_place(&mut policy.name);
    policy
}

#[cfg(test)]
pub(crate) mod tests;
