//! What the Postmortems tab and the editor do: by itself (the tab's [`Tab`] impl) moving through
//! the list, the status filter, its hints and header counts; with the root, opening a postmortem
//! in the editor or drafting one from an incident, journaling every edit within 250 ms, saving
//! through the outbox, moving the status on, keeping both texts on a 409, and handing the draft
//! to `$EDITOR`.

use chrono::{DateTime, Duration, Utc};

use crate::api::Role;
use crate::cache::JournaledDraft;
use crate::console::action::Action;
use crate::console::clocks::Which;
use crate::console::effect::{Effect, TerminalEffect};
use crate::console::keymap::Mode;
use crate::console::state::{AppState, Level, Modal, Update};
use crate::console::tabs::postmortems::editor::{HandOff, PostmortemEditor};
use crate::console::tabs::postmortems::{META, PostmortemsTab};
use crate::console::tabs::{Hints, Outcome, Request, TAB_HINTS, Tab, TabContext, TabId, TabMeta, step};
use crate::domain::postmortem::{draft_from_file, draft_to_file, postmortem_id, validate};
use crate::domain::postmortem_template::{self, SlaBreach, TemplateInput};
use crate::domain::{
    Command, Entity, Incident, Postmortem, PostmortemAction, PostmortemDraft, PostmortemStatus, Ticket,
};

/// Typing is journaled at most this long after it happens (the issue allows 250 ms; the write
/// itself takes a few milliseconds).
pub const JOURNAL_DELAY: Duration = Duration::milliseconds(200);

const HINTS: Hints = &[
    (Action::Open, "edit"),
    (Action::CycleStatusFilter, "status filter"),
    (Action::AdvanceStatus, "next status"),
    (Action::ExportMarkdown, "export"),
];

impl Tab for PostmortemsTab {
    fn meta(&self) -> &'static TabMeta {
        &META
    }

    fn layers(&self) -> &'static [Mode] {
        &[Mode::Postmortems]
    }

    fn update(&mut self, action: Action, cx: &TabContext<'_>) -> Outcome {
        if let Some(step) = step(action, cx.rows) {
            self.move_by(step.delta().clamp(-1000, 1000));
            return Outcome::Changed;
        }
        match action {
            Action::Open => match self.selected() {
                Some(pm) => Outcome::Request(Request::OpenEditor { id: pm.id.clone() }),
                None => Outcome::Unchanged,
            },
            Action::CycleStatusFilter => {
                self.cycle_filter();
                Outcome::Changed
            }
            Action::Filter => Outcome::flash(Level::Info, "f shows drafts, in review or published ones"),
            _ => Outcome::Unchanged,
        }
    }

    /// The editor's own hints are the dialog's (`editor::HINTS`), drawn over these.
    fn hints(&self, _layers: &[Mode]) -> [Hints; 2] {
        [HINTS, TAB_HINTS]
    }

    fn counts(&self) -> String {
        format!("{} postmortems", self.listed_len())
    }

    fn no_target(&self) -> &'static str {
        "on the Postmortems tab: Enter edits, s moves the status, E exports"
    }
}

impl AppState {
    /// The editor's and the list's actions that need the root: the drafts, the outbox, the role.
    pub(crate) fn on_postmortem_action(&mut self, action: Action, now: DateTime<Utc>) -> Update {
        match action {
            Action::AdvanceStatus => self.advance_status(now),
            Action::ExportMarkdown => {
                let Some(pm) = self.postmortems.selected() else {
                    self.flash(Level::Info, "no postmortem selected", now);
                    return Update::changed();
                };
                let draft = self.drafts.postmortems.get(&pm.id).map_or_else(|| pm.draft(), |d| d.draft.clone());
                let text = draft_to_file(&pm.id, &pm.incident_id, &draft);
                Update::changed().with([Effect::ExportDraft { id: pm.id.clone(), text }])
            }
            Action::SavePostmortem => self.save(now),
            Action::ExternalEditor => {
                let Some(editor) = self.modals.editor_mut() else { return Update::unchanged() };
                let text = draft_to_file(&editor.id, &editor.incident_id, &editor.draft());
                let id = editor.id.clone();
                editor.hand_off = HandOff::Out;
                let mut update = Update::changed();
                update.effects.extend(self.journal_now(now));
                update.with([Effect::Terminal(TerminalEffect::ExternalEditor { id, text })])
            }
            Action::Find => {
                if let Some(editor) = self.modals.editor_mut() {
                    editor.open_search();
                }
                Update::changed()
            }
            Action::CloseEditor => {
                let Some(editor) = self.modals.editor_mut() else { return Update::unchanged() };
                if editor.close_search() {
                    return Update::changed();
                }
                let effects = self.journal_now(now);
                if let Some(editor) = self.modals.take_editor()
                    && self.drafts.postmortems.contains_key(&editor.id)
                {
                    self.flash(Level::Info, format!("draft of {} kept; Enter on it goes on", editor.id), now);
                }
                Update::changed().with(effects)
            }
            Action::TakeTheirs | Action::KeepMine | Action::SaveMineOnTop => self.resolve_conflict(action, now),
            Action::LoadFromDisk => {
                let Some(editor) = self.modals.editor_mut() else { return Update::unchanged() };
                let Some(text) = editor.offer.take() else {
                    self.flash(Level::Info, "nothing changed on disk", now);
                    return Update::changed();
                };
                editor.replace(&draft_from_file(&text));
                self.flash(Level::Info, "loaded the draft from disk (ctrl-u undoes nothing before it)", now);
                Update::changed()
            }
            _ => Update::unchanged(),
        }
    }

