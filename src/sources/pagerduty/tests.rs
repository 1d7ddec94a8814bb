//! The PagerDuty source's configuration and mapping, without a network.

use chrono::{Duration, TimeZone, Utc};

use super::client::{self, LogEntry, Reference};
use super::*;
use crate::domain::{EventKind, IncidentStatus};

fn config(text: &str) -> Config {
    toml::from_str(text).expect("the config reads")
}

fn with_token(extra: &str) -> Config {
    // SAFETY-free: a variable only this test module reads.
    unsafe { std::env::set_var("OPSDECK_TEST_PD_TOKEN", "u+abc") };
    config(&format!("token_env = \"OPSDECK_TEST_PD_TOKEN\"\n{extra}"))
}

fn defaults() -> Settings {
    settings("pd", &with_token("from = \"bot@example.com\"")).unwrap().0
}

#[test]
fn defaults_follow_pagerduty() {
    let s = defaults();
    assert_eq!(s.url, DEFAULT_URL);
    assert_eq!(s.poll, Duration::seconds(30).to_std().unwrap());
    assert_eq!(s.rate_per_minute, 960);
    assert_eq!(s.priority(None, Some("high")), Priority::P2);
    assert_eq!(s.priority(None, Some("low")), Priority::P4);
    assert_eq!(s.priority(Some("P1"), Some("low")), Priority::P1);
    assert_eq!(s.priority(Some("P5"), None), Priority::P4);
    assert_eq!(s.priority(Some("Sev-unknown"), Some("high")), Priority::P2, "unknown names fall to urgency");
    assert_eq!([1, 2, 3, 4, 7].map(|l| s.tier(l)), [Tier::T1, Tier::T2, Tier::T3, Tier::T4, Tier::T4]);
    assert_eq!(Tier::ALL.map(|t| s.level(t)), [1, 2, 3, 4]);
}

#[test]
fn mappings_are_configured_and_every_mistake_names_its_key() {
    let s = settings(
        "pd",
        &with_token(
            "rate_per_minute = 300\nservices = [\"PSVC1\"]\n[urgency_priority]\nhigh = \"P1\"\n[priority_names]\nSEV1 = \"p1\"\n[level_tier]\n\"1\" = \"T1\"\n\"2\" = \"T1\"\n\"3\" = \"T2\"\n",
        ),
    )
    .unwrap()
    .0;
    assert_eq!(s.priority(None, Some("HIGH")), Priority::P1);
    assert_eq!(s.priority(Some("sev1"), None), Priority::P1);
    assert_eq!([1, 2, 3, 4].map(|l| s.tier(l)), [Tier::T1, Tier::T1, Tier::T2, Tier::T4]);
    assert_eq!(s.services, vec!["PSVC1".to_string()]);
    let fail = |extra: &str| settings("pd", &with_token(extra)).unwrap_err();
    assert!(fail("url = \"ftp://x\"").starts_with("url:"), "{}", fail("url = \"ftp://x\""));
    assert!(fail("from = \"not an email\"").starts_with("from:"));
    assert!(fail("poll = \"100ms\"").starts_with("poll:"));
    assert!(fail("rate_per_minute = 1").starts_with("rate_per_minute:"));
    assert!(fail("services = [\"a b\"]").starts_with("services:"));
    assert!(fail("[urgency_priority]\nhigh = \"P9\"").starts_with("urgency_priority.high:"));
    assert!(fail("[priority_names]\nSEV1 = \"x\"").starts_with("priority_names.SEV1:"));
    assert!(fail("[level_tier]\n\"x\" = \"T1\"").starts_with("level_tier.x:"));
    assert!(fail("[level_tier]\n\"2\" = \"T9\"").starts_with("level_tier.2:"));
    assert!(fail("[level_tier]\n\"1\" = \"T3\"\n\"2\" = \"T1\"").starts_with("level_tier:"));
    let none = settings("pd", &config("")).unwrap_err();
    assert!(none.starts_with("token_file:"), "{none}");
    assert!(toml::from_str::<Config>("colour = 1").unwrap_err().to_string().contains("colour"));
}

#[test]
fn the_kind_is_in_the_sources_list_and_its_errors_carry_file_line_and_key() {
    unsafe { std::env::set_var("OPSDECK_TEST_PD_TOKEN", "u+abc") };
    let ok = "[[sources]]\nkind = \"pagerduty\"\nname = \"pd\"\ntoken_env = \"OPSDECK_TEST_PD_TOKEN\"\n";
    let specs = crate::sources::config::parse(ok, std::path::Path::new("server.toml")).unwrap();
    assert_eq!(specs[0].kind, "pagerduty");
    let bad = format!("{ok}rate_per_minute = 0\n");
    let error = crate::sources::config::parse(&bad, std::path::Path::new("server.toml")).unwrap_err();
    assert_eq!(error.key.as_deref(), Some("sources.pd.rate_per_minute"));
    assert_eq!(error.line, Some(5));
}

