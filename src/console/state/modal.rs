//! The dialogs and panels over the tabs, and the one stack that holds them.
//!
//! A modal is a panel (help, outbox, messages), a one-line prompt, the maintenance window form,
//! the postmortem editor or a yes/no confirmation (of a dangerous command, or of quitting with
//! work not saved; one at a time). [`Modals`] keeps the open ones bottom first;
//! the top has the keyboard (`AppState::layers` asks it) and the view draws them bottom to top
//! (a prompt and the editor in their own places: the status line, the Postmortems tab's body).
//! At most one of each kind is open, and opening one puts it where its rank says, so the most
//! urgent open modal is on top whatever the order they opened in: a confirmation, then the
//! editor, the window form, a prompt, a panel.

use ratatui_textarea::TextArea;

use crate::console::tabs::calendar::form::MaintenanceForm;
use crate::console::tabs::postmortems::editor::PostmortemEditor;
use crate::domain::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    /// The outbox panel, its `selected` row (queued entries, then rejected ones).
    Outbox {
        selected: usize,
    },
    /// The message log, newest first.
    Messages {
        scroll: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Note {
        incident_id: String,
    },
    /// Whom to assign a ticket to.
    Assign {
        key: String,
    },
    /// Whom to hand an incident to.
    Reassign {
        incident_id: String,
    },
    /// The .ics file to import maintenance windows from.
    ImportPath,
    /// Which of the tickets linked to an incident to open.
    OpenTicket {
        incident_id: String,
    },
}

#[derive(Debug, Clone)]
pub struct Input {
    pub kind: InputKind,
    pub textarea: TextArea<'static>,
}

impl Input {
    pub fn text(&self) -> String {
        self.textarea.lines().join(" ")
    }
}

/// A dangerous command waiting for yes or no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// The incident id or ticket key.
    pub id: String,
    pub title: String,
    pub command: Command,
}

/// One open dialog or panel.
///
/// The form is much larger than the rest; the stack holds at most five, on the heap, and opens
/// one per key press at most, so a box would buy nothing (the state held them inline before).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Modal {
    Overlay(Overlay),
    Input(Input),
    /// The maintenance window form.
    Form(MaintenanceForm),
    /// The postmortem editor.
    Editor(PostmortemEditor),
    Confirm(Confirm),
    /// "Quit anyway?": work is neither on disk nor sent. A confirmation like the other.
    Quit(super::storage::QuitConfirm),
}

impl Modal {
    /// Which is over which: higher ranks take the keyboard from lower ones.
    fn rank(&self) -> u8 {
        match self {
            Modal::Overlay(_) => 0,
            Modal::Input(_) => 1,
            Modal::Form(_) => 2,
            Modal::Editor(_) => 3,
            Modal::Confirm(_) | Modal::Quit(_) => 4,
        }
    }
}

/// The open modals, bottom first: at most one of each kind, in rank order.
#[derive(Debug, Clone, Default)]
pub struct Modals {
    stack: Vec<Modal>,
}

/// The typed accessors of one kind of modal: `$get` borrows it, `$get_mut` borrows it mutably,
/// `$take` closes it and hands it back.
macro_rules! accessors {
    ($variant:ident, $ty:ty, $get:ident, $get_mut:ident, $take:ident) => {
        pub fn $get(&self) -> Option<&$ty> {
            self.stack.iter().find_map(|m| match m {
                Modal::$variant(it) => Some(it),
                _ => None,
            })
        }

        pub fn $get_mut(&mut self) -> Option<&mut $ty> {
            self.stack.iter_mut().find_map(|m| match m {
                Modal::$variant(it) => Some(it),
                _ => None,
            })
        }

        pub fn $take(&mut self) -> Option<$ty> {
            let at = self.stack.iter().position(|m| matches!(m, Modal::$variant(_)))?;
            match self.stack.remove(at) {
                Modal::$variant(it) => Some(it),
                _ => unreachable!("the position of a {}", stringify!($variant)),
            }
        }
    };
}

impl Modals {
    /// Opens `modal` in place of one of its kind, above the modals it outranks.
    pub fn push(&mut self, modal: Modal) {
        let rank = modal.rank();
        self.stack.retain(|m| m.rank() != rank);
        let at = self.stack.iter().position(|m| m.rank() > rank).unwrap_or(self.stack.len());
        self.stack.insert(at, modal);
    }

    /// Closes the top modal.
    pub fn pop(&mut self) -> Option<Modal> {
        self.stack.pop()
    }

    /// The modal with the keyboard.
    pub fn top(&self) -> Option<&Modal> {
        self.stack.last()
    }

    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }

    /// Bottom to top, the order they are drawn in.
    pub fn iter(&self) -> impl Iterator<Item = &Modal> {
        self.stack.iter()
    }

    /// The open panel. Panels are small and `Copy`, so it comes by value.
    pub fn overlay(&self) -> Option<Overlay> {
        self.stack.iter().find_map(|m| match m {
            Modal::Overlay(overlay) => Some(*overlay),
            _ => None,
        })
    }

    pub fn overlay_mut(&mut self) -> Option<&mut Overlay> {
        self.stack.iter_mut().find_map(|m| match m {
            Modal::Overlay(overlay) => Some(overlay),
            _ => None,
        })
    }

    pub fn take_overlay(&mut self) -> Option<Overlay> {
        let at = self.stack.iter().position(|m| matches!(m, Modal::Overlay(_)))?;
        match self.stack.remove(at) {
            Modal::Overlay(overlay) => Some(overlay),
            _ => unreachable!("the position of an overlay"),
        }
    }

    /// Opens the panel `overlay`, or closes it when a panel of its kind is open (whatever its
    /// scroll or selection). Another panel open is replaced.
    pub fn toggle_overlay(&mut self, overlay: Overlay) {
        match self.overlay() {
            Some(open) if std::mem::discriminant(&open) == std::mem::discriminant(&overlay) => {
                self.take_overlay();
            }
            _ => self.push(Modal::Overlay(overlay)),
        }
    }

    accessors!(Input, Input, input, input_mut, take_input);
    accessors!(Form, MaintenanceForm, form, form_mut, take_form);
    accessors!(Editor, PostmortemEditor, editor, editor_mut, take_editor);
    accessors!(Confirm, Confirm, confirm, confirm_mut, take_confirm);
    accessors!(Quit, super::storage::QuitConfirm, quit, quit_mut, take_quit);
}

#[cfg(test)]
mod tests;
