//! What comes back from the backend: sync reports (changes to take in, records skipped) and the
//! outbox's answers (confirmed items, refusals), and the optimistic view of items with queued
//! actions.
//!
//! A record a page had that could not be read is said once (the status line names the first,
//! the message log `L` each one); the same record sent again is not said again. An action the
//! backend applied whose answer cannot be read is done, not failed: it completes with the item as
//! the console last had it (at the new version when the answer gave it), and the user is told
//! the item is shown as before until a readable copy arrives — it is never sent again.

use chrono::{DateTime, Utc};

use super::{AppState, Level, Push, Update};
use crate::api::{Change, SkippedRecord};
use crate::backend::BackendError;
use crate::console::effect::{Effect, TerminalEffect};
use crate::console::event::SyncReport;
use crate::console::outbox::OutboxEffect;
use crate::console::tabs::drift::DriftTab;
use crate::console::tabs::sla::Changed;
use crate::domain::{Command, Entity, EntityKind, IncidentStatus, PostmortemAction, Priority};

/// How many skipped records one page's report writes to the message log.
pub const SKIPPED_LOGGED: usize = 20;
/// Reported records remembered before the memory starts over.
const REPORTED_KEPT: usize = 10_000;

impl AppState {
    /// The change stream is up (a heartbeat or an announcement: the server is there, so live
    /// goes on as after an answer), or went down (the badge says the console polls).
    pub(crate) fn on_pushed(&mut self, up: bool, now: DateTime<Utc>) -> Update {
        let before = self.sync.push;
        self.sync.push = if up { Push::Up } else { Push::Down };
        if up && self.sync.live && self.sync.failing.is_none() {
            self.sync.last_ok = Some(now);
        }
        if before == self.sync.push { Update::default() } else { Update::changed() }
    }

    pub(crate) fn on_synced(&mut self, report: SyncReport, now: DateTime<Utc>) -> Update {
        let mut update = Update { changed: !self.sync.live || self.sync.failing.is_some(), effects: Vec::new() };
        self.sync.last_ok = Some(report.at);
        self.sync.failing = None;
        self.sync.live = true;
        if report.reset {
            self.incidents.clear();
            self.tickets.clear();
            self.catalog.services.clear();
            self.catalog.policies.clear();
            self.drift = DriftTab::default();
            self.calendar.clear();
            self.postmortems.clear();
            // Every clock goes, and every item's optimistic view is made again.
            self.derived.clocks = true;
            self.derived.pending = true;
            // The demo server is new on every start; a reset there is expected, not news.
            if !self.session.demo {
                self.flash(Level::Warning, "the server's database was replaced; showing its data from scratch", now);
            }
            update.changed = true;
        }
        self.sync.epoch = Some(report.epoch.clone());
        let catching_up = report.progress.filter(|_| report.more);
        update.changed |= self.sync.catching_up != catching_up;
        self.sync.catching_up = catching_up;
        update.changed |= self.report_skipped(&report.skipped, &report.unknown_kinds, now);
        let mut incidents = Vec::new();
        let mut tickets = Vec::new();
        let (mut models, mut windows, mut quality) = (Vec::new(), Vec::new(), Vec::new());
        let mut maintenance = Vec::new();
        for change in report.changes {
            match change {
                Change::Incident(incident) => incidents.push(incident),
                // Made whole by the poller before a page is shown (`console::sync`).
                Change::IncidentTail(_) => {}
                Change::Service(service) => {
                    let service = crate::console::state::sanitized_service(service);
                    self.catalog.services.insert(service.id.clone(), service);
                }
                Change::EscalationPolicy(policy) => {
                    let policy = crate::console::state::sanitized_policy(policy);
                    self.catalog.policies.insert(policy.id.clone(), policy);
                }
                Change::Ticket(ticket) => tickets.push(ticket),
                Change::Model(model) => models.push(model),
                Change::DriftWindow(window) => windows.push(window),
                Change::Quality(point) => quality.push(point),
                Change::Maintenance(window) => maintenance.push(window),
                Change::Postmortem(postmortem) => {
                    self.derived.pending = true;
                    self.note_postmortem(&postmortem, &mut update.effects);
                    self.postmortems.upsert_many(vec![postmortem]);
                    update.changed = true;
                }
            }
        }
        // The page's incidents and tickets are put in place and their clocks alone redone; those
        // with queued actions show them again (`refresh_derived`): nothing else is touched.
        if !tickets.is_empty() {
            update.changed = true;
            self.tickets.upsert_many(tickets, &self.settings.sla);
        }
        if !incidents.is_empty() {
            update.changed = true;
            // Incidents whose page a window held back, to notice the page going out.
            let held_before: Vec<String> = incidents
                .iter()
                .filter(|i| self.incidents.row(&i.id).is_some_and(|row| row.confirmed().page_held().is_some()))
                .map(|i| i.id.clone())
                .collect();
            let new_ids = self.incidents.upsert_many(incidents);
            if !report.from_empty && self.settings.bell_on_new_p1 {
                self.announce_p1s(&new_ids, &held_before, now, &mut update);
            }
            self.derived.markers = true;
        }
        update.changed |= self.drift.absorb(models, windows, quality, self.incidents.spans());
        if !maintenance.is_empty() {
            self.derived.pending = true;
            self.calendar.upsert_many(maintenance, now, self.settings.timezone);
            self.derived.clocks = true;
            self.derived.maintenance = true;
            self.derived.markers = true;
            update.changed = true;
        }
        if !report.more {
            // The server is reachable and we know its database: queued actions may go.
            let epoch = report.epoch;
            let mut effects = self.outbox.epoch_known(&epoch, now);
            effects.extend(self.outbox.resume_after_sync(now));
            let more = self.note_outbox_effects(&effects, now);
            update.changed |= !effects.is_empty();
            update.effects.extend(effects.into_iter().map(Effect::Outbox));
            update.effects.extend(more);
        }
        update
    }

