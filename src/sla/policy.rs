//! The SLA policy file: named calendars, response and resolution targets for P1–P4, and the band
//! thresholds. Every mistake is reported with its line and key, like `config.toml`.
//!
//! ```toml
//! [calendars.business]
//! timezone = "America/New_York"
//! hours = { mon = ["09:00-17:00"], tue = ["09:00-12:00", "13:00-17:00"] }
//! holidays = ["2026-12-25"]
//!
//! [calendars."24x7"]
//! always_open = true
//!
//! [priorities.P1]
//! calendar = "24x7"
//! response = "15m"
//! resolution = "4h"
//! # … P2, P3 and P4 likewise: all four are required.
//!
//! [bands]            # optional
//! warning = "1h"
//! warning_fraction = 0.25
//! critical = "30m"
//! critical_fraction = 0.10
//! bell_on_critical = true
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use toml::Spanned;

use super::calendar::{Calendar, DayRange, WEEKDAY_KEYS, normalize_day};
use super::clock::Bands;
use crate::domain::duration::parse_duration;
use crate::domain::incident::Priority;

/// The longest target a policy (or `opsdeck sla due`) accepts: 3660 days, about ten years.
pub const MAX_TARGET: Duration = Duration::days(3660);

/// One SLA target: this much open time of the named calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub calendar: String,
    pub duration: Duration,
}

/// The two clocks of a priority.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorityTargets {
    pub response: Target,
    pub resolution: Target,
}

/// A parsed, validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaPolicy {
    calendars: BTreeMap<String, Calendar>,
    /// P1 … P4 in order.
    priorities: [PriorityTargets; 4],
    bands: Bands,
    bell_on_critical: bool,
}

