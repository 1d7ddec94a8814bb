//! The tab registry: which tabs there are ([`TabId`]), what every tab provides ([`Tab`] for its
//! state, [`TabView`] for its view), and the one place that maps a [`TabId`] to a tab's state.
//!
//! Each tab is a folder: `mod.rs` its state, `update.rs` its [`Tab`] impl (the actions it takes
//! by itself, its reconcile, hints, header counts and wake-ups) and the handlers that need the
//! root, `view.rs` its widget and its [`TabView`] impl, and its tests. The root
//! (`console::state`) routes an action to the focused tab through [`AppState::tab_mut`] and
//! carries out what the tab asks of it ([`Request`]); nothing outside this file matches on a
//! `TabId`. Adding a tab is a folder, a variant here and an arm in each function below.
//!
//! This file and the tabs' state files import no view: the views import the states.

pub mod calendar;
pub mod drift;
pub mod incidents;
pub mod postmortems;
pub mod sla;
pub mod tickets;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::console::action::Action;
use crate::console::clocks::Pause;
use crate::console::keymap::{Keymap, Mode};
use crate::console::list::{Back, Item, List, Queue, Row, Step};
use crate::console::state::{AppState, Level};
use crate::console::theme::Theme;
use crate::domain::{Command, Incident, Rejection};
use crate::sla::{Band, SlaPolicy};

/// The tabs, in the order of the tab bar and the number keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TabId {
    #[default]
    Incidents,
    Tickets,
    Sla,
    Drift,
    Calendar,
    Postmortems,
}

/// What a tab is called, the keymap layer of its keys, and the action of its number key: the
/// one place these are spelled (the tab bar, the keymap's number keys and the help read them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TabMeta {
    pub title: &'static str,
    /// The name in the tab bar on narrow terminals.
    pub short_title: &'static str,
    pub mode: Mode,
    /// Bound to the tab's number (`1` for the first tab).
    pub action: Action,
}

impl TabId {
    pub const ALL: [TabId; 6] =
        [TabId::Incidents, TabId::Tickets, TabId::Sla, TabId::Drift, TabId::Calendar, TabId::Postmortems];

    pub fn meta(self) -> &'static TabMeta {
        match self {
            TabId::Incidents => &incidents::META,
            TabId::Tickets => &tickets::META,
            TabId::Sla => &sla::META,
            TabId::Drift => &drift::META,
            TabId::Calendar => &calendar::META,
            TabId::Postmortems => &postmortems::META,
        }
    }

    pub fn title(self) -> &'static str {
        self.meta().title
    }

    /// The name in the tab bar on narrow terminals.
    pub fn short_title(self) -> &'static str {
        self.meta().short_title
    }

    /// The tab whose number key does `action`.
    pub fn for_action(action: Action) -> Option<TabId> {
        TabId::ALL.into_iter().find(|t| t.meta().action == action)
    }

    /// The tab whose keymap layer is `mode`.
    pub fn for_mode(mode: Mode) -> Option<TabId> {
        TabId::ALL.into_iter().find(|t| t.meta().mode == mode)
    }

    fn index(self) -> usize {
        TabId::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    pub fn number(self) -> usize {
        self.index() + 1
    }

    pub fn next(self) -> TabId {
        TabId::ALL[(self.index() + 1) % TabId::ALL.len()]
    }

    pub fn prev(self) -> TabId {
        TabId::ALL[(self.index() + TabId::ALL.len() - 1) % TabId::ALL.len()]
    }
}

/// Key hints for the footer: an action and what the hint calls it.
pub type Hints = &'static [(Action, &'static str)];

/// The hints of a list, after the tab's own.
pub const LIST_HINTS: Hints = &[
    (Action::Help, "help"),
    (Action::Open, "open"),
    (Action::Filter, "filter"),
    (Action::NextTab, "next tab"),
    (Action::Quit, "quit"),
];
/// The hints of a detail view, after the tab's own.
pub const DETAIL_HINTS: Hints = &[(Action::Back, "back"), (Action::Help, "help")];
/// The hints of a tab that is no list to filter, after the tab's own.
pub const TAB_HINTS: Hints = &[(Action::Help, "help"), (Action::NextTab, "next tab"), (Action::Quit, "quit")];

/// What a tab's update may read besides its own state.
pub struct TabContext<'a> {
    pub now: DateTime<Utc>,
    /// List rows that fit on screen (a page).
    pub rows: usize,
    /// The display time zone, resolved once at start.
    pub zone: crate::console::zone::DisplayZone,
    /// Why dangerous actions are disabled, if they are.
    pub read_only: Option<&'static str>,
    /// The incidents, for a tab that draws them (Drift's markers); `None` while the Incidents
    /// tab itself is the one updated.
    pub incidents: Option<&'a incidents::IncidentsTab>,
}

