//! [`Body`]: a JSON request body as every write endpoint reads it, and the rules that apply to
//! any body whatever its type.
//!
//! - The body must be sent as JSON (`Content-Type: application/json` or a `+json` type): 415
//!   otherwise; a body over the route's limit is a 413; JSON that does not parse, or does not fit
//!   the type, a 400 naming the field.
//! - An integer may be written as an integral number (`3.0`): JSON Schema calls that an integer,
//!   so clients and generators do write it.
//! - Stored text refuses control characters other than newline and tab, and the bidirectional
//!   overrides and isolates (U+202A–U+202E, U+2066–U+2069, which can make a text read differently
//!   from what it says): a 422 naming the field, the position (counted in characters from 1) and
//!   the character, e.g. `title contains a control character at position 12 (U+001B)`. Every
//!   string of the typed body is checked, whatever its field, so a new field is covered the day it
//!   is added; unknown fields are ignored, as before. [`FORBIDDEN_CLASS`] is the same rule as a
//!   regular-expression class, for the OpenAPI document.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;

/// The characters stored text refuses, as the inside of a regular-expression class (ECMA 262 and
/// Python alike): C0 controls but tab and newline, DEL, C1 controls, bidi overrides and isolates.
pub const FORBIDDEN_CLASS: &str = r"\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069";

/// A JSON request body of type `T`, checked as the module doc says.
pub struct Body<T>(pub T);

impl<T, S> FromRequest<S> for Body<T>
where
    T: DeserializeOwned + Serialize,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON, sent with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the body is larger than this endpoint takes")
            } else {
                ApiError::invalid(format!("the body could not be read: {}", rejection.body_text()))
            }
        })?;
        let mut value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::invalid(format!("the body is not valid JSON: {e}")))?;
        integral_numbers_as_integers(&mut value);
        let body: T = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
                ApiError::invalid(inner.to_string())
            } else {
                ApiError::invalid(format!("{path}: {inner}"))
            }
        })?;
        if let Some(problem) = text_problem(&serde_json::to_value(&body).unwrap_or(Value::Null), "") {
            return Err(ApiError::unprocessable(problem));
        }
        Ok(Body(body))
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Rewrites every number with no fractional part (`3.0`, `-1e3`) as an integer, so integer
/// fields take it; float fields take integers as they always did.
fn integral_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 {
                if (-9.2e18..9.2e18).contains(&f) {
                    *n = serde_json::Number::from(f as i64);
                } else if (0.0..1.8e19).contains(&f) {
                    *n = serde_json::Number::from(f as u64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// The first string of `value` (a typed body as JSON) holding a character stored text refuses,
/// as a message naming its field (`title`, `services[2]`, `features[0].name`).
pub fn text_problem(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::String(s) => s.chars().enumerate().find_map(|(i, c)| {
            let what = refused(c)?;
            let field = if path.is_empty() { "the body" } else { path };
            Some(format!("{field} contains {what} at position {} (U+{:04X})", i + 1, c as u32))
        }),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| text_problem(item, &format!("{path}[{i}]")))
        }
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let field = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            text_problem(item, &field)
        }),
        _ => None,
    }
}

/// What a refused character is, or `None` for one stored text may hold.
fn refused(c: char) -> Option<&'static str> {
    match c {
        '\n' | '\t' => None,
        c if c.is_control() => Some("a control character"),
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some("a bidirectional override"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_first_refused_character_is_named_with_its_field_and_position() {
        let body = json!({"title": "database \u{1b}]52;c;aGk=\u{7}", "services": ["ok", "a\u{202E}b"]});
        assert_eq!(
            text_problem(&body, "").as_deref(),
            Some("services[1] contains a bidirectional override at position 2 (U+202E)")
        );
        let body = json!({"title": "abcdefghijk\u{1b}[31m"});
        assert_eq!(
            text_problem(&body, "").as_deref(),
            Some("title contains a control character at position 12 (U+001B)")
        );
        let nested = json!({"features": [{"name": "x", "reference": {"values": ["a", "\r"]}}]});
        assert_eq!(
            text_problem(&nested, "").as_deref(),
            Some("features[0].reference.values[1] contains a control character at position 1 (U+000D)")
        );
    }

    #[test]
    fn newlines_tabs_and_other_scripts_are_kept() {
        let body = json!({"body": "line one\nline\ttwo\n\u{05e9}\u{05dc}\u{05d5}\u{05dd} \u{200d}\u{1F469}\u{200D}\u{1F4BB} caf\u{e9}"});
        assert_eq!(text_problem(&body, ""), None);
        for c in ['\u{0}', '\u{8}', '\u{b}', '\u{1f}', '\u{7f}', '\u{85}', '\u{9f}', '\u{2066}', '\u{2069}'] {
            assert!(refused(c).is_some(), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn the_documented_class_is_the_rule() {
        // The class is written for JSON Schema (`\uXXXX`): read its ranges back and compare.
        let ranges: Vec<(u32, u32)> = FORBIDDEN_CLASS
            .split(r"\u")
            .filter(|s| !s.is_empty())
            .map(|s| u32::from_str_radix(s.trim_end_matches('-'), 16).unwrap())
            .collect::<Vec<_>>()
            .chunks(2)
            .map(|pair| (pair[0], pair[1]))
            .collect();
        for code in 0..0x3000u32 {
            let Some(c) = char::from_u32(code) else { continue };
            let in_class = ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&code));
            assert_eq!(in_class, refused(c).is_some(), "U+{code:04X}");
        }
    }

    #[test]
    fn integral_numbers_become_integers_and_others_stay() {
        let mut value = json!({"version": -3741.0, "values": [1.5, 2.0], "big": 1e30});
        integral_numbers_as_integers(&mut value);
        assert_eq!(value, json!({"version": -3741, "values": [1.5, 2], "big": 1e30}));
    }
}
