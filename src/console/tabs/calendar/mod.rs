//! The Calendar tab: maintenance windows as a month grid and an agenda of occurrences, what is
//! active now (the banner on every tab), and for a window what will still page during it.
//!
//! Recurrences are expanded in `update` (when windows arrive, the month changes, or a day passes),
//! never per frame: a frame reads the occurrence lists kept here. The agenda is exactly the
//! month shown (in the display zone), and one window contributes at most
//! [`MAX_AGENDA_PER_WINDOW`] occurrences to it; the agenda says which window has more.

pub mod form;
pub(crate) mod update;
pub mod view;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};

use crate::console::action::Action;
use crate::console::clocks::{ClockInput, Which};
use crate::console::keymap::Mode;
use crate::console::tabs::TabMeta;
use crate::console::zone::DisplayZone;
use crate::domain::maintenance::{MaintenanceAction, MaintenanceKind, MaintenanceWindow, Occurrence};
use crate::domain::{Incident, IncidentStatus};

pub const META: TabMeta =
    TabMeta { title: "Calendar", short_title: "Cal", mode: Mode::Calendar, action: Action::TabCalendar };

/// How far ahead (and behind) of the last rebuild occurrences are kept for the banner and the
/// wake-up timer.
const HORIZON_DAYS: i64 = 45;

/// Most occurrences one window contributes to the month's agenda and grid (twice a day for a
/// month); the agenda says which windows have more.
pub const MAX_AGENDA_PER_WINDOW: usize = 62;

use crate::console::clocks::{Pause, PauseReason};

/// One occurrence of a window, with the window's index in [`CalendarTab::windows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub window: usize,
    pub occurrence: Occurrence,
}

/// Ids of windows planned here and not yet accepted by the backend start with this.
pub const QUEUED_ID_PREFIX: &str = "new-";

#[derive(Debug, Clone, Default)]
pub struct CalendarTab {
    /// Every window the backend sent (cancelled ones too), by id.
    confirmed: Vec<MaintenanceWindow>,
    /// What is shown: the confirmed windows with queued changes applied, and queued new ones.
    windows: Vec<MaintenanceWindow>,
    /// Queued changes, in the order taken: the target id and the change.
    pending: Vec<(String, MaintenanceAction)>,
    /// Who the queued changes are shown as made by.
    me: String,
    /// Ids of the shown windows a queued change touches.
    queued: std::collections::BTreeSet<String>,
    /// The month shown: its first day in the display time zone; `None` is the current month.
    month: Option<NaiveDate>,
    /// Occurrences overlapping the month shown, by start, at most [`MAX_AGENDA_PER_WINDOW`] of
    /// each window.
    month_slots: Vec<Slot>,
    /// Windows with more occurrences in the month shown than listed: (index, how many).
    capped: Vec<(usize, usize)>,
    /// Occurrences around the last rebuild, by start: the banner and the timer read these.
    near: Vec<Slot>,
    built_at: Option<DateTime<Utc>>,
    /// The selected row of the agenda.
    pub selected: usize,
    /// The window whose details are open.
    detail: Option<String>,
    /// Per service, the occurrences (around the last rebuild) of windows that pause SLA clocks.
    sla_pauses: std::collections::HashMap<String, Vec<Pause>>,
}

impl CalendarTab {
    pub fn new(windows: Vec<MaintenanceWindow>) -> CalendarTab {
        let mut tab = CalendarTab::default();
        for window in windows {
            tab.put(window);
        }
        tab
    }

    fn put(&mut self, window: MaintenanceWindow) {
        match self.confirmed.binary_search_by(|w| w.id.cmp(&window.id)) {
            Ok(i) if self.confirmed[i].version <= window.version => self.confirmed[i] = window,
            Ok(_) => {}
            Err(i) => self.confirmed.insert(i, window),
        }
    }

    /// The changes queued in the outbox, shown at once (marked as queued); a queued new window
    /// gets a provisional id `new-1`, `new-2`… until the backend names it. Returns whether
    /// anything changed (and the occurrences were expanded again).
    pub fn set_pending(
        &mut self,
        pending: Vec<(String, MaintenanceAction)>,
        me: &str,
        now: DateTime<Utc>,
        tz: DisplayZone,
    ) -> bool {
        if pending == self.pending && me == self.me {
            return false;
        }
        self.pending = pending;
        self.me = me.to_string();
        self.rebuild(now, tz);
        true
    }