/// What a tab's wake-up reads besides its own state.
pub struct WakeContext<'a> {
    pub now: DateTime<Utc>,
    pub rows: usize,
    pub width: u16,
    pub policy: &'a SlaPolicy,
    /// Per service, the maintenance pauses of SLA clocks.
    pub pauses: &'a HashMap<String, Vec<Pause>>,
}

/// What a tab's update did.
// One is returned per action and moved straight to the root, never stored in bulk: a request
// carrying a maintenance window is large, and boxing it would only add an allocation per key.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Unchanged,
    Changed,
    /// Handled as far as the tab can: the root carries out the rest.
    Request(Request),
}

impl Outcome {
    /// A message for the status line.
    pub fn flash(level: Level, text: impl Into<String>) -> Outcome {
        Outcome::Request(Request::Flash(level, text.into()))
    }
}

/// What a tab asks of the root: what needs more than the tab's own state (another tab, a
/// dialog, the outbox, the status line).
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Show a message.
    Flash(Level, String),
    /// Open the filter prompt, holding the tab's filter.
    Filter { placeholder: &'static str },
    /// Open item `id` in tab `to`'s detail, remembering where the user came from.
    Follow { to: TabId, id: String },
    /// The detail of `id` was closed: back to where its link was followed from.
    ClosedDetail { id: String },
    /// Open postmortem `id` in the editor.
    OpenEditor { id: String },
    /// Open the postmortem of an incident, drafting it from the template if there is none.
    DraftPostmortem(Box<Incident>),
    /// Take `command` on the item on screen, after the checks every action gets.
    Act { action: Action, command: Command },
}

/// The item actions apply to on a tab: its id, its title, and whether a probed command would
/// apply to it as shown.
pub type Target = (String, String, Result<(), Rejection>);

/// A tab's state and what it does: its keys, the actions it takes by itself, what it does when
/// data changed, and what the header, footer and run loop need to know of it.
pub trait Tab: TabView {
    fn meta(&self) -> &'static TabMeta;

    /// The keymap layers of its view, most specific first, without `Global`: the ticket queue is
    /// `[Tickets, List]`, an incident's timeline `[Incidents, Detail]`.
    fn layers(&self) -> &'static [Mode];

    /// What `action` does on this tab; `Unchanged` for actions it does not take.
    fn update(&mut self, action: Action, cx: &TabContext<'_>) -> Outcome;

    /// The tab's list when it is a queue (Incidents, Tickets): filtering and reconciling are
    /// then the queue's.
    fn list(&self) -> Option<&dyn List> {
        None
    }

    fn list_mut(&mut self) -> Option<&mut dyn List> {
        None
    }

    /// After every update while on screen: the selection stays in view of `rows` rows (after a
    /// re-sort, new rows or a resize), and a list not used yet (`fresh`) shows its top.
    fn reconcile(&mut self, rows: usize, fresh: bool) {
        if let Some(list) = self.list_mut() {
            list.reconcile(rows, fresh);
        }
    }

    /// Footer hints for `layers`: the tab's own, then those of its view.
    fn hints(&self, layers: &[Mode]) -> [Hints; 2];

    /// The header's counts (`3 open · 120`).
    fn counts(&self) -> String;

    /// The filter, for the header's chip and the filter prompt (empty: none).
    fn filter(&self) -> &str {
        self.list().map_or("", List::filter)
    }

    /// How many rows the filter lets through.
    fn shown(&self) -> usize {
        self.list().map_or(0, List::visible_len)
    }

    /// Filters the tab's list by `text`, keeping the selection in view of `rows` rows.
    fn filter_by(&mut self, text: &str, rows: usize) {
        if let Some(list) = self.list_mut() {
            list.filter_by(text, rows);
        }
    }

    /// When something the tab shows changes by itself next (an age, a countdown).
    fn next_wake(&self, _cx: &WakeContext<'_>) -> Option<DateTime<Utc>> {
        None
    }

    /// The tab bar's badge beside the tab's name (the SLA tab's clocks in trouble).
    fn badge(&self, _now: DateTime<Utc>) -> Option<(String, Band)> {
        None
    }

    /// The item actions apply to; `probe` is checked against it as shown. `me` acts.
    fn action_target(&self, _probe: Option<&Command>, _me: &str) -> Option<Target> {
        None
    }

    /// What the item action `action` (acknowledge, take, escalate, resolve…) is on this tab.
    fn command(&self, _action: Action) -> Option<Command> {
        None
    }

    /// The prompt `A` (assign) opens for item `id` on this tab, if its items can be assigned.
    fn assign_prompt(&self, _id: String) -> Option<crate::console::state::InputKind> {
        None
    }

    /// What an item action says when there is nothing on this tab to take it on.
    fn no_target(&self) -> &'static str;

    /// Opens item `id` (a link followed from another tab) in the detail view.
    fn open_item(&mut self, _id: &str, _rows: usize) -> bool {
        false
    }
}

/// What a view reads besides its tab's state.
pub struct ViewContext<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    /// The display time zone, resolved once at start.
    pub zone: crate::console::zone::DisplayZone,
    pub now: DateTime<Utc>,
}

