//! What an import does to the windows that exist: an upsert by UID.
//!
//! For each event of the file:
//! - a window imported earlier with the same UID (its `uid`) is that event's window: it is left
//!   alone when the file describes it as it is ("unchanged", compared with [`same_window`]),
//!   edited when the event changed, and cancelled when the event is `STATUS:CANCELLED`; one
//!   cancelled in opsdeck is not planned again;
//! - otherwise a window without a UID that describes the same window is "unchanged" (importing
//!   an export of the same server); identity by opsdeck's own `MW-3001@opsdeck` UID alone would
//!   not do, since another server (staging, a colleague's demo) has its own MW-3001;
//! - otherwise the event is planned as a new window, keeping its UID.
//!
//! An event naming a service that is not in the catalog is refused (when the catalog is known).
//! Each change goes out with an idempotency key derived from what it changes and to what — the
//! UID and a digest of the normalised window for a new one, the window's id, version and the
//! digest for an edit — so sending it again applies once, and a changed event is a new request,
//! never "this Idempotency-Key was already used for a different request".

use chrono::{DateTime, Timelike, Utc};

use super::{IcsError, IcsEvent, IcsFile};
use crate::domain::maintenance::{MaintenanceWindow, NewMaintenance, parse_timezone};

/// A change to a window that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: String,
    /// The version the change is taken against.
    pub version: i64,
    pub event: IcsEvent,
}

/// What an import will do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    pub create: Vec<IcsEvent>,
    pub update: Vec<Change>,
    /// Windows whose event the file cancels.
    pub cancel: Vec<Change>,
    /// One line per event that changes nothing: `MW-3001 Platform patching`.
    pub unchanged: Vec<String>,
    pub refused: Vec<IcsError>,
}

/// Decides the import of `file` over the `existing` windows (cancelled ones included); `known`
/// are the catalog's services, or empty when unknown (the server checks them then).
pub fn plan_import(file: IcsFile, known: &[String], existing: &[MaintenanceWindow]) -> ImportPlan {
    let mut plan = ImportPlan { refused: file.refused, ..ImportPlan::default() };
    let by_uid = |uid: &Option<String>| {
        let uid = uid.as_deref()?;
        existing.iter().filter(|w| w.uid.as_deref() == Some(uid)).max_by_key(|w| (!w.cancelled, w.version))
    };
    for event in file.events {
        if let Some(unknown) = event.window.services.iter().find(|s| !known.is_empty() && !known.contains(s)) {
            let message = format!("names the unknown service `{unknown}`");
            plan.refused.push(IcsError::Event { event: event.name.clone(), message });
            continue;
        }
        match by_uid(&event.window.uid) {
            Some(w) if w.cancelled => {
                plan.unchanged.push(format!("{} {} (cancelled here; not planned again)", w.id, w.title))
            }
            Some(w) if same_window(&w.to_new(), &event.window) => plan.unchanged.push(format!("{} {}", w.id, w.title)),
            Some(w) => plan.update.push(Change { id: w.id.clone(), version: w.version, event }),
            None => match existing
                .iter()
                .find(|w| !w.cancelled && w.uid.is_none() && same_window(&w.to_new(), &event.window))
            {
                Some(w) => plan.unchanged.push(format!("{} {}", w.id, w.title)),
                None => plan.create.push(event),
            },
        }
    }
    for cancelled in file.cancelled {
        match by_uid(&Some(cancelled.uid)) {
            Some(w) if !w.cancelled => {
                let event = IcsEvent { uid: w.uid.clone(), name: cancelled.name, window: w.to_new() };
                plan.cancel.push(Change { id: w.id.clone(), version: w.version, event });
            }
            _ => plan.unchanged.push(format!("{} (cancelled in the file; no window to cancel)", cancelled.name)),
        }
    }
    plan
}

/// Whether `a` and `b` describe the same window as far as an iCalendar file can tell: times at
/// whole seconds (iCalendar has no fractions, so a window planned at `now` comes back a fraction
/// of a second earlier), the zone by its canonical name, services as a set, text without
/// carriage returns; the UID does not count.
pub fn same_window(a: &NewMaintenance, b: &NewMaintenance) -> bool {
    fn canonical(w: &NewMaintenance) -> NewMaintenance {
        let mut w = w.clone();
        w.normalize();
        let whole = |t: DateTime<Utc>| t.with_nanosecond(0).unwrap_or(t);
        (w.start, w.end) = (whole(w.start), whole(w.end));
        w.exdates = w.exdates.iter().map(|t| whole(*t)).collect();
        if let Ok(tz) = parse_timezone(&w.timezone) {
            w.timezone = tz.name().to_string();
        }
        w.rrule = w.rrule.map(|r| r.to_ascii_uppercase());
        w.title = w.title.replace('\r', "");
        w.description = w.description.replace('\r', "");
        w.services.sort();
        w.uid = None;
        w
    }
    canonical(a) == canonical(b)
}

/// The idempotency key of planning `event` as a new window: its UID and its content.
pub fn create_key(event: &IcsEvent) -> String {
    key(&["create", event.window.uid.as_deref().unwrap_or(""), &content(&event.window)])
}

/// The idempotency key of editing (or, with `cancel`, cancelling) a window as `change` says.
pub fn change_key(change: &Change, cancel: bool) -> String {
    let verb = if cancel { "cancel" } else { "edit" };
    key(&[verb, &change.id, &change.version.to_string(), &content(&change.event.window)])
}

fn content(window: &NewMaintenance) -> String {
    let mut w = window.clone();
    w.normalize();
    serde_json::to_string(&w).unwrap_or_default()
}

fn key(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.len().to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    format!("ics-{}", digest.iter().take(20).map(|b| format!("{b:02x}")).collect::<String>())
}
