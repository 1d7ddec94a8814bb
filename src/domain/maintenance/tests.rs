use chrono::{Datelike, NaiveDate, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;

use super::*;

fn local(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("unambiguous local time").with_timezone(&Utc)
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn new(start: DateTime<Utc>, end: DateTime<Utc>, tz: &str, rrule: Option<&str>) -> NewMaintenance {
    NewMaintenance {
        title: "Monthly patching".into(),
        kind: MaintenanceKind::Routine,
        services: vec!["llm-gateway".into()],
        start,
        end,
        timezone: tz.into(),
        rrule: rrule.map(str::to_string),
        exdates: Vec::new(),
        uid: None,
        description: String::new(),
        suppress_alerts: true,
        pause_sla: false,
    }
}

fn window(new: NewMaintenance) -> MaintenanceWindow {
    validate(&new).expect("valid");
    MaintenanceWindow::create("MW-3001".into(), new, "dana", utc(2026, 1, 1, 0, 0))
}

#[test]
fn monthly_first_saturday_keeps_local_time_across_spring_dst_in_berlin() {
    let berlin = chrono_tz::Europe::Berlin;
    // 2026-02-07 is the first Saturday of February (CET, UTC+1).
    let start = local(berlin, 2026, 2, 7, 2, 0);
    let w = window(new(start, start + Duration::hours(2), "Europe/Berlin", Some("FREQ=MONTHLY;BYDAY=1SA")));
    let occ = w.occurrences(utc(2026, 1, 1, 0, 0), utc(2026, 6, 1, 0, 0));
    let days: Vec<u32> = occ.iter().map(|o| o.start.with_timezone(&berlin).day()).collect();
    assert_eq!(days, vec![7, 7, 4, 2], "first Saturdays of Feb, Mar, Apr, May 2026");
    for o in &occ {
        let l = o.start.with_timezone(&berlin);
        assert_eq!((l.hour(), l.minute(), l.weekday()), (2, 0, Weekday::Sat), "{l}");
        assert_eq!(o.end - o.start, Duration::hours(2));
    }
    // Before the switch on 29 March it is 01:00 UTC, after it 00:00 UTC.
    assert_eq!(occ[1].start, utc(2026, 3, 7, 1, 0));
    assert_eq!(occ[2].start, utc(2026, 4, 4, 0, 0));
}

#[test]
fn new_york_window_keeps_local_time_across_november_dst() {
    let ny = chrono_tz::America::New_York;
    let start = local(ny, 2026, 10, 20, 23, 0);
    let w = window(new(start, start + Duration::minutes(90), "America/New_York", Some("FREQ=WEEKLY;BYDAY=TU")));
    let occ = w.occurrences(utc(2026, 10, 15, 0, 0), utc(2026, 11, 12, 0, 0));
    assert_eq!(occ.len(), 4, "Tuesdays 20 and 27 October, 3 and 10 November: {occ:?}");
    assert!(occ.iter().all(|o| o.start.with_timezone(&ny).hour() == 23));
    assert_eq!(occ[0].start, utc(2026, 10, 21, 3, 0), "EDT is UTC-4");
    assert_eq!(occ[1].start, utc(2026, 10, 28, 3, 0));
    assert_eq!(occ[2].start, utc(2026, 11, 4, 4, 0), "EST is UTC-5 after 1 November");
}

#[test]
fn monthly_day_31_skips_short_months() {
    let start = utc(2026, 1, 31, 22, 0);
    let w = window(new(start, start + Duration::hours(1), "UTC", Some("FREQ=MONTHLY;BYMONTHDAY=31")));
    let occ = w.occurrences(utc(2026, 1, 1, 0, 0), utc(2026, 9, 1, 0, 0));
    let months: Vec<u32> = occ.iter().map(|o| o.start.month()).collect();
    assert_eq!(months, vec![1, 3, 5, 7, 8]);
}

#[test]
fn quarterly_dr_drill() {
    let berlin = chrono_tz::Europe::Berlin;
    let start = local(berlin, 2026, 1, 10, 9, 0);
    let w = window(new(start, start + Duration::hours(4), "Europe/Berlin", Some("FREQ=MONTHLY;INTERVAL=3")));
    let occ = w.occurrences(utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0));
    let dates: Vec<NaiveDate> = occ.iter().map(|o| o.start.with_timezone(&berlin).date_naive()).collect();
    let expected: Vec<NaiveDate> =
        [1, 4, 7, 10].iter().map(|m| NaiveDate::from_ymd_opt(2026, *m, 10).unwrap()).collect();
    assert_eq!(dates, expected);
    assert!(occ.iter().all(|o| o.start.with_timezone(&berlin).hour() == 9));
}

#[test]
fn occurrences_overlapping_the_start_of_the_range_are_included() {
    let start = utc(2026, 3, 2, 10, 0);
    let w = window(new(start, start + Duration::hours(2), "UTC", Some("FREQ=DAILY")));
    let occ = w.occurrences(utc(2026, 3, 4, 11, 0), utc(2026, 3, 5, 0, 0));
    assert_eq!(occ, vec![Occurrence { start: utc(2026, 3, 4, 10, 0), end: utc(2026, 3, 4, 12, 0) }]);
    assert!(w.occurrences(utc(2026, 3, 4, 12, 0), utc(2026, 3, 5, 10, 0)).is_empty(), "end exclusive, to exclusive");
}

#[test]
fn active_at_is_start_inclusive_end_exclusive() {
    let start = utc(2026, 3, 2, 10, 0);
    let w = window(new(start, start + Duration::hours(2), "UTC", Some("FREQ=WEEKLY")));
    let second = start + Duration::weeks(1);
    assert_eq!(w.active_at(start), Some(Occurrence { start, end: start + Duration::hours(2) }));
    assert_eq!(w.active_at(second).map(|o| o.start), Some(second));
    assert_eq!(w.active_at(second + Duration::hours(2) - Duration::seconds(1)).map(|o| o.start), Some(second));
    assert_eq!(w.active_at(second + Duration::hours(2)), None);
    assert_eq!(w.active_at(second - Duration::seconds(1)), None);
    assert_eq!(w.active_at(start - Duration::days(1)), None, "nothing before the first occurrence");
}

#[test]
fn cancelled_window_has_no_occurrences() {
    let start = utc(2026, 3, 2, 10, 0);
    let mut w = window(new(start, start + Duration::hours(2), "UTC", Some("FREQ=DAILY")));
    w.cancel("dana", utc(2026, 3, 1, 0, 0));
    assert_eq!(w.version, 2);
    assert!(w.occurrences(utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0)).is_empty());
    assert_eq!(w.active_at(start), None);
}

