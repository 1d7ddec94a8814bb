//! Planning the first fill's pages under PagerDuty's offset cap.

use chrono::{Duration, TimeZone, Utc};

use super::*;

#[test]
fn pages_follow_the_offset_while_more_and_stop_at_the_end() {
    let since = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let until = since + Duration::days(180);
    let mut slicer = Slicer::new(since, until);
    let next = slicer.next(100, true, Some(since)).unwrap();
    assert_eq!(next, Listing { since, until, offset: 100 });
    assert_eq!(slicer.next(40, false, Some(since)), None);
    assert_eq!(slicer.next(0, true, None), None, "an empty page ends it whatever `more` says");
}

#[test]
fn a_new_time_slice_starts_before_the_offset_would_pass_ten_thousand() {
    let since = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let until = since + Duration::days(180);
    let mut slicer = Slicer::new(since, until);
    let mut offsets = vec![0];
    let mut last = since;
    for _ in 0..150 {
        last += Duration::minutes(1);
        let Some(listing) = slicer.next(100, true, Some(last)) else { break };
        assert!(listing.offset + PAGE_LIMIT <= OFFSET_CAP, "{listing:?}");
        offsets.push(listing.offset);
    }
    // 0..=9900 in the first slice (offset 9900 + limit 100 = 10,000 is allowed), then a new slice.
    assert_eq!(offsets[99], 9_900);
    assert_eq!(offsets[100], 0);
    assert_eq!(slicer.current.since, since + Duration::minutes(100));
    assert_eq!(slicer.current.until, until);
}

#[test]
fn a_slice_of_one_instant_moves_a_second_on_and_ends_at_until() {
    let since = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let mut slicer = Slicer::new(since, since + Duration::seconds(1));
    slicer.current.offset = 9_900;
    // Every incident read was created at `since`: the next slice cannot start there again.
    assert_eq!(slicer.next(100, true, Some(since)), None, "past until: done");
    let mut slicer = Slicer::new(since, since + Duration::minutes(5));
    slicer.current.offset = 9_900;
    let next = slicer.next(100, true, Some(since)).unwrap();
    assert_eq!(next.since, since + Duration::seconds(1));
    assert_eq!(next.offset, 0);
}
