use super::*;

/// Lines 1–6: two calendars.
const CALENDARS: &str = "[calendars.business]
timezone = \"America/New_York\"
hours = { mon = [\"09:00-17:00\"], fri = [\"09:00-12:00\", \"13:00-17:00\"] }
holidays = [\"2026-12-25\", 2027-01-01]

[calendars.\"24x7\"]
always_open = true
";

fn priorities(except: Option<&str>) -> String {
    ["P1", "P2", "P3", "P4"]
        .iter()
        .filter(|p| Some(**p) != except)
        .map(|p| format!("\n[priorities.{p}]\ncalendar = \"business\"\nresponse = \"4h\"\nresolution = \"24h\"\n"))
        .collect()
}

#[test]
fn the_default_policy_parses() {
    let policy = SlaPolicy::default_policy();
    let p1 = policy.targets(Priority::P1);
    assert_eq!((p1.response.duration, p1.resolution.duration), (Duration::minutes(15), Duration::hours(4)));
    assert_eq!(p1.response.calendar, "24x7");
    assert!(policy.calendar_for(&p1.resolution).is_always_open());
    let p2 = policy.targets(Priority::P2);
    assert_eq!((p2.response.duration, p2.resolution.duration), (Duration::hours(1), Duration::hours(8)));
    let p3 = policy.targets(Priority::P3);
    assert_eq!((p3.response.duration, p3.resolution.duration), (Duration::hours(4), Duration::hours(24)));
    let p4 = policy.targets(Priority::P4);
    assert_eq!((p4.response.duration, p4.resolution.duration), (Duration::hours(8), Duration::hours(72)));
    let business = policy.calendar_for(&p4.response);
    assert_eq!(business.timezone(), Some(chrono_tz::America::New_York));
    assert_eq!(policy.calendar_names().collect::<Vec<_>>(), ["24x7", "business"]);
    assert_eq!(*policy.bands(), Bands::default());
    assert!(policy.bell_on_critical());
    let stray = Target { calendar: "nowhere".into(), duration: Duration::hours(1) };
    assert!(policy.calendar_for(&stray).is_always_open(), "a hand-made target never panics");
}

#[test]
fn a_full_policy_parses() {
    let text = format!(
        "{CALENDARS}{}\n[bands]\nwarning = \"2h\"\nwarning_fraction = 1\ncritical = \"45m\"\n\
         critical_fraction = 0.2\nbell_on_critical = false\n",
        priorities(None)
    );
    let policy = SlaPolicy::parse(&text).unwrap();
    let bands = policy.bands();
    assert_eq!((bands.warning, bands.warning_fraction), (Duration::hours(2), 1.0));
    assert_eq!((bands.critical, bands.critical_fraction), (Duration::minutes(45), 0.2));
    assert!(!policy.bell_on_critical());
    let business = policy.calendar("business").unwrap();
    let new_year = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap().and_hms_opt(15, 0, 0).unwrap().and_utc();
    assert!(!business.is_open_at(new_year), "a bare TOML date is a holiday too");
    let friday_lunch = chrono::NaiveDate::from_ymd_opt(2026, 11, 6).unwrap().and_hms_opt(17, 30, 0).unwrap();
    assert!(!business.is_open_at(friday_lunch.and_utc()));
    assert!(business.is_open_at((friday_lunch + Duration::hours(1)).and_utc()));
}

#[test]
fn mistakes_name_the_line_and_the_key() {
    let swap = |from: &str, to: &str| format!("{}{}", CALENDARS.replacen(from, to, 1), priorities(None));
    let cases: Vec<(String, Option<usize>, Option<&str>, &str)> = vec![
        (
            format!("{CALENDARS}{}", priorities(None).replacen("\"business\"", "\"biz\"", 1)),
            Some(10),
            Some("priorities.P1.calendar"),
            "unknown calendar `biz` (known: 24x7, business)",
        ),
        (
            swap("[\"09:00-17:00\"]", "[\"17:00-09:00\"]"),
            Some(3),
            Some("calendars.business.hours.mon"),
            "does not end after",
        ),
        (swap("[\"09:00-17:00\"]", "[\"9-5\"]"), Some(3), Some("calendars.business.hours.mon"), "`9-5` is not a range"),
        (swap("\"13:00-17:00\"", "\"11:00-17:00\""), Some(3), Some("calendars.business.hours.fri"), "overlap"),
        (swap("mon =", "monday ="), Some(3), Some("calendars.business.hours.monday"), "unknown weekday `monday`"),
        (swap("America/New_York", "Mars/Olympus"), Some(2), Some("calendars.business.timezone"), "IANA"),
        (swap("2026-12-25", "2026-13-01"), Some(4), Some("calendars.business.holidays"), "not a date"),
        (swap("timezone", "time_zone"), Some(2), Some("calendars.business.time_zone"), "unknown field"),
        (swap("always_open = true", "always_open = false"), Some(7), Some("calendars.24x7.always_open"), "leave"),
        (
            swap("always_open = true", "always_open = true\ntimezone = \"UTC\""),
            Some(6),
            Some("calendars.24x7"),
            "no timezone",
        ),
        (swap("always_open = true", "holidays = []"), Some(6), Some("calendars.24x7"), "needs either"),
        (
            swap("mon = [\"09:00-17:00\"], fri = [\"09:00-12:00\", \"13:00-17:00\"]", "sat = []"),
            Some(3),
            Some("calendars.business.hours"),
            "no open hours",
        ),
        (
            format!("{CALENDARS}{}", priorities(None).replacen("\"4h\"", "\"4x\"", 1)),
            Some(11),
            Some("priorities.P1.response"),
            "not a duration",
        ),
        (
            format!("{CALENDARS}{}", priorities(None).replacen("\"24h\"", "\"0m\"", 1)),
            Some(12),
            Some("priorities.P1.resolution"),
            "longer than zero",
        ),
        (
            format!("{CALENDARS}{}", priorities(None).replacen("\"24h\"", "\"4000d\"", 1)),
            Some(12),
            Some("priorities.P1.resolution"),
            "maximum",
        ),
        (
            format!("{CALENDARS}{}", priorities(None).replacen("\"4h\"", "4", 1)),
            Some(11),
            Some("priorities.P1.response"),
            "invalid type",
        ),
        (
            format!("{CALENDARS}{}", priorities(None).replacen("response", "respond", 1)),
            Some(11),
            Some("priorities.P1.respond"),
            "unknown field",
        ),
        (
            format!("{CALENDARS}{}", priorities(None).replacen("P2", "P5", 1)),
            Some(14),
            Some("priorities.P5"),
            "unknown priority",
        ),
        (format!("{CALENDARS}{}", priorities(Some("P4"))), None, Some("priorities.P4"), "missing"),
        (
            format!("{CALENDARS}{}\n[bands]\nwarning_fraction = 1.5\n", priorities(None)),
            Some(30),
            Some("bands.warning_fraction"),
            "fraction",
        ),
        (
            format!("{CALENDARS}{}\n[bands]\ncritical = \"soon\"\n", priorities(None)),
            Some(30),
            Some("bands.critical"),
            "not a duration",
        ),
        (format!("colour = 1\n{CALENDARS}{}", priorities(None)), Some(1), Some("colour"), "unknown field"),
        (format!("{CALENDARS}{}\nresponse = ", priorities(None)), Some(29), Some("priorities.P4.response"), ""),
    ];
    for (text, line, key, needle) in cases {
        let err = SlaPolicy::parse(&text).expect_err(&text);
        assert_eq!((err.line, err.key.as_deref()), (line, key), "{err}\n{text}");
        assert!(err.to_string().contains(needle), "{err}");
    }
    let err = SlaPolicy::parse(&format!("{CALENDARS}{}", priorities(None).replacen("\"business\"", "\"biz\"", 1)));
    assert_eq!(
        err.unwrap_err().to_string(),
        "line 10, `priorities.P1.calendar`: unknown calendar `biz` (known: 24x7, business)"
    );
}
