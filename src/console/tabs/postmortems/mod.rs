//! The Postmortems tab's state: every postmortem the backend sent, by id, and which one is
//! selected. The editor's state is `editor`; what the tab and the editor do, `update.rs`.

pub mod editor;
pub(crate) mod update;
pub mod view;

use crate::console::action::Action;
use crate::console::keymap::Mode;
use crate::console::tabs::TabMeta;
use crate::domain::postmortem::postmortem_id;
use crate::domain::{Postmortem, PostmortemStatus};

pub const META: TabMeta =
    TabMeta { title: "Postmortems", short_title: "PM", mode: Mode::Postmortems, action: Action::TabPostmortems };

#[derive(Debug, Clone, Default)]
pub struct PostmortemsTab {
    /// By id; the newest version wins.
    all: Vec<Postmortem>,
    /// Only these statuses are listed (`None`: all).
    pub status_filter: Option<PostmortemStatus>,
    pub selected: usize,
}

impl PostmortemsTab {
    pub fn new(postmortems: Vec<Postmortem>) -> PostmortemsTab {
        let mut tab = PostmortemsTab::default();
        tab.upsert_many(postmortems);
        tab
    }

    /// Takes in postmortems from a sync or an answer; an older version never replaces a newer.
    pub fn upsert_many(&mut self, postmortems: Vec<Postmortem>) {
        for pm in postmortems {
            match self.all.binary_search_by(|p| p.id.cmp(&pm.id)) {
                Ok(i) if self.all[i].version <= pm.version => self.all[i] = pm,
                Ok(_) => {}
                Err(i) => self.all.insert(i, pm),
            }
        }
    }

    pub fn clear(&mut self) {
        *self = PostmortemsTab { status_filter: self.status_filter, ..PostmortemsTab::default() };
    }

    pub fn get(&self, id: &str) -> Option<&Postmortem> {
        self.all.binary_search_by(|p| p.id.as_str().cmp(id)).ok().map(|i| &self.all[i])
    }

    /// The postmortem of an incident, if there is one.
    pub fn of_incident(&self, incident_id: &str) -> Option<&Postmortem> {
        self.get(&postmortem_id(incident_id))
    }

    /// The version a save is taken against: the one known (0 when there is none yet: the save
    /// creates it).
    pub fn base_version(&self, id: &str) -> i64 {
        self.get(id).map_or(0, |p| p.version)
    }

    /// The listed postmortems, most recently changed first.
    pub fn listed(&self) -> Vec<&Postmortem> {
        let mut listed: Vec<&Postmortem> =
            self.all.iter().filter(|p| self.status_filter.is_none_or(|s| p.status == s)).collect();
        listed.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.id.cmp(&b.id)));
        listed
    }

    /// How many are listed (without sorting them, for the header on every frame).
    pub fn listed_len(&self) -> usize {
        self.all.iter().filter(|p| self.status_filter.is_none_or(|s| p.status == s)).count()
    }

    pub fn selected(&self) -> Option<&Postmortem> {
        self.listed().get(self.selected).copied()
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.listed_len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// All → draft → in review → published → all.
    pub fn cycle_filter(&mut self) {
        self.status_filter = match self.status_filter {
            None => Some(PostmortemStatus::Draft),
            Some(s) => PostmortemStatus::ALL.iter().skip_while(|x| **x != s).nth(1).copied(),
        };
        self.selected = 0;
    }
}

#[cfg(test)]
mod tests;
