//! Alerts → incidents, from what opsdeck observes at each poll (Alertmanager keeps no history).
//!
//! - The id is `AM-` and the first 10 hex digits of the fingerprint (`AM-3f2a9c01be`); an alert
//!   that fires again after its incident was resolved gets a new incident, `AM-3f2a9c01be-2`,
//!   `-3`…, whose first timeline event names the one before.
//! - An episode of an alert is its `startsAt`: Alertmanager keeps it while the alert fires and a
//!   re-fire brings a new one, so a later `startsAt` on an open incident means it resolved and
//!   fired again between two polls. An incident resolved in opsdeck while the alert still fires
//!   stays resolved until the alert fires again; one this source resolved because the alert was
//!   gone (an Alertmanager restart forgets alerts until Prometheus sends them again) gets a new
//!   incident when the alert is back.
//! - Timeline: fired (the incident opened, paged by opsdeck's policy or held by a window),
//!   silenced (a `suppressed` event naming the silence and who made it), silence ended,
//!   resolved (the alert gone from Alertmanager or its `endsAt` past). Resolved incidents stay.
//! - For [`GRACE_AFTER_OUTAGE`] after Alertmanager was unreachable, an alert it no longer lists
//!   is not taken as resolved (a restarted Alertmanager lists none until Prometheus resends them).
//! - A service opsdeck does not know is added to its catalog with the configured policy.
//!
//! Each change is decided in [`Store::transact`] on the incident as stored then, and only what
//! changed is written: an idle poll writes nothing and the change feed stays quiet. Every outside
//! string is sanitised and cut to the field's limit before it is stored.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Settings;
use super::client::{Alert, Silence};
use crate::domain::incident::{MAX_TITLE_CHARS, TimelineEvent};
use crate::domain::maintenance::{MAX_SERVICE_ID_CHARS, suppression_for};
use crate::domain::text::{sanitize, truncate};
use crate::domain::{Entity, EntityKind, EventKind, Incident, IncidentStatus, NewIncident, Service};
use crate::server::store::{EntityTx, Store, StoreError, StoredResponse, TxInput, TxOutcome, TxResult};

/// Hex digits of the fingerprint in an incident id.
pub const ID_DIGITS: usize = 10;
/// What the text of a silenced event starts with.
pub const SILENCED: &str = "silenced in Alertmanager";
/// What the text of the event after a silence ends starts with.
pub const UNSILENCED: &str = "silence ended in Alertmanager";
/// After Alertmanager could not be reached, how long alerts it no longer lists are not taken
/// as resolved: a restarted Alertmanager has lost its alerts until Prometheus sends them again.
pub const GRACE_AFTER_OUTAGE: chrono::Duration = chrono::Duration::minutes(2);
/// More incidents than a source ever holds open.
const ALL: u32 = 1_000_000;

/// The part of a fingerprint an id carries: its first hex digits, lower case.
pub fn fingerprint_key(fingerprint: &str) -> String {
    fingerprint.chars().filter(|c| c.is_ascii_hexdigit()).take(ID_DIGITS).collect::<String>().to_ascii_lowercase()
}

/// The id of the `n`th incident (1 first) of the alert with fingerprint key `key`.
pub fn incident_id(key: &str, n: u32) -> String {
    if n <= 1 { format!("AM-{key}") } else { format!("AM-{key}-{n}") }
}

/// The fingerprint key and number of an incident id made by [`incident_id`].
pub fn parse_id(id: &str) -> Option<(&str, u32)> {
    let rest = id.strip_prefix("AM-")?;
    let (key, n) = match rest.split_once('-') {
        Some((key, n)) => (key, n.parse().ok().filter(|n| *n >= 2)?),
        None => (rest, 1),
    };
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_hexdigit())).then_some((key, n))
}

/// A label or annotation as opsdeck stores it: one line, no control characters, at most `max`.
fn clean(value: &str, max: usize) -> String {
    truncate(sanitize(value).trim(), max).into_owned()
}

/// The title of an alert's incident: `annotations.summary`, else `alertname`, else the key.
pub fn title(alert: &Alert) -> String {
    let text = alert
        .annotations
        .get("summary")
        .or_else(|| alert.labels.get("alertname"))
        .map(|t| clean(t, MAX_TITLE_CHARS))
        .filter(|t| !t.is_empty());
    text.unwrap_or_else(|| format!("alert {}", fingerprint_key(&alert.fingerprint)))
}

