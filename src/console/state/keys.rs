//! Keys and actions: what each action does to the state, and which effects it asks for.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use super::{AppState, Confirm, Effect, Input, InputKind, Level, Overlay, Update};
use crate::console::action::Action;
use crate::console::keymap::Mode;
use crate::console::tabs::TabId;
use crate::domain::text::sanitize;
use crate::domain::{Command, EntityKind, IncidentAction, TicketAction, TicketStatus};

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
            let changed = layers[0] == Mode::Editor && self.editor.as_mut().is_some_and(|e| e.input(key));
            return Update { changed, effects: Vec::new() };
        }
        if layers[0] == Mode::Form {
            let changed = self.form.as_mut().is_some_and(|form| form.input(key));
            return Update { changed, effects: Vec::new() };
        }
        if layers[0] == Mode::Input
            && let Some(input) = &mut self.input
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
        match self.tab {
            TabId::Incidents => {
                self.incidents.set_filter(text);
                self.incidents.scroll_into_view(rows);
            }
            TabId::Tickets => {
                self.tickets.set_filter(text);
                let (cursor, len) = self.tickets.cursor_mut();
                cursor.scroll_into_view(len, rows);
            }
            TabId::Sla | TabId::Drift | TabId::Calendar | TabId::Postmortems => {}
        }
    }

    fn filter_text(&self) -> &str {
        match self.tab {
            TabId::Incidents => self.incidents.filter(),
            TabId::Tickets => self.tickets.filter(),
            TabId::Sla | TabId::Drift | TabId::Calendar | TabId::Postmortems => "",
        }
    }

    fn show_tab(&mut self, tab: TabId) -> Update {
        if self.tab == tab {
            return Update::unchanged();
        }
        self.tab = tab;
        Update::changed()
    }

    pub(crate) fn on_paste(&mut self, text: &str) -> Update {
        if let Some(form) = &mut self.form {
            return Update { changed: form.paste(text), effects: Vec::new() };
        }
        if let Some(editor) = &mut self.editor {
            return Update { changed: editor.paste(text), effects: Vec::new() };
        }
        let Some(input) = &mut self.input else {
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
            Action::Quit => {
                self.quit = true;
                // Typing not yet journaled goes to disk before the console exits.
                let journal = self.journal_now(now);
                let note = self.keep_open_note();
                Update::changed().with(journal).with(note).with([Effect::Quit])
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
                    _ => Some(Overlay::Outbox { selected: 0 }),
                };
                Update::changed()
            }
            Action::MessageLog => {
                self.overlay = match self.overlay {
                    Some(Overlay::Messages { .. }) => None,
                    _ => Some(Overlay::Messages { scroll: 0 }),
                };
                Update::changed()
            }
            Action::DropEntry => self.drop_selected(now),
            Action::RetryEntry => self.retry_selected(now),
            // Answered before any action (see `answer_offer`); nothing to do without an offer.
            Action::OpenRestored | Action::DismissRestored => Update::unchanged(),
            Action::ClearInput => {
                let Some(input) = &mut self.input else { return Update::unchanged() };
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
            Action::MoveUp | Action::MoveDown | Action::PageUp | Action::PageDown | Action::First | Action::Last => {
                self.navigate(action, mode, rows);
                Update::changed()
            }
            Action::NextTab => self.show_tab(self.tab.next()),
            Action::PrevTab => self.show_tab(self.tab.prev()),
            Action::TabIncidents => self.show_tab(TabId::Incidents),
            Action::TabTickets => self.show_tab(TabId::Tickets),
            Action::TabSla => self.show_tab(TabId::Sla),
            Action::TabDrift => self.show_tab(TabId::Drift),
            Action::TabCalendar => self.show_tab(TabId::Calendar),
            Action::PrevMonth | Action::NextMonth | Action::Today => {
                let tz = self.settings.timezone;
                match action {
                    Action::PrevMonth => self.calendar.shift_month(-1, now, tz),
                    Action::NextMonth => self.calendar.shift_month(1, now, tz),
                    _ => self.calendar.today(now, tz),
                }
                Update::changed()
            }
            Action::NextModel
            | Action::PrevModel
            | Action::NextFeature
            | Action::PrevFeature
            | Action::NextStatistic
            | Action::NextView
            | Action::EarlierWindow
            | Action::LaterWindow
            | Action::NewestWindow
            | Action::ZoomIn
            | Action::ZoomOut => self.on_drift_action(action),
            Action::Open => {
                match self.tab {
                    TabId::Incidents => {
                        self.incidents.open_detail();
                    }
                    TabId::Tickets => {
                        self.tickets.open_detail();
                    }
                    TabId::Postmortems => {
                        let Some(id) = self.postmortems.selected().map(|p| p.id.clone()) else {
                            return Update::unchanged();
                        };
                        self.open_editor(&id, now);
                    }
                    TabId::Drift => return Update::unchanged(),
                    TabId::Calendar => {
                        if !self.calendar.open_detail() {
                            return Update::unchanged();
                        }
                    }
                    TabId::Sla => {
                        let Some(row) = self.sla.selected() else {
                            return Update::unchanged();
                        };
                        let (kind, id) = (row.kind, row.id.clone());
                        match kind {
                            EntityKind::Incident => {
                                self.follow(TabId::Incidents, &id, rows);
                            }
                            EntityKind::Ticket => {
                                self.follow(TabId::Tickets, &id, rows);
                            }
                            EntityKind::Maintenance | EntityKind::Postmortem => return Update::unchanged(),
                        }
                    }
                }
                Update::changed()
            }
            Action::Back => {
                if self.overlay.is_some() {
                    self.overlay = None;
                } else if let Some(id) =
                    self.incidents.detail().filter(|_| self.tab == TabId::Incidents).map(|d| d.id.clone())
                {
                    self.incidents.close_detail();
                    self.closed_detail(TabId::Incidents, &id);
                } else if let Some(id) =
                    self.tickets.detail().filter(|_| self.tab == TabId::Tickets).map(|d| d.id.clone())
                {
                    self.tickets.close_detail();
                    self.closed_detail(TabId::Tickets, &id);
                } else if self.tab == TabId::Calendar && self.calendar.detail().is_some() {
                    self.calendar.close_detail();
                } else if !self.filter_text().is_empty() {
                    self.set_filter("");
                } else {
                    return Update::unchanged();
                }
                Update::changed()
            }
            Action::Filter => {
                let placeholder = match self.tab {
                    TabId::Incidents => "id, priority, status, service, title, assignee…",
                    TabId::Tickets => "key, priority, tier, status, subject, customer, assignee…",
                    TabId::Sla => {
                        self.flash(
                            Level::Info,
                            "the SLA tab lists every running clock; filter in Tickets or Incidents",
                            now,
                        );
                        return Update::changed();
                    }
                    TabId::Postmortems => {
                        self.flash(Level::Info, "f shows drafts, in review or published ones", now);
                        return Update::changed();
                    }
                    TabId::Drift => {
                        self.flash(Level::Info, "pick a model with m and a feature with f", now);
                        return Update::changed();
                    }
                    TabId::Calendar => {
                        self.flash(Level::Info, "move between months with ← and →; t is this month", now);
                        return Update::changed();
                    }
                };
                let mut textarea = one_line(self.filter_text());
                textarea.set_placeholder_text(placeholder);
                self.input = Some(Input { kind: InputKind::Filter, textarea });
                Update::changed()
            }
            Action::Acknowledge => self.act(action, Command::Incident(IncidentAction::Acknowledge), now),
            Action::Escalate => match self.tab {
                TabId::Tickets => self.act(action, Command::Ticket(TicketAction::Escalate), now),
                _ => self.act(action, Command::Incident(IncidentAction::Escalate), now),
            },
            Action::Take => self.act(action, Command::Ticket(TicketAction::Take), now),
            Action::FirstResponse => self.act(action, Command::Ticket(TicketAction::Respond), now),
            Action::TogglePending => {
                let pending = self.tickets.target().is_some_and(|r| r.ticket().status == TicketStatus::Pending);
                let command = if pending { TicketAction::Resume } else { TicketAction::Pending };
                self.act(action, Command::Ticket(command), now)
            }
            Action::Resolve => {
                let command = match self.tab {
                    TabId::Tickets => Command::Ticket(TicketAction::Resolve),
                    _ => Command::Incident(IncidentAction::Resolve),
                };
                let probe = command.clone();
                self.prepare(action, Some(&probe), now, |state, id, title| {
                    state.confirm = Some(Confirm { id, title, command });
                })
            }
            Action::AddNote => self.prepare(action, None, now, |state, id, _| {
                let draft = state.note_drafts.get(&id).cloned().unwrap_or_default();
                let mut textarea = one_line(&draft);
                textarea.set_placeholder_text("what you found, what you did; Enter sends, Esc keeps a draft");
                state.input = Some(Input { kind: InputKind::Note { incident_id: id }, textarea });
            }),
            Action::Assign => self.prepare(action, None, now, |state, key, _| state.open_assign_prompt(key)),
            Action::OpenLinkedIncident => self.open_linked_incident(rows, now),
            Action::OpenLinkedTicket => self.open_linked_ticket(rows, now),
            Action::Complete => self.complete_input(),
            Action::Confirm => match self.confirm.take() {
                Some(confirm) => self.enqueue(&confirm.id, confirm.command, now),
                None => Update::unchanged(),
            },
            Action::Cancel => {
                self.confirm = None;
                Update::changed()
            }
            Action::Submit if self.form.is_some() => self.submit_form(now),
            Action::Submit => self.submit_input(now),
            Action::CancelInput if self.form.is_some() => self.close_form(now),
            Action::TabPostmortems
            | Action::Postmortem
            | Action::CycleStatusFilter
            | Action::AdvanceStatus
            | Action::ExportMarkdown
            | Action::SavePostmortem
            | Action::ExternalEditor
            | Action::Find
            | Action::CloseEditor
            | Action::TakeTheirs
            | Action::KeepMine
            | Action::SaveMineOnTop
            | Action::LoadFromDisk
            | Action::StarEvent => self.on_postmortem_action(action, now),
            Action::NextField | Action::PrevField if self.editor.is_some() => {
                if let Some(editor) = &mut self.editor {
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
                match self.input.take() {
                    Some(Input { kind: InputKind::Filter, .. }) => self.set_filter(""),
                    Some(Input {
                        kind: InputKind::Assign { .. } | InputKind::ImportPath | InputKind::OpenTicket { .. },
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
        let move_cursor = |cursor: &mut crate::console::list::Cursor, len: usize| match action {
            Action::First => cursor.first(len, rows),
            Action::Last => cursor.last(len, rows),
            _ => cursor.move_by(delta, len, rows),
        };
        match (mode, self.tab) {
            (Mode::Overlay, _) => {
                // Help scrolls by its own page and no further than its last line.
                let (page, max) = match self.overlay {
                    Some(Overlay::Help { .. }) => crate::console::layout::help::help_scroll_limits(self, self.size),
                    _ => (page as usize, 1000),
                };
                let delta = match action {
                    Action::PageUp => -(page as isize),
                    Action::PageDown => page as isize,
                    _ => delta,
                };
                let entries = self.outbox.len() + self.outbox.rejected().len();
                match &mut self.overlay {
                    Some(Overlay::Help { scroll } | Overlay::Messages { scroll }) => {
                        *scroll = scroll.saturating_add_signed(delta.clamp(-1000, 1000)).min(max);
                    }
                    Some(Overlay::Outbox { selected }) => {
                        *selected =
                            selected.saturating_add_signed(delta.clamp(-1000, 1000)).min(entries.saturating_sub(1));
                    }
                    None => {}
                }
            }
            (Mode::Detail, TabId::Tickets) => {
                let lines = self.tickets.target().map_or(0, |r| {
                    let t = r.ticket();
                    t.history.len() + usize::from(t.description.is_some()) + r.pending.len()
                });
                if let Some(detail) = self.tickets.detail_mut() {
                    match action {
                        Action::First => detail.scroll = 0,
                        Action::Last => detail.scroll = lines.saturating_sub(1),
                        _ => detail.scroll_by(delta, lines),
                    }
                }
            }
            (Mode::Detail, _) => {
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
            (_, TabId::Tickets) => {
                let (cursor, len) = self.tickets.cursor_mut();
                move_cursor(cursor, len);
            }
            (_, TabId::Sla) => {
                let (cursor, len) = self.sla.cursor_mut();
                move_cursor(cursor, len);
            }
            (_, TabId::Drift) => {}
            (_, TabId::Calendar) => self.calendar.move_by(delta.clamp(-1000, 1000)),
            (_, TabId::Postmortems) => self.postmortems.move_by(delta.clamp(-1000, 1000)),
            (_, TabId::Incidents) => match action {
                Action::First => self.incidents.select_first(rows),
                Action::Last => self.incidents.select_last(rows),
                _ => self.incidents.move_by(delta, rows),
            },
        }
    }

    fn submit_input(&mut self, now: DateTime<Utc>) -> Update {
        let Some(input) = self.input.take() else {
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
            InputKind::Assign { key } => self.submit_assign(key, &input.text(), now),
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
