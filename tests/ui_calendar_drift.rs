//! Snapshots of the Drift and Calendar tabs and the maintenance banner, through the real state and
//! views (see `ui_snapshots.rs`).
//!
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test --test ui_calendar_drift`
//! and read the diff).

#[path = "support/harness.rs"]
#[macro_use]
mod harness;

use harness::{Harness, now};
#[test]
fn drift_tab_trend_with_deploys_and_incidents() {
    // query_length: the gradual shift, PSI climbing through the bands.
    both_sizes!("drift_trend", "4");
}

#[test]
fn drift_tab_new_category_distribution() {
    // detected_intent: `agent_handoff`, which the reference never had, as its own row.
    let mut harness = Harness::new(80, 24);
    harness.press("4fff<Left>v");
    let screen = harness.screen();
    assert!(screen.contains("agent_handoff"), "{screen}");
    insta::assert_snapshot!("drift_distribution_80x24", screen);
}

#[test]
fn drift_tab_quality_grid_and_p_values() {
    let mut harness = Harness::new(80, 24);
    harness.press("4vv");
    insta::assert_snapshot!("drift_quality_80x24", harness.screen());
    // embedding_norm's KS p-value around the 2.3.0 deploy, an earlier window selected.
    let mut harness = Harness::new(160, 48);
    harness.press("4ffs-<Left><Left><Left>");
    insta::assert_snapshot!("drift_pvalue_selected_160x48", harness.screen());
}

#[test]
fn drift_tab_at_seven_days_dates_every_time_and_labels_the_quality_axes() {
    let mut harness = Harness::new(160, 48);
    harness.press("4--");
    let screen = harness.screen();
    assert!(screen.contains("last 7 days"), "{screen}");
    assert!(screen.contains("▲ v2.3.0 Nov 04 08:00"), "deploys in the legend carry their date: {screen}");
    assert!(screen.contains("Oct 29 15:00 ─") && screen.contains("─ Nov 05 15:00"), "a time axis: {screen}");
    assert!(screen.contains("+ zoom in  - out"), "both zoom keys: {screen}");
    insta::assert_snapshot!("drift_week_160x48", screen);
}

#[test]
fn drift_tab_without_models_says_where_they_come_from() {
    let mut harness = Harness::new(80, 24);
    harness.event(opsdeck::fixtures::synced(now(), "another", true, vec![]));
    harness.press("4");
    let screen = harness.screen();
    assert!(screen.contains("No models yet"), "{screen}");
    insta::assert_snapshot!("drift_empty_80x24", screen);
}

#[test]
fn calendar_month_agenda_and_banner() {
    // The emergency patch running at `now` puts the banner on every tab.
    let mut harness = Harness::new(80, 24);
    let screen = harness.screen();
    assert!(screen.contains("MAINTENANCE: "), "{screen}");
    both_sizes!("calendar", "5");
}

#[test]
fn calendar_window_details_say_what_will_still_page() {
    both_sizes!("calendar_detail", "5<Enter>");
}

#[test]
fn calendar_next_month_shows_the_freeze() {
    let mut harness = Harness::new(80, 24);
    harness.press("5l");
    insta::assert_snapshot!("calendar_next_month_80x24", harness.screen());
}

#[test]
fn window_times_name_their_zone_and_a_running_window_says_until_when() {
    // Shown in Berlin, a window planned in Berlin: its own wall-clock times, named once.
    let mut harness = Harness::in_zone(80, 24, "Europe/Berlin");
    harness.press("5");
    let agenda = harness.screen();
    assert!(agenda.contains("until 15:40 CET"), "{agenda}");
    assert!(agenda.contains("Agenda · times in Europe/Berlin (UTC)"), "{agenda}");
    harness.press("j<Enter>");
    let routine = harness.screen();
    assert!(routine.contains("first Sat Nov 07 02:00 → 04:00 CET · repeats"), "{routine}");
    assert!(!routine.contains("where it is planned"), "{routine}");
    insta::assert_snapshot!("calendar_detail_berlin_80x24", routine);
    // Shown in New York, the running patch planned in Berlin: both zones, each named; running now.
    let mut harness = Harness::in_zone(80, 24, "America/New_York");
    harness.press("5<Enter>");
    let patch = harness.screen();
    assert!(patch.contains("Thu Nov 05 08:40 → 09:40 EST · 14:40 → 15:40 CET in Europe/Berlin"), "{patch}");
    assert!(patch.contains("running now, until Thu Nov 05 09:40 EST"), "{patch}");
    assert!(!patch.contains("next:"), "{patch}");
}

/// The window form as a commander fills it in: a title, an unknown service, a start that does not
/// parse, and a time zone that does not exist, after Enter.
const BAD_WINDOW: &str =
    "5nVector index rebuild<Tab><Tab>rag-retrieval, nope<Tab>25:99<Tab><Backspace><Backspace>90m<Tab>";

fn commander(width: u16, height: u16) -> Harness {
    let mut harness = Harness::new(width, height);
    harness.state.session.me = Some(opsdeck::api::Me { name: "dana".into(), role: opsdeck::api::Role::Commander });
    harness
}

#[test]
fn window_form_shows_every_problem_beside_its_field() {
    for (width, height) in [(80, 24), (160, 48)] {
        let mut harness = commander(width, height);
        harness.press(BAD_WINDOW);
        // Replace the prefilled zone (UTC) with one that does not exist.
        harness.press("<Backspace><Backspace><Backspace>Mars/Olympus<Enter>");
        let screen = harness.screen();
        assert!(screen.contains("nope") && screen.contains("Mars/Olympus"), "{screen}");
        insta::assert_snapshot!(format!("calendar_form_errors_{width}x{height}"), screen);
    }
}

#[test]
fn a_planned_window_shows_at_once_as_queued() {
    let mut harness = commander(80, 24);
    harness.press(
        "5nVector index rebuild<Tab><Tab>rag-retrieval<Tab>2026-11-07 18:00<Tab><Backspace><Backspace>90m<Enter>",
    );
    assert!(
        harness.state.modals.form().is_none(),
        "the form closed: {:?}",
        harness.state.modals.form().map(|f| f.errors())
    );
    let screen = harness.screen();
    assert!(screen.contains("⧗") && screen.contains("Vector index rebuild"), "{screen}");
    insta::assert_snapshot!("calendar_queued_window_80x24", screen);
}

#[test]
fn cancelling_a_window_asks_in_words_that_cannot_be_confused() {
    let mut harness = commander(80, 24);
    harness.press("5x");
    let screen = harness.screen();
    assert!(screen.contains("y cancel the window") && screen.contains("n keep it"), "{screen}");
    insta::assert_snapshot!("calendar_cancel_confirm_80x24", screen);
}

#[test]
fn the_banner_names_the_window_that_changes_paging_most_and_keeps_the_count_in_view() {
    // A planned model release (alerts suppressed, SLA running) starts beside the emergency patch
    // (both): the patch stays named, and at 80 columns the count of the other is still on screen.
    let mut harness = Harness::new(80, 24);
    let release = opsdeck::domain::NewMaintenance {
        title: "Weekly model retrain and deploy".into(),
        kind: opsdeck::domain::MaintenanceKind::ModelRelease,
        services: vec!["support-assistant".into(), "embedding-service".into()],
        start: now() - chrono::Duration::minutes(30),
        end: now() + chrono::Duration::minutes(25),
        timezone: "Europe/Berlin".into(),
        rrule: None,
        exdates: Vec::new(),
        uid: None,
        description: String::new(),
        suppress_alerts: true,
        pause_sla: false,
    };
    let window = opsdeck::domain::MaintenanceWindow::create("MW-3999".into(), release, "dana", now());
    harness.event(opsdeck::fixtures::synced(now(), "fixture", false, vec![opsdeck::api::Change::Maintenance(window)]));
    let screen = harness.screen();
    let banner = screen.lines().nth(1).unwrap_or_default();
    assert!(banner.contains("MAINTENANCE: Emergency patch"), "{screen}");
    assert!(banner.trim_end_matches('"').trim_end().ends_with("+1 more (5)"), "{screen}");
}
