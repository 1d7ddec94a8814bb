//! The display time zone: resolved once when the console starts, then only read.
//!
//! `timezone` in the config names it. Without one it is the system's, found once at start by
//! [`SystemZone::detect`]: `TZ` when it names an IANA zone (the C library and `chrono::Local`
//! honour `TZ` first), else the zone `/etc/localtime` names (`iana-time-zone`), else the fixed
//! offset the system reports at start. Tests and benchmarks take the system's zone as UTC, so
//! they show the same times on every machine. Nothing else in the console reads the system's
//! zone: the state and the views use `Settings::timezone`, a [`DisplayZone`].

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// The system's time zone, as found at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemZone {
    /// An IANA zone: follows daylight saving time.
    Named(Tz),
    /// No zone name to go by (`TZ` holds a POSIX rule or a path): the offset at start.
    Offset(FixedOffset),
}

impl SystemZone {
    /// What tests and benchmarks use.
    pub const UTC: SystemZone = SystemZone::Named(chrono_tz::UTC);

    /// Reads the system's zone: the one place the console does.
    pub fn detect() -> SystemZone {
        SystemZone::from_parts(
            std::env::var("TZ").ok(),
            || iana_time_zone::get_timezone().ok(),
            chrono::Local::now().offset().fix(),
        )
    }

    /// `TZ` (if set), the zone the system names (asked only when `TZ` is unset), and the offset
    /// the C library reports now.
    fn from_parts(tz: Option<String>, system_name: impl FnOnce() -> Option<String>, offset: FixedOffset) -> SystemZone {
        let named = match tz {
            // `TZ=:Europe/Berlin` and `TZ=Europe/Berlin` name a zone; a POSIX rule (`CET-1CEST`)
            // or a path does not, and then the system's own name is not the zone in force.
            Some(tz) => tz.strip_prefix(':').unwrap_or(&tz).parse::<Tz>().ok(),
            None => system_name().and_then(|name| name.trim().parse::<Tz>().ok()),
        };
        named.map_or(SystemZone::Offset(offset), SystemZone::Named)
    }
}

/// The zone times are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayZone {
    /// `timezone` in the config: times are named by the zone's abbreviation (`CET`, `CEST`).
    Configured(Tz),
    /// No `timezone` configured: the system's, named by its offset (`UTC+01:00`).
    System(SystemZone),
}

impl DisplayZone {
    /// The configured zone, else the system's.
    pub fn resolve(configured: Option<Tz>, system: SystemZone) -> DisplayZone {
        configured.map_or(DisplayZone::System(system), DisplayZone::Configured)
    }

    /// The zone the config names, if it names one.
    pub fn configured(self) -> Option<Tz> {
        match self {
            DisplayZone::Configured(tz) => Some(tz),
            DisplayZone::System(_) => None,
        }
    }

    /// An IANA zone for what needs a name (a postmortem's timeline, the zone a new window is
    /// planned in): this one, or UTC when the system gave only an offset.
    pub fn named(self) -> Tz {
        match self {
            DisplayZone::Configured(tz) | DisplayZone::System(SystemZone::Named(tz)) => tz,
            DisplayZone::System(SystemZone::Offset(_)) => chrono_tz::UTC,
        }
    }

    /// `at` formatted with `format` (chrono's `strftime` syntax) in this zone.
    pub fn format(self, at: DateTime<Utc>, format: &str) -> String {
        match self.zone() {
            Zone::Named(tz) => at.with_timezone(&tz).format(format).to_string(),
            Zone::Offset(offset) => at.with_timezone(&offset).format(format).to_string(),
        }
    }

    /// The day `at` falls on here.
    pub fn date(self, at: DateTime<Utc>) -> NaiveDate {
        match self.zone() {
            Zone::Named(tz) => at.with_timezone(&tz).date_naive(),
            Zone::Offset(offset) => at.with_timezone(&offset).date_naive(),
        }
    }

    /// Midnight at the start of `day` here (the earlier one if it happens twice). A day whose
    /// midnight is skipped (clocks going forward at 00:00, as in Santiago) starts at midnight UTC.
    pub fn midnight(self, day: NaiveDate) -> DateTime<Utc> {
        let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        let start = match self.zone() {
            Zone::Named(tz) => tz.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc)),
            Zone::Offset(offset) => offset.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc)),
        };
        start.unwrap_or_else(|| Utc.from_utc_datetime(&naive))
    }

    /// The zone's name at `at`: `UTC`, `CET`, `CEST` when configured; the system's by its offset,
    /// `UTC+01:00`, or `UTC` when it has none.
    pub fn name_at(self, at: DateTime<Utc>) -> String {
        match self {
            DisplayZone::Configured(tz) => at.with_timezone(&tz).format("%Z").to_string(),
            DisplayZone::System(_) => match self.offset_at(at).local_minus_utc() {
                0 => "UTC".to_string(),
                _ => format!("UTC{}", self.format(at, "%:z")),
            },
        }
    }

    fn offset_at(self, at: DateTime<Utc>) -> FixedOffset {
        match self.zone() {
            Zone::Named(tz) => tz.offset_from_utc_datetime(&at.naive_utc()).fix(),
            Zone::Offset(offset) => offset,
        }
    }

    fn zone(self) -> Zone {
        match self {
            DisplayZone::Configured(tz) | DisplayZone::System(SystemZone::Named(tz)) => Zone::Named(tz),
            DisplayZone::System(SystemZone::Offset(offset)) => Zone::Offset(offset),
        }
    }
}

/// What times are converted with, whoever chose it.
enum Zone {
    Named(Tz),
    Offset(FixedOffset),
}

#[cfg(test)]
mod tests;
