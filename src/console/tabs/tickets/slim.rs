//! A ticket as the list holds it after a large merge ([`SlimTicket`]): the fields a row shows,
//! sorts, filters and times its SLA clocks by, without the history and the customer's message
//! (read from the cache when the ticket is selected or opened), in one allocation of its own (the
//! key and the subject together; a linked incident adds one) instead of seven.

use std::sync::Arc;

use crate::console::list::Filter;
use crate::console::list::slim::{self, Pool, Slim};
use crate::domain::{Pause, Priority, Ticket, TicketStatus, Tier};

#[derive(Debug, Clone, PartialEq)]
pub struct SlimTicket {
    /// The key and the subject in one allocation ([`slim::join`]); the key is `split` bytes long.
    key_subject: Box<str>,
    split: u8,
    customer: Arc<str>,
    service_id: Arc<str>,
    assignee: Option<Arc<str>>,
    linked_incident: Option<Box<str>>,
    /// Spans waiting on the customer, in nanoseconds (until [`slim::NONE`] while still waiting).
    pauses: Box<[[i64; 2]]>,
    /// The version while it fits in 32 bits (4 billion changes; a larger one is held in full).
    version: u32,
    /// Created, updated, first response, resolved, in nanoseconds ([`slim::NONE`] for none).
    at: [i64; 4],
    priority: Priority,
    tier: Tier,
    status: TicketStatus,
}

/// What a filter searches in a ticket, one field a line (the full and the compact row alike).
#[expect(clippy::too_many_arguments, reason = "the nine fields a filter searches, named")]
pub(super) fn matches(
    filter: &Filter,
    key: &str,
    priority: Priority,
    tier: Tier,
    status: TicketStatus,
    subject: &str,
    customer: &str,
    service_id: &str,
    assignee: Option<&str>,
    linked_incident: Option<&str>,
) -> bool {
    filter.matches(&[
        key,
        priority.label(),
        tier.label(),
        status.label(),
        subject,
        customer,
        service_id,
        assignee.unwrap_or("unassigned"),
        linked_incident.unwrap_or(""),
    ])
}

impl SlimTicket {
    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    pub fn subject(&self) -> &str {
        slim::text_of(&self.key_subject, self.split)
    }

    pub fn linked_incident(&self) -> Option<&str> {
        self.linked_incident.as_deref()
    }
}

impl Slim<Ticket> for SlimTicket {
    fn slim(t: &Ticket, pool: &mut Pool) -> Option<SlimTicket> {
        let at = [
            slim::nanos(t.created_at)?,
            slim::nanos(t.updated_at)?,
            slim::nanos_opt(t.first_response_at)?,
            slim::nanos_opt(t.resolved_at)?,
        ];
        let pauses =
            t.pauses.iter().map(|p| Some([slim::nanos(p.from)?, slim::nanos_opt(p.to)?])).collect::<Option<_>>()?;
        let (key_subject, split) = slim::join(&t.key, &t.subject)?;
        Some(SlimTicket {
            key_subject,
            split,
            customer: pool.get(&t.customer),
            service_id: pool.get(&t.service_id),
            assignee: pool.get_opt(t.assignee.as_deref()),
            linked_incident: t.linked_incident.as_deref().map(Box::from),
            pauses,
            version: u32::try_from(t.version).ok()?,
            at,
            priority: t.priority,
            tier: t.tier,
            status: t.status,
        })
    }

    fn full(&self) -> Ticket {
        Ticket {
            key: self.id().to_string(),
            version: i64::from(self.version),
            subject: self.subject().to_string(),
            customer: self.customer.to_string(),
            service_id: self.service_id.to_string(),
            priority: self.priority,
            tier: self.tier,
            status: self.status,
            assignee: self.assignee.as_deref().map(str::to_string),
            description: None,
            created_at: slim::instant(self.at[0]),
            updated_at: slim::instant(self.at[1]),
            first_response_at: slim::instant_opt(self.at[2]),
            resolved_at: slim::instant_opt(self.at[3]),
            linked_incident: self.linked_incident.as_deref().map(str::to_string),
            pauses: self
                .pauses
                .iter()
                .map(|&[from, to]| Pause { from: slim::instant(from), to: slim::instant_opt(to) })
                .collect(),
            history: Vec::new(),
        }
    }

    fn id(&self) -> &str {
        slim::id_of(&self.key_subject, self.split)
    }

    fn version(&self) -> i64 {
        i64::from(self.version)
    }

    fn matches(&self, filter: &Filter) -> bool {
        matches(
            filter,
            self.id(),
            self.priority,
            self.tier,
            self.status,
            self.subject(),
            &self.customer,
            &self.service_id,
            self.assignee.as_deref(),
            self.linked_incident.as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::list::Item;

    #[test]
    fn a_compact_ticket_is_the_ticket_without_its_history_and_message_and_filters_alike() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-05T14:00:00.25Z").unwrap().to_utc();
        let mut pool = Pool::default();
        let tickets = crate::fixtures::many_tickets(40, now);
        assert!(tickets.iter().any(|t| !t.pauses.is_empty()), "some wait on the customer");
        for mut ticket in tickets {
            ticket.linked_incident = Some("INC-1042".into());
            let slim = SlimTicket::slim(&ticket, &mut pool).unwrap();
            assert_eq!(slim.full(), Ticket { history: Vec::new(), description: None, ..ticket.clone() });
            for text in ["sup-1000", "customer 3", "pending", "p1", "dana", "inc-1042", "policy", "unassigned", "zzz"] {
                let filter = Filter::new(text);
                assert_eq!(slim.matches(&filter), ticket.matches(&filter), "{text} on {}", ticket.key);
            }
        }
    }
}
