use std::collections::BTreeSet;

use chrono::TimeZone;

use super::*;
use crate::domain::TicketEvent;
use crate::sources::simulator::Simulator;
use crate::sources::simulator::world::World;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

fn run_with(seed: u64, pace: Pace, secs: i64) -> World {
    let mut sim = Simulator::new(seed, pace, t0());
    let mut world = World::seeded(&mut sim, t0());
    world.run(&mut sim, t0(), secs);
    world
}

/// Tickets opened while the simulator ran (not seeded).
fn live(world: &World) -> Vec<&Ticket> {
    world.tickets.iter().filter(|t| t.created_at >= t0()).collect()
}

fn events<'a>(tickets: &[&'a Ticket], kind: TicketEventKind) -> Vec<&'a TicketEvent> {
    tickets.iter().flat_map(|t| &t.history).filter(|e| e.kind == kind).collect()
}

/// How long the customer waited for a first response, as of `now`.
fn response_wait(ticket: &Ticket, now: DateTime<Utc>) -> Duration {
    ticket.first_response_at.unwrap_or(now) - ticket.created_at
}

#[test]
fn the_same_seed_gives_the_same_desk() {
    let a = run_with(3, Pace::demo(), 1200);
    let b = run_with(3, Pace::demo(), 1200);
    assert_eq!(a.tickets, b.tickets);
    assert_eq!(a.ops, b.ops);
    let c = run_with(4, Pace::demo(), 1200);
    assert_ne!(a.tickets, c.tickets, "another seed, another desk");
}

#[test]
fn customers_write_in_about_the_genai_services_with_a_realistic_mix() {
    let world = run_with(11, Pace::demo(), 2 * 3600);
    let tickets = live(&world);
    assert!(tickets.len() >= 60, "only {} tickets in two hours", tickets.len());
    let with = |p: Priority| tickets.iter().filter(|t| t.priority == p).count();
    for p in Priority::ALL {
        assert!(with(p) > 0, "no {} tickets", p.label());
    }
    assert!(with(Priority::P3) + with(Priority::P4) > tickets.len() * 6 / 10, "mostly P3/P4");
    let services: BTreeSet<&str> = tickets.iter().map(|t| t.service_id.as_str()).collect();
    assert!(services.len() >= 6, "{services:?}");
    let customers: BTreeSet<&str> = tickets.iter().map(|t| t.customer.as_str()).collect();
    assert!(customers.len() >= 10, "{customers:?}");

    // Safety reports go straight to a human at T2 or above, as P2.
    let safety: Vec<_> = tickets.iter().filter(|t| t.history[0].text.contains("T2")).collect();
    assert!(!safety.is_empty());
    assert!(safety.iter().all(|t| t.priority == Priority::P2));
    // Outage reports link to an incident that was open when the customer wrote in.
    let outages: Vec<_> = tickets.iter().filter(|t| t.linked_incident.is_some()).collect();
    assert!(!outages.is_empty(), "no outage reports");
    for t in &outages {
        assert!(t.priority <= Priority::P2, "{} is {}", t.key, t.priority.label());
        let id = t.linked_incident.as_ref().unwrap();
        let incident = world.incidents.iter().find(|i| &i.id == id).expect("a real incident");
        assert!(incident.triggered_at <= t.created_at);
        assert!(incident.resolved_at.is_none_or(|at| at >= t.created_at), "{id} was over before {}", t.key);
        assert_eq!(incident.service_id, t.service_id);
    }
    // Feature questions are P4, billing and OCR questions come in too.
    assert!(tickets.iter().any(|t| t.service_id == "billing-meter"));
    assert!(tickets.iter().any(|t| t.service_id == "doc-processor" && t.subject.contains("OCR")));
    assert!(tickets.iter().any(|t| t.subject.ends_with('?') && t.priority == Priority::P4));
    // Every customer says what happened, with the subject's numbers and service filled in alike.
    for t in &tickets {
        let message = t.description.as_deref().unwrap_or_else(|| panic!("{} has no message", t.key));
        assert!(message.len() > t.subject.len() / 2 && !message.contains('{'), "{}: {message}", t.key);
    }
    let outage = outages.iter().find(|t| t.subject.contains("minutes")).map(|t| (&t.subject, &t.description));
    if let Some((subject, Some(message))) = outage {
        let n = subject.split(" minutes").next().and_then(|s| s.rsplit(' ').next()).unwrap_or_default();
        assert!(message.contains(&format!("{n} minutes")), "{subject} / {message}");
    }
}

#[test]
fn the_desk_works_tickets_through_their_whole_life() {
    let world = run_with(11, Pace::demo(), 2 * 3600);
    let tickets = live(&world);
    for kind in [
        TicketEventKind::Assigned,
        TicketEventKind::Responded,
        TicketEventKind::Pending,
        TicketEventKind::Resumed,
        TicketEventKind::Escalated,
        TicketEventKind::Resolved,
        TicketEventKind::Closed,
        TicketEventKind::Linked,
    ] {
        assert!(!events(&tickets, kind).is_empty(), "nobody did {}", kind.label());
    }
    assert!(tickets.iter().any(|t| t.tier >= Tier::T3), "some tickets reach the experts");
    assert!(events(&tickets, TicketEventKind::Assigned).iter().any(|e| e.actor == DESK_LEAD));
    let engineers: BTreeSet<&str> =
        events(&tickets, TicketEventKind::Responded).iter().map(|e| e.actor.as_str()).collect();
    assert!(engineers.len() >= 4, "{engineers:?}");
    assert!(engineers.iter().all(|e| is_desk(e)));
    // Pauses are closed again when the customer answers or the ticket is resolved.
    let paused = tickets.iter().filter(|t| !t.pauses.is_empty()).count();
    assert!(paused > 5);
    assert!(tickets.iter().all(|t| t.status == TicketStatus::Pending || t.pauses.iter().all(|p| p.to.is_some())));
    let done = tickets.iter().filter(|t| !t.is_open()).count();
    assert!(done > tickets.len() / 2, "only {done} of {} resolved", tickets.len());
}