#[test]
fn window_without_rrule_is_one_occurrence() {
    let start = utc(2026, 3, 2, 10, 0);
    let w = window(new(start, start + Duration::hours(2), "UTC", None));
    let occ = w.occurrences(utc(2020, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0));
    assert_eq!(occ, vec![Occurrence { start, end: start + Duration::hours(2) }]);
}

#[test]
fn expansion_is_bounded() {
    let start = utc(2026, 1, 1, 0, 0);
    let w = window(new(start, start + Duration::minutes(30), "UTC", Some("FREQ=DAILY")));
    let occ = w.occurrences(start, utc(2036, 1, 1, 0, 0));
    assert_eq!(occ.len(), usize::from(MAX_OCCURRENCES));
}

#[test]
fn count_limits_occurrences() {
    let start = utc(2026, 1, 1, 0, 0);
    let w = window(new(start, start + Duration::minutes(30), "UTC", Some("FREQ=WEEKLY;COUNT=3")));
    assert_eq!(w.occurrences(start, utc(2027, 1, 1, 0, 0)).len(), 3);
}

#[test]
fn bad_rrule_and_bad_zone_are_named() {
    let start = utc(2026, 1, 1, 0, 0);
    let err = validate(&new(start, start + Duration::hours(1), "UTC", Some("FREQ=SOMETIMES"))).unwrap_err();
    assert_eq!(err.field(), "rrule");
    assert!(err.to_string().starts_with("rrule: "), "{err}");
    let err = validate(&new(start, start + Duration::hours(1), "Mars/Olympus", None)).unwrap_err();
    assert_eq!(err.field(), "timezone");
    assert!(err.to_string().contains("Mars/Olympus"), "{err}");
}

