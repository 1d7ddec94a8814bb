//! `opsdeck calendar export|import`: maintenance windows as iCalendar files, against an Ops API
//! server over HTTP.
//!
//! Exit status: 0 on success; 2 on a mistake in the input (arguments, token file, a file that is
//! not iCalendar, `--services` naming an unknown service) with nothing changed, or when some
//! events were refused (the others are imported); 1 when the server cannot be reached or refuses.
//!
//! Import reads and checks every event first, then upserts by UID (see
//! `domain::maintenance_ics::plan`): a new event is planned, a changed one edits the window
//! imported from it, a cancelled one cancels it, and one the server already has is left alone.
//! Every request carries an `Idempotency-Key` derived from the UID and the content, so running it
//! again changes nothing and a changed file is never mistaken for a replay. It prints one line
//! per event (`created`, `updated`, `cancelled`, `unchanged` on stdout; `refused` on stderr,
//! naming the event and the problem) and a summary.
//!
//! Output is sanitised: an export carries no control character but the CRLF line ends and HTAB
//! RFC 5545 allows, whatever the server's windows hold; import's report and its errors (which
//! quote the file) print no escape sequence. The file is read bounded, from a regular file only.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};

use crate::api::{MaintenanceEdit, VersionBody};
use crate::cli::client::{Client, Failure, Output, ServerArgs, block_on, finish};
use crate::domain::maintenance_ics::{ImportDefaults, change_key, create_key, plan_import, read_ics, to_ics};
use crate::domain::text::{sanitize, sanitize_in_place, sanitize_multiline};
use crate::domain::{MaintenanceWindow, Service};
use crate::files;

#[derive(Debug, clap::Subcommand)]
pub enum CalendarCommand {
    /// Print the server's maintenance windows as an iCalendar file.
    Export(ExportArgs),
    /// Create maintenance windows from an iCalendar file (all events are checked first; needs a
    /// commander's token).
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Only windows with an occurrence on or after this day (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<String>,
    /// Only windows with an occurrence before this day (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<String>,
    /// Also export cancelled windows (as STATUS:CANCELLED), whatever the range.
    #[arg(long)]
    pub include_cancelled: bool,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The iCalendar file (.ics).
    pub file: PathBuf,
    #[command(flatten)]
    pub server: ServerArgs,
    /// Services of events without X-OPSDECK-SERVICES, comma-separated (e.g. llm-gateway,rag-retrieval).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub services: Vec<String>,
}

pub fn run(command: CalendarCommand) -> ExitCode {
    match command {
        CalendarCommand::Export(args) => finish("calendar export", block_on(export(args))),
        CalendarCommand::Import(args) => {
            let file = args.file.display().to_string();
            let mut outcome = Outcome::default();
            let code = finish("calendar import", block_on(import(args, &mut outcome)));
            // Refused events after the report: one line each, naming the event and the problem.
            for line in &outcome.refused {
                eprintln!("opsdeck calendar import: {}: refused {}", sanitize(&file), sanitize(line));
            }
            match (outcome.server_failed, outcome.refused.is_empty()) {
                _ if code != ExitCode::SUCCESS => code,
                (true, _) => ExitCode::FAILURE,
                (false, false) => ExitCode::from(2),
                (false, true) => code,
            }
        }
    }
}

async fn export(args: ExportArgs) -> Result<Output, Failure> {
    let from = args.from.as_deref().map(|d| day("--from", d)).transpose()?;
    let to = args.to.as_deref().map(|d| day("--to", d)).transpose()?;
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) if t <= f => return Err(Failure::Input("--to must be after --from".into())),
        (f, t) => (f, t),
    };
    let client = Client::new(&args.server)?;
    let query = if args.include_cancelled { "?include_cancelled=true" } else { "" };
    let windows: Vec<MaintenanceWindow> = client.get(&format!("/v1/maintenance{query}")).await?;
    let ranged = from.is_some() || to.is_some();
    let lower = from.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let upper = to.unwrap_or_else(|| lower.max(Utc::now()) + chrono::Duration::days(366 * 10));
    let kept: Vec<MaintenanceWindow> =
        windows.into_iter().filter(|w| w.cancelled || !ranged || !w.occurrences(lower, upper).is_empty()).collect();
    Ok(Output::Calendar(to_ics(&kept.into_iter().map(inert).collect::<Vec<_>>())))
}

