//! Tests of calendar arithmetic: table tests (DST in both directions, holidays, edges of open
//! hours) and property tests over random calendars, zones, starts and targets.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::calendar::{Calendar, DayRange};
use super::clock::{Bands, ClockSpec, evaluate};
use super::policy::SlaPolicy;

pub(super) fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn ranges(list: &[&str]) -> Vec<DayRange> {
    list.iter().map(|r| r.parse().unwrap()).collect()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Monday to Friday with `hours`, closed on `holidays`.
fn weekdays(tz: Tz, hours: &[&str], holidays: &[&str]) -> Calendar {
    let day = || ranges(hours);
    let week = [day(), day(), day(), day(), day(), vec![], vec![]];
    Calendar::business(tz, week, holidays.iter().map(|d| date(d))).unwrap()
}

/// Every day of the week with `hours`.
fn every_day(tz: Tz, hours: &[&str]) -> Calendar {
    Calendar::business(tz, std::array::from_fn(|_| ranges(hours)), []).unwrap()
}

fn ny_business() -> Calendar {
    weekdays(chrono_tz::America::New_York, &["09:00-17:00"], &["2026-11-26", "2026-12-25"])
}

fn h(hours: i64) -> Duration {
    Duration::hours(hours)
}

fn m(minutes: i64) -> Duration {
    Duration::minutes(minutes)
}

#[test]
fn add_open_time_on_business_hours() {
    let cal = ny_business();
    // (start, target, due, what)
    let cases = [
        ("2026-11-05T14:00:00Z", m(1), "2026-11-05T14:01:00Z", "start exactly at opening (09:00 EST)"),
        ("2026-11-05T12:00:00Z", m(90), "2026-11-05T15:30:00Z", "start before opening waits for it"),
        ("2026-11-05T22:00:00Z", h(1), "2026-11-06T15:00:00Z", "start exactly at closing: next opening"),
        ("2026-11-05T14:00:00Z", h(8), "2026-11-05T22:00:00Z", "runs out exactly at closing: due then"),
        ("2026-11-05T21:00:00Z", h(1), "2026-11-05T22:00:00Z", "the last hour of the day"),
        ("2026-11-05T21:00:00Z", m(61), "2026-11-06T14:01:00Z", "one minute into the next day"),
        ("2026-11-07T15:00:00Z", h(1), "2026-11-09T15:00:00Z", "Saturday start: Monday"),
        ("2026-11-06T21:30:00Z", h(1), "2026-11-09T14:30:00Z", "over the weekend"),
        ("2026-11-25T21:00:00Z", h(2), "2026-11-27T15:00:00Z", "over Thanksgiving"),
        ("2026-11-26T15:00:00Z", h(1), "2026-11-27T15:00:00Z", "start on a holiday"),
        ("2026-11-09T14:00:00Z", h(24), "2026-11-11T22:00:00Z", "24h of business time = three days"),
        ("2026-11-09T14:00:00Z", h(72), "2026-11-19T22:00:00Z", "72h = nine business days"),
        ("2026-12-24T21:00:00Z", h(2), "2026-12-28T15:00:00Z", "Christmas Eve to Monday"),
        ("2026-11-05T15:00:00Z", Duration::zero(), "2026-11-05T15:00:00Z", "zero target when open: start"),
        ("2026-11-07T15:00:00Z", Duration::zero(), "2026-11-09T14:00:00Z", "zero target when closed: opening"),
        ("2026-11-05T22:00:00Z", Duration::zero(), "2026-11-06T14:00:00Z", "zero target at closing: opening"),
        ("2026-10-30T20:00:00Z", h(2), "2026-11-02T15:00:00Z", "EDT Friday into EST Monday"),
    ];
    for (start, target, due, what) in cases {
        assert_eq!(cal.add_open_time(utc(start), target), Some(utc(due)), "{what}");
        if target > Duration::zero() {
            assert_eq!(cal.open_between(utc(start), utc(due)), target, "{what}: open_between agrees");
        }
    }
}

#[test]
fn the_default_policy_closes_on_its_holidays() {
    let policy = SlaPolicy::default_policy();
    let cal = policy.calendar("business").unwrap();
    // Monday 09:00 EST; Wednesday 2026-11-11 is Veterans Day.
    assert_eq!(cal.add_open_time(utc("2026-11-09T14:00:00Z"), h(24)), Some(utc("2026-11-12T22:00:00Z")));
    for day in ["2026-11-26", "2026-12-25", "2027-01-01", "2027-05-31", "2027-07-05", "2027-09-06", "2027-11-25"] {
        let noon = date(day).and_hms_opt(17, 0, 0).unwrap().and_utc();
        assert!(!cal.is_open_at(noon), "{day} is a holiday");
    }
    assert!(!cal.is_open_at(utc("2027-12-24T17:00:00Z")));
    assert!(cal.is_open_at(utc("2027-12-23T17:00:00Z")));
}

#[test]
fn lunch_breaks() {
    let cal = weekdays(chrono_tz::Europe::Berlin, &["13:00-17:00", "09:00-12:00"], &[]);
    // Thursday 2026-11-05, CET = UTC+1.
    let cases = [
        ("2026-11-05T08:00:00Z", h(4), "2026-11-05T13:00:00Z", "three hours before lunch, one after"),
        ("2026-11-05T08:00:00Z", h(3), "2026-11-05T11:00:00Z", "runs out as lunch starts: due at 12:00"),
        ("2026-11-05T11:30:00Z", m(30), "2026-11-05T12:30:00Z", "started during lunch"),
        ("2026-11-05T10:30:00Z", h(8), "2026-11-06T12:30:00Z", "a day with a lunch gap has 7h"),
    ];
    for (start, target, due, what) in cases {
        assert_eq!(cal.add_open_time(utc(start), target), Some(utc(due)), "{what}");
    }
    let day = cal.open_intervals(utc("2026-11-05T00:00:00Z"), utc("2026-11-06T00:00:00Z"));
    assert_eq!(
        day,
        vec![
            (utc("2026-11-05T08:00:00Z"), utc("2026-11-05T11:00:00Z")),
            (utc("2026-11-05T12:00:00Z"), utc("2026-11-05T16:00:00Z"))
        ]
    );
}

#[test]
fn dst_change_days_count_real_time() {
    use chrono_tz::America::New_York as NY;
    use chrono_tz::Europe::Berlin;
    // (calendar, local day start, next local day start, open time that day, what)
    let cases = [
        (every_day(NY, &["09:00-17:00"]), "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", h(8), "NY spring, 9-5"),
        (every_day(NY, &["01:30-03:30"]), "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", h(1), "NY spring gap"),
        (every_day(NY, &["02:30-04:00"]), "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", h(1), "start in gap"),
        (every_day(NY, &["02:00-02:30"]), "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", h(0), "all in gap"),
        (every_day(NY, &["00:00-24:00"]), "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", h(23), "NY 23h day"),
        (every_day(NY, &["09:00-17:00"]), "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", h(8), "NY fall, 9-5"),
        (every_day(NY, &["00:30-03:00"]), "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", m(210), "NY fall 2:00"),
        (every_day(NY, &["01:30-02:00"]), "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", m(90), "ambiguous"),
        (every_day(NY, &["00:00-24:00"]), "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", h(25), "NY 25h day"),
        (
            every_day(NY, &["00:00-01:30", "01:30-03:00"]),
            "2026-11-01T04:00:00Z",
            "2026-11-02T05:00:00Z",
            m(240),
            "touching ranges around the repeated hour count it once",
        ),
        (every_day(Berlin, &["09:00-17:00"]), "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", h(8), "Berlin spring"),
        (every_day(Berlin, &["01:00-04:00"]), "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", h(2), "Berlin gap"),
        (every_day(Berlin, &["00:00-24:00"]), "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", h(23), "Berlin 23h"),
        (every_day(Berlin, &["09:00-17:00"]), "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", h(8), "Berlin fall"),
        (every_day(Berlin, &["01:00-04:00"]), "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", h(4), "Berlin 2-3 x2"),
        (every_day(Berlin, &["00:00-24:00"]), "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", h(25), "Berlin 25h"),
    ];
    for (cal, from, to, open, what) in cases {
        assert_eq!(cal.open_between(utc(from), utc(to)), open, "{what}");
        let total: Duration = cal.open_intervals(utc(from), utc(to)).iter().map(|(s, e)| *e - *s).sum();
        assert_eq!(total, open, "{what}: intervals agree");
    }
}

#[test]
fn dst_spring_forward_intervals_and_due_times() {
    let cal = every_day(chrono_tz::America::New_York, &["01:30-03:30", "09:00-17:00"]);
    let day = cal.open_intervals(utc("2026-03-08T05:00:00Z"), utc("2026-03-09T04:00:00Z"));
    assert_eq!(
        day,
        vec![
            // 01:30 EST to 03:30 EDT: the skipped hour is not counted.
            (utc("2026-03-08T06:30:00Z"), utc("2026-03-08T07:30:00Z")),
            (utc("2026-03-08T13:00:00Z"), utc("2026-03-08T21:00:00Z")),
        ]
    );
    // Saturday 16:00 EST + 2h: one hour on Saturday, then Sunday from 01:30 EST, which runs out
    // as the range closes at 03:30 EDT.
    let start = utc("2026-03-07T21:00:00Z");
    assert_eq!(cal.add_open_time(start, h(2)), Some(utc("2026-03-08T07:30:00Z")));
    assert_eq!(cal.add_open_time(start, m(90)), Some(utc("2026-03-08T07:00:00Z")), "02:00 EST is 03:00 EDT");
    assert!(cal.is_open_at(utc("2026-03-08T07:00:00Z")), "03:00 EDT, just after the jump");
    assert!(!cal.is_open_at(utc("2026-03-08T07:30:00Z")), "03:30 EDT closes");
}

#[test]
fn dst_fall_back_due_times() {
    let cal = every_day(chrono_tz::America::New_York, &["09:00-17:00"]);
    // Saturday 16:00 EDT (20:00Z) + 2h: one hour Saturday, Sunday 09:00 EST (14:00Z) + 1h.
    assert_eq!(cal.add_open_time(utc("2026-10-31T20:00:00Z"), h(2)), Some(utc("2026-11-01T15:00:00Z")));
    let nights = every_day(chrono_tz::America::New_York, &["00:00-02:00"]);
    // 00:00 EDT (04:00Z) through the repeated hour to 02:00 EST (07:00Z): three real hours.
    assert_eq!(nights.add_open_time(utc("2026-11-01T04:00:00Z"), h(3)), Some(utc("2026-11-01T07:00:00Z")));
    assert_eq!(nights.add_open_time(utc("2026-11-01T04:00:00Z"), m(181)), Some(utc("2026-11-02T05:01:00Z")));
}

#[test]
fn is_open_at_the_edges() {
    let cal = ny_business();
    assert!(cal.is_open_at(utc("2026-11-05T14:00:00Z")), "09:00 opens");
    assert!(cal.is_open_at(utc("2026-11-05T21:59:59Z")));
    assert!(!cal.is_open_at(utc("2026-11-05T22:00:00Z")), "17:00 is closed");
    assert!(!cal.is_open_at(utc("2026-11-05T13:59:59Z")));
    assert!(!cal.is_open_at(utc("2026-11-07T15:00:00Z")), "Saturday");
    assert!(!cal.is_open_at(utc("2026-11-26T15:00:00Z")), "holiday");
    assert!(Calendar::always_open().is_open_at(utc("2026-11-07T03:00:00Z")));
}

#[test]
fn intervals_are_clipped_and_joined() {
    let cal = every_day(chrono_tz::UTC, &["00:00-12:00", "12:00-24:00"]);
    let spans = cal.open_intervals(utc("2026-11-05T10:00:00Z"), utc("2026-11-07T10:00:00Z"));
    assert_eq!(spans, vec![(utc("2026-11-05T10:00:00Z"), utc("2026-11-07T10:00:00Z"))]);
    let cal = ny_business();
    let spans = cal.open_intervals(utc("2026-11-05T15:00:00Z"), utc("2026-11-06T15:00:00Z"));
    assert_eq!(
        spans,
        vec![
            (utc("2026-11-05T15:00:00Z"), utc("2026-11-05T22:00:00Z")),
            (utc("2026-11-06T14:00:00Z"), utc("2026-11-06T15:00:00Z"))
        ]
    );
    assert!(cal.open_intervals(utc("2026-11-06T15:00:00Z"), utc("2026-11-05T15:00:00Z")).is_empty());
    assert_eq!(cal.open_between(utc("2026-11-06T15:00:00Z"), utc("2026-11-05T15:00:00Z")), Duration::zero());
}

#[test]
fn always_open_is_plain_arithmetic() {
    let cal = Calendar::always_open();
    assert!(cal.is_always_open() && cal.timezone().is_none());
    let start = utc("2026-03-08T06:59:00Z");
    assert_eq!(cal.add_open_time(start, m(90)), Some(utc("2026-03-08T08:29:00Z")));
    assert_eq!(cal.add_open_time(start, Duration::zero()), Some(start));
    assert_eq!(cal.add_open_time(start, -m(5)), Some(start), "a negative target counts as zero");
    assert_eq!(cal.open_between(start, utc("2026-03-09T06:59:00Z")), h(24));
    assert_eq!(cal.add_open_time(DateTime::<Utc>::MAX_UTC, m(1)), None, "overflow is None, not a panic");
}

#[test]
fn calendars_without_open_time_give_none() {
    let empty = Calendar::business(chrono_tz::UTC, Default::default(), []).unwrap();
    assert_eq!(empty.add_open_time(utc("2026-11-05T10:00:00Z"), h(1)), None);
    assert_eq!(empty.open_between(utc("2026-11-05T10:00:00Z"), utc("2027-11-05T10:00:00Z")), Duration::zero());
    assert!(!empty.is_open_at(utc("2026-11-05T10:00:00Z")));
    // Mondays only, and every Monday of two years a holiday.
    let mondays: Vec<NaiveDate> = date("2026-01-05").iter_weeks().take(110).collect();
    let week = [ranges(&["09:00-17:00"]), vec![], vec![], vec![], vec![], vec![], vec![]];
    let cal = Calendar::business(chrono_tz::UTC, week, mondays).unwrap();
    assert_eq!(cal.add_open_time(utc("2026-01-01T00:00:00Z"), h(1)), None);
    // Far beyond the walk's horizon, and the end of time: None, promptly.
    assert_eq!(ny_business().add_open_time(utc("2026-11-05T10:00:00Z"), Duration::days(365 * 200)), None);
    assert_eq!(ny_business().add_open_time(DateTime::<Utc>::MAX_UTC - h(48), h(100)), None);
}

#[test]
fn day_ranges_parse_strictly() {
    assert_eq!("09:00-17:00".parse::<DayRange>().unwrap().to_string(), "09:00-17:00");
    assert_eq!("9:30-24:00".parse::<DayRange>().unwrap().end_minute(), 1440);
    for bad in ["17:00-09:00", "9-5", "09:00-09:00", "09:00", "09:60-10:00", "24:00-24:30", "x", "", "09:00-25:00"] {
        assert!(bad.parse::<DayRange>().is_err(), "{bad:?}");
    }
    let week = [ranges(&["09:00-12:00", "11:00-13:00"]), vec![], vec![], vec![], vec![], vec![], vec![]];
    let err = Calendar::business(chrono_tz::UTC, week, []).unwrap_err();
    assert!(err.to_string().contains("overlap"), "{err}");
}

// ── Properties ──────────────────────────────────────────────────────────────────────────────

const ZONES: [Tz; 6] = [
    chrono_tz::America::New_York,
    chrono_tz::Europe::Berlin,
    chrono_tz::America::Santiago,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Asia::Kolkata,
    chrono_tz::UTC,
];

/// A random non-empty week: each day cut at up to four random quarter hours into ranges.
fn calendar_strategy() -> impl Strategy<Value = Calendar> {
    let day = prop::collection::vec(0u32..=96, 0..5);
    (0..ZONES.len(), prop::array::uniform7(day), prop::collection::vec(0i64..730, 0..6)).prop_map(
        |(zone, days, holidays)| {
            let mut week: [Vec<DayRange>; 7] = days.map(|mut cuts| {
                cuts.sort_unstable();
                cuts.dedup();
                cuts.chunks_exact(2).filter_map(|p| DayRange::new(p[0] * 15, p[1] * 15).ok()).collect()
            });
            if week.iter().all(Vec::is_empty) {
                week[2] = ranges(&["09:00-17:00"]);
            }
            let holidays = holidays.into_iter().map(|d| date("2026-01-01") + Duration::days(d));
            Calendar::business(ZONES[zone], week, holidays).unwrap()
        },
    )
}

/// An instant in 2026–2027, to the second.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..2 * 365 * 86_400).prop_map(|s| utc("2026-01-01T00:00:00Z") + Duration::seconds(s))
}

