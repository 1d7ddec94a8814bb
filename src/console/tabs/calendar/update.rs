//! What the Calendar tab does: by itself (its [`Tab`] impl) moving through the agenda and the
//! months, opening a window's details, its hints and header counts; with the root, planning,
//! editing, cancelling and importing maintenance windows (the form and the confirmation are
//! dialogs, the changes queued commands).
//!
//! Every change is a queued command (`Command::Maintenance`): shown at once and marked as queued,
//! kept on disk across restarts and sent once, like acknowledging an incident. Only commanders
//! change windows; the console says so before queueing anything the backend would refuse.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::api::Role;
use crate::console::action::Action;
use crate::console::effect::Effect;
use crate::console::keymap::Mode;
use crate::console::state::{AppState, Confirm, Input, InputKind, Level, Modal, Update};
use crate::console::tabs::calendar::form::MaintenanceForm;
use crate::console::tabs::calendar::{CalendarTab, META, QUEUED_ID_PREFIX};
use crate::console::tabs::{DETAIL_HINTS, Hints, Outcome, TAB_HINTS, Tab, TabContext, TabMeta, step};
use crate::domain::maintenance_ics::{ImportDefaults, plan_import, read_ics};
use crate::domain::text::sanitize;
use crate::domain::{Command, MaintenanceAction, NewMaintenance};

/// The outbox target of a window that does not exist yet.
pub const NEW_WINDOW_TARGET: &str = "new";

/// Calendar files larger than this are refused unread.
pub const MAX_CALENDAR_BYTES: u64 = 5 * 1024 * 1024;

const HINTS: Hints = &[
    (Action::Open, "details"),
    (Action::NewWindow, "new"),
    (Action::EditWindow, "edit"),
    (Action::CancelWindow, "cancel"),
    (Action::PrevMonth, "month"),
    (Action::NextMonth, "month"),
    (Action::ImportCalendar, "import .ics"),
];

impl Tab for CalendarTab {
    fn meta(&self) -> &'static TabMeta {
        &META
    }

    fn layers(&self) -> &'static [Mode] {
        &[Mode::Calendar]
    }

    fn update(&mut self, action: Action, cx: &TabContext<'_>) -> Outcome {
        if let Some(step) = step(action, cx.rows) {
            self.move_by(step.delta().clamp(-1000, 1000));
            return Outcome::Changed;
        }
        match action {
            Action::PrevMonth => self.shift_month(-1, cx.now, cx.zone),
            Action::NextMonth => self.shift_month(1, cx.now, cx.zone),
            Action::Today => self.today(cx.now, cx.zone),
            Action::Open if self.open_detail() => {}
            Action::Back if self.detail().is_some() => self.close_detail(),
            Action::Filter => {
                return Outcome::flash(Level::Info, "move between months with ← and →; t is this month");
            }
            _ => return Outcome::Unchanged,
        }
        Outcome::Changed
    }

    fn hints(&self, _layers: &[Mode]) -> [Hints; 2] {
        [HINTS, if self.detail().is_some() { DETAIL_HINTS } else { TAB_HINTS }]
    }

    fn counts(&self) -> String {
        format!("{} windows", self.windows().iter().filter(|w| !w.cancelled).count())
    }

    fn no_target(&self) -> &'static str {
        "on the Calendar tab: n plans a window, e edits it, x cancels it, i imports"
    }
}

