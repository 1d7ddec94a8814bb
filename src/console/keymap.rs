//! Keys → actions, per mode, from one table that also generates the help screen.

use std::collections::{BTreeMap, HashMap};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::console::action::Action;
use crate::console::tabs::TabId;

mod chord;
pub use chord::{KeyChord, KeyParseError};

/// A layer of bindings. What is on screen decides which layers apply, most specific first:
/// the ticket list is `[Tickets, List, Global]`, an incident's timeline `[Incidents, Detail,
/// Global]`, an open input only `[Input]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// Bindings that apply on every tab, in lists and detail views.
    Global,
    List,
    Detail,
    /// The Incidents tab, list and timeline.
    Incidents,
    /// The Tickets tab, queue and detail.
    Tickets,
    /// The SLA tab.
    Sla,
    /// The Drift tab.
    Drift,
    /// The maintenance Calendar tab.
    Calendar,
    /// A one-line input (filter, note): unbound keys edit the text.
    Input,
    /// A form of several fields (the maintenance window form): unbound keys edit the field.
    Form,
    /// The Postmortems tab.
    Postmortems,
    /// The postmortem editor: unbound keys edit the text.
    Editor,
    /// Someone else saved the postmortem first: pick theirs, mine, or mine on top.
    Conflict,
    Confirm,
    /// Help or outbox panel on top.
    Overlay,
    /// A postmortem draft restored at start is offered: `Enter` opens it, any other key goes on
    /// as usual (and the offer stays on tab 6).
    Offer,
}

impl Mode {
    pub fn title(self) -> &'static str {
        match self {
            Mode::Global => "Everywhere",
            Mode::List => "Lists",
            Mode::Detail => "Detail views",
            // A tab's layer is called what the tab is.
            Mode::Incidents | Mode::Tickets | Mode::Sla | Mode::Drift | Mode::Calendar | Mode::Postmortems => {
                TabId::for_mode(self).map_or("", TabId::title)
            }
            Mode::Input => "Filter and note input",
            Mode::Form => "Maintenance window form",
            Mode::Editor => "Postmortem editor (and the usual Emacs keys: ctrl-u undo, ctrl-r redo, alt-f/b words)",
            Mode::Conflict => "Postmortem saved by someone else first",
            Mode::Confirm => "Confirmation",
            Mode::Overlay => "Help, outbox and message panels",
            Mode::Offer => "A draft restored after a crash is offered",
        }
    }

    /// Where a binding of this layer applies, for messages: "everywhere", "on the Incidents tab".
    pub fn place(self) -> String {
        match self {
            Mode::Global => "everywhere".into(),
            Mode::List => "in lists".into(),
            Mode::Detail => "in detail views".into(),
            Mode::Incidents | Mode::Tickets | Mode::Sla | Mode::Drift | Mode::Calendar | Mode::Postmortems => {
                format!("on the {} tab", self.title())
            }
            Mode::Input => "in the filter and note input".into(),
            Mode::Form => "in the maintenance window form".into(),
            Mode::Editor => "in the postmortem editor".into(),
            Mode::Conflict => "when a postmortem was saved by someone else first".into(),
            Mode::Confirm => "in confirmations".into(),
            Mode::Overlay => "in the help, outbox and message panels".into(),
            Mode::Offer => "while a restored draft is offered".into(),
        }
    }

    const ALL: [Mode; 16] = [
        Mode::Global,
        Mode::Incidents,
        Mode::Tickets,
        Mode::Sla,
        Mode::Drift,
        Mode::Calendar,
        Mode::Postmortems,
        Mode::List,
        Mode::Detail,
        Mode::Input,
        Mode::Form,
        Mode::Editor,
        Mode::Conflict,
        Mode::Confirm,
        Mode::Overlay,
        Mode::Offer,
    ];

    /// Layers that are never active at once may bind the same key to different actions.
    fn can_stack_with(self, other: Mode) -> bool {
        const STACKABLE: [Mode; 10] = [
            Mode::Offer,
            Mode::Global,
            Mode::List,
            Mode::Detail,
            Mode::Incidents,
            Mode::Tickets,
            Mode::Sla,
            Mode::Drift,
            Mode::Calendar,
            Mode::Postmortems,
        ];
        let tab = |m: Mode| {
            matches!(m, Mode::Incidents | Mode::Tickets | Mode::Sla | Mode::Drift | Mode::Calendar | Mode::Postmortems)
        };
        let view = |m: Mode| matches!(m, Mode::List | Mode::Detail);
        if self == other {
            return true;
        }
        STACKABLE.contains(&self)
            && STACKABLE.contains(&other)
            && !(tab(self) && tab(other))
            && !(view(self) && view(other))
    }
}