/// What an import leaves for the exit status: the refused events, and whether the server
/// refused or could not be reached for any of them.
#[derive(Debug, Default)]
struct Outcome {
    refused: Vec<String>,
    server_failed: bool,
}

async fn import(args: ImportArgs, outcome: &mut Outcome) -> Result<Output, Failure> {
    let text = read_text(&args.file)?;
    let services: Vec<String> = args.services.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let file = read_ics(&text, &ImportDefaults { services: services.clone() })
        .map_err(|e| Failure::Input(format!("{}: {e}; nothing was imported", args.file.display())))?;
    let client = Client::new(&args.server)?;
    let known: Vec<String> = client.get::<Vec<Service>>("/v1/services").await?.into_iter().map(|s| s.id).collect();
    if let Some(unknown) = services.iter().find(|s| !known.contains(s)) {
        return Err(Failure::Input(format!("--services: unknown service `{unknown}`; nothing was imported")));
    }
    let existing: Vec<MaintenanceWindow> = client.get("/v1/maintenance?include_cancelled=true").await?;
    let plan = plan_import(file, &known, &existing);
    let mut report = String::new();
    outcome.refused.extend(plan.refused.iter().map(ToString::to_string));
    let mut done = [0usize; 3];
    // Each event on its own: one the server refuses is reported, and the others still go.
    let mut record =
        |verb: &str, name: &str, result: Result<MaintenanceWindow, Failure>, count: &mut usize| match result {
            Ok(window) => {
                report.push_str(&format!("{verb} {} {}\n", window.id, window.title));
                *count += 1;
            }
            Err(failure) => {
                outcome.refused.push(format!("event {name}: {}", failure.message()));
                outcome.server_failed = true;
            }
        };
    for event in &plan.create {
        let result = client.post("/v1/maintenance", &create_key(event), &event.window).await;
        record("created", &event.name, result, &mut done[0]);
    }
    for change in &plan.update {
        let body = MaintenanceEdit { version: change.version, fields: change.event.window.clone() };
        let path = format!("/v1/maintenance/{}", change.id);
        let result = client.put(&path, &change_key(change, false), &body).await;
        record("updated", &change.event.name, result, &mut done[1]);
    }
    for change in &plan.cancel {
        let path = format!("/v1/maintenance/{}/cancel", change.id);
        let result = client.post(&path, &change_key(change, true), &VersionBody { version: change.version }).await;
        record("cancelled", &change.event.name, result, &mut done[2]);
    }
    for line in &plan.unchanged {
        report.push_str(&format!("unchanged {line}\n"));
    }
    report.push_str(&format!(
        "{} created, {} updated, {} cancelled, {} unchanged, {} refused\n",
        plan.create.len(),
        plan.update.len(),
        plan.cancel.len(),
        plan.unchanged.len(),
        plan.refused.len()
    ));
    Ok(Output::Text(report))
}

/// A window from the server made safe to write as iCalendar: one-line fields on one line, the
/// description with its lines and tabs (iCalendar escapes its line breaks as `\n`).
fn inert(mut window: MaintenanceWindow) -> MaintenanceWindow {
    for field in
        [&mut window.id, &mut window.title, &mut window.timezone, &mut window.created_by, &mut window.updated_by]
    {
        sanitize_in_place(field);
    }
    window.services.iter_mut().for_each(sanitize_in_place);
    for field in [window.rrule.as_mut(), window.uid.as_mut()].into_iter().flatten() {
        sanitize_in_place(field);
    }
    window.description = sanitize_multiline(&window.description).into_owned();
    window
}

fn day(flag: &str, value: &str) -> Result<DateTime<Utc>, Failure> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|_| Failure::Input(format!("{flag} must be a date like 2026-12-01, not `{value}`")))
}

/// The calendar file, a regular file of at most [`files::CALENDAR_LIMIT`].
fn read_text(path: &Path) -> Result<String, Failure> {
    files::read_text(path, files::CALENDAR_LIMIT).map_err(|e| Failure::Input(e.describe("")))
}
