//! The console's actions on an Alertmanager incident carried to Alertmanager.
//!
//! - Acknowledge silences the alert: a silence with an equality matcher per label, `createdBy` the
//!   user, lasting `ack_silence`, its comment `opsdeck: AM-… ack by dana [key …]`. Before making
//!   one, the live silences are searched for that key, so a resend after a lost answer makes none.
//!   An alert Alertmanager no longer holds needs no silence: the acknowledgement is opsdeck's.
//! - Resolve expires every live silence an acknowledgement of the incident made; opsdeck then
//!   records the resolution.
//! - Escalation, reassignment, notes and stars are opsdeck's own: Alertmanager has no such thing.
//!
//! Alertmanager unreachable or failing is [`CarryError::Unavailable`]: the console keeps the action
//! and sends it again under the same key.

use chrono::{DateTime, Utc};

use super::Settings;
use super::client::{CallError, Client, Matcher, NewSilence};
use super::map::{fingerprint_key, parse_id};
use crate::domain::text::{sanitize, truncate};
use crate::domain::{Incident, IncidentAction};
use crate::server::sources::{CarryError, Support};

/// Seconds the console waits before resending an action Alertmanager could not take.
const RETRY_AFTER_SECS: u64 = 5;

pub fn support(action: &IncidentAction) -> Support {
    match action {
        IncidentAction::Acknowledge | IncidentAction::Resolve => Support::Carried,
        IncidentAction::Escalate => {
            Support::OpsdeckOnly("Alertmanager has no escalation; escalated in opsdeck only".into())
        }
        IncidentAction::Reassign { .. } => {
            Support::OpsdeckOnly("Alertmanager has no assignees; reassigned in opsdeck only".into())
        }
        IncidentAction::Note { .. } => {
            Support::OpsdeckOnly("Alertmanager has no notes; the note is kept in opsdeck only".into())
        }
        IncidentAction::Star { .. } => {
            Support::OpsdeckOnly("Alertmanager has no timeline; starred in opsdeck only".into())
        }
    }
}

fn carry_error(error: CallError) -> CarryError {
    match error {
        CallError::Unavailable(message) => CarryError::Unavailable { message, retry_after_secs: RETRY_AFTER_SECS },
        CallError::Refused(message) => CarryError::Refused(message),
    }
}

/// What every acknowledgement silence of `incident_id` carries at the start of its comment.
pub fn ack_prefix(incident_id: &str) -> String {
    format!("opsdeck: {incident_id} ack by ")
}

/// The comment of the silence `actor`'s acknowledgement of `incident_id` under `key` makes.
pub fn ack_comment(incident_id: &str, actor: &str, key: &str) -> String {
    let key = truncate(sanitize(key).trim(), 100).into_owned();
    format!("{}{} [key {key}]", ack_prefix(incident_id), sanitize(actor))
}

fn key_tag(key: &str) -> String {
    format!("[key {}]", truncate(sanitize(key).trim(), 100))
}

pub async fn carry(
    client: &Client,
    settings: &Settings,
    incident: &Incident,
    action: &IncidentAction,
    actor: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), CarryError> {
    match action {
        IncidentAction::Acknowledge => acknowledge(client, settings, incident, actor, key, now).await,
        IncidentAction::Resolve => expire_acks(client, &incident.id).await,
        _ => Ok(()),
    }
}

async fn acknowledge(
    client: &Client,
    settings: &Settings,
    incident: &Incident,
    actor: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), CarryError> {
    let silences = client.silences().await.map_err(carry_error)?;
    let prefix = ack_prefix(&incident.id);
    let tag = key_tag(key);
    if silences.iter().any(|s| s.is_live() && s.comment.starts_with(&prefix) && s.comment.ends_with(&tag)) {
        return Ok(());
    }
    let Some((wanted, _)) = parse_id(&incident.id) else {
        return Err(CarryError::Refused(format!("{} is not an Alertmanager alert's incident", incident.id)));
    };
    let alerts = client.alerts().await.map_err(carry_error)?;
    let Some(alert) = alerts.alerts.iter().find(|a| fingerprint_key(&a.fingerprint) == wanted) else {
        // Alertmanager no longer holds the alert: nothing to silence.
        return Ok(());
    };
    let matchers: Vec<Matcher> = alert.labels.iter().map(|(name, value)| Matcher::equal(name, value)).collect();
    if matchers.is_empty() {
        return Err(CarryError::Refused(format!("{}: the alert has no labels to silence", incident.id)));
    }
    let silence = NewSilence {
        id: None,
        matchers,
        starts_at: now,
        ends_at: now + settings.ack_silence,
        created_by: sanitize(actor).into_owned(),
        comment: ack_comment(&incident.id, actor, key),
    };
    client.post_silence(&silence).await.map(|_| ()).map_err(carry_error)
}

/// Expires the live silences acknowledgements of `incident_id` made (none is fine).
async fn expire_acks(client: &Client, incident_id: &str) -> Result<(), CarryError> {
    let prefix = ack_prefix(incident_id);
    for silence in client.silences().await.map_err(carry_error)? {
        if silence.is_live() && silence.comment.starts_with(&prefix) {
            client.expire_silence(&silence.id).await.map_err(carry_error)?;
        }
    }
    Ok(())
}
