//! Upsert by UID: what a second import of a changed file does.

use super::*;

fn file(events: &str) -> IcsFile {
    let text = format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n");
    read_ics(&text, &ImportDefaults { services: vec!["llm-gateway".into()] }).unwrap()
}

fn event(uid: &str, start: &str, extra: &str) -> String {
    format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Patch {uid}\r\nDTSTART:{start}\r\nDURATION:PT1H\r\n{extra}END:VEVENT\r\n"
    )
}

fn stored(file: &IcsFile) -> Vec<MaintenanceWindow> {
    file.events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            MaintenanceWindow::create(format!("MW-{}", 3001 + i), e.window.clone(), "dana", utc(2026, 11, 1, 0, 0))
        })
        .collect()
}

#[test]
fn a_changed_event_updates_its_window_an_unchanged_one_is_left_and_a_new_one_planned() {
    let first = file(&(event("a", "20261205T010000Z", "") + &event("b", "20261206T010000Z", "")));
    let existing = stored(&first);
    let plan = plan_import(first.clone(), &[], &existing);
    assert_eq!((plan.create.len(), plan.update.len(), plan.unchanged.len()), (0, 0, 2));

    let second = file(
        &(event("a", "20261205T020000Z", "SEQUENCE:1\r\n")
            + &event("b", "20261206T010000Z", "")
            + &event("c", "20261207T010000Z", "")),
    );
    let plan = plan_import(second.clone(), &[], &existing);
    assert_eq!(plan.update.len(), 1, "{plan:?}");
    assert_eq!((plan.update[0].id.as_str(), plan.update[0].version), ("MW-3001", 1));
    assert_eq!(plan.update[0].event.window.start, utc(2026, 12, 5, 2, 0));
    assert_eq!(plan.unchanged, vec!["MW-3002 Patch b".to_string()]);
    assert_eq!(plan.create.len(), 1);
    assert_eq!(plan.create[0].window.uid.as_deref(), Some("c"));

    // Keys follow the content: the same change twice is one request, a changed one another.
    let again = plan_import(second, &[], &existing);
    assert_eq!(change_key(&plan.update[0], false), change_key(&again.update[0], false));
    assert_eq!(create_key(&plan.create[0]), create_key(&again.create[0]));
    let first_a = IcsEvent { window: existing[0].to_new(), ..plan.update[0].event.clone() };
    assert_ne!(create_key(&first_a), create_key(&plan.update[0].event));
}

#[test]
fn cancelled_events_cancel_their_window_and_cancelled_windows_stay_cancelled() {
    let first = file(&event("a", "20261205T010000Z", ""));
    let mut existing = stored(&first);
    let cancelled = file(&event("a", "20261205T010000Z", "STATUS:CANCELLED\r\n"));
    let plan = plan_import(cancelled.clone(), &[], &existing);
    assert_eq!((plan.cancel.len(), plan.cancel[0].id.as_str()), (1, "MW-3001"));
    existing[0].cancel("dana", utc(2026, 11, 2, 0, 0));
    let plan = plan_import(first, &[], &existing);
    assert!(plan.create.is_empty() && plan.update.is_empty(), "{plan:?}");
    assert!(plan.unchanged[0].contains("cancelled here"), "{plan:?}");
    let plan = plan_import(cancelled, &[], &existing);
    assert!(plan.cancel.is_empty());
}

#[test]
fn unknown_services_refuse_only_their_event() {
    let text = event("a", "20261205T010000Z", "X-OPSDECK-SERVICES:nope\r\n") + &event("b", "20261206T010000Z", "");
    let plan = plan_import(file(&text), &["llm-gateway".to_string()], &[]);
    assert_eq!(plan.create.len(), 1);
    assert_eq!(plan.refused.len(), 1);
    assert_eq!(plan.refused[0].to_string(), "event `a` (Patch a): names the unknown service `nope`");
}

