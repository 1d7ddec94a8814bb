//! The form's fields read as times, durations, zones, services and repeat rules: pure, with a
//! sentence for every way a field can be wrong.

use super::*;

/// An IANA zone name, case-insensitively ("europe/berlin" is Europe/Berlin).
pub fn parse_zone(text: &str) -> Result<Tz, String> {
    let name = text.trim();
    if name.is_empty() {
        return Err("a time zone is required, e.g. Europe/Berlin or UTC".into());
    }
    parse_timezone(name).or_else(|e| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(name))
            .copied()
            .ok_or_else(|| domain_message(&e))
    })
}

/// Service ids separated by commas and/or spaces, without duplicates.
pub fn parse_services(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let ids = text.split(|c: char| c == ',' || c == ';' || c.is_whitespace());
    ids.filter(|id| !id.is_empty() && seen.insert(*id)).map(str::to_string).collect()
}

/// Every service must be one the console knows, unless it knows none.
pub fn check_known(services: &[String], known: &[String]) -> Result<(), String> {
    let unknown: Vec<&String> = services.iter().filter(|s| !known.contains(s)).collect();
    if known.is_empty() || unknown.is_empty() {
        return Ok(());
    }
    let mut list: Vec<String> =
        known.iter().take(KNOWN_SHOWN).map(|s| truncate(&sanitize(s), 30).into_owned()).collect();
    list.extend((known.len() > KNOWN_SHOWN).then(|| format!("{} more", known.len() - KNOWN_SHOWN)));
    let names: Vec<String> = unknown.iter().take(3).map(|s| format!("`{}`", truncate(s, 30))).collect();
    let noun = if unknown.len() == 1 { "service" } else { "services" };
    Err(format!("unknown {noun} {} (known: {})", names.join(", "), list.join(", ")))
}

/// The start, typed in `tz`: `now`, `+30m`, `in 2h`, `HH:MM` (today, or tomorrow when that is
/// over a minute ago) or `YYYY-MM-DD HH:MM` (or with a `T`).
pub fn parse_start(text: &str, tz: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    let lower = t.to_lowercase();
    let start = if t.is_empty() {
        return Err(format!("a start is required: {START_FORMS}"));
    } else if lower == "now" {
        now
    } else if let Some(rest) = lower.strip_prefix('+').or_else(|| lower.strip_prefix("in ")) {
        let length = parse_duration(rest.trim())
            .map_err(|_| format!("`{}` is not a duration; use forms like +30m, in 2h, +1h30m", truncate(t, 30)))?;
        let start = Duration::from_std(length).ok().and_then(|length| now.checked_add_signed(length));
        start.ok_or_else(|| format!("start is more than {MAX_YEARS_AHEAD} years ahead; check the date"))?
    } else if let Some(time) = parse_time(t) {
        let local_now = now.with_timezone(&tz).naive_local();
        let mut day = local_now.date();
        if day.and_time(time) < local_now - Duration::minutes(1) {
            day = day.succ_opt().unwrap_or(day);
        }
        resolve_local(tz, day.and_time(time))?
    } else if let Some(at) = parse_date_time(t) {
        resolve_local(tz, at)?
    } else {
        return Err(format!("`{}` is not a start time; use {START_FORMS}", truncate(t, 30)));
    };
    if start < now - Duration::days(1) {
        return Err("start is in the past".into());
    }
    if start > now + Duration::days(366 * MAX_YEARS_AHEAD) {
        return Err(format!("start is more than {MAX_YEARS_AHEAD} years ahead; check the date"));
    }
    Ok(start)
}

/// The end: a duration after `start` (`2h`, `90m`, `1h30m`, `1d`), an `HH:MM` on the start's
/// local date (the next day when not after the start) or a `YYYY-MM-DD HH:MM`, in `tz`.
pub fn parse_until(text: &str, start: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    let end = if t.is_empty() {
        return Err("an end is required: a duration like 2h or an end time like 04:00".into());
    } else if let Ok(length) = parse_duration(&t.strip_prefix('+').unwrap_or(t).to_lowercase()) {
        let end = Duration::from_std(length).ok().and_then(|length| start.checked_add_signed(length));
        end.ok_or_else(|| format!("`{}` is far too long", truncate(t, 30)))?
    } else if let Some(time) = parse_time(t) {
        let date = start.with_timezone(&tz).date_naive();
        match resolve_local(tz, date.and_time(time))? {
            end if end > start => end,
            _ => resolve_local(tz, date.succ_opt().unwrap_or(date).and_time(time))?,
        }
    } else if let Some(at) = parse_date_time(t) {
        resolve_local(tz, at)?
    } else {
        let forms = "a duration (2h, 90m, 1h30m, 1d) nor an end time (04:00, 2026-12-05 04:00)";
        return Err(format!("`{}` is neither {forms}", truncate(t, 30)));
    };
    if end <= start {
        return Err("the end must be after the start".into());
    }
    Ok(end)
}