    /// The confirmed windows with the queued changes applied (those that no longer apply are
    /// left out: the backend will refuse them and the outbox says so).
    fn shown(&mut self, now: DateTime<Utc>) {
        self.windows = self.confirmed.clone();
        self.queued.clear();
        let mut created = 0;
        for (target, action) in &self.pending {
            match action {
                MaintenanceAction::Create { window } => {
                    created += 1;
                    let id = format!("{QUEUED_ID_PREFIX}{created}");
                    self.queued.insert(id.clone());
                    self.windows.push(MaintenanceWindow::create(id, window.clone(), &self.me, now));
                }
                change => {
                    if let Some(w) = self.windows.iter_mut().find(|w| &w.id == target)
                        && w.apply(change, &self.me, now).is_ok()
                    {
                        self.queued.insert(target.clone());
                    }
                }
            }
        }
    }

    /// Whether a queued change (or creation) of window `id` is waiting for the backend.
    pub fn is_queued(&self, id: &str) -> bool {
        self.queued.contains(id)
    }

    /// The version a change to window `id` is taken against: the confirmed one (0 for a new one).
    pub fn base_version(&self, id: &str, command: &crate::domain::Command) -> Option<i64> {
        match command {
            crate::domain::Command::Maintenance(MaintenanceAction::Create { .. }) => Some(0),
            _ => self.confirmed.iter().find(|w| w.id == id).map(|w| w.version),
        }
    }

    /// The window of the selected agenda row.
    pub fn selected_window(&self) -> Option<&MaintenanceWindow> {
        self.selected_slot().map(|s| &self.windows[s.window])
    }

    /// Takes in synced windows (newest version wins) and expands them again.
    pub fn upsert_many(&mut self, windows: Vec<MaintenanceWindow>, now: DateTime<Utc>, tz: DisplayZone) {
        for window in windows {
            self.put(window);
        }
        self.rebuild(now, tz);
    }

    pub fn clear(&mut self) {
        *self = CalendarTab::default();
    }

    pub fn windows(&self) -> &[MaintenanceWindow] {
        &self.windows
    }

    pub fn window(&self, id: &str) -> Option<&MaintenanceWindow> {
        self.windows.iter().find(|w| w.id == id)
    }

    /// Expands the recurrences for the month shown and around `now`.
    pub fn rebuild(&mut self, now: DateTime<Utc>, tz: DisplayZone) {
        // The selection follows its occurrence, not its row: a window arriving or going moves rows.
        let kept = self.selected_slot().map(|s| (self.windows[s.window].id.clone(), s.occurrence.start));
        self.shown(now);
        let first = self.month.unwrap_or_else(|| month_of(now, tz));
        // Exactly the month: the grid draws only its days, and the agenda is "this month".
        let from = tz.midnight(first);
        let to = first.checked_add_months(Months::new(1)).map_or(DateTime::<Utc>::MAX_UTC, |next| tz.midnight(next));
        let (month_slots, capped) = self.slots(from, to, MAX_AGENDA_PER_WINDOW);
        (self.month_slots, self.capped) = (month_slots, capped);
        self.near = self.slots(now - Duration::days(HORIZON_DAYS), now + Duration::days(HORIZON_DAYS), usize::MAX).0;
        self.built_at = Some(now);
        self.sla_pauses.clear();
        for slot in &self.near {
            let window = &self.windows[slot.window];
            if window.pause_sla {
                for service in &window.services {
                    let pause = Pause {
                        from: slot.occurrence.start,
                        until: Some(slot.occurrence.end),
                        reason: PauseReason::Maintenance { window_id: window.id.clone() },
                    };
                    self.sla_pauses.entry(service.clone()).or_default().push(pause);
                }
            }
        }
        let found = kept.and_then(|(id, start)| {
            self.month_slots.iter().position(|s| s.occurrence.start == start && self.windows[s.window].id == id)
        });
        self.selected = found.unwrap_or_else(|| self.first_to_show(now));
    }

    /// Where the agenda starts: in the current month, on the window the banner names, else on the
    /// first occurrence not yet over; in another month, at its top.
    fn first_to_show(&self, now: DateTime<Utc>) -> usize {
        if self.month.is_some() {
            return 0;
        }
        let headline = self.headline(now).map(|(w, o)| (w.id.clone(), o.start));
        let at_headline = headline.and_then(|(id, start)| {
            self.month_slots.iter().position(|s| s.occurrence.start == start && self.windows[s.window].id == id)
        });
        at_headline.or_else(|| self.month_slots.iter().position(|s| s.occurrence.end > now)).unwrap_or(0)
    }

