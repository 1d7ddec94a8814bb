//! Maintenance windows: planned spans during which services are expected to be degraded, alerts
//! may be suppressed and SLA clocks may pause. A window may recur (an RFC 5545 RRULE), expanded in
//! the time zone it was planned in.
//!
//! Recurrence semantics, chosen here and relied upon by the console:
//! - `start`/`end` are the first occurrence. Like RFC 5545's DTSTART, the first occurrence always
//!   counts, even when it does not match the rule.
//! - Later occurrences start at the same *local* wall-clock time in `timezone` (a 02:00
//!   Europe/Berlin window stays at 02:00 local across daylight-saving changes), and each lasts
//!   the first occurrence's duration in absolute time (`end - start`).
//! - Expansion is done by the `rrule` crate; at most [`MAX_OCCURRENCES`] occurrences are returned
//!   from one query to bound work. Occurrences listed in `exdates` (RFC 5545 EXDATE: their
//!   starts) do not happen, the first one included.
//! - A window repeats at most a few times a day: rules repeating every second, minute or hour are
//!   refused (see `rule_set`), so no window floods an agenda or suppresses alerts all day.
//!
//! `uid` is the iCalendar UID a window was imported with, so that importing a changed event
//! again updates its window (see `maintenance_ics`).
//!
//! Suppressing alerts means: an incident triggered on an affected service while the window runs
//! pages nobody ([`suppression_for`], `Incident::trigger_during`); its page goes out when no
//! suppressing window covers the service any more, if it is still unacknowledged. Incidents
//! already open keep paging, and a person's escalation pages at once.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::incident::Rejection;

/// Why a window from a source (a silence made in Alertmanager) cannot be edited or cancelled.
pub const READ_ONLY: &str = "made in Alertmanager; change it there";
/// Most occurrences one `occurrences` call returns.
pub const MAX_OCCURRENCES: u16 = 1000;
/// Longest title accepted.
pub const MAX_TITLE_CHARS: usize = 200;
/// Most services one window may affect.
pub const MAX_SERVICES: usize = 50;
/// Longest service id accepted.
pub const MAX_SERVICE_ID_CHARS: usize = 100;
/// Longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Longest RRULE accepted.
pub const MAX_RRULE_CHARS: usize = 500;
/// Longest iCalendar UID accepted.
pub const MAX_UID_CHARS: usize = 500;
/// Most excluded occurrences (EXDATE) one window may carry.
pub const MAX_EXDATES: usize = 500;
/// The first and last year a window's start and end may fall in: a start in the year 0026 is a
/// typo, not a plan.
pub const FIRST_YEAR: i32 = 1970;
pub const LAST_YEAR: i32 = 2199;
/// Longest single occurrence, in days: anything longer is a mistake or wants a recurrence.
pub const MAX_WINDOW_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceKind {
    Routine,
    EmergencyPatch,
    ModelRelease,
    DrDrill,
    ChangeFreeze,
    /// A silence made in Alertmanager by hand, shown read-only (never planned in opsdeck, so not
    /// in [`MaintenanceKind::ALL`], the kinds a commander picks from).
    Silence,
}

