//! Maintenance windows ↔ Alertmanager silences.
//!
//! - A window that suppresses alerts gets a silence per occurrence overlapping the next
//!   `silence_horizon` (a running one included): matcher `service=~"a|b"` (each service
//!   regex-escaped), `createdBy` whoever last changed the window, and a comment naming the window
//!   and the occurrence (`opsdeck: maintenance MW-3001 from … to … on a|b`). Each poll compares
//!   the silences opsdeck wants with the live ones whose comment starts `opsdeck: maintenance `:
//!   what is missing is made, what is no longer wanted (an edited window's old occurrences, a
//!   cancelled window's) is expired. As time moves on, new occurrences come into the horizon.
//! - A live silence made by hand in Alertmanager (no `opsdeck:` comment) is a read-only window of
//!   kind `silence`, id `AMS-` and the first 8 characters of the silence id, `source` the source's
//!   name; when the silence expires or goes, its window is cancelled. Services are the values of
//!   the service label's matchers (alternatives of a simple regex too).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::client::{Client, Matcher, NewSilence, Silence};
use super::map::Poller;
use crate::domain::maintenance::{MAX_DESCRIPTION_CHARS, MAX_SERVICE_ID_CHARS, MAX_SERVICES, MAX_TITLE_CHARS};
use crate::domain::text::{sanitize, truncate};
use crate::domain::{Entity, EntityKind, MaintenanceKind, MaintenanceWindow};
use crate::server::store::{EntityTx, StoredResponse, TxInput, TxOutcome};

/// What the comment of every silence opsdeck plans for a window starts with.
pub const WINDOW_PREFIX: &str = "opsdeck: maintenance ";
/// What the comment of every silence opsdeck makes starts with.
pub const OPSDECK_PREFIX: &str = "opsdeck: ";
/// The id prefix of a window shown for a hand-made silence.
pub const SILENCE_WINDOW_PREFIX: &str = "AMS-";

/// The silences opsdeck wants for `windows` at `now`: by comment, which names everything that
/// makes one silence differ from another (window, occurrence, services).
pub fn planned(
    windows: &[MaintenanceWindow],
    label: &str,
    horizon: chrono::Duration,
    now: DateTime<Utc>,
) -> BTreeMap<String, NewSilence> {
    let mut out = BTreeMap::new();
    for window in windows {
        if !window.suppress_alerts || window.cancelled || window.source.is_some() || window.services.is_empty() {
            continue;
        }
        let mut services: Vec<String> = window.services.iter().map(|s| regex::escape(s)).collect();
        services.sort();
        let pattern = services.join("|");
        for occurrence in window.occurrences(now, now + horizon) {
            let comment = format!(
                "{WINDOW_PREFIX}{} from {} to {} on {pattern}",
                window.id,
                occurrence.start.format("%Y-%m-%dT%H:%M:%SZ"),
                occurrence.end.format("%Y-%m-%dT%H:%M:%SZ"),
            );
            let by = if window.updated_by.is_empty() { &window.created_by } else { &window.updated_by };
            let silence = NewSilence {
                id: None,
                matchers: vec![Matcher::regex(label, &pattern)],
                starts_at: occurrence.start,
                ends_at: occurrence.end,
                created_by: sanitize(by).into_owned(),
                comment: comment.clone(),
            };
            out.insert(comment, silence);
        }
    }
    out
}

/// The services a silence's matchers on `label` name: equal values, and the alternatives of a
/// regex made only of plain names (`a|b`).
pub fn silenced_services(silence: &Silence, label: &str) -> Vec<String> {
    let mut out = BTreeSet::new();
    for m in silence.matchers.iter().filter(|m| m.name == label && m.is_equal) {
        if !m.is_regex {
            out.insert(m.value.clone());
        } else if m.value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '|')) {
            out.extend(m.value.split('|').filter(|s| !s.is_empty()).map(str::to_string));
        }
    }
    out.into_iter()
        .map(|s| truncate(sanitize(&s).trim(), MAX_SERVICE_ID_CHARS).into_owned())
        .filter(|s| !s.is_empty())
        .take(MAX_SERVICES)
        .collect()
}

