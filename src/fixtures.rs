//! Deterministic data for tests, snapshots and benchmarks: the simulator's seeded world as a
//! cache snapshot, and bulk incidents for load figures.

use chrono::{DateTime, Utc};

use crate::api::{Me, Role};
use crate::cache::{CacheSnapshot, MonitoringRows, SyncMeta};
use crate::console::state::Session;
use crate::domain::catalog;
use crate::domain::{
    ActionContext, Incident, IncidentAction, NewIncident, NewTicket, Priority, Ticket, TicketAction, Tier,
};
use crate::sources::simulator::{Pace, Simulator};

/// The session of `erin`, a responder: in the demo, or against `ops.example.com`.
pub fn session(demo: bool) -> Session {
    Session {
        backend_label: if demo { "DEMO" } else { "ops.example.com" }.into(),
        demo,
        read_only_flag: false,
        me: Some(Me { name: "erin".into(), role: Role::Responder }),
        run_id: "fixture".into(),
        author: "demo:erin".into(),
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
        monitoring: seeded_monitoring(seed, now, &incidents),
        maintenance: seeded_maintenance(now),
        postmortems: Vec::new(),
        drafts: Vec::new(),
        note_drafts: Vec::new(),
        total: incidents.len(),
        incidents,
        tickets: seeded_tickets(now),
        tickets_total: 0,
        counts_pending: false,
        services: catalog::services(),
        policies: catalog::policies(),
        outbox: Vec::new(),
        rejected: Vec::new(),
        sync: SyncMeta { cursor: Some("100".into()), epoch: Some("fixture".into()), last_ok: Some(now) },
    }
}

/// The simulator's two models with 72 hours of hourly windows and quality points up to `now`.
pub fn seeded_monitoring(seed: u64, now: DateTime<Utc>, incidents: &[Incident]) -> MonitoringRows {
    let world = crate::sources::simulator::drift::demo_monitoring(seed, now, 72, incidents);
    MonitoringRows { models: world.models, windows: world.windows, quality: world.quality }
}

/// The simulator's maintenance calendar as planned at `now`, ids `MW-3001` onwards: a monthly
/// routine window, a quarterly DR drill, a weekly retrain, the year-end freeze and an emergency
/// patch running at `now`.
pub fn seeded_maintenance(now: DateTime<Utc>) -> Vec<crate::domain::maintenance::MaintenanceWindow> {
    let services: Vec<String> = catalog::services().into_iter().map(|s| s.id).collect();
    crate::sources::simulator::maintenance::demo_windows(now, &services)
        .into_iter()
        .enumerate()
        .map(|(i, new)| {
            crate::domain::maintenance::MaintenanceWindow::create(format!("MW-{}", 3001 + i), new, "simulator", now)
        })
        .collect()
}

/// One complete sync round from the `epoch` database bringing `changes`; `reset` says the
/// database was replaced (the console starts over from empty).
pub fn synced(
    at: DateTime<Utc>,
    epoch: &str,
    reset: bool,
    changes: Vec<crate::api::Change>,
) -> crate::console::event::Event {
    crate::console::event::Event::Synced(Box::new(crate::console::event::SyncReport {
        at,
        epoch: epoch.into(),
        reset,
        from_empty: reset,
        more: false,
        recovered: false,
        changes,
        skipped: Vec::new(),
        unknown_kinds: Vec::new(),
        progress: None,
    }))
}

