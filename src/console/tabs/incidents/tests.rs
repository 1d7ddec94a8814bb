use super::*;
use crate::domain::{IncidentAction, IncidentStatus, NewIncident, Priority};
use chrono::{DateTime, TimeZone, Utc};

fn at(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap() + chrono::Duration::minutes(min)
}

fn inc(id: &str, priority: Priority, min: i64, title: &str) -> Incident {
    let new = NewIncident { title: title.into(), service_id: "llm-gateway".into(), priority };
    Incident::trigger(id.into(), new, "am", at(min), None)
}

fn ids(tab: &IncidentsTab) -> Vec<String> {
    tab.visible_rows(0, usize::MAX).map(|r| r.id().to_string()).collect()
}

fn entry(id: &str, action: IncidentAction, base: i64) -> OutboxEntry {
    OutboxEntry {
        key: format!("k-{id}"),
        target_id: id.into(),
        action: Command::Incident(action),
        base_version: base,
        epoch: None,
        created_at: at(30),
        attempts: 0,
        last_error: None,
    }
}

fn sample() -> IncidentsTab {
    IncidentsTab::new(
        vec![
            inc("INC-1", Priority::P3, 0, "token cost anomaly"),
            inc("INC-2", Priority::P1, 1, "provider outage 429"),
            inc("INC-3", Priority::P1, 5, "safety filter bypass"),
            inc("INC-4", Priority::P2, 2, "hallucination rate"),
        ],
        4,
    )
}

#[test]
fn sorted_by_priority_then_newest_first() {
    assert_eq!(ids(&sample()), ["INC-3", "INC-2", "INC-4", "INC-1"]);
}

/// An acknowledged P1 has someone on it; a triggered one is still paging: it comes first,
/// even when it is older.
#[test]
fn triggered_incidents_come_before_acknowledged_ones_of_their_priority() {
    let mut tab = sample();
    let mut acked = tab.row("INC-3").unwrap().confirmed().into_owned();
    acked.status = IncidentStatus::Acknowledged;
    acked.version += 1;
    tab.upsert_many(vec![acked]);
    assert_eq!(ids(&tab), ["INC-2", "INC-3", "INC-4", "INC-1"]);
}

#[test]
fn resolved_incidents_sink_below_open_ones() {
    let mut tab = sample();
    let mut resolved = tab.row("INC-3").unwrap().confirmed().into_owned();
    resolved.status = IncidentStatus::Resolved;
    resolved.resolved_at = Some(at(9));
    resolved.version += 1;
    tab.upsert_many(vec![resolved]);
    assert_eq!(ids(&tab), ["INC-2", "INC-4", "INC-1", "INC-3"]);
    assert_eq!(tab.open_count(), 3);
}

#[test]
fn older_versions_are_ignored_and_new_ids_reported() {
    let mut tab = sample();
    let stale = inc("INC-2", Priority::P4, 1, "old");
    let mut newer = tab.row("INC-2").unwrap().confirmed().into_owned();
    newer.version = 3;
    newer.title = "provider outage, failover started".into();
    assert!(tab.upsert_many(vec![newer]).is_empty());
    let new = tab.upsert_many(vec![stale, inc("INC-9", Priority::P4, 9, "embedding drift")]);
    assert_eq!(new, ["INC-9"]);
    assert_eq!(tab.row("INC-2").unwrap().confirmed().title, "provider outage, failover started");
}

#[test]
fn filter_matches_all_terms_and_keeps_the_selection() {
    let mut tab = sample();
    tab.move_by(1, 10);
    assert_eq!(tab.selected_id(), Some("INC-2"));
    tab.set_filter("P1  OUTAGE");
    assert_eq!(ids(&tab), ["INC-2"]);
    assert_eq!(tab.selected_id(), Some("INC-2"));
    tab.set_filter("p1");
    assert_eq!(ids(&tab), ["INC-3", "INC-2"]);
    assert_eq!(tab.selected_id(), Some("INC-2"), "the selection follows the incident");
    tab.set_filter("nothing matches this");
    assert_eq!(tab.visible_len(), 0);
    assert_eq!(tab.selected_id(), None);
    tab.set_filter("");
    assert_eq!(tab.visible_len(), 4);
}

#[test]
fn typing_a_filter_key_by_key_shows_what_setting_it_at_once_does() {
    for text in ["p1 outage", "inc-3", "P1 Outage 42", "zz"] {
        let mut typed = sample();
        for end in 1..=text.len() {
            typed.set_filter(&text[..end]);
        }
        let mut at_once = sample();
        at_once.set_filter(text);
        assert_eq!(ids(&typed), ids(&at_once), "{text:?}");
        typed.set_filter(&text[..1]);
        at_once.set_filter(&text[..1]);
        assert_eq!(ids(&typed), ids(&at_once), "{text:?} deleted back to one key");
    }
}

#[test]
fn selection_scrolls_the_viewport() {
    let many: Vec<Incident> = (0..50).map(|i| inc(&format!("INC-{i:02}"), Priority::P2, i, "x")).collect();
    let mut tab = IncidentsTab::new(many, 50);
    tab.move_by(12, 10);
    assert_eq!((tab.selected_index(), tab.offset()), (12, 3));
    tab.move_by(-100, 10);
    assert_eq!((tab.selected_index(), tab.offset()), (0, 0));
    tab.select_last(10);
    assert_eq!((tab.selected_index(), tab.offset()), (49, 40));
}

#[test]
fn queued_actions_show_optimistically_and_clear_on_confirmation() {
    let mut tab = sample();
    let pending = [entry("INC-2", IncidentAction::Acknowledge, 1)];
    tab.apply_pending("INC-2", pending.iter(), "you", None);
    let row = tab.row("INC-2").unwrap();
    assert_eq!(row.incident().status, IncidentStatus::Acknowledged);
    assert_eq!(row.confirmed().status, IncidentStatus::Triggered);
    assert_eq!(row.pending(), ["acknowledge"]);
    let mut confirmed = row.confirmed().into_owned();
    tab.set_filter("acknowledged");
    assert_eq!(ids(&tab), ["INC-2"], "filtering uses what is shown");

    confirmed.apply(&IncidentAction::Acknowledge, ActionContext { actor: "you", now: at(31), policy: None }).unwrap();
    tab.upsert_many(vec![confirmed]);
    let row = tab.row("INC-2").unwrap();
    assert!(row.pending().is_empty() && !row.has_shown());
}

#[test]
fn hostile_strings_are_sanitised_on_the_way_in() {
    let tab =
        IncidentsTab::new(vec![inc("INC-7", Priority::P1, 0, "Hostile \u{1b}]52;c;aGk=\u{7}title \u{1b}[31mred")], 1);
    assert_eq!(tab.row("INC-7").unwrap().confirmed().title, "Hostile title red");
}

#[test]
fn a_big_batch_is_sorted_the_same_as_one_by_one() {
    let incidents: Vec<Incident> =
        (0..300).map(|i| inc(&format!("INC-{i}"), Priority::ALL[(i * 7 % 4) as usize], (i * 13) % 97, "t")).collect();
    let batch = IncidentsTab::new(incidents.clone(), 0);
    let mut one_by_one = IncidentsTab::default();
    for incident in incidents {
        one_by_one.upsert_many(vec![incident]);
    }
    assert_eq!(ids(&batch), ids(&one_by_one));
}
