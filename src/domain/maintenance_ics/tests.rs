use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};

use super::*;
use crate::domain::maintenance::MaintenanceKind;

mod plan;
mod read;
mod zones;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn windows() -> Vec<MaintenanceWindow> {
    let patching = NewMaintenance {
        title: "Monthly patching; gateway, retrieval".into(),
        kind: MaintenanceKind::Routine,
        services: vec!["llm-gateway".into(), "rag-retrieval".into()],
        start: utc(2026, 12, 5, 1, 0),
        end: utc(2026, 12, 5, 3, 0),
        timezone: "Europe/Berlin".into(),
        rrule: Some("FREQ=MONTHLY;BYDAY=1SA".into()),
        exdates: Vec::new(),
        uid: None,
        description: "Line one\nLine two, with a comma and a \\ backslash. ".repeat(3).trim().to_string(),
        suppress_alerts: true,
        pause_sla: true,
    };
    let drill = NewMaintenance {
        title: "DR drill".into(),
        kind: MaintenanceKind::DrDrill,
        services: vec!["billing-meter".into()],
        start: utc(2026, 11, 14, 14, 0),
        end: utc(2026, 11, 14, 18, 0),
        timezone: "America/New_York".into(),
        rrule: Some("FREQ=MONTHLY;INTERVAL=3;BYDAY=2SA".into()),
        exdates: Vec::new(),
        uid: None,
        description: String::new(),
        suppress_alerts: false,
        pause_sla: true,
    };
    let patch = NewMaintenance {
        title: "Emergency patch".into(),
        kind: MaintenanceKind::EmergencyPatch,
        services: vec!["llm-gateway".into()],
        start: utc(2026, 11, 3, 9, 40),
        end: utc(2026, 11, 3, 10, 40),
        timezone: "UTC".into(),
        rrule: None,
        exdates: Vec::new(),
        uid: None,
        description: String::new(),
        suppress_alerts: true,
        pause_sla: false,
    };
    [patching, drill, patch]
        .into_iter()
        .enumerate()
        .map(|(i, n)| MaintenanceWindow::create(format!("MW-{}", 3001 + i), n, "dana", utc(2026, 11, 1, 0, 0)))
        .collect()
}

#[test]
fn round_trip_keeps_every_field() {
    let originals = windows();
    let text = to_ics(&originals);
    assert!(text.contains("DTSTART;TZID=Europe/Berlin:20261205T020000\r\n"), "{text}");
    assert!(text.contains("DTSTART:20261103T094000Z\r\n"));
    assert!(text.contains("UID:MW-3001@opsdeck\r\n"));
    assert!(text.lines().all(|l| l.len() <= 75), "lines are folded");
    let mut events = read_ics(&text, &ImportDefaults::default()).unwrap().events;
    events.sort_by_key(|e| e.uid.clone());
    assert_eq!(events.len(), 3);
    for (event, original) in events.iter().zip(&originals) {
        let uid = format!("{}@opsdeck", original.id);
        assert_eq!(event.uid.as_deref(), Some(uid.as_str()));
        assert_eq!(event.window, NewMaintenance { uid: Some(uid), ..original.to_new() });
    }
}

#[test]
fn cancelled_windows_are_exported_as_cancelled_and_skipped_on_import() {
    let mut all = windows();
    all[1].cancel("dana", utc(2026, 11, 2, 0, 0));
    let text = to_ics(&all);
    assert_eq!(text.matches("STATUS:CANCELLED").count(), 1);
    assert_eq!(from_ics(&text).unwrap().len(), 2);
}

