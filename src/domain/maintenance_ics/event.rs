//! One VEVENT of an imported file as the maintenance window it describes, or why it cannot be one.
//!
//! What an event may say and what opsdeck makes of it:
//! - `SUMMARY` is the title (control characters dropped, cut at the title limit); an event
//!   without one (or a blank one) is titled `(untitled)`.
//! - `DTSTART` with `TZID=` (see `zones.rs`), in UTC (`Z`), floating (no zone) or a DATE (all
//!   day). Floating times and dates are taken in the calendar's `X-WR-TIMEZONE` when it is an
//!   IANA name, else in UTC.
//! - The end is `DTEND`, else `DTSTART + DURATION` (days and weeks are calendar days on the
//!   event's wall clock, hours to seconds exact time), else RFC 5545 §3.6.1's default: a DATE
//!   start lasts one day, a DATE-TIME start ends when it starts. A window that lasts no time
//!   never covers a moment — it would suppress nothing and pause nothing — so it is refused,
//!   saying to add DTEND or DURATION. A DATE end equal to its start (some programs write that
//!   for one day) is one day.
//! - `RRULE` (one; `UNTIL` given as a date or a local time is turned into UTC) and `EXDATE`.
//!   `RDATE` (extra occurrences) cannot be expressed by a window and is refused.
//! - `CATEGORIES` naming a kind (`change_freeze`), and opsdeck's own `X-OPSDECK-*` properties;
//!   any other property, and components inside the event (VALARM), are ignored.
//! - Every computation on times is checked: a value out of range is refused, never a panic.

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use super::ImportDefaults;
use super::read::{Component, Prop, split_list, unescape};
use super::zones::{EventZone, FileZone, Offsets, resolve};
use crate::domain::maintenance::{
    MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, MAX_UID_CHARS, MaintenanceKind, NewMaintenance, validate,
};
use crate::domain::text::{sanitize, truncate};

/// The title of an event without a SUMMARY.
pub const UNTITLED: &str = "(untitled)";

/// What a calendar gives all its events.
pub(super) struct Context<'a> {
    pub zones: &'a [Result<FileZone, (String, String)>],
    /// Where floating times and dates are.
    pub floating: Tz,
    pub defaults: &'a ImportDefaults,
}

/// An event as read: who it is and what it says.
pub(super) struct Draft {
    pub uid: Option<String>,
    /// How messages name it: `` `uid` (summary) ``.
    pub name: String,
    pub sequence: i64,
    pub stamp: String,
    /// The occurrence of another event this one replaces (RFC 5545 RECURRENCE-ID).
    pub recurrence_id: Option<DateTime<Utc>>,
    /// `Ok(None)` when the event is cancelled.
    pub window: Result<Option<NewMaintenance>, String>,
}

pub(super) fn read(event: &Component, index: usize, cx: &Context<'_>) -> Draft {
    // Trimmed as a stored window's UID is (`NewMaintenance::normalize`): an escaped `\n` or space
    // at its end would otherwise never match the window it made, and every import would plan it
    // anew (found by fuzzing the import).
    let uid = event.prop("UID").map(|p| unescape(p.value.trim()).trim().to_string()).filter(|u| !u.is_empty());
    let summary = event.prop("SUMMARY").map(|p| unescape(p.value.trim())).filter(|s| !s.trim().is_empty());
    let shown = |s: &str| truncate(&sanitize(s), 80).into_owned();
    let name = match (&uid, &summary) {
        (Some(uid), Some(s)) => format!("`{}` ({})", shown(uid), shown(s)),
        (Some(uid), None) => format!("`{}`", shown(uid)),
        (None, Some(s)) => format!("“{}”", shown(s)),
        (None, None) => format!("#{}", index + 1),
    };
    let sequence = event.prop("SEQUENCE").and_then(|p| p.value.trim().parse().ok()).unwrap_or(0);
    let stamp = event.prop("DTSTAMP").map(|p| p.value.trim().to_string()).unwrap_or_default();
    let recurrence_id = event.prop("RECURRENCE-ID").map(|p| when(p, cx).map(|t| t.instant));
    let (recurrence_id, window) = match recurrence_id.transpose() {
        Ok(rid) => {
            let cancelled = event.prop("STATUS").is_some_and(|p| p.value.trim().eq_ignore_ascii_case("CANCELLED"));
            let window = if cancelled { Ok(None) } else { window(event, summary, cx).map(Some) };
            (rid, window)
        }
        Err(e) => (None, Err(format!("RECURRENCE-ID: {e}"))),
    };
    // The UID is kept as the window's `uid`, which the server checks like any field: refused here
    // already, naming the event (found by fuzzing the import).
    let window = match uid.as_deref().and_then(uid_problem) {
        Some(problem) => Err(problem),
        None => window,
    };
    Draft { uid, name, sequence, stamp, recurrence_id, window }
}

