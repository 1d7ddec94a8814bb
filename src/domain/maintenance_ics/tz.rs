//! VTIMEZONE components (RFC 5545 §3.6.5) for the zones an exported calendar names in `TZID=`,
//! built from the chrono-tz database; the standard requires one for every TZID used, and Outlook
//! refuses files without them.
//!
//! The zone's offset changes are found by scanning from a year before the first exported time to
//! a year after the last, where the zone database has changes at all, six days at a time (no zone
//! changes twice within a week), and narrowing each change down to the second. Changes
//! that recur every year on the same weekday rule ("last Sunday of March at 02:00") become one
//! observance with a yearly RRULE, so recurring windows stay right beyond the scanned years; a
//! rule that stopped within them gets an UNTIL; anything irregular is written as single onsets.
//! A zone without changes gets one STANDARD observance.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// What applies after a change of offset: the UTC instant it happens at and the offsets around it.
#[derive(Debug, Clone, PartialEq)]
struct Change {
    at: DateTime<Utc>,
    from: i32,
    to: i32,
    name: String,
    daylight: bool,
}

impl Change {
    /// The onset as RFC 5545 wants it: local time in the offset before the change.
    fn onset(&self) -> NaiveDateTime {
        self.at.naive_utc() + Duration::seconds(i64::from(self.from))
    }

    /// The weekday rule an onset follows: (month, weekday, `-1` for the last in the month or the
    /// week number 1–4, local time of day).
    fn rule(&self) -> (u32, Weekday, i8, u32) {
        let onset = self.onset();
        let day = onset.day();
        let last = day + 7 > days_in_month(onset.year(), onset.month());
        let nth = if last { -1 } else { ((day - 1) / 7 + 1) as i8 };
        (onset.month(), onset.weekday(), nth, onset.time().num_seconds_from_midnight())
    }
}

/// The offset in effect at `at`: total seconds east of UTC, its abbreviation, and whether it is
/// daylight-saving time.
fn offset_at(tz: Tz, at: DateTime<Utc>) -> (i32, String, bool) {
    let offset = tz.offset_from_utc_datetime(&at.naive_utc());
    let name = offset.abbreviation().map_or_else(|| offset_text(offset.fix().local_minus_utc()), str::to_string);
    (offset.fix().local_minus_utc(), name, !offset.dst_offset().is_zero())
}

/// Before this instant (1844-12-30) no zone of the bundled database changes its offset or name:
/// the earliest change in tzdata 2025b (chrono-tz 0.10.4) is on 1844-12-31.
const FIRST_CHANGE_BOUND: i64 = -3_944_764_800;
/// After this instant (2099-11-02) no zone changes any more: the database's tables end with the
/// changes of 2099 and the last offset holds from then on.
const LAST_CHANGE_BOUND: i64 = 4_097_260_800;
/// The scan's step. Two changes of one zone are never closer than 6 days 22 hours in the bundled
/// database (America/Cambridge_Bay in October 2000), so a 6-day step sees every change on its own.
const STEP_DAYS: i64 = 6;

/// The offset, its name and whether it is daylight-saving time, compared without allocating.
fn same_offset(tz: Tz, a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    let (x, y) = (tz.offset_from_utc_datetime(&a.naive_utc()), tz.offset_from_utc_datetime(&b.naive_utc()));
    (x.fix(), x.dst_offset(), x.abbreviation()) == (y.fix(), y.dst_offset(), y.abbreviation())
}

/// The first whole second after `at` and up to `next` with another offset than `at`'s, when there
/// is exactly one change between them (changes happen on whole seconds).
fn narrow(tz: Tz, at: DateTime<Utc>, next: DateTime<Utc>) -> DateTime<Utc> {
    let (mut lo, mut hi) = (at.timestamp(), next.timestamp());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let mid_at = DateTime::from_timestamp(mid, 0).unwrap_or(at);
        if same_offset(tz, at, mid_at) { lo = mid } else { hi = mid }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or(next)
}

