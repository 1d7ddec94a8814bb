//! The demo simulator: realistic GenAI incidents, triggered and worked by simulated responders,
//! and customer tickets worked by a simulated support desk ([`tickets`]), on the default catalog.
//!
//! The core is pure and deterministic: [`Simulator::step`] looks at the open incidents and
//! tickets and the time and returns operations; the same seed and the same sequence of inputs
//! give the same operations. Each incident gets a plan when first seen (who acknowledges at which
//! tier, after how long, which notes follow, when it resolves), drawn from the seeded generator,
//! so the demo has variety without wall-clock randomness. The async [`runner`] applies the
//! operations to a store, each action decided by the same domain rule as the API's
//! ([`crate::domain::decide`]); [`feed`] hands it to a server.
//!
//! - this file: [`Simulator`], [`Pace`], [`SimOp`]: the incidents' plans and the step.
//! - [`tickets`]: the support desk (its seeded history in `tickets/seed.rs`).
//! - [`drift`]: the monitored models, their drifting feature windows and quality series.
//! - [`maintenance`]: the demo maintenance calendar.
//! - [`postmortems`]: the demo postmortems about the seeded incidents.
//! - [`runner`]: seeding a store and stepping against it, a client of [`Store`](crate::server::store::Store) only.
//! - `world.rs` (tests): an in-memory world that applies operations as the store would.

pub mod drift;
pub mod maintenance;
pub mod postmortems;
pub mod runner;
pub mod tickets;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::catalog;
use crate::domain::{
    ActionContext, EscalationPolicy, EventKind, Incident, IncidentAction, IncidentStatus, NewIncident, NewTicket,
    Priority, Service, Ticket, TicketAction, Tier,
};
use crate::server::sources::Source;
use tickets::TicketSim;

/// The simulator as a source of a server's store (`opsdeck serve --simulate`, the demo), named
/// `simulator`: seeds the demo world into it, then works it at `pace`.
pub fn feed(seed: u64, pace: Pace) -> Box<dyn Source> {
    named("simulator", seed, pace)
}

/// The simulator under a configured name (`kind = "simulator"` in `[[sources]]`).
pub fn named(name: &str, seed: u64, pace: Pace) -> Box<dyn Source> {
    Box::new(runner::Runner { name: name.to_string(), seed, pace })
}

/// How fast the simulated world moves. Times are in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// How often the runner calls `step`.
    pub step_secs: u64,
    /// New incidents arrive this far apart (uniform range) while few are open.
    pub trigger_gap: (i64, i64),
    /// No new incidents while this many are open.
    pub max_open: usize,
    /// Seconds before a tier's responder acknowledges.
    pub ack_delay: (i64, i64),
    /// Seconds without acknowledgement before the incident escalates by timeout.
    pub escalate_timeout: (i64, i64),
    /// Seconds between a responder's notes.
    pub note_gap: (i64, i64),
    /// Seconds from acknowledgement to resolution.
    pub resolve_after: (i64, i64),
    /// At most this many operations per step, incidents and tickets together, so the screen is
    /// never flooded.
    pub max_ops_per_step: usize,
    /// New tickets arrive this far apart (uniform range).
    pub ticket_gap: (i64, i64),
    /// No new tickets while this many are open.
    pub max_open_tickets: usize,
    /// Seconds before a support engineer takes a new or escalated ticket (unless it slips).
    pub take_delay: (i64, i64),
    /// Seconds of work between a ticket's steps (first response, pending, escalation).
    pub ticket_work: (i64, i64),
    /// Seconds a ticket waits on the customer before they answer.
    pub pending_for: (i64, i64),
    /// Seconds from a ticket's last step to its resolution.
    pub ticket_resolve_after: (i64, i64),
    /// Seconds from resolution until the desk closes a ticket.
    pub close_after: (i64, i64),
}

