//! Calendars: when an SLA clock runs. Either always open (24×7), or weekly open hours in an IANA
//! time zone minus holidays.
//!
//! Open hours are local wall time and are turned into UTC one local day at a time:
//!
//! - A range is half-open, `[start, end)`; `24:00` is allowed as an end (midnight of the next day).
//! - A local time that does not exist (the hour skipped when clocks spring forward) maps forward to
//!   the first instant that does exist, so `01:30-03:30` on that day covers only real instants.
//! - An ambiguous local time (the hour repeated when clocks fall back) maps to the earliest instant
//!   when it starts a range and to the latest when it ends one, so a range always covers the real
//!   time elapsed between its two local times; where that makes two ranges overlap in UTC, the
//!   overlap counts once.
//! - A holiday closes its whole local day.
//!
//! The arithmetic walks open intervals day by day (never minute by minute), so evaluating
//! thousands of clocks per frame is cheap.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::ControlFlow;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// Minutes in a day; `24:00` as an end.
const DAY_MINUTES: u16 = 24 * 60;

/// The walk gives up after this many consecutive local days without open time (a calendar whose
/// week is not empty needs more than a year of consecutive holidays to get there).
pub const MAX_CLOSED_DAYS: u32 = 400;

/// The walk gives up after this many local days in all (about 110 years), so absurd targets end
/// in `None` instead of a long loop.
pub const MAX_WALK_DAYS: u32 = 40_000;

/// Weekday keys, Monday first (the order of `chrono::Weekday::num_days_from_monday`).
pub const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A mistake in a calendar's definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CalendarError(pub String);

/// Open hours within one local day: `[start, end)` in minutes after midnight, `end` up to 24:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayRange {
    start: u16,
    end: u16,
}

impl DayRange {
    /// A range from `start` to `end` minutes after local midnight (`end` at most 1440).
    pub fn new(start_minute: u32, end_minute: u32) -> Result<DayRange, CalendarError> {
        if end_minute > u32::from(DAY_MINUTES) {
            return Err(CalendarError(format!("{} is past 24:00", hhmm(end_minute))));
        }
        if end_minute <= start_minute {
            return Err(CalendarError(format!(
                "`{}-{}` does not end after it starts (a range cannot cross midnight: split it at 24:00 / 00:00)",
                hhmm(start_minute),
                hhmm(end_minute)
            )));
        }
        // Both fit: end_minute <= 1440 and start_minute < end_minute.
        Ok(DayRange { start: start_minute as u16, end: end_minute as u16 })
    }

    pub fn start_minute(&self) -> u32 {
        self.start.into()
    }

    pub fn end_minute(&self) -> u32 {
        self.end.into()
    }
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// `H:MM` or `HH:MM`, 00:00 through 24:00.
fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || h.len() > 2 || !digits(m) || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

impl FromStr for DayRange {
    type Err = CalendarError;

    /// `09:00-17:00`; `24:00` may end a range.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CalendarError(format!("`{s}` is not a range of local times like 09:00-17:00"));
        let (start, end) = s.split_once('-').ok_or_else(bad)?;
        let (start, end) = (parse_hhmm(start).ok_or_else(bad)?, parse_hhmm(end).ok_or_else(bad)?);
        DayRange::new(start, end)
    }
}

impl fmt::Display for DayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", hhmm(self.start.into()), hhmm(self.end.into()))
    }
}

/// Sorts one day's ranges and rejects overlaps (ranges that only touch are fine).
pub fn normalize_day(mut ranges: Vec<DayRange>) -> Result<Vec<DayRange>, CalendarError> {
    ranges.sort();
    for pair in ranges.windows(2) {
        if pair[1].start < pair[0].end {
            return Err(CalendarError(format!("`{}` and `{}` overlap", pair[0], pair[1])));
        }
    }
    Ok(ranges)
}

/// When SLA clocks run.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    AlwaysOpen,
    Business(Business),
}