#[test]
fn some_tickets_run_close_to_or_past_their_response_targets() {
    let end = t0() + Duration::seconds(2 * 3600);
    let world = run_with(11, Pace::demo(), 2 * 3600);
    let tickets = live(&world);
    let share = |t: &Ticket| {
        let target = rough_targets(t.priority).0 * 60;
        response_wait(t, end).num_seconds() as f64 / target as f64
    };
    let late = tickets.iter().filter(|t| share(t) >= 0.75).count();
    assert!(late >= 2, "only {late} tickets near their response target");
    assert!(
        tickets.iter().any(|t| t.priority <= Priority::P2 && share(t) >= 0.75),
        "an urgent ticket runs late while watching"
    );
    let on_time = tickets.iter().filter(|t| share(t) < 0.5).count();
    assert!(on_time > tickets.len() * 3 / 4, "most are answered well in time");
}

#[test]
fn arrivals_stop_at_the_open_ticket_bound_and_steps_stay_small() {
    let pace = Pace { ticket_gap: (1, 2), ..Pace::demo() };
    let world = run_with(5, pace, 1800);
    assert_eq!(world.max_open_tickets, pace.max_open_tickets, "the bound is reached and held");
    assert!(world.max_ops_per_step <= pace.max_ops_per_step);
}

#[test]
fn tickets_someone_in_the_console_owns_are_left_to_them() {
    let mut sim = Simulator::new(9, Pace::demo(), t0());
    let mut world = World::seeded(&mut sim, t0());
    let key = {
        let t = world.tickets.iter_mut().find(|t| t.is_open() && t.assignee.is_none()).unwrap();
        t.apply(&TicketAction::Take, "erin", t0()).unwrap();
        t.key.clone()
    };
    world.run(&mut sim, t0(), 3600);
    let touched = world.ops.iter().any(|op| matches!(op, SimOp::TicketAct { key: k, .. } if *k == key));
    assert!(!touched, "the simulator acted on erin's ticket");
}

#[test]
fn the_seeded_desk_has_tickets_in_every_state_and_clock() {
    let mut sim = Simulator::new(1, Pace::demo(), t0());
    let mut world = World::seeded(&mut sim, t0());
    let now = t0();
    let tickets: Vec<&Ticket> = world.tickets.iter().collect();
    for status in [TicketStatus::New, TicketStatus::Open, TicketStatus::Pending, TicketStatus::Resolved] {
        assert!(tickets.iter().any(|t| t.status == status), "no {} ticket", status.label());
    }
    assert!(tickets.iter().filter(|t| t.status == TicketStatus::Closed).count() >= 10);
    assert!(tickets.iter().all(|t| t.history.iter().all(|e| e.at <= now)));
    assert!(tickets.iter().all(|t| t.history.windows(2).all(|w| w[0].at <= w[1].at)), "history in order");
    // Pauses: one still waiting on the customer, others over.
    assert!(tickets.iter().any(|t| t.status == TicketStatus::Pending && t.pauses.last().unwrap().to.is_none()));
    assert!(tickets.iter().any(|t| t.is_open() && !t.pauses.is_empty() && t.pauses.iter().all(|p| p.to.is_some())));
    // Clocks: breached, close to the response target, close to the resolution target.
    let open: Vec<&&Ticket> = tickets.iter().filter(|t| t.is_open()).collect();
    let response = |t: &Ticket| response_wait(t, now).num_minutes() as f64 / rough_targets(t.priority).0 as f64;
    assert!(open.iter().filter(|t| response(t) > 1.0).count() >= 2, "breached response clocks");
    assert!(open.iter().any(|t| (0.75..1.0).contains(&response(t))), "a response clock near its target");
    let resolution = |t: &Ticket| (now - t.created_at).num_minutes() as f64 / rough_targets(t.priority).1 as f64;
    assert!(open.iter().any(|t| t.first_response_at.is_some() && (0.75..1.0).contains(&resolution(t))));
    // The urgent outage report links to an open incident.
    let p1 = open.iter().find(|t| t.priority == Priority::P1).expect("a P1 ticket");
    let incident = p1.linked_incident.as_ref().expect("linked to the outage");
    assert!(world.incidents.iter().any(|i| &i.id == incident && i.is_open()));
    assert!(tickets.iter().any(|t| t.tier == Tier::T2 && t.is_open()));

    // And the desk then works them without an impossible action.
    world.run(&mut sim, now, 1800);
    assert!(world.ops.iter().any(|op| matches!(op, SimOp::CloseTicket { .. })));
}