    /// "new P1" and the bell, by the server's rule: a P1 whose page a maintenance window holds
    /// back (or that arrives on a service such a window covers now) is said to have arrived
    /// suppressed, without the bell; when its page goes out after the window, that rings.
    fn announce_p1s(&mut self, new_ids: &[String], held_before: &[String], now: DateTime<Utc>, update: &mut Update) {
        let p1 = |s: &Self, id: &String| {
            s.incidents
                .row(id)
                .map(|row| row.confirmed().into_owned())
                .filter(|i| i.priority == Priority::P1 && i.status == IncidentStatus::Triggered)
        };
        let (mut ringing, mut quiet) = (Vec::new(), Vec::new());
        for incident in new_ids.iter().filter_map(|id| p1(self, id)) {
            let held = incident.held_by().map(str::to_string).or_else(|| {
                crate::domain::maintenance::suppression_for(self.calendar.windows(), &incident.service_id, now)
                    .map(|s| s.window_id)
            });
            match held {
                Some(window) => {
                    quiet.push(format!("{} {} (suppressed by {window}, nobody paged)", incident.id, incident.title))
                }
                None => ringing.push(format!("new P1: {} {}", incident.id, incident.title)),
            }
        }
        for incident in held_before.iter().filter_map(|id| p1(self, id)).filter(|i| i.page_held().is_none()) {
            let paged = incident.last_event().is_some_and(|e| e.kind == crate::domain::EventKind::Notified);
            if paged {
                ringing.push(format!("P1 paged after maintenance: {} {}", incident.id, incident.title));
            }
        }
        if !ringing.is_empty() {
            // A warning, not an error: it rings, and does not hide a refusal being read.
            self.flash(Level::Warning, ringing.join("; "), now);
            update.effects.push(Effect::Terminal(TerminalEffect::Bell));
        } else if !quiet.is_empty() {
            self.flash(Level::Warning, format!("new P1 under maintenance: {}", quiet.join("; ")), now);
        }
    }

