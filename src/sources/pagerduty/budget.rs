//! The rate budget of one PagerDuty API key, shared by the poller and the actions of a source.
//!
//! A token bucket ([`Bucket`], pure: every call takes `now`) kept under the account's limit with
//! headroom: it holds at most a twelfth of the minute's limit (80 of 960) and refills at 80 % of
//! the limit, so no minute — sliding or on the clock — sees more than 88 % of the limit (848 of
//! 960), leaving 12 % for the account's other clients and for clock skew. PagerDuty's own view
//! corrects it: `ratelimit-limit` lower than configured lowers the budget, `ratelimit-remaining`
//! caps what may be sent until `ratelimit-reset`, a 429 with `Retry-After` pauses everything
//! that long, and a bare 429 pauses 1 s, 2 s, 4 s … up to a minute until an answer gets through.
//!
//! Actions come first: sync requests take a token only while a quarter of the bucket stays for
//! actions and no action is waiting. [`Budget`] is the async side: it waits for a token, up to a
//! bound, and says how long a caller would have to wait.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest pause a bare 429 (no `Retry-After`) brings.
pub const MAX_PAUSE: Duration = Duration::from_secs(60);
/// The share of the limit the bucket refills per minute.
pub const REFILL_SHARE: f64 = 0.8;
/// The bucket holds the limit divided by this.
pub const BURST_DIVISOR: f64 = 12.0;

/// Who asks for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A user's action: served first.
    Action,
    /// The poller: yields when the budget runs low or an action waits.
    Sync,
}

/// What an answer said about the rate limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observed {
    pub status: u16,
    pub limit: Option<u32>,
    pub remaining: Option<u32>,
    pub reset_secs: Option<u64>,
    pub retry_after_secs: Option<u64>,
}

impl Observed {
    /// Reads the rate-limit headers of an answer.
    pub fn from_headers(status: u16, headers: &reqwest::header::HeaderMap) -> Observed {
        let number =
            |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<f64>().ok());
        let count = |name: &str| number(name).filter(|n| *n >= 0.0).map(|n| n.min(f64::from(u32::MAX)) as u32);
        let secs = |name: &str| number(name).filter(|n| *n >= 0.0).map(|n| n.ceil().min(86_400.0) as u64);
        Observed {
            status,
            limit: count("ratelimit-limit"),
            remaining: count("ratelimit-remaining"),
            reset_secs: secs("ratelimit-reset"),
            retry_after_secs: secs("retry-after"),
        }
    }
}

/// The bucket itself: pure, driven by the `now` of each call.
#[derive(Debug, Clone)]
pub struct Bucket {
    limit: u32,
    tokens: f64,
    at: Instant,
    /// What PagerDuty said remains, until when.
    server: Option<(u32, Instant)>,
    paused_until: Option<Instant>,
    pause_secs: u64,
    bare_429s: u32,
    actions_waiting: u32,
}

impl Bucket {
    /// A full bucket for `limit` requests a minute.
    pub fn new(limit: u32, now: Instant) -> Bucket {
        let limit = limit.max(1);
        Bucket {
            limit,
            tokens: capacity(limit),
            at: now,
            server: None,
            paused_until: None,
            pause_secs: 0,
            bare_429s: 0,
            actions_waiting: 0,
        }
    }