    /// The active window that matters most to whoever is on call, the one the banner names: the
    /// one changing most about what pages (SLA paused and alerts suppressed, then either), an
    /// emergency patch before a planned window, then the one ending first.
    pub fn headline(&self, now: DateTime<Utc>) -> Option<(&MaintenanceWindow, Occurrence)> {
        self.active(now).min_by_key(|(w, o)| {
            let impact = u8::from(w.pause_sla) + u8::from(w.suppress_alerts);
            (std::cmp::Reverse(impact), w.kind != MaintenanceKind::EmergencyPatch, o.end, w.id.clone())
        })
    }

    /// Rebuilds when a day has passed since the last expansion (called on the tick).
    pub fn refresh(&mut self, now: DateTime<Utc>, tz: DisplayZone) -> bool {
        let stale = self.built_at.is_none_or(|t| now - t >= Duration::days(1));
        if stale {
            self.rebuild(now, tz);
        }
        stale
    }

    /// Occurrences overlapping `[from, to)`, at most `per_window` of each window (the earliest),
    /// and the windows that had more, with how many.
    fn slots(&self, from: DateTime<Utc>, to: DateTime<Utc>, per_window: usize) -> (Vec<Slot>, Vec<(usize, usize)>) {
        let mut slots = Vec::new();
        let mut capped = Vec::new();
        for (i, w) in self.windows.iter().enumerate() {
            let occurrences = w.occurrences(from, to);
            if occurrences.len() > per_window {
                capped.push((i, occurrences.len()));
            }
            slots.extend(occurrences.into_iter().take(per_window).map(|occurrence| Slot { window: i, occurrence }));
        }
        slots.sort_by_key(|s| (s.occurrence.start, s.window));
        (slots, capped)
    }

    /// Windows with more occurrences in the month shown than the agenda lists: (index into
    /// [`CalendarTab::windows`], how many occurrences it has there).
    pub fn capped(&self) -> &[(usize, usize)] {
        &self.capped
    }

    /// The first day of the month shown.
    pub fn month(&self, now: DateTime<Utc>, tz: DisplayZone) -> NaiveDate {
        self.month.unwrap_or_else(|| month_of(now, tz))
    }

    /// Occurrences overlapping the month shown, oldest first (the agenda).
    pub fn agenda(&self) -> &[Slot] {
        &self.month_slots
    }

    pub fn selected_slot(&self) -> Option<&Slot> {
        self.month_slots.get(self.selected)
    }

    /// Windows active at `now`, with the occurrence running.
    pub fn active(&self, now: DateTime<Utc>) -> impl Iterator<Item = (&MaintenanceWindow, Occurrence)> {
        self.near.iter().filter(move |s| s.occurrence.covers(now)).map(|s| (&self.windows[s.window], s.occurrence))
    }

    /// The next moment a window starts or ends after `now`: when the banner changes.
    pub fn next_change(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.near.iter().flat_map(|s| [s.occurrence.start, s.occurrence.end]).filter(|t| *t > now).min()
    }

    /// A ticket's SLA clock, paused by maintenance windows that pause SLA on its service.
    pub fn ticket_clock(&self, ticket: &crate::domain::Ticket, which: Which) -> ClockInput {
        ClockInput::for_ticket(ticket, which).with_maintenance(self.sla_pauses(&ticket.service_id))
    }

    /// An incident's SLA clock, paused by maintenance windows that pause SLA on its service.
    pub fn incident_clock(&self, incident: &Incident, which: Which) -> ClockInput {
        ClockInput::for_incident(incident, which).with_maintenance(self.sla_pauses(&incident.service_id))
    }

    /// Per service, the occurrences of windows pausing SLA clocks there.
    pub fn all_sla_pauses(&self) -> &std::collections::HashMap<String, Vec<Pause>> {
        &self.sla_pauses
    }

    /// Occurrences of windows pausing SLA clocks on `service`, to add to its clocks' pauses.
    pub fn sla_pauses(&self, service: &str) -> &[Pause] {
        self.sla_pauses.get(service).map_or(&[], Vec::as_slice)
    }

