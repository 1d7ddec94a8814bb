//! The support desk the demo starts with: ticket history and open tickets in every state.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use super::{CUSTOMERS, OCR, OUTAGE, SAFETY, SCENARIOS, SLOW, SOURCES, TicketSim, engineer};
use crate::domain::{Incident, NewTicket, Priority, Ticket, TicketAction};

impl TicketSim {
    /// A desk to start from: a day and a half of resolved and closed tickets, and open ones in
    /// every state, several near or past their targets. `incidents` are the open incidents
    /// outage reports may link to. Tickets are built with past timestamps and no key; the store
    /// gives them keys.
    pub fn seed_history(&mut self, now: DateTime<Utc>, incidents: &[Incident]) -> Vec<Ticket> {
        let minutes = Duration::minutes;
        let latest = now - minutes(2);
        let open: Vec<&Incident> = incidents.iter().filter(|i| i.is_open() && !i.id.is_empty()).collect();
        let mut tickets = Vec::new();
        for i in 0..18 {
            let created = now - minutes(36 * 60 - i * 105 - self.rng.random_range(0..30));
            let mut t = self.opened(created, &[], None);
            let mut at = created + minutes(self.rng.random_range(3..40));
            let who = engineer(t.tier, i as usize);
            act_at(&mut t, TicketAction::Take, who, at.min(latest));
            at += minutes(self.rng.random_range(1..15));
            act_at(&mut t, TicketAction::Respond, who, at.min(latest));
            if self.rng.random_bool(0.35) {
                at += minutes(self.rng.random_range(10..60));
                act_at(&mut t, TicketAction::Pending, who, at.min(latest));
                at += minutes(self.rng.random_range(20..180));
                act_at(&mut t, TicketAction::Resume, who, at.min(latest));
            }
            if self.rng.random_bool(0.25) {
                at += minutes(self.rng.random_range(10..40));
                act_at(&mut t, TicketAction::Escalate, who, at.min(latest));
                at += minutes(self.rng.random_range(5..30));
                let next = engineer(t.tier, i as usize);
                act_at(&mut t, TicketAction::Take, next, at.min(latest));
            }
            at += minutes(self.rng.random_range(30..240));
            let by = t.assignee.clone().unwrap_or_else(|| who.to_string());
            act_at(&mut t, TicketAction::Resolve, &by, at.min(latest));
            // The desk closes resolved tickets after a quiet afternoon.
            let closed = at.min(latest) + minutes(4 * 60);
            if closed < now {
                t.close(closed);
            }
            tickets.push(t);
        }
        let ago = |m: i64| now - minutes(m);
        // Just in, nobody on them yet.
        for m in [1, 4, 7] {
            tickets.push(self.opened(ago(m), &[], None));
        }
        // An outage report (or, with no incident open, an urgent slowness report): P1, 12
        // minutes without a response against a 15-minute target.
        let urgent = match open.iter().find(|i| i.priority <= Priority::P2) {
            Some(incident) => self.outage_report(incident, Priority::P1, ago(12)),
            None => self.scenario_ticket(SLOW, Priority::P1, ago(12)),
        };
        tickets.push(urgent);
        // P2 taken 62 minutes ago and never answered: past its one-hour response target.
        let mut late = self.opened(ago(70), &[], Some(Priority::P2));
        act_at(&mut late, TicketAction::Take, "tomas", ago(62));
        tickets.push(late);
        // A safety report at T2, answered.
        let mut safety = self.scenario_ticket(SAFETY, Priority::P2, ago(40));
        act_at(&mut safety, TicketAction::Take, "ines", ago(35));
        act_at(&mut safety, TicketAction::Respond, "ines", ago(30));
        tickets.push(safety);
        // P2 answered seven hours ago and still open: near its eight-hour resolution target.
        let mut long = self.opened(ago(7 * 60), &[], Some(Priority::P2));
        act_at(&mut long, TicketAction::Take, "ava", ago(7 * 60 - 10));
        act_at(&mut long, TicketAction::Respond, "ava", ago(7 * 60 - 20));
        tickets.push(long);
        // P3 from yesterday: waited on the customer, escalated, now with T2.
        let mut worked = self.scenario_ticket(OCR, Priority::P3, ago(20 * 60));
        act_at(&mut worked, TicketAction::Take, "nina", ago(18 * 60));
        act_at(&mut worked, TicketAction::Respond, "nina", ago(18 * 60 - 5));
        act_at(&mut worked, TicketAction::Pending, "nina", ago(17 * 60));
        act_at(&mut worked, TicketAction::Resume, "nina", ago(10 * 60));
        act_at(&mut worked, TicketAction::Escalate, "nina", ago(8 * 60));
        act_at(&mut worked, TicketAction::Take, "omar", ago(7 * 60));
        tickets.push(worked);
        // Waiting on the customer for two hours now: its clocks are paused.
        let mut waiting = self.opened(ago(5 * 60), &[], Some(Priority::P3));
        act_at(&mut waiting, TicketAction::Take, "tomas", ago(4 * 60 + 10));
        act_at(&mut waiting, TicketAction::Respond, "tomas", ago(4 * 60));
        act_at(&mut waiting, TicketAction::Pending, "tomas", ago(2 * 60));
        tickets.push(waiting);
        // P4 whose customer answered after a four-hour pause.
        let mut resumed = self.opened(ago(10 * 60), &[], Some(Priority::P4));
        act_at(&mut resumed, TicketAction::Take, "ava", ago(8 * 60));
        act_at(&mut resumed, TicketAction::Respond, "ava", ago(8 * 60 - 3));
        act_at(&mut resumed, TicketAction::Pending, "ava", ago(7 * 60));
        act_at(&mut resumed, TicketAction::Resume, "ava", ago(3 * 60));
        tickets.push(resumed);
        // Unanswered for 3.5 hours (P3, 4-hour target) and for 9 hours (P4, 8-hour target).
        tickets.push(self.opened(ago(210), &[], Some(Priority::P3)));
        tickets.push(self.opened(ago(9 * 60), &[], Some(Priority::P4)));
        tickets
    }