const GOOGLE: &str = "BEGIN:VCALENDAR\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
VERSION:2.0\r
CALSCALE:GREGORIAN\r
METHOD:PUBLISH\r
X-WR-CALNAME:Platform maintenance\r
X-WR-TIMEZONE:Europe/Berlin\r
BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
X-LIC-LOCATION:Europe/Berlin\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
DTSTART;TZID=Europe/Berlin:20261205T020000\r
DTEND;TZID=Europe/Berlin:20261205T040000\r
RRULE:FREQ=MONTHLY;BYDAY=1SA\r
DTSTAMP:20261101T120000Z\r
UID:5u1n2c3k4v@google.com\r
CREATED:20261101T115500Z\r
DESCRIPTION:Kernel and driver updates\\, node by node.\r
LAST-MODIFIED:20261101T115500Z\r
SEQUENCE:0\r
STATUS:CONFIRMED\r
SUMMARY:Platform patching\r
TRANSP:OPAQUE\r
BEGIN:VALARM\r
ACTION:DISPLAY\r
DESCRIPTION:This is an event reminder\r
TRIGGER:-P0DT0H30M0S\r
END:VALARM\r
END:VEVENT\r
END:VCALENDAR\r
";

#[test]
fn google_export_needs_default_services() {
    let err = from_ics(GOOGLE).unwrap_err();
    assert_eq!(
        err.to_string(),
        "event `5u1n2c3k4v@google.com` (Platform patching): no X-OPSDECK-SERVICES and no default services (pass --services a,b)"
    );
    let defaults = ImportDefaults { services: vec!["llm-gateway".into(), "rag-retrieval".into()] };
    let events = read_ics(GOOGLE, &defaults).unwrap().events;
    assert_eq!(events.len(), 1);
    let w = &events[0].window;
    assert_eq!(
        (w.title.as_str(), w.timezone.as_str(), w.kind),
        ("Platform patching", "Europe/Berlin", MaintenanceKind::Routine)
    );
    assert_eq!((w.start, w.end), (utc(2026, 12, 5, 1, 0), utc(2026, 12, 5, 3, 0)));
    assert_eq!(w.rrule.as_deref(), Some("FREQ=MONTHLY;BYDAY=1SA"));
    assert_eq!(w.description, "Kernel and driver updates, node by node.");
    assert_eq!(w.services, defaults.services);
    assert!(!w.suppress_alerts && !w.pause_sla);
}

const OUTLOOK: &str = "BEGIN:VCALENDAR\r
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r
VERSION:2.0\r
METHOD:PUBLISH\r
X-MS-OLK-FORCEINSPECTOROPEN:TRUE\r
BEGIN:VTIMEZONE\r
TZID:W. Europe Standard Time\r
BEGIN:STANDARD\r
DTSTART:16011028T030000\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010325T020000\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
CLASS:PUBLIC\r
CREATED:20261101T100000Z\r
DESCRIPTION:Retrain and deploy\\n\r
DTEND;TZID=\"W. Europe Standard Time\":20261110T233000\r
DTSTAMP:20261101T100000Z\r
DTSTART;TZID=\"W. Europe Standard Time\":20261110T220000\r
LAST-MODIFIED:20261101T100000Z\r
PRIORITY:5\r
RRULE:FREQ=WEEKLY;BYDAY=TU\r
SEQUENCE:0\r
SUMMARY;LANGUAGE=en-us:Weekly retrain\r
TRANSP:OPAQUE\r
UID:040000008200E00074C5B7101A82E00800000000\r
X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r
X-MICROSOFT-CDO-IMPORTANCE:1\r
X-MICROSOFT-DISALLOW-COUNTER:FALSE\r
X-MS-OLK-AUTOFILLLOCATION:FALSE\r
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY\r
X-OPSDECK-SERVICES:support-assistant,embedding-service\r
X-OPSDECK-SUPPRESS-ALERTS:TRUE\r
CATEGORIES:model_release\r
END:VEVENT\r
END:VCALENDAR\r
";

