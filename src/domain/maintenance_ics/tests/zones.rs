//! A file's own VTIMEZONE: offsets from its observances, and the IANA zone kept for the window.

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::super::read::calendars;
use super::super::zones::{FileZone, Offsets, expanded_onsets, resolve, yearly_onsets};

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
}

fn zone(text: &str) -> FileZone {
    let all = calendars(&format!("BEGIN:VCALENDAR\r\n{text}END:VCALENDAR\r\n")).unwrap();
    FileZone::read(&all[0].children[0], 2200).unwrap()
}

/// Central Europe as Lotus Notes names it: rules from 1601, like Outlook's.
const LOTUS: &str = "BEGIN:VTIMEZONE\r\nTZID:GMT +0100 (Standard) / GMT +0200 (Daylight)\r\nBEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

#[test]
fn offsets_come_from_the_observances_and_an_agreeing_iana_zone_is_kept() {
    let z = zone(LOTUS);
    let resolved =
        resolve("GMT +0100 (Standard) / GMT +0200 (Daylight)", std::slice::from_ref(&z), local(2026, 7, 1, 2, 0))
            .unwrap();
    assert!(matches!(resolved.offsets, Offsets::File(_)));
    assert_eq!(resolved.iana, Some(chrono_tz::Europe::Berlin));
    // Summer: +02:00; winter: +01:00; the changes on the last Sundays of March and October.
    assert_eq!(resolved.instant(local(2026, 7, 1, 2, 0)), Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap());
    assert_eq!(resolved.instant(local(2026, 12, 5, 2, 0)), Utc.with_ymd_and_hms(2026, 12, 5, 1, 0, 0).unwrap());
    assert_eq!(resolved.instant(local(2027, 3, 28, 1, 59)), Utc.with_ymd_and_hms(2027, 3, 28, 0, 59, 0).unwrap());
    assert_eq!(resolved.instant(local(2027, 3, 28, 3, 0)), Utc.with_ymd_and_hms(2027, 3, 28, 1, 0, 0).unwrap());
    // In the spring gap, the offset before it (RFC 5545 §3.3.5); twice in autumn, the earlier.
    assert_eq!(resolved.instant(local(2027, 3, 28, 2, 30)), Utc.with_ymd_and_hms(2027, 3, 28, 1, 30, 0).unwrap());
    assert_eq!(resolved.instant(local(2026, 10, 25, 2, 30)), Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap());
}

#[test]
fn names_that_end_in_an_iana_zone_or_are_windows_names() {
    let none: &[FileZone] = &[];
    let at = local(2026, 12, 5, 2, 0);
    for (tzid, zone) in [
        ("/freeassociation.sourceforge.net/Europe/Berlin", chrono_tz::Europe::Berlin),
        ("/mozilla.org/20070129_1/America/New_York", chrono_tz::America::New_York),
        ("/Europe/Stockholm", chrono_tz::Europe::Stockholm),
        ("custom_America/New_York", chrono_tz::America::New_York),
        ("\"W. Europe Standard Time\"", chrono_tz::Europe::Berlin),
        ("Pacific Standard Time", chrono_tz::America::Los_Angeles),
        ("America/Port_of_Spain", chrono_tz::America::Port_of_Spain),
    ] {
        let resolved = resolve(tzid, none, at).unwrap();
        assert_eq!(resolved.iana, Some(zone), "{tzid}");
    }
    let error = resolve("Mars Standard Time", none, at).unwrap_err();
    assert!(error.contains("unknown time zone `Mars Standard Time`"), "{error}");
}

#[test]
fn a_custom_zone_without_a_matching_iana_zone_keeps_its_offsets() {
    // +0315 all year: no zone of the database has that offset.
    let odd = "BEGIN:VTIMEZONE\r\nTZID:Odd Island\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0315\r\nTZOFFSETTO:+0315\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
    let z = zone(odd);
    let resolved = resolve("Odd Island", &[z], local(2026, 12, 5, 3, 15)).unwrap();
    assert_eq!(resolved.iana, None);
    assert_eq!(resolved.instant(local(2026, 12, 5, 3, 15)), Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap());
}

#[test]
fn a_broken_vtimezone_names_itself() {
    let broken = LOTUS.replace("TZOFFSETTO:+0100", "TZOFFSETTO:one hour");
    let all = calendars(&format!("BEGIN:VCALENDAR\r\n{broken}END:VCALENDAR\r\n")).unwrap();
    let error = FileZone::read(&all[0].children[0], 2200).unwrap_err();
    assert!(
        error.contains("VTIMEZONE `GMT +0100 (Standard) / GMT +0200 (Daylight)`: TZOFFSETTO `one hour`"),
        "{error}"
    );
}

/// The onsets counted out year by year are the ones the `rrule` crate expands, for every month,
/// weekday and place in the month (first to fifth, last to fifth from last), with and without
/// UNTIL, from starts in 1601, 1970 and 2007 and at times on either side of the onset; and rules
/// of another shape still go to the crate.
#[test]
fn counted_yearly_onsets_are_the_expanded_ones() {
    let starts =
        [local(1601, 1, 1, 2, 0), local(1970, 10, 25, 3, 0), local(2007, 3, 11, 2, 0), local(2007, 12, 31, 23, 59)];
    let days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    let mut compared = 0;
    for month in 1..=12 {
        for (i, day) in days.iter().enumerate() {
            for nth in [-5, -4, -2, -1, 1, 2, 4, 5] {
                let start = starts[(month + i) % starts.len()];
                let until = if (month + i) % 3 == 0 { ";UNTIL=20370101T000000Z" } else { "" };
                let rule = format!("FREQ=YEARLY;BYMONTH={month};BYDAY={nth}{day}{until}");
                let counted = yearly_onsets(&rule, start, 2200).unwrap();
                assert_eq!(counted, expanded_onsets(&rule, start, 2200).unwrap(), "{rule} from {start}");
                compared += counted.len();
            }
        }
    }
    assert!(compared > 100_000, "{compared} onsets compared");
    for rule in [
        "FREQ=YEARLY;BYMONTH=3;BYDAY=SU",
        "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU",
        "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=-1SU",
        "FREQ=YEARLY;COUNT=3;BYMONTH=3;BYDAY=2SU",
    ] {
        let start = local(2000, 1, 1, 2, 0);
        assert_eq!(yearly_onsets(rule, start, 2030).unwrap(), expanded_onsets(rule, start, 2030).unwrap(), "{rule}");
    }
}
