use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;

use super::*;

fn hours(h: i32) -> FixedOffset {
    FixedOffset::east_opt(h * 3600).unwrap()
}

#[test]
fn the_system_zone_is_tz_then_the_systems_name_then_the_offset() {
    let asked = std::cell::Cell::new(false);
    let name = |zone: &'static str| {
        let asked = &asked;
        move || {
            asked.set(true);
            Some(zone.to_string())
        }
    };
    let berlin = SystemZone::Named(Berlin);
    assert_eq!(SystemZone::from_parts(Some("Europe/Berlin".into()), name("Asia/Tokyo"), hours(9)), berlin);
    assert!(!asked.get(), "TZ wins over what /etc/localtime names, as it does for the C library");
    assert_eq!(SystemZone::from_parts(Some(":Europe/Berlin".into()), name("Asia/Tokyo"), hours(9)), berlin);
    assert_eq!(
        SystemZone::from_parts(Some("CET-1CEST".into()), name("Asia/Tokyo"), hours(1)),
        SystemZone::Offset(hours(1))
    );
    assert_eq!(SystemZone::from_parts(None, name("Europe/Berlin\n"), hours(1)), berlin);
    assert_eq!(SystemZone::from_parts(None, || None, hours(-5)), SystemZone::Offset(hours(-5)));
    assert_eq!(SystemZone::from_parts(None, name("Mars/Olympus"), hours(0)), SystemZone::Offset(hours(0)));
}

#[test]
fn the_config_names_the_zone_else_the_system_does() {
    assert_eq!(DisplayZone::resolve(Some(Berlin), SystemZone::UTC), DisplayZone::Configured(Berlin));
    assert_eq!(DisplayZone::resolve(None, SystemZone::Named(Berlin)), DisplayZone::System(SystemZone::Named(Berlin)));
    assert_eq!(DisplayZone::resolve(None, SystemZone::Named(Berlin)).configured(), None);
    assert_eq!(DisplayZone::System(SystemZone::Named(Berlin)).named(), Berlin);
    assert_eq!(DisplayZone::System(SystemZone::Offset(hours(2))).named(), chrono_tz::UTC, "an offset has no name");
}

#[test]
fn a_configured_zone_is_named_by_abbreviation_the_systems_by_offset() {
    let winter = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let summer = Utc.with_ymd_and_hms(2026, 7, 5, 14, 0, 0).unwrap();
    let configured = DisplayZone::Configured(Berlin);
    let system = DisplayZone::System(SystemZone::Named(Berlin));
    assert_eq!((configured.name_at(winter), configured.name_at(summer)), ("CET".into(), "CEST".into()));
    assert_eq!((system.name_at(winter), system.name_at(summer)), ("UTC+01:00".into(), "UTC+02:00".into()));
    assert_eq!(DisplayZone::System(SystemZone::UTC).name_at(winter), "UTC");
    assert_eq!(DisplayZone::System(SystemZone::Offset(hours(-5))).name_at(winter), "UTC-05:00");
    assert_eq!(DisplayZone::Configured(chrono_tz::UTC).name_at(winter), "UTC");
    assert_eq!(system.format(summer, "%H:%M %z"), "16:00 +0200");
    assert_eq!(DisplayZone::System(SystemZone::Offset(hours(9))).format(winter, "%F %H:%M"), "2026-11-05 23:00");
}

#[test]
fn days_start_at_the_zones_midnight() {
    let berlin = DisplayZone::Configured(Berlin);
    let late = Utc.with_ymd_and_hms(2026, 11, 5, 23, 30, 0).unwrap();
    assert_eq!(berlin.date(late), NaiveDate::from_ymd_opt(2026, 11, 6).unwrap());
    assert_eq!(DisplayZone::System(SystemZone::UTC).date(late), NaiveDate::from_ymd_opt(2026, 11, 5).unwrap());
    let day = NaiveDate::from_ymd_opt(2026, 11, 6).unwrap();
    assert_eq!(berlin.midnight(day), Utc.with_ymd_and_hms(2026, 11, 5, 23, 0, 0).unwrap());
    let offset = DisplayZone::System(SystemZone::Offset(hours(-5)));
    assert_eq!(offset.midnight(day), Utc.with_ymd_and_hms(2026, 11, 6, 5, 0, 0).unwrap());
}

/// The system's zone is read in one place: everything else in the console is handed the zone.
#[test]
fn only_the_resolver_reads_the_systems_zone() {
    fn scan(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                scan(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("console/zone.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    if ["chrono::Local", "get_timezone", "Local::now", "Local.from"].iter().any(|p| line.contains(p))
                        && !path.ends_with("zone/tests.rs")
                    {
                        found.push(format!("{}:{}: {line}", path.display(), n + 1));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    scan(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console"), &mut found);
    assert!(found.is_empty(), "the system's zone read outside console/zone.rs:\n{}", found.join("\n"));
}
