//! `opsdeck incidents list|show|ack|escalate|resolve|note|reassign`: incidents without the screen,
//! for scripts and for a terminal the console cannot use, over the same Ops API and the same
//! configuration as the console (`--backend`, `--token-file`, `--config`: see `cli::client`).
//!
//! `list` prints one aligned line per incident (most urgent first, as the console sorts them) or,
//! with `--json`, the incidents as the API returns them; of the 1,000 the server lists at most
//! (the most recently changed). An action reads each incident first and
//! sends the action against the version it read, under an idempotency key made of the action, the
//! incident and that version: a script that runs again after a lost answer is answered as the
//! first time, and one that runs again after the action took effect is told it is done already
//! (a conflict), never acts twice.
//!
//! Exit status: 0 done; 1 the server refused or failed; 2 a mistake in the input, nothing sent;
//! 3 a conflict for at least one incident ("already acknowledged by erin 2 min ago", a version
//! changed in between); 4 the server cannot be reached. With several ids each is tried and
//! reported, and the status is the worst one's.

use std::process::ExitCode;

use chrono::Utc;

use crate::api::{AssignBody, NoteBody, VersionBody};
use crate::cli::client::{Client, Failure, Output, ServerArgs, block_on, finish};
use crate::domain::text::sanitize;
use crate::domain::{Incident, IncidentAction, IncidentStatus, Priority};

