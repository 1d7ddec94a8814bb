//! Keys and actions: which layer a key resolves in, what the root's actions do (dialogs, panels,
//! tabs switching, item actions, prompts), the routing of every other action to the focused tab,
//! and carrying out what a tab requests ([`Request`]).

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use super::{AppState, Confirm, Input, InputKind, Level, Modal, Overlay, Update};
use crate::console::action::Action;
use crate::console::effect::Effect;
use crate::console::keymap::Mode;
use crate::console::tabs::{Outcome, Request, TabId};
use crate::domain::text::sanitize;
use crate::domain::{Command, IncidentAction};

impl AppState {
    pub(crate) fn on_key(&mut self, key: KeyEvent, now: DateTime<Utc>) -> Update {
        if crate::console::layout::too_small(self.size.0, self.size.1) {
            // The "terminal too small" notice is all there is to see: only the quit keys act.
            return match self.settings.keymap.resolve(&[Mode::Global], &key) {
                Some(Action::Quit) => self.on_action(Action::Quit, now),
                _ => Update::unchanged(),
            };
        }
        let layers = self.layers();
        let action = self.settings.keymap.resolve(&layers, &key);
        if action != Some(Action::DropEntry) {
            self.drop_armed = None;
        }
        if let Some(update) = self.answer_offer(action, now) {
            return update;
        }
        if let Some(action) = action {
            return self.on_action(action, now);
        }
        // Viewers and read-only consoles see the postmortem; they do not type into it.
        if layers[0] == Mode::Editor
            && let Some(reason) = self.read_only_reason()
        {
            self.flash(Level::Warning, format!("read-only: the postmortem cannot be edited ({reason})"), now);
            return Update::changed();
        }
        if matches!(layers[0], Mode::Editor | Mode::Conflict) {
            let changed = layers[0] == Mode::Editor && self.modals.editor_mut().is_some_and(|e| e.input(key));
            return Update { changed, effects: Vec::new() };
        }
        if layers[0] == Mode::Form {
            let changed = self.modals.form_mut().is_some_and(|form| form.input(key));
            return Update { changed, effects: Vec::new() };
        }
        if layers[0] == Mode::Input
            && let Some(input) = self.modals.input_mut()
            && input.textarea.input(key)
        {
            if input.kind == InputKind::Filter {
                let text = input.text();
                self.set_filter(&text);
            }
            return Update::changed();
        }
        Update::unchanged()
    }

    fn set_filter(&mut self, text: &str) {
        let rows = crate::console::layout::list_rows(self.body_height());
        self.tab_mut(self.tab).filter_by(text, rows);
    }

    fn show_tab(&mut self, tab: TabId) -> Update {
        if self.tab == tab {
            return Update::unchanged();
        }
        self.tab = tab;
        Update::changed()
    }

    pub(crate) fn on_paste(&mut self, text: &str) -> Update {
        if let Some(form) = self.modals.form_mut() {
            return Update { changed: form.paste(text), effects: Vec::new() };
        }
        if let Some(editor) = self.modals.editor_mut() {
            return Update { changed: editor.paste(text), effects: Vec::new() };
        }
        let Some(input) = self.modals.input_mut() else {
            return Update::unchanged();
        };
        input.textarea.insert_str(sanitize(text));
        if input.kind == InputKind::Filter {
            let text = input.text();
            self.set_filter(&text);
        }
        Update::changed()
    }