    /// Says what a page skipped, once per bad record: the status line the first (and how many),
    /// the message log each of them (the first [`SKIPPED_LOGGED`]). Returns whether it said
    /// anything.
    fn report_skipped(&mut self, skipped: &[SkippedRecord], unknown_kinds: &[String], now: DateTime<Utc>) -> bool {
        if self.sync.reported.len() > REPORTED_KEPT {
            self.sync.reported.clear();
        }
        let mut said = false;
        for kind in unknown_kinds {
            if self.sync.reported.insert(format!("kind\u{0}{kind}")) {
                let text = format!("the backend sends `{kind}` records, which this console does not know; skipped");
                self.flash(Level::Info, text, now);
                said = true;
            }
        }
        let fresh: Vec<String> =
            skipped.iter().filter(|r| self.sync.reported.insert(r.identity())).map(SkippedRecord::describe).collect();
        match fresh.as_slice() {
            [] => {}
            [one] => self.flash(Level::Warning, format!("1 record skipped: {one}"), now),
            [first, ..] => {
                for text in fresh.iter().take(SKIPPED_LOGGED) {
                    self.log(Level::Warning, format!("skipped: {text}"), now);
                }
                if fresh.len() > SKIPPED_LOGGED {
                    let rest = fresh.len() - SKIPPED_LOGGED;
                    self.log(Level::Warning, format!("and {rest} more skipped records (the log file lists each)"), now);
                }
                let text = format!("{} records skipped: {first}; … (L lists them)", fresh.len());
                self.flash(Level::Warning, text, now);
            }
        }
        said || !fresh.is_empty()
    }

    pub(crate) fn on_answered(
        &mut self,
        key: &str,
        result: Result<Entity, BackendError>,
        now: DateTime<Utc>,
    ) -> Update {
        let (result, unreadable) = match result {
            Err(BackendError::AppliedUnreadable { version, problem }) => match self.applied_stand_in(key, version) {
                Some(entity) => (Ok(entity), Some(problem)),
                None => (Err(BackendError::AppliedUnreadable { version, problem }), None),
            },
            other => (other, None),
        };
        let effects = self.outbox.answered(key, result, now);
        let more = self.note_outbox_effects(&effects, now);
        if let Some(problem) = unreadable {
            let done = effects.iter().find_map(|e| match e {
                OutboxEffect::Complete { entry, .. } if entry.key == key => Some(entry.target_id.clone()),
                _ => None,
            });
            if let Some(id) = done {
                let text = format!(
                    "{id}: the backend applied it but sent back an item this console cannot read ({problem}); \
                     {id} is shown as before until a readable copy arrives"
                );
                self.flash(Level::Warning, text, now);
            }
        }
        Update::changed().with(effects.into_iter().map(Effect::Outbox)).with(more)
    }

    /// What stands for the item an applied action returned unreadable: the item as the console
    /// has it, at the server's new version (or one past the known one), so queued actions after
    /// it are sent against that version. `None` when the console does not have the item.
    fn applied_stand_in(&self, key: &str, version: Option<i64>) -> Option<Entity> {
        let entry = self.outbox.pending().find(|e| e.key == key)?;
        let id = entry.target_id.as_str();
        let mut entity = match entry.action.kind() {
            EntityKind::Incident => Entity::Incident(self.incidents.row(id)?.confirmed().into_owned()),
            EntityKind::Ticket => Entity::Ticket(self.tickets.row(id)?.confirmed().into_owned()),
            EntityKind::Maintenance => Entity::Maintenance(self.calendar.window(id)?.clone()),
            EntityKind::Postmortem => Entity::Postmortem(self.postmortems.get(id)?.clone()),
        };
        let known = entity.version();
        let version = version.unwrap_or(known + 1).max(known);
        match &mut entity {
            Entity::Incident(i) => i.version = version,
            Entity::Ticket(t) => t.version = version,
            Entity::Maintenance(w) => w.version = version,
            Entity::Postmortem(p) => p.version = version,
        }
        Some(entity)
    }

