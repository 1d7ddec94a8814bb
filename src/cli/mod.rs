//! Command line: the console (default), `serve` (in [`serve`]), `openapi` and `sla`. Logging and
//! exit codes live here.

pub mod calendar;
pub mod client;
pub mod drift;
pub mod incidents;
pub mod output;
pub mod postmortem;
pub mod serve;
pub mod sla;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{self, Config};
use crate::console::app::{BackendChoice, ConsoleOptions};
use crate::db::DbLocation;
use crate::paths::Paths;
use crate::server;

#[derive(Debug, Parser)]
#[command(
    name = "opsdeck",
    version,
    about = "A keyboard-first terminal console for incidents of generative-AI services"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Ops API server to use. Without it (and without `backend` in the config) opsdeck runs its
    /// reference server in-process with simulated incidents: the DEMO.
    #[arg(long, value_name = "URL")]
    backend: Option<String>,
    /// Read the token from this file (otherwise OPSDECK_TOKEN, then the config file).
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// Disable every action that changes shared state.
    #[arg(long)]
    read_only: bool,
    /// Configuration file (default: $XDG_CONFIG_HOME/opsdeck/config.toml).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Seed of the demo simulator.
    #[arg(long, value_name = "N", default_value_t = 1)]
    demo_seed: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Ops API server for a team.
    Serve(serve::ServeArgs),
    /// Print the Ops API's OpenAPI document (the one in assets/openapi.json).
    Openapi,
    /// Drift statistics: `opsdeck drift compare` on two files of one value per line.
    Drift {
        #[command(subcommand)]
        command: crate::cli::drift::DriftCommand,
    },
    /// Maintenance windows as iCalendar files: `opsdeck calendar export|import`.
    Calendar {
        #[command(subcommand)]
        command: crate::cli::calendar::CalendarCommand,
    },
    /// Incident postmortems: `opsdeck postmortem export ID` prints one as Markdown.
    Postmortem {
        #[command(subcommand)]
        command: crate::cli::postmortem::PostmortemCommand,
    },
    /// Incidents without the screen: `opsdeck incidents list|show|ack|escalate|resolve|note|reassign`.
    Incidents {
        #[command(subcommand)]
        command: crate::cli::incidents::IncidentsCommand,
    },
    /// Print a shell completion script: `opsdeck completions bash > /etc/bash_completion.d/opsdeck`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `opsdeck man > opsdeck.1 && man ./opsdeck.1`.
    Man,
    /// SLA calendars and targets: `opsdeck sla due` computes when a target runs out.
    Sla {
        #[command(subcommand)]
        command: crate::cli::sla::SlaCommand,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Openapi) => {
            print!("{}", server::openapi::openapi_json());
            Ok(())
        }
        Some(Command::Serve(args)) => serve::run(args),
        Some(Command::Sla { command }) => return crate::cli::sla::run(command),
        Some(Command::Drift { command }) => return crate::cli::drift::run(command),
        Some(Command::Calendar { command }) => return crate::cli::calendar::run(command),
        Some(Command::Postmortem { command }) => return crate::cli::postmortem::run(command),
        Some(Command::Incidents { command }) => return crate::cli::incidents::run(command),
        Some(Command::Completions { shell }) => {
            // Generated from the same clap definitions the arguments are parsed by.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "opsdeck", &mut script);
            output::print_all(&script);
            Ok(())
        }
        Some(Command::Man) => {
            let mut page = Vec::new();
            let rendered = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut page);
            output::print_all(&page);
            rendered.context("writing the manual page")
        }
        None => console(cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Config and policy errors quote the file: printed inert (the terminal refusal keeps
            // its list of commands on their lines).
            eprintln!("opsdeck: {}", output::text(&chain(&err)));
            if err.downcast_ref::<UsageError>().is_some() { ExitCode::from(2) } else { ExitCode::FAILURE }
        }
    }
}

/// An error and its causes in one line, each cause once: one that only repeats what the line
/// already says (an error that quotes its source, and the source itself) is left out.
fn chain(err: &anyhow::Error) -> String {
    let mut line = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line = format!("{line}: {cause}");
        }
    }
    line
}

