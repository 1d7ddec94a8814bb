//! Acting on the item on screen: which item a key acts on, the checks before anything is
//! queued (read-only, the domain's rules as shown), and putting the command in the outbox.

use chrono::{DateTime, Utc};

use super::{AppState, Level, Update};
use crate::console::action::Action;
use crate::console::effect::Effect;
use crate::console::outbox::OutboxEntry;
use crate::domain::{Command, EntityKind, MaintenanceAction, Rejection};

impl AppState {
    /// The item actions apply to on this tab: id, title, and whether `probe` would apply.
    pub(crate) fn target(&self, probe: Option<&Command>) -> Option<(String, String, Result<(), Rejection>)> {
        self.focused().action_target(probe, self.me_name())
    }

    /// Checks that a dangerous action may be taken on the target (and that `probe` would
    /// apply to it as shown); runs `then` with its id and title if so.
    pub(crate) fn prepare(
        &mut self,
        action: Action,
        probe: Option<&Command>,
        now: DateTime<Utc>,
        then: impl FnOnce(&mut AppState, String, String),
    ) -> Update {
        if let Some(reason) = self.read_only_reason() {
            self.flash(
                Level::Warning,
                format!("read-only: {} is disabled ({reason})", action.name().replace('_', " ")),
                now,
            );
            return Update::changed();
        }
        let Some((id, title, check)) = self.target(probe) else {
            let what = self.focused().no_target();
            self.flash(Level::Info, what, now);
            return Update::changed();
        };
        if let Err(rejection) = check {
            let text = rejection.describe(&id, now);
            self.flash(Level::Warning, text, now);
            return Update::changed();
        }
        then(self, id, title);
        Update::changed()
    }

    /// Queues `command` on the target at once (after the same checks as `prepare`).
    pub(crate) fn act(&mut self, action: Action, command: Command, now: DateTime<Utc>) -> Update {
        let mut target = None;
        let update = self.prepare(action, Some(&command), now, |_, id, _| target = Some(id));
        match target {
            Some(id) => self.enqueue(&id, command, now),
            None => update,
        }
    }

    /// Queues a command on the item as shown: persisted, shown at once as pending, sent when it
    /// can be.
    pub(crate) fn enqueue(&mut self, id: &str, command: Command, now: DateTime<Utc>) -> Update {
        self.enqueue_at(id, command, None, now)
    }

    /// [`Self::enqueue`], taken against `seen` (the version the user saw) when given.
    pub(crate) fn enqueue_at(&mut self, id: &str, command: Command, seen: Option<i64>, now: DateTime<Utc>) -> Update {
        let base_version = seen.or_else(|| match command.kind() {
            EntityKind::Incident => self.incidents.row(id).map(|r| r.version()),
            EntityKind::Ticket => self.tickets.row(id).map(|r| r.version()),
            EntityKind::Maintenance => self.calendar.base_version(id, &command),
            EntityKind::Postmortem => Some(self.postmortems.base_version(id)),
        });
        let Some(base_version) = base_version else {
            self.flash(Level::Warning, format!("{id} is no longer known here"), now);
            return Update::changed();
        };
        let verb = command.verb();
        let what = match &command {
            Command::Maintenance(MaintenanceAction::Create { window }) => format!("“{}”", window.title),
            _ => format!("{id}:"),
        };
        let effects = self.queue_entry(id, command, base_version, now);
        self.derived.pending = true;
        let when = if self.sync.is_stale() { "queued (offline)" } else { "sending…" };
        self.flash(Level::Info, format!("⧗ {what} {verb} {when}"), now);
        Update::changed().with(effects)
    }

    /// Puts one command in the outbox; the caller shows it (`derived.pending`).
    pub(crate) fn queue_entry(
        &mut self,
        id: &str,
        command: Command,
        base_version: i64,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let entry = OutboxEntry {
            key: self.next_key(),
            target_id: id.to_string(),
            base_version,
            epoch: self.sync.epoch.clone(),
            created_at: now,
            attempts: 0,
            last_error: None,
            action: command,
        };
        self.outbox.enqueue(entry).into_iter().map(Effect::Outbox).collect()
    }
}
