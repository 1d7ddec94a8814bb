//! `opsdeck calendar export|import`: maintenance windows as iCalendar files, against an Ops API
//! server over HTTP.
//!
//! Exit status: 0 on success; 2 on a mistake in the input (arguments, token file, calendar file,
//! unknown services) with nothing created; 1 when the server cannot be reached or refuses.
//! Import reads and checks every event first, then creates each with an `Idempotency-Key`
//! derived from its UID and skips events describing a window the server already has (times
//! compared at whole seconds, as a file carries them), so running it again, or importing an
//! export of the same server, creates no duplicates.
//!
//! Output is sanitised: an export carries no control character but the CRLF line ends and HTAB
//! RFC 5545 allows, whatever the server's windows hold; import's report and its errors (which
//! quote the file) print no escape sequence. The file is read bounded, from a regular file only.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};

use crate::cli::client::{Client, Failure, Output, ServerArgs, block_on, finish};
use crate::domain::maintenance_ics::{ImportDefaults, from_ics_with, import_key, plan_import, to_ics};
use crate::domain::text::{sanitize, sanitize_in_place, sanitize_multiline};
use crate::domain::{MaintenanceWindow, NewMaintenance, Service};
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
        CalendarCommand::Import(args) => finish("calendar import", block_on(import(args))),
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

async fn import(args: ImportArgs) -> Result<Output, Failure> {
    let text = read_text(&args.file)?;
    let services: Vec<String> = args.services.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let events = from_ics_with(&text, &ImportDefaults { services })
        .map_err(|e| Failure::Input(format!("{}: {e}; nothing was imported", args.file.display())))?;
    let client = Client::new(&args.server)?;
    let known: Vec<String> = client.get::<Vec<Service>>("/v1/services").await?.into_iter().map(|s| s.id).collect();
    let existing: Vec<NewMaintenance> =
        client.get::<Vec<MaintenanceWindow>>("/v1/maintenance").await?.iter().map(MaintenanceWindow::to_new).collect();
    let plan = plan_import(events, &known, &existing)
        .map_err(|e| Failure::Input(format!("{}: {e}; nothing was imported", args.file.display())))?;
    let mut report = String::new();
    for event in &plan.create {
        let window: MaintenanceWindow = client.post("/v1/maintenance", &import_key(event), &event.window).await?;
        report.push_str(&format!("created {} {}\n", sanitize(&window.id), sanitize(&window.title)));
    }
    report.push_str(&format!("{} created, {} already present\n", plan.create.len(), plan.present));
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
    if let Some(rule) = window.rrule.as_mut() {
        sanitize_in_place(rule);
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