/// Up to 100 hours, to the second.
fn target() -> impl Strategy<Value = Duration> {
    (0i64..100 * 3_600).prop_map(Duration::seconds)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn due_is_monotonic_in_target(cal in calendar_strategy(), start in instant(), a in target(), b in target()) {
        let (a, b) = (a.min(b), a.max(b));
        prop_assert!(cal.add_open_time(start, a).unwrap() <= cal.add_open_time(start, b).unwrap());
    }

    #[test]
    fn due_is_monotonic_in_start(cal in calendar_strategy(), s in instant(), t in instant(), target in target()) {
        let (s, t) = (s.min(t), s.max(t));
        prop_assert!(cal.add_open_time(s, target).unwrap() <= cal.add_open_time(t, target).unwrap());
    }

    #[test]
    fn open_time_until_due_is_the_target(cal in calendar_strategy(), start in instant(), target in target()) {
        let due = cal.add_open_time(start, target).unwrap();
        prop_assert!(due >= start);
        prop_assert_eq!(cal.open_between(start, due), target);
        if target > Duration::zero() {
            // Due at the end of open time: a moment earlier was open.
            prop_assert!(cal.is_open_at(due - Duration::seconds(1)));
        }
    }

    #[test]
    fn open_time_adds_up(cal in calendar_strategy(), a in instant(), b in instant(), c in instant()) {
        let mut points = [a, b, c];
        points.sort();
        let [a, b, c] = points;
        let ab = cal.open_between(a, b);
        prop_assert!(ab <= b - a);
        prop_assert_eq!(ab + cal.open_between(b, c), cal.open_between(a, c));
        let intervals = cal.open_intervals(a, b);
        prop_assert_eq!(intervals.iter().map(|(s, e)| *e - *s).sum::<Duration>(), ab);
        for pair in intervals.windows(2) {
            prop_assert!(pair[0].1 < pair[1].0, "sorted, disjoint and not touching");
        }
        for (s, e) in intervals {
            prop_assert!(a <= s && s < e && e <= b);
            prop_assert!(cal.is_open_at(s));
        }
    }

    #[test]
    fn policy_parsing_never_panics(
        text in "\\PC{0,120}",
        at in 0usize..4_000,
        cut in 0usize..30,
        insert in "[\\[\\]{}\"=,.:0-9a-zP \n-]{0,10}",
    ) {
        let _ = SlaPolicy::parse(&text);
        // Edits of the default policy: mostly near-misses of a valid file.
        let mut chars: Vec<char> = super::policy::DEFAULT_POLICY_TOML.chars().collect();
        let at = at.min(chars.len());
        let end = (at + cut).min(chars.len());
        chars.splice(at..end, insert.chars());
        let edited: String = chars.into_iter().collect();
        if let Err(err) = SlaPolicy::parse(&edited) {
            prop_assert!(!err.message.is_empty());
        }
    }

    #[test]
    fn always_open_adds_plainly(start in instant(), target in target()) {
        prop_assert_eq!(Calendar::always_open().add_open_time(start, target), Some(start + target));
    }

    #[test]
    fn clock_elapsed_is_bounded_and_grows(
        cal in calendar_strategy(),
        always in any::<bool>(),
        start in instant(),
        pauses in prop::collection::vec((0i64..400_000, prop::option::of(0i64..200_000)), 0..4),
        stop in prop::option::of(0i64..800_000),
        steps in prop::collection::vec(0i64..200_000, 1..6),
    ) {
        let cal = if always { Calendar::always_open() } else { cal };
        let pauses: Vec<_> = pauses
            .into_iter()
            .map(|(s, len)| (start + Duration::seconds(s), len.map(|l| start + Duration::seconds(s + l))))
            .collect();
        let spec = ClockSpec {
            started_at: start,
            stopped_at: stop.map(|s| start + Duration::seconds(s)),
            target: h(8),
            calendar: &cal,
            pauses: &pauses,
        };
        let mut now = start;
        let mut last = Duration::zero();
        for step in steps {
            now += Duration::seconds(step);
            let state = evaluate(&spec, now, &Bands::default());
            prop_assert!(state.elapsed >= last, "elapsed never decreases");
            prop_assert!(state.elapsed <= now - start, "elapsed never exceeds wall time");
            prop_assert_eq!(state.remaining, h(8) - state.elapsed);
            prop_assert_eq!(state.breached, state.elapsed >= h(8));
            if let (true, Some(due)) = (state.breached, state.due) {
                prop_assert!(due <= now);
            }
            last = state.elapsed;
        }
    }
}