impl AppState {
    pub(crate) fn on_maintenance_action(&mut self, action: Action, now: DateTime<Utc>) -> Update {
        match action {
            Action::NextField | Action::PrevField => {
                let Some(form) = self.modals.form_mut() else {
                    return Update::unchanged();
                };
                if action == Action::NextField {
                    form.next_field()
                } else {
                    form.prev_field()
                }
                Update::changed()
            }
            Action::ClearField => {
                let changed = self.modals.form_mut().is_some_and(MaintenanceForm::clear_field);
                Update { changed, effects: Vec::new() }
            }
            Action::NewWindow => {
                if let Some(refused) = self.refuse_planning(action, now) {
                    return refused;
                }
                let form = match self.drafts.form.take() {
                    Some(draft) if draft.editing().is_none() => draft,
                    other => {
                        self.drafts.form = other;
                        MaintenanceForm::new(&self.default_zone())
                    }
                };
                self.modals.push(Modal::Form(form));
                Update::changed()
            }
            Action::EditWindow | Action::CancelWindow => {
                if let Some(refused) = self.refuse_planning(action, now) {
                    return refused;
                }
                let Some(window) = self.calendar.selected_window() else {
                    self.flash(Level::Info, "no window selected: move to one in the agenda (j/k)", now);
                    return Update::changed();
                };
                let (id, title) = (window.id.clone(), window.title.clone());
                if id.starts_with(QUEUED_ID_PREFIX) {
                    self.flash(
                        Level::Info,
                        format!("“{title}” is still queued; change it once the backend has it"),
                        now,
                    );
                    return Update::changed();
                }
                let command = MaintenanceAction::Cancel;
                if let Err(rejection) = window.check(&command) {
                    self.flash(Level::Warning, rejection.describe(&id, now), now);
                    return Update::changed();
                }
                if action == Action::CancelWindow {
                    let title = match window.rrule {
                        Some(_) => format!("{title} (every occurrence)"),
                        None => title,
                    };
                    self.modals.push(Modal::Confirm(Confirm { id, title, command: Command::Maintenance(command) }));
                    return Update::changed();
                }
                let form = match self.drafts.form.take() {
                    Some(draft) if draft.editing().is_some_and(|(draft_id, _)| draft_id == id) => draft,
                    other => {
                        self.drafts.form = other;
                        MaintenanceForm::edit(window)
                    }
                };
                self.modals.push(Modal::Form(form));
                Update::changed()
            }
            Action::ImportCalendar => {
                if let Some(refused) = self.refuse_planning(action, now) {
                    return refused;
                }
                let mut textarea = ratatui_textarea::TextArea::new(vec![String::new()]);
                textarea.set_placeholder_text("FILE.ics [services for events that name none]; Enter imports");
                self.modals.push(Modal::Input(Input { kind: InputKind::ImportPath, textarea }));
                Update::changed()
            }
            _ => Update::unchanged(),
        }
    }

    /// Why the user may not change windows, said before anything is queued.
    fn refuse_planning(&mut self, action: Action, now: DateTime<Utc>) -> Option<Update> {
        let what = action.name().replace('_', " ");
        if let Some(reason) = self.read_only_reason() {
            self.flash(Level::Warning, format!("read-only: {what} is disabled ({reason})"), now);
            return Some(Update::changed());
        }
        let me = self.session.me.as_ref()?;
        if me.role >= Role::Commander {
            return None;
        }
        let role = me.role.label();
        self.flash(
            Level::Warning,
            format!("only commanders plan, edit or cancel maintenance windows (you are {role})"),
            now,
        );
        Some(Update::changed())
    }

    /// The time zone a new window is planned in: the display zone (UTC when the system gave only
    /// an offset).
    fn default_zone(&self) -> String {
        self.settings.timezone.named().name().to_string()
    }

    /// Enter on the form: queues the window when every field is right, else shows what is wrong
    /// beside each field and keeps the form open.
    pub(crate) fn submit_form(&mut self, now: DateTime<Utc>) -> Update {
        let mut known: Vec<String> = self.catalog.services.keys().cloned().collect();
        known.sort();
        let Some(form) = self.modals.form_mut() else {
            return Update::unchanged();
        };
        let Some(window) = form.submit(now, &known) else {
            let count = form.errors().len();
            let noun = if count == 1 { "field needs" } else { "fields need" };
            self.flash(Level::Warning, format!("{count} {noun} fixing; nothing was queued"), now);
            return Update::changed();
        };
        let editing = form.editing().map(|(id, version)| (id.to_string(), version));
        self.modals.take_form();
        match editing {
            Some((id, version)) => {
                self.enqueue_at(&id, Command::Maintenance(MaintenanceAction::Edit { window }), Some(version), now)
            }
            None => self.enqueue_at(NEW_WINDOW_TARGET, create(window), Some(0), now),
        }
    }

    /// Esc on the form: closes it; what was typed is kept as a draft for `n` (or `e`).
    pub(crate) fn close_form(&mut self, now: DateTime<Utc>) -> Update {
        let Some(form) = self.modals.take_form() else {
            return Update::unchanged();
        };
        if form.has_text() {
            let key = if form.editing().is_some() { "e" } else { "n" };
            self.flash(Level::Info, format!("window draft kept; press {key} to go on"), now);
            self.drafts.form = Some(form);
        }
        Update::changed()
    }