#[derive(Debug, clap::Subcommand)]
pub enum IncidentsCommand {
    /// List incidents, most urgent first: open ones unless `--state` says otherwise.
    List(ListArgs),
    /// Print one incident with its timeline.
    Show(ShowArgs),
    /// Acknowledge incidents: you own them and the paging stops.
    Ack(ActArgs),
    /// Escalate incidents to their next tier.
    Escalate(ActArgs),
    /// Resolve incidents.
    Resolve(ActArgs),
    /// Add a note to incidents' timelines.
    Note {
        #[command(flatten)]
        act: ActArgs,
        /// The note's text.
        #[arg(long)]
        text: String,
    },
    /// Hand incidents to someone, who must acknowledge them.
    Reassign {
        #[command(flatten)]
        act: ActArgs,
        /// Whom to hand them to.
        #[arg(long, value_name = "NAME")]
        to: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum State {
    Open,
    Triggered,
    Acknowledged,
    Resolved,
    All,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Which incidents (default: open).
    #[arg(long, value_enum, default_value_t = State::Open)]
    pub state: State,
    /// Only this priority (P1 … P4).
    #[arg(long, value_name = "P")]
    pub priority: Option<String>,
    /// Only this service.
    #[arg(long, value_name = "ID")]
    pub service: Option<String>,
    /// Print the incidents as JSON (an array of the API's incident objects).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The incident, e.g. INC-1042.
    pub id: String,
    /// Print the incident as JSON, as the API returns it.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, clap::Args)]
pub struct ActArgs {
    /// The incidents, e.g. INC-1042 INC-1043.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Print each incident as it is after the action, as JSON lines.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

pub fn run(command: IncidentsCommand) -> ExitCode {
    let (name, result) = match command {
        IncidentsCommand::List(args) => ("incidents list", block_on(list(args))),
        IncidentsCommand::Show(args) => ("incidents show", block_on(show(args))),
        IncidentsCommand::Ack(args) => ("incidents ack", block_on(act(args, IncidentAction::Acknowledge))),
        IncidentsCommand::Escalate(args) => ("incidents escalate", block_on(act(args, IncidentAction::Escalate))),
        IncidentsCommand::Resolve(args) => ("incidents resolve", block_on(act(args, IncidentAction::Resolve))),
        IncidentsCommand::Note { act: args, text } => {
            ("incidents note", block_on(act(args, IncidentAction::Note { text })))
        }
        IncidentsCommand::Reassign { act: args, to } => {
            ("incidents reassign", block_on(act(args, IncidentAction::Reassign { to })))
        }
    };
    finish(name, result)
}

async fn list(args: ListArgs) -> Result<Output, Failure> {
    let priority = match args.priority.as_deref().map(str::trim) {
        None => None,
        Some(p) => Some(
            Priority::ALL
                .into_iter()
                .find(|known| known.label().eq_ignore_ascii_case(p) || known.rank().to_string() == p)
                .ok_or_else(|| Failure::Input(format!("--priority must be P1, P2, P3 or P4, not `{p}`")))?,
        ),
    };
    let client = Client::new(&args.server)?;
    let scope = if args.state == State::Open { "open" } else { "all" };
    let mut incidents: Vec<Incident> = client.get(&format!("/v1/incidents?status={scope}&limit=1000")).await?;
    incidents.retain(|i| {
        let state = match args.state {
            State::Open | State::All => true,
            State::Triggered => i.status == IncidentStatus::Triggered,
            State::Acknowledged => i.status == IncidentStatus::Acknowledged,
            State::Resolved => i.status == IncidentStatus::Resolved,
        };
        state
            && priority.is_none_or(|p| i.priority == p)
            && args.service.as_deref().is_none_or(|s| i.service_id.eq_ignore_ascii_case(s.trim()))
    });
    incidents.sort_by_cached_key(|i| {
        let (rank, at) = i.list_order();
        (rank, std::cmp::Reverse(at), i.id.clone())
    });
    if args.json {
        return Ok(Output::Text(json(&incidents)?));
    }
    Ok(Output::Text(table(&incidents)))
}

async fn show(args: ShowArgs) -> Result<Output, Failure> {
    let id = incident_id(&args.id)?;
    let client = Client::new(&args.server)?;
    let incident: Incident = client.get(&format!("/v1/incidents/{id}")).await?;
    if args.json {
        return Ok(Output::Text(json(&incident)?));
    }
    let mut text = table(std::slice::from_ref(&incident));
    for event in &incident.timeline {
        let at = event.at.format("%Y-%m-%d %H:%M:%S");
        let star = if event.starred { "*" } else { " " };
        text.push_str(&format!("{star} {at}Z  {:<12}  {:<10}  {}\n", event.kind.label(), event.actor, event.text));
    }
    Ok(Output::Text(text))
}

/// Each incident in turn: read, then the action against the version read. Reports a line per
/// incident and ends with the worst failure's status.
async fn act(args: ActArgs, action: IncidentAction) -> Result<Output, Failure> {
    let ids = args.ids.iter().map(|id| incident_id(id)).collect::<Result<Vec<_>, _>>()?;
    if let IncidentAction::Note { text } | IncidentAction::Reassign { to: text } = &action
        && text.trim().is_empty()
    {
        return Err(Failure::Input(format!("{} needs some text", action.verb())));
    }
    let client = Client::new(&args.server)?;
    let mut report = String::new();
    let mut worst: Option<Failure> = None;
    for id in ids {
        match act_on(&client, &id, &action).await {
            Ok(incident) if args.json => report.push_str(&format!("{}\n", json(&incident)?)),
            Ok(incident) => {
                let who = incident.assignee.as_deref().unwrap_or("nobody");
                report.push_str(&format!(
                    "{id}: {} (now {}, {}, {who})\n",
                    action.done(),
                    incident.status.label(),
                    incident.tier.label()
                ));
            }
            Err(failure) => {
                eprintln!("opsdeck incidents {}: {id}: {}", action.verb(), sanitize(failure.message()));
                if worst.as_ref().is_none_or(|w| rank(&failure) > rank(w)) {
                    worst = Some(failure);
                }
            }
        }
    }
    let Some(failure) = worst else { return Ok(Output::Text(report)) };
    // Each failure was said above; what was done is printed, and the last line sums it up.
    crate::cli::output::print_all(crate::cli::output::text(&report).as_bytes());
    let summary = || "not every incident was changed (see above)".to_string();
    Err(match failure {
        Failure::Conflict(_) => Failure::Conflict(summary()),
        Failure::Unreachable(message) => Failure::Unreachable(message),
        Failure::Input(_) | Failure::Server(_) => Failure::Server(summary()),
    })
}

/// Which failure of several decides the exit status: not reachable, then refused, then conflict.
fn rank(failure: &Failure) -> u8 {
    match failure {
        Failure::Conflict(_) => 1,
        Failure::Input(_) | Failure::Server(_) => 2,
        Failure::Unreachable(_) => 3,
    }
}

async fn act_on(client: &Client, id: &str, action: &IncidentAction) -> Result<Incident, Failure> {
    let seen: Incident = client.get(&format!("/v1/incidents/{id}")).await?;
    // Said here, as the console would, without a request that the server would refuse anyway.
    if let Err(rejection) = seen.check(action) {
        return Err(Failure::Conflict(rejection.describe(id, Utc::now())));
    }
    let version = seen.version;
    let key = format!("opsdeck-cli-{}-{id}-v{version}", action.verb());
    let path = format!("/v1/incidents/{id}/{}", action.path());
    match action {
        IncidentAction::Note { text } => client.post(&path, &key, &NoteBody { version, text: text.clone() }).await,
        IncidentAction::Reassign { to } => client.post(&path, &key, &AssignBody { version, to: to.clone() }).await,
        _ => client.post(&path, &key, &VersionBody { version }).await,
    }
}

/// An incident id as given (`INC-1042`, any case), checked before anything is sent.
fn incident_id(id: &str) -> Result<String, Failure> {
    let id = id.trim();
    match crate::cli::output::plain_id(id) {
        true => Ok(id.to_string()),
        false => Err(Failure::Input(format!("`{id}` is not an incident id (e.g. INC-1042)"))),
    }
}

fn json(value: &impl serde::Serialize) -> Result<String, Failure> {
    serde_json::to_string(value).map_err(|e| Failure::Server(format!("cannot write JSON: {e}")))
}

/// One aligned line per incident: id, priority, status, tier, service, assignee, age, title.
fn table(incidents: &[Incident]) -> String {
    let now = Utc::now();
    let width = |f: &dyn Fn(&Incident) -> usize, min: usize| incidents.iter().map(f).max().unwrap_or(0).max(min);
    let id_w = width(&|i| i.id.chars().count(), 2);
    let svc_w = width(&|i| i.service_id.chars().count(), 7);
    let who_w = width(&|i| i.assignee.as_deref().map_or(1, |a| a.chars().count()), 8);
    let mut text = format!(
        "{:<id_w$}  P   {:<12}  T   {:<svc_w$}  {:<who_w$}  {:>6}  TITLE\n",
        "ID", "STATE", "SERVICE", "ASSIGNEE", "AGE"
    );
    for i in incidents {
        let age = crate::console::time::age((now - i.triggered_at).num_seconds().max(0));
        text.push_str(&format!(
            "{:<id_w$}  {}  {:<12}  {}  {:<svc_w$}  {:<who_w$}  {age:>6}  {}\n",
            i.id,
            i.priority.label(),
            i.status.label(),
            i.tier.label(),
            i.service_id,
            i.assignee.as_deref().unwrap_or("-"),
            i.title
        ));
    }
    if incidents.is_empty() {
        text.push_str("(no incidents)\n");
    }
    text
}