    /// Applies what outbox effects mean for the screen: confirmed incidents, messages.
    pub(crate) fn note_outbox_effects(&mut self, effects: &[OutboxEffect], now: DateTime<Utc>) -> Vec<Effect> {
        let mut more = Vec::new();
        for effect in effects {
            match effect {
                OutboxEffect::Complete { entry, entity, .. } => {
                    let text = format!("✓ {} {}", entity.id(), entry.action.done());
                    if let Entity::Postmortem(pm) = entity {
                        self.note_postmortem(pm, &mut more);
                    }
                    self.store_entity(entity.clone(), now);
                    self.flash(Level::Success, text, now);
                }
                OutboxEffect::Reject { rejected, current } => {
                    if let Some(entity) = current {
                        self.store_entity(entity.clone(), now);
                    }
                    if let (Command::Postmortem(PostmortemAction::Save { draft, .. }), Some(current)) =
                        (&rejected.entry.action, current)
                    {
                        self.postmortem_conflict(draft, &rejected.entry.target_id, current, now);
                        continue;
                    }
                    let kept = match &rejected.entry.action.text() {
                        Some(_) => " (the text you typed is kept: press o)",
                        None => "",
                    };
                    self.flash(Level::Error, format!("✗ {}{kept}", rejected.reason), now);
                }
                OutboxEffect::RecordAttempt { key, error } => {
                    let id =
                        self.outbox.pending().find(|e| &e.key == key).map(|e| e.target_id.clone()).unwrap_or_default();
                    self.flash(Level::Warning, format!("⧗ {id}: not sent yet, will retry ({error})"), now);
                }
                _ => {}
            }
        }
        self.derived.pending = true;
        more
    }

    /// Keeps an incident, ticket or window a backend returned.
    pub(crate) fn store_entity(&mut self, entity: Entity, now: DateTime<Utc>) {
        match entity {
            Entity::Incident(incident) => {
                self.incidents.upsert_many(vec![incident]);
            }
            Entity::Ticket(ticket) => {
                self.tickets.upsert_many(vec![ticket], &self.settings.sla);
            }
            Entity::Maintenance(window) => {
                self.calendar.upsert_many(vec![window], now, self.settings.timezone);
            }
            Entity::Postmortem(postmortem) => self.postmortems.upsert_many(vec![postmortem]),
        }
    }

    /// Recomputes the optimistic view of every item with queued actions and clears it from items
    /// that have none left (their clocks are redone with the others touched, see
    /// `refresh_derived`). Returns whether the maintenance windows as shown changed: then every
    /// clock must be rebuilt.
    pub(crate) fn reapply_all_pending(&mut self, now: DateTime<Utc>) -> bool {
        let me = self.me_name().to_string();
        let queued = |kind: EntityKind| -> std::collections::BTreeSet<String> {
            self.outbox.pending().filter(|e| e.action.kind() == kind).map(|e| e.target_id.clone()).collect()
        };
        let (incident_ids, ticket_keys) = (queued(EntityKind::Incident), queued(EntityKind::Ticket));
        let mut ids: Vec<String> =
            self.incidents.ids_with_pending().filter(|id| !incident_ids.contains(*id)).cloned().collect();
        ids.extend(incident_ids);
        let mut keys: Vec<String> =
            self.tickets.keys_with_pending().filter(|k| !ticket_keys.contains(*k)).map(str::to_string).collect();
        keys.extend(ticket_keys);
        self.apply_pending_to(&ids, &keys, &me);
        let windows = self
            .outbox
            .pending()
            .filter_map(|e| match &e.action {
                Command::Maintenance(action) => Some((e.target_id.clone(), action.clone())),
                _ => None,
            })
            .collect();
        let windows_changed = self.calendar.set_pending(windows, &me, now, self.settings.timezone);
        if windows_changed {
            self.drift.set_maintenance(self.calendar.windows());
        }
        windows_changed
    }