/// The service of an alert: the configured label's value, else the default service.
pub fn service(alert: &Alert, settings: &Settings) -> String {
    alert
        .labels
        .get(&settings.service_label)
        .map(|s| clean(s, MAX_SERVICE_ID_CHARS))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| settings.default_service.clone())
}

/// Whether the timeline says the alert is silenced now (the last silence event is a silenced one).
fn marked_silenced(incident: &Incident) -> bool {
    incident
        .timeline
        .iter()
        .rev()
        .find(|e| {
            (e.kind == EventKind::Suppressed && e.text.starts_with(SILENCED))
                || (e.kind == EventKind::Note && e.text.starts_with(UNSILENCED))
        })
        .is_some_and(|e| e.kind == EventKind::Suppressed)
}

fn push(incident: &mut Incident, at: DateTime<Utc>, kind: EventKind, actor: &str, text: String) {
    incident.timeline.push(TimelineEvent { at, kind, actor: actor.to_string(), text, starred: false });
}

/// Records on an open `incident` what changed about its (still firing) `alert`: silenced or no
/// longer silenced. Returns whether anything changed.
pub fn observe_alert(
    incident: &mut Incident,
    alert: &Alert,
    silences: &HashMap<String, Silence>,
    source: &str,
    now: DateTime<Utc>,
) -> bool {
    if !incident.is_open() {
        return false;
    }
    let silenced = !alert.status.silenced_by.is_empty();
    if silenced == marked_silenced(incident) {
        return false;
    }
    if silenced {
        let id = &alert.status.silenced_by[0];
        let (actor, text) = match silences.get(id) {
            Some(s) => {
                let by = clean(&s.created_by, 100);
                let comment = clean(&s.comment, 200);
                let text = format!(
                    "{SILENCED} by {by} until {} UTC (silence {}): {comment}",
                    s.ends_at.format("%Y-%m-%d %H:%M"),
                    clean(id, 8)
                );
                (if by.is_empty() { source.to_string() } else { by }, text)
            }
            None => (source.to_string(), format!("{SILENCED} (silence {})", clean(id, 8))),
        };
        push(incident, now, EventKind::Suppressed, &actor, text);
    } else {
        push(incident, now, EventKind::Note, source, format!("{UNSILENCED}: notifications go out again"));
    }
    incident.version += 1;
    incident.updated_at = now;
    true
}

/// Resolves an open `incident` as Alertmanager did at `at`; returns whether it did.
pub fn resolve(incident: &mut Incident, at: DateTime<Utc>, text: &str, source: &str, now: DateTime<Utc>) -> bool {
    if !incident.is_open() {
        return false;
    }
    let at = at.min(now);
    incident.status = IncidentStatus::Resolved;
    incident.resolved_at = Some(at);
    push(incident, at, EventKind::Resolved, source, text.to_string());
    incident.version += 1;
    incident.updated_at = now;
    true
}

/// Polls' memory of one source: which fingerprints have had incidents, and episodes already
/// decided on (resolved in opsdeck while still firing).
pub struct Poller {
    pub(super) settings: Arc<Settings>,
    pub(super) store: Arc<dyn Store>,
    /// Fingerprint key → the number of its latest incident.
    latest: HashMap<String, u32>,
    /// Fingerprint key → the `startsAt` of an episode that gets no incident (resolved in opsdeck).
    settled: HashMap<String, DateTime<Utc>>,
    /// The last poll failed: the next good one starts the grace of [`GRACE_AFTER_OUTAGE`].
    after_outage: bool,
    /// Until then alerts missing from Alertmanager are not resolved.
    quiet_until: Option<DateTime<Utc>>,
}

impl Poller {
    /// Reads which incidents this source made before (a restart keeps numbering re-fires).
    pub async fn new(settings: Arc<Settings>, store: Arc<dyn Store>) -> Result<Poller, StoreError> {
        let mut latest: HashMap<String, u32> = HashMap::new();
        for incident in store.incidents(false, ALL).await? {
            if incident.source.as_deref() != Some(settings.name.as_str()) {
                continue;
            }
            if let Some((key, n)) = parse_id(&incident.id) {
                let entry = latest.entry(key.to_string()).or_insert(n);
                *entry = (*entry).max(n);
            }
        }
        Ok(Poller { settings, store, latest, settled: HashMap::new(), after_outage: false, quiet_until: None })
    }

    /// A poll failed (Alertmanager unreachable or failing).
    pub fn failed(&mut self) {
        self.after_outage = true;
    }