/// The built-in bindings: `(mode, keys, action)`. The tabs' number keys come from the tab
/// registry ([`TabId::meta`]) and go after `backtab`.
const DEFAULTS: &[(Mode, &[&str], Action)] = &[
    (Mode::Global, &["q", "ctrl-c"], Action::Quit),
    (Mode::Global, &["?"], Action::Help),
    (Mode::Global, &["ctrl-r"], Action::Refresh),
    (Mode::Global, &["o"], Action::ShowOutbox),
    (Mode::Global, &["L"], Action::MessageLog),
    (Mode::Global, &["tab"], Action::NextTab),
    (Mode::Global, &["backtab"], Action::PrevTab),
    (Mode::Incidents, &["p"], Action::Postmortem),
    (Mode::Incidents, &["*"], Action::StarEvent),
    (Mode::Incidents, &["a"], Action::Acknowledge),
    (Mode::Incidents, &["e"], Action::Escalate),
    (Mode::Incidents, &["r"], Action::Resolve),
    (Mode::Incidents, &["n"], Action::AddNote),
    (Mode::Incidents, &["A"], Action::Assign),
    (Mode::Incidents, &["T"], Action::OpenLinkedTicket),
    (Mode::Tickets, &["t"], Action::Take),
    (Mode::Tickets, &["A"], Action::Assign),
    (Mode::Tickets, &["e"], Action::Escalate),
    (Mode::Tickets, &["R"], Action::FirstResponse),
    (Mode::Tickets, &["p"], Action::TogglePending),
    (Mode::Tickets, &["r"], Action::Resolve),
    (Mode::Tickets, &["i"], Action::OpenLinkedIncident),
    (Mode::Drift, &["m"], Action::NextModel),
    (Mode::Drift, &["M"], Action::PrevModel),
    (Mode::Drift, &["f"], Action::NextFeature),
    (Mode::Drift, &["F"], Action::PrevFeature),
    (Mode::Drift, &["s"], Action::NextStatistic),
    (Mode::Drift, &["v"], Action::NextView),
    (Mode::Drift, &["left", "h"], Action::EarlierWindow),
    (Mode::Drift, &["right", "l"], Action::LaterWindow),
    (Mode::Drift, &["end", "G"], Action::NewestWindow),
    (Mode::Drift, &["+", "="], Action::ZoomIn),
    (Mode::Drift, &["-"], Action::ZoomOut),
    (Mode::Calendar, &["left", "h"], Action::PrevMonth),
    (Mode::Calendar, &["right", "l"], Action::NextMonth),
    (Mode::Calendar, &["t"], Action::Today),
    (Mode::Calendar, &["k", "up"], Action::MoveUp),
    (Mode::Calendar, &["j", "down"], Action::MoveDown),
    (Mode::Calendar, &["n"], Action::NewWindow),
    (Mode::Calendar, &["e"], Action::EditWindow),
    (Mode::Calendar, &["x"], Action::CancelWindow),
    (Mode::Calendar, &["i"], Action::ImportCalendar),
    (Mode::Calendar, &["enter"], Action::Open),
    (Mode::Calendar, &["esc", "backspace"], Action::Back),
    (Mode::List, &["k", "up"], Action::MoveUp),
    (Mode::List, &["j", "down"], Action::MoveDown),
    (Mode::List, &["pageup", "ctrl-u"], Action::PageUp),
    (Mode::List, &["pagedown", "ctrl-d"], Action::PageDown),
    (Mode::List, &["g", "home"], Action::First),
    (Mode::List, &["G", "end"], Action::Last),
    (Mode::List, &["enter"], Action::Open),
    (Mode::List, &["/"], Action::Filter),
    (Mode::List, &["esc"], Action::Back),
    (Mode::Detail, &["k", "up"], Action::MoveUp),
    (Mode::Detail, &["j", "down"], Action::MoveDown),
    (Mode::Detail, &["pageup", "ctrl-u"], Action::PageUp),
    (Mode::Detail, &["pagedown", "ctrl-d"], Action::PageDown),
    (Mode::Detail, &["g", "home"], Action::First),
    (Mode::Detail, &["G", "end"], Action::Last),
    (Mode::Detail, &["esc", "backspace", "h", "left"], Action::Back),
    (Mode::Input, &["enter"], Action::Submit),
    (Mode::Input, &["esc", "ctrl-c"], Action::CancelInput),
    (Mode::Input, &["ctrl-u"], Action::ClearInput),
    (Mode::Input, &["tab"], Action::Complete),
    (Mode::Postmortems, &["k", "up"], Action::MoveUp),
    (Mode::Postmortems, &["j", "down"], Action::MoveDown),
    (Mode::Postmortems, &["enter"], Action::Open),
    (Mode::Postmortems, &["f"], Action::CycleStatusFilter),
    (Mode::Postmortems, &["s"], Action::AdvanceStatus),
    (Mode::Postmortems, &["E"], Action::ExportMarkdown),
    (Mode::Editor, &["ctrl-s"], Action::SavePostmortem),
    (Mode::Editor, &["ctrl-e"], Action::ExternalEditor),
    (Mode::Editor, &["ctrl-f"], Action::Find),
    (Mode::Editor, &["tab"], Action::NextField),
    (Mode::Editor, &["backtab"], Action::PrevField),
    (Mode::Editor, &["esc", "ctrl-c"], Action::CloseEditor),
    (Mode::Editor, &["ctrl-l"], Action::LoadFromDisk),
    (Mode::Conflict, &["t"], Action::TakeTheirs),
    (Mode::Conflict, &["m", "esc", "ctrl-c"], Action::KeepMine),
    (Mode::Conflict, &["r"], Action::SaveMineOnTop),
    (Mode::Form, &["enter", "ctrl-s"], Action::Submit),
    (Mode::Form, &["tab", "down"], Action::NextField),
    (Mode::Form, &["backtab", "up"], Action::PrevField),
    (Mode::Form, &["ctrl-u"], Action::ClearField),
    (Mode::Form, &["esc", "ctrl-c"], Action::CancelInput),
    (Mode::Confirm, &["y", "enter"], Action::Confirm),
    (Mode::Confirm, &["n", "esc", "ctrl-c"], Action::Cancel),
    (Mode::Overlay, &["esc", "q", "ctrl-c"], Action::Back),
    (Mode::Overlay, &["?"], Action::Help),
    (Mode::Overlay, &["o"], Action::ShowOutbox),
    (Mode::Overlay, &["k", "up"], Action::MoveUp),
    (Mode::Overlay, &["j", "down"], Action::MoveDown),
    (Mode::Overlay, &["pageup", "ctrl-u"], Action::PageUp),
    (Mode::Overlay, &["pagedown", "ctrl-d"], Action::PageDown),
    (Mode::Overlay, &["g", "home"], Action::First),
    (Mode::Overlay, &["G", "end"], Action::Last),
    (Mode::Overlay, &["L"], Action::MessageLog),
    (Mode::Overlay, &["d"], Action::DropEntry),
    (Mode::Overlay, &["r"], Action::RetryEntry),
    (Mode::Offer, &["enter"], Action::OpenRestored),
    (Mode::Offer, &["esc"], Action::DismissRestored),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// In display order: mode, then the order of `DEFAULTS`.
    bindings: Vec<(Mode, Action, Vec<KeyChord>)>,
    index: HashMap<(Mode, KeyChord), Action>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings: Vec<(Mode, Action, Vec<KeyChord>)> = DEFAULTS
            .iter()
            .map(|(mode, keys, action)| {
                let chords = keys.iter().map(|k| k.parse().expect("default keys parse")).collect();
                (*mode, *action, chords)
            })
            .collect();
        let at = bindings.iter().position(|(_, a, _)| *a == Action::PrevTab).map_or(0, |i| i + 1);
        let numbers = TabId::ALL.into_iter().map(|tab| {
            let key = tab.number().to_string().parse().expect("a digit parses");
            (Mode::Global, tab.meta().action, vec![key])
        });
        bindings.splice(at..at, numbers);
        Keymap::from_bindings(bindings)
    }
}