#[test]
fn extreme_inputs_do_not_panic() {
    // UTC+14 and UTC−12: local dates beyond the ends of UTC's range.
    let zones = [chrono_tz::Pacific::Kiritimati, chrono_tz::Etc::GMTPlus12];
    let mut calendars: Vec<Calendar> = zones.iter().map(|tz| every_day(*tz, &["00:00-24:00"])).collect();
    calendars.push(Calendar::always_open());
    let instants = [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, utc("2026-11-05T12:00:00Z")];
    let durations = [Duration::MIN, Duration::MAX, Duration::zero(), h(1), -h(1)];
    for cal in &calendars {
        for &a in &instants {
            let _ = cal.is_open_at(a);
            for &b in &instants {
                let _ = cal.open_between(a, b);
                let _ = cal.open_intervals(a, b);
            }
            for &target in &durations {
                let _ = cal.add_open_time(a, target);
                let pauses = [(a, None), (DateTime::<Utc>::MIN_UTC, Some(DateTime::<Utc>::MAX_UTC))];
                for now in instants {
                    for stopped_at in [None, Some(a)] {
                        let spec = ClockSpec { started_at: a, stopped_at, target, calendar: cal, pauses: &pauses[..1] };
                        let _ = evaluate(&spec, now, &Bands::default());
                        let spec = ClockSpec { pauses: &pauses[1..], ..spec };
                        let _ = evaluate(&spec, now, &Bands::default());
                        let spec = ClockSpec { pauses: &[], ..spec };
                        let _ = evaluate(&spec, now, &Bands::default());
                    }
                }
            }
        }
    }
    let odd = Bands { warning_fraction: f64::NAN, critical_fraction: f64::INFINITY, ..Bands::default() };
    for target in durations {
        for remaining in durations {
            let _ = odd.band(target, remaining);
        }
    }
}
