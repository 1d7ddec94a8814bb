mod update;

use super::*;
use crate::domain::{NewTicket, Priority, TicketAction, Tier};
use chrono::{DateTime, TimeZone, Utc};

fn at(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap() + chrono::Duration::minutes(min)
}

fn ticket(key: &str, priority: Priority, min: i64) -> Ticket {
    let new = NewTicket {
        subject: format!("subject of {key}"),
        customer: "Contoso".into(),
        service_id: "support-assistant".into(),
        priority,
        tier: Tier::T1,
        linked_incident: None,
        description: None,
    };
    Ticket::open(key.into(), new, "portal", at(min))
}

fn keys(tab: &TicketsTab) -> Vec<&str> {
    tab.visible_rows(0, usize::MAX).map(|r| r.id()).collect()
}

#[test]
fn the_queue_is_sorted_by_time_to_breach() {
    let policy = SlaPolicy::default_policy();
    // P1 responds in 15 min, P2 in 1 h: the older P2 still breaches after the newer P1.
    let mut resolved = ticket("SUP-4", Priority::P1, -5);
    resolved.apply(&TicketAction::Resolve, "dana", at(-1)).unwrap();
    let tab = TicketsTab::new(
        vec![ticket("SUP-1", Priority::P2, -30), ticket("SUP-2", Priority::P1, 0), resolved],
        0,
        &policy,
    );
    assert_eq!(keys(&tab), ["SUP-2", "SUP-1", "SUP-4"]);
}

#[test]
fn pending_goes_below_running_clocks_and_queued_actions_show_at_once() {
    let policy = SlaPolicy::default_policy();
    let mut tab = TicketsTab::new(vec![ticket("SUP-1", Priority::P2, 0), ticket("SUP-2", Priority::P2, 1)], 0, &policy);
    assert_eq!(keys(&tab), ["SUP-1", "SUP-2"]);
    let entry = OutboxEntry {
        key: "k1".into(),
        target_id: "SUP-1".into(),
        action: Command::Ticket(TicketAction::Pending),
        base_version: 1,
        epoch: None,
        created_at: at(2),
        attempts: 0,
        last_error: None,
    };
    tab.apply_pending("SUP-1", [&entry].into_iter(), "dana", &policy);
    assert_eq!(keys(&tab), ["SUP-2", "SUP-1"]);
    let row = tab.row("SUP-1").unwrap();
    assert_eq!((row.ticket().status.label(), row.pending().to_vec()), ("pending", vec!["set pending"]));
    tab.set_filter("sup-1 pending");
    assert_eq!(keys(&tab), ["SUP-1"]);
}

#[test]
fn hostile_text_is_made_inert() {
    let policy = SlaPolicy::default_policy();
    let mut t = ticket("SUP-1", Priority::P3, 0);
    t.subject = "\u{1b}]52;c;ZXZpbA==\u{7}refund".into();
    t.description = Some("line one\r\n\u{1b}[2Jline two".into());
    let tab = TicketsTab::new(vec![t], 0, &policy);
    assert_eq!(tab.row("SUP-1").unwrap().confirmed().subject, "refund");
    assert_eq!(tab.row("SUP-1").unwrap().confirmed().description.as_deref(), Some("line one line two"));
}

/// The open count is kept as rows change: it equals counting every row after new tickets,
/// newer versions that resolve or reopen, queued actions shown and withdrawn, and a clear.
#[test]
fn the_open_count_is_kept_as_rows_change() {
    let policy = SlaPolicy::default_policy();
    let counted = |tab: &TicketsTab| tab.rows().filter(|r| r.ticket().is_open()).count();
    let mut tab = TicketsTab::new((0..6).map(|i| ticket(&format!("SUP-{i}"), Priority::P3, -i)).collect(), 0, &policy);
    assert_eq!((tab.open_count(), counted(&tab)), (6, 6));
    let mut resolved = tab.row("SUP-2").unwrap().confirmed().into_owned();
    resolved.apply(&TicketAction::Resolve, "dana", at(1)).unwrap();
    resolved.version += 1;
    let mut stale = resolved.clone();
    stale.version -= 1;
    tab.upsert_many(vec![resolved, ticket("SUP-9", Priority::P1, 0), stale], &policy);
    assert_eq!((tab.open_count(), counted(&tab)), (6, 6), "one resolved, one new, an old version ignored");
    let resolve = OutboxEntry {
        key: "k1".into(),
        target_id: "SUP-1".into(),
        action: Command::Ticket(TicketAction::Resolve),
        base_version: 1,
        epoch: None,
        created_at: at(2),
        attempts: 0,
        last_error: None,
    };
    tab.apply_pending("SUP-1", [&resolve].into_iter(), "dana", &policy);
    assert_eq!((tab.open_count(), counted(&tab)), (5, 5), "a queued resolve shows at once");
    tab.apply_pending("SUP-1", std::iter::empty(), "dana", &policy);
    assert_eq!((tab.open_count(), counted(&tab)), (6, 6), "withdrawn, it is open again");
    tab.clear();
    assert_eq!((tab.open_count(), counted(&tab)), (0, 0));
}