impl Pace {
    /// Lively enough to watch: something happens every few seconds.
    pub fn demo() -> Pace {
        Pace {
            step_secs: 1,
            trigger_gap: (20, 50),
            max_open: 8,
            ack_delay: (8, 40),
            escalate_timeout: (45, 75),
            note_gap: (20, 60),
            resolve_after: (90, 300),
            max_ops_per_step: 2,
            ticket_gap: (25, 60),
            max_open_tickets: 40,
            take_delay: (20, 150),
            ticket_work: (20, 90),
            pending_for: (45, 240),
            ticket_resolve_after: (60, 360),
            close_after: (180, 480),
        }
    }
}

/// One thing the simulator does.
#[derive(Debug, Clone, PartialEq)]
pub enum SimOp {
    Trigger(NewIncident),
    Act {
        incident_id: String,
        action: IncidentAction,
        actor: String,
    },
    /// A customer opens a ticket through `source` (portal, email, chat).
    OpenTicket {
        new: NewTicket,
        source: String,
    },
    TicketAct {
        key: String,
        action: TicketAction,
        actor: String,
    },
    /// The desk closes a resolved ticket after a quiet period.
    CloseTicket {
        key: String,
    },
}

/// The actor name of escalations by timeout.
pub const TIMEOUT_ACTOR: &str = "auto-escalation";

struct Scenario {
    service: &'static str,
    priorities: &'static [Priority],
    titles: &'static [&'static str],
    notes: &'static [&'static str],
    /// Set when the scenario usually needs AI/ML specialists (T3).
    needs_experts: bool,
}

const REGIONS: &[&str] = &["eu-west-1", "us-east-1", "ap-southeast-2"];

/// The GenAI failure modes the demo cycles through. `{n}`, `{pct}`, `{secs}` and `{region}` are
/// filled from the seeded generator.
const SCENARIOS: &[Scenario] = &[
    Scenario {
        service: "llm-gateway",
        priorities: &[Priority::P1, Priority::P2],
        titles: &["p95 latency {secs}s over the 1.5s SLO on llm-gateway ({region})"],
        notes: &[
            "Provider latency up in {region}; shifting 50% of traffic to the secondary region",
            "Scaled gateway replicas 6 → 12; queue depth falling",
            "p95 back under 1.2s for 10 minutes",
        ],
        needs_experts: false,
    },
    Scenario {
        service: "support-assistant",
        priorities: &[Priority::P2],
        titles: &["Hallucination rate {pct}% above the 5% threshold on support-assistant"],
        notes: &[
            "Grounding check failing mostly on billing answers",
            "Rolled back prompt template v{n} to v{n}-1",
            "Eval set hallucination rate back to 3.1%",
        ],
        needs_experts: true,
    },
    Scenario {
        service: "safety-filter",
        priorities: &[Priority::P1],
        titles: &["Safety filter bypass: jailbreak prompts passing moderation ({n} in the last hour)"],
        notes: &[
            "Blocked the prompt pattern at the gateway as a stopgap",
            "Trust & safety notified; samples preserved for review",
            "Moderation model threshold lowered from 0.82 to 0.70",
        ],
        needs_experts: true,
    },
    Scenario {
        service: "llm-gateway",
        priorities: &[Priority::P1, Priority::P2],
        titles: &["External LLM API outage: {pct}% of provider calls return 429 Too Many Requests"],
        notes: &[
            "Provider status page confirms degraded capacity in {region}",
            "Failing over to the secondary model for chat traffic",
            "Retry backoff raised from 2s to 8s to stay under the rate limit",
        ],
        needs_experts: false,
    },
    Scenario {
        service: "support-assistant",
        priorities: &[Priority::P2, Priority::P3],
        titles: &["Intent misclassification spike: {pct}% of billing questions routed to technical"],
        notes: &[
            "Spike started with classifier deploy {n}",
            "Pinned the intent classifier to the previous version",
            "Misroutes back to baseline (2%)",
        ],
        needs_experts: true,
    },
    Scenario {
        service: "doc-processor",
        priorities: &[Priority::P3],
        titles: &["Token cost anomaly: tokens per request +{pct}% on doc-processor"],
        notes: &[
            "Runaway summarisation loop in batch job #{n}",
            "Capped max_tokens at 2k for batch summaries",
            "Cost per 1k requests back to the weekly average",
        ],
        needs_experts: false,
    },
    Scenario {
        service: "rag-retrieval",
        priorities: &[Priority::P2, Priority::P3],
        titles: &["Retrieval index stale: last refresh {n}h ago on rag-retrieval"],
        notes: &[
            "Index refresh job stuck on embedding-service quota",
            "Manual reindex started; ETA 25 minutes",
            "Freshness check green again",
        ],
        needs_experts: false,
    },
    Scenario {
        service: "doc-processor",
        priorities: &[Priority::P3, Priority::P4],
        titles: &["Timeouts: {pct}% of OCR requests exceed 30s on doc-processor"],
        notes: &["Large scanned PDFs from one customer saturating workers", "Added a page limit per request"],
        needs_experts: false,
    },
    Scenario {
        service: "embedding-service",
        priorities: &[Priority::P4],
        titles: &["Embedding norm drift after model v{n} deploy on embedding-service"],
        notes: &["Drift confined to non-English queries", "Reference window refreshed after review"],
        needs_experts: true,
    },
];