/// The console keeps every row it lists for as long as it runs, while the loader and the sync
/// task decode pages on other threads. With glibc's default of an arena per thread, the rows end
/// up spread over several arenas among the freed pages, which stay resident: with 100,000
/// incidents and 100,000 tickets cached that was 185 MB of RSS against 151 MB with one arena
/// (`cargo bench --bench memory`). Small allocations still go through each thread's cache, so
/// one arena costs the console nothing it can measure; `opsdeck serve` keeps the default.
fn one_heap_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any thread is started.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// A mistake in how the console was started (its terminal, arguments, config file or token
/// file), found before anything was drawn or sent: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Why the console does not start on this terminal, and what works without one.
fn refusal(err: &crate::console::theme::UnsupportedTerminal) -> String {
    format!(
        "{err}, so the console cannot run here. Use a terminal that sets TERM (xterm-256color, \
         screen, tmux, linux, vt220…), or the commands that need none:
  opsdeck sla due …                 when an SLA target runs out
  opsdeck calendar export|import …  maintenance windows as iCalendar files
  opsdeck postmortem export ID      a postmortem as Markdown
  opsdeck incidents list|ack …      incidents, and acting on them
  opsdeck drift compare A B         drift statistics of two files
  opsdeck serve                     the Ops API server"
    )
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

/// Logs go to a file; the terminal belongs to the UI. `OPSDECK_LOG` sets the filter.
fn log_to_file(dir: &Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    std::fs::create_dir_all(dir).ok()?;
    let appender = tracing_appender::rolling::never(dir, "opsdeck.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("OPSDECK_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init().ok()?;
    Some(guard)
}

fn console(cli: Cli) -> anyhow::Result<()> {
    one_heap_arena();
    // Before anything touches the terminal: a terminal that cannot move the cursor gets a
    // sentence, not escape sequences.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let term = std::env::var("TERM").ok();
    let colorterm = std::env::var("COLORTERM").ok();
    let terminal = crate::console::theme::TermCaps::detect(term.as_deref(), colorterm.as_deref(), no_color)
        .map_err(|e| UsageError(refusal(&e)))?;
    let paths = Paths::discover().map_err(anyhow::Error::msg)?;
    let _log = log_to_file(paths.log_dir());
    let config_path = cli.config.clone().unwrap_or_else(|| paths.config_file());
    // A file named with --config must exist; the default one may not (the defaults apply).
    let loaded = if cli.config.is_some() { Config::load_required(&config_path) } else { Config::load(&config_path) };
    let mut config = loaded.map_err(|e| UsageError(e.to_string()))?;
    let configured_backend = cli.backend.clone().or_else(|| config.backend.clone());
    let backend = match configured_backend {
        // The config's own sources, on a server run in-process (its database kept).
        None if !config.sources.is_empty() => {
            BackendChoice::Local { sources: config.sources.clone(), db: paths.data_dir.join("local-server.sqlite") }
        }
        None => BackendChoice::Demo { seed: cli.demo_seed },
        Some(url) => {
            let url = backend_url(&url).map_err(UsageError)?;
            let (token, warnings) =
                config::resolve_token(cli.token_file.as_deref(), std::env::var("OPSDECK_TOKEN").ok(), &config)
                    .map_err(UsageError)?;
            let mut config_warnings = warnings;
            if token.is_none() {
                config_warnings.push(crate::backend::no_token_hint(&config_path));
            }
            for warning in &config_warnings {
                tracing::warn!("{warning}");
            }
            // Shown in the status bar at start-up.
            config.warnings.extend(config_warnings);
            BackendChoice::Remote { url, token }
        }
    };
    let backend_name = match &backend {
        BackendChoice::Demo { .. } => None,
        BackendChoice::Local { .. } => Some("local"),
        BackendChoice::Remote { url, .. } => Some(url.as_str()),
    };
    let (cache_path, work_path) = (paths.cache_file(backend_name), paths.work_file(backend_name));
    let options = ConsoleOptions {
        read_only: cli.read_only,
        config,
        config_path,
        backend,
        cache: DbLocation::File(cache_path),
        work: DbLocation::File(work_path),
        terminal,
        drafts_dir: paths.data_dir.join("drafts"),
    };
    runtime()?.block_on(crate::console::app::run(options))
}

/// The backend URL as the console uses it (no trailing `/`), or why it cannot work: it must be an
/// `http://` or `https://` URL with a host, and a port that exists (`:99999` does not).
pub fn backend_url(raw: &str) -> Result<String, String> {
    let url = raw.trim().trim_end_matches('/').to_string();
    let shown = crate::domain::text::sanitize(&url).into_owned();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("--backend must be an http:// or https:// URL, not `{shown}`"));
    }
    match reqwest::Url::parse(&url) {
        Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(url),
        Ok(_) => Err(format!("the backend URL `{shown}` names no host")),
        Err(error) => Err(format!("the backend URL `{shown}` cannot work: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::backend_url;

    #[test]
    fn a_backend_url_that_cannot_work_is_refused_at_start() {
        assert_eq!(backend_url(" https://ops.example.com/ ").as_deref(), Ok("https://ops.example.com"));
        assert_eq!(backend_url("http://127.0.0.1:8080").as_deref(), Ok("http://127.0.0.1:8080"));
        let port = backend_url("http://127.0.0.1:99999").unwrap_err();
        assert!(port.contains("127.0.0.1:99999") && port.contains("invalid port"), "{port}");
        assert!(backend_url("ftp://ops.example.com").unwrap_err().contains("http:// or https://"));
        assert!(backend_url("http://").is_err());
        let hostile = backend_url("http://\u{1b}]0;x\u{7}:99999").unwrap_err();
        assert!(!hostile.contains('\u{1b}'), "{hostile:?}");
    }
}