    fn source(&self) -> &str {
        &self.settings.name
    }

    /// Brings the store's incidents in line with `alerts` as seen at `now`; returns how many
    /// incidents were written.
    pub async fn observe(
        &mut self,
        alerts: &[Alert],
        silences: &[Silence],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        if std::mem::take(&mut self.after_outage) {
            self.quiet_until = Some(now + GRACE_AFTER_OUTAGE);
        }
        let source = self.source().to_string();
        let silences: HashMap<String, Silence> = silences.iter().map(|s| (s.id.clone(), s.clone())).collect();
        let mut open: HashMap<String, Incident> = HashMap::new();
        for incident in self.store.incidents(true, ALL).await? {
            if incident.source.as_deref() == Some(source.as_str())
                && let Some((key, _)) = parse_id(&incident.id)
            {
                open.insert(key.to_string(), incident);
            }
        }
        let mut context = Creation::default();
        let mut written = 0;
        let mut seen: HashSet<String> = HashSet::new();
        for alert in alerts {
            let key = fingerprint_key(&alert.fingerprint);
            if key.is_empty() || !seen.insert(key.clone()) {
                continue;
            }
            let ended = alert.ends_at.filter(|end| *end <= now);
            let mut previous = None;
            if let Some(incident) = open.remove(&key) {
                if alert.starts_at > incident.triggered_at {
                    let text = "resolved in Alertmanager, then fired again".to_string();
                    written += self.update(&incident, move |i| resolve(i, now, &text, &source_of(i), now)).await?;
                    previous = Some(incident.id.clone());
                } else if let Some(end) = ended {
                    written += self
                        .update(&incident, move |i| resolve(i, end, "resolved in Alertmanager", &source_of(i), now))
                        .await?;
                    continue;
                } else {
                    let (alert, silences) = (alert.clone(), silences.clone());
                    let mut probe = incident.clone();
                    if observe_alert(&mut probe, &alert, &silences, &source, now) {
                        written += self
                            .update(&incident, move |i| observe_alert(i, &alert, &silences, &source_of(i), now))
                            .await?;
                    }
                    continue;
                }
            }
            if ended.is_some() || self.settled.get(&key) == Some(&alert.starts_at) {
                continue;
            }
            if previous.is_none()
                && let Some(n) = self.latest.get(&key).copied()
            {
                let id = incident_id(&key, n);
                if let Some(old) = self.store.incident(&id).await? {
                    // Resolved by a person in opsdeck while this episode still fires: no new
                    // incident for it. Resolved by this source (the alert was gone, e.g. an
                    // Alertmanager restart lost it until Prometheus sent it again): fired again.
                    let by_person = old
                        .timeline
                        .iter()
                        .rev()
                        .find(|e| e.kind == EventKind::Resolved)
                        .is_some_and(|e| e.actor != source);
                    if by_person && old.resolved_at.is_some_and(|at| alert.starts_at <= at) {
                        self.settled.insert(key.clone(), alert.starts_at);
                        continue;
                    }
                    previous = Some(id);
                }
            }
            written += self.create(alert, &key, previous, &silences, &mut context, now).await?;
        }
        if self.quiet_until.is_some_and(|until| now < until) {
            return Ok(written);
        }
        for incident in open.into_values() {
            written += self
                .update(&incident, move |i| resolve(i, now, "resolved: gone from Alertmanager", &source_of(i), now))
                .await?;
        }
        Ok(written)
    }

    /// Applies `change` to the incident as stored now; writes it when it changed something.
    async fn update<F>(&self, incident: &Incident, change: F) -> Result<usize, StoreError>
    where
        F: FnOnce(&mut Incident) -> bool + Send + 'static,
    {
        let decide = Box::new(move |input: TxInput| match input.current {
            Some(Entity::Incident(mut current)) => {
                if change(&mut current) {
                    let entity = Entity::Incident(current);
                    TxOutcome { response: StoredResponse::entity(200, &entity), write: Some(entity) }
                } else {
                    TxOutcome { response: StoredResponse::json(304, &()), write: None }
                }
            }
            _ => TxOutcome { response: StoredResponse::json(304, &()), write: None },
        });
        let tx = EntityTx { kind: EntityKind::Incident, id: Some(incident.id.clone()), idempotency: None, decide };
        Ok(usize::from(matches!(self.store.transact(tx).await?, TxResult::Fresh(StoredResponse { status: 200, .. }))))
    }

