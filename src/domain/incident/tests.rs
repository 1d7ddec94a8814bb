use super::*;
use crate::domain::escalation::EscalationLevel;
use chrono::TimeZone;

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap() + chrono::Duration::minutes(min)
}

fn policy() -> EscalationPolicy {
    EscalationPolicy {
        id: "genai".into(),
        name: "GenAI".into(),
        levels: Tier::ALL
            .iter()
            .map(|tier| EscalationLevel {
                tier: *tier,
                targets: vec![format!("oncall-{}", tier.label())],
                escalate_after_minutes: 5,
            })
            .collect(),
    }
}

fn incident() -> Incident {
    let new =
        NewIncident { title: "p95 latency breach".into(), service_id: "llm-gateway".into(), priority: Priority::P1 };
    Incident::trigger("INC-1".into(), new, "alertmanager", t(0), Some(&policy()))
}

fn ctx<'a>(actor: &'a str, min: i64, policy: &'a EscalationPolicy) -> ActionContext<'a> {
    ActionContext { actor, now: t(min), policy: Some(policy) }
}

#[test]
fn trigger_pages_the_first_tier() {
    let inc = incident();
    assert_eq!(inc.status, IncidentStatus::Triggered);
    assert_eq!(inc.tier, Tier::T1);
    assert_eq!(inc.assignee.as_deref(), Some("oncall-T1"));
    let kinds: Vec<_> = inc.timeline.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Triggered, EventKind::Notified]);
}

#[test]
fn a_suppressing_window_holds_the_page_until_released_and_an_escalation_pages_at_once() {
    let p = policy();
    let new = NewIncident { title: "5xx".into(), service_id: "llm-gateway".into(), priority: Priority::P1 };
    let hold = Suppression { window_id: "MW-3005".into(), until: t(40) };
    let mut inc = Incident::trigger_during("INC-2".into(), new.clone(), "am", t(0), Some(&p), Some(&hold));
    let kinds: Vec<_> = inc.timeline.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Triggered, EventKind::Suppressed], "nobody was paged");
    assert_eq!(
        inc.timeline[1].text,
        "suppressed by MW-3005 until 14:40 UTC: nobody paged; T1 is paged then if still unacknowledged"
    );
    assert_eq!((inc.assignee.as_deref(), inc.held_by()), (None, Some("MW-3005")));
    // The window ends: the page goes out, saying why only now; once.
    assert!(inc.release_page(t(40), Some(&p)));
    assert_eq!(inc.last_event().unwrap().kind, EventKind::Notified);
    assert_eq!(inc.last_event().unwrap().text, "paged oncall-T1 (T1 first response) now that MW-3005 is over");
    assert_eq!((inc.assignee.as_deref(), inc.version, inc.updated_at), (Some("oncall-T1"), 2, t(40)));
    assert!(inc.page_held().is_none() && !inc.release_page(t(41), Some(&p)));

    // Acknowledged during the window (someone saw it on the console): nothing to release.
    let mut seen = Incident::trigger_during("INC-3".into(), new.clone(), "am", t(0), Some(&p), Some(&hold));
    seen.apply(&IncidentAction::Acknowledge, ctx("dana", 5, &p)).unwrap();
    assert!(seen.page_held().is_none() && !seen.release_page(t(40), Some(&p)));
    // A person escalating it pages the next tier at once: that is a deliberate page.
    let mut pulled = Incident::trigger_during("INC-4".into(), new, "am", t(0), Some(&p), Some(&hold));
    pulled.apply(&IncidentAction::Escalate, ctx("dana", 5, &p)).unwrap();
    assert_eq!(pulled.last_event().unwrap().text, "paged oncall-T2 (T2 technical)");
    assert!(pulled.page_held().is_none());
}

#[test]
fn acknowledge_then_acknowledge_again_names_who_was_first() {
    let p = policy();
    let mut inc = incident();
    inc.apply(&IncidentAction::Acknowledge, ctx("dana", 2, &p)).unwrap();
    assert_eq!(inc.status, IncidentStatus::Acknowledged);
    assert_eq!(inc.version, 2);
    assert_eq!(inc.assignee.as_deref(), Some("dana"));
    let err = inc.apply(&IncidentAction::Acknowledge, ctx("sam", 3, &p)).unwrap_err();
    assert_eq!(err, Rejection::AlreadyAcknowledged { by: "dana".into(), at: t(2) });
    assert_eq!(
        err.describe("INC-1", t(2) + chrono::Duration::seconds(40)),
        "INC-1 already acknowledged by dana 40 s ago"
    );
    assert_eq!(inc.version, 2, "a rejected action changes nothing");
}

#[test]
fn escalation_walks_the_tiers_and_pages_again() {
    let p = policy();
    let mut inc = incident();
    inc.apply(&IncidentAction::Acknowledge, ctx("dana", 1, &p)).unwrap();
    for (i, tier) in [Tier::T2, Tier::T3, Tier::T4].into_iter().enumerate() {
        inc.apply(&IncidentAction::Escalate, ctx("dana", 2 + i as i64, &p)).unwrap();
        assert_eq!(inc.tier, tier);
        assert_eq!(inc.status, IncidentStatus::Triggered);
        assert_eq!(inc.assignee, Some(format!("oncall-{}", tier.label())));
    }
    assert_eq!(inc.apply(&IncidentAction::Escalate, ctx("dana", 9, &p)), Err(Rejection::AtTopTier));
}

