//! The demo world's maintenance calendar: pure, relative to the simulator's start time. It always
//! holds one emergency patch running at `now`, so the console has a banner to show.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::domain::{MaintenanceKind, NewMaintenance};

/// The zone the demo team plans in.
pub const DEMO_TIMEZONE: &str = "Europe/Berlin";
const ZONE: Tz = chrono_tz::Europe::Berlin;

/// `date` at `hour:minute` local time in the demo zone (the earlier instant when ambiguous; the
/// times used here never fall into a daylight-saving gap, but a gap falls back to UTC).
fn at_local(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let naive = date.and_hms_opt(hour, minute, 0).unwrap_or_default();
    ZONE.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| naive.and_utc())
}

/// The `n`th `weekday` of the month of `date`.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default())
}

/// The last `weekday` on or before `date`.
fn last_weekday(date: NaiveDate, weekday: Weekday) -> NaiveDate {
    let back = (7 + date.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    date - Duration::days(i64::from(back))
}

fn window(
    title: &str,
    kind: MaintenanceKind,
    services: Vec<String>,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    rrule: Option<&str>,
    description: &str,
    (suppress_alerts, pause_sla): (bool, bool),
) -> NewMaintenance {
    NewMaintenance {
        title: title.into(),
        kind,
        services,
        start,
        end,
        timezone: DEMO_TIMEZONE.into(),
        rrule: rrule.map(str::to_string),
        exdates: Vec::new(),
        uid: None,
        description: description.into(),
        suppress_alerts,
        pause_sla,
    }
}

/// The demo windows, planned as of `now`; `all_services` are the catalog's service ids.
pub fn demo_windows(now: DateTime<Utc>, all_services: &[String]) -> Vec<NewMaintenance> {
    let today = now.with_timezone(&ZONE).date_naive();
    let (year, month) = (today.year(), today.month());
    let ids = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    let first_saturday = nth_weekday(year, month, Weekday::Sat, 1);
    let routine = window(
        "Monthly platform patching",
        MaintenanceKind::Routine,
        ids(&["llm-gateway", "rag-retrieval"]),
        (at_local(first_saturday, 2, 0), at_local(first_saturday, 4, 0)),
        Some("FREQ=MONTHLY;BYDAY=1SA"),
        "OS, driver and CUDA updates on the gateway and retrieval fleets, node by node.",
        (true, true),
    );

    let second_saturday = nth_weekday(year, month, Weekday::Sat, 2);
    let drill = window(
        "Quarterly disaster-recovery drill",
        MaintenanceKind::DrDrill,
        all_services.to_vec(),
        (at_local(second_saturday, 9, 0), at_local(second_saturday, 13, 0)),
        Some("FREQ=MONTHLY;INTERVAL=3;BYDAY=2SA"),
        "Fail over to the secondary region and back. Alerts stay on: they are part of the drill.",
        (false, false),
    );

    let tuesday = last_weekday(today, Weekday::Tue);
    let retrain = window(
        "Weekly model retrain and deploy",
        MaintenanceKind::ModelRelease,
        ids(&["support-assistant", "embedding-service"]),
        (at_local(tuesday, 22, 0), at_local(tuesday, 23, 30)),
        Some("FREQ=WEEKLY;BYDAY=TU"),
        "Retrain on last week's feedback, evaluate, and roll out behind a canary.",
        (true, false),
    );

    // The freeze running now (before 3 January) or the coming one.
    let freeze_year = if today < NaiveDate::from_ymd_opt(year, 1, 3).unwrap_or(today) { year - 1 } else { year };
    let freeze_start = NaiveDate::from_ymd_opt(freeze_year, 12, 20).unwrap_or(today);
    let freeze_end = NaiveDate::from_ymd_opt(freeze_year + 1, 1, 3).unwrap_or(today);
    let freeze = window(
        "Year-end change freeze",
        MaintenanceKind::ChangeFreeze,
        all_services.to_vec(),
        (at_local(freeze_start, 0, 0), at_local(freeze_end, 0, 0)),
        Some("FREQ=YEARLY"),
        "No deploys or config changes over the holidays without a commander's approval.",
        (false, false),
    );

    let patch = window(
        "Emergency patch: gateway TLS library",
        MaintenanceKind::EmergencyPatch,
        ids(&["llm-gateway"]),
        (now - Duration::minutes(20), now + Duration::minutes(40)),
        None,
        "Rolling restart of the gateway with the patched TLS library; brief 5xx spikes expected.",
        (true, true),
    );

    vec![routine, drill, retrain, freeze, patch]
}

#[cfg(test)]
mod tests {
    use chrono::Timelike;

    use super::*;
    use crate::domain::MaintenanceWindow;
    use crate::domain::maintenance::validate;

    fn services() -> Vec<String> {
        crate::domain::catalog::services().into_iter().map(|s| s.id).collect()
    }

    fn windows(now: DateTime<Utc>) -> Vec<MaintenanceWindow> {
        demo_windows(now, &services())
            .into_iter()
            .enumerate()
            .map(|(i, new)| {
                validate(&new).unwrap_or_else(|e| panic!("{}: {e}", new.title));
                MaintenanceWindow::create(format!("MW-{}", 3001 + i), new, "simulator", now)
            })
            .collect()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 18, 14, 7, 0).unwrap()
    }

    fn local_slots(w: &MaintenanceWindow, months: i64) -> Vec<(NaiveDate, Weekday, u32, u32)> {
        w.occurrences(now(), now() + Duration::days(31 * months))
            .iter()
            .map(|o| {
                let l = o.start.with_timezone(&ZONE);
                (l.date_naive(), l.weekday(), l.hour(), l.minute())
            })
            .collect()
    }

    #[test]
    fn routine_window_is_the_first_saturday_at_two_local() {
        let w = &windows(now())[0];
        let slots = local_slots(w, 4);
        assert!(slots.len() >= 3, "{slots:?}");
        for (date, weekday, hour, minute) in slots {
            assert_eq!((weekday, hour, minute), (Weekday::Sat, 2, 0), "{date}");
            assert!(date.day() <= 7, "{date} is the first Saturday");
        }
        assert_eq!(w.duration(), Duration::hours(2));
        assert!(w.affects("llm-gateway") && w.affects("rag-retrieval") && w.suppress_alerts && w.pause_sla);
    }

    #[test]
    fn dr_drill_is_quarterly_on_saturday_morning_for_all_services() {
        let w = &windows(now())[1];
        let slots = local_slots(w, 11);
        let months: Vec<u32> = slots.iter().map(|s| s.0.month()).collect();
        assert_eq!(months, vec![6, 9, 12], "March's drill (14th) is before now");
        assert!(slots.iter().all(|s| s.1 == Weekday::Sat && s.2 == 9));
        assert_eq!(w.duration(), Duration::hours(4));
        assert_eq!(w.services, services());
        assert!(!w.suppress_alerts && !w.pause_sla);
    }

    #[test]
    fn retrain_is_every_tuesday_evening() {
        let w = &windows(now())[2];
        let slots = local_slots(w, 1);
        assert!(slots.len() >= 4);
        assert!(slots.iter().all(|s| (s.1, s.2, s.3) == (Weekday::Tue, 22, 0)));
        assert_eq!(w.duration(), Duration::minutes(90));
        assert!(w.suppress_alerts && !w.pause_sla);
    }

    #[test]
    fn freeze_covers_the_holidays() {
        let w = &windows(now())[3];
        assert_eq!(w.kind, MaintenanceKind::ChangeFreeze);
        let christmas = at_local(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(), 12, 0);
        let occurrence = w.active_at(christmas).expect("frozen at Christmas");
        assert_eq!(occurrence.start, at_local(NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(), 0, 0));
        assert_eq!(occurrence.end, at_local(NaiveDate::from_ymd_opt(2027, 1, 3).unwrap(), 0, 0));
        // Started in the first days of January, the freeze running now is last year's.
        let early = Utc.with_ymd_and_hms(2027, 1, 2, 9, 0, 0).unwrap();
        assert!(windows(early)[3].active_at(early).is_some());
    }

    #[test]
    fn emergency_patch_is_active_now() {
        for now in [now(), Utc::now()] {
            let all = windows(now);
            let patch = &all[4];
            assert_eq!(patch.kind, MaintenanceKind::EmergencyPatch);
            let o = patch.active_at(now).expect("active at now");
            assert_eq!((o.start, o.end), (now - Duration::minutes(20), now + Duration::minutes(40)));
            assert!(patch.affects("llm-gateway") && patch.suppress_alerts && patch.pause_sla);
        }
    }
}
