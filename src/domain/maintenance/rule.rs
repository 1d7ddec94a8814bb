//! Recurrence rules of maintenance windows, as the `rrule` crate expands them, and what is
//! refused before it gets them: text that is not ASCII, rules that repeat more than daily, rules
//! whose parts never meet. Also where a walk of the rule may start (near the range asked for).

use chrono::{DateTime, Duration, Utc};

use super::{MAX_RRULE_CHARS, MaintenanceError};

/// Builds the recurrence set of a rule starting at `start` in `tz`, as the `rrule` crate
/// understands it, without the `exdates`.
///
/// A maintenance window repeats at most a few times a day: `FREQ=SECONDLY`, `MINUTELY` and
/// `HOURLY`, and several `BYMINUTE` or `BYSECOND` values (which repeat within an hour), are
/// refused. Such a rule would flood every agenda and suppress alerts for most of the day; a
/// window that should run several times a day says so with `FREQ=DAILY;BYHOUR=2,14`.
pub(super) fn rule_set(
    rule: &str,
    start: DateTime<Utc>,
    tz: chrono_tz::Tz,
    exdates: &[DateTime<Utc>],
    near: Option<DateTime<Utc>>,
) -> Result<rrule::RRuleSet, MaintenanceError> {
    if rule.chars().count() > MAX_RRULE_CHARS {
        return Err(MaintenanceError::BadRrule(format!("is limited to {MAX_RRULE_CHARS} characters")));
    }
    let dt_start = start.with_timezone(&rrule::Tz::Tz(tz));
    let parsed = parse_rrule(rule).map_err(MaintenanceError::BadRrule)?;
    let too_often = match parsed.get_freq() {
        rrule::Frequency::Secondly => Some("FREQ=SECONDLY"),
        rrule::Frequency::Minutely => Some("FREQ=MINUTELY"),
        rrule::Frequency::Hourly => Some("FREQ=HOURLY"),
        _ if parsed.get_by_minute().len() > 1 => Some("several BYMINUTE values"),
        _ if parsed.get_by_second().len() > 1 => Some("several BYSECOND values"),
        _ => None,
    };
    if let Some(what) = too_often {
        return Err(MaintenanceError::BadRrule(format!(
            "{what} repeats more often than a maintenance window may (at most daily; for several a day use FREQ=DAILY;BYHOUR=2,14)"
        )));
    }
    if let Some(why) = never_happens(&parsed) {
        return Err(MaintenanceError::BadRrule(format!("never happens: {why}")));
    }
    let dt_start = near.and_then(|near| rebased_start(&parsed, dt_start, near)).unwrap_or(dt_start);
    let mut set = parsed.build(dt_start).map_err(|e| MaintenanceError::BadRrule(e.to_string()))?;
    for at in exdates {
        set = set.exdate(at.with_timezone(&rrule::Tz::Tz(tz)));
    }
    Ok(set)
}

