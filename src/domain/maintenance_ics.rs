//! iCalendar (RFC 5545) interchange of maintenance windows: pure text in, text out.
//!
//! Export writes one VEVENT per window: DTSTART/DTEND in the window's zone (`TZID=` with the
//! IANA name, or UTC `Z` for UTC windows), RRULE, SUMMARY, DESCRIPTION, CATEGORIES (the kind),
//! `UID:<id>@opsdeck`, `STATUS:CANCELLED` for cancelled windows, and the switches as
//! `X-OPSDECK-*` properties; and before the events one VTIMEZONE per TZID used, as RFC 5545
//! requires (see [`tz`]).
//!
//! Import parses with the `icalendar` crate and is all-or-nothing: any bad event fails the whole
//! file with an error naming the event. Cancelled events are skipped.
//!
//! An event is "already present" when it describes the same window as one that exists, compared
//! as a file can carry it ([`same_window`]): times at whole seconds (iCalendar has no fractions,
//! so a window planned at `now` comes back a fraction of a second earlier), the zone by its
//! canonical name, services as a set. Identity by UID alone would not do: `MW-3001@opsdeck` from
//! another server (staging, a colleague's demo) names a different window.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use icalendar::parser::{Component, Property, read_calendar, unfold};

use super::maintenance::{MaintenanceKind, MaintenanceWindow, NewMaintenance, parse_timezone, validate};

const PRODID: &str = "-//opsdeck//maintenance windows//EN";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    #[error("not a valid iCalendar file: {0}")]
    Syntax(String),
    #[error("the file holds no events (VEVENT)")]
    NoEvents,
    #[error("event {event}: {message}")]
    Event { event: String, message: String },
}

/// One imported event: its UID (for idempotent re-imports) and the window it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsEvent {
    pub uid: Option<String>,
    pub window: NewMaintenance,
}

/// Defaults for events that do not say what opsdeck needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportDefaults {
    /// Services of events without `X-OPSDECK-SERVICES`; empty makes such events an error.
    pub services: Vec<String>,
}

/// What an import will do: the events to create, and how many are already there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPlan {
    pub create: Vec<IcsEvent>,
    /// Events identical to a window that exists (or is already queued): skipped.
    pub present: usize,
}

/// Decides an import before anything is created: every service must be known (when `known` is
/// not empty), and events identical to an `existing` window are skipped. All or nothing: an
/// unknown service refuses the whole file.
pub fn plan_import(
    events: Vec<IcsEvent>,
    known: &[String],
    existing: &[NewMaintenance],
) -> Result<ImportPlan, IcsError> {
    for event in &events {
        if let Some(unknown) = event.window.services.iter().find(|s| !known.is_empty() && !known.contains(s)) {
            return Err(IcsError::Event {
                event: format!("“{}”", event.window.title),
                message: format!("names the unknown service `{unknown}`"),
            });
        }
    }
    let (present, create): (Vec<IcsEvent>, Vec<IcsEvent>) =
        events.into_iter().partition(|e| existing.iter().any(|w| same_window(w, &e.window)));
    Ok(ImportPlan { create, present: present.len() })
}

/// Whether `a` and `b` describe the same window as far as an iCalendar file can tell: see the
/// module documentation.
pub fn same_window(a: &NewMaintenance, b: &NewMaintenance) -> bool {
    fn canonical(w: &NewMaintenance) -> NewMaintenance {
        let mut w = w.clone();
        w.normalize();
        let whole = |t: DateTime<Utc>| t.with_nanosecond(0).unwrap_or(t);
        (w.start, w.end) = (whole(w.start), whole(w.end));
        if let Ok(tz) = parse_timezone(&w.timezone) {
            w.timezone = tz.name().to_string();
        }
        w.rrule = w.rrule.map(|r| r.to_ascii_uppercase());
        // What the file format drops: carriage returns in text.
        w.title = w.title.replace('\r', "");
        w.description = w.description.replace('\r', "");
        w.services.sort();
        w
    }
    canonical(a) == canonical(b)
}

