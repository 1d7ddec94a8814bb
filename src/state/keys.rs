//! Keys and actions: what each action does to the state, and which effects it asks for.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use super::{AppState, Confirm, Effect, Input, InputKind, Level, Overlay, Update};
use crate::action::Action;
use crate::domain::IncidentAction;
use crate::domain::text::sanitize;
use crate::keymap::Mode;
use crate::outbox::OutboxEntry;

impl AppState {
    pub(super) fn on_key(&mut self, key: KeyEvent, now: DateTime<Utc>) -> Update {
        let mode = self.mode();
        if let Some(action) = self.settings.keymap.resolve(mode, &key) {
            return self.on_action(action, now);
        }
        if mode == Mode::Input
            && let Some(input) = &mut self.input
            && input.textarea.input(key)
        {
            if input.kind == InputKind::Filter {
                let text = input.text();
                self.incidents.set_filter(&text);
            }
            return Update::changed();
        }
        Update::unchanged()
    }

    pub(super) fn on_paste(&mut self, text: &str) -> Update {
        let Some(input) = &mut self.input else {
            return Update::unchanged();
        };
        input.textarea.insert_str(sanitize(text));
        if input.kind == InputKind::Filter {
            let text = input.text();
            self.incidents.set_filter(&text);
        }
        Update::changed()
    }

    /// What an action does. Public so tests and the command line can drive actions directly.
    pub fn on_action(&mut self, action: Action, now: DateTime<Utc>) -> Update {
        let rows = crate::ui::list_rows(self.size.1);
        let mode = self.mode();
        match action {
            Action::Quit => {
                self.quit = true;
                Update::changed().with([Effect::Quit])
            }
            Action::Help => {
                self.overlay = match self.overlay {
                    Some(Overlay::Help { .. }) => None,
                    _ => Some(Overlay::Help { scroll: 0 }),
                };
                Update::changed()
            }
            Action::ShowOutbox => {
                self.overlay = match self.overlay {
                    Some(Overlay::Outbox { .. }) => None,
                    _ => Some(Overlay::Outbox { scroll: 0 }),
                };
                Update::changed()
            }
            Action::Refresh => {
                // Never hide a message the user has not read yet; the badge shows the result.
                if self.flash.is_none() {
                    self.flash(Level::Info, "syncing…", now);
                }
                Update::changed().with([Effect::SyncNow])
            }
            Action::MoveUp | Action::MoveDown | Action::PageUp | Action::PageDown | Action::First | Action::Last => {
                self.navigate(action, mode, rows);
                Update::changed()
            }
            Action::Open => {
                self.incidents.open_detail();
                Update::changed()
            }
            Action::Back => {
                if self.overlay.is_some() {
                    self.overlay = None;
                } else if self.incidents.detail().is_some() {
                    self.incidents.close_detail();
                } else if !self.incidents.filter().is_empty() {
                    self.incidents.set_filter("");
                    self.incidents.scroll_into_view(rows);
                } else {
                    return Update::unchanged();
                }
                Update::changed()
            }
            Action::Filter => {
                let mut textarea = one_line(self.incidents.filter());
                textarea.set_placeholder_text("id, priority, status, service, title, assignee…");
                self.input = Some(Input { kind: InputKind::Filter, textarea });
                Update::changed()
            }
            Action::Acknowledge | Action::Escalate => {
                let incident_action =
                    if action == Action::Acknowledge { IncidentAction::Acknowledge } else { IncidentAction::Escalate };
                self.take(action, incident_action, now)
            }
            Action::Resolve => self.prepare(action, now, |state, id, title| {
                state.confirm = Some(Confirm { incident_id: id, title });
            }),
            Action::AddNote => self.prepare(action, now, |state, id, _| {
                let draft = state.note_drafts.get(&id).cloned().unwrap_or_default();
                let mut textarea = one_line(&draft);
                textarea.set_placeholder_text("what you found, what you did; Enter sends, Esc keeps a draft");
                state.input = Some(Input { kind: InputKind::Note { incident_id: id }, textarea });
            }),
            Action::Confirm => match self.confirm.take() {
                Some(confirm) => self.enqueue(&confirm.incident_id, IncidentAction::Resolve, now),
                None => Update::unchanged(),
            },
            Action::Cancel => {
                self.confirm = None;
                Update::changed()
            }
            Action::Submit => self.submit_input(now),
            Action::CancelInput => {
                match self.input.take() {
                    Some(Input { kind: InputKind::Filter, .. }) => {
                        self.incidents.set_filter("");
                        self.incidents.scroll_into_view(rows);
                    }
                    Some(Input { kind: InputKind::Note { incident_id }, textarea }) => {
                        let text = textarea.lines().join(" ");
                        if !text.trim().is_empty() {
                            self.note_drafts.insert(incident_id.clone(), text);
                            self.flash(
                                Level::Info,
                                format!("note draft for {incident_id} kept; press n to go on"),
                                now,
                            );
                        }
                    }
                    None => {}
                }
                Update::changed()
            }
        }
    }