/// What the simulated responders will do with one incident.
#[derive(Debug, Clone, PartialEq)]
struct Plan {
    scenario: usize,
    fills: Fills,
    /// The tier whose responder acknowledges; tiers below it let the page time out.
    ack_tier: Tier,
    ack_delay: i64,
    escalate_timeout: i64,
    /// After acknowledging, the responder pulls in the next tier (experts for model issues).
    escalate_after_ack: bool,
    note_gap: i64,
    notes: usize,
    resolve_after: i64,
}

#[derive(Debug, Clone, PartialEq)]
struct Fills {
    n: u32,
    pct: u32,
    secs: String,
    region: &'static str,
}

impl Fills {
    fn apply(&self, template: &str) -> String {
        template
            .replace("{n}", &self.n.to_string())
            .replace("{pct}", &self.pct.to_string())
            .replace("{secs}", &self.secs)
            .replace("{region}", self.region)
    }
}

pub struct Simulator {
    rng: ChaCha8Rng,
    pace: Pace,
    started: DateTime<Utc>,
    next_trigger: DateTime<Utc>,
    plans: BTreeMap<String, Plan>,
    /// Plans drawn for triggers not yet given an id, matched by title.
    queued: Vec<(String, Plan)>,
    policies: Vec<EscalationPolicy>,
    services: Vec<Service>,
    tickets: TicketSim,
}

impl Simulator {
    pub fn new(seed: u64, pace: Pace, now: DateTime<Utc>) -> Simulator {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let first = rng.random_range(3..=8);
        Simulator {
            rng,
            pace,
            started: now,
            next_trigger: now + chrono::Duration::seconds(first),
            plans: BTreeMap::new(),
            queued: Vec::new(),
            policies: catalog::policies(),
            services: catalog::services(),
            tickets: TicketSim::new(seed, pace, now),
        }
    }

    fn range(&mut self, (lo, hi): (i64, i64)) -> i64 {
        self.rng.random_range(lo..=hi.max(lo))
    }

    fn draw_plan(&mut self, scenario: usize) -> Plan {
        let fills = Fills {
            n: self.rng.random_range(2..=48),
            pct: self.rng.random_range(6..=42),
            secs: format!("{:.1}", self.rng.random_range(18..=62) as f64 / 10.0),
            region: REGIONS[self.rng.random_range(0..REGIONS.len())],
        };
        let roll: f64 = self.rng.random();
        let ack_tier = if roll < 0.7 {
            Tier::T1
        } else if roll < 0.9 {
            Tier::T2
        } else {
            Tier::T3
        };
        let experts = SCENARIOS[scenario].needs_experts;
        let escalate_after_ack = ack_tier < Tier::T3 && self.rng.random_bool(if experts { 0.5 } else { 0.15 });
        let notes = self.rng.random_range(1..=SCENARIOS[scenario].notes.len());
        Plan {
            scenario,
            fills,
            ack_tier,
            ack_delay: self.range(self.pace.ack_delay),
            escalate_timeout: self.range(self.pace.escalate_timeout),
            escalate_after_ack,
            note_gap: self.range(self.pace.note_gap),
            notes,
            resolve_after: self.range(self.pace.resolve_after),
        }
    }

