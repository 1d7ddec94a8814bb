//! VTIMEZONE components (RFC 5545 §3.6.5) for the zones an exported calendar names in `TZID=`,
//! built from the chrono-tz database; the standard requires one for every TZID used, and Outlook
//! refuses files without them.
//!
//! The zone's offset changes are found by scanning from a year before the first exported time to
//! a year after the last, a day at a time, and narrowing each change down to the second. Changes
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

/// Every change of offset (or of its name) in `[from, to]`, oldest first.
fn changes(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Change> {
    let mut out = Vec::new();
    let mut at = from;
    let mut before = offset_at(tz, at);
    while at < to {
        let next = (at + Duration::days(1)).min(to);
        let after = offset_at(tz, next);
        if after != before {
            // The change lies in (at, next]: narrow it down to the second.
            let (mut lo, mut hi) = (at, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, mid) == before { lo = mid } else { hi = mid }
            }
            let (to_offset, name, daylight) = offset_at(tz, hi);
            out.push(Change { at: hi, from: before.0, to: to_offset, name, daylight });
            before = offset_at(tz, hi);
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