/// What is wrong with a policy file, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct PolicyError {
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.key) {
            (Some(line), Some(key)) => write!(f, "line {line}, `{key}`: {}", self.message),
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            (None, Some(key)) => write!(f, "`{key}`: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

static ALWAYS_OPEN: Calendar = Calendar::always_open();

impl SlaPolicy {
    /// Parses and validates a policy file's text.
    pub fn parse(text: &str) -> Result<SlaPolicy, PolicyError> {
        Parser { text }.parse()
    }

    /// The built-in policy, `assets/sla-policy.toml`.
    pub fn default_policy() -> SlaPolicy {
        match SlaPolicy::parse(DEFAULT_POLICY_TOML) {
            Ok(policy) => policy,
            // A unit test parses the asset, so this cannot happen in a released build.
            Err(err) => panic!("assets/sla-policy.toml is invalid: {err}"),
        }
    }

    pub fn calendar(&self, name: &str) -> Option<&Calendar> {
        self.calendars.get(name)
    }

    /// The names of the calendars, sorted.
    pub fn calendar_names(&self) -> impl Iterator<Item = &str> {
        self.calendars.keys().map(String::as_str)
    }

    pub fn targets(&self, p: Priority) -> &PriorityTargets {
        &self.priorities[usize::from(p.rank() - 1)]
    }

    /// The calendar a target counts in. Targets from [`SlaPolicy::parse`] always name one of the
    /// policy's calendars; a hand-made target naming an unknown calendar gets 24×7.
    pub fn calendar_for(&self, t: &Target) -> &Calendar {
        self.calendars.get(&t.calendar).unwrap_or(&ALWAYS_OPEN)
    }

    pub fn bands(&self) -> &Bands {
        &self.bands
    }

    pub fn bell_on_critical(&self) -> bool {
        self.bell_on_critical
    }
}

/// The text of `assets/sla-policy.toml`: also a starting point for users.
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../assets/sla-policy.toml");

type Hours = BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    calendars: BTreeMap<Spanned<String>, Spanned<CalendarFile>>,
    #[serde(default)]
    priorities: BTreeMap<Spanned<String>, Spanned<PriorityFile>>,
    bands: Option<BandsFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    always_open: Option<Spanned<bool>>,
    timezone: Option<Spanned<String>>,
    hours: Option<Spanned<Hours>>,
    holidays: Option<Vec<Spanned<toml::Value>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriorityFile {
    calendar: Spanned<String>,
    response: Spanned<String>,
    resolution: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BandsFile {
    warning: Option<Spanned<String>>,
    warning_fraction: Option<Spanned<toml::Value>>,
    critical: Option<Spanned<String>>,
    critical_fraction: Option<Spanned<toml::Value>>,
    bell_on_critical: Option<bool>,
}

struct Parser<'t> {
    text: &'t str,
}

impl Parser<'_> {
    fn fail(&self, span: Option<Range<usize>>, key: impl Into<String>, message: impl Into<String>) -> PolicyError {
        PolicyError { line: span.map(|s| line_of(self.text, s.start)), key: Some(key.into()), message: message.into() }
    }

    fn parse(&self) -> Result<SlaPolicy, PolicyError> {
        let file: PolicyFile = toml::from_str(self.text).map_err(|e| PolicyError {
            line: e.span().map(|s| line_of(self.text, s.start)),
            key: e.span().and_then(|s| key_at(self.text, s.start)),
            message: e.message().trim().to_string(),
        })?;

        let mut calendars = BTreeMap::new();
        for (name, spec) in file.calendars {
            let calendar = self.calendar(name.get_ref(), spec)?;
            calendars.insert(name.into_inner(), calendar);
        }

        let mut priorities: [Option<PriorityTargets>; 4] = Default::default();
        for (name, spec) in file.priorities {
            let key = format!("priorities.{}", name.get_ref());
            let Some(p) = Priority::ALL.into_iter().find(|p| p.label() == name.get_ref()) else {
                return Err(self.fail(Some(name.span()), key, "unknown priority (use P1, P2, P3 or P4)"));
            };
            let spec = spec.into_inner();
            if !calendars.contains_key(spec.calendar.get_ref()) {
                let known: Vec<&str> = calendars.keys().map(String::as_str).collect();
                let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                return Err(self.fail(
                    Some(spec.calendar.span()),
                    format!("{key}.calendar"),
                    format!("unknown calendar `{}` (known: {known})", spec.calendar.get_ref()),
                ));
            }
            let target = |field: &str, value: &Spanned<String>| -> Result<Target, PolicyError> {
                let duration = self.target_duration(value, &format!("{key}.{field}"))?;
                Ok(Target { calendar: spec.calendar.get_ref().clone(), duration })
            };
            let targets = PriorityTargets {
                response: target("response", &spec.response)?,
                resolution: target("resolution", &spec.resolution)?,
            };
            priorities[usize::from(p.rank() - 1)] = Some(targets);
        }
        let mut complete = Vec::with_capacity(4);
        for (p, targets) in Priority::ALL.into_iter().zip(priorities) {
            let targets = targets.ok_or_else(|| PolicyError {
                line: None,
                key: Some(format!("priorities.{}", p.label())),
                message: format!(
                    "missing: every priority P1–P4 needs a [priorities.{}] table with calendar, response \
                     and resolution",
                    p.label()
                ),
            })?;
            complete.push(targets);
        }
        let priorities: [PriorityTargets; 4] = complete.try_into().map_err(|_| PolicyError {
            line: None,
            key: Some("priorities".into()),
            message: "needs exactly P1, P2, P3 and P4".into(),
        })?;

        let (bands, bell_on_critical) = match file.bands {
            Some(spec) => self.bands(spec)?,
            None => (Bands::default(), true),
        };
        Ok(SlaPolicy { calendars, priorities, bands, bell_on_critical })
    }

    fn calendar(&self, name: &str, spec: Spanned<CalendarFile>) -> Result<Calendar, PolicyError> {
        let key = format!("calendars.{name}");
        let span = spec.span();
        let spec = spec.into_inner();
        if let Some(always) = &spec.always_open {
            if !*always.get_ref() {
                return Err(self.fail(
                    Some(always.span()),
                    format!("{key}.always_open"),
                    "leave `always_open` out (or set it to true); a calendar with hours needs only timezone and hours",
                ));
            }
            if spec.timezone.is_some() || spec.hours.is_some() || spec.holidays.is_some() {
                return Err(self.fail(Some(span), key, "an always-open calendar takes no timezone, hours or holidays"));
            }
            return Ok(Calendar::always_open());
        }
        let (Some(zone), Some(hours)) = (&spec.timezone, &spec.hours) else {
            return Err(self.fail(
                Some(span),
                key,
                "needs either `always_open = true`, or `timezone` and `hours` \
                 (e.g. hours = { mon = [\"09:00-17:00\"] })",
            ));
        };
        let tz = chrono_tz::Tz::from_str(zone.get_ref().trim()).map_err(|_| {
            self.fail(
                Some(zone.span()),
                format!("{key}.timezone"),
                format!("`{}` is not an IANA time zone (e.g. America/New_York)", zone.get_ref()),
            )
        })?;

        let mut week: [Vec<DayRange>; 7] = Default::default();
        for (day, ranges) in hours.get_ref() {
            let day_key = format!("{key}.hours.{}", day.get_ref());
            let Some(index) = WEEKDAY_KEYS.iter().position(|k| k == day.get_ref()) else {
                return Err(self.fail(
                    Some(day.span()),
                    day_key,
                    format!("unknown weekday `{}` (use {})", day.get_ref(), WEEKDAY_KEYS.join(", ")),
                ));
            };
            let mut parsed = Vec::with_capacity(ranges.get_ref().len());
            for range in ranges.get_ref() {
                let r = DayRange::from_str(range.get_ref().trim())
                    .map_err(|e| self.fail(Some(range.span()), day_key.clone(), e.0))?;
                parsed.push(r);
            }
            week[index] = normalize_day(parsed).map_err(|e| self.fail(Some(ranges.span()), day_key, e.0))?;
        }
        if week.iter().all(Vec::is_empty) {
            return Err(self.fail(
                Some(hours.span()),
                format!("{key}.hours"),
                "no open hours in the week: a clock on this calendar would never run",
            ));
        }

        let mut holidays = Vec::new();
        for value in spec.holidays.iter().flatten() {
            let date = match value.get_ref() {
                toml::Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
                toml::Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                    (Some(d), None, None) => NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()),
                    _ => None,
                },
                _ => None,
            };
            let date = date.ok_or_else(|| {
                self.fail(
                    Some(value.span()),
                    format!("{key}.holidays"),
                    format!("{} is not a date like \"2026-12-25\"", value.get_ref()),
                )
            })?;
            holidays.push(date);
        }
        Calendar::business(tz, week, holidays).map_err(|e| self.fail(Some(span), key, e.0))
    }

    fn target_duration(&self, value: &Spanned<String>, key: &str) -> Result<Duration, PolicyError> {
        let fail = |message: String| self.fail(Some(value.span()), key, message);
        let std = parse_duration(value.get_ref()).map_err(|e| fail(e.to_string()))?;
        let duration = Duration::from_std(std).ok().filter(|d| *d <= MAX_TARGET);
        match duration {
            None => Err(fail(format!("`{}` is longer than the maximum of 3660d", value.get_ref()))),
            Some(d) if d <= Duration::zero() => Err(fail("a target must be longer than zero".into())),
            Some(d) => Ok(d),
        }
    }

    fn bands(&self, spec: BandsFile) -> Result<(Bands, bool), PolicyError> {
        let mut bands = Bands::default();
        let threshold = |value: &Spanned<String>, key: &str| -> Result<Duration, PolicyError> {
            let std = parse_duration(value.get_ref()).map_err(|e| self.fail(Some(value.span()), key, e.to_string()))?;
            Duration::from_std(std)
                .ok()
                .filter(|d| *d <= MAX_TARGET)
                .ok_or_else(|| self.fail(Some(value.span()), key, "longer than the maximum of 3660d"))
        };
        let fraction = |value: &Spanned<toml::Value>, key: &str| -> Result<f64, PolicyError> {
            let number = match value.get_ref() {
                toml::Value::Float(f) => Some(*f),
                toml::Value::Integer(i) => Some(*i as f64),
                _ => None,
            };
            number.filter(|f| (0.0..=1.0).contains(f)).ok_or_else(|| {
                self.fail(
                    Some(value.span()),
                    key,
                    format!("{} is not a fraction from 0 to 1 (e.g. 0.25)", value.get_ref()),
                )
            })
        };
        if let Some(v) = &spec.warning {
            bands.warning = threshold(v, "bands.warning")?;
        }
        if let Some(v) = &spec.warning_fraction {
            bands.warning_fraction = fraction(v, "bands.warning_fraction")?;
        }
        if let Some(v) = &spec.critical {
            bands.critical = threshold(v, "bands.critical")?;
        }
        if let Some(v) = &spec.critical_fraction {
            bands.critical_fraction = fraction(v, "bands.critical_fraction")?;
        }
        Ok((bands, spec.bell_on_critical.unwrap_or(true)))
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// Best-effort dotted key of what is at `offset`, for errors the TOML parser reports with a span
/// only (unknown fields, wrong types, missing fields): the enclosing `[table]` header plus the
/// key on that line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let header = |l: &str| -> Option<String> {
        let inner = l.trim_start_matches('[');
        let inner = &inner[..inner.find(']')?];
        Some(
            inner.split('.').map(|part| part.trim().trim_matches('"').trim_matches('\'')).collect::<Vec<_>>().join("."),
        )
    };
    if line.starts_with('[') {
        return header(line);
    }
    let table = text[..line_start].lines().map(str::trim).rfind(|l| l.starts_with('[')).and_then(header);
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('#'));
    match (table, key) {
        (Some(table), Some(key)) => Some(format!("{table}.{key}")),
        (table, key) => table.or(key),
    }
}

#[cfg(test)]
mod tests;