    /// The incidents `ids` and tickets `keys` show their queued actions as of now (none left: the
    /// confirmed item).
    fn apply_pending_to(&mut self, ids: &[String], keys: &[String], me: &str) {
        for id in ids {
            let policy = self.policy_for(id).cloned();
            self.incidents.apply_pending(id, self.outbox.pending_for(id), me, policy.as_ref());
        }
        for key in keys {
            self.tickets.apply_pending(key, self.outbox.pending_for(key), me, &self.settings.sla);
        }
    }

    /// After a page stored items: those of them with queued actions show them again (a new
    /// confirmed version dropped what they showed). Only the page's items are looked at.
    pub(crate) fn reapply_touched(&mut self) {
        if self.outbox.pending().next().is_none() {
            return;
        }
        let me = self.me_name().to_string();
        let queued: std::collections::HashSet<&str> = self.outbox.pending().map(|e| e.target_id.as_str()).collect();
        let ids: Vec<String> = self
            .incidents
            .touched()
            .iter()
            .map(|&i| self.incidents.row_at(i).id())
            .filter(|id| queued.contains(id))
            .map(str::to_string)
            .collect();
        let keys: Vec<String> = self
            .tickets
            .touched()
            .iter()
            .map(|&i| self.tickets.row_at(i).id())
            .filter(|key| queued.contains(key))
            .map(str::to_string)
            .collect();
        self.apply_pending_to(&ids, &keys, &me);
    }

    /// The SLA tab's clocks from the open tickets and incidents as shown, all of them.
    pub(crate) fn rebuild_clocks(&mut self, now: DateTime<Utc>) {
        self.incidents.take_touched();
        self.tickets.take_touched();
        self.tickets.follow_maintenance(self.calendar.all_sla_pauses(), false, now, &self.settings.sla);
        let tickets = self.tickets.all().map(|r| r.ticket());
        self.sla.rebuild(self.incidents.open_incidents(), tickets, &self.settings.sla, &self.calendar, now);
    }

    /// The SLA tab's clocks of the incidents and tickets (storage indices) stored or shown anew:
    /// only theirs, unless they are as many as the items a rebuild reads (the open incidents and
    /// every ticket), then all. Resolved incidents have no clocks: a slice of the cache's
    /// resolved rows does not rebuild the clocks of the open ones.
    pub(crate) fn update_clocks(&mut self, incidents: &[usize], tickets: &[usize], now: DateTime<Utc>) {
        if incidents.is_empty() && tickets.is_empty() {
            return;
        }
        // What a rebuild reads against the changed items that have clocks: a resolved incident
        // has none (one that had is only taken off, which costs a lookup).
        let held = (self.incidents.open_count() + self.tickets.len()).max(self.sla.rows().len());
        let open = incidents.iter().filter(|&&i| self.incidents.row_at(i).is_open()).count();
        if open + tickets.len() > held / 2 + 64 {
            return self.rebuild_clocks(now);
        }
        let changed: Vec<Changed<'_>> = incidents
            .iter()
            .map(|&i| self.incidents.row_at(i))
            // A closed incident has no clocks: its old ones go, and its row is not rebuilt.
            .map(|row| Changed::Incident(row.id(), row.is_open().then(|| row.incident())))
            .chain(
                tickets
                    .iter()
                    .map(|&i| self.tickets.row_at(i))
                    .map(|row| Changed::Ticket(row.id(), Some(row.ticket()))),
            )
            .collect();
        self.sla.update_items(&changed, &self.settings.sla, &self.calendar, now);
    }
}
