//! The support desk in the demo: customer tickets about the GenAI services, worked by simulated
//! support engineers.
//!
//! Pure and deterministic like the incident part of the simulator: a ticket gets a plan when
//! first seen (who takes it after how long, whether it waits on the customer, how far it is
//! escalated, when it is resolved), drawn from a generator seeded apart from the incidents', and
//! [`TicketSim::step`] derives the next action from the ticket as it is and the time. Some
//! tickets are left waiting close to or past their first-response target, so SLA clocks have
//! something to warn about.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Pace, SimOp};
use crate::domain::catalog;
use crate::domain::{Incident, NewTicket, Priority, Ticket, TicketAction, TicketEventKind, TicketStatus, Tier};

/// Rough SLA targets in minutes of wall time, `(first response, resolution)`, used only to plan
/// which tickets run late; the console's SLA engine has the real ones.
pub fn rough_targets(priority: Priority) -> (i64, i64) {
    match priority {
        Priority::P1 => (15, 4 * 60),
        Priority::P2 => (60, 8 * 60),
        Priority::P3 => (4 * 60, 24 * 60),
        Priority::P4 => (8 * 60, 72 * 60),
    }
}

/// The support engineers of each tier, T1 first.
pub const ENGINEERS: [&[&str]; 4] =
    [&["nina", "tomas", "ava"], &["sam", "omar", "ines"], &["priya", "mei"], &["alex", "jordan"]];
/// Hands urgent T1 tickets to an engineer instead of waiting for someone to take them.
pub const DESK_LEAD: &str = "rosa";
/// Everyone the simulation has work: the support desk, its lead, and the on-call people of the
/// default escalation policies.
pub fn staff() -> Vec<String> {
    let desk = ENGINEERS.iter().flat_map(|tier| tier.iter()).chain([&DESK_LEAD]).map(|n| n.to_string());
    let on_call = catalog::policies().into_iter().flat_map(|p| p.levels).flat_map(|l| l.targets);
    let mut staff: Vec<String> = desk.chain(on_call).collect();
    staff.sort();
    staff.dedup();
    staff
}

/// At most this many open tickets report the same incident.
const MAX_REPORTS_PER_INCIDENT: usize = 3;
/// Plans drawn for tickets not yet seen are dropped beyond this many (an arrival that failed).
const MAX_QUEUED: usize = 32;

const CUSTOMERS: &[&str] = &[
    "Northwind Travel",
    "Contoso Retail",
    "Fabrikam Insurance",
    "Tailspin Toys",
    "Adatum Health",
    "Litware Legal",
    "Woodgrove Bank",
    "Alpine Ski House",
    "Coho Winery",
    "Wide World Importers",
    "Proseware",
    "Lucerne Publishing",
    "Margie's Travel",
    "Fourth Coffee",
    "Trey Research",
    "Humongous Insurance",
];
const SOURCES: &[&str] = &["portal", "email", "chat"];

/// What customers write in about. `{n}`, `{pct}`, `{secs}` and `{service}` are filled in.
struct Scenario {
    weight: u32,
    services: &'static [&'static str],
    /// Drawn uniformly, so repeats weigh more.
    priorities: &'static [Priority],
    tier: Tier,
    subjects: &'static [&'static str],
    /// What the customer writes, one per subject (the same placeholders, filled alike).
    messages: &'static [&'static str],
    /// Chance the ticket needs the next tier (and, at half of it, the one after).
    escalate: f64,
    /// Chance it waits on the customer for details.
    pending: f64,
}

const WRONG_ANSWER: usize = 0;
const SLOW: usize = 1;
const BILLING: usize = 2;
const SAFETY: usize = 3;
const OUTAGE: usize = 4;
const OCR: usize = 5;

const ALL_SERVICES: &[&str] = &[
    "llm-gateway",
    "support-assistant",
    "doc-processor",
    "rag-retrieval",
    "safety-filter",
    "embedding-service",
    "billing-meter",
];