impl MaintenanceKind {
    pub const ALL: [MaintenanceKind; 5] = [
        MaintenanceKind::Routine,
        MaintenanceKind::EmergencyPatch,
        MaintenanceKind::ModelRelease,
        MaintenanceKind::DrDrill,
        MaintenanceKind::ChangeFreeze,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MaintenanceKind::Routine => "routine",
            MaintenanceKind::EmergencyPatch => "emergency patch",
            MaintenanceKind::ModelRelease => "model retrain/deploy",
            MaintenanceKind::DrDrill => "DR drill",
            MaintenanceKind::ChangeFreeze => "change freeze",
            MaintenanceKind::Silence => "silence",
        }
    }

    /// The wire name (`routine`, `emergency_patch`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceKind::Routine => "routine",
            MaintenanceKind::EmergencyPatch => "emergency_patch",
            MaintenanceKind::ModelRelease => "model_release",
            MaintenanceKind::DrDrill => "dr_drill",
            MaintenanceKind::ChangeFreeze => "change_freeze",
            MaintenanceKind::Silence => "silence",
        }
    }

    /// Parses the wire name, case-insensitively.
    pub fn parse(s: &str) -> Option<MaintenanceKind> {
        let s = s.trim();
        MaintenanceKind::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MaintenanceWindow {
    /// Stable id, e.g. `MW-3001`.
    pub id: String,
    /// Starts at 1 and increases by one with every edit or cancellation.
    pub version: i64,
    pub title: String,
    pub kind: MaintenanceKind,
    /// Affected service ids, e.g. `llm-gateway`.
    pub services: Vec<String>,
    /// Start of the first occurrence, in the years 1970 to 2199.
    pub start: DateTime<Utc>,
    /// End of the first occurrence: after `start`, at most 366 days later, by 2199.
    pub end: DateTime<Utc>,
    /// IANA time zone the window is planned in, e.g. `Europe/Berlin`; recurrences keep its
    /// local start time.
    pub timezone: String,
    /// RFC 5545 RRULE value without `RRULE:`, e.g. `FREQ=MONTHLY;BYDAY=1SA`.
    pub rrule: Option<String>,
    /// Starts of occurrences the rule gives that do not happen (RFC 5545 EXDATE).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exdates: Vec<DateTime<Utc>>,
    /// The iCalendar UID the window was imported with: a later import of the same event
    /// updates this window instead of planning another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    pub description: String,
    pub created_by: String,
    /// Alerts on the affected services are suppressed while the window is active.
    pub suppress_alerts: bool,
    /// SLA clocks of the affected services pause while the window is active.
    pub pause_sla: bool,
    pub cancelled: bool,
    /// Who made the latest change (the creator until someone edits or cancels it).
    #[serde(default)]
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
    /// The source the window comes from (`prod-alertmanager` for a silence made there by hand):
    /// such a window is read-only in opsdeck. None for windows planned in opsdeck.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One occurrence of a window: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Occurrence {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Occurrence {
    /// Whether `at` falls in `[start, end)`.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

/// The fields of a window a commander sets when creating or editing it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct NewMaintenance {
    pub title: String,
    pub kind: MaintenanceKind,
    pub services: Vec<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// RFC 5545 RRULE value without `RRULE:`; omit for a one-off window.
    #[serde(default)]
    pub rrule: Option<String>,
    /// Starts of occurrences the rule gives that do not happen (RFC 5545 EXDATE); ignored
    /// without `rrule`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 500)]
    pub exdates: Vec<DateTime<Utc>>,
    /// The iCalendar UID of the event the window comes from, if imported (blank is none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub uid: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub suppress_alerts: bool,
    #[serde(default)]
    pub pause_sla: bool,
}

impl NewMaintenance {
    /// Trims the title, description and service ids, drops duplicate services and an empty
    /// RRULE.
    pub fn normalize(&mut self) {
        self.title = self.title.trim().to_string();
        self.description = self.description.trim().to_string();
        self.timezone = self.timezone.trim().to_string();
        let mut services: Vec<String> = Vec::with_capacity(self.services.len());
        for s in &self.services {
            let s = s.trim().to_string();
            if !services.contains(&s) {
                services.push(s);
            }
        }
        self.services = services;
        self.rrule = self.rrule.take().map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        self.uid = self.uid.take().map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
        self.exdates.sort();
        self.exdates.dedup();
        if self.rrule.is_none() {
            self.exdates.clear();
        }
    }
}

/// A change a commander asks for, as queued in the console's outbox and sent to the Ops API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum MaintenanceAction {
    /// `POST /v1/maintenance`.
    Create { window: NewMaintenance },
    /// `PUT /v1/maintenance/{id}` with the version seen.
    Edit { window: NewMaintenance },
    /// `POST /v1/maintenance/{id}/cancel` with the version seen.
    Cancel,
}

