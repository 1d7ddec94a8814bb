//! The terminal console: the run loop and its turns, the one event channel, the keymap and actions, the state
//! and its pure `update`, effects and their runner, the display zone resolved at start, one folder
//! per tab, and the shared widgets.

pub mod action;
pub mod app;
pub mod clocks;
pub mod data;
mod editor;
pub mod effect;
pub mod event;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod list;
pub mod outbox;
pub mod push;
pub mod state;
pub mod sync;
pub mod tabs;
pub mod terminal;
pub mod theme;
pub mod time;
pub mod turns;
pub mod view;
pub mod watch;
pub mod widgets;
pub mod zone;
