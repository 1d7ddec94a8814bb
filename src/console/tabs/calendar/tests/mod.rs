mod banner;
mod update;

use chrono::TimeZone;

use super::*;
use crate::domain::maintenance::NewMaintenance;
use crate::domain::{NewIncident, Priority};

const TZ: crate::console::zone::DisplayZone = crate::console::zone::DisplayZone::Configured(chrono_tz::UTC);

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn window(id: &str, kind: MaintenanceKind, start: DateTime<Utc>, hours: i64, rrule: Option<&str>) -> MaintenanceWindow {
    let new = NewMaintenance {
        title: format!("{id} title"),
        kind,
        services: vec!["llm-gateway".into()],
        start,
        end: start + Duration::hours(hours),
        timezone: "UTC".into(),
        rrule: rrule.map(str::to_string),
        exdates: Vec::new(),
        uid: None,
        description: String::new(),
        suppress_alerts: true,
        pause_sla: false,
    };
    MaintenanceWindow::create(id.into(), new, "dana", start)
}

fn tab(now: DateTime<Utc>) -> CalendarTab {
    let mut tab = CalendarTab::new(vec![
        window("MW-1", MaintenanceKind::Routine, t(7, 2), 2, Some("FREQ=MONTHLY;BYDAY=1SA")),
        window("MW-2", MaintenanceKind::EmergencyPatch, t(22, 11), 1, None),
        window(
            "MW-3",
            MaintenanceKind::ChangeFreeze,
            Utc.with_ymd_and_hms(2026, 12, 20, 0, 0, 0).unwrap(),
            24 * 14,
            None,
        ),
    ]);
    tab.rebuild(now, TZ);
    tab
}