    /// The ids of the windows active at `now`, to notice when the set changes.
    pub fn active_ids(&self, now: DateTime<Utc>) -> Vec<&str> {
        self.active(now).map(|(w, _)| w.id.as_str()).collect()
    }

    /// Whether a window suppressing alerts covers `service` at `now`.
    pub fn suppressed(&self, service: &str, now: DateTime<Utc>) -> bool {
        self.active(now).any(|(w, _)| w.suppress_alerts && w.affects(service))
    }

    /// Moves the month shown by `months` (negative: back).
    pub fn shift_month(&mut self, months: i32, now: DateTime<Utc>, tz: DisplayZone) {
        let current = self.month(now, tz);
        let moved = if months >= 0 {
            current.checked_add_months(Months::new(months.unsigned_abs()))
        } else {
            current.checked_sub_months(Months::new(months.unsigned_abs()))
        };
        self.month = moved.filter(|m| *m != month_of(now, tz));
        self.rebuild(now, tz);
        self.selected = self.first_to_show(now);
    }

    /// Back to the current month, at the first occurrence not yet over.
    pub fn today(&mut self, now: DateTime<Utc>, tz: DisplayZone) {
        self.month = None;
        self.shift_month(0, now, tz);
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.month_slots.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }

    pub fn open_detail(&mut self) -> bool {
        let id = self.selected_slot().map(|s| self.windows[s.window].id.clone());
        self.detail = id;
        self.detail.is_some()
    }

    pub fn close_detail(&mut self) {
        self.detail = None;
    }

    pub fn detail(&self) -> Option<&MaintenanceWindow> {
        self.detail.as_deref().and_then(|id| self.window(id))
    }

    /// The kinds with an occurrence on `day` (local), most severe first, and whether a change
    /// freeze covers it.
    pub fn day_kinds(&self, day: NaiveDate, tz: DisplayZone) -> Vec<MaintenanceKind> {
        let (from, to) = (tz.midnight(day), tz.midnight(day + Duration::days(1)));
        let mut kinds: Vec<MaintenanceKind> = self
            .month_slots
            .iter()
            .filter(|s| s.occurrence.start < to && s.occurrence.end > from)
            .map(|s| self.windows[s.window].kind)
            .collect();
        kinds.sort_by_key(|k| kind_rank(*k));
        kinds.dedup();
        kinds
    }
}

fn kind_rank(kind: MaintenanceKind) -> u8 {
    match kind {
        MaintenanceKind::EmergencyPatch => 0,
        MaintenanceKind::ChangeFreeze => 1,
        MaintenanceKind::DrDrill => 2,
        MaintenanceKind::ModelRelease => 3,
        MaintenanceKind::Routine => 4,
        MaintenanceKind::Silence => 5,
    }
}

/// The first day of the month containing `at`, in the display time zone.
pub fn month_of(at: DateTime<Utc>, tz: DisplayZone) -> NaiveDate {
    let day = tz.date(at);
    day.with_day(1).unwrap_or(day)
}

/// What still pages during a window: open incidents on its services keep notifying (a maintenance
/// window does not silence what is already open), and unacknowledged ones keep escalating. Those
/// triggered while a window suppressed alerts have not paged anyone yet: they page when no such
/// window covers their service any more, unless acknowledged first.
#[derive(Debug, Default)]
pub struct StillPages<'a> {
    /// Open incidents on affected services: they keep notifying through the window.
    pub open: Vec<&'a Incident>,
    /// Of those, the unacknowledged that were paged: their escalation timers keep running.
    pub escalating: Vec<&'a Incident>,
    /// Of those, the ones whose page a window holds back.
    pub held: Vec<&'a Incident>,
}

pub fn still_pages<'a>(window: &MaintenanceWindow, incidents: impl Iterator<Item = &'a Incident>) -> StillPages<'a> {
    let mut pages = StillPages::default();
    for incident in incidents.filter(|i| i.is_open() && window.affects(&i.service_id)) {
        if incident.page_held().is_some() {
            pages.held.push(incident);
        } else if incident.status == IncidentStatus::Triggered {
            pages.escalating.push(incident);
        }
        pages.open.push(incident);
    }
    pages.open.sort_by(|a, b| a.priority.cmp(&b.priority).then(a.id.cmp(&b.id)));
    pages.escalating.sort_by(|a, b| a.priority.cmp(&b.priority).then(a.id.cmp(&b.id)));
    pages
}

#[cfg(test)]
mod tests;
