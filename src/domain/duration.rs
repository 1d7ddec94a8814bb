//! Human durations: parsing `15m`, `1h30m`, `2s` and printing ages like `4m` or `2h05m`.

use chrono::{DateTime, Utc};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a duration (use forms like 30s, 15m, 4h, 1h30m, 2d)")]
pub struct DurationError {
    pub input: String,
}

/// Parses a sequence of `<number><unit>` pairs with units d, h, m, s (e.g. `1h30m`).
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let err = || DurationError { input: input.to_string() };
    let s = input.trim();
    if s.is_empty() {
        return Err(err());
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            number = Some(number.unwrap_or(0).checked_mul(10).and_then(|n| n.checked_add(d.into())).ok_or_else(err)?);
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(err()),
        };
        let n = number.take().ok_or_else(err)?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(err)?;
    }
    if number.is_some() {
        return Err(err());
    }
    Ok(Duration::from_secs(total))
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
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in ["", "15", "m", "1x", "1h30", "-5m", "99999999999999999999d"] {
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