fn pd_incident(json: serde_json::Value) -> client::Incident {
    serde_json::from_value(json).unwrap()
}

fn base() -> serde_json::Value {
    serde_json::json!({
        "id": "Q1ABC", "incident_number": 42, "title": "Disk full\u{1b}[31m on db-1", "status": "acknowledged",
        "urgency": "high", "html_url": "https://acme.pagerduty.com/incidents/Q1ABC",
        "created_at": "2026-06-01T10:00:00Z", "last_status_change_at": "2026-06-01T10:05:00Z",
        "service": {"id": "PSVC1", "summary": "payments", "type": "service_reference"},
        "escalation_policy": {"id": "PEP1", "summary": "Payments EP"},
        "assignments": [{"at": "2026-06-01T10:00:00Z", "assignee": {"id": "PU1", "summary": "Ana Lee"}},
                        {"at": "2026-06-01T10:00:00Z", "assignee": {"id": "PU2", "summary": "Bo Chen"}}],
        "acknowledgements": [{"at": "2026-06-01T10:05:00Z", "acknowledger": {"id": "PU1", "summary": "Ana Lee"}}],
        "some_new_field": {"ignored": true}
    })
}

#[test]
fn an_incident_maps_with_its_priority_assignee_service_and_acknowledgement() {
    let s = defaults();
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 11, 0, 0).unwrap();
    let incident = map::new_incident(&pd_incident(base()), &s, true, now);
    assert_eq!(incident.id, "PD-Q1ABC");
    assert_eq!(incident.source.as_deref(), Some("pd"));
    assert_eq!(incident.title, "Disk full on db-1", "escape sequences are stripped");
    assert_eq!(incident.priority, Priority::P2);
    assert_eq!(incident.status, IncidentStatus::Acknowledged);
    assert_eq!(incident.assignee.as_deref(), Some("Ana Lee"));
    assert_eq!(incident.service_id, "payments");
    assert_eq!(incident.tier, Tier::T1);
    assert_eq!(incident.acknowledged_at, Some(Utc.with_ymd_and_hms(2026, 6, 1, 10, 5, 0).unwrap()));
    let kinds: Vec<EventKind> = incident.timeline.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::Triggered, EventKind::Acknowledged]);
    assert!(incident.timeline[0].text.contains("#42") && incident.timeline[0].text.contains("/incidents/Q1ABC"));
    assert_eq!(incident.timeline[1].actor, "Ana Lee");
    let mut with_priority = base();
    with_priority["priority"] = serde_json::json!({"id": "PPR1", "name": "P1", "summary": "P1"});
    assert_eq!(map::new_incident(&pd_incident(with_priority), &s, true, now).priority, Priority::P1);
}

fn entry(kind: &str, at: &str, extra: serde_json::Value) -> LogEntry {
    let mut json = serde_json::json!({
        "id": format!("L{kind}{at}"), "type": kind, "summary": format!("{kind} summary"), "created_at": at,
        "agent": {"id": "PU2", "summary": "Bo Chen", "type": "user_reference"},
        "incident": {"id": "Q1ABC"}
    });
    json.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    serde_json::from_value(json).unwrap()
}

