//! The rate budget on a fake clock: no minute above the budget, PagerDuty's headers and 429s
//! obeyed, actions before sync.

use std::time::{Duration, Instant};

use super::*;

/// Sends as fast as the bucket allows for `secs` seconds in 10 ms steps; returns how many
/// requests each whole minute saw.
fn flood(bucket: &mut Bucket, start: Instant, secs: u64, class: Class) -> Vec<u32> {
    let mut minutes = vec![0u32; secs.div_ceil(60) as usize];
    for step in 0..secs * 100 {
        let now = start + Duration::from_millis(step * 10);
        while bucket.try_take(class, now).is_ok() {
            minutes[(step / 6000) as usize] += 1;
        }
    }
    minutes
}

#[test]
fn no_minute_sees_more_than_the_budget_with_headroom_under_the_limit() {
    let start = Instant::now();
    let mut bucket = Bucket::new(960, start);
    assert_eq!(bucket.most_per_minute(), 848);
    let minutes = flood(&mut bucket, start, 180, Class::Action);
    assert!(minutes.iter().all(|m| *m <= 848), "{minutes:?}");
    // Steady state is the refill: 80 % of the limit.
    assert!(minutes[1] >= 760 && minutes[2] >= 760, "{minutes:?}");
    // Any 60 s window, not only those on the clock.
    let mut bucket = Bucket::new(960, start);
    let mut sent: Vec<Instant> = Vec::new();
    for step in 0..12_000u64 {
        let now = start + Duration::from_millis(step * 10);
        while bucket.try_take(Class::Action, now).is_ok() {
            sent.push(now);
        }
    }
    for (i, at) in sent.iter().enumerate() {
        let in_window = sent[i..].iter().take_while(|t| t.duration_since(*at) < Duration::from_secs(60)).count();
        assert!(in_window <= 848, "{in_window} requests in the minute from {i}");
    }
}

#[test]
fn sync_keeps_a_quarter_of_the_bucket_for_actions_and_yields_to_a_waiting_action() {
    let start = Instant::now();
    let mut bucket = Bucket::new(960, start);
    let mut synced = 0;
    while bucket.try_take(Class::Sync, start).is_ok() {
        synced += 1;
    }
    assert_eq!(synced, 60, "sync stops with 20 of 80 left");
    let mut acted = 0;
    while bucket.try_take(Class::Action, start).is_ok() {
        acted += 1;
    }
    assert_eq!(acted, 20);
    let later = start + Duration::from_secs(10);
    bucket.actions_waiting = 1;
    assert!(bucket.try_take(Class::Sync, later).is_err(), "an action waits: sync yields");
    assert!(bucket.try_take(Class::Action, later).is_ok());
}

#[test]
fn retry_after_pauses_everything_that_long_and_says_so() {
    let start = Instant::now();
    let mut bucket = Bucket::new(960, start);
    bucket.observe(Observed { status: 429, retry_after_secs: Some(20), ..Default::default() }, start);
    assert_eq!(bucket.paused_for(start), Some(Duration::from_secs(20)));
    assert_eq!(bucket.pause_reason(), "paused 20 s by its rate limit");
    assert_eq!(bucket.try_take(Class::Action, start + Duration::from_secs(5)), Err(Duration::from_secs(15)));
    assert!(bucket.try_take(Class::Action, start + Duration::from_secs(21)).is_ok());
    assert_eq!(bucket.paused_for(start + Duration::from_secs(21)), None);
}

#[test]
fn a_bare_429_backs_off_exponentially_until_an_answer_gets_through() {
    let start = Instant::now();
    let mut bucket = Bucket::new(960, start);
    let mut now = start;
    let mut pauses = Vec::new();
    for _ in 0..8 {
        bucket.observe(Observed { status: 429, ..Default::default() }, now);
        let pause = bucket.paused_for(now).unwrap();
        pauses.push(pause.as_secs());
        now += pause;
    }
    assert_eq!(pauses, vec![1, 2, 4, 8, 16, 32, 60, 60]);
    bucket.observe(Observed { status: 200, ..Default::default() }, now);
    bucket.observe(Observed { status: 429, ..Default::default() }, now);
    assert_eq!(bucket.paused_for(now), Some(Duration::from_secs(1)));
}

#[test]
fn pagerduty_remaining_and_a_lower_limit_correct_the_bucket() {
    let start = Instant::now();
    let mut bucket = Bucket::new(960, start);
    // PagerDuty says 3 remain for 30 s: only 3 actions go before the reset, and no sync.
    let seen = Observed { status: 200, remaining: Some(3), reset_secs: Some(30), ..Default::default() };
    bucket.observe(seen, start);
    assert!(bucket.try_take(Class::Sync, start).is_err());
    for _ in 0..3 {
        assert!(bucket.try_take(Class::Action, start).is_ok());
    }
    assert_eq!(bucket.try_take(Class::Action, start), Err(Duration::from_secs(30)));
    assert!(bucket.try_take(Class::Action, start + Duration::from_secs(31)).is_ok());
    // An account limit below the configured one lowers the budget.
    bucket.observe(Observed { status: 200, limit: Some(120), ..Default::default() }, start);
    assert_eq!(bucket.limit(), 120);
    let minutes = flood(&mut bucket, start + Duration::from_secs(60), 120, Class::Action);
    assert!(minutes.iter().all(|m| *m <= 106), "{minutes:?}");
}

#[tokio::test]
async fn an_action_waits_for_a_token_up_to_its_bound_then_gets_the_wait() {
    let budget = Budget::new(960);
    budget.observe(Observed { status: 429, retry_after_secs: Some(30), ..Default::default() });
    let wait = budget.acquire(Class::Action, Duration::from_secs(5)).await.unwrap_err();
    assert!(wait > Duration::from_secs(25), "{wait:?}");
    assert!(budget.paused_for().is_some());
}
