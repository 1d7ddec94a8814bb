//! Snapshots of what the console shows of the server's sources, through the real state and
//! views at 80×24 and 160×48: a stale source in the header (nothing when all are fine), the
//! Source column of the Incidents list on wide terminals when an incident on screen has a source,
//! the source in an incident's detail, and `/` matching a source's name.

#[path = "support/harness.rs"]
#[allow(unused_macros)]
mod harness;

use chrono::Duration;

use harness::{Harness, now};
use opsdeck::api::{Change, SourceStatus};
use opsdeck::console::event::Event;
use opsdeck::domain::{Incident, NewIncident, Priority};

fn source(name: &str, stale: bool) -> SourceStatus {
    SourceStatus {
        name: name.into(),
        kind: "alertmanager".into(),
        stale,
        last_ok_at: Some(now() - Duration::minutes(3)),
        last_error: stale.then(|| "cannot connect to 127.0.0.1:9093 (connection refused)".into()),
        last_error_at: stale.then(now),
        backoff_until: None,
        failures: u32::from(stale) * 4,
        runs_here: true,
    }
}

/// Two incidents from `prod-am` among the seeded ones.
fn from_source() -> Vec<Change> {
    ["a1f3c9e2", "7be04d15"]
        .iter()
        .enumerate()
        .map(|(i, fingerprint)| {
            let new = NewIncident {
                title: format!("GPUMemoryHigh on inference-{i}"),
                service_id: "llm-gateway".into(),
                priority: Priority::P1,
            };
            let mut incident =
                Incident::trigger(format!("AM-{fingerprint}"), new, "prod-am", now() - Duration::minutes(2), None);
            incident.source = Some("prod-am".into());
            Change::Incident(incident)
        })
        .collect()
}

fn harness(width: u16, height: u16, sources: Vec<SourceStatus>) -> Harness {
    let mut harness = Harness::new(width, height);
    harness.event(opsdeck::fixtures::synced(now(), "fixture", false, from_source()));
    harness.event(Event::Sources(sources));
    harness
}

#[test]
fn a_stale_source_is_in_the_header_and_sources_in_the_list() {
    for (width, height) in [(80, 24), (160, 48)] {
        let mut harness = harness(width, height, vec![source("prod-am", true), source("prod-prom", false)]);
        let screen = harness.screen();
        let header = screen.lines().next().unwrap_or_default();
        assert!(header.contains("prod-am stale 3m"), "{width}: {header}");
        assert_eq!(screen.contains("Source"), width >= 120, "{width}:\n{screen}");
        insta::assert_snapshot!(format!("sources_stale_{width}x{height}"), screen);
    }
}

#[test]
fn all_sources_fine_adds_nothing_to_the_header() {
    let mut fine = harness(160, 48, vec![source("prod-am", false)]);
    let mut none = harness(160, 48, vec![]);
    let (fine, none) = (fine.screen(), none.screen());
    assert_eq!(fine.lines().next(), none.lines().next());
    assert!(!fine.lines().next().unwrap_or_default().contains("prod-am"), "{fine}");
}

#[test]
fn an_incidents_detail_names_its_source_and_the_filter_finds_it() {
    for (width, height) in [(80, 24), (160, 48)] {
        let mut harness = harness(width, height, vec![source("prod-am", false)]);
        harness.press("/prod-am<Enter>");
        let screen = harness.screen();
        assert!(screen.contains("AM-a1f3c9e2") && screen.contains("AM-7be04d15"), "{screen}");
        assert!(!screen.contains("INC-10"), "only the source's incidents: {screen}");
        harness.press("<Enter>");
        let detail = harness.screen();
        assert!(detail.contains("from prod-am"), "{detail}");
        insta::assert_snapshot!(format!("sources_detail_{width}x{height}"), detail);
    }
}

/// What the server did on its own with an action (its source cannot do it) is said in the
/// status line after the action.
#[test]
fn a_notice_from_the_server_is_shown_in_the_status_line() {
    let mut harness = harness(120, 30, vec![source("prod-am", false)]);
    harness.event(Event::Notice {
        target_id: "AM-a1f3c9e2".into(),
        text: "Alertmanager has no escalation; escalated in opsdeck only".into(),
    });
    let screen = harness.screen();
    let footer = screen.lines().last().unwrap_or_default();
    assert!(footer.contains("AM-a1f3c9e2: Alertmanager has no escalation; escalated in opsdeck only"), "{screen}");
}