impl Keymap {
    fn from_bindings(bindings: Vec<(Mode, Action, Vec<KeyChord>)>) -> Self {
        let mut index = HashMap::new();
        for (mode, action, chords) in &bindings {
            for chord in chords {
                index.entry((*mode, *chord)).or_insert(*action);
            }
        }
        Keymap { bindings, index }
    }

    /// Rebinds actions: each named action gets exactly the given keys wherever it is bound by
    /// default. A key taken from another action that could be active at the same time is removed
    /// from it, with a warning that names the key, what it was, and what that action is left
    /// with. `Ctrl-c` always quits outside prompts, whatever else is bound. Returns the keymap and
    /// the warnings.
    pub fn with_overrides(overrides: &BTreeMap<Action, Vec<KeyChord>>) -> (Keymap, Vec<String>) {
        let mut warnings = Vec::new();
        let mut bindings = Keymap::default().bindings;
        // (key, the action it was taken from, the layer, the action it went to)
        let mut taken: Vec<(KeyChord, Action, Mode, Action)> = Vec::new();
        let ctrl_c = KeyChord::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for (action, chords) in overrides {
            let mut chords = chords.clone();
            if !action.may_take_ctrl_c() && chords.contains(&ctrl_c) {
                chords.retain(|c| *c != ctrl_c);
                warnings.push(format!("Ctrl-c stays with quitting; `{}` does not get it", action.name()));
            }
            let chords = &chords;
            if !bindings.iter().any(|(_, a, _)| a == action) {
                warnings.push(format!("`{}` cannot be bound to a key", action.name()));
                continue;
            }
            let modes: Vec<Mode> = bindings.iter().filter(|(_, a, _)| a == action).map(|(m, _, _)| *m).collect();
            for (mode, bound_action, bound_chords) in bindings.iter_mut() {
                if bound_action == action {
                    *bound_chords = chords.clone();
                    continue;
                }
                if !modes.iter().any(|m| m.can_stack_with(*mode)) {
                    continue;
                }
                bound_chords.retain(|c| {
                    let keep = !chords.contains(c);
                    if !keep {
                        taken.push((*c, *bound_action, *mode, *action));
                    }
                    keep
                });
            }
        }
        // Quitting is never out of reach: ctrl-c quits wherever no prompt takes it.
        if let Some((_, _, chords)) = bindings.iter_mut().find(|(m, a, _)| *m == Mode::Global && *a == Action::Quit)
            && !chords.contains(&ctrl_c)
        {
            chords.push(ctrl_c);
        }
        let mut unbound: Vec<Action> = Vec::new();
        for (chord, from, mode, to) in &taken {
            let left: Vec<String> = bindings
                .iter()
                .filter(|(m, a, _)| a == from && m == mode)
                .flat_map(|(_, _, c)| c.iter().map(ToString::to_string))
                .collect();
            let now = format!("it is now `{}`", to.name());
            let then = if left.is_empty() {
                unbound.push(*from);
                format!("`{}` is now unbound — bind it elsewhere under [keys]", from.name())
            } else {
                format!("`{}` is still on {}", from.name(), dedup(left).join(" "))
            };
            warnings.push(format!("`{chord}` was `{}` {}; {now}; {then}", from.name(), mode.place()));
        }
        for (_, action, chords) in &bindings {
            if chords.is_empty() && !unbound.contains(action) {
                unbound.push(*action);
                warnings.push(format!("`{}` has no key left — bind it under [keys]", action.name()));
            }
        }
        warnings.dedup();
        (Keymap::from_bindings(bindings), warnings)
    }

