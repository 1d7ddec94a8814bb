//! A filter over more rows than one slice: matched a slice per turn, with rows moving meanwhile,
//! it ends where matching all at once does.

use chrono::{DateTime, TimeZone, Utc};

use super::IncidentsTab;
use crate::console::list::FILTER_SLICE;
use crate::domain::{Incident, IncidentStatus, NewIncident, Priority};

fn at(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap() + chrono::Duration::minutes(min)
}

/// Incident `i`, triggered `i` minutes in: every third is about the GPUs.
fn inc(i: usize) -> Incident {
    let title = if i.is_multiple_of(3) { format!("gpu saturation {i}") } else { format!("token cost {i}") };
    let new = NewIncident { title, service_id: "llm-gateway".into(), priority: Priority::P2 };
    Incident::trigger(format!("INC-{i:06}"), new, "am", at(i as i64), None)
}

fn ids(tab: &IncidentsTab) -> Vec<String> {
    tab.visible_rows(0, usize::MAX).map(|r| r.id().to_string()).collect()
}

fn all_at_once(tab: &IncidentsTab, filter: &str) -> Vec<String> {
    let incidents: Vec<Incident> = tab.all_incidents().map(std::borrow::Cow::into_owned).collect();
    let mut fresh = IncidentsTab::new(incidents, tab.total());
    fresh.set_filter(filter);
    while fresh.filter_step() {}
    ids(&fresh)
}

#[test]
fn a_filter_over_many_rows_is_matched_a_slice_a_turn_and_rows_moving_meanwhile_are_not_lost_or_doubled() {
    let n = 2 * FILTER_SLICE + 500;
    let mut tab = IncidentsTab::new((0..n).map(inc).collect(), n);
    tab.set_filter("gpu");
    assert_eq!(tab.filtering(), Some((FILTER_SLICE, n)), "the first slice at once");
    let first = ids(&tab);
    assert!(!first.is_empty() && first.len() <= FILTER_SLICE / 3 + 1, "{}", first.len());
    assert!(first.iter().all(|id| id.trim_start_matches("INC-").parse::<usize>().unwrap().is_multiple_of(3)));

    // Newest first: INC-000000 is the last row, not matched yet; it becomes a P1 and goes to
    // the top, before the scan's boundary: shown at once.
    let mut urgent = tab.row("INC-000000").unwrap().confirmed().into_owned();
    urgent.priority = Priority::P1;
    urgent.version += 1;
    tab.upsert_many(vec![urgent]);
    assert_eq!(ids(&tab).first().map(String::as_str), Some("INC-000000"));
    // The first row matched is resolved: it goes past the boundary, out of sight until the scan
    // gets there.
    let moved = first[0].clone();
    let mut resolved = tab.row(&moved).unwrap().confirmed().into_owned();
    resolved.status = IncidentStatus::Resolved;
    resolved.resolved_at = Some(at(n as i64 + 1));
    resolved.version += 1;
    tab.upsert_many(vec![resolved]);
    assert!(!ids(&tab).contains(&moved));

    // A key typed meanwhile narrows what was matched and the rest alike.
    tab.set_filter("gpu saturation");
    assert!(tab.filtering().is_some(), "narrowing goes on from where the scan was");
    let mut turns = 0;
    while tab.filter_step() {
        turns += 1;
        assert!(turns <= n / FILTER_SLICE + 1, "the scan ends");
    }
    assert_eq!(tab.filtering(), None);
    let shown = ids(&tab);
    assert_eq!(shown, all_at_once(&tab, "gpu saturation"));
    assert_eq!(shown.iter().filter(|id| **id == moved).count(), 1, "the moved row once, at its place");
    assert_eq!(shown.len(), n.div_ceil(3));
}

#[test]
fn a_filter_that_is_not_a_narrowing_starts_again_and_one_slice_is_matched_at_once() {
    let small = IncidentsTab::new((0..100).map(inc).collect(), 100);
    let mut small = small;
    small.set_filter("token");
    assert_eq!(small.filtering(), None, "a short list is matched at once");
    assert_eq!(ids(&small).len(), 66);

    let n = FILTER_SLICE + 10;
    let mut tab = IncidentsTab::new((0..n).map(inc).collect(), n);
    tab.set_filter("gpu");
    tab.set_filter("token");
    assert_eq!(tab.filtering(), Some((FILTER_SLICE, n)), "another text starts from the top");
    while tab.filter_step() {}
    assert_eq!(ids(&tab), all_at_once(&tab, "token"));
    tab.set_filter("");
    assert_eq!((tab.filtering(), tab.visible_len()), (None, n));
}