#[test]
fn the_december_agenda_lists_no_january_occurrence() {
    // MW-1 runs on the first Saturday of each month: 2026-12-05 and 2027-01-02.
    let now = Utc.with_ymd_and_hms(2026, 12, 10, 12, 0, 0).unwrap();
    let tab = tab(now);
    assert_eq!(tab.month(now, TZ), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    let starts: Vec<DateTime<Utc>> = tab.agenda().iter().map(|s| s.occurrence.start).collect();
    assert_eq!(starts, [t(7, 2) + Duration::days(28), Utc.with_ymd_and_hms(2026, 12, 20, 0, 0, 0).unwrap()]);
    assert!(tab.agenda().iter().all(|s| s.occurrence.start < Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()));
    // The freeze that runs into January is listed (it overlaps December), once.
    assert_eq!(tab.agenda().iter().filter(|s| tab.windows()[s.window].id == "MW-3").count(), 1);
}

#[test]
fn one_window_contributes_at_most_a_bounded_number_of_agenda_rows_and_says_so() {
    let now = t(1, 0);
    let other = window("MW-9", MaintenanceKind::Routine, t(1, 0), 1, None);
    // Every hour of every day, by BYHOUR (a rule the domain accepts: at most hourly).
    let hourly = NewMaintenance {
        rrule: Some("FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23".into()),
        end: t(1, 0) + Duration::minutes(50),
        ..other.to_new()
    };
    let mut tab = CalendarTab::new(vec![other, MaintenanceWindow::create("MW-7".into(), hourly, "dana", now)]);
    tab.rebuild(now, TZ);
    let from_hourly = tab.agenda().iter().filter(|s| tab.windows()[s.window].id == "MW-7").count();
    assert_eq!(from_hourly, MAX_AGENDA_PER_WINDOW);
    assert!(tab.agenda().iter().any(|s| tab.windows()[s.window].id == "MW-9"), "the others are still listed");
    let capped: Vec<(&str, usize)> = tab.capped().iter().map(|(i, n)| (tab.windows()[*i].id.as_str(), *n)).collect();
    assert_eq!(capped, [("MW-7", 30 * 24)]);
}

#[test]
fn the_agenda_holds_the_months_occurrences_and_the_banner_what_runs_now() {
    let now = t(22, 11) + Duration::minutes(30);
    let tab = tab(now);
    assert_eq!(tab.month(now, TZ), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
    let ids: Vec<&str> = tab.agenda().iter().map(|s| tab.windows()[s.window].id.as_str()).collect();
    assert_eq!(ids, ["MW-1", "MW-2"], "Nov 7 and Nov 22; not Dec 5, in the next month");
    let active: Vec<&str> = tab.active(now).map(|(w, _)| w.id.as_str()).collect();
    assert_eq!(active, ["MW-2"]);
    assert!(tab.suppressed("llm-gateway", now));
    assert!(!tab.suppressed("rag-retrieval", now));
    assert_eq!(tab.next_change(now), Some(t(22, 12)), "the banner goes when the patch ends");
    assert_eq!(tab.day_kinds(NaiveDate::from_ymd_opt(2026, 11, 7).unwrap(), TZ), [MaintenanceKind::Routine]);
}

#[test]
fn months_move_and_today_comes_back() {
    let now = t(22, 9);
    let mut tab = tab(now);
    tab.shift_month(1, now, TZ);
    assert_eq!(tab.month(now, TZ), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    let dec20 = NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
    assert_eq!(tab.day_kinds(dec20, TZ), [MaintenanceKind::ChangeFreeze]);
    assert!(tab.day_kinds(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(), TZ).contains(&MaintenanceKind::ChangeFreeze));
    tab.shift_month(-2, now, TZ);
    assert_eq!(tab.month(now, TZ), NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
    tab.today(now, TZ);
    assert_eq!(tab.month(now, TZ), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
    let selected = tab.selected_slot().unwrap();
    assert_eq!(tab.windows()[selected.window].id, "MW-2", "the first occurrence not yet over");
    assert!(tab.open_detail());
    assert_eq!(tab.detail().unwrap().id, "MW-2");
}

#[test]
fn a_newer_version_replaces_and_an_older_one_is_ignored() {
    let now = t(22, 9);
    let mut tab = tab(now);
    let mut cancelled = window("MW-2", MaintenanceKind::EmergencyPatch, t(22, 11), 1, None);
    cancelled.cancel("dana", now);
    tab.upsert_many(vec![cancelled.clone()], now, TZ);
    assert!(tab.window("MW-2").unwrap().cancelled);
    assert_eq!(tab.agenda().len(), 1, "a cancelled window has no occurrences");
    tab.upsert_many(vec![window("MW-2", MaintenanceKind::EmergencyPatch, t(22, 11), 1, None)], now, TZ);
    assert!(tab.window("MW-2").unwrap().cancelled, "version 1 does not undo version 2");
}

#[test]
fn open_incidents_on_affected_services_still_page_and_unacknowledged_ones_escalate() {
    let w = window("MW-2", MaintenanceKind::EmergencyPatch, t(22, 11), 1, None);
    let new = |service: &str, p| NewIncident { title: "x".into(), service_id: service.into(), priority: p };
    let mut acked = Incident::trigger("INC-2".into(), new("llm-gateway", Priority::P1), "am", t(22, 10), None);
    acked.status = IncidentStatus::Acknowledged;
    let incidents = [
        Incident::trigger("INC-1".into(), new("llm-gateway", Priority::P2), "am", t(22, 10), None),
        acked,
        Incident::trigger("INC-3".into(), new("billing-meter", Priority::P1), "am", t(22, 10), None),
    ];
    let pages = still_pages(&w, incidents.iter());
    let open: Vec<&str> = pages.open.iter().map(|i| i.id.as_str()).collect();
    let escalating: Vec<&str> = pages.escalating.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(open, ["INC-2", "INC-1"], "P1 first; billing-meter is not affected");
    assert_eq!(escalating, ["INC-1"]);
}

#[test]
fn an_incident_the_window_holds_back_is_listed_as_not_paged_yet_not_escalating() {
    let w = window("MW-2", MaintenanceKind::EmergencyPatch, t(22, 11), 1, None);
    let new = NewIncident { title: "x".into(), service_id: "llm-gateway".into(), priority: Priority::P1 };
    let hold = crate::domain::incident::Suppression { window_id: "MW-2".into(), until: t(23, 0) };
    let held = Incident::trigger_during("INC-5".into(), new, "am", t(22, 20), None, Some(&hold));
    let pages = still_pages(&w, std::iter::once(&held));
    assert_eq!(pages.held.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["INC-5"]);
    assert!(pages.escalating.is_empty(), "nobody was paged, so no escalation timer runs");
}

#[test]
fn the_headline_is_the_running_window_that_changes_paging_most() {
    let now = t(22, 11) + Duration::minutes(30);
    let mut tab = tab(now);
    // A model release started earlier, suppressing alerts only; the emergency patch also pauses SLA.
    let mut release = window("MW-4", MaintenanceKind::ModelRelease, t(22, 10), 3, None);
    tab.put(release.clone());
    let mut patch = tab.window("MW-2").cloned().unwrap();
    patch.pause_sla = true;
    tab.put(patch.clone());
    tab.rebuild(now, TZ);
    assert_eq!(tab.headline(now).map(|(w, _)| w.id.as_str()), Some("MW-2"), "more impact wins");
    // Equal impact: the emergency patch before the planned one, though that one ends first.
    release.pause_sla = true;
    release.end = t(22, 11) + Duration::minutes(45);
    tab.put(release);
    tab.rebuild(now, TZ);
    assert_eq!(tab.headline(now).map(|(w, _)| w.id.as_str()), Some("MW-2"));
    // The patch now only pauses SLA (and is routine): the release, changing more, is named.
    patch.kind = MaintenanceKind::Routine;
    patch.suppress_alerts = false;
    tab.put(patch);
    tab.rebuild(now, TZ);
    assert_eq!(tab.headline(now).map(|(w, _)| w.id.as_str()), Some("MW-4"));
}

#[test]
fn the_agenda_opens_on_the_headline_and_the_selection_follows_its_window() {
    let now = t(22, 11) + Duration::minutes(30);
    let mut tab = tab(now);
    // A window that started earlier sorts before the patch; the agenda still opens on the patch.
    let mut earlier = window("MW-4", MaintenanceKind::ModelRelease, t(22, 10), 3, None);
    earlier.suppress_alerts = false;
    tab.put(earlier);
    tab.today(now, TZ);
    assert_eq!(tab.selected_window().map(|w| w.id.as_str()), Some("MW-2"));
    // One more window arriving before it moves its row, not the selection.
    tab.put(window("MW-5", MaintenanceKind::Routine, t(3, 9), 1, None));
    tab.rebuild(now, TZ);
    assert_eq!(tab.selected_window().map(|w| w.id.as_str()), Some("MW-2"));
    tab.move_by(-1);
    let chosen = tab.selected_window().map(|w| w.id.clone());
    tab.put(window("MW-6", MaintenanceKind::Routine, t(2, 9), 1, None));
    tab.rebuild(now, TZ);
    assert_eq!(tab.selected_window().map(|w| w.id.clone()), chosen, "what the user chose stays chosen");
}
