//! What the command-line tools that talk to an Ops API server share (`opsdeck calendar`,
//! `opsdeck postmortem`): the `--backend`, `--token-file` and `--config` arguments, which fall
//! back to what the console uses (the config file's `backend`; `OPSDECK_TOKEN`, then its
//! `token_file` or `token`), a small HTTP client that sends the token (read bounded, from a
//! regular file only), and how output and failures are printed (sanitised: see `cli::output`)
//! and become exit statuses.
//!
//! Exit status: 0 on success; 2 for a mistake in the input (arguments, token file, URL) caught
//! before anything was sent or changed; 1 when the server refuses or fails; 3 for a conflict
//! (409: "already acknowledged by erin", a stale version); 4 when the server cannot be reached.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::de::DeserializeOwned;

use crate::api::{ErrorBody, IDEMPOTENCY_HEADER};
use crate::cli::output;
use crate::files;

#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// The Ops API server, e.g. http://127.0.0.1:8088 (default: `backend` in the config file).
    #[arg(long, value_name = "URL")]
    pub backend: Option<String>,
    /// A file holding the bearer token (default: OPSDECK_TOKEN, then the config file's
    /// `token_file` or `token`).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The console's configuration file, for what is not given here (default:
    /// $XDG_CONFIG_HOME/opsdeck/config.toml).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

impl ServerArgs {
    /// The server's URL and the token, from the arguments first, then as the console finds them.
    fn resolve(&self) -> Result<(String, String), Failure> {
        let token_file = |path: &std::path::Path| -> Result<String, Failure> {
            let shown = path.display();
            let token = files::read_text(path, files::TOKEN_LIMIT)
                .map_err(|e| Failure::Input(format!("--token-file {shown}: {}", e.problem())))?
                .trim()
                .to_string();
            if token.is_empty() {
                return Err(Failure::Input(format!("--token-file {shown} is empty")));
            }
            Ok(token)
        };
        if let (Some(backend), Some(path)) = (&self.backend, &self.token_file) {
            return Ok((backend.clone(), token_file(path)?));
        }
        let (config, path) = console_config(self.config.as_deref()).map_err(Failure::Input)?;
        let backend = self.backend.clone().or_else(|| config.backend.clone()).ok_or_else(|| {
            Failure::Input(format!("no backend: pass --backend URL or set `backend` in {}", path.display()))
        })?;
        let token = match &self.token_file {
            Some(file) => token_file(file)?,
            None => {
                let env = std::env::var("OPSDECK_TOKEN").ok();
                let (token, warnings) = crate::config::resolve_token(None, env, &config).map_err(Failure::Input)?;
                for warning in warnings {
                    eprintln!("opsdeck: {}", output::line(&warning));
                }
                token.map(|t| t.expose().to_string()).ok_or_else(|| {
                    Failure::Input(format!(
                        "no token: pass --token-file FILE, set OPSDECK_TOKEN, or set token_file in {}",
                        path.display()
                    ))
                })?
            }
        };
        Ok((backend, token))
    }
}

/// The console's config file: the one named by `--config` (which must exist), else the default
/// one (which may not: then the defaults), and its path.
pub fn console_config(named: Option<&std::path::Path>) -> Result<(crate::config::Config, PathBuf), String> {
    use crate::config::Config;
    match named {
        Some(path) => Ok((Config::load_required(path).map_err(|e| e.to_string())?, path.to_path_buf())),
        None => {
            let path = crate::paths::Paths::discover()?.config_file();
            Ok((Config::load(&path).map_err(|e| e.to_string())?, path))
        }
    }
}

/// Why a command failed, and with which exit status.
#[derive(Debug)]
pub enum Failure {
    /// The input is wrong: status 2.
    Input(String),
    /// The server refused or failed: status 1.
    Server(String),
    /// The server refused it as a conflict with what it holds (409): status 3.
    Conflict(String),
    /// The server could not be reached: status 4.
    Unreachable(String),
}

impl Failure {
    /// The one line saying what went wrong.
    pub fn message(&self) -> &str {
        match self {
            Failure::Input(m) | Failure::Server(m) | Failure::Conflict(m) | Failure::Unreachable(m) => m,
        }
    }

    /// The exit status it ends a command with.
    pub fn status(&self) -> u8 {
        match self {
            Failure::Input(_) => 2,
            Failure::Server(_) => 1,
            Failure::Conflict(_) => 3,
            Failure::Unreachable(_) => 4,
        }
    }
}

/// What a command prints on success, by kind, so that it is sanitised the way its format allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Markdown or a report: lines and tabs kept.
    Text(String),
    /// An iCalendar stream: CRLF line ends kept.
    Calendar(String),
}

/// Prints the output of `opsdeck {command}` and returns its exit status; a failure goes to
/// stderr as one line prefixed with the command. Both are sanitised here, whatever the command
/// did before: nothing from a server or a file reaches the terminal as an escape sequence.
pub fn finish(command: &str, result: Result<Output, Failure>) -> ExitCode {
    let (out, status) = match result {
        Ok(Output::Text(text)) => (output::text(&text).into_owned(), ExitCode::SUCCESS),
        Ok(Output::Calendar(ics)) => (output::calendar(&ics), ExitCode::SUCCESS),
        Err(failure) => {
            eprintln!("opsdeck {command}: {}", output::line(failure.message()));
            return ExitCode::from(failure.status());
        }
    };
    output::print_all(out.as_bytes());
    status
}

/// Runs a command's future on a runtime of its own.
pub fn block_on<T, F: std::future::Future<Output = Result<T, Failure>>>(future: F) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Server(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(future)
}

/// An Ops API server as the command-line tools use it.
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    /// Finds the URL and the token ([`ServerArgs`]) and checks the URL; a problem with either is
    /// [`Failure::Input`].
    pub fn new(args: &ServerArgs) -> Result<Client, Failure> {
        let (backend, token) = args.resolve()?;
        let base = backend.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Failure::Input(format!("--backend must be an http:// or https:// URL, not `{base}`")));
        }
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::Server(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client { http, base, token })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    /// POSTs `body` as JSON with an `Idempotency-Key`, so running the command again is safe.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        key: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, Failure> {
        let request = self.http.post(format!("{}{path}", self.base)).header(IDEMPOTENCY_HEADER, key).json(body);
        self.send(request).await
    }

    /// PUTs `body` as JSON with an `Idempotency-Key`.
    pub async fn put<T: DeserializeOwned>(
        &self,
        path: &str,
        key: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, Failure> {
        let request = self.http.put(format!("{}{path}", self.base)).header(IDEMPOTENCY_HEADER, key).json(body);
        self.send(request).await
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, Failure> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| Failure::Unreachable(format!("cannot reach {}: {e}", self.base)))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| Failure::Server(format!("reading the answer: {e}")))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| Failure::Server(format!("unexpected answer from {}: {e}", self.base)));
        }
        let message = serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|b| b.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).chars().take(200).collect());
        let message = format!("the server answered {status}: {message}");
        Err(if status == reqwest::StatusCode::CONFLICT { Failure::Conflict(message) } else { Failure::Server(message) })
    }
}