    /// A fresh incident from a random scenario, with its plan queued until it gets an id.
    fn trigger(&mut self) -> SimOp {
        let scenario = self.rng.random_range(0..SCENARIOS.len());
        let plan = self.draw_plan(scenario);
        let s = &SCENARIOS[scenario];
        let priority = s.priorities[self.rng.random_range(0..s.priorities.len())];
        let title = plan.fills.apply(s.titles[self.rng.random_range(0..s.titles.len())]);
        self.queued.push((title.clone(), plan));
        SimOp::Trigger(NewIncident { title, service_id: s.service.into(), priority })
    }

    fn policy_for(&self, service_id: &str) -> Option<&EscalationPolicy> {
        let service = self.services.iter().find(|s| s.id == service_id)?;
        self.policies.iter().find(|p| p.id == service.escalation_policy_id)
    }

    fn responder(&self, incident: &Incident) -> String {
        incident
            .assignee
            .clone()
            .or_else(|| self.policy_for(&incident.service_id)?.target_for(incident.tier).map(str::to_string))
            .unwrap_or_else(|| "dana".to_string())
    }

    /// Decides what happens now. `incidents` must include the open ones; `tickets` the
    /// open tickets and the recently resolved ones (see [`TicketSim::step`]).
    pub fn step(&mut self, now: DateTime<Utc>, incidents: &[Incident], tickets: &[Ticket]) -> Vec<SimOp> {
        let mut ops = Vec::new();
        let mut open: Vec<&Incident> = incidents.iter().filter(|i| i.is_open()).collect();
        open.sort_by(|a, b| a.id.cmp(&b.id));
        for incident in &open {
            if !self.plans.contains_key(&incident.id) {
                let plan = match self.queued.iter().position(|(title, _)| *title == incident.title) {
                    Some(i) => self.queued.remove(i).1,
                    None => {
                        let scenario = self.rng.random_range(0..SCENARIOS.len());
                        self.draw_plan(scenario)
                    }
                };
                self.plans.insert(incident.id.clone(), plan);
            }
        }
        let open_ids: Vec<&str> = open.iter().map(|i| i.id.as_str()).collect();
        self.plans.retain(|id, _| open_ids.contains(&id.as_str()));

        for incident in &open {
            if ops.len() >= self.pace.max_ops_per_step {
                break;
            }
            if let Some(op) = self.next_action(incident, now) {
                ops.push(op);
            }
        }
        if ops.len() < self.pace.max_ops_per_step && now >= self.next_trigger && open.len() < self.pace.max_open {
            ops.push(self.trigger());
            let gap = if open.len() < 3 {
                (self.pace.trigger_gap.0 / 2, self.pace.trigger_gap.0)
            } else {
                self.pace.trigger_gap
            };
            self.next_trigger = now + chrono::Duration::seconds(self.range(gap));
        }
        let budget = self.pace.max_ops_per_step.saturating_sub(ops.len());
        ops.extend(self.tickets.step(now, incidents, tickets, budget));
        ops
    }

    /// The support desk to start from, with outage reports linking to `incidents` (as stored,
    /// with ids). See [`TicketSim::seed_history`].
    pub fn seed_ticket_history(&mut self, now: DateTime<Utc>, incidents: &[Incident]) -> Vec<Ticket> {
        self.tickets.seed_history(now, incidents)
    }

