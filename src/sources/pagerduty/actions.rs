//! The console's actions on a PagerDuty incident carried to PagerDuty.
//!
//! PagerDuty has no version and no idempotency key, so each action first reads the incident
//! (`GET /incidents/{id}`) and compares it with the incident as opsdeck stored it:
//! - acknowledged or resolved there since (by anyone but this source's `from` user) is
//!   refused, "acknowledged by Ana Lee 40 s ago" (a 409), never a silent re-acknowledgement that
//!   would reset PagerDuty's timers or take someone's ack;
//! - already in the wanted state by the `from` user is an earlier attempt whose answer was lost:
//!   done, nothing sent again.
//!
//! Acknowledge and resolve are `PUT /incidents/{id}` with `status`; escalate sets
//! `escalation_level` to the level after the incident's tier (`level_tier` read backwards), which
//! is absolute, so a resend cannot escalate twice; reassign looks the name up (`GET /users?query=`, see
//! [`assignee`]) and sets `assignments` to that user alone. A note is `POST
//! /incidents/{id}/notes` with the text and who wrote it in opsdeck; before sending it again
//! under a key already tried (the answer was lost, or the request failed without one), the
//! incident's notes are searched for it. Stars are opsdeck's own.
//!
//! PagerDuty unreachable, failing or rate limited is [`CarryError::Unavailable`] with the
//! budget's wait as `retry_after`: the console keeps the action and sends it again in order.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::Settings;
use super::budget::Class;
use super::client::{self, CallError, Client};
use super::map::{clean, parse_id};
use crate::domain::duration::ago;
use crate::domain::{Incident, IncidentAction, IncidentStatus};
use crate::server::sources::{CarryError, Support};

/// Keys tried and not known to be done, remembered this long.
const TRIED_FOR: chrono::Duration = chrono::Duration::hours(24);

pub fn support(action: &IncidentAction, can_write: bool) -> Support {
    match action {
        IncidentAction::Star { .. } => {
            Support::OpsdeckOnly("PagerDuty has no starred events; starred in opsdeck only".into())
        }
        _ if !can_write => Support::Refused(
            "this PagerDuty source has no `from` email configured, so it cannot write to PagerDuty".into(),
        ),
        _ => Support::Carried,
    }
}

/// The idempotency keys this source sent without a known outcome.
#[derive(Debug, Default)]
pub struct Tried(Mutex<HashMap<String, DateTime<Utc>>>);

impl Tried {
    fn seen(&self, key: &str, now: DateTime<Utc>) -> bool {
        let mut tried = self.0.lock().unwrap_or_else(|p| p.into_inner());
        tried.retain(|_, at| now - *at < TRIED_FOR);
        tried.contains_key(key)
    }