    fn navigate(&mut self, action: Action, mode: Mode, rows: usize) {
        let page = rows.max(1) as isize;
        let delta = match action {
            Action::MoveUp => -1,
            Action::MoveDown => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::First => isize::MIN / 2,
            _ => isize::MAX / 2,
        };
        match mode {
            Mode::Overlay => {
                if let Some(Overlay::Help { scroll } | Overlay::Outbox { scroll }) = &mut self.overlay {
                    *scroll = scroll.saturating_add_signed(delta.clamp(-1000, 1000)).min(1000);
                }
            }
            Mode::Detail => {
                let lines = self
                    .incidents
                    .detail()
                    .and_then(|d| self.incidents.row(&d.id))
                    .map_or(0, |r| r.incident().timeline.len() + r.pending.len());
                match action {
                    Action::First => self.incidents.set_detail_scroll(0),
                    Action::Last => self.incidents.set_detail_scroll(lines.saturating_sub(1)),
                    _ => self.incidents.scroll_detail(delta, lines),
                }
            }
            _ => match action {
                Action::First => self.incidents.select_first(rows),
                Action::Last => self.incidents.select_last(rows),
                _ => self.incidents.move_by(delta, rows),
            },
        }
    }

    /// Checks that a dangerous action may be taken on the target; runs `then` if so.
    fn prepare(
        &mut self,
        action: Action,
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
        let Some(row) = self.incidents.target() else {
            self.flash(Level::Info, "no incident selected", now);
            return Update::changed();
        };
        let probe = match action {
            Action::Resolve => Some(IncidentAction::Resolve),
            Action::Acknowledge => Some(IncidentAction::Acknowledge),
            Action::Escalate => Some(IncidentAction::Escalate),
            _ => None,
        };
        let incident = row.incident();
        if let Some(probe) = probe
            && let Err(rejection) = incident.check(&probe)
        {
            let text = rejection.describe(&incident.id, now);
            self.flash(Level::Warning, text, now);
            return Update::changed();
        }
        let (id, title) = (incident.id.clone(), incident.title.clone());
        then(self, id, title);
        Update::changed()
    }

    fn take(&mut self, action: Action, incident_action: IncidentAction, now: DateTime<Utc>) -> Update {
        let mut target = None;
        let update = self.prepare(action, now, |_, id, _| target = Some(id));
        match target {
            Some(id) => self.enqueue(&id, incident_action, now),
            None => update,
        }
    }

    fn submit_input(&mut self, now: DateTime<Utc>) -> Update {
        let Some(input) = self.input.take() else {
            return Update::unchanged();
        };
        match input.kind.clone() {
            InputKind::Filter => {
                let text = input.text();
                self.incidents.set_filter(&text);
                self.incidents.scroll_into_view(crate::ui::list_rows(self.size.1));
                Update::changed()
            }
            InputKind::Note { incident_id } => {
                let text = sanitize(input.text().trim()).into_owned();
                if text.is_empty() {
                    self.flash(Level::Info, "empty note not sent", now);
                    return Update::changed();
                }
                self.note_drafts.remove(&incident_id);
                self.enqueue(&incident_id, IncidentAction::Note { text }, now)
            }
        }
    }

    /// Queues an action: persisted, shown at once as pending, sent when it can be.
    fn enqueue(&mut self, incident_id: &str, action: IncidentAction, now: DateTime<Utc>) -> Update {
        let Some(base_version) = self.incidents.row(incident_id).map(|r| r.confirmed.version) else {
            self.flash(Level::Warning, format!("{incident_id} is no longer known here"), now);
            return Update::changed();
        };
        let entry = OutboxEntry {
            key: self.next_key(),
            incident_id: incident_id.to_string(),
            base_version,
            epoch: self.sync.epoch.clone(),
            created_at: now,
            attempts: 0,
            last_error: None,
            action,
        };
        let verb = entry.action.verb();
        let effects = self.outbox.enqueue(entry);
        self.reapply_all_pending();
        let when = if self.sync.is_stale() { "queued (offline)" } else { "sending…" };
        self.flash(Level::Info, format!("⧗ {incident_id}: {verb} {when}"), now);
        Update::changed().with(effects.into_iter().map(Effect::Outbox))
    }
}

fn one_line(text: &str) -> TextArea<'static> {
    let mut textarea = TextArea::new(vec![text.to_string()]);
    textarea.move_cursor(ratatui_textarea::CursorMove::End);
    textarea
}
