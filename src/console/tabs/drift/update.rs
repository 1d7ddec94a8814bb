//! What the Drift tab's actions do.

use crate::console::action::Action;
use crate::console::state::{AppState, Update};

impl AppState {
    pub(crate) fn on_drift_action(&mut self, action: Action) -> Update {
        let incidents = self.incidents.all_incidents();
        let drift = &mut self.drift;
        match action {
            Action::NextModel => drift.next_model(1, incidents),
            Action::PrevModel => drift.next_model(-1, incidents),
            Action::NextFeature => drift.next_feature(1, incidents),
            Action::PrevFeature => drift.next_feature(-1, incidents),
            Action::NextStatistic => drift.next_statistic(),
            Action::NextView => drift.view = drift.view.next(),
            Action::EarlierWindow => drift.move_cursor(-1),
            Action::LaterWindow => drift.move_cursor(1),
            Action::NewestWindow => drift.follow(),
            Action::ZoomIn => drift.zoom(-1),
            Action::ZoomOut => drift.zoom(1),
            _ => return Update::unchanged(),
        }
        Update::changed()
    }
}
