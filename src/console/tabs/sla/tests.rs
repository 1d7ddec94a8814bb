//! The SLA tab's clocks: bands from instants agree with full evaluation, and the counts kept as
//! time passes agree with counting every clock, across pauses, per-page updates and rebuilds.

use super::*;
use chrono::{Duration, TimeZone};
use proptest::prelude::*;

use crate::domain::TicketAction;

/// The bands worked out from instants at build time are the bands a full evaluation gives,
/// on 24×7 and business-hours clocks alike, across nights, weekends and breaches.
#[test]
fn bands_from_instants_agree_with_full_evaluation() {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let policy = SlaPolicy::default_policy();
    let tickets = crate::fixtures::many_tickets(120, now);
    let incidents = crate::fixtures::seeded_incidents(7, now);
    let mut tab = SlaTab::default();
    tab.rebuild(incidents.iter(), tickets.iter(), &policy, &Default::default(), now);
    assert!(tab.rows().len() > 150);
    let mut seen = HashSet::new();
    for step in 0..200 {
        let t = now + chrono::Duration::minutes(step * 21);
        for row in tab.rows() {
            let band = row.band_at(t);
            assert_eq!(band, row.state(&policy, t).band, "{} {:?} at {t}", row.id, row.which);
            seen.insert(band);
        }
    }
    assert_eq!(seen.len(), 4, "every band was exercised: {seen:?}");
}

#[test]
fn summary_counts_each_clock_once_by_priority_and_band() {
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let policy = SlaPolicy::default_policy();
    let tickets = crate::fixtures::seeded_tickets(now);
    let mut tab = SlaTab::default();
    tab.rebuild(std::iter::empty::<&crate::domain::Incident>(), tickets.iter(), &policy, &Default::default(), now);
    let summary = tab.summary(now);
    let total: usize = summary.iter().map(|(_, s)| s.running).sum();
    assert_eq!(total, tab.rows().len());
    let p1 = summary[0].1;
    // SUP-2041: 1 min of its 15 min response left (critical); SUP-2042: 12 min left (ok).
    assert_eq!((p1.running, p1.critical, p1.breached), (4, 1, 0));
    let p2 = summary[1].1;
    assert_eq!(p2.breached, 1, "SUP-2035 is 5 min past its 1 h response target");
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

/// The summary counted the slow way: every clock's band at `at`.
fn brute_summary(tab: &SlaTab, at: DateTime<Utc>) -> [(Priority, PrioritySummary); 4] {
    let mut out = Priority::ALL.map(|p| (p, PrioritySummary::default()));
    for row in tab.rows() {
        let s = &mut out[usize::from(row.priority.rank() - 1)].1;
        s.running += 1;
        s.paused += usize::from(row.is_paused());
        match row.band_at(at) {
            Band::Ok => {}
            Band::Warning => s.warning += 1,
            Band::Critical => s.critical += 1,
            Band::Breached => s.breached += 1,
        }
    }
    out
}

fn brute_next_change(tab: &SlaTab, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    tab.rows().iter().filter_map(|r| r.next_band_change(at)).min()
}

/// What can happen to the SLA tab between two looks at it.
#[derive(Debug, Clone)]
enum Step {
    /// Time passes by this many seconds, and the tab is looked at (the bell check).
    Tick(i64),
    /// The summary is read this many seconds from the last look (before it, too) without moving.
    Peek(i64),
    /// After this many seconds (no look in between), a page changes ticket `n`: set pending on
    /// the customer (its clocks pause), resumed, first response, resolved, or raised to P1.
    Page(i64, usize, u8),
    /// Everything rebuilt (a maintenance window starting or ending).
    Rebuild,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1i64..=7_200).prop_map(Step::Tick),
        1 => (1i64..=300).prop_map(|s| Step::Tick(s * 3_600)),
        3 => (-3_600i64..=86_400).prop_map(Step::Peek),
        4 => (0i64..=3_600, 0usize..60, 0u8..5).prop_map(|(secs, n, what)| Step::Page(secs, n, what)),
        1 => Just(Step::Rebuild),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever happens, the counts kept as time passes are the counts of every clock, and the
    /// next band change is the earliest of every clock's. The bell rings at a look for every
    /// clock critical then that has not rung: once each, never for one that arrived already
    /// critical, again only for one that went away and came back.
    #[test]
    fn kept_counts_equal_counting_every_clock(steps in prop::collection::vec(step(), 1..40)) {
        let policy = SlaPolicy::default_policy();
        let calendar = CalendarTab::default();
        let mut now = start();
        let mut tickets = crate::fixtures::many_tickets(60, now);
        let incidents = crate::fixtures::seeded_incidents(3, now);
        let mut tab = SlaTab::default();
        tab.rebuild(incidents.iter(), tickets.iter(), &policy, &calendar, now);
        let label = |r: &ClockRow| format!("{} {}", r.id, r.which.label());
        let critical = |tab: &SlaTab, at| -> HashSet<String> {
            tab.rows().iter().filter(|r| r.band_at(at) >= Band::Critical).map(|r| label(r)).collect()
        };
        let held = |tab: &SlaTab| -> HashSet<String> { tab.rows().iter().map(|r| label(r)).collect() };
        // The bell's model: what has rung or arrived critical, while held.
        let mut rung = critical(&tab, now);
        prop_assert!(tab.newly_critical(now).is_empty(), "already critical at start: no bell");
        let replace = |tab: &mut SlaTab, rung: &mut HashSet<String>, before: HashSet<String>, at| {
            let after = held(tab);
            rung.retain(|k| after.contains(k));
            rung.extend(critical(tab, at).into_iter().filter(|k| !before.contains(k)));
        };
        for step in steps {
            match step {
                Step::Tick(secs) => {
                    now += Duration::seconds(secs);
                    let bells: HashSet<String> = tab.newly_critical(now).into_iter().collect();
                    let expected: HashSet<String> = critical(&tab, now).difference(&rung).cloned().collect();
                    prop_assert_eq!(&bells, &expected, "at {}", now);
                    rung.extend(bells);
                }
                Step::Peek(secs) => {
                    let at = now + Duration::seconds(secs);
                    prop_assert_eq!(tab.summary(at), brute_summary(&tab, at), "at {}", at);
                    prop_assert_eq!(tab.next_band_change(at), brute_next_change(&tab, at), "after {}", at);
                }
                Step::Page(secs, n, what) => {
                    now += Duration::seconds(secs);
                    let t = &mut tickets[n];
                    let _ = t.apply(&TicketAction::Take, "dana", now);
                    let action = [TicketAction::Pending, TicketAction::Resume, TicketAction::Respond, TicketAction::Resolve][usize::from(what % 4)].clone();
                    if what == 4 {
                        t.priority = Priority::P1;
                    } else {
                        let _ = t.apply(&action, "dana", now);
                    }
                    t.updated_at = now;
                    t.version += 1;
                    let key = t.key.clone();
                    let before = held(&tab);
                    tab.update_items(&[Changed::Ticket(&key, Some(std::borrow::Cow::Borrowed(&tickets[n])))], &policy, &calendar, now);
                    replace(&mut tab, &mut rung, before, now);
                }
                Step::Rebuild => {
                    let before = held(&tab);
                    tab.rebuild(incidents.iter(), tickets.iter(), &policy, &calendar, now);
                    replace(&mut tab, &mut rung, before, now);
                }
            }
            prop_assert_eq!(tab.summary(now), brute_summary(&tab, now), "at {}", now);
            prop_assert_eq!(tab.next_band_change(now), brute_next_change(&tab, now), "after {}", now);
        }
    }
}