#[test]
fn resolved_incidents_take_notes_but_no_transitions() {
    let p = policy();
    let mut inc = incident();
    inc.apply(&IncidentAction::Resolve, ctx("priya", 4, &p)).unwrap();
    for action in [IncidentAction::Acknowledge, IncidentAction::Escalate, IncidentAction::Resolve] {
        assert_eq!(
            inc.apply(&action, ctx("sam", 5, &p)),
            Err(Rejection::AlreadyResolved { by: "priya".into(), at: t(4) })
        );
    }
    inc.apply(&IncidentAction::Note { text: "  root cause: stale index  ".into() }, ctx("sam", 6, &p)).unwrap();
    assert_eq!(inc.last_event().unwrap().text, "root cause: stale index");
}

#[test]
fn empty_and_oversized_notes_are_rejected() {
    let p = policy();
    let mut inc = incident();
    assert!(inc.apply(&IncidentAction::Note { text: "   ".into() }, ctx("sam", 1, &p)).is_err());
    let long = "x".repeat(MAX_NOTE_CHARS + 1);
    assert!(inc.apply(&IncidentAction::Note { text: long }, ctx("sam", 1, &p)).is_err());
    assert_eq!(inc.version, 1);
}

#[test]
fn stars_mark_an_event_without_adding_one_and_refuse_a_missing_index() {
    let p = policy();
    let mut inc = incident();
    inc.apply(&IncidentAction::Resolve, ctx("priya", 4, &p)).unwrap();
    let events = inc.timeline.len();
    inc.apply(&IncidentAction::Star { event: 0, starred: true }, ctx("sam", 9, &p)).unwrap();
    assert!(inc.timeline[0].starred && !inc.timeline[1].starred);
    assert_eq!((inc.timeline.len(), inc.version, inc.updated_at), (events, 3, t(9)));
    inc.apply(&IncidentAction::Star { event: 0, starred: false }, ctx("sam", 10, &p)).unwrap();
    assert!(!inc.timeline[0].starred);
    let missing = inc.apply(&IncidentAction::Star { event: events, starred: true }, ctx("sam", 11, &p));
    let message = format!("event: there is no timeline event #{events} (the timeline has {events})");
    assert_eq!(missing, Err(Rejection::Invalid { message }));
    assert_eq!(inc.version, 4, "a refused star changes nothing");
    assert!(!IncidentAction::Star { event: 0, starred: true }.checks_version());
}

#[test]
fn priority_ranks_round_trip() {
    for p in Priority::ALL {
        assert_eq!(Priority::from_rank(p.rank().into()), Some(p));
    }
    assert_eq!(Priority::from_rank(0), None);
    assert_eq!(Priority::from_rank(5), None);
}

#[test]
fn reassigning_hands_the_incident_over_and_the_new_owner_must_acknowledge() {
    let p = policy();
    let mut inc = incident();
    inc.apply(&IncidentAction::Acknowledge, ctx("erin", 1, &p)).unwrap();
    let version = inc.version;
    inc.apply(&IncidentAction::Reassign { to: " dana ".into() }, ctx("erin", 2, &p)).unwrap();
    assert_eq!(inc.assignee.as_deref(), Some("dana"), "the name is trimmed");
    assert_eq!((inc.status, inc.acknowledged_at), (IncidentStatus::Triggered, None), "dana has not acknowledged");
    assert_eq!(inc.version, version + 1);
    let last = inc.last_event().unwrap();
    assert_eq!((last.kind, last.actor.as_str()), (EventKind::Reassigned, "erin"));
    assert_eq!(last.text, "reassigned to dana (from erin), who must acknowledge");
    // dana takes it: acknowledging works again, and names her.
    inc.apply(&IncidentAction::Acknowledge, ctx("dana", 3, &p)).unwrap();
    assert_eq!(inc.assignee.as_deref(), Some("dana"));

    // A triggered incident keeps paging; the text names who had it.
    let mut fresh = incident();
    fresh.apply(&IncidentAction::Reassign { to: "sam".into() }, ctx("dana", 1, &p)).unwrap();
    assert_eq!(fresh.last_event().unwrap().text, "reassigned to sam (from oncall-T1)");
}

#[test]
fn a_reassignment_needs_a_new_name_of_at_most_100_characters_and_an_open_incident() {
    let p = policy();
    let mut inc = incident();
    let refused = |inc: &Incident, to: &str| match inc.check(&IncidentAction::Reassign { to: to.into() }) {
        Err(Rejection::Invalid { message }) => message,
        other => panic!("{to:?}: {other:?}"),
    };
    assert_eq!(refused(&inc, "  "), "assign needs a name");
    assert_eq!(refused(&inc, &"x".repeat(101)), "a name is limited to 100 characters");
    assert_eq!(refused(&inc, "oncall-T1"), "already assigned to oncall-T1");
    assert!(inc.check(&IncidentAction::Reassign { to: "x".repeat(100) }).is_ok());
    assert!(IncidentAction::Reassign { to: "sam".into() }.checks_version(), "a handover is of what was seen");
    inc.apply(&IncidentAction::Resolve, ctx("erin", 1, &p)).unwrap();
    assert!(matches!(
        inc.check(&IncidentAction::Reassign { to: "sam".into() }),
        Err(Rejection::AlreadyResolved { by, .. }) if by == "erin"
    ));
}