    fn next_action(&self, incident: &Incident, now: DateTime<Utc>) -> Option<SimOp> {
        let plan = self.plans.get(&incident.id)?;
        // Time in the current phase; incidents older than the simulator count from its start.
        let since = |at: DateTime<Utc>| (now - at.max(self.started)).num_seconds();
        let last = |kind: EventKind| incident.timeline.iter().rev().find(|e| e.kind == kind).map(|e| e.at);
        // Nobody was paged yet (a maintenance window holds the page): nobody answers, and the
        // escalation timer starts with the page, not the trigger.
        if incident.page_held().is_some() {
            return None;
        }
        let phase_start = last(EventKind::Notified).or(last(EventKind::Escalated)).unwrap_or(incident.triggered_at);
        let act =
            |action: IncidentAction, actor: String| SimOp::Act { incident_id: incident.id.clone(), action, actor };
        match incident.status {
            IncidentStatus::Triggered => {
                let elapsed = since(phase_start);
                if incident.tier >= plan.ack_tier && elapsed >= plan.ack_delay {
                    Some(act(IncidentAction::Acknowledge, self.responder(incident)))
                } else if incident.tier < plan.ack_tier
                    && elapsed >= plan.escalate_timeout
                    && incident.tier.next().is_some()
                {
                    Some(act(IncidentAction::Escalate, TIMEOUT_ACTOR.to_string()))
                } else {
                    None
                }
            }
            IncidentStatus::Acknowledged => {
                let acked = incident.acknowledged_at.unwrap_or(incident.updated_at);
                let notes_by_sim =
                    incident.timeline.iter().filter(|e| e.kind == EventKind::Note && e.at >= acked).count();
                let last_change = incident.updated_at;
                if plan.escalate_after_ack && incident.tier <= plan.ack_tier && since(acked) >= plan.note_gap / 2 {
                    return Some(act(IncidentAction::Escalate, self.responder(incident)));
                }
                if notes_by_sim < plan.notes && since(last_change) >= plan.note_gap {
                    let scenario = &SCENARIOS[plan.scenario];
                    let text = plan.fills.apply(scenario.notes[notes_by_sim.min(scenario.notes.len() - 1)]);
                    return Some(act(IncidentAction::Note { text }, self.responder(incident)));
                }
                if notes_by_sim >= plan.notes && since(acked) >= plan.resolve_after {
                    return Some(act(IncidentAction::Resolve, self.responder(incident)));
                }
                None
            }
            IncidentStatus::Resolved => None,
        }
    }

    /// A world to start from: a day and a half of resolved history and a few open incidents in
    /// different states. Incidents are built with past timestamps; the store gives them ids.
    pub fn seed_history(&mut self, now: DateTime<Utc>) -> Vec<Incident> {
        let mut incidents = Vec::new();
        let minutes = chrono::Duration::minutes;
        // Resolved history, oldest first.
        for i in 0..16 {
            let start = now - minutes(36 * 60) + minutes(i * 130 + self.rng.random_range(0..60));
            let mut incident = self.historical(start);
            let plan_ack = start + minutes(self.rng.random_range(2..12));
            self.act_at(&mut incident, IncidentAction::Acknowledge, plan_ack);
            if self.rng.random_bool(0.3) {
                self.act_at(&mut incident, IncidentAction::Escalate, plan_ack + minutes(8));
                self.act_at(&mut incident, IncidentAction::Acknowledge, plan_ack + minutes(11));
            }
            let note = self.note_for(&incident, 0);
            self.act_at(&mut incident, IncidentAction::Note { text: note }, plan_ack + minutes(15));
            let end = plan_ack + minutes(self.rng.random_range(25..180));
            self.act_at(&mut incident, IncidentAction::Resolve, end);
            incidents.push(incident);
        }
        // Open now: one just paged, one acknowledged with a note, one escalated to T2 and worked.
        let fresh = self.historical(now - minutes(3));
        incidents.push(fresh);

        let mut acked = self.historical(now - minutes(26));
        self.act_at(&mut acked, IncidentAction::Acknowledge, now - minutes(22));
        let note = self.note_for(&acked, 0);
        self.act_at(&mut acked, IncidentAction::Note { text: note }, now - minutes(15));
        incidents.push(acked);

        let mut escalated = self.historical(now - minutes(48));
        self.act_at(&mut escalated, IncidentAction::Escalate, now - minutes(41));
        self.act_at(&mut escalated, IncidentAction::Acknowledge, now - minutes(38));
        let note = self.note_for(&escalated, 0);
        self.act_at(&mut escalated, IncidentAction::Note { text: note }, now - minutes(30));
        incidents.push(escalated);
        incidents
    }