impl MaintenanceAction {
    pub fn path(&self) -> &'static str {
        match self {
            MaintenanceAction::Create { .. } | MaintenanceAction::Edit { .. } => "",
            MaintenanceAction::Cancel => "cancel",
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            MaintenanceAction::Create { .. } => "plan",
            MaintenanceAction::Edit { .. } => "edit",
            MaintenanceAction::Cancel => "cancel",
        }
    }

    pub fn done(&self) -> &'static str {
        match self {
            MaintenanceAction::Create { .. } => "planned",
            MaintenanceAction::Edit { .. } => "edited",
            MaintenanceAction::Cancel => "cancelled",
        }
    }

    /// The window's title, for messages and the outbox panel.
    pub fn title(&self) -> Option<&str> {
        match self {
            MaintenanceAction::Create { window } | MaintenanceAction::Edit { window } => Some(&window.title),
            MaintenanceAction::Cancel => None,
        }
    }
}

/// Why a new or edited window is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MaintenanceError {
    #[error("title: must not be empty")]
    EmptyTitle,
    #[error("title: is limited to {MAX_TITLE_CHARS} characters")]
    TitleTooLong,
    #[error("end: must be after start")]
    EndNotAfterStart,
    #[error("start: start and end must fall in the years {FIRST_YEAR} to {LAST_YEAR}, not {0}")]
    YearOutOfRange(i32),
    #[error("end: one occurrence may last at most {MAX_WINDOW_DAYS} days, not {0}")]
    TooLong(i64),
    #[error("timezone: unknown time zone `{0}` (use an IANA name such as Europe/Berlin)")]
    UnknownTimeZone(String),
    #[error("rrule: {0}")]
    BadRrule(String),
    #[error("services: at least one affected service is required")]
    NoServices,
    #[error("services: at most {MAX_SERVICES} services, not {0}")]
    TooManyServices(usize),
    #[error("services: service ids must be 1 to {MAX_SERVICE_ID_CHARS} characters, none of them a control character")]
    BadServiceId,
    #[error("description: is limited to {MAX_DESCRIPTION_CHARS} characters")]
    DescriptionTooLong,
    #[error("uid: is limited to {MAX_UID_CHARS} characters")]
    BadUid,
    #[error("exdates: at most {MAX_EXDATES} excluded occurrences, not {0}")]
    TooManyExdates(usize),
    #[error("kind: `silence` windows are Alertmanager's own silences; plan another kind")]
    SilenceKind,
}

impl MaintenanceError {
    /// The field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            MaintenanceError::EmptyTitle | MaintenanceError::TitleTooLong => "title",
            MaintenanceError::EndNotAfterStart | MaintenanceError::TooLong(_) => "end",
            MaintenanceError::YearOutOfRange(_) => "start",
            MaintenanceError::UnknownTimeZone(_) => "timezone",
            MaintenanceError::BadRrule(_) => "rrule",
            MaintenanceError::NoServices | MaintenanceError::TooManyServices(_) | MaintenanceError::BadServiceId => {
                "services"
            }
            MaintenanceError::DescriptionTooLong => "description",
            MaintenanceError::BadUid => "uid",
            MaintenanceError::TooManyExdates(_) => "exdates",
            MaintenanceError::SilenceKind => "kind",
        }
    }
}

/// Parses an IANA zone name.
pub fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, MaintenanceError> {
    let shown: String = name.chars().take(60).collect();
    name.trim().parse::<chrono_tz::Tz>().map_err(|_| MaintenanceError::UnknownTimeZone(shown))
}

/// Why `new` cannot be stored, if it cannot.
pub fn validate(new: &NewMaintenance) -> Result<(), MaintenanceError> {
    let title = new.title.trim();
    if title.is_empty() {
        return Err(MaintenanceError::EmptyTitle);
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(MaintenanceError::TitleTooLong);
    }
    if new.kind == MaintenanceKind::Silence {
        return Err(MaintenanceError::SilenceKind);
    }
    if new.end <= new.start {
        return Err(MaintenanceError::EndNotAfterStart);
    }
    if let Some(year) = [new.start.year(), new.end.year()].into_iter().find(|y| !(FIRST_YEAR..=LAST_YEAR).contains(y)) {
        return Err(MaintenanceError::YearOutOfRange(year));
    }
    let span = new.end - new.start;
    if span > Duration::days(MAX_WINDOW_DAYS) {
        // In whole days, rounded up: a year and a minute is 367 days.
        return Err(MaintenanceError::TooLong((span.num_seconds() + 86_399) / 86_400));
    }
    let tz = parse_timezone(&new.timezone)?;
    if let Some(rule) = new.rrule.as_deref().filter(|r| !r.trim().is_empty()) {
        rule_set(rule, new.start, tz, &[], None)?;
    }
    if new.exdates.len() > MAX_EXDATES {
        return Err(MaintenanceError::TooManyExdates(new.exdates.len()));
    }
    if new.uid.as_deref().is_some_and(|u| u.chars().count() > MAX_UID_CHARS) {
        return Err(MaintenanceError::BadUid);
    }
    if new.services.is_empty() {
        return Err(MaintenanceError::NoServices);
    }
    if new.services.len() > MAX_SERVICES {
        return Err(MaintenanceError::TooManyServices(new.services.len()));
    }
    let bad_id =
        |s: &String| s.trim().is_empty() || s.chars().count() > MAX_SERVICE_ID_CHARS || s.chars().any(char::is_control);
    if new.services.iter().any(bad_id) {
        return Err(MaintenanceError::BadServiceId);
    }
    if new.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(MaintenanceError::DescriptionTooLong);
    }
    Ok(())
}