/// Every change of offset (or of its name) in `[from, to]`, oldest first. Only the part of the
/// range where the database has changes is scanned, [`STEP_DAYS`] at a time, so a calendar
/// spanning two centuries costs a few thousand lookups.
fn changes(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Change> {
    let bound = |secs| DateTime::from_timestamp(secs, 0).unwrap_or(from);
    let (from, to) = (from.max(bound(FIRST_CHANGE_BOUND)), to.min(bound(LAST_CHANGE_BOUND)));
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        let next = (at + Duration::days(STEP_DAYS)).min(to);
        if !same_offset(tz, at, next) {
            let hi = narrow(tz, at, next);
            let before = offset_at(tz, at);
            let (to_offset, name, daylight) = offset_at(tz, hi);
            out.push(Change { at: hi, from: before.0, to: to_offset, name, daylight });
        }
        at = next;
    }
    out
}

/// The VTIMEZONE lines (unfolded, without line ends) for `tz`, covering `[first, last]` and, for
/// zones with a yearly rule, every year after.
pub fn vtimezone(tz: Tz, first: DateTime<Utc>, last: DateTime<Utc>) -> Vec<String> {
    let scan_from = first - Duration::days(400);
    let scan_to = last.max(first) + Duration::days(400);
    let found = changes(tz, scan_from, scan_to);
    let mut lines = vec!["BEGIN:VTIMEZONE".to_string(), format!("TZID:{}", tz.name())];
    if found.first().is_none_or(|c| c.at > first) {
        // Times before the first change (or a zone that never changes) need an observance too.
        let (offset, name, daylight) = offset_at(tz, scan_from);
        let from = found.first().map_or(offset, |c| c.from);
        let start = if found.is_empty() {
            NaiveDate::from_ymd_opt(1970, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or_default()
        } else {
            scan_from.naive_utc() + Duration::seconds(i64::from(from))
        };
        let initial = Change { at: scan_from, from, to: from, name, daylight };
        observance(&mut lines, &initial, start, None);
    }
    // Changes of the same kind on the same weekday rule, year after year, form one observance.
    let mut groups: Vec<Vec<&Change>> = Vec::new();
    for change in &found {
        let same = |g: &Vec<&Change>| {
            let prev = g.last().copied();
            prev.is_some_and(|p| {
                (p.from, p.to, &p.name, p.daylight) == (change.from, change.to, &change.name, change.daylight)
                    && p.rule() == change.rule()
                    && p.onset().year() + 1 == change.onset().year()
            })
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(group) => group.push(change),
            None => groups.push(vec![change]),
        }
    }
    for group in groups {
        let head = group[0];
        if group.len() < 2 {
            observance(&mut lines, head, head.onset(), None);
            continue;
        }
        let (month, weekday, nth, _) = head.rule();
        let day = weekday.to_string().to_uppercase()[..2].to_string();
        let mut rule = format!("FREQ=YEARLY;BYMONTH={month};BYDAY={nth}{day}");
        // A rule whose last change is more than a year before the end of the scan has stopped.
        let tail = group[group.len() - 1];
        if tail.at + Duration::days(366) < scan_to {
            rule.push_str(&format!(";UNTIL={}", tail.at.format("%Y%m%dT%H%M%SZ")));
        }
        observance(&mut lines, head, head.onset(), Some(rule));
    }
    lines.push("END:VTIMEZONE".into());
    lines
}

fn observance(lines: &mut Vec<String>, change: &Change, start: NaiveDateTime, rule: Option<String>) {
    let kind = if change.daylight { "DAYLIGHT" } else { "STANDARD" };
    lines.push(format!("BEGIN:{kind}"));
    lines.push(format!("DTSTART:{}", start.format("%Y%m%dT%H%M%S")));
    if let Some(rule) = rule {
        lines.push(format!("RRULE:{rule}"));
    }
    lines.push(format!("TZOFFSETFROM:{}", offset_text(change.from)));
    lines.push(format!("TZOFFSETTO:{}", offset_text(change.to)));
    lines.push(format!("TZNAME:{}", change.name));
    lines.push(format!("END:{kind}"));
}

/// `+0100`, `-0430`, `+013045` (seconds only when there are any).
fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, rest) = (s / 3600, s % 3600 / 60, s % 60);
    if rest == 0 { format!("{sign}{h:02}{m:02}") } else { format!("{sign}{h:02}{m:02}{rest:02}") }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).map_or(31, |d| d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan as it was before [`STEP_DAYS`] and the bounds: a day at a time over the whole range.
    fn daily(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, i32, i32, String)> {
        let mut out = Vec::new();
        let mut at = from;
        while at < to {
            let next = (at + Duration::days(1)).min(to);
            if offset_at(tz, at) != offset_at(tz, next) {
                let hi = narrow(tz, at, next);
                out.push((hi, offset_at(tz, at).0, offset_at(tz, hi).0, offset_at(tz, hi).1));
            }
            at = next;
        }
        out
    }

    fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    fn found(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, i32, i32, String)> {
        changes(tz, from, to).into_iter().map(|c| (c.at, c.from, c.to, c.name)).collect()
    }

    #[test]
    fn the_step_and_the_bounds_were_measured_on_this_zone_database() {
        assert_eq!(
            chrono_tz::IANA_TZDB_VERSION,
            "2025b",
            "FIRST_CHANGE_BOUND, LAST_CHANGE_BOUND and STEP_DAYS were measured on tzdata 2025b: check them \
             again on this database (`cargo test --release --lib every_change_of_every_zone -- --ignored`)"
        );
    }

    /// Where the bundled database has its closest changes (1943–45, October 2000, 2024, the 2040s
    /// of Gaza) the stepped scan finds exactly what a daily scan finds, in every zone.
    #[test]
    fn the_stepped_scan_finds_what_a_daily_scan_finds_where_changes_are_closest() {
        let ranges = [
            (utc(1943, 1, 1), utc(1946, 1, 1)),
            (utc(2000, 6, 1), utc(2001, 2, 1)),
            (utc(2024, 3, 1), utc(2025, 3, 1)),
            (utc(2040, 3, 1), utc(2041, 1, 1)),
        ];
        let mut compared = 0;
        for tz in chrono_tz::TZ_VARIANTS {
            for (from, to) in ranges {
                let daily = daily(tz, from, to);
                compared += daily.len();
                assert_eq!(found(tz, from, to), daily, "{} from {from} to {to}", tz.name());
            }
        }
        assert!(compared > 1000, "the ranges hold changes to compare: {compared}");
    }

    #[test]
    fn no_zone_changes_before_or_after_the_scanned_bounds() {
        let (first, last) = (
            DateTime::from_timestamp(FIRST_CHANGE_BOUND, 0).unwrap(),
            DateTime::from_timestamp(LAST_CHANGE_BOUND, 0).unwrap(),
        );
        for tz in chrono_tz::TZ_VARIANTS {
            assert_eq!(offset_at(tz, utc(1, 1, 1)), offset_at(tz, first), "{}", tz.name());
            assert_eq!(offset_at(tz, utc(9999, 1, 1)), offset_at(tz, last), "{}", tz.name());
        }
        // And the bounds are tight: something changes just inside each.
        assert!(chrono_tz::TZ_VARIANTS.iter().any(|tz| !daily(*tz, first, first + Duration::days(2)).is_empty()));
        assert!(chrono_tz::TZ_VARIANTS.iter().any(|tz| !daily(*tz, last - Duration::days(2), last).is_empty()));
    }

    /// The whole check, a day at a time from 1800 to 2200 in every zone (20 s in release):
    /// run it when the zone database changes.
    #[test]
    #[ignore = "20 s in release; run when chrono-tz is updated"]
    fn every_change_of_every_zone() {
        for tz in chrono_tz::TZ_VARIANTS {
            assert_eq!(
                found(tz, utc(1800, 1, 1), utc(2200, 1, 1)),
                daily(tz, utc(1800, 1, 1), utc(2200, 1, 1)),
                "{}",
                tz.name()
            );
        }
    }
}
