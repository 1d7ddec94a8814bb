//! Time zones of an imported file: which offsets a `TZID=` local time is in, and which IANA zone
//! a window keeps (its recurrences keep that zone's wall-clock time).
//!
//! A TZID is resolved in this order:
//! 1. An IANA name (`Europe/Berlin`): the zone database decides; a VTIMEZONE in the file for it
//!    is not needed (Google's are often abbreviated to one observance).
//! 2. Otherwise, when the file defines the TZID in a VTIMEZONE, its observances decide the
//!    offsets ([`FileZone`]: STANDARD/DAYLIGHT with TZOFFSETFROM/TZOFFSETTO, DTSTART, RRULE and
//!    RDATE). The window keeps an IANA zone whose offsets agree with it from a day before the
//!    event to 400 days after (or to the file's last transition, if sooner): first the one the TZID names — a Windows name Outlook writes
//!    (`W. Europe Standard Time`), a globally unique TZID ending in an IANA name
//!    (`/freeassociation.sourceforge.net/Europe/Berlin`, `/mozilla.org/20070129_1/America/New_York`,
//!    `/Europe/Stockholm`, `custom_America/New_York`), or the VTIMEZONE's `X-LIC-LOCATION` — then
//!    any zone of the database, common ones first. When none agrees the instants are still
//!    right, and the window is kept in UTC (a recurring one is refused: see `event.rs`).
//! 3. Otherwise the IANA zone the TZID names as in 2, if any; else the event is refused.
//!
//! A local time that does not exist (in a daylight-saving gap) is taken with the offset before
//! the gap, as RFC 5545 §3.3.5 says; one that exists twice is the earlier instant.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::read::Component;

/// Zones tried first when looking for an IANA zone that matches a file's VTIMEZONE.
const COMMON: [&str; 16] = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/Helsinki",
    "Europe/Moscow",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Pacific/Auckland",
    "Asia/Singapore",
    "UTC",
];

/// A change of offset: the UTC instant and the offsets (seconds east of UTC) before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Transition {
    at: DateTime<Utc>,
    from: i32,
    to: i32,
}

/// A VTIMEZONE of the file, as the transitions it defines over the years an import needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileZone {
    pub tzid: String,
    location: Option<String>,
    /// Oldest first.
    transitions: Vec<Transition>,
    /// The offset before the first transition.
    initial: i32,
}

/// How the offsets of a TZID are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offsets {
    Iana(Tz),
    File(FileZone),
}

/// A resolved TZID: its offsets and the IANA zone a window planned in it keeps, if one agrees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventZone {
    pub offsets: Offsets,
    pub iana: Option<Tz>,
}

impl FileZone {
    /// The zone a VTIMEZONE defines, with its transitions up to the end of `to_year`.
    pub fn read(component: &Component, to_year: i32) -> Result<FileZone, String> {
        let tzid = component.prop("TZID").map(|p| clean_tzid(&p.value)).ok_or("a VTIMEZONE has no TZID")?;
        let location = component.prop("X-LIC-LOCATION").map(|p| p.value.trim().to_string());
        let bad = |what: String| format!("VTIMEZONE `{tzid}`: {what}");
        let mut transitions = Vec::new();
        let mut earliest: Option<(NaiveDateTime, i32)> = None;
        for observance in component.children.iter().filter(|c| c.name == "STANDARD" || c.name == "DAYLIGHT") {
            let offset = |name: &str| {
                let p = observance.prop(name).ok_or_else(|| bad(format!("{} has no {name}", observance.name)))?;
                parse_offset(&p.value).ok_or_else(|| bad(format!("{name} `{}` is not an offset", p.value.trim())))
            };
            let (from, to) = (offset("TZOFFSETFROM")?, offset("TZOFFSETTO")?);
            let start = observance.prop("DTSTART").ok_or_else(|| bad(format!("{} has no DTSTART", observance.name)))?;
            let start = local_time(&start.value).ok_or_else(|| bad(format!("DTSTART `{}`", start.value.trim())))?;
            if earliest.is_none_or(|(at, _)| start < at) {
                earliest = Some((start, from));
            }
            let mut onsets = vec![start];
            for rdate in observance.all("RDATE") {
                onsets.extend(rdate.value.split(',').filter_map(local_time));
            }
            if let Some(rule) = observance.prop("RRULE") {
                onsets.extend(yearly_onsets(&rule.value, start, to_year).map_err(|e| bad(format!("RRULE: {e}")))?);
            }
            for onset in onsets {
                use chrono::Datelike;
                if onset.year() > to_year {
                    continue;
                }
                let at = (onset - Duration::seconds(i64::from(from))).and_utc();
                transitions.push(Transition { at, from, to });
            }
        }
        let Some((_, initial_from)) = earliest else {
            return Err(bad("has neither STANDARD nor DAYLIGHT".into()));
        };
        transitions.sort_by_key(|t| t.at);
        transitions.dedup();
        // Before the first onset, the oldest observance's TZOFFSETFROM.
        let initial = transitions.first().map_or(initial_from, |t| t.from);
        Ok(FileZone { tzid, location, transitions, initial })
    }