    /// `p` on an incident: its postmortem in the editor — the journaled draft, the backend's
    /// text, or a new draft from the template.
    pub(crate) fn draft_postmortem(&mut self, incident: Incident, now: DateTime<Utc>) -> Update {
        let id = postmortem_id(&incident.id);
        if self.drafts.postmortems.contains_key(&id) || self.postmortems.get(&id).is_some() {
            self.open_editor(&id, now);
            return Update::changed();
        }
        let draft = self.render_template(&incident, now);
        let mut editor = PostmortemEditor::new(&id, &incident.id, 0, &draft);
        editor.unjournaled = true;
        self.modals.push(Modal::Editor(editor));
        self.tab = TabId::Postmortems;
        self.flash(Level::Info, format!("{id} drafted from {}; ctrl-s saves it", incident.id), now);
        Update::changed().with(self.journal_now(now))
    }

    /// Opens `id` in the editor: the journaled draft when there is one, else the backend's text.
    pub(crate) fn open_editor(&mut self, id: &str, now: DateTime<Utc>) {
        let editor = match (self.drafts.postmortems.get(id), self.postmortems.get(id)) {
            (Some(journaled), _) => {
                PostmortemEditor::new(id, &journaled.incident_id, journaled.base_version, &journaled.draft)
            }
            (None, Some(pm)) => PostmortemEditor::new(id, &pm.incident_id, pm.version, &pm.draft()),
            (None, None) => return self.flash(Level::Warning, format!("{id} is not known here"), now),
        };
        self.modals.push(Modal::Editor(editor));
        self.tab = TabId::Postmortems;
    }

    fn render_template(&self, incident: &Incident, now: DateTime<Utc>) -> PostmortemDraft {
        let linked: Vec<_> = self
            .tickets
            .all()
            .filter(|r| r.linked_incident() == Some(incident.id.as_str()))
            .map(|r| r.ticket())
            .collect();
        let tickets: Vec<&Ticket> = linked.iter().map(AsRef::as_ref).collect();
        let policy = &self.settings.sla;
        let mut breaches = Vec::new();
        let mut clock = |id: &str, input: crate::console::clocks::ClockInput| {
            let state = input.evaluate(policy, now);
            if state.breached {
                let target = input.target(policy);
                let overdue_by = state.overdue.unwrap_or(-state.remaining);
                let clock = input.which.label();
                breaches.push(SlaBreach { id: id.to_string(), clock, target, overdue_by });
            }
        };
        for which in Which::BOTH {
            clock(&incident.id, self.calendar.incident_clock(incident, which));
            for t in &tickets {
                clock(&t.key, self.calendar.ticket_clock(t, which));
            }
        }
        let tz = self.settings.timezone.named();
        let input = TemplateInput { incident, tickets, breaches, tz, now };
        let template = self.settings.postmortem_template.as_deref().unwrap_or(postmortem_template::TEMPLATE);
        PostmortemDraft {
            title: postmortem_template::title(incident),
            body: postmortem_template::render(template, &input),
        }
    }

    /// Ctrl-s: checks the text and queues the save against the revision it is based on.
    fn save(&mut self, now: DateTime<Utc>) -> Update {
        let Some(editor) = self.modals.editor() else { return Update::unchanged() };
        if let Some(reason) = self.read_only_reason() {
            self.flash(
                Level::Warning,
                format!("read-only: saving is disabled ({reason}); the draft stays journaled"),
                now,
            );
            return Update::changed();
        }
        let draft = editor.draft();
        if let Err(problem) = validate(&draft) {
            self.flash(Level::Warning, format!("not saved: {problem}"), now);
            return Update::changed();
        }
        let (id, incident_id, base) = (editor.id.clone(), editor.incident_id.clone(), editor.base_version);
        let mut effects = self.journal_now(now);
        let command = Command::Postmortem(PostmortemAction::Save { incident_id, draft });
        let mut update = self.enqueue_at(&id, command, Some(base), now);
        effects.append(&mut update.effects);
        update.effects = effects;
        update
    }