#[derive(Debug, Clone, PartialEq)]
struct Business {
    tz: Tz,
    /// Sorted, non-overlapping ranges per weekday, Monday first.
    week: [Vec<DayRange>; 7],
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// 24×7: every instant is open.
    pub const fn always_open() -> Calendar {
        Calendar { kind: Kind::AlwaysOpen }
    }

    /// Weekly open hours (`week[0]` is Monday) in `tz`, closed all day on `holidays` (local dates).
    /// Each day's ranges may come in any order but must not overlap. An empty week is allowed; such
    /// a calendar is never open.
    pub fn business(
        tz: Tz,
        week: [Vec<DayRange>; 7],
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Calendar, CalendarError> {
        let mut days: [Vec<DayRange>; 7] = Default::default();
        for (i, ranges) in week.into_iter().enumerate() {
            days[i] = normalize_day(ranges).map_err(|e| CalendarError(format!("{}: {}", WEEKDAY_KEYS[i], e.0)))?;
        }
        Ok(Calendar { kind: Kind::Business(Business { tz, week: days, holidays: holidays.into_iter().collect() }) })
    }

    pub fn is_always_open(&self) -> bool {
        matches!(self.kind, Kind::AlwaysOpen)
    }

    /// The zone of a business calendar; `None` for 24×7.
    pub fn timezone(&self) -> Option<Tz> {
        match &self.kind {
            Kind::AlwaysOpen => None,
            Kind::Business(b) => Some(b.tz),
        }
    }

    /// The instant at which `target` of open time has elapsed counting from `start`.
    ///
    /// - 24×7: `start + target`.
    /// - A clock started outside open hours begins at the next opening.
    /// - A target that runs out exactly at a closing time is due at that closing time (not at the
    ///   next opening).
    /// - A zero (or negative) target is due at `start` on 24×7, and at the next opening at or after
    ///   `start` on a business calendar (`start` itself when open then).
    ///
    /// `None` when the calendar has no open time at all (an empty week, or more than
    /// [`MAX_CLOSED_DAYS`] consecutive closed days), when the due instant lies more than about
    /// [`MAX_WALK_DAYS`] days ahead, or when it cannot be represented.
    pub fn add_open_time(&self, start: DateTime<Utc>, target: Duration) -> Option<DateTime<Utc>> {
        let target = target.max(Duration::zero());
        match &self.kind {
            Kind::AlwaysOpen => start.checked_add_signed(target),
            Kind::Business(b) => {
                let mut left = target;
                let mut due = None;
                b.walk(start, |s, e| {
                    let len = e - s;
                    if left <= len {
                        due = Some(s + left);
                        return ControlFlow::Break(());
                    }
                    left -= len;
                    ControlFlow::Continue(())
                });
                due
            }
        }
    }

    /// Open time between `a` and `b` (zero if `b <= a`). Business calendars count at most
    /// [`MAX_WALK_DAYS`] local days from `a`.
    pub fn open_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        if b <= a {
            return Duration::zero();
        }
        match &self.kind {
            Kind::AlwaysOpen => b - a,
            Kind::Business(cal) => {
                let mut total = Duration::zero();
                cal.walk(a, |s, e| {
                    if s >= b {
                        return ControlFlow::Break(());
                    }
                    total += e.min(b) - s;
                    ControlFlow::Continue(())
                });
                total
            }
        }
    }

    /// The open intervals from `a` to `b` in UTC, clipped to `[a, b]`, in order; touching
    /// intervals are joined. Empty if `b <= a`.
    pub fn open_intervals(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if b <= a {
            return Vec::new();
        }
        match &self.kind {
            Kind::AlwaysOpen => vec![(a, b)],
            Kind::Business(cal) => {
                let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
                cal.walk(a, |s, e| {
                    if s >= b {
                        return ControlFlow::Break(());
                    }
                    let e = e.min(b);
                    match out.last_mut() {
                        Some(last) if last.1 == s => last.1 = e,
                        _ => out.push((s, e)),
                    }
                    ControlFlow::Continue(())
                });
                out
            }
        }
    }