/// A support desk's queue at `now`, covering every clock state: responses running into the
/// warning and critical bands and past their target, a paused (pending) ticket, business-hours
/// clocks started the day before, resolved and closed tickets.
pub fn seeded_tickets(now: DateTime<Utc>) -> Vec<Ticket> {
    use TicketAction::{Escalate, Pending, Resolve, Respond, Take};
    /// Minutes after opening, who, what.
    type Step = (i64, &'static str, TicketAction);
    /// Key number, priority, subject, customer, service, linked incident, age in minutes, steps.
    type Desk = (u32, Priority, &'static str, &'static str, &'static str, Option<&'static str>, i64, &'static [Step]);
    #[rustfmt::skip]
    let desk: [Desk; 10] = [
        (2041, Priority::P1, "Assistant answers in the wrong language for all German users", "Contoso Retail", "support-assistant", None, 14, &[(2, "dana", Take)]),
        (2042, Priority::P1, "Chat widget says 'model overloaded' on every message", "Northwind Travel", "llm-gateway", Some("INC-1001"), 3, &[]),
        (2038, Priority::P2, "Summaries of scanned invoices leave out the totals", "Fabrikam Finance", "doc-processor", None, 70, &[(5, "lee", Take), (20, "lee", Respond)]),
        (2035, Priority::P2, "Safety filter let through steps to bypass account verification", "Tailspin Bank", "safety-filter", None, 65, &[(10, "sam", Escalate), (11, "sam", Escalate)]),
        (2030, Priority::P3, "Assistant cites a refund policy that does not exist", "Alpine Ski House", "support-assistant", None, 18 * 60, &[]),
        (2027, Priority::P3, "Answers quote last year's price list", "Wide World Importers", "rag-retrieval", None, 46 * 60, &[(30, "omar", Take), (45, "omar", Respond), (20 * 60, "omar", Pending)]),
        (2024, Priority::P4, "How do we raise our monthly token limit?", "Litware", "llm-gateway", None, 3 * 24 * 60, &[(60, "mei", Respond)]),
        (2020, Priority::P4, "Invoice counts tokens twice for retried requests", "Proseware", "billing-meter", None, 26 * 60, &[(40, "priya", Take)]),
        (2019, Priority::P3, "Embedding search returns nothing for accented names", "Adventure Works", "embedding-service", None, 5 * 60, &[(15, "lee", Take), (30, "lee", Respond), (4 * 60, "lee", Resolve)]),
        (2015, Priority::P2, "OCR times out on 40-page contracts", "Fabrikam Finance", "doc-processor", None, 9 * 60, &[(10, "dana", Respond), (3 * 60, "dana", Resolve)]),
    ];
    desk.into_iter()
        .map(|(n, priority, subject, customer, service, linked, age_min, steps)| {
            let opened = now - chrono::Duration::minutes(age_min);
            let new = NewTicket {
                subject: subject.into(),
                customer: customer.into(),
                service_id: service.into(),
                priority,
                tier: Tier::T1,
                linked_incident: linked.map(str::to_string),
                description: Some(customer_message(n).to_string()),
            };
            let mut ticket = Ticket::open(format!("SUP-{n}"), new, "portal", opened);
            for (after, actor, action) in steps {
                let _ = ticket.apply(action, actor, opened + chrono::Duration::minutes(*after));
            }
            ticket
        })
        .collect()
}

/// What the customer of fixture ticket `SUP-n` wrote.
fn customer_message(n: u32) -> &'static str {
    match n {
        2041 => {
            "Since this morning every answer to our German users comes back in English, even when they write in German. Our Austrian and Swiss shops are affected too."
        }
        2042 => {
            "Our chat widget answers every message with 'model overloaded, try again later'. It started a few minutes ago and our customers cannot reach support at all."
        }
        2038 => {
            "The summaries of scanned invoices list every line item but leave out the totals. Typed invoices are fine. Three examples attached."
        }
        2035 => {
            "A user got the assistant to explain step by step how to get past our account verification. Transcript attached; please block this."
        }
        2030 => {
            "The assistant tells customers they can get a refund within 60 days with no receipt. We have no such policy."
        }
        2027 => "Answers still quote last year's price list although we uploaded the new one last week.",
        2024 => "How do we raise our monthly token limit? We hit it twice this month.",
        2020 => {
            "When a request is retried after a timeout, the invoice counts its tokens twice. Usage export attached."
        }
        2019 => "Searching for names with accents (Zoë, Müller) returns nothing; without the accent it works.",
        _ => "OCR times out on contracts of 40 pages or more; shorter ones go through.",
    }
}

/// `n` open tickets opened over the last two weeks, every priority, some pending and some
/// responded: load for the SLA benchmarks.
pub fn many_tickets(n: usize, now: DateTime<Utc>) -> Vec<Ticket> {
    let services = catalog::services();
    (0..n)
        .map(|i| {
            let priority = Priority::ALL[(i * 5 + i / 7) % 4];
            // Every step below is in the past, as in real data.
            let opened = now - chrono::Duration::minutes(120 + ((i * 37) % (14 * 24 * 60)) as i64);
            let new = NewTicket {
                subject: format!("Customer report #{i}: answers cite a policy that does not exist"),
                customer: format!("Customer {}", i % 97),
                service_id: services[i % services.len()].id.clone(),
                priority,
                tier: Tier::ALL[i % 3],
                linked_incident: None,
                description: Some(format!("Report #{i} from the portal: the assistant cited a policy we do not have.")),
            };
            let mut ticket = Ticket::open(format!("SUP-{}", 10_000 + i), new, "portal", opened);
            let at = |min: i64| opened + chrono::Duration::minutes(min);
            if i % 2 == 0 {
                let _ = ticket.apply(&TicketAction::Take, "dana", at(5));
                let _ = ticket.apply(&TicketAction::Respond, "dana", at(20));
            }
            if i % 5 == 0 {
                let _ = ticket.apply(&TicketAction::Pending, "dana", at(30));
                if i % 10 == 0 {
                    let _ = ticket.apply(&TicketAction::Resume, "dana", at(90));
                }
            }
            ticket
        })
        .collect()
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
