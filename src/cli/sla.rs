//! `opsdeck sla …`: the SLA engine from the command line. The only part of `sla` that reads files.
//!
//! Mistakes (a bad policy file, an unknown calendar, a bad time or duration) print one line on
//! stderr and exit with status 2. The policy file is read bounded, from a regular file only; what
//! is printed (calendar names come from the file) is sanitised.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;

use crate::cli::output;
use crate::domain::duration::parse_duration;
use crate::files;
use crate::sla::policy::{MAX_TARGET, SlaPolicy};

#[derive(Debug, clap::Subcommand)]
pub enum SlaCommand {
    /// Print when a target of open time, started at some instant, runs out on a calendar.
    Due(DueArgs),
}

#[derive(Debug, clap::Args)]
pub struct DueArgs {
    /// SLA policy file (default: the config file's `sla_policy`, else the built-in policy, as in
    /// assets/sla-policy.toml).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The console's configuration file, whose `sla_policy` applies without `--policy` (default:
    /// $XDG_CONFIG_HOME/opsdeck/config.toml).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Name of a calendar in the policy (the default policy has `business` and `24x7`).
    #[arg(long, value_name = "NAME")]
    pub calendar: String,
    /// When the clock starts, in RFC 3339 (e.g. 2026-11-05T12:30:00Z).
    #[arg(long, value_name = "RFC3339")]
    pub start: String,
    /// Open time until due: 30s, 15m, 4h, 1h30m, 2d.
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub target: String,
    /// Print JSON with the local due time and the open intervals counted.
    #[arg(long)]
    pub json: bool,
}

/// Runs an `opsdeck sla` subcommand: 0 on success, 2 on any mistake in the input.
pub fn run(command: SlaCommand) -> ExitCode {
    let (name, result) = match command {
        SlaCommand::Due(args) => ("sla due", due(&args)),
    };
    match result {
        Ok(output) => {
            println!("{}", output::text(&output));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("opsdeck {name}: {}", output::line(&message));
            ExitCode::from(2)
        }
    }
}

#[derive(Serialize)]
struct DueJson {
    due: String,
    due_local: String,
    timezone: String,
    calendar: String,
    target: String,
    intervals: Vec<IntervalJson>,
}

#[derive(Serialize)]
struct IntervalJson {
    start: String,
    end: String,
}

/// The output of `sla due`, or a one-line message saying what is wrong.
pub fn due(args: &DueArgs) -> Result<String, String> {
    let policy = match &args.policy {
        // The policy the console uses: the config's `sla_policy`, else the built-in one.
        None => crate::cli::client::console_config(args.config.as_deref())?.0.sla.as_ref().clone(),
        Some(path) => {
            let text = files::read_text(path, files::POLICY_LIMIT).map_err(|e| e.describe(""))?;
            SlaPolicy::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
    };
    let calendar = policy.calendar(&args.calendar).ok_or_else(|| {
        let known: Vec<&str> = policy.calendar_names().collect();
        format!("unknown calendar `{}` (known: {})", args.calendar, known.join(", "))
    })?;
    let start = DateTime::parse_from_rfc3339(args.start.trim())
        .map_err(|_| format!("--start: `{}` is not an RFC 3339 time (e.g. 2026-11-05T12:30:00Z)", args.start))?
        .with_timezone(&Utc);
    let target = parse_duration(&args.target).map_err(|e| format!("--target: {e}"))?;
    let target = Duration::from_std(target)
        .ok()
        .filter(|t| *t <= MAX_TARGET)
        .ok_or_else(|| format!("--target: `{}` is longer than the maximum of 3660d", args.target))?;
    let due = calendar.add_open_time(start, target).ok_or_else(|| {
        format!("calendar `{}` has no open time in which `{}` could run out", args.calendar, args.target)
    })?;
    if !args.json {
        return Ok(rfc3339(due));
    }
    let (timezone, due_local) = match calendar.timezone() {
        Some(tz) => (tz.name().to_string(), due.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::AutoSi, false)),
        None => ("UTC".to_string(), due.to_rfc3339_opts(SecondsFormat::AutoSi, false)),
    };
    let intervals = calendar
        .open_intervals(start, due)
        .into_iter()
        .map(|(s, e)| IntervalJson { start: rfc3339(s), end: rfc3339(e) })
        .collect();
    let json = DueJson {
        due: rfc3339(due),
        due_local,
        timezone,
        calendar: args.calendar.clone(),
        target: format_duration(target),
        intervals,
    };
    serde_json::to_string(&json).map_err(|e| e.to_string())
}

/// RFC 3339 in UTC with `Z`, to the second (sub-second digits only when there are any).
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A duration the way policies write them, in hours at most (a "day" would read like a calendar
/// day, while targets count open time): `1h30m`, `72h`, `45s`, `0s`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    if secs == 0 {
        return "0s".into();
    }
    let parts = [(secs / 3_600, "h"), (secs % 3_600 / 60, "m"), (secs % 60, "s")];
    parts.iter().filter(|(n, _)| *n > 0).map(|(n, unit)| format!("{n}{unit}")).collect()
}