#[test]
fn other_validation_errors() {
    let start = utc(2026, 1, 1, 0, 0);
    let ok = new(start, start + Duration::hours(1), "UTC", None);
    assert_eq!(validate(&ok), Ok(()));
    let mut n = ok.clone();
    n.title = "  ".into();
    assert_eq!(validate(&n), Err(MaintenanceError::EmptyTitle));
    n.title = "x".repeat(201);
    assert_eq!(validate(&n).unwrap_err().field(), "title");
    let mut n = ok.clone();
    n.end = n.start;
    assert_eq!(validate(&n).unwrap_err().to_string(), "end: must be after start");
    let mut n = ok.clone();
    n.services.clear();
    assert_eq!(validate(&n), Err(MaintenanceError::NoServices));
    n.services = (0..51).map(|i| format!("svc-{i}")).collect();
    assert_eq!(validate(&n), Err(MaintenanceError::TooManyServices(51)));
    // A line break inside an `.ics` services value is no service id.
    n.services = vec!["rag-retrieval\rCATEGORIES:freeze".into()];
    assert_eq!(validate(&n), Err(MaintenanceError::BadServiceId));
}

#[test]
fn edit_bumps_version_and_keeps_identity() {
    let start = utc(2026, 1, 1, 0, 0);
    let mut w = window(new(start, start + Duration::hours(1), "UTC", None));
    let mut changed = w.to_new();
    changed.title = "  Renamed ".into();
    changed.services = vec!["a".into(), " a".into(), "b".into()];
    w.edit(changed, "erin", utc(2026, 1, 2, 0, 0));
    assert_eq!((w.id.as_str(), w.version, w.title.as_str()), ("MW-3001", 2, "Renamed"));
    assert_eq!(w.services, vec!["a".to_string(), "b".to_string()]);
    assert_eq!((w.created_by.as_str(), w.updated_by.as_str()), ("dana", "erin"));
    assert_eq!(w.last_change_label(), "edited");
    assert!(w.affects("b") && !w.affects("c"));
}