/// Why `rule` has no occurrence at all, when its parts cannot meet: the 41st Sunday of a month,
/// the 30th of February, the second of one occurrence a week. The `rrule` crate looks for the
/// next occurrence period after period until its limit of 100,000 periods, so such a rule cost
/// hundreds of milliseconds at each look (found by fuzzing the import). Rules whose parts meet
/// only in some years (the 29th of February, the 53rd week) are kept.
fn never_happens(rule: &rrule::RRule<rrule::Unvalidated>) -> Option<String> {
    use rrule::{Frequency, NWeekday};
    let (freq, months) = (rule.get_freq(), rule.get_by_month());
    let in_month = freq == Frequency::Monthly || (freq == Frequency::Yearly && !months.is_empty());
    let most = if in_month { 5 } else { 53 };
    let nths: Vec<i16> = rule
        .get_by_weekday()
        .iter()
        .filter_map(|d| if let NWeekday::Nth(n, _) = d { Some(*n) } else { None })
        .collect();
    if matches!(freq, Frequency::Monthly | Frequency::Yearly)
        && !nths.is_empty()
        && rule.get_by_weekday().iter().all(|d| matches!(d, NWeekday::Nth(n, _) if n.unsigned_abs() > most))
    {
        let unit = if in_month { "a month" } else { "a year" };
        return Some(format!("BYDAY asks for weekday {} of {unit}, which has at most {most}", nths[0]));
    }
    const DAYS: [u8; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let month_days = rule.get_by_month_day();
    if !months.is_empty() && !month_days.is_empty() {
        let fits = |m: u8, d: i8| DAYS.get(usize::from(m).wrapping_sub(1)).is_some_and(|len| d.unsigned_abs() <= *len);
        if !months.iter().any(|m| month_days.iter().any(|d| fits(*m, *d))) {
            return Some(format!("BYMONTHDAY={} is in none of the months of BYMONTH", month_days[0]));
        }
    }
    let times = [rule.get_by_hour().len(), rule.get_by_minute().len(), rule.get_by_second().len()];
    let per_day = times.iter().map(|n| (*n).max(1)).product::<usize>();
    let per_period = match freq {
        Frequency::Daily => Some(per_day),
        Frequency::Weekly if rule.get_by_weekday().iter().all(|d| matches!(d, NWeekday::Every(_))) => {
            Some(rule.get_by_weekday().len().max(1) * per_day)
        }
        // Each `2SA` is one day a month at most (found by fuzzing the export: BYSETPOS=3 of it
        // walked every month to the crate's limit, a second a look).
        Frequency::Monthly
            if !nths.is_empty() && nths.len() == rule.get_by_weekday().len() && month_days.is_empty() =>
        {
            Some(nths.len() * per_day)
        }
        _ => None,
    };
    let positions = rule.get_by_set_pos();
    if let Some(size) = per_period
        && !positions.is_empty()
        && positions.iter().all(|p| p.unsigned_abs() as usize > size)
    {
        return Some(format!("BYSETPOS={} asks for more than the {size} a period has", positions[0]));
    }
    None
}

/// A later start for `rule` that gives the same occurrences from `near` on: `start` moved forward
/// by whole periods (`INTERVAL` days, weeks or months) on the wall clock, to a period before
/// `near`. The `rrule` crate walks every period from the start, so a daily window that started
/// years ago cost a walk of every day since at each look (a start in the year 507 took tens of
/// milliseconds: found by fuzzing the import). `None` when the rule cannot move: a `COUNT`
/// counts from the first occurrence, a monthly start after the 28th is not on every month, a
/// yearly rule walks few periods anyway, and a moved start that falls in a daylight-saving gap
/// or fold, or after `UNTIL`, stays put.
fn rebased_start(
    rule: &rrule::RRule<rrule::Unvalidated>,
    start: DateTime<rrule::Tz>,
    near: DateTime<Utc>,
) -> Option<DateTime<rrule::Tz>> {
    use chrono::{Datelike, TimeZone};
    if rule.get_count().is_some() || near <= start {
        return None;
    }
    let tz = start.timezone();
    let (from, to) = (start.naive_local(), near.with_timezone(&tz).naive_local());
    let interval = i64::from(rule.get_interval().max(1));
    let moved = match rule.get_freq() {
        rrule::Frequency::Daily | rrule::Frequency::Weekly => {
            let days = if rule.get_freq() == rrule::Frequency::Daily { interval } else { 7 * interval };
            let periods = (to - from).num_days() / days - 1;
            from.checked_add_signed(Duration::days(periods.checked_mul(days)?).max(Duration::zero()))?
        }
        rrule::Frequency::Monthly if from.day() <= 28 => {
            let months = i64::from(to.year() - from.year()) * 12 + i64::from(to.month()) - i64::from(from.month());
            let periods = months / interval - 1;
            from.checked_add_months(chrono::Months::new(u32::try_from(periods.checked_mul(interval)?.max(0)).ok()?))?
        }
        _ => return None,
    };
    let moved = tz.from_local_datetime(&moved).single()?;
    if moved <= start || rule.get_until().is_some_and(|until| *until < moved) {
        return None;
    }
    Some(moved)
}

/// An RRULE value as the `rrule` crate reads it, refused first when it holds anything but
/// ASCII: the grammar is ASCII only (RFC 5545 §3.3.10), and the crate slices a BYDAY value by
/// bytes, which panics inside a multi-byte character (found by fuzzing the changes feed).
pub fn parse_rrule(rule: &str) -> Result<rrule::RRule<rrule::Unvalidated>, String> {
    if let Some(c) = rule.chars().find(|c| !c.is_ascii()) {
        return Err(format!(
            "holds `{}`, not ASCII: an RRULE is ASCII only",
            crate::domain::text::sanitize(&c.to_string())
        ));
    }
    rule.trim().parse().map_err(|e: rrule::RRuleError| e.to_string())
}
