//! What the Drift tab does (its [`Tab`] impl): picking the model, feature and statistic, moving
//! the selected window, zooming, switching the view; its hints and header counts.

use super::{DriftTab, META};
use crate::console::action::Action;
use crate::console::keymap::Mode;
use crate::console::state::Level;
use crate::console::tabs::incidents::{IncidentSpan, IncidentsTab};
use crate::console::tabs::{Hints, Outcome, TAB_HINTS, Tab, TabContext, TabMeta, step};

const HINTS: Hints = &[
    (Action::NextModel, "model"),
    (Action::NextFeature, "feature"),
    (Action::NextStatistic, "statistic"),
    (Action::ZoomIn, "zoom in"),
    (Action::ZoomOut, "out"),
    (Action::EarlierWindow, "earlier"),
    (Action::LaterWindow, "later"),
    (Action::NextView, "view"),
];

/// The incidents the markers show (those of the model's service).
fn incidents<'a>(cx: &TabContext<'a>) -> impl Iterator<Item = IncidentSpan<'a>> {
    cx.incidents.into_iter().flat_map(IncidentsTab::spans)
}

impl Tab for DriftTab {
    fn meta(&self) -> &'static TabMeta {
        &META
    }

    fn layers(&self) -> &'static [Mode] {
        &[Mode::Drift]
    }

    fn update(&mut self, action: Action, cx: &TabContext<'_>) -> Outcome {
        match action {
            _ if step(action, cx.rows).is_some() => {}
            Action::NextModel => self.next_model(1, incidents(cx)),
            Action::PrevModel => self.next_model(-1, incidents(cx)),
            Action::NextFeature => self.next_feature(1, incidents(cx)),
            Action::PrevFeature => self.next_feature(-1, incidents(cx)),
            Action::NextStatistic => self.next_statistic(),
            Action::NextView => self.view = self.view.next(),
            Action::EarlierWindow => self.move_cursor(-1),
            Action::LaterWindow => self.move_cursor(1),
            Action::NewestWindow => self.follow(),
            Action::ZoomIn => self.zoom(-1),
            Action::ZoomOut => self.zoom(1),
            Action::Filter => return Outcome::flash(Level::Info, "pick a model with m and a feature with f"),
            _ => return Outcome::Unchanged,
        }
        Outcome::Changed
    }

    fn hints(&self, _layers: &[Mode]) -> [Hints; 2] {
        [HINTS, TAB_HINTS]
    }

    fn counts(&self) -> String {
        format!("{} models", self.data.models.len())
    }

    fn no_target(&self) -> &'static str {
        "the Drift tab has nothing to act on"
    }
}