    /// Whether `t` is within open hours.
    pub fn is_open_at(&self, t: DateTime<Utc>) -> bool {
        match &self.kind {
            Kind::AlwaysOpen => true,
            Kind::Business(b) => {
                let mut open = false;
                b.walk(t, |s, _| {
                    open = s == t;
                    ControlFlow::Break(())
                });
                open
            }
        }
    }
}

impl Business {
    /// Calls `f` with the open intervals that end after `from`, in order, without overlaps, the
    /// first one clipped to start no earlier than `from`, until `f` breaks or the walk gives up.
    fn walk(&self, from: DateTime<Utc>, mut f: impl FnMut(DateTime<Utc>, DateTime<Utc>) -> ControlFlow<()>) {
        if self.week.iter().all(Vec::is_empty) {
            return;
        }
        // A day's ranges can end in UTC after the next local day begins (an ambiguous midnight), so
        // start one day early; the clipping below drops what lies before `from`.
        let Some(first) = local_of(self.tz, from) else { return };
        let mut day = first.date().pred_opt().unwrap_or(first.date());
        let mut last_end = from;
        let mut closed_days = 0;
        for _ in 0..MAX_WALK_DAYS {
            let mut opened = false;
            if !self.holidays.contains(&day) {
                for range in &self.week[day.weekday().num_days_from_monday() as usize] {
                    let (Some(s), Some(e)) = (self.start_instant(day, range.start), self.end_instant(day, range.end))
                    else {
                        return;
                    };
                    let s = s.max(last_end);
                    if e <= s {
                        continue;
                    }
                    opened = true;
                    last_end = e;
                    if f(s, e).is_break() {
                        return;
                    }
                }
            }
            closed_days = if opened { 0 } else { closed_days + 1 };
            if closed_days > MAX_CLOSED_DAYS {
                return;
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => return,
            }
        }
    }

    /// The instant a range starting at `minute` of local `day` opens: the earliest of an ambiguous
    /// local time, the first real instant after a nonexistent one.
    fn start_instant(&self, day: NaiveDate, minute: u16) -> Option<DateTime<Utc>> {
        let local = local_datetime(day, minute)?;
        match self.tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            chrono::LocalResult::Ambiguous(earliest, _) => Some(earliest.with_timezone(&Utc)),
            chrono::LocalResult::None => first_instant_at_or_after(self.tz, local),
        }
    }

    /// The instant a range ending at `minute` of local `day` closes: the latest of an ambiguous
    /// local time, the first real instant after a nonexistent one.
    fn end_instant(&self, day: NaiveDate, minute: u16) -> Option<DateTime<Utc>> {
        let local = local_datetime(day, minute)?;
        match self.tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            chrono::LocalResult::Ambiguous(_, latest) => Some(latest.with_timezone(&Utc)),
            chrono::LocalResult::None => first_instant_at_or_after(self.tz, local),
        }
    }
}

/// The local wall time of `t`; `None` at the very ends of time, where it is not representable.
fn local_of(tz: Tz, t: DateTime<Utc>) -> Option<NaiveDateTime> {
    t.naive_utc().checked_add_offset(tz.offset_from_utc_datetime(&t.naive_utc()).fix())
}

/// Local `day` at `minute` after midnight; 24:00 is midnight of the next day.
fn local_datetime(day: NaiveDate, minute: u16) -> Option<NaiveDateTime> {
    if minute >= DAY_MINUTES {
        return Some(day.succ_opt()?.and_time(NaiveTime::MIN));
    }
    let time = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)?;
    Some(day.and_time(time))
}

/// The first real instant whose local time is at or after `local` (which lies in a gap): the
/// moment the clocks jumped. Found by bisection over the two days around it.
fn first_instant_at_or_after(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let local_at = |secs: i64| DateTime::from_timestamp(secs, 0).and_then(|t| local_of(tz, t));
    let guess = local.and_utc().timestamp();
    // Offsets stay within ±26 h, so `lo` is before `local` in local time and `hi` after it.
    let (mut lo, mut hi) = (guess - 2 * 86_400, guess + 2 * 86_400);
    if local_at(hi)? < local {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if local_at(mid)? >= local {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0)
}