const SCENARIOS: &[Scenario] = &[
    Scenario {
        weight: 20,
        services: &["support-assistant", "rag-retrieval"],
        priorities: &[Priority::P2, Priority::P3, Priority::P3, Priority::P3, Priority::P4],
        tier: Tier::T1,
        subjects: &[
            "Assistant quoted a refund policy we do not have",
            "Chatbot told a customer our warranty lasts {n} years",
            "Answers cite a help-center article that does not exist",
            "Assistant still gives last quarter's prices after the update",
            "Grounded answers ignore the documents we uploaded {n} days ago",
        ],
        messages: &[
            "A customer asked about returns and the assistant promised a full refund within 90 days. Our policy is 30 days, store credit only. Please check what it is grounding on; screenshots attached.",
            "Transcript attached: the chatbot said our warranty lasts {n} years. It is two. The customer is now quoting it back to our store staff.",
            "Several answers link to a help-center article called 'Changing your delivery slot'. We have no such article and the link goes nowhere.",
            "We published the new price list on Monday and re-synced the knowledge base, but the assistant still quotes last quarter's prices.",
            "We uploaded the new product manuals {n} days ago and the ingestion job says done, yet no answer ever cites them.",
        ],
        escalate: 0.35,
        pending: 0.4,
    },
    Scenario {
        weight: 13,
        services: &["llm-gateway", "support-assistant", "embedding-service"],
        priorities: &[Priority::P2, Priority::P3, Priority::P3, Priority::P4],
        tier: Tier::T1,
        subjects: &[
            "Chat answers take {secs}s since this morning",
            "Streaming stalls about {secs}s before the first token",
            "Embedding batch calls time out after {n} items",
        ],
        messages: &[
            "Since about 8:00 our users wait {secs}s for every chat answer; yesterday it was under two. Nothing changed on our side.",
            "Streaming responses sit silent for about {secs}s before the first token arrives, then stream normally. Our users think the app froze.",
            "Batch embedding requests time out once a batch has more than {n} items. Smaller batches work, but our nightly indexing now misses its window.",
        ],
        escalate: 0.3,
        pending: 0.25,
    },
    Scenario {
        weight: 17,
        services: &["billing-meter"],
        priorities: &[Priority::P3, Priority::P3, Priority::P4, Priority::P4],
        tier: Tier::T1,
        subjects: &[
            "Invoice shows {pct}% more tokens than our usage dashboard",
            "Charged for {n}M tokens in a week without traffic",
            "How are cached prompt tokens billed?",
            "Per-team cost attribution missing since the {n}th",
        ],
        messages: &[
            "This month's invoice shows {pct}% more tokens than the usage dashboard for the same period. Which one is right, and can you correct the invoice?",
            "We were billed for {n}M tokens last week, but our service was switched off for maintenance the whole week and our keys were not shared.",
            "We turned on prompt caching. Are cached prompt tokens billed at the full rate, and where do they show on the invoice?",
            "Since the {n}th every request lands under 'unattributed' in the cost report, although we still send the team header.",
        ],
        escalate: 0.1,
        pending: 0.5,
    },
    Scenario {
        weight: 6,
        services: &["safety-filter", "support-assistant"],
        priorities: &[Priority::P2],
        tier: Tier::T2,
        subjects: &[
            "Assistant gave unsafe medication dosage advice (transcript attached)",
            "Jailbreak prompt made the assistant reveal another customer's order",
            "Offensive reply in a customer chat; needs human review",
            "Moderation let self-harm content through in conversation #{n}",
        ],
        messages: &[
            "A user asked about combining two painkillers and the assistant gave a dosage well above the label. Transcript attached. We need this blocked today.",
            "A user pasted a role-play prompt and the assistant read out another customer's order number and address. We have switched the widget off for now.",
            "One of our customers received an insulting reply in chat. Conversation ID and screenshot attached; please have a person review it.",
            "In conversation #{n} the moderation layer let through self-harm content that should have triggered the safety response. Please look at it urgently.",
        ],
        escalate: 0.5,
        pending: 0.1,
    },
    Scenario {
        weight: 8,
        services: &[],
        priorities: &[],
        tier: Tier::T1,
        subjects: &[
            "{service} down for our users: every request fails",
            "Getting 5xx errors from {service} for the last {n} minutes",
            "Our production chat is broken; is {service} having an outage?",
        ],
        messages: &[
            "For a few minutes now every request to {service} fails for our users with an error page. Our status page is red; is this on your side?",
            "We have been getting 502 and 503 from {service} for {n} minutes, from all our regions. Retries do not help.",
            "Our production chat stopped answering. Our logs show timeouts calling {service}. Is there an outage, and when will it be back?",
        ],
        escalate: 0.15,
        pending: 0.05,
    },
    Scenario {
        weight: 14,
        services: &["doc-processor"],
        priorities: &[Priority::P2, Priority::P3, Priority::P3, Priority::P3, Priority::P4],
        tier: Tier::T1,
        subjects: &[
            "Scanned invoices come back empty from OCR",
            "Extraction drops tables after page {n}",
            "OCR job stuck in processing for {n} hours",
            "Handwritten forms fail with `unsupported document`",
        ],
        messages: &[
            "Scanned PDF invoices come back with no text at all since yesterday. Born-digital PDFs still work. Sample files attached.",
            "On long contracts the extraction returns every table up to page {n} and none after it. The text after that page is fine.",
            "A batch OCR job has shown 'processing' for {n} hours. It usually takes ten minutes. The job ID is in the attachment.",
            "Every scanned handwritten claim form fails with `unsupported document`. Typed forms from the same scanner go through.",
        ],
        escalate: 0.35,
        pending: 0.45,
    },
    Scenario {
        weight: 22,
        services: ALL_SERVICES,
        priorities: &[Priority::P4],
        tier: Tier::T1,
        subjects: &[
            "Can we set a different system prompt per team?",
            "Is there an EU-only data residency option for {service}?",
            "Does {service} support batch requests?",
            "Feature request: export conversation transcripts as CSV",
        ],
        messages: &[
            "Our support and sales teams want different tones. Can we set a system prompt per team under one account?",
            "Our legal team needs prompts and answers to stay in the EU. Is there an EU-only option for {service}, and what does it cost?",
            "We process a few hundred thousand documents overnight. Does {service} support batch requests, and with what rate limits?",
            "Our QA team reviews transcripts in spreadsheets. Could we export conversation transcripts as CSV?",
        ],
        escalate: 0.05,
        pending: 0.3,
    },
];