impl MaintenanceWindow {
    /// A new window at version 1 from validated fields (normalised here).
    pub fn create(id: String, mut new: NewMaintenance, created_by: &str, now: DateTime<Utc>) -> MaintenanceWindow {
        new.normalize();
        MaintenanceWindow {
            id,
            version: 1,
            title: new.title,
            kind: new.kind,
            services: new.services,
            start: new.start,
            end: new.end,
            timezone: new.timezone,
            rrule: new.rrule,
            exdates: new.exdates,
            uid: new.uid,
            description: new.description,
            created_by: created_by.to_string(),
            suppress_alerts: new.suppress_alerts,
            pause_sla: new.pause_sla,
            cancelled: false,
            updated_by: created_by.to_string(),
            updated_at: now,
            source: None,
        }
    }

    /// Replaces the editable fields with validated ones and bumps the version.
    pub fn edit(&mut self, new: NewMaintenance, by: &str, now: DateTime<Utc>) {
        let id = std::mem::take(&mut self.id);
        let mut edited = MaintenanceWindow::create(id, new, &self.created_by, now);
        edited.version = self.version + 1;
        edited.cancelled = self.cancelled;
        edited.updated_by = by.to_string();
        *self = edited;
    }

    /// Cancels the window and bumps the version.
    pub fn cancel(&mut self, by: &str, now: DateTime<Utc>) {
        self.cancelled = true;
        self.version += 1;
        self.updated_by = by.to_string();
        self.updated_at = now;
    }

    /// Whether `action` would apply to the window as it is.
    pub fn check(&self, action: &MaintenanceAction) -> Result<(), Rejection> {
        let invalid = |message: &str| Err(Rejection::Invalid { message: message.to_string() });
        match action {
            MaintenanceAction::Create { .. } => invalid("a new window is not a change to an existing one"),
            _ if self.source.is_some() => invalid(READ_ONLY),
            _ if self.cancelled => invalid("already cancelled"),
            MaintenanceAction::Edit { window } => validate(window).or_else(|e| invalid(&e.to_string())),
            MaintenanceAction::Cancel => Ok(()),
        }
    }

    /// Applies an edit or a cancellation, as the server would.
    pub fn apply(&mut self, action: &MaintenanceAction, by: &str, now: DateTime<Utc>) -> Result<(), Rejection> {
        self.check(action)?;
        match action {
            MaintenanceAction::Edit { window } => self.edit(window.clone(), by, now),
            MaintenanceAction::Cancel => self.cancel(by, now),
            MaintenanceAction::Create { .. } => {}
        }
        Ok(())
    }