/// A tab's view: implemented in the tab's `view.rs`, which draws its widget borrowing the
/// tab's state. `app` is there for views that show shared data (other tabs' items, services,
/// the outbox, drafts); each view's doc says what it reads of it.
pub trait TabView {
    fn render(&self, area: Rect, buf: &mut Buffer, cx: &ViewContext<'_>, app: &AppState);
}

/// The next whole second after `now`: countdowns on screen show seconds.
pub fn next_second(now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::milliseconds(1000 - i64::from(now.timestamp_subsec_millis()))
}

/// Where a navigation key moves a list or detail view of `rows` rows; `None` for other actions.
pub fn step(action: Action, rows: usize) -> Option<Step> {
    let page = rows.max(1) as isize;
    Some(match action {
        Action::MoveUp => Step::By(-1),
        Action::MoveDown => Step::By(1),
        Action::PageUp => Step::By(-page),
        Action::PageDown => Step::By(page),
        Action::First => Step::First,
        Action::Last => Step::Last,
        _ => return None,
    })
}

/// What a queue tab (Incidents, Tickets) does with its list's keys: moving (through a detail of
/// `lines(row)` lines when one is open), `Enter` opening the selected row, `Esc` closing it or
/// clearing the filter, `/` asking for the filter prompt. `None` for any other action.
pub fn queue_update<T: Item, K: Ord + Copy + Default>(
    queue: &mut Queue<T, K>,
    action: Action,
    rows: usize,
    placeholder: &'static str,
    lines: impl FnOnce(&Row<T, K>) -> usize,
) -> Option<Outcome> {
    if let Some(step) = step(action, rows) {
        queue.navigate(step, rows, lines);
        return Some(Outcome::Changed);
    }
    Some(match action {
        Action::Open => {
            queue.open_detail();
            Outcome::Changed
        }
        Action::Back => match queue.back(rows) {
            Back::ClosedDetail(id) => Outcome::Request(Request::ClosedDetail { id }),
            Back::ClearedFilter => Outcome::Changed,
            Back::Nothing => Outcome::Unchanged,
        },
        Action::Filter => Outcome::Request(Request::Filter { placeholder }),
        _ => return None,
    })
}

/// A queue tab's hints: its own, then a detail view's or a list's.
pub fn queue_hints(own: Hints, layers: &[Mode]) -> [Hints; 2] {
    [own, if layers.contains(&Mode::Detail) { DETAIL_HINTS } else { LIST_HINTS }]
}

impl AppState {
    /// The state of tab `id`.
    pub fn tab(&self, id: TabId) -> &dyn Tab {
        match id {
            TabId::Incidents => &self.incidents,
            TabId::Tickets => &self.tickets,
            TabId::Sla => &self.sla,
            TabId::Drift => &self.drift,
            TabId::Calendar => &self.calendar,
            TabId::Postmortems => &self.postmortems,
        }
    }

    pub fn tab_mut(&mut self, id: TabId) -> &mut dyn Tab {
        match id {
            TabId::Incidents => &mut self.incidents,
            TabId::Tickets => &mut self.tickets,
            TabId::Sla => &mut self.sla,
            TabId::Drift => &mut self.drift,
            TabId::Calendar => &mut self.calendar,
            TabId::Postmortems => &mut self.postmortems,
        }
    }

    /// The tab on screen.
    pub fn focused(&self) -> &dyn Tab {
        self.tab(self.tab)
    }

    /// The tab on screen, and what its update may read of the rest as of `now`.
    pub(crate) fn focused_mut(&mut self, now: DateTime<Utc>) -> (&mut dyn Tab, TabContext<'_>) {
        let (rows, zone, read_only) =
            (crate::console::layout::list_rows(self.body_height()), self.settings.timezone, self.read_only_reason());
        let mut cx = TabContext { now, rows, zone, read_only, incidents: None };
        let tab: &mut dyn Tab = match self.tab {
            TabId::Incidents => &mut self.incidents,
            TabId::Tickets => &mut self.tickets,
            TabId::Sla => &mut self.sla,
            TabId::Drift => {
                cx.incidents = Some(&self.incidents);
                &mut self.drift
            }
            TabId::Calendar => &mut self.calendar,
            TabId::Postmortems => &mut self.postmortems,
        };
        (tab, cx)
    }
}
