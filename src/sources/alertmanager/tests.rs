//! Unit tests of the Alertmanager source: decoding bodies as Alertmanager 0.25 writes them,
//! errors in their three forms, the configuration, and the mapping of alerts and silences.

use std::collections::HashMap;

use chrono::{Duration, TimeZone, Utc};

use super::client::{Alert, NewSilence, Silence, decode_alerts, decode_silences, error_message};
use super::map::{fingerprint_key, incident_id, observe_alert, parse_id, resolve, service, title};
use super::silences::{planned, silence_window, silenced_services};
use super::{Config, Settings, settings};
use crate::domain::{EventKind, Incident, IncidentStatus, MaintenanceKind, MaintenanceWindow, NewIncident, Priority};

/// Bodies exactly as Alertmanager 0.25 (Debian 12) answered on this machine.
const ALERTS_025: &str = r#"[{"annotations":{"summary":"s"},"endsAt":"2026-12-02T00:57:33.765Z","fingerprint":"85e92aebb4e7fb0e","receivers":[{"name":"default"}],"startsAt":"2026-12-02T00:52:33.765Z","status":{"inhibitedBy":[],"silencedBy":["58d14ae6-b202-455b-a165-366fbfbf5ab4"],"state":"suppressed"},"updatedAt":"2026-12-02T00:52:33.765Z","labels":{"alertname":"X","service":"a"}}]"#;
const SILENCES_025: &str = r#"[{"id":"58d14ae6-b202-455b-a165-366fbfbf5ab4","status":{"state":"active"},"updatedAt":"2026-12-02T00:52:33.776Z","comment":"c","createdBy":"sam","endsAt":"2030-01-01T00:00:00.000Z","matchers":[{"isEqual":true,"isRegex":false,"name":"service","value":"a"}],"startsAt":"2026-12-02T00:52:33.776Z"}]"#;

fn config(extra: &str) -> Config {
    toml::from_str(&format!("url = \"http://127.0.0.1:9093\"\n{extra}")).expect("config")
}

fn defaults() -> Settings {
    settings("prod-am", &config("")).unwrap().0
}

fn alerts() -> Vec<Alert> {
    decode_alerts(ALERTS_025.as_bytes()).unwrap().alerts
}

fn silences() -> HashMap<String, Silence> {
    decode_silences(SILENCES_025.as_bytes()).unwrap().into_iter().map(|s| (s.id.clone(), s)).collect()
}

#[test]
fn alerts_of_0_25_decode_without_muted_by_and_a_malformed_one_is_skipped_and_named() {
    let alert = &alerts()[0];
    assert_eq!(alert.fingerprint, "85e92aebb4e7fb0e");
    assert_eq!(alert.status.silenced_by, ["58d14ae6-b202-455b-a165-366fbfbf5ab4"]);
    assert!(alert.status.muted_by.is_empty());
    // A later version's fields are ignored; a broken alert is named, the others kept.
    let body = r#"[{"fingerprint":"aa11","labels":{"a":"b"},"startsAt":"2026-12-02T00:00:00Z","status":{"state":"active","silencedBy":[],"inhibitedBy":[],"mutedBy":["weekends"]},"newField":1},
        {"fingerprint":"bb22","labels":"not a map","startsAt":"2026-12-02T00:00:00Z"},
        {"labels":{}}]"#;
    let decoded = decode_alerts(body.as_bytes()).unwrap();
    assert_eq!(decoded.alerts.len(), 1);
    assert_eq!(decoded.alerts[0].status.muted_by, ["weekends"]);
    assert_eq!(decoded.skipped.len(), 2, "{:?}", decoded.skipped);
    assert!(decoded.skipped[0].starts_with("alert bb22 skipped: "), "{}", decoded.skipped[0]);
    assert!(decoded.skipped[1].starts_with("alert #3 skipped: "), "{}", decoded.skipped[1]);
    assert!(decode_alerts(b"{\"not\":\"a list\"}").unwrap_err().contains("not a list of alerts"));
    let silence = &silences()["58d14ae6-b202-455b-a165-366fbfbf5ab4"];
    assert_eq!((silence.created_by.as_str(), silence.is_live()), ("sam", true));
}