    /// The offset in effect at `at`.
    fn offset_at(&self, at: DateTime<Utc>) -> i32 {
        let after = self.transitions.partition_point(|t| t.at <= at);
        after.checked_sub(1).map_or(self.initial, |i| self.transitions[i].to)
    }

    fn offsets(&self) -> Vec<i32> {
        let mut all: Vec<i32> = self.transitions.iter().map(|t| t.to).chain([self.initial]).collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Whether `tz` has this zone's offsets from `from` to `to`: at every transition, and once a
    /// week in between.
    fn agrees_with(&self, tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        let offset = |at: DateTime<Utc>| tz.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc();
        let mut at = from;
        while at < to {
            if offset(at) != self.offset_at(at) {
                return false;
            }
            at += Duration::days(7);
        }
        self.transitions.iter().filter(|t| t.at > from && t.at < to).all(|t| {
            let before = t.at - Duration::seconds(1);
            offset(before) == self.offset_at(before) && offset(t.at) == self.offset_at(t.at)
        })
    }
}

impl EventZone {
    /// The instant a local time in this zone stands for.
    pub fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match &self.offsets {
            Offsets::Iana(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => t.with_timezone(&Utc),
                LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
                LocalResult::None => {
                    let before = tz.offset_from_utc_datetime(&(local - Duration::days(1))).fix().local_minus_utc();
                    (local - Duration::seconds(i64::from(before))).and_utc()
                }
            },
            Offsets::File(zone) => {
                let offsets = zone.offsets();
                let at = |offset: i32| (local - Duration::seconds(i64::from(offset))).and_utc();
                // The instants whose offset gives back this local time; the earlier of two.
                let valid = offsets.iter().map(|o| at(*o)).filter(|u| at(zone.offset_at(*u)) == *u).min();
                valid.unwrap_or_else(|| {
                    // In a gap: the offset before it, in effect an offset's width earlier.
                    let widest = offsets.last().copied().unwrap_or(0);
                    at(zone.offset_at(at(widest)))
                })
            }
        }
    }
}

/// Resolves `tzid` for an event around the local time `around`; see the module docs.
pub fn resolve(tzid: &str, file: &[FileZone], around: NaiveDateTime) -> Result<EventZone, String> {
    let tzid = clean_tzid(tzid);
    if let Ok(tz) = tzid.parse::<Tz>() {
        return Ok(EventZone { offsets: Offsets::Iana(tz), iana: Some(tz) });
    }
    let defined = file.iter().find(|z| z.tzid == tzid);
    let named = named_zone(&tzid).or_else(|| defined.and_then(|z| z.location.as_deref()?.parse().ok()));
    let Some(zone) = defined else {
        return match named {
            Some(tz) => Ok(EventZone { offsets: Offsets::Iana(tz), iana: Some(tz) }),
            None => Err(format!(
                "unknown time zone `{tzid}` (the file defines no VTIMEZONE for it, and it is neither an IANA name nor a common Windows name such as \"W. Europe Standard Time\")"
            )),
        };
    };
    // Up to 400 days ahead, but no further than the file's last transition: programs that write
    // only the changes around their events (khal) say nothing about later years.
    let from = (around - Duration::days(1)).and_utc();
    let last = zone.transitions.last().map_or(from, |t| t.at);
    let to = (around + Duration::days(400)).and_utc().min(last.max(from) + Duration::days(2));
    let iana = named
        .into_iter()
        .chain(COMMON.iter().filter_map(|n| n.parse::<Tz>().ok()))
        .chain(chrono_tz::TZ_VARIANTS.iter().copied())
        .find(|tz| zone.agrees_with(*tz, from, to));
    Ok(EventZone { offsets: Offsets::File(zone.clone()), iana })
}

/// The IANA zone a non-IANA TZID names: a Windows name, or an IANA name at its end after a `/`
/// or `_` (`/mozilla.org/20070129_1/America/New_York`, `custom_America/New_York`).
fn named_zone(tzid: &str) -> Option<Tz> {
    if let Some(tz) = super::windows_zone(tzid).and_then(|n| n.parse().ok()) {
        return Some(tz);
    }
    tzid.char_indices()
        .filter(|(_, c)| *c == '/' || *c == '_')
        .find_map(|(i, _)| tzid[i + 1..].parse::<Tz>().ok().filter(|_| tzid[i + 1..].contains('/')))
}

fn clean_tzid(tzid: &str) -> String {
    tzid.trim().trim_matches('"').trim().to_string()
}

/// `+0100`, `-0430`, `+013045`.
fn parse_offset(text: &str) -> Option<i32> {
    let t = text.trim();
    let (sign, digits) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let part = |i: usize| digits.get(i..i + 2).and_then(|d| d.parse::<i32>().ok()).unwrap_or(0);
    let (h, m, s) = (part(0), part(2), part(4));
    (h < 24 && m < 60 && s < 60).then_some(sign * (h * 3600 + m * 60 + s))
}