#[test]
fn outlook_export_with_windows_zone_names() {
    let events = from_ics(OUTLOOK).unwrap();
    let w = &events[0];
    assert_eq!((w.title.as_str(), w.timezone.as_str()), ("Weekly retrain", "Europe/Berlin"));
    assert_eq!(w.start.with_timezone(&chrono_tz::Europe::Berlin).hour(), 22);
    assert_eq!(w.end - w.start, Duration::minutes(90));
    assert_eq!(w.kind, MaintenanceKind::ModelRelease);
    assert!(w.suppress_alerts && !w.pause_sla);
    assert_eq!(w.services, vec!["support-assistant".to_string(), "embedding-service".to_string()]);
    // A name nobody knows is still understood through the file's own VTIMEZONE…
    let custom = OUTLOOK.replace("W. Europe Standard Time", "Mars Standard Time");
    assert_eq!(from_ics(&custom).unwrap()[0].timezone, "Europe/Berlin");
    // …and refused without one.
    let unknown = OUTLOOK.replace("TZID=\"W. Europe Standard Time\"", "TZID=\"Mars Standard Time\"");
    let err = from_ics(&unknown).unwrap_err().to_string();
    assert!(err.contains("Weekly retrain") && err.contains("unknown time zone `Mars Standard Time`"), "{err}");
}

fn single(event_lines: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e1\r\n{event_lines}END:VEVENT\r\nEND:VCALENDAR\r\n")
}

#[test]
fn durations_floating_times_and_all_day_dates() {
    let text =
        single("SUMMARY:Freeze\r\nDTSTART;VALUE=DATE:20261220\r\nDURATION:P2W\r\nX-OPSDECK-SERVICES:llm-gateway\r\n");
    let w = &from_ics(&text).unwrap()[0];
    assert_eq!((w.start, w.end, w.timezone.as_str()), (utc(2026, 12, 20, 0, 0), utc(2027, 1, 3, 0, 0), "UTC"));
    let text =
        single("SUMMARY:Floating\r\nDTSTART:20261220T080000\r\nDURATION:PT1H30M\r\nX-OPSDECK-SERVICES:llm-gateway\r\n");
    let w = &from_ics(&text).unwrap()[0];
    assert_eq!((w.start, w.end), (utc(2026, 12, 20, 8, 0), utc(2026, 12, 20, 9, 30)));
}

#[test]
fn bad_events_are_named_with_the_problem() {
    let services = "X-OPSDECK-SERVICES:llm-gateway\r\n";
    let cases = [
        (
            format!("SUMMARY:No start\r\nDTEND:20261220T080000Z\r\n{services}"),
            "event `e1` (No start): DTSTART is missing",
        ),
        (
            format!(
                "SUMMARY:Bad rule\r\nDTSTART:20261220T080000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=SOMETIMES\r\n{services}"
            ),
            "event `e1` (Bad rule): rrule: ",
        ),
        (format!("SUMMARY:No end\r\nDTSTART:20261220T080000Z\r\n{services}"), "event `e1` (No end): lasts no time"),
        (
            format!("SUMMARY:Bad date\r\nDTSTART:2026-12-20\r\nDURATION:PT1H\r\n{services}"),
            "event `e1` (Bad date): DTSTART: `2026-12-20` is not a date-time",
        ),
        (
            format!("SUMMARY:Bad length\r\nDTSTART:20261220T080000Z\r\nDURATION:1 hour\r\n{services}"),
            "event `e1` (Bad length): DURATION: `1 hour` is not a duration",
        ),
    ];
    for (lines, expected) in cases {
        let err = from_ics(&single(&lines)).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{err}\nshould start with\n{expected}");
    }
}

#[test]
fn broken_files_are_syntax_errors() {
    let broken = single("SUMMARY:Ok\r\nthis line has no colon\r\nDTSTART:20261220T080000Z\r\n");
    assert!(matches!(from_ics(&broken), Err(IcsError::Syntax(_))), "{:?}", from_ics(&broken));
    assert!(matches!(from_ics("hello"), Err(IcsError::Syntax(_))));
    assert_eq!(from_ics("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"), Err(IcsError::NoEvents));
}