/// Why a UID cannot be a window's `uid`, if it cannot.
fn uid_problem(uid: &str) -> Option<String> {
    if uid.chars().count() > MAX_UID_CHARS {
        return Some(format!("UID is limited to {MAX_UID_CHARS} characters"));
    }
    uid.chars().any(char::is_control).then(|| "UID holds a control character".to_string())
}

/// A DTSTART, DTEND, RECURRENCE-ID or EXDATE value: the instant, its wall-clock time and zone.
#[derive(Clone)]
struct Time {
    instant: DateTime<Utc>,
    local: NaiveDateTime,
    zone: EventZone,
    date: bool,
}

fn window(event: &Component, summary: Option<String>, cx: &Context<'_>) -> Result<NewMaintenance, String> {
    let title =
        summary.map_or_else(|| UNTITLED.to_string(), |s| truncate(&sanitize(s.trim()), MAX_TITLE_CHARS).into_owned());
    let start_prop = event.prop("DTSTART").ok_or("DTSTART is missing")?;
    let start = when(start_prop, cx).map_err(|e| format!("DTSTART: {e}"))?;
    let end = match (event.prop("DTEND"), event.prop("DURATION")) {
        (Some(p), _) => {
            let end = when(p, cx).map_err(|e| format!("DTEND: {e}"))?;
            if end.date && start.date && end.instant == start.instant { after_days(&start, 1)? } else { end.instant }
        }
        (None, Some(p)) => {
            let (days, exact) = duration(&p.value).map_err(|e| format!("DURATION: {e}"))?;
            let nominal = after_days(&start, days)?;
            nominal.checked_add_signed(exact).ok_or("DURATION: the end is out of range")?
        }
        (None, None) if start.date => after_days(&start, 1)?,
        (None, None) => start.instant,
    };
    if end == start.instant {
        return Err("lasts no time (a DTSTART without DTEND or DURATION ends when it starts, RFC 5545 §3.6.1); a maintenance window needs an end: add DTEND or DURATION".into());
    }
    if event.prop("RDATE").is_some() {
        return Err("RDATE (occurrences beside the RRULE) cannot be expressed by a maintenance window".into());
    }
    let mut rules = event.all("RRULE");
    let rrule = rules.next().map(|p| until_in_utc(p.value.trim(), &start)).transpose()?;
    if rules.next().is_some() {
        return Err("has more than one RRULE; a maintenance window repeats by one rule".into());
    }
    let timezone = match (&start.zone.iana, &rrule) {
        (Some(tz), _) => tz.name().to_string(),
        (None, None) => "UTC".to_string(),
        (None, Some(_)) => {
            return Err(format!(
                "DTSTART: the time zone `{}` of the file matches no IANA zone, so its repetitions cannot be placed",
                start_prop.param("TZID").unwrap_or_default()
            ));
        }
    };
    let mut exdates = Vec::new();
    for p in event.all("EXDATE") {
        for value in p.value.split(',').filter(|v| !v.trim().is_empty()) {
            let single = Prop { value: value.trim().to_string(), ..p.clone() };
            exdates.push(when(&single, cx).map_err(|e| format!("EXDATE: {e}"))?.instant);
        }
    }
    let kind = event
        .all("CATEGORIES")
        .flat_map(|p| split_list(&p.value))
        .find_map(|c| MaintenanceKind::parse(&c))
        .unwrap_or(MaintenanceKind::Routine);
    let services = match event.prop("X-OPSDECK-SERVICES") {
        Some(p) => split_list(&p.value),
        None => cx.defaults.services.clone(),
    };
    if services.is_empty() {
        return Err("no X-OPSDECK-SERVICES and no default services (pass --services a,b)".into());
    }
    let switch = |name: &str| -> Result<bool, String> {
        match event.prop(name).map(|p| p.value.trim().to_ascii_uppercase()) {
            None => Ok(false),
            Some(v) if v == "TRUE" => Ok(true),
            Some(v) if v == "FALSE" => Ok(false),
            Some(v) => Err(format!("{name} must be TRUE or FALSE, not `{}`", truncate(&sanitize(&v), 20))),
        }
    };
    let description = event.prop("DESCRIPTION").map(|p| text_block(&unescape(&p.value))).unwrap_or_default();
    let mut window = NewMaintenance {
        title,
        kind,
        services,
        start: start.instant,
        end,
        timezone,
        rrule,
        exdates,
        uid: None,
        description,
        suppress_alerts: switch("X-OPSDECK-SUPPRESS-ALERTS")?,
        pause_sla: switch("X-OPSDECK-PAUSE-SLA")?,
    };
    window.normalize();
    validate(&window).map_err(|e| e.to_string())?;
    Ok(window)
}