impl Scenario {
    /// Subject and message template number `i`.
    fn template(&self, i: usize) -> (&'static str, &'static str) {
        (self.subjects[i], self.messages[i])
    }
}

/// What the desk will do with one ticket. Times are in seconds.
#[derive(Debug, Clone, PartialEq)]
struct Plan {
    /// Until someone takes it at its first tier; near the response target when it slips.
    first_take: i64,
    /// Until someone takes it after an escalation.
    take: i64,
    respond: i64,
    work: i64,
    pending: bool,
    pending_for: i64,
    escalations: usize,
    resolve_after: i64,
    engineer: usize,
    lead_assigns: bool,
}

pub struct TicketSim {
    rng: ChaCha8Rng,
    pace: Pace,
    started: DateTime<Utc>,
    next_arrival: DateTime<Utc>,
    plans: BTreeMap<String, Plan>,
    /// Plans drawn for arrivals not yet given a key, matched by subject and customer.
    queued: Vec<((String, String), Plan)>,
    /// Resolved tickets and when the desk closes them.
    closing: BTreeMap<String, DateTime<Utc>>,
    service_names: BTreeMap<String, String>,
}

fn engineer(tier: Tier, pick: usize) -> &'static str {
    let names = ENGINEERS[tier as usize];
    names[pick % names.len()]
}

