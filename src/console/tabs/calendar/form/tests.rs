use chrono::TimeZone;
use chrono_tz::Europe::Berlin;

use super::*;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// Friday 20 November 2026, 10:00 UTC (11:00 in Berlin).
fn now() -> DateTime<Utc> {
    utc(2026, 11, 20, 10, 0)
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn focus(form: &mut MaintenanceForm, field: FormField) {
    for _ in 0..FormField::ALL.len() {
        if form.focus() == field {
            return;
        }
        form.next_field();
    }
    panic!("{field:?} not reachable");
}

fn value(form: &MaintenanceForm, field: FormField) -> String {
    form.text(field).expect("a text field").lines().join("\n")
}

/// Replaces a text field's content through the public API: End, delete to the line's head, paste.
fn set(form: &mut MaintenanceForm, field: FormField, text: &str) {
    focus(form, field);
    form.input(key(KeyCode::End));
    form.input(ctrl('j'));
    assert_eq!(value(form, field), "", "{field:?} cleared");
    form.paste(text);
}

fn filled() -> MaintenanceForm {
    let mut form = MaintenanceForm::new("Europe/Berlin");
    set(&mut form, FormField::Title, "GPU node patching");
    set(&mut form, FormField::Services, "llm-gateway, rag-retrieval llm-gateway");
    set(&mut form, FormField::Start, "2026-12-05 02:00");
    form
}

fn known() -> Vec<String> {
    ["llm-gateway", "rag-retrieval", "embeddings"].map(String::from).to_vec()
}

#[test]
fn fields_are_in_display_order_and_focus_wraps() {
    let labels: Vec<&str> = FormField::ALL.iter().map(|f| f.label()).collect();
    assert_eq!(
        labels,
        [
            "Title",
            "Kind",
            "Services",
            "Start",
            "Until",
            "Time zone",
            "Repeats",
            "Suppress alerts",
            "Pause SLA",
            "Description"
        ]
    );
    let mut form = MaintenanceForm::new("UTC");
    assert_eq!(form.focus(), FormField::Title);
    form.prev_field();
    assert_eq!(form.focus(), FormField::Description);
    form.next_field();
    form.next_field();
    assert_eq!(form.focus(), FormField::Kind);
    assert!(FormField::ALL.iter().all(|f| f.is_text() == form.text(*f).is_some()));
    assert!(FormField::ALL.iter().enumerate().all(|(i, f)| *f as usize == i), "declared in display order");
}

#[test]
fn new_form_has_the_documented_defaults() {
    let form = MaintenanceForm::new("Europe/Berlin");
    assert_eq!(form.kind(), MaintenanceKind::Routine);
    assert!(form.suppress_alerts());
    assert!(!form.pause_sla());
    assert_eq!(value(&form, FormField::Until), "2h");
    assert_eq!(value(&form, FormField::TimeZone), "Europe/Berlin");
    assert_eq!(value(&form, FormField::Start), "");
    assert_eq!(form.editing(), None);
    assert!(!form.has_text());
    assert!(form.errors().is_empty());
    assert_eq!(form.preview(now()), None, "no start yet");
}

#[test]
fn start_accepts_now_relative_times_clock_times_and_dates() {
    let n = now();
    assert_eq!(parse_start("now", Berlin, n), Ok(n));
    assert_eq!(parse_start(" +30m ", Berlin, n), Ok(n + Duration::minutes(30)));
    assert_eq!(parse_start("in 2h", Berlin, n), Ok(n + Duration::hours(2)));
    assert_eq!(parse_start("IN 1h30m", Berlin, n), Ok(n + Duration::minutes(90)));
    // 11:00 local now: 12:00 is later today, 10:59 within the minute of grace, 10:30 tomorrow.
    assert_eq!(parse_start("12:00", Berlin, n), Ok(utc(2026, 11, 20, 11, 0)));
    assert_eq!(parse_start("10:59", Berlin, n), Ok(utc(2026, 11, 20, 9, 59)));
    assert_eq!(parse_start("10:30", Berlin, n), Ok(utc(2026, 11, 21, 9, 30)));
    assert_eq!(parse_start("2026-12-05 02:00", Berlin, n), Ok(utc(2026, 12, 5, 1, 0)));
    assert_eq!(parse_start("2026-12-05T02:00", Berlin, n), Ok(utc(2026, 12, 5, 1, 0)));
    assert_eq!(parse_start("2026-12-05 02:00", Tz::UTC, n), Ok(utc(2026, 12, 5, 2, 0)));
}

#[test]
fn start_in_a_dst_gap_is_refused_and_in_a_fold_takes_the_earlier() {
    assert_eq!(
        parse_start("2027-03-28 02:30", Berlin, now()),
        Err("02:30 does not exist in Europe/Berlin on 2027-03-28 (clocks go forward)".to_string())
    );
    // 31 October 2027: 02:30 happens twice, first at UTC+2.
    assert_eq!(parse_start("2027-10-31 02:30", Berlin, now()), Ok(utc(2027, 10, 31, 0, 30)));
}

#[test]
fn start_in_the_past_far_future_or_unreadable_is_refused() {
    assert_eq!(parse_start("2026-11-18 10:00", Berlin, now()), Err("start is in the past".to_string()));
    assert!(parse_start("2026-11-19 12:00", Berlin, now()).is_ok(), "less than a day ago is fine");
    assert!(parse_start("2040-01-01 00:00", Berlin, now()).unwrap_err().contains("years ahead"));
    assert!(parse_start("", Berlin, now()).unwrap_err().contains("required"));
    assert!(parse_start("+5x", Berlin, now()).unwrap_err().contains("`+5x` is not a duration"));
    let err = parse_start("tomorrow-ish", Berlin, now()).unwrap_err();
    assert!(err.starts_with("`tomorrow-ish` is not a start time; use now, +30m"), "{err}");
}

#[test]
fn until_accepts_durations_and_end_times() {
    let start = utc(2026, 12, 5, 1, 0); // 02:00 Berlin
    assert_eq!(parse_until("2h", start, Berlin), Ok(start + Duration::hours(2)));
    assert_eq!(parse_until("90m", start, Berlin), Ok(start + Duration::minutes(90)));
    assert_eq!(parse_until("1h30m", start, Berlin), Ok(start + Duration::minutes(90)));
    assert_eq!(parse_until("1d", start, Berlin), Ok(start + Duration::days(1)));
    assert_eq!(parse_until("04:00", start, Berlin), Ok(utc(2026, 12, 5, 3, 0)));
    assert_eq!(parse_until("01:00", start, Berlin), Ok(utc(2026, 12, 6, 0, 0)), "not after start: next day");
    assert_eq!(parse_until("02:00", start, Berlin), Ok(utc(2026, 12, 6, 1, 0)));
    assert_eq!(parse_until("2026-12-06 04:00", start, Berlin), Ok(utc(2026, 12, 6, 3, 0)));
}

#[test]
fn until_before_start_in_a_gap_or_unreadable_is_refused() {
    let start = utc(2026, 12, 5, 1, 0);
    let before = "the end must be after the start".to_string();
    assert_eq!(parse_until("2026-12-01 00:00", start, Berlin), Err(before.clone()));
    assert_eq!(parse_until("0m", start, Berlin), Err(before));
    let gap_start = utc(2027, 3, 28, 0, 0); // 01:00 Berlin
    assert!(parse_until("02:30", gap_start, Berlin).unwrap_err().contains("does not exist in Europe/Berlin"));
    assert!(parse_until("soon", start, Berlin).unwrap_err().contains("`soon` is neither a duration"));
    assert!(parse_until("", start, Berlin).unwrap_err().contains("required"));
}

#[test]
fn windows_are_capped_at_14_days_and_freezes_at_62() {
    let start = now();
    let routine = MaintenanceKind::Routine;
    let freeze = MaintenanceKind::ChangeFreeze;
    assert!(check_length(routine, start, start + Duration::days(14)).is_ok());
    let err = check_length(routine, start, start + Duration::days(14) + Duration::minutes(1)).unwrap_err();
    assert!(err.contains("longer than 14 days is probably a mistake"), "{err}");
    assert!(check_length(freeze, start, start + Duration::days(30)).is_ok());
    assert!(check_length(freeze, start, start + Duration::days(63)).unwrap_err().contains("62 days"));
}

#[test]
fn repeats_shortcuts_become_rules_and_raw_rules_are_checked() {
    let start = utc(2026, 12, 5, 1, 0); // Saturday 5 December, Berlin
    let rule = |text: &str| parse_repeats(text, start, Berlin);
    assert_eq!(rule("  "), Ok(None));
    assert_eq!(rule("daily"), Ok(Some("FREQ=DAILY".into())));
    assert_eq!(rule("Weekly"), Ok(Some("FREQ=WEEKLY;BYDAY=SA".into())));
    assert_eq!(rule("monthly"), Ok(Some("FREQ=MONTHLY;BYMONTHDAY=5".into())));
    assert_eq!(rule("weekdays"), Ok(Some("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".into())));
    assert_eq!(rule("RRULE:FREQ=MONTHLY;BYDAY=1SA"), Ok(Some("FREQ=MONTHLY;BYDAY=1SA".into())));
    assert_eq!(rule("rrule: freq=weekly;byday=tu"), Ok(Some("FREQ=WEEKLY;BYDAY=TU".into())));
    let err = rule("FREQ=SOMETIMES").unwrap_err();
    assert!(err.starts_with("not a valid repeat rule: "), "{err}");
}

#[test]
fn services_split_on_commas_and_spaces_and_unknown_ones_are_named() {
    assert_eq!(parse_services(" a, b c,,a ;d"), ["a", "b", "c", "d"]);
    assert!(parse_services(" , ").is_empty());
    let services = vec!["llm-gateway".to_string(), "foo".to_string()];
    assert_eq!(
        check_known(&services, &known()),
        Err("unknown service `foo` (known: llm-gateway, rag-retrieval, embeddings)".to_string())
    );
    assert_eq!(check_known(&services, &[]), Ok(()), "no list: the server checks");
    let many: Vec<String> = (1..=8).map(|i| format!("s{i}")).collect();
    let err = check_known(&["x".into(), "y".into()], &many).unwrap_err();
    assert_eq!(err, "unknown services `x`, `y` (known: s1, s2, s3, s4, s5, s6, 2 more)");
}

#[test]
fn time_zones_parse_case_insensitively() {
    assert_eq!(parse_zone("europe/berlin"), Ok(Berlin));
    assert_eq!(parse_zone(" UTC "), Ok(Tz::UTC));
    assert!(parse_zone("").unwrap_err().contains("required"));
    assert!(parse_zone("Mars/Olympus").unwrap_err().contains("unknown time zone `Mars/Olympus`"));
}

#[test]
fn typing_edits_text_but_never_adds_newlines_or_control_characters() {
    let mut form = MaintenanceForm::new("UTC");
    for c in "Patch".chars() {
        assert!(form.input(key(KeyCode::Char(c))));
    }
    assert!(!form.input(key(KeyCode::Enter)));
    assert!(!form.input(ctrl('m')));
    assert!(!form.input(key(KeyCode::Char('\u{1b}'))));
    assert!(!form.input(key(KeyCode::Char('\n'))));
    assert!(!form.input(key(KeyCode::Char('\u{202e}'))), "bidi override");
    let mut release = key(KeyCode::Char('x'));
    release.kind = KeyEventKind::Release;
    assert!(!form.input(release));
    assert!(form.input(key(KeyCode::Backspace)));
    assert_eq!(value(&form, FormField::Title), "Patc");
    assert!(form.has_text());
}

#[test]
fn kind_cycles_and_switches_toggle_or_set() {
    let mut form = MaintenanceForm::new("UTC");
    focus(&mut form, FormField::Kind);
    assert!(form.input(key(KeyCode::Char(' '))));
    assert_eq!(form.kind(), MaintenanceKind::EmergencyPatch);
    assert!(form.input(key(KeyCode::Left)));
    assert!(form.input(key(KeyCode::Char('h'))));
    assert_eq!(form.kind(), MaintenanceKind::ChangeFreeze, "wraps backwards");
    assert!(form.input(key(KeyCode::Char('l'))));
    assert_eq!(form.kind(), MaintenanceKind::Routine, "wraps forwards");
    assert!(!form.input(key(KeyCode::Char('x'))));
    assert!(form.paste("text").eq(&false), "no text to paste into");

    focus(&mut form, FormField::SuppressAlerts);
    assert!(!form.input(key(KeyCode::Char('y'))), "already yes");
    assert!(form.input(key(KeyCode::Char('n'))));
    assert!(!form.suppress_alerts());
    assert!(form.input(key(KeyCode::Right)));
    assert!(form.suppress_alerts());
    focus(&mut form, FormField::PauseSla);
    assert!(form.input(key(KeyCode::Char(' '))));
    assert!(form.pause_sla());
    assert!(!form.input(ctrl('l')), "modified keys are not choices");
}

#[test]
fn paste_is_sanitised_to_one_line() {
    let mut form = MaintenanceForm::new("UTC");
    assert!(form.paste("GPU\r\nnode \u{1b}]52;c;aGk=\u{7}patching\u{202e}"));
    assert_eq!(value(&form, FormField::Title), "GPU node patching");
    assert!(!form.paste("\u{1b}[2J"), "nothing left to insert");
}

#[test]
fn a_complete_form_submits_a_normalised_window() {
    let mut form = filled();
    set(&mut form, FormField::TimeZone, "europe/berlin");
    set(&mut form, FormField::Until, "04:00");
    set(&mut form, FormField::Recurrence, "monthly");
    set(&mut form, FormField::Description, "  Kernel upgrade  ");
    focus(&mut form, FormField::PauseSla);
    form.input(key(KeyCode::Char('y')));
    let new = form.submit(now(), &known()).expect("valid");
    assert_eq!(
        new,
        NewMaintenance {
            title: "GPU node patching".into(),
            kind: MaintenanceKind::Routine,
            services: vec!["llm-gateway".into(), "rag-retrieval".into()],
            start: utc(2026, 12, 5, 1, 0),
            end: utc(2026, 12, 5, 3, 0),
            timezone: "Europe/Berlin".into(),
            rrule: Some("FREQ=MONTHLY;BYMONTHDAY=5".into()),
            exdates: Vec::new(),
            uid: None,
            description: "Kernel upgrade".into(),
            suppress_alerts: true,
            pause_sla: true,
        }
    );
    assert!(form.errors().is_empty());
}

#[test]
fn submit_reports_every_error_and_focuses_the_first() {
    let mut form = MaintenanceForm::new("Europe/Berlin");
    set(&mut form, FormField::Services, "llm-gateway foo");
    set(&mut form, FormField::Start, "later");
    set(&mut form, FormField::Until, "whenever");
    set(&mut form, FormField::Recurrence, "FREQ=SOMETIMES");
    assert_eq!(form.submit(now(), &known()), None);
    let fields: Vec<FormField> = form.errors().iter().map(|(f, _)| *f).collect();
    assert_eq!(
        fields,
        [FormField::Title, FormField::Services, FormField::Start, FormField::Until, FormField::Recurrence]
    );
    assert_eq!(form.error_for(FormField::Title), Some("title must not be empty"));
    assert!(form.error_for(FormField::Services).unwrap().starts_with("unknown service `foo` (known: llm-gateway"));
    assert!(form.error_for(FormField::Until).unwrap().contains("`whenever` is neither"));
    assert_eq!(form.error_for(FormField::TimeZone), None);
    assert_eq!(form.focus(), FormField::Title);

    // Typing in a field clears only its own error.
    assert!(form.input(key(KeyCode::Char('T'))));
    assert_eq!(form.error_for(FormField::Title), None);
    assert_eq!(form.errors().len(), 4);
}

#[test]
fn submit_focuses_a_later_field_when_only_it_is_wrong() {
    let mut form = filled();
    set(&mut form, FormField::TimeZone, "Atlantis/Central");
    set(&mut form, FormField::Until, "20d");
    focus(&mut form, FormField::Title);
    assert_eq!(form.submit(now(), &[]), None);
    assert!(form.error_for(FormField::Until).unwrap().contains("14 days"));
    assert!(form.error_for(FormField::TimeZone).unwrap().contains("unknown time zone `Atlantis/Central`"));
    assert_eq!(form.focus(), FormField::Until);

    focus(&mut form, FormField::Kind);
    form.input(key(KeyCode::Char('h'))); // change freeze
    set(&mut form, FormField::TimeZone, "UTC");
    assert!(form.submit(now(), &[]).is_some(), "{:?}", form.errors());
}

#[test]
fn domain_limits_land_on_their_fields() {
    let mut form = filled();
    set(&mut form, FormField::Title, &"x".repeat(201));
    let services: Vec<String> = (0..51).map(|i| format!("svc-{i}")).collect();
    set(&mut form, FormField::Services, &services.join(" "));
    set(&mut form, FormField::Description, &"d".repeat(4001));
    assert_eq!(form.submit(now(), &[]), None);
    assert_eq!(form.error_for(FormField::Title), Some("title is limited to 200 characters"));
    assert_eq!(form.error_for(FormField::Services), Some("at most 50 services, not 51"));
    assert_eq!(form.error_for(FormField::Description), Some("description is limited to 4000 characters"));
}

fn window() -> MaintenanceWindow {
    let start = Berlin.with_ymd_and_hms(2025, 12, 6, 2, 0, 0).unwrap().with_timezone(&Utc);
    let new = NewMaintenance {
        title: "Monthly \u{1b}[31mpatching".into(),
        kind: MaintenanceKind::DrDrill,
        services: vec!["llm-gateway".into(), "rag-retrieval".into()],
        start,
        end: start + Duration::minutes(90),
        timezone: "Europe/Berlin".into(),
        rrule: Some("FREQ=MONTHLY;BYDAY=1SA".into()),
        exdates: Vec::new(),
        uid: None,
        description: "quarterly".into(),
        suppress_alerts: false,
        pause_sla: true,
    };
    let mut window = MaintenanceWindow::create("MW-3001".into(), new, "dana", start);
    window.version = 3;
    window
}

#[test]
fn edit_prefills_from_the_window_in_its_own_time_zone() {
    let window = window();
    let form = MaintenanceForm::edit(&window);
    assert_eq!(form.editing(), Some(("MW-3001", 3)));
    assert_eq!(value(&form, FormField::Title), "Monthly patching", "sanitised");
    assert_eq!(value(&form, FormField::Services), "llm-gateway, rag-retrieval");
    assert_eq!(value(&form, FormField::Start), "2025-12-06 02:00");
    assert_eq!(value(&form, FormField::Until), "1h30m");
    assert_eq!(value(&form, FormField::TimeZone), "Europe/Berlin");
    assert_eq!(value(&form, FormField::Recurrence), "FREQ=MONTHLY;BYDAY=1SA");
    assert_eq!((form.kind(), form.suppress_alerts(), form.pause_sla()), (MaintenanceKind::DrDrill, false, true));
}

#[test]
fn editing_a_recurring_window_that_began_long_ago_keeps_its_start() {
    let window = window();
    let mut form = MaintenanceForm::edit(&window);
    set(&mut form, FormField::Title, "Monthly patching v2");
    let new = form.submit(now(), &known()).expect("unchanged times are kept");
    assert_eq!((new.start, new.end), (window.start, window.end));
    assert_eq!(new.title, "Monthly patching v2");

    set(&mut form, FormField::Until, "2h");
    assert_eq!(form.submit(now(), &known()).expect("new length").end, window.start + Duration::hours(2));
    set(&mut form, FormField::Start, "2025-12-06 03:00");
    assert_eq!(form.submit(now(), &known()), None);
    assert_eq!(form.error_for(FormField::Start), Some("start is in the past"));
}

#[test]
fn format_duration_reads_like_the_until_field() {
    assert_eq!(format_duration(Duration::hours(2)), "2h");
    assert_eq!(format_duration(Duration::minutes(90)), "1h30m");
    assert_eq!(format_duration(Duration::hours(26)), "1d2h");
    assert_eq!(format_duration(Duration::seconds(45)), "45s");
    assert_eq!(format_duration(Duration::minutes(-5)), "0m");
}

#[test]
fn preview_shows_local_and_utc_times_and_the_repeat() {
    let mut form = filled();
    assert_eq!(form.preview(now()).as_deref(), Some("Sat 5 Dec 02:00–04:00 Europe/Berlin · 01:00–03:00 UTC"));
    set(&mut form, FormField::Recurrence, "monthly");
    set(&mut form, FormField::Until, "1d");
    assert_eq!(
        form.preview(now()).as_deref(),
        Some("Sat 5 Dec 02:00–Sun 6 Dec 02:00 Europe/Berlin · 01:00–Sun 6 Dec 01:00 UTC · repeats monthly")
    );
    set(&mut form, FormField::Start, "2026-12-05 00:30");
    set(&mut form, FormField::Until, "1h");
    assert_eq!(
        form.preview(now()).as_deref(),
        Some("Sat 5 Dec 00:30–01:30 Europe/Berlin · Fri 4 Dec 23:30–Sat 5 Dec 00:30 UTC · repeats monthly")
    );
    set(&mut form, FormField::TimeZone, "UTC");
    assert_eq!(form.preview(now()).as_deref(), Some("Sat 5 Dec 00:30–01:30 UTC · repeats monthly"));
    set(&mut form, FormField::Until, "nope");
    assert_eq!(form.preview(now()), None);
}

#[test]
fn garbage_in_any_field_gives_sentences_not_panics() {
    let long = "ü".repeat(10_000);
    let garbage = [
        "🙂🙃🔥",
        long.as_str(),
        "\u{1b}[31m\u{0}\u{7}",
        "9999-99-99 99:99",
        "+99999999999999999999d",
        "+999999999d",
        "25:00",
        "-1h",
        "RRULE:",
        "FREQ=SECONDLY;COUNT=99999999;BYSETPOS=0",
        "2026-12-05 02:00 Europe/Berlin",
        "\u{202e}in 2h",
    ];
    for text in garbage {
        for field in FormField::ALL.into_iter().filter(|f| f.is_text()) {
            let mut form = filled();
            set(&mut form, field, text);
            let _ = form.preview(now());
            match form.submit(now(), &known()) {
                Some(new) => assert!(validate(&new).is_ok(), "{field:?} {text:?}"),
                None => {
                    assert!(!form.errors().is_empty(), "{field:?} {text:?}");
                    for (_, message) in form.errors() {
                        assert!(!message.is_empty() && message.chars().count() <= 200, "{message}");
                        assert!(!message.chars().any(char::is_control), "{message:?}");
                    }
                }
            }
        }
    }
    let mut form = MaintenanceForm::new("\u{1b}]52;c;x\u{7}🙂");
    for c in "🙂 \u{0}\u{1b}x".chars() {
        form.input(key(KeyCode::Char(c)));
    }
    assert_eq!(form.submit(now(), &known()), None);
    assert!(form.error_for(FormField::TimeZone).unwrap().contains("unknown time zone"));
}

#[test]
fn entering_a_filled_field_puts_the_cursor_at_its_end_and_clearing_is_explicit() {
    let mut form = MaintenanceForm::new("Europe/Berlin");
    focus(&mut form, FormField::Until);
    form.input(key(KeyCode::Char('3')));
    form.input(key(KeyCode::Char('0')));
    form.input(key(KeyCode::Char('m')));
    assert_eq!(value(&form, FormField::Until), "2h30m", "typing adds to the prefilled 2h");
    // Leave with the cursor in the middle; coming back puts it at the end again.
    form.input(key(KeyCode::Home));
    form.next_field();
    form.prev_field();
    form.input(key(KeyCode::Char('!')));
    assert_eq!(value(&form, FormField::Until), "2h30m!");
    assert!(form.text(FormField::Until).is_some_and(|t| t.selection_range().is_none()), "nothing is selected");

    // Replacing is its own key: the field empties, and ctrl-y brings the text back.
    assert!(form.clear_field());
    assert_eq!(value(&form, FormField::Until), "");
    assert!(!form.clear_field(), "nothing left to clear");
    form.input(ctrl('y'));
    assert_eq!(value(&form, FormField::Until), "2h30m!");
    form.clear_field();
    for c in "90m".chars() {
        form.input(key(KeyCode::Char(c)));
    }
    assert_eq!(value(&form, FormField::Until), "90m");

    // A failed submit focuses the first wrong field with its text intact, cursor at the end.
    assert_eq!(form.submit(now(), &known()), None);
    assert_eq!(form.focus(), FormField::Title);
    set(&mut form, FormField::Title, "Patch");
    focus(&mut form, FormField::Until);
    form.input(key(KeyCode::Char('x')));
    assert_eq!(value(&form, FormField::Until), "90mx", "the value survives leaving and coming back");

    // Choices and switches have nothing to clear.
    focus(&mut form, FormField::Kind);
    assert!(!form.clear_field());
}