/// The read-only window showing a hand-made `silence` (not yet stored: version and times are the
/// store's business, see [`same_window`]).
pub fn silence_window(silence: &Silence, source: &str, label: &str, now: DateTime<Utc>) -> MaintenanceWindow {
    let id: String = silence.id.chars().filter(|c| c.is_ascii_alphanumeric()).take(8).collect();
    let comment = sanitize(&silence.comment).trim().to_string();
    let matchers: Vec<String> = silence
        .matchers
        .iter()
        .map(|m| {
            let op = match (m.is_regex, m.is_equal) {
                (false, true) => "=",
                (false, false) => "!=",
                (true, true) => "=~",
                (true, false) => "!~",
            };
            format!("{}{op}\"{}\"", m.name, m.value)
        })
        .collect();
    let by = truncate(sanitize(&silence.created_by).trim(), 100).into_owned();
    let description = format!(
        "Silence {} made in Alertmanager by {by}: {{{}}}",
        sanitize(&silence.id),
        sanitize(&matchers.join(", "))
    );
    let title = if comment.is_empty() { "Alertmanager silence".to_string() } else { comment };
    MaintenanceWindow {
        id: format!("{SILENCE_WINDOW_PREFIX}{id}"),
        version: 1,
        title: truncate(&title, MAX_TITLE_CHARS).into_owned(),
        kind: MaintenanceKind::Silence,
        services: silenced_services(silence, label),
        start: silence.starts_at,
        end: silence.ends_at.max(silence.starts_at + chrono::Duration::seconds(1)),
        timezone: "UTC".into(),
        rrule: None,
        exdates: Vec::new(),
        uid: None,
        description: truncate(&description, MAX_DESCRIPTION_CHARS).into_owned(),
        created_by: by.clone(),
        suppress_alerts: false,
        pause_sla: false,
        cancelled: false,
        updated_by: by,
        updated_at: now,
        source: Some(source.to_string()),
    }
}

/// Whether two windows show the same thing (version, change time and author aside).
pub fn same_window(a: &MaintenanceWindow, b: &MaintenanceWindow) -> bool {
    let plain = |w: &MaintenanceWindow| MaintenanceWindow {
        version: 0,
        updated_at: DateTime::<Utc>::MIN_UTC,
        updated_by: String::new(),
        ..w.clone()
    };
    plain(a) == plain(b)
}

/// One poll's reconciliation of windows and silences.
pub async fn sync(
    client: &Client,
    poller: &mut Poller,
    silences: &[Silence],
    now: DateTime<Utc>,
) -> Result<(), String> {
    let settings = poller.settings.clone();
    let store = poller.store.clone();
    let windows = store.maintenance_windows(true).await.map_err(|e| format!("store: {e}"))?;
    // Windows planned in opsdeck → silences.
    let wanted = planned(&windows, &settings.service_label, settings.silence_horizon, now);
    let live: Vec<&Silence> = silences.iter().filter(|s| s.is_live()).collect();
    let have: BTreeSet<&str> =
        live.iter().filter(|s| s.comment.starts_with(WINDOW_PREFIX)).map(|s| s.comment.as_str()).collect();
    for silence in live.iter().filter(|s| s.comment.starts_with(WINDOW_PREFIX)) {
        if !wanted.contains_key(&silence.comment) {
            client.expire_silence(&silence.id).await.map_err(|e| e.to_string())?;
        }
    }
    for (comment, silence) in &wanted {
        if !have.contains(comment.as_str()) {
            client.post_silence(silence).await.map_err(|e| e.to_string())?;
        }
    }
    // Hand-made silences → read-only windows.
    let stored: BTreeMap<&str, &MaintenanceWindow> = windows
        .iter()
        .filter(|w| w.source.as_deref() == Some(settings.name.as_str()))
        .map(|w| (w.id.as_str(), w))
        .collect();
    let mut shown = BTreeSet::new();
    for silence in live.iter().filter(|s| !s.comment.starts_with(OPSDECK_PREFIX)) {
        let window = silence_window(silence, &settings.name, &settings.service_label, now);
        shown.insert(window.id.clone());
        match stored.get(window.id.as_str()) {
            Some(old) if same_window(old, &window) => {}
            _ => put(poller, window, now).await?,
        }
    }
    for (id, window) in stored {
        if !window.cancelled && !shown.contains(id) {
            let mut gone = window.clone();
            gone.cancelled = true;
            put(poller, gone, now).await?;
        }
    }
    Ok(())
}

/// Writes `window` over the stored one of its id (its version one more), or creates it.
async fn put(poller: &Poller, window: MaintenanceWindow, now: DateTime<Utc>) -> Result<(), String> {
    let id = window.id.clone();
    let source = poller.settings.name.clone();
    let decide = Box::new(move |input: TxInput| {
        let version = match &input.current {
            Some(Entity::Maintenance(old)) => old.version + 1,
            _ => 1,
        };
        let entity = Entity::Maintenance(MaintenanceWindow { version, updated_at: now, updated_by: source, ..window });
        TxOutcome { response: StoredResponse::entity(200, &entity), write: Some(entity) }
    });
    let tx = EntityTx { kind: EntityKind::Maintenance, id: Some(id), idempotency: None, decide };
    poller.store.transact(tx).await.map(|_| ()).map_err(|e| format!("store: {e}"))
}