/// Whether the simulated desk works a ticket assigned to `name` (people in the console work
/// theirs themselves).
fn is_desk(name: &str) -> bool {
    name == DESK_LEAD || ENGINEERS.iter().any(|tier| tier.contains(&name))
}

fn scenario_of(ticket: &Ticket) -> usize {
    if ticket.linked_incident.is_some() {
        return OUTAGE;
    }
    match ticket.service_id.as_str() {
        "safety-filter" => SAFETY,
        "billing-meter" => BILLING,
        "doc-processor" => OCR,
        _ => WRONG_ANSWER,
    }
}

impl TicketSim {
    pub fn new(seed: u64, pace: Pace, now: DateTime<Utc>) -> TicketSim {
        // Seeded apart from the incidents, so adding tickets leaves the incident story unchanged.
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7469_636b_6574_7321);
        let first = rng.random_range(2..=6);
        TicketSim {
            rng,
            pace,
            started: now,
            next_arrival: now + Duration::seconds(first),
            plans: BTreeMap::new(),
            queued: Vec::new(),
            closing: BTreeMap::new(),
            service_names: catalog::services().into_iter().map(|s| (s.id, s.name)).collect(),
        }
    }

    fn range(&mut self, (lo, hi): (i64, i64)) -> i64 {
        self.rng.random_range(lo..=hi.max(lo))
    }

    fn draw_plan(&mut self, scenario: usize, priority: Priority) -> Plan {
        let s = &SCENARIOS[scenario];
        let slips = match priority {
            Priority::P1 => 0.3,
            Priority::P2 => 0.2,
            Priority::P3 => 0.04,
            Priority::P4 => 0.03,
        };
        let urgency = match priority {
            Priority::P1 => 0.4,
            Priority::P2 => 0.7,
            Priority::P3 => 1.0,
            Priority::P4 => 1.5,
        };
        let take = self.range(self.pace.take_delay);
        let first_take = if self.rng.random_bool(slips) {
            // Nobody picks it up in time: the response clock runs to its warning, or past it.
            let target = rough_targets(priority).0 * 60;
            (target as f64 * self.rng.random_range(0.7..1.3)) as i64
        } else {
            (take as f64 * urgency) as i64
        };
        let escalations = match self.rng.random::<f64>() {
            r if r < s.escalate / 2.0 => 2,
            r if r < s.escalate => 1,
            _ => 0,
        };
        Plan {
            first_take,
            take: (self.range(self.pace.take_delay) as f64 * urgency) as i64,
            respond: self.range(self.pace.ticket_work) / 2,
            work: self.range(self.pace.ticket_work),
            pending: self.rng.random_bool(s.pending),
            pending_for: self.range(self.pace.pending_for),
            escalations,
            resolve_after: self.range(self.pace.ticket_resolve_after),
            engineer: self.rng.random_range(0..6),
            lead_assigns: priority <= Priority::P2 && self.rng.random_bool(0.5),
        }
    }

    /// A subject and the customer's message from their templates, with the same numbers and
    /// service filled into both (drawn once, in the order a subject alone always drew them).
    fn fill(&mut self, (subject, message): (&str, &str), service_id: &str) -> (String, String) {
        let service = self.service_names.get(service_id).map_or(service_id, String::as_str).to_string();
        let n = self.rng.random_range(2..=48).to_string();
        let pct = self.rng.random_range(6..=42).to_string();
        let secs = format!("{:.1}", self.rng.random_range(80..=400) as f64 / 10.0);
        let fill = |template: &str| {
            template.replace("{n}", &n).replace("{pct}", &pct).replace("{secs}", &secs).replace("{service}", &service)
        };
        (fill(subject), fill(message))
    }

    /// A new ticket of a random scenario; outage reports need an open P1/P2 incident to report.
    fn draft(&mut self, incidents: &[&Incident], tickets: &[&Ticket]) -> (usize, NewTicket) {
        let reportable: Vec<&Incident> = incidents
            .iter()
            .copied()
            .filter(|i| i.priority <= Priority::P2)
            .filter(|i| {
                let reports = tickets.iter().filter(|t| t.is_open() && t.linked_incident.as_ref() == Some(&i.id));
                reports.count() < MAX_REPORTS_PER_INCIDENT
            })
            .collect();
        let total: u32 = SCENARIOS
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != OUTAGE || !reportable.is_empty())
            .map(|(_, s)| s.weight)
            .sum();
        let mut roll = self.rng.random_range(0..total);
        let mut scenario = 0;
        for (i, s) in SCENARIOS.iter().enumerate() {
            if i == OUTAGE && reportable.is_empty() {
                continue;
            }
            if roll < s.weight {
                scenario = i;
                break;
            }
            roll -= s.weight;
        }
        let s = &SCENARIOS[scenario];
        let customer = CUSTOMERS[self.rng.random_range(0..CUSTOMERS.len())].to_string();
        let template = s.template(self.rng.random_range(0..s.subjects.len()));
        let new = if scenario == OUTAGE {
            let incident = reportable[self.rng.random_range(0..reportable.len())];
            let (subject, message) = self.fill(template, &incident.service_id);
            NewTicket {
                subject,
                customer,
                service_id: incident.service_id.clone(),
                priority: incident.priority,
                tier: s.tier,
                linked_incident: Some(incident.id.clone()),
                description: Some(message),
            }
        } else {
            let service = s.services[self.rng.random_range(0..s.services.len())];
            let (subject, message) = self.fill(template, service);
            NewTicket {
                subject,
                customer,
                service_id: service.to_string(),
                priority: s.priorities[self.rng.random_range(0..s.priorities.len())],
                tier: s.tier,
                linked_incident: None,
                description: Some(message),
            }
        };
        (scenario, new)
    }

    /// Decides what the desk does now, at most `budget` operations. `incidents` may include
    /// resolved ones; `tickets` must include every open ticket and should include the recently
    /// resolved ones (the desk closes those).
    pub fn step(
        &mut self,
        now: DateTime<Utc>,
        incidents: &[Incident],
        tickets: &[Ticket],
        budget: usize,
    ) -> Vec<SimOp> {
        let mut tickets: Vec<&Ticket> = tickets.iter().collect();
        tickets.sort_by(|a, b| a.key.cmp(&b.key));
        let mut incidents: Vec<&Incident> = incidents.iter().filter(|i| i.is_open() && !i.id.is_empty()).collect();
        incidents.sort_by(|a, b| a.id.cmp(&b.id));

        for ticket in &tickets {
            if ticket.is_open() && !self.plans.contains_key(&ticket.key) {
                let id = (ticket.subject.clone(), ticket.customer.clone());
                let plan = match self.queued.iter().position(|(queued, _)| *queued == id) {
                    Some(i) => self.queued.remove(i).1,
                    None => self.draw_plan(scenario_of(ticket), ticket.priority),
                };
                self.plans.insert(ticket.key.clone(), plan);
            }
            match ticket.status {
                TicketStatus::Resolved if !self.closing.contains_key(&ticket.key) => {
                    let resolved = ticket.resolved_at.unwrap_or(ticket.updated_at).max(self.started);
                    let at = resolved + Duration::seconds(self.range(self.pace.close_after));
                    self.closing.insert(ticket.key.clone(), at);
                }
                TicketStatus::Closed => {
                    self.closing.remove(&ticket.key);
                }
                _ => {}
            }
        }
        self.plans.retain(|key, _| tickets.iter().any(|t| t.key == *key && t.is_open()));

        let mut ops = Vec::new();
        let due: Vec<String> = self.closing.iter().filter(|(_, at)| **at <= now).map(|(k, _)| k.clone()).collect();
        for key in due.into_iter().take(budget) {
            self.closing.remove(&key);
            ops.push(SimOp::CloseTicket { key });
        }
        for ticket in tickets.iter().filter(|t| t.is_open()) {
            if ops.len() >= budget {
                break;
            }
            if let Some(op) = self.next_action(ticket, now, &incidents) {
                ops.push(op);
            }
        }
        let open = tickets.iter().filter(|t| t.is_open()).count();
        if ops.len() < budget && now >= self.next_arrival && open < self.pace.max_open_tickets {
            let (scenario, new) = self.draft(&incidents, &tickets);
            let plan = self.draw_plan(scenario, new.priority);
            self.queued.push(((new.subject.clone(), new.customer.clone()), plan));
            if self.queued.len() > MAX_QUEUED {
                self.queued.remove(0);
            }
            let source = SOURCES[self.rng.random_range(0..SOURCES.len())].to_string();
            ops.push(SimOp::OpenTicket { new, source });
            self.next_arrival = now + Duration::seconds(self.range(self.pace.ticket_gap));
        }
        ops
    }

    fn next_action(&self, ticket: &Ticket, now: DateTime<Utc>, incidents: &[&Incident]) -> Option<SimOp> {
        let plan = self.plans.get(&ticket.key)?;
        // Time in the current phase; tickets older than the simulator count from its start.
        let since = |at: DateTime<Utc>| (now - at.max(self.started)).num_seconds();
        let last = |kind: TicketEventKind| ticket.history.iter().rev().find(|e| e.kind == kind).map(|e| e.at);
        let act = |action: TicketAction, actor: &str| {
            Some(SimOp::TicketAct { key: ticket.key.clone(), action, actor: actor.to_string() })
        };
        let escalated = ticket.history.iter().filter(|e| e.kind == TicketEventKind::Escalated).count();
        let Some(assignee) = ticket.assignee.as_deref() else {
            let (phase, wait) = match last(TicketEventKind::Escalated) {
                Some(at) => (at, plan.take),
                None => (ticket.created_at, plan.first_take),
            };
            if since(phase) < wait {
                return None;
            }
            let to = engineer(ticket.tier, plan.engineer);
            if plan.lead_assigns && escalated == 0 && ticket.tier == Tier::T1 {
                return act(TicketAction::Assign { to: to.to_string() }, DESK_LEAD);
            }
            return act(TicketAction::Take, to);
        };
        if !is_desk(assignee) {
            return None;
        }
        if ticket.status == TicketStatus::Pending {
            let waiting = since(last(TicketEventKind::Pending).unwrap_or(ticket.updated_at));
            return if waiting >= plan.pending_for { act(TicketAction::Resume, assignee) } else { None };
        }
        if ticket.first_response_at.is_none() {
            let taken = since(last(TicketEventKind::Assigned).unwrap_or(ticket.updated_at));
            return if taken >= plan.respond { act(TicketAction::Respond, assignee) } else { None };
        }
        let quiet = since(ticket.updated_at);
        if quiet < plan.work {
            return None;
        }
        if plan.pending && last(TicketEventKind::Pending).is_none() {
            return act(TicketAction::Pending, assignee);
        }
        if escalated < plan.escalations && ticket.tier.next().is_some() {
            return act(TicketAction::Escalate, assignee);
        }
        if let Some(incident) = &ticket.linked_incident {
            // An outage report is answered when the incident is over.
            let over = !incidents.iter().any(|i| i.id == *incident);
            if over || quiet >= plan.resolve_after * 4 {
                return act(TicketAction::Resolve, assignee);
            }
            return None;
        }
        if quiet >= plan.resolve_after { act(TicketAction::Resolve, assignee) } else { None }
    }
}

mod seed;
#[cfg(test)]
mod tests;