/// `19701025T030000` (a trailing `Z` tolerated).
fn local_time(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    NaiveDateTime::parse_from_str(t.strip_suffix('Z').unwrap_or(t), "%Y%m%dT%H%M%S").ok()
}

/// The onsets an observance's RRULE gives after `start`, up to the end of `to_year`, in local
/// time (the rule is expanded on the wall clock, as RFC 5545 means for VTIMEZONE); at most
/// [`MAX_ONSETS`].
pub(super) fn yearly_onsets(rule: &str, start: NaiveDateTime, to_year: i32) -> Result<Vec<NaiveDateTime>, String> {
    let (parsed, set) = parse_rule(rule, start)?;
    match nth_weekday_onsets(&parsed, start, to_year) {
        Some(onsets) => Ok(onsets),
        None => Ok(expand(set, start, to_year)),
    }
}

/// [`yearly_onsets`] as the `rrule` crate expands them, day by day.
#[cfg(test)]
pub(super) fn expanded_onsets(rule: &str, start: NaiveDateTime, to_year: i32) -> Result<Vec<NaiveDateTime>, String> {
    Ok(expand(parse_rule(rule, start)?.1, start, to_year))
}

type Rule = (rrule::RRule<rrule::Unvalidated>, rrule::RRuleSet);

fn parse_rule(rule: &str, start: NaiveDateTime) -> Result<Rule, String> {
    // Outlook and libical write UNTIL in UTC; the rule is expanded in a zone-less clock here,
    // where the difference of an offset does not matter for a yearly rule.
    let parsed = crate::domain::maintenance::parse_rrule(rule)?;
    let set = parsed.clone().build(rrule::Tz::UTC.from_utc_datetime(&start)).map_err(|e| e.to_string())?;
    Ok((parsed, set))
}

fn expand(set: rrule::RRuleSet, start: NaiveDateTime, to_year: i32) -> Vec<NaiveDateTime> {
    let end = chrono::NaiveDate::from_ymd_opt(to_year + 1, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or(start);
    let result = set.before(rrule::Tz::UTC.from_utc_datetime(&end)).all(MAX_ONSETS);
    result.dates.into_iter().map(|d| d.naive_utc()).collect()
}

/// Onsets of one observance, as the `rrule` crate's expansion caps them.
const MAX_ONSETS: u16 = 2000;

/// The onsets of the rule nearly every VTIMEZONE has — `FREQ=YEARLY;BYMONTH=m;BYDAY=nWD` with an
/// optional UNTIL ("the last Sunday of October") — counted out year by year, as the `rrule`
/// crate's expansion gives them (a test compares the two), but without walking every day of
/// every year up to `to_year`. `None` for any other rule.
fn nth_weekday_onsets(
    rule: &rrule::RRule<rrule::Unvalidated>,
    start: NaiveDateTime,
    to_year: i32,
) -> Option<Vec<NaiveDateTime>> {
    use chrono::{Datelike, NaiveDate};
    let plain = rule.get_freq() == rrule::Frequency::Yearly
        && rule.get_interval() == 1
        && rule.get_count().is_none()
        && rule.get_by_set_pos().is_empty()
        && rule.get_by_month_day().is_empty()
        && rule.get_by_year_day().is_empty()
        && rule.get_by_week_no().is_empty()
        && rule.get_by_hour().is_empty()
        && rule.get_by_minute().is_empty()
        && rule.get_by_second().is_empty();
    let (&[month], &[rrule::NWeekday::Nth(nth, weekday)]) = (rule.get_by_month(), rule.get_by_weekday()) else {
        return None;
    };
    if !plain || !(1..=5).contains(&nth.unsigned_abs()) {
        return None;
    }
    let until = rule.get_until().map(|u| u.naive_utc());
    let mut onsets = Vec::new();
    for year in start.year()..=to_year {
        if onsets.len() >= usize::from(MAX_ONSETS) {
            break;
        }
        let day = if nth > 0 {
            NaiveDate::from_weekday_of_month_opt(year, u32::from(month), weekday, nth as u8)
        } else {
            let last = NaiveDate::from_ymd_opt(year, u32::from(month), 1)?
                .checked_add_months(chrono::Months::new(1))?
                .pred_opt()?;
            let back = (last.weekday().num_days_from_monday() + 7 - weekday.num_days_from_monday()) % 7;
            last.checked_sub_days(chrono::Days::new(u64::from(back) + 7 * u64::from(nth.unsigned_abs() - 1)))
                .filter(|d| d.month() == u32::from(month))
        };
        let Some(onset) = day.map(|d| d.and_time(start.time())) else { continue };
        if until.is_some_and(|u| onset > u) {
            break;
        }
        if onset >= start {
            onsets.push(onset);
        }
    }
    Some(onsets)
}
