//! iCalendar (RFC 5545) interchange of maintenance windows: pure text in, text out.
//!
//! Export writes one VEVENT per window: DTSTART/DTEND in the window's zone (`TZID=` with the
//! IANA name, or UTC `Z` for UTC windows), RRULE and EXDATE, SUMMARY, DESCRIPTION, CATEGORIES
//! (the kind), the UID it was imported with or `UID:<id>@opsdeck`, `STATUS:CANCELLED` for
//! cancelled windows, and the switches as `X-OPSDECK-*` properties; and before the events one
//! VTIMEZONE per TZID used, as RFC 5545 requires (see [`tz`]).
//!
//! Import takes what calendar programs write (Outlook, Google Calendar, Thunderbird, Evolution,
//! Lotus Notes, khal, Apple Calendar): [`read`] the text, [`zones`] the time zones, [`event`] one
//! VEVENT, [`plan`] what the import does to the windows that exist. Each event stands alone: one
//! that cannot be a window is refused with one line naming it (UID and SUMMARY) and the problem,
//! and the others are imported; only a file that is not iCalendar at all (or is truncated) is
//! refused as a whole.
//!
//! Events are gathered by UID across every VCALENDAR of the file: of several copies the highest
//! SEQUENCE (then the latest DTSTAMP) wins. An event with a RECURRENCE-ID replaces one
//! occurrence of its series: that occurrence becomes an EXDATE of the series' window and the
//! replacement a one-off window of its own (UID `<uid>#<occurrence start in UTC>`); a cancelled
//! replacement only removes the occurrence. A cancelled series (`STATUS:CANCELLED`) cancels the
//! window imported from it.

use chrono::{DateTime, Utc};

use super::maintenance::{MaintenanceWindow, NewMaintenance, parse_timezone};
use read::Component;

pub use plan::{Change, ImportPlan, change_key, create_key, plan_import, same_window};

const PRODID: &str = "-//opsdeck//maintenance windows//EN";
/// Observances of a file's VTIMEZONE are expanded up to this year.
const ZONES_UNTIL_YEAR: i32 = 2200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    #[error("not a valid iCalendar file: {0}")]
    Syntax(String),
    #[error("the file holds no events (VEVENT)")]
    NoEvents,
    #[error("event {event}: {message}")]
    Event { event: String, message: String },
}

/// One imported event: how messages name it and the window it describes (its `uid` is the
/// identity an import upserts by).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsEvent {
    pub uid: Option<String>,
    pub name: String,
    pub window: NewMaintenance,
}

/// A cancelled event of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelledEvent {
    pub uid: String,
    pub name: String,
}

/// Everything a file says: the events that are windows, the cancelled ones, and the refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IcsFile {
    pub events: Vec<IcsEvent>,
    pub cancelled: Vec<CancelledEvent>,
    /// One [`IcsError::Event`] per event that cannot be a window.
    pub refused: Vec<IcsError>,
}