#[test]
fn actions_apply_as_the_server_applies_them() {
    let start = utc(2026, 1, 1, 0, 0);
    let mut w = window(new(start, start + Duration::hours(1), "UTC", None));
    let mut bad = w.to_new();
    bad.end = bad.start;
    let edit = MaintenanceAction::Edit { window: bad };
    assert!(matches!(w.apply(&edit, "erin", start), Err(Rejection::Invalid { message }) if message.contains("end")));
    assert_eq!(w.version, 1, "a refused edit changes nothing");
    let create = MaintenanceAction::Create { window: w.to_new() };
    assert!(w.check(&create).is_err());
    w.apply(&MaintenanceAction::Cancel, "erin", start).unwrap();
    assert_eq!((w.version, w.cancelled, w.updated_by.as_str(), w.last_change_label()), (2, true, "erin", "cancelled"));
    assert!(
        matches!(w.apply(&MaintenanceAction::Cancel, "dana", start), Err(Rejection::Invalid { message }) if message == "already cancelled")
    );
    let json = serde_json::to_string(&MaintenanceAction::Cancel).unwrap();
    assert_eq!(json, r#"{"action":"cancel"}"#);
}

#[test]
fn kinds_round_trip() {
    for kind in MaintenanceKind::ALL {
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
        assert_eq!(MaintenanceKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(MaintenanceKind::DrDrill.label(), "DR drill");
}

#[test]
fn rules_repeating_more_than_daily_are_refused_and_a_stored_one_yields_its_first_occurrence() {
    for (rule, expected) in [
        ("FREQ=SECONDLY", "rrule: FREQ=SECONDLY repeats more often than a maintenance window may"),
        ("FREQ=MINUTELY;INTERVAL=15", "rrule: FREQ=MINUTELY repeats"),
        ("FREQ=HOURLY;INTERVAL=6", "rrule: FREQ=HOURLY repeats"),
        ("FREQ=DAILY;BYSECOND=0,30", "rrule: several BYSECOND values"),
    ] {
        let new = NewMaintenance { rrule: Some(rule.into()), ..patching() };
        let error = validate(&new).unwrap_err();
        assert_eq!(error.field(), "rrule");
        assert!(error.to_string().starts_with(expected), "{error}");
    }
    assert!(validate(&NewMaintenance { rrule: Some("FREQ=DAILY;BYHOUR=2,14".into()), ..patching() }).is_ok());
    // Stored before this rule (validated then): no flood, the first occurrence only.
    let mut window = MaintenanceWindow::create("MW-1".into(), patching(), "dana", patching().start);
    window.rrule = Some("FREQ=MINUTELY".into());
    assert_eq!(window.occurrences(window.start, window.start + Duration::days(30)).len(), 1);
}

/// The `rrule` crate panics on a BYDAY value that ends inside a multi-byte character; such a
/// rule is refused before it gets there, whether validated, drawn from a stored window or read
/// from a VTIMEZONE.
#[test]
fn a_rule_that_is_not_ascii_is_refused_not_a_panic() {
    let rule = "FREQ=WEEKLY;BYDAY=\u{3aa}";
    let error = validate(&NewMaintenance { rrule: Some(rule.into()), ..patching() }).unwrap_err();
    assert_eq!(error.to_string(), "rrule: holds `\u{3aa}`, not ASCII: an RRULE is ASCII only");
    let mut window = MaintenanceWindow::create("MW-1".into(), patching(), "dana", patching().start);
    window.rrule = Some(rule.into());
    assert_eq!(window.occurrences(window.start, window.start + Duration::days(30)).len(), 1);
}

#[test]
fn excluded_occurrences_do_not_happen() {
    let mut new = NewMaintenance { rrule: Some("FREQ=DAILY;COUNT=3".into()), ..patching() };
    new.exdates = vec![new.start, new.start + Duration::days(1)];
    let window = MaintenanceWindow::create("MW-1".into(), new.clone(), "dana", new.start);
    let starts: Vec<_> = window.occurrences(new.start, new.start + Duration::days(5)).iter().map(|o| o.start).collect();
    assert_eq!(starts, vec![new.start + Duration::days(2)]);
}

fn patching() -> NewMaintenance {
    new(utc(2026, 12, 5, 1, 0), utc(2026, 12, 5, 3, 0), "Europe/Berlin", None)
}

/// The walk of a rule started near the asked-for range gives the occurrences the walk from the
/// window's start gives: every frequency that moves, intervals, several a day, BYSETPOS, UNTIL,
/// EXDATE, starts on the 28th and the 31st, across daylight-saving changes in four zones, for every
/// month of 2026 and the days right after the start.
#[test]
fn a_rule_walked_from_near_the_range_has_the_occurrences_of_one_walked_from_its_start() {
    let rules = [
        "FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=DAILY;BYHOUR=2,14",
        "FREQ=DAILY;BYMONTH=3,10",
        "FREQ=WEEKLY;BYDAY=MO,FR",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU",
        "FREQ=MONTHLY;BYDAY=1SA",
        "FREQ=MONTHLY;INTERVAL=5;BYDAY=MO,TU;BYSETPOS=-1",
        "FREQ=MONTHLY;BYMONTHDAY=15,28",
        "FREQ=DAILY;UNTIL=20260301T000000Z",
        "FREQ=WEEKLY;COUNT=400",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    ];
    let zones = [chrono_tz::Europe::Berlin, chrono_tz::America::New_York, chrono_tz::Australia::Sydney, chrono_tz::UTC];
    let starts = [(2019, 3, 31, 1, 30), (2020, 1, 28, 23, 0), (2021, 10, 31, 2, 30), (2024, 1, 31, 9, 0)];
    let mut compared = 0;
    for (i, rule) in rules.iter().enumerate() {
        for (j, tz) in zones.iter().enumerate() {
            let (y, m, d, h, min) = starts[(i + j) % starts.len()];
            let Some(start) = tz.with_ymd_and_hms(y, m, d, h, min, 0).earliest() else { continue };
            let start = start.with_timezone(&Utc);
            let mut window = MaintenanceWindow::create(
                "MW-1".into(),
                NewMaintenance {
                    rrule: Some(rule.to_string()),
                    ..new(start, start + Duration::hours(3), tz.name(), None)
                },
                "dana",
                start,
            );
            window.exdates = vec![start + Duration::days(7), start + Duration::days(2 * 365)];
            let months = (1..=12).map(|m| utc(2026, m, 1, 0, 0));
            for from in months.chain([start, start + Duration::days(1), start + Duration::days(40)]) {
                let to = from + Duration::days(31);
                let walked = window.occurrences_walked(from, to, true);
                assert_eq!(
                    walked,
                    window.occurrences_walked(from, to, false),
                    "{rule} in {tz} from {start}, asked {from}"
                );
                compared += walked.len();
            }
        }
    }
    assert!(compared > 5_000, "{compared} occurrences compared");
}

/// A rule whose parts cannot meet is refused, naming what cannot be; one whose parts meet only in
/// some years is kept; and a stored one yields its first occurrence without a long search.
#[test]
fn a_rule_that_never_happens_is_refused_naming_why() {
    for (rule, says) in [
        (
            "FREQ=YEARLY;BYMONTH=3;BYDAY=41SU",
            "rrule: never happens: BYDAY asks for weekday 41 of a month, which has at most 5",
        ),
        ("FREQ=MONTHLY;BYDAY=-6MO", "rrule: never happens: BYDAY asks for weekday -6 of a month"),
        ("FREQ=YEARLY;BYDAY=60FR", "rrule: never happens: BYDAY asks for weekday 60 of a year, which has at most 53"),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30,31",
            "rrule: never happens: BYMONTHDAY=30 is in none of the months of BYMONTH",
        ),
        ("FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=-31", "rrule: never happens: BYMONTHDAY=-31"),
        ("FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2", "rrule: never happens: BYSETPOS=2 asks for more than the 1 a period has"),
        ("FREQ=DAILY;BYHOUR=2,14;BYSETPOS=-3", "rrule: never happens: BYSETPOS=-3 asks for more than the 2"),
        ("FREQ=MONTHLY;BYSETPOS=3;BYDAY=2SA", "rrule: never happens: BYSETPOS=3 asks for more than the 1 a period has"),
        ("FREQ=MONTHLY;BYDAY=1MO,-1FR;BYSETPOS=-3", "rrule: never happens: BYSETPOS=-3 asks for more than the 2"),
    ] {
        let error = validate(&NewMaintenance { rrule: Some(rule.into()), ..patching() }).unwrap_err();
        assert!(error.to_string().starts_with(says), "{rule}: {error}");
    }
    for rule in [
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
        "FREQ=MONTHLY;BYDAY=5SU",
        "FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=2",
        "FREQ=MONTHLY;BYDAY=1MO,-1FR;BYSETPOS=2",
        "FREQ=MONTHLY;BYDAY=2SA,MO;BYSETPOS=3",
    ] {
        assert!(validate(&NewMaintenance { rrule: Some(rule.into()), ..patching() }).is_ok(), "{rule}");
    }
    let mut window = MaintenanceWindow::create("MW-1".into(), patching(), "dana", patching().start);
    window.rrule = Some("FREQ=YEARLY;BYMONTH=3;BYDAY=41SU".into());
    assert_eq!(window.occurrences(window.start, window.start + Duration::days(3650)).len(), 1);
}

#[test]
fn a_window_outside_the_years_or_longer_than_a_year_is_refused_naming_the_field() {
    // The year 0026 for 2026 is the typo this catches; the window it made lasted 2,000 years.
    let typo = new(utc(26, 11, 14, 9, 0), utc(2026, 11, 14, 13, 0), "Europe/Berlin", None);
    let error = validate(&typo).unwrap_err();
    assert_eq!(error, MaintenanceError::YearOutOfRange(26));
    assert_eq!(error.field(), "start");
    assert_eq!(error.to_string(), "start: start and end must fall in the years 1970 to 2199, not 26");
    let late = new(utc(2199, 12, 31, 20, 0), utc(2200, 1, 1, 2, 0), "UTC", None);
    assert_eq!(validate(&late), Err(MaintenanceError::YearOutOfRange(2200)));
    // The edges themselves are fine.
    assert_eq!(validate(&new(utc(1970, 1, 1, 0, 0), utc(1970, 1, 1, 1, 0), "UTC", None)), Ok(()));
    assert_eq!(validate(&new(utc(2199, 12, 31, 0, 0), utc(2199, 12, 31, 23, 0), "UTC", None)), Ok(()));

    // A year and a day is one occurrence too long; exactly 366 days is the longest.
    let start = utc(2026, 12, 1, 0, 0);
    let longest = new(start, start + Duration::days(MAX_WINDOW_DAYS), "UTC", None);
    assert_eq!(validate(&longest), Ok(()));
    let longer = new(start, start + Duration::days(MAX_WINDOW_DAYS) + Duration::minutes(1), "UTC", None);
    let error = validate(&longer).unwrap_err();
    assert_eq!(
        (error.field(), error.to_string().as_str()),
        ("end", "end: one occurrence may last at most 366 days, not 367")
    );
}