#[test]
fn an_export_imports_as_already_present_even_with_sub_second_times() {
    // A window planned at `now` starts at a fraction of a second; the file carries whole seconds.
    let mut all = windows();
    let fraction = chrono::Duration::nanoseconds(734_512_901);
    for w in &mut all {
        (w.start, w.end) = (w.start + fraction, w.end + fraction);
    }
    let file = read_ics(&to_ics(&all), &ImportDefaults::default()).unwrap();
    assert!(file.events.iter().all(|e| !all.iter().any(|w| w.to_new() == e.window)), "the fraction is gone");
    let plan = plan_import(file, &[], &all);
    assert_eq!((plan.create.len(), plan.unchanged.len()), (0, all.len()), "{:?}", plan.create);
    let existing: Vec<NewMaintenance> = all.iter().map(MaintenanceWindow::to_new).collect();

    // Still a different window when anything a file carries differs, a second included.
    let mut moved = existing[0].clone();
    moved.start += chrono::Duration::seconds(1);
    assert!(!same_window(&moved, &existing[0]));
    let mut shuffled = existing[0].clone();
    shuffled.services.reverse();
    shuffled.timezone = " Europe/Berlin ".into();
    assert!(same_window(&shuffled, &existing[0]), "service order and spacing do not make a new window");
    let mut retitled = existing[0].clone();
    retitled.title.push('!');
    assert!(!same_window(&retitled, &existing[0]));
}

/// Parsed VTIMEZONE observances: UTC onsets (expanded to 2045) and the offset each sets.
fn onsets(text: &str, tzid: &str) -> Vec<(DateTime<Utc>, i64)> {
    let unfolded = text.replace("\r\n ", "");
    let block = unfolded
        .split("BEGIN:VTIMEZONE\r\n")
        .find(|b| b.starts_with(&format!("TZID:{tzid}\r\n")))
        .unwrap_or_else(|| panic!("no VTIMEZONE for {tzid}:\n{text}"));
    let block = &block[..block.find("END:VTIMEZONE").unwrap()];
    let offset = |v: &str| {
        let sign = if v.starts_with('-') { -1 } else { 1 };
        let d: Vec<i64> =
            v.as_bytes()[1..].chunks(2).map(|c| std::str::from_utf8(c).unwrap().parse().unwrap()).collect();
        sign * (d[0] * 3600 + d[1] * 60 + d.get(2).copied().unwrap_or(0))
    };
    let mut out = Vec::new();
    for part in block.split("BEGIN:").skip(1) {
        let get = |name: &str| part.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).map(str::to_string);
        let start = NaiveDateTime::parse_from_str(&get("DTSTART").unwrap(), "%Y%m%dT%H%M%S").unwrap();
        let (from, to) = (offset(&get("TZOFFSETFROM").unwrap()), offset(&get("TZOFFSETTO").unwrap()));
        let utc = |local: NaiveDateTime| (local - chrono::Duration::seconds(from)).and_utc();
        let Some(rule) = get("RRULE") else {
            out.push((utc(start), to));
            continue;
        };
        let field = |key: &str| rule.split(';').find_map(|p| p.strip_prefix(&format!("{key}="))).map(str::to_string);
        assert_eq!(field("FREQ").as_deref(), Some("YEARLY"), "{rule}");
        let month: u32 = field("BYMONTH").unwrap().parse().unwrap();
        let byday = field("BYDAY").unwrap();
        let (nth, day) = byday.split_at(byday.len() - 2);
        let weekday: chrono::Weekday = match day {
            "SU" => chrono::Weekday::Sun,
            "SA" => chrono::Weekday::Sat,
            "FR" => chrono::Weekday::Fri,
            "TH" => chrono::Weekday::Thu,
            other => panic!("weekday {other}"),
        };
        let until = field("UNTIL").map(|u| NaiveDateTime::parse_from_str(&u, "%Y%m%dT%H%M%SZ").unwrap().and_utc());
        for year in start.year()..=2045 {
            let date = match nth.parse::<i8>().unwrap() {
                -1 => {
                    let last = NaiveDate::from_ymd_opt(year + i32::from(month == 12), month % 12 + 1, 1)
                        .unwrap()
                        .pred_opt()
                        .unwrap();
                    last - chrono::Duration::days(i64::from(
                        (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7,
                    ))
                }
                n => NaiveDate::from_weekday_of_month_opt(year, month, weekday, n as u8).unwrap(),
            };
            let at = utc(date.and_time(start.time()));
            if at < utc(start) || until.is_some_and(|u| at > u) {
                continue;
            }
            out.push((at, to));
        }
    }
    out.sort();
    out
}