/// Refuses windows long enough to be a typo: 14 days, or 62 for a change freeze.
pub fn check_length(kind: MaintenanceKind, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<(), String> {
    let freeze = kind == MaintenanceKind::ChangeFreeze;
    let (what, max) = if freeze { ("change freeze", MAX_FREEZE_DAYS) } else { ("window", MAX_WINDOW_DAYS) };
    if end - start <= Duration::days(max) {
        return Ok(());
    }
    let hint = if freeze { String::new() } else { format!("; a change freeze may last up to {MAX_FREEZE_DAYS} days") };
    Err(format!("a {what} longer than {max} days is probably a mistake{hint}"))
}

/// The repeat rule: none when empty, `daily`, `weekly` (the start's weekday), `monthly` (the
/// start's day of the month), `weekdays`, or a raw RRULE with or without `RRULE:`, checked
/// against `start` in `tz`.
pub fn parse_repeats(text: &str, start: DateTime<Utc>, tz: Tz) -> Result<Option<String>, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let local = start.with_timezone(&tz);
    let rule = match lower.as_str() {
        "" | "none" | "never" => return Ok(None),
        "daily" => "FREQ=DAILY".to_string(),
        "weekly" => format!("FREQ=WEEKLY;BYDAY={}", local.weekday().to_string()[..2].to_uppercase()),
        "monthly" => format!("FREQ=MONTHLY;BYMONTHDAY={}", local.day()),
        "weekdays" => WEEKDAYS_RULE.to_string(),
        _ if lower.starts_with("rrule:") => t[6..].trim().to_ascii_uppercase(),
        _ => t.to_ascii_uppercase(),
    };
    match validate(&NewMaintenance { rrule: Some(rule.clone()), ..probe(start, tz) }) {
        Err(e) if e.field() == "rrule" => Err(domain_message(&e)),
        _ => Ok(Some(rule)),
    }
}

/// "daily", "weekly", "monthly", "weekdays", … for the preview.
pub(super) fn repeat_summary(rule: &str) -> String {
    if rule == WEEKDAYS_RULE {
        return "weekdays".into();
    }
    rule.split(';')
        .find_map(|part| part.strip_prefix("FREQ="))
        .map_or_else(|| "by rule".into(), |freq| freq.to_ascii_lowercase())
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

fn parse_date_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(&text, format).ok())
}

/// A local time in `tz`: the earlier instant in a fold, an error naming the zone in a gap.
fn resolve_local(tz: Tz, at: NaiveDateTime) -> Result<DateTime<Utc>, String> {
    match tz.from_local_datetime(&at) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Ok(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {
            let (time, day, zone) = (at.format("%H:%M"), at.format("%Y-%m-%d"), tz.name());
            Err(format!("{time} does not exist in {zone} on {day} (clocks go forward)"))
        }
    }
}

/// `2h`, `1h30m`, `1d2h`, `45s`: what the until field shows for a window's length.
pub fn format_duration(length: Duration) -> String {
    let secs = length.num_seconds().max(0);
    let parts = [(secs / 86_400, "d"), (secs % 86_400 / 3_600, "h"), (secs % 3_600 / 60, "m"), (secs % 60, "s")];
    let text: String = parts.iter().filter(|(n, _)| *n > 0).map(|(n, unit)| format!("{n}{unit}")).collect();
    if text.is_empty() { "0m".into() } else { text }
}

/// `Sat 28 Nov 02:00–04:00`; the start's date is left out when it is `shown_date`, the end's
/// when it is the start's.
pub(super) fn span(start: DateTime<FixedOffset>, end: DateTime<FixedOffset>, shown_date: Option<NaiveDate>) -> String {
    const WITH_DATE: &str = "%a %-d %b %H:%M";
    let start_format = if Some(start.date_naive()) == shown_date { "%H:%M" } else { WITH_DATE };
    let end_format = if end.date_naive() == start.date_naive() { "%H:%M" } else { WITH_DATE };
    format!("{}–{}", start.format(start_format), end.format(end_format))
}
