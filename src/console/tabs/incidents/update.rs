//! What the Incidents tab does by itself (its [`Tab`] impl): moving through the list and an
//! incident's timeline, opening and closing it, filtering, `*` starring the event marked `▸`,
//! `p` asking for the incident's postmortem; its hints, header counts and wake-ups (ages and the
//! SLA column on screen change by themselves, all on whole seconds). Acting on the incident (acknowledge, escalate,
//! resolve, note, reassign) is the root's (`state::act`, `assign`): the tab says what the action is here.

use chrono::{DateTime, Duration, Utc};

use super::{IncidentsTab, META, Row};
use crate::console::action::Action;
use crate::console::clocks::nearest_clock;
use crate::console::keymap::Mode;
use crate::console::list::List;
use crate::console::state::{InputKind, Level};
use crate::console::tabs::{
    Hints, Outcome, Request, Tab, TabContext, TabMeta, Target, WakeContext, queue_hints, queue_update,
};
use crate::console::time::{from_second, second};
use crate::domain::{Command, IncidentAction};

const HINTS: Hints = &[
    (Action::Acknowledge, "ack"),
    (Action::Escalate, "escalate"),
    (Action::Resolve, "resolve"),
    (Action::AddNote, "note"),
];

impl Tab for IncidentsTab {
    fn meta(&self) -> &'static TabMeta {
        &META
    }

    fn layers(&self) -> &'static [Mode] {
        match self.detail() {
            Some(_) => &[Mode::Incidents, Mode::Detail],
            None => &[Mode::Incidents, Mode::List],
        }
    }

    fn update(&mut self, action: Action, cx: &TabContext<'_>) -> Outcome {
        let placeholder = "id, priority, status, service, title, assignee…";
        let lines = |r: &Row| r.incident().timeline.len() + r.pending().len();
        if let Some(outcome) = queue_update(&mut self.list, action, cx.rows, placeholder, lines) {
            return outcome;
        }
        match action {
            Action::StarEvent => self.star_event(),
            Action::Postmortem => self.postmortem(cx.read_only),
            _ => Outcome::Unchanged,
        }
    }

    fn list(&self) -> Option<&dyn List> {
        Some(&self.list)
    }

    fn list_mut(&mut self) -> Option<&mut dyn List> {
        Some(&mut self.list)
    }

    fn hints(&self, layers: &[Mode]) -> [Hints; 2] {
        queue_hints(HINTS, layers)
    }

    fn counts(&self) -> String {
        if self.counting() {
            format!("{} open · … (loading {})", self.open_count(), self.loaded())
        } else if self.loaded() < self.total() {
            format!("{} open · {} (loading {})", self.open_count(), self.total(), self.loaded())
        } else {
            format!("{} open · {}", self.open_count(), self.total())
        }
    }

    /// Ages on screen change on their step (`time::age_step`: 5 s, a minute or an hour); the
    /// list's SLA column (shown from 90 columns) on the minute of each clock on screen. A frame shows them as of the whole
    /// second (`time::second`), so every one of them changes on a whole second: one wake-up a
    /// second at most, however many young incidents are on screen.
    fn next_wake(&self, cx: &WakeContext<'_>) -> Option<DateTime<Utc>> {
        let shown = second(cx.now);
        let mut next: Option<DateTime<Utc>> = None;
        let mut consider = |at: DateTime<Utc>| {
            if next.is_none_or(|n| at < n) {
                next = Some(at);
            }
        };
        let on_screen: Vec<DateTime<Utc>> = match self.detail_row() {
            Some(row) => vec![row.incident().triggered_at],
            None => self.visible_rows(self.offset(), cx.rows).map(|r| r.incident().triggered_at).collect(),
        };
        if self.detail().is_none() && cx.width >= 90 {
            for row in self.visible_rows(self.offset(), cx.rows) {
                let inc = row.incident();
                let pauses = cx.pauses.get(&inc.service_id).map_or(&[][..], Vec::as_slice);
                let clock = nearest_clock(&inc, pauses, cx.policy, shown);
                let Some(clock) = clock.filter(|c| !c.paused) else { continue };
                let at = match (clock.overdue, clock.due) {
                    // Overdue minutes go up once a whole minute more has passed.
                    (Some(overdue), _) => from_second(
                        shown + Duration::milliseconds(60_000 - overdue.num_milliseconds().rem_euclid(60_000)),
                    ),
                    // Minutes left go down just after the time left is a whole number of minutes.
                    (None, Some(due)) => {
                        let to_minute = (due - shown).num_milliseconds().rem_euclid(60_000);
                        shown + Duration::seconds(to_minute / 1_000 + 1)
                    }
                    (None, None) => continue,
                };
                consider(at);
            }
        }
        for triggered in on_screen {
            let age = (shown - triggered).num_seconds().max(0);
            let step = crate::console::time::age_step(age);
            consider(from_second(triggered + Duration::seconds((age / step + 1) * step)));
        }
        next
    }

    fn action_target(&self, probe: Option<&Command>, _me: &str) -> Option<Target> {
        let incident = self.target()?.incident();
        let check = match probe {
            Some(Command::Incident(a)) => incident.check(a),
            _ => Ok(()),
        };
        Some((incident.id.clone(), incident.title.clone(), check))
    }

    fn command(&self, action: Action) -> Option<Command> {
        let action = match action {
            Action::Acknowledge => IncidentAction::Acknowledge,
            Action::Escalate => IncidentAction::Escalate,
            Action::Resolve => IncidentAction::Resolve,
            _ => return None,
        };
        Some(Command::Incident(action))
    }

    fn no_target(&self) -> &'static str {
        "no incident selected"
    }

    fn assign_prompt(&self, id: String) -> Option<InputKind> {
        Some(InputKind::Reassign { incident_id: id })
    }

    fn open_item(&mut self, id: &str, rows: usize) -> bool {
        self.open_id(id, rows)
    }
}

impl IncidentsTab {
    /// `*` in an incident's timeline: stars (or unstars) the event marked `▸`, the one at the top.
    fn star_event(&self) -> Outcome {
        let top = self.detail().and_then(|d| {
            let timeline = &self.row(&d.id)?.incident().timeline;
            let index = d.scroll.min(timeline.len().checked_sub(1)?);
            Some((index, timeline[index].starred))
        });
        let Some((event, starred)) = top else {
            let text = "open the incident (Enter) and move to the event (j/k): * stars the one marked ▸";
            return Outcome::flash(Level::Info, text);
        };
        let command = Command::Incident(IncidentAction::Star { event, starred: !starred });
        Outcome::Request(Request::Act { action: Action::StarEvent, command })
    }

    /// `p`: the incident's postmortem, opened or drafted by the root (the editor is a dialog).
    fn postmortem(&self, read_only: Option<&'static str>) -> Outcome {
        if let Some(reason) = read_only {
            let text = format!("read-only: drafting a postmortem is disabled ({reason})");
            return Outcome::flash(Level::Warning, text);
        }
        match self.target() {
            // The template takes the timeline: a compact row's is on its way from the cache.
            Some(row) if row.is_compact() => Outcome::flash(
                Level::Info,
                format!("reading the timeline of {} from the cache: p again in a moment", row.id()),
            ),
            Some(row) => Outcome::Request(Request::DraftPostmortem(Box::new(row.incident().into_owned()))),
            None => Outcome::flash(Level::Info, "no incident selected"),
        }
    }
}
