//! `opsdeck serve`: the Ops API server for a team. Its settings come from the command line and
//! from `--config server.toml` (`bind`, `db`, `tokens` and the `[[sources]]` list, every mistake
//! named with its line and key); a flag given on the command line wins over the file.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;
use toml::Spanned;

use super::{UsageError, runtime};
use crate::api::Role;
use crate::db::DbLocation;
use crate::files;
use crate::paths::Paths;
use crate::server::sources::Source;
use crate::server::store::StoreLocation;
use crate::server::{self, ServeOptions, auth::Users};
use crate::sources::{config as source_config, simulator};

/// Where the server listens when neither the command line nor the config file says.
pub const DEFAULT_BIND: &str = "127.0.0.1:8088";

/// Run the Ops API server for a team.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Server config file: `bind`, `db`, `tokens` and the `[[sources]]` that feed the store
    /// (flags given here win over the file).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8088).
    #[arg(long)]
    bind: Option<SocketAddr>,
    /// SQLite database file (default: $XDG_DATA_HOME/opsdeck/server.sqlite; `:memory:` for none),
    /// or a PostgreSQL database that replicas share (`postgres://user@host:5432/opsdeck`).
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,
    /// Run the simulator (one more source, named `simulator`): GenAI incidents worked by
    /// simulated responders, customer tickets, drifting models.
    #[arg(long)]
    simulate: bool,
    /// Seed of the simulator.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// TOML file of [[users]] with name, role (viewer, responder, commander) and token.
    /// Without it, one commander token is generated and written to the state directory.
    #[arg(long, value_name = "PATH")]
    tokens: Option<PathBuf>,
}

/// The keys of a server config file besides `[[sources]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerFile {
    bind: Option<Spanned<String>>,
    db: Option<Spanned<String>>,
    tokens: Option<Spanned<String>>,
    /// Read by [`source_config::parse`].
    #[serde(default)]
    #[allow(dead_code)]
    sources: Vec<toml::Value>,
}

/// What a server config file sets.
#[derive(Debug, Default)]
pub struct ServerConfig {
    pub bind: Option<SocketAddr>,
    pub db: Option<String>,
    /// Relative to the file's folder.
    pub tokens: Option<PathBuf>,
    pub sources: Vec<source_config::SourceSpec>,
}

impl ServerConfig {
    /// Reads `path` (a regular file of at most [`files::CONFIG_LIMIT`], which must exist).
    pub fn load(path: &Path) -> Result<ServerConfig, String> {
        let text = files::read_text(path, files::CONFIG_LIMIT).map_err(|e| e.describe("the server config file"))?;
        ServerConfig::parse(&text, path)
    }