    /// The action for a key, looked up in the active layers, most specific first.
    pub fn resolve(&self, layers: &[Mode], event: &KeyEvent) -> Option<Action> {
        let chord = KeyChord::from_event(event)?;
        layers.iter().find_map(|mode| self.index.get(&(*mode, chord)).copied())
    }

    /// The keys of an action in the active layers, e.g. for hints in the status bar.
    pub fn keys_for(&self, layers: &[Mode], action: Action) -> Option<&[KeyChord]> {
        layers.iter().find_map(|m| {
            self.bindings
                .iter()
                .find(|(bm, a, c)| bm == m && *a == action && !c.is_empty())
                .map(|(_, _, c)| c.as_slice())
        })
    }

    /// The first key of an action, displayed (`a`, `Ctrl-r`), or `-` when it has none.
    pub fn key_label(&self, layers: &[Mode], action: Action) -> String {
        self.keys_for(layers, action).and_then(|k| k.first()).map_or_else(|| "-".to_string(), |k| k.to_string())
    }

    /// Every action that has a key somewhere.
    pub fn bound_actions(&self) -> impl Iterator<Item = Action> + '_ {
        self.bindings.iter().filter(|(_, _, c)| !c.is_empty()).map(|(_, a, _)| *a)
    }

    /// The help screen's content: per mode, the keys and what they do.
    pub fn help_sections(&self) -> Vec<HelpSection> {
        Mode::ALL
            .iter()
            .map(|mode| HelpSection {
                title: mode.title(),
                entries: self
                    .bindings
                    .iter()
                    .filter(|(m, _, chords)| m == mode && !chords.is_empty())
                    .map(|(_, action, chords)| HelpEntry {
                        keys: chords.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
                        action: *action,
                    })
                    .collect(),
            })
            .filter(|s| !s.entries.is_empty())
            .collect()
    }
}

/// `items` without repeats, in order.
fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpSection {
    pub title: &'static str,
    pub entries: Vec<HelpEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpEntry {
    pub keys: String,
    pub action: Action,
}

#[cfg(test)]
mod tests;
