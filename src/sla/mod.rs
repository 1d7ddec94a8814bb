//! The SLA engine: calendars of open hours, the policy file, and response and resolution clocks.
//!
//! Everything here is pure: time comes in as arguments (`now`), nothing reads the clock or files.
//! The one exception is [`cli`], the `opsdeck sla` subcommand, which reads a policy file.
//!
//! - [`calendar`]: [`Calendar`], 24×7 or weekly hours in a time zone minus holidays, and the
//!   arithmetic on open time (`add_open_time`, `open_between`, `open_intervals`).
//! - [`policy`]: [`SlaPolicy`], parsed from TOML (`assets/sla-policy.toml` is the default), with
//!   the line and key of every mistake.
//! - [`clock`]: [`evaluate`] a clock at `now` into a [`ClockState`] with its [`Band`].

pub mod calendar;
pub mod clock;
pub mod policy;

#[cfg(test)]
mod tests;

pub use calendar::{Calendar, CalendarError, DayRange};
pub use clock::{Band, Bands, ClockSpec, ClockState, evaluate};
pub use policy::{PolicyError, PriorityTargets, SlaPolicy, Target};