    /// The settings of `text` (the file `path`), or its first mistake as `path line N `key`: …`.
    pub fn parse(text: &str, path: &Path) -> Result<ServerConfig, String> {
        let shown = path.display();
        let file: ServerFile =
            toml::from_str(text).map_err(|e| format!("{shown}: {}", crate::config::describe_toml_error(text, &e)))?;
        let fail = |span: std::ops::Range<usize>, key: &str, message: String| {
            let line = text.as_bytes()[..span.start.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1;
            format!("{shown} line {line} `{key}`: {message}")
        };
        let bind = match file.bind {
            None => None,
            Some(bind) => Some(bind.get_ref().trim().parse::<SocketAddr>().map_err(|_| {
                let value = crate::domain::text::sanitize(bind.get_ref()).into_owned();
                fail(bind.span(), "bind", format!("`{value}` is not an address and port (e.g. 127.0.0.1:8088)"))
            })?),
        };
        let db = match file.db {
            Some(db) if db.get_ref().trim().is_empty() => {
                return Err(fail(db.span(), "db", "is empty (a file, or `:memory:` for none)".into()));
            }
            Some(db) if db.get_ref() == ":memory:" => Some(":memory:".to_string()),
            Some(db) if crate::server::store::postgres::is_postgres_url(db.get_ref()) => Some(db.get_ref().clone()),
            Some(db) => Some(beside(path, db.get_ref()).display().to_string()),
            None => None,
        };
        let tokens = match file.tokens {
            Some(tokens) if tokens.get_ref().trim().is_empty() => {
                return Err(fail(tokens.span(), "tokens", "is empty (a TOML file of [[users]])".into()));
            }
            Some(tokens) => Some(beside(path, tokens.get_ref())),
            None => None,
        };
        let sources = source_config::parse(text, path).map_err(|e| e.to_string())?;
        Ok(ServerConfig { bind, db, tokens, sources })
    }
}

/// A file named in the config: `~/x` is under `$HOME`, a relative path is beside the config file.
fn beside(config: &Path, value: &str) -> PathBuf {
    let named = crate::config::expand_home(value);
    if named.is_relative() { config.parent().unwrap_or(Path::new(".")).join(named) } else { named }
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OPSDECK_LOG").unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter)
        .try_init();
    let (file, config_path) = match &args.config {
        Some(path) => (ServerConfig::load(path).map_err(UsageError)?, path.clone()),
        None => (ServerConfig::default(), PathBuf::from("server.toml")),
    };
    let mut sources: Vec<Box<dyn Source>> =
        source_config::build_all(&file.sources, &config_path).map_err(|e| UsageError(e.to_string()))?;
    if args.simulate {
        if sources.iter().any(|s| s.name() == "simulator") {
            return Err(UsageError(format!(
                "--simulate adds a source named `simulator`, and {} already has one",
                config_path.display()
            ))
            .into());
        }
        sources.push(simulator::feed(args.seed, simulator::Pace::demo()));
    }
    let bind = match args.bind.or(file.bind) {
        Some(bind) => bind,
        None => DEFAULT_BIND.parse().expect("the default address parses"),
    };
    let paths = Paths::discover().map_err(anyhow::Error::msg);
    let db = match args.db.or(file.db).as_deref() {
        Some(db) => StoreLocation::parse(db),
        None => {
            DbLocation::File(paths.as_ref().map_err(|e| anyhow::anyhow!("{e}"))?.data_dir.join("server.sqlite")).into()
        }
    };
    let users = match args.tokens.or(file.tokens) {
        Some(path) => tokens_file(&path)?,
        None => generated_users(paths.as_ref().map_err(|e| anyhow::anyhow!("{e}"))?)?,
    };
    runtime()?.block_on(async move {
        // Before the listening line: a supervisor may send SIGTERM the moment it reads it.
        let signals = shutdown_signals()?;
        let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
        let names: Vec<String> = sources.iter().map(|s| format!("{} ({})", s.name(), s.kind())).collect();
        let options = ServeOptions { db, users, sources };
        let mut running = server::start(listener, options).await?;
        println!("opsdeck serve: listening on {}", running.url());
        if !names.is_empty() {
            println!("opsdeck serve: sources {}", names.join(", "));
        }
        std::io::stdout().flush().ok();
        tokio::select! {
            result = running.wait() => result.context("the server stopped")?,
            signal = signals.first() => {
                tracing::info!(signal, "shutting down");
                running.shutdown().await?;
            }
        }
        Ok(())
    })
}

/// SIGTERM and SIGINT, registered at once (a signal that arrives before registration kills).
struct ShutdownSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

fn shutdown_signals() -> anyhow::Result<ShutdownSignals> {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    Ok(ShutdownSignals { term, int })
}

impl ShutdownSignals {
    async fn first(mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

/// The users of `serve --tokens FILE`: a regular file of at most [`files::TOKENS_FILE_LIMIT`].
fn tokens_file(path: &Path) -> anyhow::Result<Users> {
    let text =
        files::read_text(path, files::TOKENS_FILE_LIMIT).map_err(|e| UsageError(e.describe("the tokens file")))?;
    Users::parse(&text).map_err(|message| anyhow::Error::new(UsageError(format!("{}: {message}", path.display()))))
}

/// Without a tokens file: one commander token for the current user, kept in a mode-600 file in
/// the state directory (and reused next time). The path is printed, never the token.
fn generated_users(paths: &Paths) -> anyhow::Result<Users> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = paths.state_dir.join("serve-token");
    let token = match files::read_text(&path, files::TOKEN_LIMIT) {
        Ok(token) if token.trim().len() >= server::auth::MIN_TOKEN_LEN => token.trim().to_string(),
        // Something else than a file there (a FIFO would also block the write below): say so.
        Err(error @ files::ReadError::NotRegular { .. }) => anyhow::bail!(error.describe("the token file")),
        _ => {
            std::fs::create_dir_all(&paths.state_dir)?;
            let token = server::auth::random_token();
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            writeln!(file, "{token}")?;
            token
        }
    };
    let user = std::env::var("USER").ok().filter(|u| !u.trim().is_empty()).unwrap_or_else(|| "admin".into());
    let user = crate::domain::text::sanitize(&user).into_owned();
    println!("opsdeck serve: no --tokens file; {user} (commander) uses the token in {}", path.display());
    let mut users = Users::default();
    users.add(&user, Role::Commander, &token);
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in `assets/examples/server.toml` (the README's) reads, and every source in it
    /// builds: a mistake there would be the first thing a new team copies.
    #[test]
    fn the_shipped_example_config_reads_and_builds() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/examples/server.toml"));
        let config = ServerConfig::load(path).unwrap();
        assert_eq!(config.bind, Some("127.0.0.1:8088".parse().unwrap()));
        let sources = source_config::build_all(&config.sources, path).unwrap();
        let names: Vec<(&str, &str)> = sources.iter().map(|s| (s.name(), s.kind())).collect();
        assert_eq!(names, [("prod-am", "alertmanager"), ("prod-prom", "prometheus")]);
    }
}