    /// Opens the incident of a firing `alert`; `previous` is the incident of its last episode.
    async fn create(
        &mut self,
        alert: &Alert,
        key: &str,
        previous: Option<String>,
        silences: &HashMap<String, Silence>,
        context: &mut Creation,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let service = service(alert, &self.settings);
        context.ensure_service(self.store.as_ref(), &self.settings, &service).await?;
        let policy = context.policy(self.store.as_ref(), &service).await?;
        let windows = context.windows(self.store.as_ref()).await?;
        let suppression = suppression_for(windows, &service, now);
        let label = |name: &str| alert.labels.get(name).map(|v| clean(v, 100));
        let priority = self.settings.priority(label(&self.settings.priority_label).as_deref());
        let new = NewIncident { title: title(alert), service_id: service, priority };
        let at = alert.starts_at.min(now);
        let what = label("alertname").unwrap_or_else(|| "an alert".to_string());
        let again = previous.map(|p| format!("; fired again after {p}")).unwrap_or_default();
        let first = self.latest.get(key).map_or(1, |n| n + 1);
        // An id another source holds (two Alertmanagers with the same alert) moves on to the next.
        for n in first..first + 5 {
            let id = incident_id(key, n);
            let mut incident = Incident::trigger_during(
                id.clone(),
                new.clone(),
                self.source(),
                at,
                policy.as_ref(),
                suppression.as_ref(),
            );
            incident.source = Some(self.source().to_string());
            if let Some(first) = incident.timeline.first_mut() {
                first.text = format!("{} fired in Alertmanager: {what}{again}", priority.label());
            }
            observe_alert(&mut incident, alert, silences, self.source(), now);
            incident.version = 1;
            incident.updated_at = now;
            let decide = Box::new(move |input: TxInput| match input.current {
                None => {
                    let entity = Entity::Incident(incident);
                    TxOutcome { response: StoredResponse::entity(201, &entity), write: Some(entity) }
                }
                Some(_) => TxOutcome { response: StoredResponse::json(409, &()), write: None },
            });
            let tx = EntityTx { kind: EntityKind::Incident, id: Some(id), idempotency: None, decide };
            let result = self.store.transact(tx).await?;
            self.latest.insert(key.to_string(), n);
            if matches!(result, TxResult::Fresh(StoredResponse { status: 201, .. })) {
                return Ok(1);
            }
        }
        Ok(0)
    }
}

/// The source an incident records (the resolving actor).
fn source_of(incident: &Incident) -> String {
    incident.source.clone().unwrap_or_else(|| super::KIND.to_string())
}

/// What creating incidents in one poll reads once: the catalog, policies, windows.
#[derive(Default)]
struct Creation {
    services: Option<HashSet<String>>,
    policies: BTreeMap<String, Option<crate::domain::EscalationPolicy>>,
    windows: Option<Vec<crate::domain::MaintenanceWindow>>,
}

impl Creation {
    async fn ensure_service(&mut self, store: &dyn Store, settings: &Settings, id: &str) -> Result<(), StoreError> {
        if self.services.is_none() {
            self.services = Some(store.services().await?.into_iter().map(|s| s.id).collect());
        }
        let known = self.services.get_or_insert_with(HashSet::new);
        if known.contains(id) {
            return Ok(());
        }
        let policies = store.policies().await?;
        let policy = settings
            .default_policy
            .clone()
            .filter(|p| policies.iter().any(|known| &known.id == p))
            .or_else(|| policies.iter().map(|p| p.id.clone()).min())
            .unwrap_or_default();
        let service = Service {
            id: id.to_string(),
            name: id.to_string(),
            description: format!("added by source {} from its alerts", settings.name),
            escalation_policy_id: policy,
        };
        store.put_service(&service).await?;
        known.insert(id.to_string());
        Ok(())
    }

    async fn policy(
        &mut self,
        store: &dyn Store,
        service: &str,
    ) -> Result<Option<crate::domain::EscalationPolicy>, StoreError> {
        if let Some(policy) = self.policies.get(service) {
            return Ok(policy.clone());
        }
        let policy = store.service_policy(service).await?;
        self.policies.insert(service.to_string(), policy.clone());
        Ok(policy)
    }

    async fn windows(&mut self, store: &dyn Store) -> Result<&[crate::domain::MaintenanceWindow], StoreError> {
        if self.windows.is_none() {
            self.windows = Some(store.maintenance_windows(false).await?);
        }
        Ok(self.windows.as_deref().unwrap_or_default())
    }
}