    /// What an action does. Public so tests and the command line can drive actions directly.
    pub fn on_action(&mut self, action: Action, now: DateTime<Utc>) -> Update {
        let rows = crate::console::layout::list_rows(self.body_height());
        let mode = self.mode();
        // Whatever the key does, the tab's list is in use from now on (see `reconcile_view`).
        self.mark_seen(self.tab);
        match action {
            Action::Quit => self.ask_or_quit(now),
            Action::Help => {
                self.modals.toggle_overlay(Overlay::Help { scroll: 0 });
                Update::changed()
            }
            Action::ShowOutbox => {
                self.modals.toggle_overlay(Overlay::Outbox { selected: 0 });
                Update::changed()
            }
            Action::MessageLog => {
                self.modals.toggle_overlay(Overlay::Messages { scroll: 0 });
                Update::changed()
            }
            Action::DropEntry => self.drop_selected(now),
            Action::RetryEntry => self.retry_selected(now),
            // Answered before any action (see `answer_offer`); nothing to do without an offer.
            Action::OpenRestored | Action::DismissRestored => Update::unchanged(),
            Action::ClearInput => {
                let Some(input) = self.modals.input_mut() else { return Update::unchanged() };
                input.textarea = one_line("");
                if input.kind == InputKind::Filter {
                    self.set_filter("");
                }
                Update::changed()
            }
            Action::Refresh => {
                // Never hide a message the user has not read yet; the badge shows the result.
                if self.flash.is_none() {
                    self.flash(Level::Info, "syncing…", now);
                }
                Update::changed().with([Effect::SyncNow])
            }
            Action::MoveUp | Action::MoveDown | Action::PageUp | Action::PageDown | Action::First | Action::Last
                if mode == Mode::Overlay =>
            {
                self.scroll_overlay(action, rows);
                Update::changed()
            }
            Action::Back if self.modals.overlay().is_some() => {
                self.modals.take_overlay();
                Update::changed()
            }
            Action::NextTab => self.show_tab(self.tab.next()),
            Action::PrevTab => self.show_tab(self.tab.prev()),
            Action::TabIncidents
            | Action::TabTickets
            | Action::TabSla
            | Action::TabDrift
            | Action::TabCalendar
            | Action::TabPostmortems => match TabId::for_action(action) {
                Some(tab) => self.show_tab(tab),
                None => Update::unchanged(),
            },
            Action::Resolve => {
                let Some(command) = self.focused().command(action) else {
                    return self.prepare(action, None, now, |_, _, _| {});
                };
                let probe = command.clone();
                self.prepare(action, Some(&probe), now, |state, id, title| {
                    state.modals.push(Modal::Confirm(Confirm { id, title, command }));
                })
            }
            Action::AddNote => self.prepare(action, None, now, |state, id, _| {
                let draft = state.drafts.notes.get(&id).cloned().unwrap_or_default();
                let mut textarea = one_line(&draft);
                textarea.set_placeholder_text("what you found, what you did; Enter sends, Esc keeps a draft");
                state.modals.push(Modal::Input(Input { kind: InputKind::Note { incident_id: id }, textarea }));
            }),
            Action::Assign => self.prepare(action, None, now, |state, id, _| {
                if let Some(prompt) = state.focused().assign_prompt(id) {
                    state.open_assign_prompt(prompt);
                }
            }),
            Action::OpenLinkedIncident => self.open_linked_incident(rows, now),
            Action::OpenLinkedTicket => self.open_linked_ticket(rows, now),
            Action::Complete => self.complete_input(),
            Action::Confirm if self.modals.take_quit().is_some() => self.quit_anyway(),
            Action::Confirm => match self.modals.take_confirm() {
                Some(confirm) => self.enqueue(&confirm.id, confirm.command, now),
                None => Update::unchanged(),
            },
            Action::Cancel => {
                self.modals.take_confirm();
                self.modals.take_quit();
                Update::changed()
            }
            Action::Submit if self.modals.form().is_some() => self.submit_form(now),
            Action::Submit => self.submit_input(now),
            Action::CancelInput if self.modals.form().is_some() => self.close_form(now),
            Action::AdvanceStatus
            | Action::ExportMarkdown
            | Action::SavePostmortem
            | Action::ExternalEditor
            | Action::Find
            | Action::CloseEditor
            | Action::TakeTheirs
            | Action::KeepMine
            | Action::SaveMineOnTop
            | Action::LoadFromDisk => self.on_postmortem_action(action, now),
            Action::NextField | Action::PrevField if self.modals.editor().is_some() => {
                if let Some(editor) = self.modals.editor_mut() {
                    if action == Action::NextField { editor.next_part() } else { editor.prev_part() }
                }
                Update::changed()
            }
            Action::NewWindow
            | Action::EditWindow
            | Action::CancelWindow
            | Action::ImportCalendar
            | Action::NextField
            | Action::PrevField
            | Action::ClearField => self.on_maintenance_action(action, now),
            Action::CancelInput => {
                match self.modals.take_input() {
                    Some(Input { kind: InputKind::Filter, .. }) => self.set_filter(""),
                    Some(Input {
                        kind:
                            InputKind::Assign { .. }
                            | InputKind::Reassign { .. }
                            | InputKind::ImportPath
                            | InputKind::OpenTicket { .. },
                        ..
                    }) => {}
                    Some(Input { kind: InputKind::Note { incident_id }, textarea }) => {
                        let text = textarea.lines().join(" ");
                        if !text.trim().is_empty() {
                            self.flash(
                                Level::Info,
                                format!("note draft for {incident_id} kept; press n to go on"),
                                now,
                            );
                        }
                        let keep = self.set_note_draft(&incident_id, text);
                        return Update::changed().with(keep);
                    }
                    None => {}
                }
                Update::changed()
            }
            // An item action (acknowledge, take, escalate…) is what the tab says it is here, and
            // is queued at once; everything else is the tab's own: moving, opening, going back,
            // filtering, its keys.
            _ => {
                if let Some(command) = self.focused().command(action) {
                    return self.act(action, command, now);
                }
                let (tab, cx) = self.focused_mut(now);
                match tab.update(action, &cx) {
                    Outcome::Unchanged => Update::unchanged(),
                    Outcome::Changed => Update::changed(),
                    Outcome::Request(request) => self.carry_out(request, rows, now),
                }
            }
        }
    }

