//! Deterministic data for tests, snapshots and benchmarks: the simulator's seeded world as a
//! cache snapshot, and bulk incidents for load figures.

use chrono::{DateTime, Utc};

use crate::api::{Me, Role};
use crate::cache::{CacheSnapshot, SyncMeta};
use crate::domain::{ActionContext, Incident, IncidentAction, NewIncident, Priority};
use crate::server::catalog;
use crate::server::simulator::{Pace, Simulator};
use crate::state::Session;

/// The session of `erin`, a responder: in the demo, or against `ops.example.com`.
pub fn session(demo: bool) -> Session {
    Session {
        backend_label: if demo { "DEMO" } else { "ops.example.com" }.into(),
        demo,
        read_only_flag: false,
        me: Some(Me { name: "erin".into(), role: Role::Responder }),
        run_id: "fixture".into(),
    }
}

/// The demo world the simulator starts from with `seed`, ids `INC-1001` onwards.
pub fn seeded_incidents(seed: u64, now: DateTime<Utc>) -> Vec<Incident> {
    let mut sim = Simulator::new(seed, Pace::demo(), now);
    let mut incidents = sim.seed_history(now);
    for (i, incident) in incidents.iter_mut().enumerate() {
        incident.id = format!("INC-{}", 1001 + i);
    }
    incidents
}

/// A cache snapshot holding the seeded world and the default catalog, as after a sync.
pub fn seeded_snapshot(seed: u64, now: DateTime<Utc>) -> CacheSnapshot {
    let incidents = seeded_incidents(seed, now);
    CacheSnapshot {
        total: incidents.len(),
        incidents,
        services: catalog::services(),
        policies: catalog::policies(),
        outbox: Vec::new(),
        rejected: Vec::new(),
        sync: SyncMeta { cursor: Some("100".into()), epoch: Some("fixture".into()), last_ok: Some(now) },
    }
}

/// `n` incidents with a realistic mix: mostly resolved history, some open at every priority
/// and state, each with a timeline of four to six events.
pub fn many_incidents(n: usize, now: DateTime<Utc>) -> Vec<Incident> {
    let services = catalog::services();
    let policies = catalog::policies();
    (0..n)
        .map(|i| {
            let service = &services[i % services.len()];
            let policy = policies.iter().find(|p| p.id == service.escalation_policy_id);
            let priority = Priority::ALL[(i * 7 + i / 3) % 4];
            let start = now - chrono::Duration::minutes((n - i) as i64 * 3);
            let new = NewIncident {
                title: format!("{} anomaly #{i}: p95 latency over SLO in region {}", service.name, i % 5),
                service_id: service.id.clone(),
                priority,
            };
            let mut incident = Incident::trigger(format!("INC-{}", 100_000 + i), new, "alertmanager", start, policy);
            let ctx = |min: i64| ActionContext { actor: "dana", now: start + chrono::Duration::minutes(min), policy };
            let _ = incident.apply(&IncidentAction::Acknowledge, ctx(2));
            let _ = incident.apply(&IncidentAction::Note { text: "mitigation in progress".into() }, ctx(5));
            // The newest 2 % stay open.
            if i < n - n / 50 {
                let _ = incident.apply(&IncidentAction::Resolve, ctx(9));
            }
            incident
        })
        .collect()
}
