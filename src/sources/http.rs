//! What every source that polls an outside system over HTTP shares: the client (timeouts, no
//! redirects), credentials read from a file or an environment variable (never logged), a failure
//! in one line without credentials, and the back-off between failed polls.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Secret;
use crate::files;

/// How long a source waits for a connection to an outside system.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one request to an outside system may take in all.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest wait between two polls of a failing source.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The HTTP client of one source: rustls, timeouts, redirects refused (a redirect to another
/// host would carry the credentials there).
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))
}

/// A credential from `file` (its content, trimmed; a regular file of at most 4 KB) or the
/// environment variable `env`; `what` names it in messages (`source prod-alertmanager`).
pub fn read_secret(file: Option<&Path>, env: Option<&str>, what: &str) -> Result<Option<Secret>, String> {
    match (file, env) {
        (Some(_), Some(_)) => Err(format!("{what}: give token_file or token_env, not both")),
        (Some(path), None) => {
            let text =
                files::read_text(path, files::TOKEN_LIMIT).map_err(|e| e.describe(&format!("{what}'s token file")))?;
            let token = text.trim();
            if token.is_empty() {
                return Err(format!("{what}: the token file {} is empty", path.display()));
            }
            Ok(Some(Secret::new(token)))
        }
        (None, Some(name)) => match std::env::var(name) {
            Ok(token) if !token.trim().is_empty() => Ok(Some(Secret::new(token.trim()))),
            Ok(_) => Err(format!("{what}: the environment variable {name} is empty")),
            Err(_) => Err(format!("{what}: the environment variable {name} is not set")),
        },
        (None, None) => Ok(None),
    }
}

/// A failed request in one line: what was asked, and the cause without the URL's query or any
/// header (so no credential can be in it), sanitised.
pub fn describe(what: &str, error: reqwest::Error) -> String {
    let cause = if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "cannot connect".to_string()
    } else if let Some(status) = error.status() {
        format!("HTTP {status}")
    } else {
        use std::error::Error;
        let error = error.without_url();
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(inner) = source {
            text = format!("{text}: {inner}");
            source = inner.source();
        }
        text
    };
    crate::domain::text::sanitize(&format!("{what}: {cause}")).into_owned()
}

/// The wait before the next poll after `failures` failed ones in a row: the poll interval, then
/// doubling up to [`MAX_BACKOFF`].
pub fn backoff(poll: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(6);
    poll.saturating_mul(factor).min(MAX_BACKOFF.max(poll))
}

/// When the next poll is due after `failures` failed ones, from `now`.
pub fn retry_at(now: DateTime<Utc>, poll: Duration, failures: u32) -> DateTime<Utc> {
    now + chrono::Duration::from_std(backoff(poll, failures)).unwrap_or(chrono::Duration::seconds(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_poll_interval_up_to_a_minute() {
        let poll = Duration::from_secs(5);
        assert_eq!(backoff(poll, 1), Duration::from_secs(5));
        assert_eq!(backoff(poll, 2), Duration::from_secs(10));
        assert_eq!(backoff(poll, 4), Duration::from_secs(40));
        assert_eq!(backoff(poll, 5), MAX_BACKOFF);
        assert_eq!(backoff(poll, 40), MAX_BACKOFF);
        // A poll interval longer than the cap is never shortened by failing.
        assert_eq!(backoff(Duration::from_secs(300), 3), Duration::from_secs(300));
    }

    #[test]
    fn a_secret_comes_from_one_place_and_an_empty_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  s3cret\n").unwrap();
        let secret = read_secret(Some(&path), None, "source am").unwrap().unwrap();
        assert_eq!(secret.expose(), "s3cret");
        std::fs::write(&path, "\n").unwrap();
        assert!(read_secret(Some(&path), None, "source am").unwrap_err().contains("is empty"));
        let both = read_secret(Some(&path), Some("X"), "source am").unwrap_err();
        assert!(both.contains("not both"), "{both}");
        let unset = read_secret(None, Some("OPSDECK_TEST_UNSET_VARIABLE_FOR_SOURCES"), "source am").unwrap_err();
        assert!(unset.contains("is not set"), "{unset}");
        assert_eq!(read_secret(None, None, "source am").unwrap(), None);
    }
}