/// A paused clock changes band at no instant until it runs again; resumed, it counts again.
#[test]
fn a_paused_clock_has_no_band_change_until_resumed() {
    let policy = SlaPolicy::default_policy();
    let calendar = CalendarTab::default();
    let now = start();
    let mut tickets = crate::fixtures::seeded_tickets(now);
    let mut tab = SlaTab::default();
    tab.rebuild(std::iter::empty::<&crate::domain::Incident>(), tickets.iter(), &policy, &calendar, now);
    let t = tickets.iter_mut().find(|t| t.key == "SUP-2042").unwrap();
    let _ = t.apply(&TicketAction::Take, "dana", now);
    t.apply(&TicketAction::Pending, "dana", now).unwrap();
    tab.update_items(&[Changed::Ticket("SUP-2042", Some(std::borrow::Cow::Borrowed(t)))], &policy, &calendar, now);
    let rows: Vec<&ClockRow> = tab.rows().iter().filter(|r| &*r.id == "SUP-2042").map(Box::as_ref).collect();
    assert!(!rows.is_empty() && rows.iter().all(|r| r.is_paused() && r.next_band_change(now).is_none()));
    let later = now + Duration::days(3);
    assert_eq!(tab.summary(later), brute_summary(&tab, later));
    assert_eq!(tab.summary(later)[0].1.paused, rows.len());

    let resumed_at = now + Duration::minutes(5);
    t.apply(&TicketAction::Resume, "dana", resumed_at).unwrap();
    tab.update_items(
        &[Changed::Ticket("SUP-2042", Some(std::borrow::Cow::Borrowed(t)))],
        &policy,
        &calendar,
        resumed_at,
    );
    let row = tab.rows().iter().find(|r| &*r.id == "SUP-2042" && r.which == Which::Response).unwrap();
    assert!(row.next_band_change(resumed_at).is_some(), "running again: it will change band");
    assert_eq!(tab.summary(later), brute_summary(&tab, later));
    assert_eq!(tab.summary(later)[0].1.paused, 0);
}