    /// `s`: draft → in review → published; only commanders publish, and only a postmortem whose
    /// edits are all saved moves on.
    fn advance_status(&mut self, now: DateTime<Utc>) -> Update {
        let Some(pm) = self.postmortems.selected() else {
            self.flash(Level::Info, "no postmortem selected", now);
            return Update::changed();
        };
        let Some(next) = pm.status.next() else {
            self.flash(Level::Info, format!("{} is published; nothing comes after", pm.id), now);
            return Update::changed();
        };
        if let Some(reason) = self.read_only_reason() {
            self.flash(Level::Warning, format!("read-only: moving postmortems is disabled ({reason})"), now);
            return Update::changed();
        }
        // The status moves the saved text on: edits not yet saved would stay behind in a draft.
        let unsaved = self.drafts.postmortems.get(&pm.id).is_some_and(|d| d.draft != pm.draft());
        let saving = self
            .outbox
            .pending_for(&pm.id)
            .any(|e| matches!(e.action, Command::Postmortem(PostmortemAction::Save { .. })));
        if unsaved || saving {
            let text = if saving {
                format!("{} is still being saved: s again once it is", pm.id)
            } else {
                format!("{} has unsaved edits: save with ctrl-s first (Enter opens it)", pm.id)
            };
            self.flash(Level::Warning, text, now);
            return Update::changed();
        }
        let role = self.session.me.as_ref().map(|m| m.role);
        if next == PostmortemStatus::Published && role.is_some_and(|r| r < Role::Commander) {
            self.flash(Level::Warning, "only commanders publish postmortems", now);
            return Update::changed();
        }
        let id = pm.id.clone();
        self.enqueue(&id, Command::Postmortem(PostmortemAction::SetStatus { status: next }), now)
    }

    /// Writes the editor's text to the journal now, if it changed since it was last written.
    pub(crate) fn journal_now(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        self.drafts.journal_due = None;
        let Some(editor) = self.modals.editor_mut() else { return Vec::new() };
        if !editor.unjournaled {
            return Vec::new();
        }
        editor.unjournaled = false;
        let journaled = JournaledDraft {
            id: editor.id.clone(),
            incident_id: editor.incident_id.clone(),
            base_version: editor.base_version,
            draft: editor.draft(),
            journaled_at: now,
            author: self.session.author.clone(),
        };
        self.drafts.postmortems.insert(journaled.id.clone(), journaled.clone());
        vec![Effect::JournalDraft(journaled)]
    }

    /// After every event: typing not yet journaled is written once `JOURNAL_DELAY` has passed
    /// since the first unwritten edit (the wake-up timer knows when).
    pub(crate) fn follow_journal(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let unjournaled = self.modals.editor().is_some_and(|e| e.unjournaled);
        match self.drafts.journal_due {
            _ if !unjournaled => {
                self.drafts.journal_due = None;
                Vec::new()
            }
            Some(due) if due <= now => self.journal_now(now),
            Some(_) => Vec::new(),
            None => {
                self.drafts.journal_due = Some(now + JOURNAL_DELAY);
                Vec::new()
            }
        }
    }

    /// The backend has a postmortem: forget the journaled draft if it holds that very text, and
    /// move an open editor onto the new revision.
    pub(crate) fn note_postmortem(&mut self, pm: &Postmortem, effects: &mut Vec<Effect>) {
        if let Some(editor) = self.modals.editor_mut()
            && editor.id == pm.id
            && editor.theirs.is_none()
            && editor.draft() == pm.draft()
        {
            editor.base_version = pm.version;
        }
        if let Some(journaled) = self.drafts.postmortems.get(&pm.id)
            && journaled.draft == pm.draft()
        {
            effects.push(Effect::ForgetDraft {
                id: pm.id.clone(),
                author: self.session.author.clone(),
                draft: journaled.draft.clone(),
            });
            self.drafts.postmortems.remove(&pm.id);
        }
    }

    /// A save was refused with the postmortem as it is now: keep both texts and let the writer
    /// pick.
    pub(crate) fn postmortem_conflict(
        &mut self,
        mine: &PostmortemDraft,
        target: &str,
        current: &Entity,
        now: DateTime<Utc>,
    ) {
        let Entity::Postmortem(theirs) = current else { return };
        let same_editor = self.modals.editor().is_some_and(|e| e.id == target);
        if !same_editor {
            let journaled =
                self.drafts.postmortems.get(target).map(|d| d.draft.clone()).unwrap_or_else(|| mine.clone());
            let mut editor = PostmortemEditor::new(target, &theirs.incident_id, theirs.version, &journaled);
            editor.unjournaled = true;
            self.modals.push(Modal::Editor(editor));
            self.tab = TabId::Postmortems;
        }
        if let Some(editor) = self.modals.editor_mut() {
            editor.theirs = Some(Box::new(theirs.clone()));
        }
        let text = format!(
            "{} was saved by {} first: both texts are kept — t theirs, m keep mine, r mine on top",
            theirs.id, theirs.updated_by
        );
        self.flash(Level::Warning, text, now);
    }

