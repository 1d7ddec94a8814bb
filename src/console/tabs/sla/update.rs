//! What the SLA tab does by itself (its [`Tab`] impl): moving through the clocks, `Enter`
//! following a row to its incident or ticket (the root opens it there), its hints, header counts,
//! the tab bar's badge of clocks in trouble, and its wake-ups (when a countdown or gauge on
//! screen next changes).

use chrono::{DateTime, Utc};

use super::{META, SlaTab};
use crate::console::action::Action;
use crate::console::keymap::Mode;
use crate::console::list::Cursor;
use crate::console::state::Level;
use crate::console::tabs::{
    Hints, Outcome, Request, TAB_HINTS, Tab, TabContext, TabId, TabMeta, WakeContext, next_second, step,
};
use crate::console::time::{countdown_changes, gauge_changes, second};
use crate::domain::EntityKind;
use crate::sla::Band;

const HINTS: Hints = &[(Action::Open, "open item")];

/// Cells of the Used gauge at a terminal `width`.
pub(crate) fn gauge_width(width: u16) -> usize {
    if width >= 110 { 20 } else { 10 }
}

/// The first row shown in a list of `viewport` rows: the cursor's offset, moved to keep the
/// selection on screen.
pub(crate) fn list_offset(cursor: Cursor, viewport: usize) -> usize {
    cursor.offset.max((cursor.selected + 1).saturating_sub(viewport)).min(cursor.selected)
}

impl Tab for SlaTab {
    fn meta(&self) -> &'static TabMeta {
        &META
    }

    fn layers(&self) -> &'static [Mode] {
        &[Mode::Sla, Mode::List]
    }

    fn update(&mut self, action: Action, cx: &TabContext<'_>) -> Outcome {
        if let Some(step) = step(action, cx.rows) {
            let (cursor, len) = self.cursor_mut();
            cursor.navigate(step, len, cx.rows);
            return Outcome::Changed;
        }
        match action {
            Action::Open => {
                let Some(row) = self.selected() else { return Outcome::Unchanged };
                let to = match row.kind {
                    EntityKind::Incident => TabId::Incidents,
                    EntityKind::Ticket => TabId::Tickets,
                    EntityKind::Maintenance | EntityKind::Postmortem => return Outcome::Unchanged,
                };
                Outcome::Request(Request::Follow { to, id: row.id.to_string() })
            }
            Action::Filter => {
                Outcome::flash(Level::Info, "the SLA tab lists every running clock; filter in Tickets or Incidents")
            }
            _ => Outcome::Unchanged,
        }
    }

    fn reconcile(&mut self, rows: usize, fresh: bool) {
        let (cursor, len) = self.cursor_mut();
        cursor.reconcile(len, rows, fresh);
    }

    fn hints(&self, _layers: &[Mode]) -> [Hints; 2] {
        [HINTS, TAB_HINTS]
    }

    fn counts(&self) -> String {
        format!("{} running", self.rows().len())
    }

    /// When a row on screen next changes its text or gauge (the summary and colours change with
    /// bands, which the root wakes for): one wake-up a second at most, on the whole second, and
    /// none while nothing on screen moves.
    fn next_wake(&self, cx: &WakeContext<'_>) -> Option<DateTime<Utc>> {
        let shown = second(cx.now);
        let cursor = self.cursor();
        // The view's list is shorter than `cx.rows`: every row it may show is among these.
        let lo = list_offset(cursor, cx.rows);
        let hi = cursor.selected.max(lo) + cx.rows;
        let width = gauge_width(cx.width);
        let mut next: Option<DateTime<Utc>> = None;
        for row in self.rows().iter().take(hi).skip(lo) {
            let state = row.state(cx.policy, shown);
            let target = row.target(cx.policy);
            for at in [countdown_changes(&state, shown), gauge_changes(&state, target, width, shown)] {
                next = match (next, at) {
                    (Some(n), Some(at)) => Some(n.min(at)),
                    (n, at) => n.or(at),
                };
            }
            if next.is_some_and(|n| n <= next_second(shown)) {
                break;
            }
        }
        next
    }

    /// Clocks breached (`2✗`), else clocks critical (`1!`).
    fn badge(&self, now: DateTime<Utc>) -> Option<(String, Band)> {
        let summary = self.summary(now);
        let breached: usize = summary.iter().map(|(_, s)| s.breached).sum();
        let critical: usize = summary.iter().map(|(_, s)| s.critical).sum();
        match (breached, critical) {
            (0, 0) => None,
            (0, c) => Some((format!("{c}!"), Band::Critical)),
            (b, _) => Some((format!("{b}✗"), Band::Breached)),
        }
    }

    fn no_target(&self) -> &'static str {
        "open the item first (Enter), then act on it in its tab"
    }
}