#[test]
fn every_tzid_has_a_vtimezone_whose_offsets_match_the_zone_database() {
    let mut all = windows();
    let base = all[2].to_new();
    let extra = |id: &str, zone: &str, start: DateTime<Utc>| {
        let new =
            NewMaintenance { timezone: zone.into(), start, end: start + chrono::Duration::hours(2), ..base.clone() };
        MaintenanceWindow::create(id.into(), new, "dana", start)
    };
    all.push(extra("MW-3010", "Australia/Sydney", utc(2026, 12, 1, 0, 0)));
    all.push(extra("MW-3011", "Asia/Kolkata", utc(2026, 12, 1, 0, 0)));
    all.push(extra("MW-3012", "Europe/Berlin", utc(2027, 7, 1, 0, 0)));
    let text = to_ics(&all);
    assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 4, "one per zone, none for UTC:\n{text}");
    assert!(text.find("BEGIN:VTIMEZONE").unwrap() < text.find("BEGIN:VEVENT").unwrap());
    assert!(!text.contains("TZID:UTC"));
    // The rules as calendar programs write them.
    assert!(
        text.contains(
            "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET"
        ),
        "{text}"
    );
    assert!(text.contains("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400"), "{text}");
    assert!(
        text.contains("RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500"),
        "{text}"
    );
    assert!(
        text.contains("TZID:Asia/Kolkata\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0530"),
        "{text}"
    );
    // Read back as a calendar program would: the offset in force at any instant from the first
    // window on, for years past the scanned ones too, is the zone database's.
    for zone in [
        chrono_tz::Europe::Berlin,
        chrono_tz::America::New_York,
        chrono_tz::Australia::Sydney,
        chrono_tz::Asia::Kolkata,
    ] {
        let onsets = onsets(&text, zone.name());
        let mut at = utc(2026, 11, 1, 0, 0);
        while at < utc(2040, 1, 1, 0, 0) {
            let expected = zone.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc();
            let shown = onsets.iter().rev().find(|(onset, _)| *onset <= at).map(|(_, to)| *to);
            assert_eq!(shown, Some(i64::from(expected)), "{} at {at}", zone.name());
            at += chrono::Duration::hours(7);
        }
    }
    // And the file still imports, VTIMEZONEs and all.
    assert_eq!(from_ics(&text).unwrap().len(), all.len());
}

#[test]
fn a_zone_that_stopped_changing_gets_an_until() {
    // Moscow kept summer time all year from March 2011: its last autumn change was in 2010.
    let lines = tz::vtimezone(chrono_tz::Europe::Moscow, utc(2009, 6, 1, 0, 0), utc(2012, 6, 1, 0, 0));
    let text = lines.join("\r\n") + "\r\n";
    assert!(text.contains(";UNTIL=2010"), "{text}");
    let onsets =
        onsets(&format!("BEGIN:VTIMEZONE\r\n{}", text.trim_start_matches("BEGIN:VTIMEZONE\r\n")), "Europe/Moscow");
    let mut at = utc(2009, 6, 1, 0, 0);
    while at < utc(2016, 1, 1, 0, 0) {
        let expected = chrono_tz::Europe::Moscow.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc();
        let shown = onsets.iter().rev().find(|(onset, _)| *onset <= at).map(|(_, to)| *to);
        // Past the scanned years only the 2014 change is unknown to this VTIMEZONE.
        if at < utc(2013, 6, 1, 0, 0) {
            assert_eq!(shown, Some(i64::from(expected)), "at {at}");
        }
        at += chrono::Duration::hours(7);
    }
}
