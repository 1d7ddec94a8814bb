//! The body a new postmortem starts from, rendered from the shipped template for a resolved
//! incident of the simulator's world (seed 7) with two key moments starred, its linked ticket
//! and one SLA breach; fixed clock, timeline in Europe/Berlin.
//!
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test --test
//! postmortem_template` and read the diff).

use chrono::{DateTime, Duration, TimeZone, Utc};

use opsdeck::domain::postmortem::{PostmortemDraft, action_items, validate};
use opsdeck::domain::postmortem_template::{SlaBreach, TEMPLATE, TemplateInput, render, title};
use opsdeck::domain::{EventKind, IncidentStatus};
use opsdeck::fixtures::{seeded_incidents, seeded_tickets};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

#[test]
fn a_resolved_seeded_incident_fills_the_template() {
    let tickets = seeded_tickets(now());
    let mut incidents = seeded_incidents(7, now());
    // The resolved incident the desk's tickets link to (INC-1001 for seed 7).
    let incident = incidents
        .iter_mut()
        .find(|i| {
            i.status == IncidentStatus::Resolved && tickets.iter().any(|t| t.linked_incident == Some(i.id.clone()))
        })
        .expect("a resolved incident with a linked ticket");
    assert_eq!(incident.id, "INC-1001");
    for event in &mut incident.timeline {
        event.starred = matches!(event.kind, EventKind::Escalated | EventKind::Note);
    }
    let incident = &*incident;
    let resolved_in = incident.resolved_at.expect("resolved") - incident.triggered_at;
    // A team target stricter than the default policy's 4h: a safety-filter P1 is resolved within 1h.
    let target = Duration::hours(1);
    let input = TemplateInput {
        incident,
        tickets: tickets.iter().filter(|t| t.linked_incident.as_deref() == Some(incident.id.as_str())).collect(),
        breaches: vec![SlaBreach {
            id: incident.id.clone(),
            clock: "resolution",
            target,
            overdue_by: resolved_in - target,
        }],
        tz: chrono_tz::Europe::Berlin,
        now: now(),
    };
    assert_eq!(input.tickets.len(), 1);

    let body = render(TEMPLATE, &input);
    let title = title(incident);
    assert_eq!(
        title,
        "Postmortem: Safety filter bypass: jailbreak prompts passing moderation (35 in the last hour) (INC-1001)"
    );
    assert!(!body.contains("{{"), "an unfilled placeholder");
    assert!(action_items(&body).is_empty(), "the template's example lines became action items");
    assert_eq!(validate(&PostmortemDraft { title, body: body.clone() }), Ok(()), "the draft cannot be saved");
    insta::assert_snapshot!("postmortem_inc_1001", body);
}