    /// A ticket of a random scenario opened at `at`, with `priority` if given.
    fn opened(&mut self, at: DateTime<Utc>, incidents: &[&Incident], priority: Option<Priority>) -> Ticket {
        let (_, mut new) = self.draft(incidents, &[]);
        if let Some(priority) = priority {
            new.priority = priority;
        }
        let source = SOURCES[self.rng.random_range(0..SOURCES.len())];
        Ticket::open(String::new(), new, source, at)
    }

    fn outage_report(&mut self, incident: &Incident, priority: Priority, at: DateTime<Utc>) -> Ticket {
        let s = &SCENARIOS[OUTAGE];
        let template = s.template(self.rng.random_range(0..s.subjects.len()));
        let (subject, message) = self.fill(template, &incident.service_id);
        let new = NewTicket {
            subject,
            customer: CUSTOMERS[self.rng.random_range(0..CUSTOMERS.len())].to_string(),
            service_id: incident.service_id.clone(),
            priority,
            tier: s.tier,
            linked_incident: Some(incident.id.clone()),
            description: Some(message),
        };
        Ticket::open(String::new(), new, "email", at)
    }

    fn scenario_ticket(&mut self, scenario: usize, priority: Priority, at: DateTime<Utc>) -> Ticket {
        let s = &SCENARIOS[scenario];
        let service = s.services[self.rng.random_range(0..s.services.len())];
        let template = s.template(self.rng.random_range(0..s.subjects.len()));
        let (subject, message) = self.fill(template, service);
        let new = NewTicket {
            subject,
            customer: CUSTOMERS[self.rng.random_range(0..CUSTOMERS.len())].to_string(),
            service_id: service.to_string(),
            priority,
            tier: s.tier,
            linked_incident: None,
            description: Some(message),
        };
        Ticket::open(String::new(), new, "portal", at)
    }
}

/// Applies a seeded action; the seeds are written to be valid, and an invalid one is skipped.
fn act_at(ticket: &mut Ticket, action: TicketAction, actor: &str, at: DateTime<Utc>) {
    let _ = ticket.apply(&action, actor, at);
}