/// A description as stored: each line without control characters, at most the limit.
fn text_block(text: &str) -> String {
    let lines: Vec<String> = text.replace('\r', "").split('\n').map(|l| sanitize(l).trim_end().to_string()).collect();
    truncate(lines.join("\n").trim(), MAX_DESCRIPTION_CHARS).into_owned()
}

fn when(p: &Prop, cx: &Context<'_>) -> Result<Time, String> {
    let value = p.value.trim();
    let shown = || truncate(&sanitize(value), 40).into_owned();
    let utc_zone = || EventZone { offsets: Offsets::Iana(chrono_tz::UTC), iana: Some(chrono_tz::UTC) };
    let floating = || EventZone { offsets: Offsets::Iana(cx.floating), iana: Some(cx.floating) };
    let is_date = p.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE")) || value.len() == 8;
    if is_date {
        let date = NaiveDate::parse_from_str(value, "%Y%m%d").map_err(|_| format!("`{}` is not a date", shown()))?;
        let local = date.and_time(NaiveTime::MIN);
        let zone = floating();
        return Ok(Time { instant: zone.instant(local), local, zone, date: true });
    }
    let (naive, utc) = match value.strip_suffix(['Z', 'z']) {
        Some(v) => (v, true),
        None => (value, false),
    };
    let local = NaiveDateTime::parse_from_str(naive, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("`{}` is not a date-time", shown()))?;
    let zone = match (utc, p.param("TZID")) {
        (true, _) => utc_zone(),
        (false, Some(tzid)) => resolve(tzid, &file_zones(cx, tzid)?, local)?,
        (false, None) => floating(),
    };
    Ok(Time { instant: zone.instant(local), local, zone, date: false })
}

/// The file's zones, or the problem of the VTIMEZONE defining `tzid` if it is broken.
fn file_zones(cx: &Context<'_>, tzid: &str) -> Result<Vec<FileZone>, String> {
    let wanted = tzid.trim().trim_matches('"').trim();
    let mut out = Vec::new();
    for zone in cx.zones {
        match zone {
            Ok(z) => out.push(z.clone()),
            Err((id, problem)) if id == wanted => return Err(problem.clone()),
            Err(_) => {}
        }
    }
    Ok(out)
}