    /// Enter on the import prompt: reads the file off the UI task.
    pub(crate) fn start_import(&mut self, text: &str, now: DateTime<Utc>) -> Update {
        let Some((path, services)) = import_args(text) else {
            self.flash(Level::Info, "no file given; nothing was imported", now);
            return Update::changed();
        };
        self.flash(Level::Info, format!("reading {}…", path.display()), now);
        Update::changed().with([Effect::ReadCalendar { path, services }])
    }

    /// The calendar file was read: queues what the import does (see
    /// `domain::maintenance_ics::plan`: new windows, edits of windows imported from a changed
    /// event, cancellations), each as its own outbox entry. Each refused event is a message of
    /// its own, naming the event and the problem; the others are still queued.
    pub(crate) fn on_calendar_file(
        &mut self,
        path: PathBuf,
        services: Vec<String>,
        result: Result<String, String>,
        now: DateTime<Utc>,
    ) -> Update {
        let shown = sanitize(&path.display().to_string()).into_owned();
        let refused = |state: &mut AppState, why: String| {
            state.flash(Level::Error, format!("{shown}: {why}; nothing was imported"), now);
            Update::changed()
        };
        let text = match result {
            Ok(text) => text,
            Err(error) => return refused(self, error),
        };
        let known: Vec<String> = self.catalog.services.keys().cloned().collect();
        if let Some(unknown) = services.iter().find(|s| !known.is_empty() && !known.contains(s)) {
            return refused(self, format!("unknown service `{unknown}`"));
        }
        let file = match read_ics(&text, &ImportDefaults { services }) {
            Ok(file) => file,
            Err(error) => return refused(self, error.to_string()),
        };
        let mut plan = plan_import(file, &known, self.calendar.windows());
        // A window still on its way to the backend cannot be edited yet.
        let (waiting, update_now): (Vec<_>, Vec<_>) =
            plan.update.drain(..).partition(|c| c.id.starts_with(QUEUED_ID_PREFIX));
        plan.update = update_now;
        for change in waiting {
            let message = "its window is still being sent; import again once it is planned".to_string();
            plan.refused.push(crate::domain::maintenance_ics::IcsError::Event { event: change.event.name, message });
        }
        let mut update = Update::changed();
        let counts = (plan.create.len(), plan.update.len(), plan.cancel.len());
        for event in plan.create {
            update.effects.extend(self.queue_entry(NEW_WINDOW_TARGET, create(event.window), 0, now));
        }
        for change in plan.update {
            let command = Command::Maintenance(MaintenanceAction::Edit { window: change.event.window });
            let version = self.calendar.base_version(&change.id, &command).unwrap_or(change.version);
            update.effects.extend(self.queue_entry(&change.id, command, version, now));
        }
        for change in plan.cancel {
            let command = Command::Maintenance(MaintenanceAction::Cancel);
            let version = self.calendar.base_version(&change.id, &command).unwrap_or(change.version);
            update.effects.extend(self.queue_entry(&change.id, command, version, now));
        }
        self.derived.pending = true;
        // The refused events go to the messages (`m`); the footer shows the summary.
        for error in &plan.refused {
            let text = sanitize(&format!("{shown}: refused {error}")).into_owned();
            self.messages.push(crate::console::state::Message { at: now, level: Level::Error, text });
        }
        let when = if self.sync.is_stale() { "queued (offline)" } else { "sending…" };
        let (created, updated, cancelled) = counts;
        let mut text = format!(
            "{shown}: {created} new, {updated} updated, {cancelled} cancelled {when}; {} unchanged",
            plan.unchanged.len()
        );
        if !plan.refused.is_empty() {
            text.push_str(&format!("; {} refused (see messages)", plan.refused.len()));
        }
        let level = if plan.refused.is_empty() { Level::Info } else { Level::Warning };
        self.flash(level, text, now);
        update
    }
}

fn create(window: NewMaintenance) -> Command {
    Command::Maintenance(MaintenanceAction::Create { window })
}

/// `FILE [services…]`: the path (quoted if it has spaces, `~/` for home) and the services for
/// events that name none (separated by commas or spaces).
pub fn import_args(text: &str) -> Option<(PathBuf, Vec<String>)> {
    let text = text.trim();
    let (path, rest) = match text.strip_prefix('"') {
        Some(quoted) => quoted.split_once('"')?,
        None => text.split_once(char::is_whitespace).unwrap_or((text, "")),
    };
    if path.is_empty() {
        return None;
    }
    let path = crate::config::expand_home(path);
    let services = rest.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    Some((path, services))
}