    /// What the latest change was, for messages: created, edited or cancelled.
    pub fn last_change_label(&self) -> &'static str {
        if self.cancelled {
            "cancelled"
        } else if self.version > 1 {
            "edited"
        } else {
            "created"
        }
    }

    /// The editable fields, as a create or edit body.
    pub fn to_new(&self) -> NewMaintenance {
        NewMaintenance {
            title: self.title.clone(),
            kind: self.kind,
            services: self.services.clone(),
            start: self.start,
            end: self.end,
            timezone: self.timezone.clone(),
            rrule: self.rrule.clone(),
            exdates: self.exdates.clone(),
            uid: self.uid.clone(),
            description: self.description.clone(),
            suppress_alerts: self.suppress_alerts,
            pause_sla: self.pause_sla,
        }
    }

    /// How long each occurrence lasts (absolute time).
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }

    /// Occurrences overlapping `[from, to)`, oldest first, at most [`MAX_OCCURRENCES`]. A
    /// cancelled window has none. See the module docs for how recurrences are placed. A stored
    /// rule that no longer parses (it was validated when stored) yields the first occurrence only.
    pub fn occurrences(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
        self.occurrences_walked(from, to, true)
    }

    /// [`Self::occurrences`], with the rule's walk started near `from` (`rebase`) or at the
    /// window's start (what the tests compare it with).
    fn occurrences_walked(&self, from: DateTime<Utc>, to: DateTime<Utc>, rebase: bool) -> Vec<Occurrence> {
        if self.cancelled || from >= to || self.end <= self.start {
            return Vec::new();
        }
        let duration = self.duration();
        let first = Occurrence { start: self.start, end: self.end };
        let overlaps = |o: &Occurrence| o.start < to && o.end > from;
        // The walk may start a day before the first occurrence that can overlap.
        let near = from.checked_sub_signed(duration).and_then(|t| t.checked_sub_signed(Duration::days(1)));
        let near = near.filter(|_| rebase);
        let set = match (self.rrule.as_deref(), parse_timezone(&self.timezone)) {
            (Some(rule), Ok(tz)) if !rule.trim().is_empty() => rule_set(rule, self.start, tz, &self.exdates, near).ok(),
            _ => None,
        };
        let Some(set) = set else {
            return if overlaps(&first) { vec![first] } else { Vec::new() };
        };
        // An occurrence overlaps when it starts before `to` and after `from - duration`.
        let tz = set.get_dt_start().timezone();
        let after = from.checked_sub_signed(duration).unwrap_or(DateTime::<Utc>::MIN_UTC).with_timezone(&tz);
        let before = to.with_timezone(&tz);
        let dates = set.after(after).before(before).all(MAX_OCCURRENCES).dates;
        let mut out: Vec<Occurrence> = Vec::with_capacity(dates.len() + 1);
        if overlaps(&first) && !self.exdates.contains(&self.start) {
            out.push(first);
        }
        for date in dates {
            let start = date.with_timezone(&Utc);
            let Some(end) = start.checked_add_signed(duration) else { continue };
            let occurrence = Occurrence { start, end };
            if start > self.start && overlaps(&occurrence) {
                out.push(occurrence);
            }
        }
        out.sort_by_key(|o| o.start);
        out.dedup();
        out.truncate(usize::from(MAX_OCCURRENCES));
        out
    }

    /// The occurrence covering `at` (start inclusive, end exclusive), if any.
    pub fn active_at(&self, at: DateTime<Utc>) -> Option<Occurrence> {
        let next = at.checked_add_signed(Duration::seconds(1)).unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.occurrences(at, next).into_iter().find(|o| o.covers(at))
    }

    /// The first occurrence ending after `at`: the one running now or the next one.
    pub fn next_after(&self, at: DateTime<Utc>, horizon: Duration) -> Option<Occurrence> {
        self.occurrences(at, at.checked_add_signed(horizon).unwrap_or(DateTime::<Utc>::MAX_UTC)).into_iter().next()
    }

    pub fn affects(&self, service_id: &str) -> bool {
        self.services.iter().any(|s| s == service_id)
    }
}

/// The window suppressing alerts on `service` at `at`, if any: of several, the one running
/// longest, whose end is when a held page may go out. Cancelled windows have no occurrences.
pub fn suppression_for(
    windows: &[MaintenanceWindow],
    service: &str,
    at: DateTime<Utc>,
) -> Option<super::incident::Suppression> {
    windows
        .iter()
        .filter(|w| w.suppress_alerts && w.affects(service))
        .filter_map(|w| w.active_at(at).map(|o| (o.end, &w.id)))
        .max()
        .map(|(until, id)| super::incident::Suppression { window_id: id.clone(), until })
}

mod rule;

pub use rule::parse_rrule;
use rule::rule_set;

#[cfg(test)]
mod tests;