    fn historical(&mut self, at: DateTime<Utc>) -> Incident {
        let op = self.trigger();
        self.queued.clear();
        let SimOp::Trigger(new) = op else { unreachable!("trigger returns a trigger") };
        let policy = self.policy_for(&new.service_id).cloned();
        Incident::trigger(String::new(), new, "alertmanager", at, policy.as_ref())
    }

    fn note_for(&mut self, incident: &Incident, index: usize) -> String {
        let scenario = SCENARIOS.iter().position(|s| s.service == incident.service_id).unwrap_or(0);
        let notes = SCENARIOS[scenario].notes;
        let fills = Fills { n: self.rng.random_range(2..=48), pct: 10, secs: "2.0".into(), region: REGIONS[0] };
        fills.apply(notes[index.min(notes.len() - 1)])
    }

    fn act_at(&self, incident: &mut Incident, action: IncidentAction, at: DateTime<Utc>) {
        let actor = self.responder(incident);
        let policy = self.policy_for(&incident.service_id);
        let _ = incident.apply(&action, ActionContext { actor: &actor, now: at, policy });
    }
}

#[cfg(test)]
mod world;

#[cfg(test)]
mod tests {
    use super::world::World;
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
    }

    /// Runs the simulator against an in-memory world for `secs` seconds.
    fn run(seed: u64, secs: i64) -> World {
        let mut sim = Simulator::new(seed, Pace::demo(), t0());
        let mut world = World::seeded(&mut sim, t0());
        world.run(&mut sim, t0(), secs);
        world
    }

    #[test]
    fn the_same_seed_gives_the_same_world() {
        let a = run(7, 900);
        let b = run(7, 900);
        assert_eq!(a.ops, b.ops);
        assert_eq!((&a.incidents, &a.tickets), (&b.incidents, &b.tickets));
        let c = run(8, 900);
        assert_ne!(a.ops, c.ops, "another seed tells another story");
    }

    #[test]
    fn incidents_go_through_their_whole_life_at_a_watchable_pace() {
        let world = run(42, 1800);
        let (ops, incidents) = (&world.ops, &world.incidents);
        let kinds = |k: EventKind| incidents.iter().flat_map(|i| &i.timeline).filter(|e| e.kind == k).count();
        let triggered_live = ops.iter().filter(|op| matches!(op, SimOp::Trigger(_))).count();
        assert!(triggered_live >= 15, "only {triggered_live} new incidents in 30 minutes");
        assert!(kinds(EventKind::Acknowledged) > 20);
        assert!(kinds(EventKind::Note) > 20);
        assert!(kinds(EventKind::Resolved) > 20);
        let timeouts = incidents
            .iter()
            .flat_map(|i| &i.timeline)
            .filter(|e| e.kind == EventKind::Escalated && e.actor == TIMEOUT_ACTOR)
            .count();
        assert!(timeouts > 0, "some pages time out and escalate");
        // Not a flood: at most two operations a second, tickets included, and a bounded number
        // of open incidents and tickets.
        assert!(world.max_ops_per_step <= 2, "{} operations in one step", world.max_ops_per_step);
        assert!(ops.len() <= 2 * 1800);
        assert!(ops.iter().any(|op| matches!(op, SimOp::OpenTicket { .. })), "tickets arrive too");
        let open = incidents.iter().filter(|i| i.is_open()).count();
        assert!(open <= Pace::demo().max_open + 1, "{open} incidents open");
        assert!(world.max_open_tickets <= Pace::demo().max_open_tickets, "{} tickets open", world.max_open_tickets);
    }

    #[test]
    fn seeded_history_covers_every_state() {
        let mut sim = Simulator::new(1, Pace::demo(), t0());
        let world = sim.seed_history(t0());
        let count = |s: IncidentStatus| world.iter().filter(|i| i.status == s).count();
        assert_eq!(count(IncidentStatus::Resolved), 16);
        assert!(count(IncidentStatus::Triggered) >= 1);
        assert!(count(IncidentStatus::Acknowledged) >= 2);
        assert!(world.iter().any(|i| i.tier == Tier::T2 && i.is_open()));
        assert!(world.iter().all(|i| i.triggered_at <= t0()));
    }
}