#[test]
fn log_entries_become_events_with_their_actors_and_escalations_move_the_tier() {
    let s = defaults();
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 11, 0, 0).unwrap();
    let mut incident = map::new_incident(&pd_incident(base()), &s, false, now);
    let entries = [
        entry("trigger_log_entry", "2026-06-01T10:00:00Z", serde_json::json!({})),
        entry(
            "notify_log_entry",
            "2026-06-01T10:00:10Z",
            serde_json::json!({"user": {"id": "PU1", "summary": "Ana Lee"}}),
        ),
        entry(
            "escalate_log_entry",
            "2026-06-01T10:20:00Z",
            serde_json::json!({"assignees": [{"id": "PU3", "summary": "Cy"}]}),
        ),
        entry("annotate_log_entry", "2026-06-01T10:21:00Z", serde_json::json!({"note": "rolling back"})),
        entry(
            "assign_log_entry",
            "2026-06-01T10:22:00Z",
            serde_json::json!({"assignees": [{"id": "PU1", "summary": "Ana"}, {"id": "PU3", "summary": "Cy"}]}),
        ),
        entry("snooze_log_entry", "2026-06-01T10:23:00Z", serde_json::json!({})),
        entry("resolve_log_entry", "2026-06-01T10:30:00Z", serde_json::json!({"agent": null})),
    ];
    let refs: Vec<&LogEntry> = entries.iter().collect();
    assert!(map::apply_entries(&mut incident, &refs, &s));
    let got: Vec<(EventKind, &str, &str)> =
        incident.timeline.iter().map(|e| (e.kind, e.actor.as_str(), e.text.as_str())).collect();
    assert_eq!(got[0].0, EventKind::Triggered, "the trigger entry is the trigger already there");
    assert_eq!(got[1], (EventKind::Notified, "Bo Chen", "notified Ana Lee"));
    assert_eq!(got[2], (EventKind::Escalated, "Bo Chen", "escalated to Cy"));
    assert_eq!(got[3], (EventKind::Note, "Bo Chen", "rolling back"));
    assert_eq!(got[4], (EventKind::Reassigned, "Bo Chen", "reassigned to Ana, Cy"));
    assert_eq!(got[5], (EventKind::Note, "Bo Chen", "other: snooze_log_entry summary"));
    assert_eq!(got[6], (EventKind::Resolved, "pd", "resolve_log_entry summary"));
    assert_eq!(incident.tier, Tier::T2);
    // The same entries again add nothing (an overlap, or the action opsdeck recorded itself).
    assert!(!map::apply_entries(&mut incident, &refs, &s));
    assert_eq!(incident.tier, Tier::T2);
}

#[test]
fn state_changes_are_applied_and_an_unchanged_incident_is_not_written() {
    let s = defaults();
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 11, 0, 0).unwrap();
    let pd = pd_incident(base());
    let mut incident = map::new_incident(&pd, &s, true, now);
    assert!(!map::apply_state(&mut incident, &pd, &s, now));
    let mut resolved = base();
    resolved["status"] = "resolved".into();
    resolved["resolved_at"] = "2026-06-01T10:40:00Z".into();
    assert!(map::apply_state(&mut incident, &pd_incident(resolved), &s, now));
    assert_eq!(incident.status, IncidentStatus::Resolved);
    assert_eq!(incident.resolved_at, Some(Utc.with_ymd_and_hms(2026, 6, 1, 10, 40, 0).unwrap()));
}

#[test]
fn ids_services_policies_and_error_bodies() {
    assert_eq!(map::parse_id("PD-Q1ABC"), Some("Q1ABC"));
    assert_eq!(map::parse_id("AM-Q1ABC"), None);
    assert_eq!(map::parse_id("PD-../x"), None);
    let policy: client::EscalationPolicy = serde_json::from_value(serde_json::json!({
        "id": "PEP1", "name": "Payments",
        "escalation_rules": [
            {"escalation_delay_in_minutes": 10, "targets": [{"id": "PU1", "summary": "Ana"}]},
            {"escalation_delay_in_minutes": 20, "targets": [{"id": "PS1", "summary": "DB on-call"}]}
        ]
    }))
    .unwrap();
    let policy = map::policy(&policy, &defaults());
    assert_eq!(policy.id, "pd-PEP1");
    assert_eq!(policy.levels.len(), 2);
    assert_eq!(policy.levels[1].tier, Tier::T2);
    assert_eq!(policy.levels[1].targets, vec!["DB on-call".to_string()]);
    let (message, code) = client::error_message(
        400,
        br#"{"error":{"message":"Invalid Input Provided","code":2001,"errors":["Offset must be less than 10000"]}}"#,
    );
    assert_eq!(message, "HTTP 400 Bad Request: Invalid Input Provided (Offset must be less than 10000) [code 2001]");
    assert_eq!(code, Some(2001));
    assert_eq!(client::error_message(429, b"").0, "HTTP 429 Too Many Requests");
    assert_eq!(Reference { id: "PU1".into(), summary: None, kind: None }.label(), "PU1");
}

#[test]
fn actions_are_carried_when_writes_are_possible() {
    use crate::server::sources::Support;
    assert_eq!(actions::support(&IncidentAction::Acknowledge, true), Support::Carried);
    assert!(matches!(actions::support(&IncidentAction::Resolve, false), Support::Refused(_)));
    assert!(matches!(
        actions::support(&IncidentAction::Star { event: 0, starred: true }, false),
        Support::OpsdeckOnly(_)
    ));
    assert_eq!(actions::note_content(" rolling back ", "dana"), "rolling back — dana (opsdeck)");
}