#[test]
fn errors_in_all_three_forms_become_one_line() {
    let object = error_message(422, br#"{"code":602,"message":"0.labels in body is required"}"#);
    assert_eq!(object, "HTTP 422 Unprocessable Entity: 0.labels in body is required (code 602)");
    let string = error_message(400, b"\"bad matcher format: foo\"\n");
    assert_eq!(string, "HTTP 400 Bad Request: bad matcher format: foo");
    assert_eq!(error_message(404, b""), "HTTP 404 Not Found");
    let hostile = error_message(500, "boom\n\u{1b}[2Jagain".as_bytes());
    assert_eq!(hostile, "HTTP 500 Internal Server Error: boom again");
    assert!(error_message(502, "x".repeat(1000).as_bytes()).chars().count() < 240, "cut short");
}

#[test]
fn the_config_has_defaults_and_every_mistake_names_its_key() {
    let s = defaults();
    assert_eq!((s.poll.as_secs(), s.service_label.as_str(), s.priority_label.as_str()), (5, "service", "severity"));
    assert_eq!(s.silence_horizon, Duration::days(7));
    assert_eq!(s.priority(Some("critical")), Priority::P1);
    assert_eq!(s.priority(Some("High")), Priority::P2);
    assert_eq!(s.priority(Some("warning")), Priority::P3);
    assert_eq!(s.priority(Some("info")), Priority::P4);
    assert_eq!(s.priority(Some("whatever")), Priority::P3);
    assert_eq!(s.priority(None), Priority::P3);
    let custom = settings("am", &config("poll = 2\n[priorities]\nwarning = \"p2\"")).unwrap().0;
    assert_eq!((custom.poll.as_secs(), custom.priority(Some("warning"))), (2, Priority::P2));
    let err = |extra: &str| settings("am", &config(extra)).unwrap_err();
    // A duration that does not read is refused with the table, naming its key (and, through
    // `[[sources]]`, its line).
    let soon = toml::from_str::<Config>("url = \"http://a:1\"\npoll = \"soon\"").unwrap_err().to_string();
    assert!(soon.contains("poll") && soon.contains("soon"), "{soon}");
    assert!(err("[priorities]\ncritical = \"P0\"").contains("priorities.critical: `P0`"));
    assert!(err("service_label = \"a b\"").contains("service_label: `a b` is not a label name"));
    assert!(err("silence_horizon = \"10m\"").contains("silence_horizon"));
    let bad_url = settings("am", &toml::from_str("url = \"ftp://x\"").unwrap()).unwrap_err();
    assert!(bad_url.contains("url: `ftp://x`"), "{bad_url}");
    let unknown = toml::from_str::<Config>("url = \"http://a:1\"\npassword = \"x\"").unwrap_err().to_string();
    assert!(unknown.contains("password"), "{unknown}");
}

#[test]
fn ids_come_from_the_fingerprint_and_a_refire_gets_a_suffix() {
    assert_eq!(fingerprint_key("85E92AEBB4E7FB0E"), "85e92aebb4");
    assert_eq!(incident_id("85e92aebb4", 1), "AM-85e92aebb4");
    assert_eq!(incident_id("85e92aebb4", 3), "AM-85e92aebb4-3");
    assert_eq!(parse_id("AM-85e92aebb4-3"), Some(("85e92aebb4", 3)));
    assert_eq!(parse_id("AM-85e92aebb4"), Some(("85e92aebb4", 1)));
    assert_eq!(parse_id("INC-1001"), None);
    assert_eq!(parse_id("AM-zz"), None);
    assert_eq!(parse_id("AM-85e9-1"), None, "the first has no suffix");
}

#[test]
fn title_and_service_come_from_annotations_and_labels_sanitised() {
    let s = defaults();
    let mut alert = alerts()[0].clone();
    assert_eq!((title(&alert), service(&alert, &s)), ("s".to_string(), "a".to_string()));
    alert.annotations.clear();
    alert.labels.insert("alertname".into(), "Disk\u{1b}]52;c;evil\u{7}Full\n".into());
    assert_eq!(title(&alert), "DiskFull");
    alert.labels.clear();
    assert_eq!(title(&alert), "alert 85e92aebb4");
    assert_eq!(service(&alert, &s), "alertmanager", "the default service");
}

fn open_incident() -> Incident {
    let at = Utc.with_ymd_and_hms(2026, 12, 2, 0, 52, 0).unwrap();
    let new = NewIncident { title: "s".into(), service_id: "a".into(), priority: Priority::P3 };
    let mut incident = Incident::trigger("AM-85e92aebb4".into(), new, "prod-am", at, None);
    incident.source = Some("prod-am".into());
    incident
}

#[test]
fn a_silence_and_its_end_are_recorded_once_each() {
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap();
    let mut incident = open_incident();
    let mut alert = alerts()[0].clone();
    assert!(observe_alert(&mut incident, &alert, &silences(), "prod-am", now));
    let event = incident.timeline.last().unwrap().clone();
    assert_eq!((event.kind, event.actor.as_str()), (EventKind::Suppressed, "sam"));
    assert!(event.text.starts_with("silenced in Alertmanager by sam until 2030-01-01 00:00 UTC"), "{}", event.text);
    assert_eq!(incident.page_held(), None, "a silence holds no page of opsdeck's");
    let version = incident.version;
    assert!(!observe_alert(&mut incident, &alert, &silences(), "prod-am", now), "idle: nothing changes");
    assert_eq!(incident.version, version);
    alert.status.silenced_by.clear();
    assert!(observe_alert(&mut incident, &alert, &silences(), "prod-am", now));
    assert_eq!(incident.timeline.last().unwrap().kind, EventKind::Note);
    assert!(!observe_alert(&mut incident, &alert, &silences(), "prod-am", now));
    assert!(resolve(&mut incident, now, "resolved in Alertmanager", "prod-am", now));
    assert_eq!(incident.status, IncidentStatus::Resolved);
    assert!(!resolve(&mut incident, now, "again", "prod-am", now), "resolved once");
}

fn window(services: &[&str], rrule: Option<&str>) -> MaintenanceWindow {
    let start = Utc.with_ymd_and_hms(2026, 12, 2, 22, 0, 0).unwrap();
    let new = crate::domain::NewMaintenance {
        title: "Patch".into(),
        kind: MaintenanceKind::Routine,
        services: services.iter().map(|s| s.to_string()).collect(),
        start,
        end: start + Duration::hours(2),
        timezone: "UTC".into(),
        rrule: rrule.map(str::to_string),
        exdates: Vec::new(),
        uid: None,
        description: String::new(),
        suppress_alerts: true,
        pause_sla: false,
    };
    MaintenanceWindow::create("MW-3001".into(), new, "dana", start - Duration::days(1))
}

#[test]
fn a_suppressing_window_plans_one_silence_per_occurrence_within_the_horizon() {
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap();
    let w = window(&["rag.retrieval", "llm-gateway"], Some("FREQ=DAILY"));
    let plan = planned(std::slice::from_ref(&w), "service", Duration::days(7), now);
    assert_eq!(plan.len(), 7);
    let first: &NewSilence = plan.values().next().unwrap();
    assert_eq!(first.matchers[0].value, "llm\\-gateway|rag\\.retrieval", "regex-escaped");
    assert!(first.matchers[0].is_regex);
    assert_eq!(first.created_by, "dana");
    assert!(
        first.comment.starts_with("opsdeck: maintenance MW-3001 from 2026-12-02T22:00:00Z to "),
        "{}",
        first.comment
    );
    // Time moving on brings the next occurrence in; cancelling or not suppressing plans none.
    let later = planned(std::slice::from_ref(&w), "service", Duration::days(7), now + Duration::days(1));
    assert!(later.keys().any(|c| c.contains("2026-12-09T22:00:00Z")));
    let mut off = w.clone();
    off.suppress_alerts = false;
    assert!(planned(&[off], "service", Duration::days(7), now).is_empty());
    let mut cancelled = w;
    cancelled.cancel("dana", now);
    assert!(planned(&[cancelled], "service", Duration::days(7), now).is_empty());
}

#[test]
fn a_hand_made_silence_is_a_read_only_window_of_kind_silence() {
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap();
    let mut silence = silences()["58d14ae6-b202-455b-a165-366fbfbf5ab4"].clone();
    let window = silence_window(&silence, "prod-am", "service", now);
    assert_eq!((window.id.as_str(), window.kind), ("AMS-58d14ae6", MaintenanceKind::Silence));
    assert_eq!((window.services.clone(), window.source.as_deref()), (vec!["a".to_string()], Some("prod-am")));
    assert!(window.description.contains("made in Alertmanager by sam"), "{}", window.description);
    let refused = window.check(&crate::domain::MaintenanceAction::Cancel).unwrap_err();
    assert!(refused.to_string().contains("made in Alertmanager; change it there"));
    silence.matchers =
        vec![super::client::Matcher::regex("service", "a|b-c"), super::client::Matcher::regex("service", ".*")];
    assert_eq!(silenced_services(&silence, "service"), ["a", "b-c"], "a regex of plain names only");
    // Old window documents (without `source`) still read.
    let mut doc = serde_json::to_value(&window).unwrap();
    doc.as_object_mut().unwrap().remove("source");
    let old: MaintenanceWindow = serde_json::from_value(doc).unwrap();
    assert_eq!(old.source, None);
}