/// The idempotency key of an imported event: `ics-` and a digest of its UID (or of its fields
/// when it has none), so importing the same file again applies once.
pub fn import_key(event: &IcsEvent) -> String {
    use sha2::{Digest, Sha256};
    let source = match &event.uid {
        Some(uid) => format!("uid:{uid}"),
        None => format!("fields:{}", serde_json::to_string(&event.window).unwrap_or_default()),
    };
    let digest = Sha256::digest(source.as_bytes());
    format!("ics-{}", digest.iter().take(20).map(|b| format!("{b:02x}")).collect::<String>())
}

/// The windows as an iCalendar file (CRLF line ends, long lines folded).
pub fn to_ics(windows: &[MaintenanceWindow]) -> String {
    let mut lines = vec!["BEGIN:VCALENDAR".to_string(), "VERSION:2.0".into(), format!("PRODID:{PRODID}")];
    // One VTIMEZONE per zone named in a TZID, covering the times given in it.
    let mut zones: Vec<(chrono_tz::Tz, DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for w in windows {
        let Some(zone) = parse_timezone(&w.timezone).ok().filter(|tz| *tz != chrono_tz::UTC) else { continue };
        match zones.iter_mut().find(|(tz, _, _)| *tz == zone) {
            Some((_, first, last)) => (*first, *last) = ((*first).min(w.start), (*last).max(w.end)),
            None => zones.push((zone, w.start, w.end)),
        }
    }
    for (zone, first, last) in zones {
        lines.extend(tz::vtimezone(zone, first, last));
    }
    for w in windows {
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:{}@opsdeck", w.id));
        lines.push(format!("DTSTAMP:{}", w.updated_at.format("%Y%m%dT%H%M%SZ")));
        lines.push(format!("DTSTART{}", date_time(w.start, &w.timezone)));
        lines.push(format!("DTEND{}", date_time(w.end, &w.timezone)));
        if let Some(rule) = &w.rrule {
            lines.push(format!("RRULE:{rule}"));
        }
        lines.push(format!("SUMMARY:{}", escape(&w.title)));
        if !w.description.is_empty() {
            lines.push(format!("DESCRIPTION:{}", escape(&w.description)));
        }
        lines.push(format!("CATEGORIES:{}", w.kind.as_str()));
        if w.cancelled {
            lines.push("STATUS:CANCELLED".into());
        }
        let services: Vec<String> = w.services.iter().map(|s| escape(s)).collect();
        lines.push(format!("X-OPSDECK-SERVICES:{}", services.join(",")));
        lines.push(format!("X-OPSDECK-SUPPRESS-ALERTS:{}", bool_text(w.suppress_alerts)));
        lines.push(format!("X-OPSDECK-PAUSE-SLA:{}", bool_text(w.pause_sla)));
        lines.push(format!("X-OPSDECK-CREATED-BY:{}", escape(&w.created_by)));
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

/// The windows of a file whose events all carry `X-OPSDECK-SERVICES`.
pub fn from_ics(text: &str) -> Result<Vec<NewMaintenance>, IcsError> {
    Ok(from_ics_with(text, &ImportDefaults::default())?.into_iter().map(|e| e.window).collect())
}

/// Every (not cancelled) event of the file, or the first problem; nothing partial.
pub fn from_ics_with(text: &str, defaults: &ImportDefaults) -> Result<Vec<IcsEvent>, IcsError> {
    let unfolded = unfold(&text.replace("\r\n", "\n"));
    if !unfolded.trim_start().starts_with("BEGIN:VCALENDAR") {
        return Err(IcsError::Syntax("it does not start with BEGIN:VCALENDAR".into()));
    }
    let calendar = read_calendar(&unfolded).map_err(|e| IcsError::Syntax(one_line(&e)))?;
    let events: Vec<&Component> = calendar.components.iter().filter(|c| c.name.as_str() == "VEVENT").collect();
    if events.is_empty() {
        return Err(IcsError::NoEvents);
    }
    let mut out = Vec::with_capacity(events.len());
    for (index, event) in events.into_iter().enumerate() {
        let uid = prop(event, "UID").map(|p| text_value(p));
        let summary = prop(event, "SUMMARY").map(|p| text_value(p));
        let name = match (&uid, &summary) {
            (Some(uid), Some(s)) => format!("`{uid}` ({s})"),
            (Some(uid), None) => format!("`{uid}`"),
            (None, Some(s)) => format!("“{s}”"),
            (None, None) => format!("#{}", index + 1),
        };
        let fail = |message: String| IcsError::Event { event: name.clone(), message };
        if prop(event, "STATUS").is_some_and(|p| p.val.as_str().trim().eq_ignore_ascii_case("CANCELLED")) {
            continue;
        }
        let window = event_window(event, summary, defaults).map_err(fail)?;
        out.push(IcsEvent { uid, window });
    }
    Ok(out)
}

fn event_window(
    event: &Component,
    summary: Option<String>,
    defaults: &ImportDefaults,
) -> Result<NewMaintenance, String> {
    let title = summary.filter(|s| !s.trim().is_empty()).ok_or("SUMMARY is missing")?;
    let start_prop = prop(event, "DTSTART").ok_or("DTSTART is missing")?;
    let (start, timezone) = when(start_prop).map_err(|e| format!("DTSTART: {e}"))?;
    let end = match (prop(event, "DTEND"), prop(event, "DURATION")) {
        (Some(p), _) => when(p).map_err(|e| format!("DTEND: {e}"))?.0,
        (None, Some(p)) => start + duration(p.val.as_str()).map_err(|e| format!("DURATION: {e}"))?,
        (None, None) => return Err("neither DTEND nor DURATION is given".into()),
    };
    let kind = prop(event, "CATEGORIES")
        .and_then(|p| p.val.as_str().split(',').find_map(MaintenanceKind::parse))
        .unwrap_or(MaintenanceKind::Routine);
    let services = match prop(event, "X-OPSDECK-SERVICES") {
        Some(p) => p.val.as_str().split(',').map(|s| unescape(s.trim())).filter(|s| !s.is_empty()).collect(),
        None => defaults.services.clone(),
    };
    if services.is_empty() {
        return Err("no X-OPSDECK-SERVICES and no default services (pass --services a,b)".into());
    }
    let switch = |name: &str| -> Result<bool, String> {
        match prop(event, name).map(|p| p.val.as_str().trim().to_ascii_uppercase()) {
            None => Ok(false),
            Some(v) if v == "TRUE" => Ok(true),
            Some(v) if v == "FALSE" => Ok(false),
            Some(v) => Err(format!("{name} must be TRUE or FALSE, not `{v}`")),
        }
    };
    let mut window = NewMaintenance {
        title,
        kind,
        services,
        start,
        end,
        timezone,
        rrule: prop(event, "RRULE").map(|p| p.val.as_str().trim().to_string()),
        description: prop(event, "DESCRIPTION").map(|p| text_value(p)).unwrap_or_default(),
        suppress_alerts: switch("X-OPSDECK-SUPPRESS-ALERTS")?,
        pause_sla: switch("X-OPSDECK-PAUSE-SLA")?,
    };
    window.normalize();
    validate(&window).map_err(|e| e.to_string())?;
    Ok(window)
}

fn prop<'a>(component: &'a Component<'a>, name: &str) -> Option<&'a Property<'a>> {
    component.properties.iter().find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn param(p: &Property, key: &str) -> Option<String> {
    p.params
        .iter()
        .find(|q| q.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|q| q.val.as_ref())
        .map(|v| v.as_str().trim().trim_matches('"').to_string())
}

/// A TEXT property's value; the parser has already unescaped the properties RFC 5545 types as
/// TEXT (SUMMARY, DESCRIPTION, UID, …), unlike `X-` properties.
fn text_value(p: &Property) -> String {
    p.val.as_str().trim().to_string()
}

/// A DTSTART/DTEND value as an instant and the IANA zone it was given in: `TZID=` local time,
/// UTC with `Z`, or floating local time and all-day dates, both taken as UTC.
fn when(p: &Property) -> Result<(DateTime<Utc>, String), String> {
    let value = p.val.as_str().trim();
    let is_date = param(p, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE")) || value.len() == 8;
    if is_date {
        let date = NaiveDate::parse_from_str(value, "%Y%m%d").map_err(|_| format!("`{value}` is not a date"))?;
        return Ok((date.and_time(chrono::NaiveTime::MIN).and_utc(), "UTC".into()));
    }
    if let Some(utc) = value.strip_suffix('Z') {
        let naive =
            NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").map_err(|_| format!("`{value}` is not a date-time"))?;
        return Ok((naive.and_utc(), "UTC".into()));
    }
    let naive =
        NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").map_err(|_| format!("`{value}` is not a date-time"))?;
    let Some(tzid) = param(p, "TZID") else {
        return Ok((naive.and_utc(), "UTC".into()));
    };
    let zone = windows_zone(&tzid).map(str::to_string).unwrap_or(tzid.clone());
    let tz = parse_timezone(&zone).map_err(|_| {
        format!("unknown time zone `{tzid}` (IANA names and common Windows names such as \"W. Europe Standard Time\" are understood)")
    })?;
    let at = tz
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| format!("{naive} does not exist in {zone} (daylight-saving gap)"))?;
    Ok((at.with_timezone(&Utc), tz.name().to_string()))
}

/// IANA zones of the Windows zone names Outlook writes that opsdeck understands.
pub fn windows_zone(name: &str) -> Option<&'static str> {
    Some(match name {
        "W. Europe Standard Time" => "Europe/Berlin",
        "Romance Standard Time" => "Europe/Paris",
        "Central Europe Standard Time" => "Europe/Budapest",
        "Central European Standard Time" => "Europe/Warsaw",
        "GMT Standard Time" => "Europe/London",
        "Greenwich Standard Time" => "Atlantic/Reykjavik",
        "UTC" | "Coordinated Universal Time" => "UTC",
        "Eastern Standard Time" => "America/New_York",
        "Central Standard Time" => "America/Chicago",
        "Mountain Standard Time" => "America/Denver",
        "Pacific Standard Time" => "America/Los_Angeles",
        "India Standard Time" => "Asia/Kolkata",
        "Tokyo Standard Time" => "Asia/Tokyo",
        "China Standard Time" => "Asia/Shanghai",
        "Singapore Standard Time" => "Asia/Singapore",
        "AUS Eastern Standard Time" => "Australia/Sydney",
        _ => return None,
    })
}

/// An RFC 5545 DURATION such as `PT2H`, `PT1H30M`, `P1D` or `P2W`.
fn duration(value: &str) -> Result<Duration, String> {
    let bad = || format!("`{value}` is not a duration such as PT2H or P1D");
    let v = value.trim();
    let (negative, v) = match v.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let v = v.strip_prefix('P').ok_or_else(bad)?;
    let (mut total, mut number, mut in_time, mut any) = (Duration::zero(), String::new(), false, false);
    for c in v.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' if number.is_empty() && !in_time => in_time = true,
            'W' | 'D' | 'H' | 'M' | 'S' => {
                let n: i64 = number.parse().map_err(|_| bad())?;
                number.clear();
                any = true;
                total += match (c, in_time) {
                    ('W', false) => Duration::weeks(n),
                    ('D', false) => Duration::days(n),
                    ('H', true) => Duration::hours(n),
                    ('M', true) => Duration::minutes(n),
                    ('S', true) => Duration::seconds(n),
                    _ => return Err(bad()),
                };
            }
            _ => return Err(bad()),
        }
    }
    if !any || !number.is_empty() {
        return Err(bad());
    }
    Ok(if negative { -total } else { total })
}

fn date_time(at: DateTime<Utc>, timezone: &str) -> String {
    match parse_timezone(timezone) {
        Ok(tz) if tz != chrono_tz::UTC => {
            format!(";TZID={}:{}", tz.name(), at.with_timezone(&tz).format("%Y%m%dT%H%M%S"))
        }
        _ => format!(":{}", at.format("%Y%m%dT%H%M%SZ")),
    }
}

fn bool_text(b: bool) -> &'static str {
    if b { "TRUE" } else { "FALSE" }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\n', "\\n").replace('\r', "")
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Appends `line` folded at 75 octets (never inside a character), with CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The parser's multi-line report as one line.
fn one_line(report: &str) -> String {
    let joined: Vec<&str> = report.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let text = joined.join(" ");
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    text.chars().take(300).collect()
}

pub mod tz;

#[cfg(test)]
mod tests;