    fn mark(&self, key: &str, now: DateTime<Utc>) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string(), now);
    }

    fn done(&self, key: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

pub fn carry_error(error: CallError) -> CarryError {
    match error {
        CallError::Unavailable { message, retry_after } => {
            CarryError::Unavailable { message, retry_after_secs: retry_after.as_secs_f64().ceil().max(1.0) as u64 }
        }
        CallError::Refused { message, .. } => CarryError::Refused(message),
    }
}

/// The text a note from `actor` carries in PagerDuty.
pub fn note_content(text: &str, actor: &str) -> String {
    format!("{} — {} (opsdeck)", text.trim(), clean(actor, 100))
}

/// Who acknowledged `pd` last and when.
fn acknowledger(pd: &client::Incident) -> (Option<&client::Reference>, Option<DateTime<Utc>>) {
    match pd.acknowledgements.last() {
        Some(ack) => (Some(&ack.acknowledger), ack.at.or(pd.last_status_change_at)),
        None => (pd.last_status_change_by.as_ref(), pd.last_status_change_at),
    }
}

/// "acknowledged by Ana Lee 40 s ago".
fn by_whom(what: &str, who: Option<&client::Reference>, at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let who = who.map(|w| clean(w.label(), 100)).unwrap_or_else(|| "someone".into());
    match at {
        Some(at) => format!("{what} by {who} {}", ago(now, at)),
        None => format!("{what} by {who}"),
    }
}

/// What PagerDuty shows now that `stored` did not, if someone other than `me` did it.
fn changed_since(stored: &Incident, pd: &client::Incident, me: &str, now: DateTime<Utc>) -> Option<String> {
    match pd.status.as_str() {
        "resolved" if stored.status != IncidentStatus::Resolved => {
            let who = pd.last_status_change_by.as_ref();
            (who.is_none_or(|w| w.id != me))
                .then(|| by_whom("resolved", who, pd.resolved_at.or(pd.last_status_change_at), now))
        }
        "acknowledged" if stored.status == IncidentStatus::Triggered => {
            let (who, at) = acknowledger(pd);
            (who.is_none_or(|w| w.id != me)).then(|| by_whom("acknowledged", who, at, now))
        }
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn carry(
    client: &Client,
    settings: &Settings,
    tried: &Tried,
    incident: &Incident,
    action: &IncidentAction,
    actor: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), CarryError> {
    let Some(id) = parse_id(&incident.id) else {
        return Err(CarryError::Refused(format!("{} is not a PagerDuty incident", incident.id)));
    };
    if matches!(action, IncidentAction::Star { .. }) {
        return Ok(());
    }
    let me = client.me().await.map_err(carry_error)?.id.clone();
    let pd = client.incident(id, Class::Action).await.map_err(carry_error)?;
    if let Some(change) = changed_since(incident, &pd, &me, now) {
        return Err(CarryError::Refused(change));
    }
    let change = match action {
        IncidentAction::Acknowledge => {
            if pd.status != "triggered" {
                return Ok(()); // acknowledged (or resolved) by this source already: a lost answer.
            }
            serde_json::json!({ "status": "acknowledged" })
        }
        IncidentAction::Resolve => {
            if pd.status == "resolved" {
                return Ok(());
            }
            serde_json::json!({ "status": "resolved" })
        }
        IncidentAction::Escalate => {
            if pd.status == "resolved" {
                return Err(CarryError::Refused("resolved in PagerDuty: nothing to escalate".into()));
            }
            serde_json::json!({ "escalation_level": settings.level(incident.tier) + 1 })
        }
        IncidentAction::Reassign { to } => {
            if pd.status == "resolved" {
                return Err(CarryError::Refused("resolved in PagerDuty: nothing to reassign".into()));
            }
            let user = assignee(client, to).await?;
            if let [only] = pd.assignments.as_slice()
                && only.assignee.id == user.id
            {
                return Ok(()); // assigned to them already: an earlier attempt whose answer was lost.
            }
            assignments(&user.id)
        }
        IncidentAction::Note { text } => {
            return note(client, tried, id, &me, &note_content(text, actor), key, now).await;
        }
        IncidentAction::Star { .. } => return Ok(()),
    };
    send(tried, key, now, client.update_incident(id, change).await.map(|_| ()))
}

/// Records the outcome of a write under `key`: a failure without an answer marks it tried.
fn send(tried: &Tried, key: &str, now: DateTime<Utc>, result: Result<(), CallError>) -> Result<(), CarryError> {
    match result {
        Ok(()) => {
            tried.done(key);
            Ok(())
        }
        Err(error) => {
            if matches!(error, CallError::Unavailable { .. }) {
                tried.mark(key, now);
            }
            Err(carry_error(error))
        }
    }
}

async fn note(
    client: &Client,
    tried: &Tried,
    id: &str,
    me: &str,
    content: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), CarryError> {
    if tried.seen(key, now) {
        let notes = client.notes(id, Class::Action).await.map_err(carry_error)?;
        if notes.iter().any(|n| n.content == content && n.user.as_ref().is_none_or(|u| u.id == me)) {
            tried.done(key);
            return Ok(());
        }
    }
    tried.mark(key, now);
    send(tried, key, now, client.add_note(id, content).await.map(|_| ()))
}

/// The `assignments` change that hands an incident to the user `user_id` alone.
fn assignments(user_id: &str) -> serde_json::Value {
    serde_json::json!({
        "assignments": [{ "assignee": { "id": user_id, "type": "user_reference" } }]
    })
}

/// The PagerDuty user an opsdeck name stands for, found by `GET /users?query=`: the one whose
/// name or email is `name`, else whose email starts `name@`, else the only user the query found.
/// None or several is a refusal naming them.
async fn assignee(client: &Client, name: &str) -> Result<client::User, CarryError> {
    let name = name.trim();
    let users = client.users(name).await.map_err(carry_error)?;
    let is = |field: Option<&str>| field.is_some_and(|f| f.trim().eq_ignore_ascii_case(name));
    let local = |u: &client::User| {
        u.email.as_deref().and_then(|e| e.split_once('@')).is_some_and(|(local, _)| local.eq_ignore_ascii_case(name))
    };
    let exact: Vec<&client::User> = users.iter().filter(|u| is(u.name.as_deref()) || is(u.email.as_deref())).collect();
    let by_local: Vec<&client::User> = users.iter().filter(|u| local(u)).collect();
    let all: Vec<&client::User> = users.iter().collect();
    let label = |u: &client::User| clean(u.name.as_deref().or(u.email.as_deref()).unwrap_or(&u.id), 100);
    for found in [exact, by_local, all] {
        match found.as_slice() {
            [] => continue,
            [one] => return Ok((*one).clone()),
            several => {
                let names: Vec<String> = several.iter().take(4).map(|u| label(u)).collect();
                return Err(CarryError::Refused(format!(
                    "{} PagerDuty users match `{}` ({}); name one exactly",
                    several.len(),
                    clean(name, 100),
                    names.join(", ")
                )));
            }
        }
    }
    Err(CarryError::Refused(format!("PagerDuty has no user matching `{}`", clean(name, 100))))
}