/// Defaults for events that do not say what opsdeck needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportDefaults {
    /// Services of events without `X-OPSDECK-SERVICES`; empty makes such events refused.
    pub services: Vec<String>,
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
        match &w.uid {
            Some(uid) => lines.push(format!("UID:{}", escape(uid))),
            None => lines.push(format!("UID:{}@opsdeck", w.id)),
        }
        lines.push(format!("DTSTAMP:{}", w.updated_at.format("%Y%m%dT%H%M%SZ")));
        lines.push(format!("DTSTART{}", date_time(w.start, &w.timezone)));
        lines.push(format!("DTEND{}", date_time(w.end, &w.timezone)));
        if let Some(rule) = &w.rrule {
            lines.push(format!("RRULE:{rule}"));
            for at in &w.exdates {
                lines.push(format!("EXDATE{}", date_time(*at, &w.timezone)));
            }
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

/// The windows of a file whose events all carry `X-OPSDECK-SERVICES`; the first refused event
/// fails it.
pub fn from_ics(text: &str) -> Result<Vec<NewMaintenance>, IcsError> {
    let file = read_ics(text, &ImportDefaults::default())?;
    match file.refused.into_iter().next() {
        Some(error) => Err(error),
        None => Ok(file.events.into_iter().map(|e| e.window).collect()),
    }
}

/// Reads every event of the file; `Err` only when the file as a whole is not iCalendar, or has
/// no events.
pub fn read_ics(text: &str, defaults: &ImportDefaults) -> Result<IcsFile, IcsError> {
    let calendars = read::calendars(text).map_err(IcsError::Syntax)?;
    let mut drafts = Vec::new();
    for calendar in &calendars {
        let zones: Vec<Result<zones::FileZone, (String, String)>> = calendar
            .children("VTIMEZONE")
            .map(|c| {
                zones::FileZone::read(c, ZONES_UNTIL_YEAR).map_err(|e| {
                    (c.prop("TZID").map(|p| p.value.trim().trim_matches('"').trim().to_string()).unwrap_or_default(), e)
                })
            })
            .collect();
        let floating =
            calendar.prop("X-WR-TIMEZONE").and_then(|p| parse_timezone(&p.value).ok()).unwrap_or(chrono_tz::UTC);
        let cx = event::Context { zones: &zones, floating, defaults };
        let events: Vec<&Component> = calendar.children("VEVENT").collect();
        for event in events {
            drafts.push(event::read(event, drafts.len(), &cx));
        }
    }
    if drafts.is_empty() {
        return Err(IcsError::NoEvents);
    }
    Ok(gather(drafts))
}

/// Copies of one UID reduced to the newest; replaced occurrences folded into their series.
fn gather(drafts: Vec<event::Draft>) -> IcsFile {
    let mut file = IcsFile::default();
    let mut masters: Vec<event::Draft> = Vec::new();
    let mut overrides: Vec<event::Draft> = Vec::new();
    for draft in drafts {
        let kept = if draft.recurrence_id.is_none() { &mut masters } else { &mut overrides };
        let copy = kept
            .iter_mut()
            .find(|k| draft.uid.is_some() && k.uid == draft.uid && k.recurrence_id == draft.recurrence_id);
        match copy {
            Some(k) if (draft.sequence, &draft.stamp) >= (k.sequence, &k.stamp) => *k = draft,
            Some(_) => {}
            None => kept.push(draft),
        }
    }
    for over in overrides {
        let (Some(uid), Some(at)) = (over.uid.clone(), over.recurrence_id) else { continue };
        let master = masters.iter_mut().find(|m| m.uid.as_ref() == Some(&uid));
        if let Some(Ok(Some(series))) = master.map(|m| &mut m.window) {
            series.exdates.push(at);
            series.normalize();
        }
        match over.window {
            Ok(Some(mut window)) => {
                window.uid = Some(format!("{uid}#{}", at.format("%Y%m%dT%H%M%SZ")));
                file.events.push(IcsEvent { uid: over.uid, name: over.name, window });
            }
            Ok(None) => {}
            Err(message) => file.refused.push(IcsError::Event { event: over.name, message }),
        }
    }
    for master in masters {
        match (master.window, master.uid) {
            (Ok(Some(mut window)), uid) => {
                window.uid = uid.clone();
                file.events.push(IcsEvent { uid, name: master.name, window });
            }
            (Ok(None), Some(uid)) => file.cancelled.push(CancelledEvent { uid, name: master.name }),
            (Ok(None), None) => {}
            (Err(message), _) => file.refused.push(IcsError::Event { event: master.name, message }),
        }
    }
    file.events.sort_by_key(|e| (e.window.start, e.window.uid.clone()));
    file
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

pub mod event;
pub mod plan;
pub mod read;
pub mod tz;
pub mod zones;

#[cfg(test)]
mod tests;