    /// The limit the bucket keeps under now (the configured one, or PagerDuty's if lower).
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The most requests any minute can see from this bucket: the burst and a minute's refill.
    pub fn most_per_minute(&self) -> u32 {
        (capacity(self.limit) + rate(self.limit) * 60.0).floor() as u32
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate(self.limit)).min(capacity(self.limit));
        self.at = self.at.max(now);
        if self.server.is_some_and(|(_, reset)| now >= reset) {
            self.server = None;
        }
        if self.paused_until.is_some_and(|until| now >= until) {
            self.paused_until = None;
        }
    }

    /// Takes a token for `class` at `now`, or says how long to wait before asking again.
    pub fn try_take(&mut self, class: Class, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if let Some(until) = self.paused_until {
            return Err(until - now);
        }
        let reserve = match class {
            Class::Action => 0.0,
            Class::Sync => capacity(self.limit) / 4.0,
        };
        if class == Class::Sync && self.actions_waiting > 0 {
            return Err(Duration::from_millis(50));
        }
        if let Some((remaining, reset)) = self.server
            && f64::from(remaining) < 1.0 + reserve
        {
            return Err(reset - now);
        }
        if self.tokens < 1.0 + reserve {
            let missing = 1.0 + reserve - self.tokens;
            return Err(Duration::from_secs_f64(missing / rate(self.limit)).max(Duration::from_millis(1)));
        }
        self.tokens -= 1.0;
        if let Some((remaining, _)) = &mut self.server {
            *remaining = remaining.saturating_sub(1);
        }
        Ok(())
    }

    /// Learns from an answer at `now`.
    pub fn observe(&mut self, seen: Observed, now: Instant) {
        self.refill(now);
        if let Some(limit) = seen.limit.filter(|l| *l > 0 && *l < self.limit) {
            self.limit = limit;
            self.tokens = self.tokens.min(capacity(limit));
        }
        if let (Some(remaining), Some(reset)) = (seen.remaining, seen.reset_secs) {
            self.server = Some((remaining, now + Duration::from_secs(reset.max(1))));
            self.tokens = self.tokens.min(f64::from(remaining));
        }
        if seen.status == 429 {
            self.tokens = 0.0;
            let wait = match seen.retry_after_secs.or(seen.reset_secs) {
                Some(secs) => Duration::from_secs(secs.max(1)),
                None => {
                    self.bare_429s = self.bare_429s.saturating_add(1);
                    Duration::from_secs(1u64 << (self.bare_429s - 1).min(6)).min(MAX_PAUSE)
                }
            };
            self.pause(now, wait);
        } else {
            self.bare_429s = 0;
        }
    }

    fn pause(&mut self, now: Instant, wait: Duration) {
        let until = now + wait;
        if self.paused_until.is_none_or(|current| current < until) {
            self.paused_until = Some(until);
            self.pause_secs = wait.as_secs_f64().ceil() as u64;
        }
    }

    /// How long everything waits for PagerDuty's rate limit, from `now`.
    pub fn paused_for(&self, now: Instant) -> Option<Duration> {
        self.paused_until.filter(|until| *until > now).map(|until| until - now)
    }

    /// "paused 20 s by its rate limit".
    pub fn pause_reason(&self) -> String {
        format!("paused {} s by its rate limit", self.pause_secs.max(1))
    }
}

fn capacity(limit: u32) -> f64 {
    (f64::from(limit) / BURST_DIVISOR).max(1.0)
}

fn rate(limit: u32) -> f64 {
    f64::from(limit) * REFILL_SHARE / 60.0
}

/// The budget of one API key, shared by everything a source sends.
#[derive(Debug)]
pub struct Budget {
    bucket: Mutex<Bucket>,
}

impl Budget {
    pub fn new(limit: u32) -> Budget {
        Budget { bucket: Mutex::new(Bucket::new(limit, Instant::now())) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bucket> {
        self.bucket.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a token for `class`, up to `max_wait`; beyond that, the wait it would take.
    pub async fn acquire(&self, class: Class, max_wait: Duration) -> Result<(), Duration> {
        let started = Instant::now();
        if class == Class::Action {
            self.lock().actions_waiting += 1;
        }
        let result = loop {
            let now = Instant::now();
            let taken = self.lock().try_take(class, now);
            match taken {
                Ok(()) => break Ok(()),
                Err(wait) => {
                    if now.duration_since(started) + wait > max_wait {
                        break Err(wait);
                    }
                    tokio::time::sleep(wait.min(Duration::from_millis(250))).await;
                }
            }
        };
        if class == Class::Action {
            let mut bucket = self.lock();
            bucket.actions_waiting = bucket.actions_waiting.saturating_sub(1);
        }
        result
    }

    pub fn observe(&self, seen: Observed) {
        self.lock().observe(seen, Instant::now());
    }

    pub fn paused_for(&self) -> Option<Duration> {
        self.lock().paused_for(Instant::now())
    }

    pub fn pause_reason(&self) -> String {
        self.lock().pause_reason()
    }

    /// The most requests a minute this budget lets through now.
    pub fn most_per_minute(&self) -> u32 {
        self.lock().most_per_minute()
    }
}

#[cfg(test)]
mod tests;