    /// Does what a tab asked of the root.
    fn carry_out(&mut self, request: Request, rows: usize, now: DateTime<Utc>) -> Update {
        match request {
            Request::Flash(level, text) => self.flash(level, text, now),
            Request::Filter { placeholder } => {
                let mut textarea = one_line(self.focused().filter());
                textarea.set_placeholder_text(placeholder);
                self.modals.push(Modal::Input(Input { kind: InputKind::Filter, textarea }));
            }
            Request::Follow { to, id } => {
                self.follow(to, &id, rows);
            }
            Request::ClosedDetail { id } => self.closed_detail(self.tab, &id),
            Request::OpenEditor { id } => self.open_editor(&id, now),
            Request::DraftPostmortem(incident) => return self.draft_postmortem(*incident, now),
            Request::Act { action, command } => return self.act(action, command, now),
        }
        Update::changed()
    }

    /// Help and the message log scroll, the outbox panel moves its selection; help by its own
    /// page and no further than its last line.
    fn scroll_overlay(&mut self, action: Action, rows: usize) {
        let Some(step) = crate::console::tabs::step(action, rows) else { return };
        let (page, max) = match self.modals.overlay() {
            Some(Overlay::Help { .. }) => crate::console::layout::help::help_scroll_limits(self, self.size),
            _ => (rows.max(1), 1000),
        };
        let delta = match action {
            Action::PageUp => -(page as isize),
            Action::PageDown => page as isize,
            _ => step.delta(),
        };
        let entries = self.outbox.len() + self.outbox.rejected().len();
        match self.modals.overlay_mut() {
            Some(Overlay::Help { scroll } | Overlay::Messages { scroll }) => {
                *scroll = scroll.saturating_add_signed(delta.clamp(-1000, 1000)).min(max);
            }
            Some(Overlay::Outbox { selected }) => {
                *selected = selected.saturating_add_signed(delta.clamp(-1000, 1000)).min(entries.saturating_sub(1));
            }
            None => {}
        }
    }

    fn submit_input(&mut self, now: DateTime<Utc>) -> Update {
        let Some(input) = self.modals.take_input() else {
            return Update::unchanged();
        };
        match input.kind.clone() {
            InputKind::Filter => {
                let text = input.text();
                self.set_filter(&text);
                Update::changed()
            }
            InputKind::Note { incident_id } => {
                let text = sanitize(input.text().trim()).into_owned();
                if text.is_empty() {
                    self.flash(Level::Info, "empty note not sent", now);
                    return Update::changed();
                }
                let forget = self.set_note_draft(&incident_id, String::new());
                self.enqueue(&incident_id, Command::Incident(IncidentAction::Note { text }), now).with(forget)
            }
            kind @ (InputKind::Assign { .. } | InputKind::Reassign { .. }) => {
                self.submit_assign(kind, &input.text(), now)
            }
            InputKind::OpenTicket { incident_id } => self.submit_open_ticket(incident_id, &input.text(), now),
            InputKind::ImportPath => self.start_import(&input.text(), now),
        }
    }
}

fn one_line(text: &str) -> TextArea<'static> {
    let mut textarea = TextArea::new(vec![text.to_string()]);
    textarea.move_cursor(ratatui_textarea::CursorMove::End);
    textarea
}
