//! What the Calendar tab's actions do: plan, edit, cancel and import maintenance windows.

use chrono::{DateTime, Utc};

use super::{AppState, Level, Update};
use crate::action::Action;

impl AppState {
    pub(super) fn on_maintenance_action(&mut self, action: Action, now: DateTime<Utc>) -> Update {
        let _ = action;
        self.flash(Level::Info, "not built yet", now);
        Update::changed()
    }
}