#[test]
fn recurrence_id_overrides_become_exdates_and_one_off_windows() {
    let series = event("s", "20261201T010000Z", "RRULE:FREQ=DAILY;COUNT=5\r\n");
    let moved = "BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID:20261202T010000Z\r\nSUMMARY:Patch moved\r\nDTSTART:20261202T050000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n";
    let dropped = "BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID:20261203T010000Z\r\nSTATUS:CANCELLED\r\nDTSTART:20261203T010000Z\r\nEND:VEVENT\r\n";
    let f = file(&format!("{series}{moved}{dropped}"));
    assert!(f.refused.is_empty(), "{:?}", f.refused);
    assert_eq!(f.events.len(), 2);
    let master = f.events.iter().find(|e| e.window.uid.as_deref() == Some("s")).unwrap();
    assert_eq!(master.window.exdates, vec![utc(2026, 12, 2, 1, 0), utc(2026, 12, 3, 1, 0)]);
    let w = MaintenanceWindow::create("MW-1".into(), master.window.clone(), "dana", utc(2026, 11, 1, 0, 0));
    let starts: Vec<_> = w.occurrences(utc(2026, 11, 1, 0, 0), utc(2027, 1, 1, 0, 0)).iter().map(|o| o.start).collect();
    assert_eq!(starts, vec![utc(2026, 12, 1, 1, 0), utc(2026, 12, 4, 1, 0), utc(2026, 12, 5, 1, 0)]);
    let single = f.events.iter().find(|e| e.window.uid.as_deref() == Some("s#20261202T010000Z")).unwrap();
    assert_eq!((single.window.start, single.window.title.as_str()), (utc(2026, 12, 2, 5, 0), "Patch moved"));
    // The export carries the exclusions back.
    let text = to_ics(&[w]);
    assert!(text.contains("EXDATE:20261202T010000Z\r\n") && text.contains("UID:s\r\n"), "{text}");
}

#[test]
fn the_newest_copy_of_a_uid_wins() {
    let old = event("a", "20261205T010000Z", "SEQUENCE:1\r\n");
    let new = event("a", "20261205T030000Z", "SEQUENCE:2\r\n");
    let f = file(&format!("{new}{old}"));
    assert_eq!(f.events.len(), 1);
    assert_eq!(f.events[0].window.start, utc(2026, 12, 5, 3, 0));
}

/// A UID ending in an escaped newline or space is the UID without it, as the window stores it: a
/// second import of the same file changes nothing instead of planning the window again.
#[test]
fn a_uid_with_trailing_escaped_white_space_is_imported_once() {
    let first = file(&(event("a\\n", "20261205T010000Z", "") + &event("b\\n ", "20261206T010000Z", "")));
    assert_eq!(first.events.iter().map(|e| e.uid.as_deref().unwrap()).collect::<Vec<_>>(), ["a", "b"]);
    let plan = plan_import(first.clone(), &[], &stored(&first));
    assert_eq!((plan.create.len(), plan.update.len(), plan.unchanged.len()), (0, 0, 2), "{plan:?}");
}

/// A UID the server would refuse as a window's `uid` (over 500 characters, or holding a control
/// character) refuses its event at import, naming it; the file's other events still import.
#[test]
fn a_uid_the_server_would_refuse_refuses_its_event() {
    let long = "u".repeat(501);
    let file = file(
        &(event(&long, "20261205T010000Z", "")
            + &event("a\u{1}b", "20261206T010000Z", "")
            + &event("ok", "20261207T010000Z", "")),
    );
    let refused: Vec<String> = file.refused.iter().map(|e| e.to_string()).collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused.iter().any(|r| r.ends_with("UID is limited to 500 characters")), "{refused:?}");
    assert!(refused.iter().any(|r| r.ends_with("UID holds a control character")), "{refused:?}");
    assert!(refused.iter().all(|r| !r.chars().any(char::is_control)), "{refused:?}");
    assert_eq!(file.events.iter().map(|e| e.uid.as_deref()).collect::<Vec<_>>(), [Some("ok")]);
}
