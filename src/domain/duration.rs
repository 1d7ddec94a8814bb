//! Human durations: parsing `15m`, `1h30m`, `2s` and printing ages like `4m` or `2h05m`.

use chrono::{DateTime, Utc};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a duration (use forms like 500ms, 30s, 15m, 4h, 1h30m, 2d)")]
pub struct DurationError {
    pub input: String,
}

/// Parses a sequence of `<number><unit>` pairs with units d, h, m, s and ms (e.g. `1h30m`,
/// `1500ms`): the error for a too-short poll interval says "at least 250ms", so that form reads too.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let err = || DurationError { input: input.to_string() };
    let s = input.trim();
    if s.is_empty() {
        return Err(err());
    }
    let mut millis: u64 = 0;
    let mut number: Option<u64> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(d) = c.to_digit(10) {
            number = Some(number.unwrap_or(0).checked_mul(10).and_then(|n| n.checked_add(d.into())).ok_or_else(err)?);
            continue;
        }
        let unit: u64 = match c {
            'd' => 86_400_000,
            'h' => 3_600_000,
            'm' if chars.next_if_eq(&'s').is_some() => 1,
            'm' => 60_000,
            's' => 1_000,
            _ => return Err(err()),
        };
        let n = number.take().ok_or_else(err)?;
        millis = n.checked_mul(unit).and_then(|v| millis.checked_add(v)).ok_or_else(err)?;
    }
    if number.is_some() {
        return Err(err());
    }
    Ok(Duration::from_millis(millis))
}

/// A compact age: `12s`, `4m`, `2h05m`, `3d04h`.
pub fn compact(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3_600, (s % 3_600) / 60),
        s => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3_600),
    }
}

/// `40 s ago`, `3 min ago`, `2 h ago`, `5 d ago`; a time in the future reads `just now`.
pub fn ago(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    match secs {
        s if s < 1 => "just now".to_string(),
        s if s < 60 => format!("{s} s ago"),
        s if s < 3_600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3_600),
        s => format!("{} d ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(parse_duration("90m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1s500ms").unwrap(), Duration::from_millis(1_500));
        assert_eq!(parse_duration("2000ms").unwrap(), Duration::from_secs(2));
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in ["", "15", "m", "1x", "1h30", "-5m", "99999999999999999999d", "5ms3", "ms", "1sm"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn compact_ages() {
        assert_eq!(compact(-3), "0s");
        assert_eq!(compact(59), "59s");
        assert_eq!(compact(60), "1m");
        assert_eq!(compact(7_500), "2h05m");
        assert_eq!(compact(3 * 86_400 + 4 * 3_600), "3d04h");
    }
}
