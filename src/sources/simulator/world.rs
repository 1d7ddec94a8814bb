//! An in-memory world for the simulator's tests: applies operations the way the server does,
//! with ids and keys numbered like the store's, and fails on any action the domain refuses.

use chrono::{DateTime, Duration, Utc};

use super::{SimOp, Simulator};
use crate::domain::{ActionContext, Incident, Ticket, TicketStatus};

pub struct World {
    pub incidents: Vec<Incident>,
    pub tickets: Vec<Ticket>,
    /// Every operation the simulator returned, in order.
    pub ops: Vec<SimOp>,
    /// The most operations any one step returned.
    pub max_ops_per_step: usize,
    /// The most open tickets at any step.
    pub max_open_tickets: usize,
}

impl World {
    /// The seeded world: incidents `INC-1001…`, then tickets `SUP-2001…` linking to them.
    pub fn seeded(sim: &mut Simulator, now: DateTime<Utc>) -> World {
        let mut incidents = sim.seed_history(now);
        for (i, incident) in incidents.iter_mut().enumerate() {
            incident.id = format!("INC-{}", 1001 + i);
        }
        let mut tickets = sim.seed_ticket_history(now, &incidents);
        for (i, ticket) in tickets.iter_mut().enumerate() {
            ticket.key = format!("SUP-{}", 2001 + i);
        }
        World { incidents, tickets, ops: Vec::new(), max_ops_per_step: 0, max_open_tickets: 0 }
    }

    /// Steps once a second for `secs` seconds from `start`.
    pub fn run(&mut self, sim: &mut Simulator, start: DateTime<Utc>, secs: i64) {
        for s in 0..secs {
            let now = start + Duration::seconds(s);
            let ops = sim.step(now, &self.incidents, &self.tickets);
            self.max_ops_per_step = self.max_ops_per_step.max(ops.len());
            for op in ops {
                self.apply(sim, &op, now);
                self.ops.push(op);
            }
            let open = self.tickets.iter().filter(|t| t.is_open()).count();
            self.max_open_tickets = self.max_open_tickets.max(open);
        }
    }

    fn apply(&mut self, sim: &Simulator, op: &SimOp, now: DateTime<Utc>) {
        match op {
            SimOp::Trigger(new) => {
                let id = format!("INC-{}", 1001 + self.incidents.len());
                let policy = sim.policy_for(&new.service_id).cloned();
                self.incidents.push(Incident::trigger(id, new.clone(), "alertmanager", now, policy.as_ref()));
            }
            SimOp::Act { incident_id, action, actor } => {
                let incident = self.incidents.iter_mut().find(|i| &i.id == incident_id).expect("a known incident");
                let policy = sim.policy_for(&incident.service_id).cloned();
                incident
                    .apply(action, ActionContext { actor, now, policy: policy.as_ref() })
                    .unwrap_or_else(|e| panic!("simulator chose an impossible action {action:?}: {e}"));
            }
            SimOp::OpenTicket { new, source } => {
                let key = format!("SUP-{}", 2001 + self.tickets.len());
                self.tickets.push(Ticket::open(key, new.clone(), source, now));
            }
            SimOp::TicketAct { key, action, actor } => {
                let ticket = self.tickets.iter_mut().find(|t| &t.key == key).expect("a known ticket");
                ticket
                    .apply(action, actor, now)
                    .unwrap_or_else(|e| panic!("simulator chose an impossible action {action:?} on {key}: {e}"));
            }
            SimOp::CloseTicket { key } => {
                let ticket = self.tickets.iter_mut().find(|t| &t.key == key).expect("a known ticket");
                assert_eq!(ticket.status, TicketStatus::Resolved, "only resolved tickets are closed");
                ticket.close(now);
            }
        }
    }
}