    fn resolve_conflict(&mut self, action: Action, now: DateTime<Utc>) -> Update {
        let Some(editor) = self.modals.editor_mut() else { return Update::unchanged() };
        let Some(theirs) = editor.theirs.take() else { return Update::unchanged() };
        editor.base_version = theirs.version;
        match action {
            Action::TakeTheirs => {
                editor.replace(&theirs.draft());
                self.flash(Level::Info, "their version is in the editor; yours is in the outbox panel (o)", now);
                Update::changed().with(self.journal_now(now))
            }
            Action::KeepMine => {
                editor.unjournaled = true;
                self.flash(
                    Level::Info,
                    format!("yours, on top of their version {}; ctrl-s saves", theirs.version),
                    now,
                );
                Update::changed().with(self.journal_now(now))
            }
            _ => self.save(now),
        }
    }

    /// `$EDITOR` exited: its file's text replaces the editor's (or why it could not be read).
    pub(crate) fn on_editor_returned(
        &mut self,
        id: &str,
        result: Result<String, String>,
        now: DateTime<Utc>,
    ) -> Update {
        if let Some(editor) = self.modals.editor_mut().filter(|e| e.id == id) {
            editor.hand_off = match &result {
                Ok(text) => HandOff::Back(text.clone()),
                Err(_) => HandOff::None,
            };
        }
        match (result, self.modals.editor_mut()) {
            (Ok(text), Some(editor)) if editor.id == id => {
                let draft = draft_from_file(&text);
                if draft == editor.draft() {
                    self.flash(Level::Info, "no changes from the editor", now);
                } else {
                    editor.replace(&draft);
                    self.flash(Level::Info, "the editor's changes are in; ctrl-s saves", now);
                }
                Update::changed().with(self.journal_now(now))
            }
            (Ok(_), _) => Update::unchanged(),
            (Err(error), _) => {
                self.flash(Level::Error, format!("{error}; the draft is unchanged"), now);
                Update::changed()
            }
        }
    }

    /// A draft file changed on disk (another program): offer it, unless it is what we wrote, or
    /// what `$EDITOR` writes while it has the draft or left when it exited (that comes back with
    /// `EditorReturned`).
    pub(crate) fn on_draft_file(&mut self, id: &str, text: String, now: DateTime<Utc>) -> Update {
        let Some(editor) = self.modals.editor_mut() else { return Update::unchanged() };
        let ours = match &editor.hand_off {
            HandOff::None => false,
            HandOff::Out => true,
            HandOff::Back(returned) => draft_from_file(returned) == draft_from_file(&text),
        };
        if editor.id != id || ours || draft_from_file(&text) == editor.draft() {
            return Update::unchanged();
        }
        editor.offer = Some(text);
        self.flash(Level::Info, format!("{id}.md changed on disk: ctrl-l loads it"), now);
        Update::changed()
    }

    /// Drafts journaled before the console stopped, this user's own: the newest is offered
    /// (`Enter` opens it), never opened over the user's first keys. Another user's draft in the
    /// same data folder stays theirs: not shown, not typed into, not overwritten.
    pub(crate) fn restore_drafts(&mut self, drafts: Vec<JournaledDraft>, now: DateTime<Utc>) {
        for journaled in drafts {
            // Drafts from before drafts had owners go to whoever starts next.
            if !journaled.author.is_empty() && journaled.author != self.session.author {
                continue;
            }
            let saved = self.postmortems.get(&journaled.id).is_some_and(|pm| pm.draft() == journaled.draft);
            // The user's own draft wins over an ownerless one of the same postmortem.
            let owned = self.drafts.postmortems.get(&journaled.id).is_some_and(|d| !d.author.is_empty());
            if !saved && !owned {
                self.drafts.postmortems.insert(journaled.id.clone(), journaled);
            }
        }
        let Some(newest) = self.drafts.postmortems.values().max_by_key(|d| d.journaled_at).cloned() else { return };
        self.drafts.offer = Some(newest.id.clone());
        let at = crate::console::time::clock(newest.journaled_at, now, self.settings.timezone);
        let text = format!(
            "restored your unsaved draft of {} as journaled at {at} (typing in the last 250 ms before the console stopped may be missing)",
            newest.id
        );
        self.flash(Level::Warning, text, now);
    }
}