/// `days` calendar days after `t` on its wall clock.
fn after_days(t: &Time, days: u64) -> Result<DateTime<Utc>, String> {
    let local = t.local.checked_add_days(Days::new(days)).ok_or("the end is out of range")?;
    Ok(t.zone.instant(local))
}

/// An RRULE whose `UNTIL` is a date or a local time, with it in UTC as the `rrule` crate needs.
fn until_in_utc(rule: &str, start: &Time) -> Result<String, String> {
    let parts: Vec<String> = rule
        .split(';')
        .map(|part| {
            let Some(value) = part.strip_prefix("UNTIL=").or_else(|| part.strip_prefix("until=")) else {
                return Ok(part.to_string());
            };
            if value.ends_with(['Z', 'z']) {
                return Ok(format!("UNTIL={}", value.to_ascii_uppercase()));
            }
            let local = match NaiveDate::parse_from_str(value, "%Y%m%d") {
                Ok(date) => date.and_hms_opt(23, 59, 59),
                Err(_) => NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").ok(),
            }
            .ok_or_else(|| format!("rrule: UNTIL `{}` is not a date or date-time", truncate(&sanitize(value), 30)))?;
            Ok(format!("UNTIL={}", start.zone.instant(local).format("%Y%m%dT%H%M%SZ")))
        })
        .collect::<Result<_, String>>()?;
    Ok(parts.join(";"))
}

/// An RFC 5545 DURATION such as `PT2H`, `PT1H30M`, `P1D` or `P2W`: its calendar days and its
/// exact part. Negative durations and values out of range are refused.
pub(super) fn duration(value: &str) -> Result<(u64, Duration), String> {
    let v = value.trim();
    let bad = || format!("`{}` is not a duration such as PT2H or P1D", truncate(&sanitize(v), 30));
    if v.starts_with('-') {
        return Err(format!("`{}` is negative; a window ends after it starts", truncate(&sanitize(v), 30)));
    }
    let v = v.strip_prefix('+').unwrap_or(v).strip_prefix(['P', 'p']).ok_or_else(bad)?;
    let out_of_range = || format!("`{}` is out of range", truncate(&sanitize(value.trim()), 30));
    let (mut days, mut seconds, mut number, mut in_time, mut any) = (0u64, 0i64, String::new(), false, false);
    for c in v.chars().map(|c| c.to_ascii_uppercase()) {
        match c {
            '0'..='9' => number.push(c),
            'T' if number.is_empty() && !in_time => in_time = true,
            'W' | 'D' | 'H' | 'M' | 'S' => {
                let n: u64 = number.parse().map_err(|_| if number.is_empty() { bad() } else { out_of_range() })?;
                number.clear();
                any = true;
                let add_days = |per: u64| n.checked_mul(per).and_then(|d| days.checked_add(d)).ok_or_else(out_of_range);
                let add_seconds = |per: i64| {
                    i64::try_from(n)
                        .ok()
                        .and_then(|n| n.checked_mul(per))
                        .and_then(|s| seconds.checked_add(s))
                        .ok_or_else(out_of_range)
                };
                match (c, in_time) {
                    ('W', false) => days = add_days(7)?,
                    ('D', false) => days = add_days(1)?,
                    ('H', true) => seconds = add_seconds(3600)?,
                    ('M', true) => seconds = add_seconds(60)?,
                    ('S', true) => seconds = add_seconds(1)?,
                    _ => return Err(bad()),
                }
            }
            _ => return Err(bad()),
        }
    }
    if !any || !number.is_empty() {
        return Err(bad());
    }
    // Nothing longer than chrono can hold (about 292 million years) is a maintenance window.
    let exact = Duration::try_seconds(seconds).ok_or_else(out_of_range)?;
    if days > 3_000_000 {
        return Err(out_of_range());
    }
    Ok((days, exact))
}
