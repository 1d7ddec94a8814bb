//! A file's own VTIMEZONE: offsets from its observances, and the IANA zone kept for the window.

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::super::read::calendars;
use super::super::zones::{FileZone, Offsets, resolve};

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
