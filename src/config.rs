//! `config.toml`: loading, validation with the line and key of every mistake, token handling, and
//! the watcher that reloads it while the console runs. Its `[[sources]]` are read by
//! [`crate::sources::config`], as the server's config file's are (a change needs a restart).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use ratatui::style::Color;
use serde::Deserialize;
use toml::Spanned;

use crate::console::action::Action;
use crate::console::keymap::KeyChord;
use crate::console::theme::GlyphChoice;
use crate::domain::duration::parse_duration;
use crate::domain::monitoring::DriftBands;
use crate::files;
use crate::sla::SlaPolicy;

/// The SLA policy in `assets/sla-policy.toml`, parsed once.
static DEFAULT_SLA: LazyLock<Arc<SlaPolicy>> = LazyLock::new(|| Arc::new(SlaPolicy::default_policy()));

/// Default time between polls of the change feed.
pub const DEFAULT_POLL: Duration = Duration::from_secs(2);
/// Polling faster than this only loads the server.
pub const MIN_POLL: Duration = Duration::from_millis(250);
/// How late an answer may be, on top of the poll interval, before the badge stops saying live:
/// a round trip under load, and the jitter of a busy server, with room to spare.
pub const LIVE_SLACK: Duration = Duration::from_secs(3);

/// How long after its last answer the backend still counts as live, and how long one sync
/// request may take: the poll interval plus [`LIVE_SLACK`] (5 s with the default 2 s poll).
pub fn live_window(poll_interval: Duration) -> Duration {
    poll_interval + LIVE_SLACK
}

/// A token: never printed, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(token: impl Into<String>) -> Self {
        Secret(token.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The colour slots a user can set under `[colors]`.
pub const COLOR_SLOTS: &[&str] = &["p1", "p2", "p3", "p4", "accent", "stale", "pending", "ok", "muted"];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Base URL of an Ops API server; `None` runs the bundled demo server.
    pub backend: Option<String>,
    pub token: Option<Secret>,
    pub token_file: Option<PathBuf>,
    pub poll_interval: Duration,
    /// `stream = false`: poll alone, without the server's change stream (for a proxy that holds
    /// Server-Sent Events back until they end). Read at start.
    pub stream: bool,
    pub bell_on_new_p1: bool,
    /// Display time zone; `None` uses the system's local time.
    pub timezone: Option<chrono_tz::Tz>,
    pub read_only: bool,
    pub keys: BTreeMap<Action, Vec<KeyChord>>,
    pub colors: BTreeMap<String, Color>,
    /// `glyphs = "auto" | "ascii" | "unicode"`: symbols, or ASCII stand-ins for them.
    pub glyphs: GlyphChoice,
    /// `sla_policy = "path"`: the SLA policy file, when not the built-in one.
    pub sla_policy_file: Option<PathBuf>,
    /// The SLA policy in force (read from `sla_policy_file` when set).
    pub sla: Arc<SlaPolicy>,
    /// `[drift]`: thresholds of the drift bands.
    pub drift_bands: DriftBands,
    /// `postmortem_template = "path"`: a team's own postmortem template (its text), instead of
    /// the built-in `assets/postmortem-template.md`.
    pub postmortem_template: Option<Arc<str>>,
    /// `[[sources]]`: what the in-process server ingests when there is no `backend`.
    pub sources: Vec<crate::sources::config::SourceSpec>,
    /// Things that are allowed but worth saying (a token file others can read).
    pub warnings: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            backend: None,
            token: None,
            token_file: None,
            poll_interval: DEFAULT_POLL,
            stream: true,
            bell_on_new_p1: true,
            timezone: None,
            read_only: false,
            keys: BTreeMap::new(),
            colors: BTreeMap::new(),
            glyphs: GlyphChoice::Auto,
            sla_policy_file: None,
            sla: DEFAULT_SLA.clone(),
            drift_bands: DriftBands::default(),
            postmortem_template: None,
            sources: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// What is wrong with a config file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, " `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    backend: Option<Spanned<String>>,
    token: Option<Spanned<String>>,
    token_file: Option<Spanned<String>>,
    poll_interval: Option<Spanned<String>>,
    stream: Option<bool>,
    bell_on_new_p1: Option<bool>,
    timezone: Option<Spanned<String>>,
    read_only: Option<bool>,
    glyphs: Option<Spanned<String>>,
    sla_policy: Option<Spanned<String>>,
    postmortem_template: Option<Spanned<String>>,
    #[serde(default)]
    keys: BTreeMap<Spanned<String>, Spanned<KeySpec>>,
    #[serde(default)]
    colors: BTreeMap<Spanned<String>, Spanned<String>>,
    drift: Option<Spanned<DriftFile>>,
    /// Read by [`crate::sources::config::parse`].
    #[serde(default)]
    #[allow(dead_code)]
    sources: Vec<toml::Value>,
}

/// `[drift]`: any threshold left out keeps its default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DriftFile {
    psi_moderate: Option<f64>,
    psi_significant: Option<f64>,
    pvalue_possible: Option<f64>,
    pvalue_drift: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum KeySpec {
    One(String),
    Many(Vec<String>),
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// A TOML syntax or type error as one line: `line 4, column 9: invalid type …`.
pub fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    match err.span() {
        Some(span) => {
            let line = line_of(text, span.start);
            let line_start = text[..span.start.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
            let column = text[line_start..span.start.min(text.len())].chars().count() + 1;
            format!("line {line}, column {column}: {}", err.message().trim())
        }
        None => err.message().trim().to_string(),
    }
}

impl Config {
    /// Reads `path` (a regular file of at most [`files::CONFIG_LIMIT`]); a missing file is the
    /// default configuration.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match files::read_text(path, files::CONFIG_LIMIT) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.is_not_found() => Ok(Config::default()),
            Err(e) => Err(ConfigError { path: path.to_path_buf(), line: None, key: None, message: e.problem() }),
        }
    }

    /// Reads `path`, which must exist: a file named on the command line that is not there is a
    /// mistake, not a reason to start with the defaults. Anything but a regular file (a
    /// directory, a FIFO) is refused by the read, as for the default path.
    pub fn load_required(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ConfigError {
                path: path.to_path_buf(),
                line: None,
                key: None,
                message: "no such config file (leave out --config to use the default one, or none)".into(),
            }),
            _ => Config::load(path),
        }
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let fail = |span: Option<std::ops::Range<usize>>, key: &str, message: String| ConfigError {
            path: path.to_path_buf(),
            line: span.map(|s| line_of(text, s.start)),
            key: Some(key.to_string()),
            message,
        };
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: e.span().map(|s| line_of(text, s.start)),
            key: None,
            message: e.message().trim().to_string(),
        })?;
        let mut config = Config::default();
        config.sources = crate::sources::config::parse(text, path).map_err(|e| ConfigError {
            path: e.path,
            line: e.line,
            key: e.key,
            message: e.message,
        })?;

        if let Some(backend) = file.backend {
            let url = backend.get_ref().trim().trim_end_matches('/').to_string();
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() <= "https://".len() {
                return Err(fail(
                    Some(backend.span()),
                    "backend",
                    format!("`{url}` is not an http:// or https:// URL"),
                ));
            }
            config.backend = Some(url);
        }
        if let Some(token) = file.token {
            if token.get_ref().trim().is_empty() {
                return Err(fail(Some(token.span()), "token", "the token is empty".into()));
            }
            config.token = Some(Secret::new(token.get_ref().trim()));
            if let Some(warning) = readable_by_others(path) {
                config.warnings.push(format!("{} holds a token and {warning}", path.display()));
            }
        }
        if let Some(file_path) = file.token_file {
            config.token_file = Some(expand_home(file_path.get_ref()));
        }
        if let Some(poll) = file.poll_interval {
            let interval =
                parse_duration(poll.get_ref()).map_err(|e| fail(Some(poll.span()), "poll_interval", e.to_string()))?;
            if interval < MIN_POLL {
                return Err(fail(
                    Some(poll.span()),
                    "poll_interval",
                    format!("must be at least {}ms", MIN_POLL.as_millis()),
                ));
            }
            config.poll_interval = interval;
        }
        if let Some(bell) = file.bell_on_new_p1 {
            config.bell_on_new_p1 = bell;
        }
        if let Some(tz) = file.timezone {
            let zone = chrono_tz::Tz::from_str(tz.get_ref().trim()).map_err(|_| {
                fail(
                    Some(tz.span()),
                    "timezone",
                    format!("`{}` is not an IANA time zone (e.g. Europe/Berlin)", tz.get_ref()),
                )
            })?;
            config.timezone = Some(zone);
        }
        if let Some(read_only) = file.read_only {
            config.read_only = read_only;
        }
        if let Some(stream) = file.stream {
            config.stream = stream;
        }
        if let Some(glyphs) = file.glyphs {
            config.glyphs = glyphs.get_ref().parse().map_err(|e| fail(Some(glyphs.span()), "glyphs", e))?;
        }
        for (name, spec) in file.keys {
            let key = format!("keys.{}", name.get_ref());
            let action = Action::from_str(name.get_ref()).map_err(|_| {
                fail(
                    Some(name.span()),
                    &key,
                    format!("`{}` is not an action; see the help screen (?) for names", name.get_ref()),
                )
            })?;
            let specs = match spec.get_ref() {
                KeySpec::One(k) => vec![k.clone()],
                KeySpec::Many(ks) => ks.clone(),
            };
            let chords = specs
                .iter()
                .map(|s| s.parse::<KeyChord>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| fail(Some(spec.span()), &key, e.to_string()))?;
            let ctrl_c = KeyChord::new(crossterm::event::KeyCode::Char('c'), crossterm::event::KeyModifiers::CONTROL);
            if !action.may_take_ctrl_c() && chords.contains(&ctrl_c) {
                return Err(fail(
                    Some(spec.span()),
                    &key,
                    "Ctrl-c is kept for quitting (and for cancelling prompts); pick another key".into(),
                ));
            }
            config.keys.insert(action, chords);
        }
        for (slot, value) in file.colors {
            let key = format!("colors.{}", slot.get_ref());
            if !COLOR_SLOTS.contains(&slot.get_ref().as_str()) {
                return Err(fail(
                    Some(slot.span()),
                    &key,
                    format!("unknown colour; use one of {}", COLOR_SLOTS.join(", ")),
                ));
            }
            let color = Color::from_str(value.get_ref()).map_err(|_| {
                fail(
                    Some(value.span()),
                    &key,
                    format!("`{}` is not a colour (a name like red, or #rrggbb)", value.get_ref()),
                )
            })?;
            config.colors.insert(slot.get_ref().clone(), color);
        }
        if let Some(drift) = file.drift {
            let d = DriftBands::default();
            let f = drift.get_ref();
            let bands = DriftBands {
                psi_moderate: f.psi_moderate.unwrap_or(d.psi_moderate),
                psi_significant: f.psi_significant.unwrap_or(d.psi_significant),
                pvalue_possible: f.pvalue_possible.unwrap_or(d.pvalue_possible),
                pvalue_drift: f.pvalue_drift.unwrap_or(d.pvalue_drift),
            };
            if let Some(problem) = bands.problem() {
                return Err(fail(Some(drift.span()), "drift", problem));
            }
            config.drift_bands = bands;
        }
        if let Some(template) = file.postmortem_template {
            let template_path = beside(path, template.get_ref());
            let fail = |message: String| fail(Some(template.span()), "postmortem_template", message);
            let text = files::read_text(&template_path, files::TEMPLATE_LIMIT).map_err(|e| fail(e.describe("")))?;
            if text.trim().is_empty() {
                return Err(fail(format!("{} is empty", template_path.display())));
            }
            config.postmortem_template = Some(Arc::from(text));
        }
        if let Some(policy) = file.sla_policy {
            let policy_path = beside(path, policy.get_ref());
            let text = files::read_text(&policy_path, files::POLICY_LIMIT)
                .map_err(|e| fail(Some(policy.span()), "sla_policy", e.describe("")))?;
            // The policy's own errors name its file, line and key.
            let parsed = SlaPolicy::parse(&text).map_err(|e| ConfigError {
                path: policy_path.clone(),
                line: e.line,
                key: e.key.clone(),
                message: e.message.clone(),
            })?;
            config.sla = Arc::new(parsed);
            config.sla_policy_file = Some(policy_path);
        }
        Ok(config)
    }
}

/// A file named in the config: `~/x` is under `$HOME`, a relative path is beside the config file.
fn beside(config: &Path, value: &str) -> PathBuf {
    let named = expand_home(value);
    if named.is_relative() { config.parent().unwrap_or(Path::new(".")).join(named) } else { named }
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// `Some("is readable by others (mode 644)…")` when group or others may read the file.
pub fn readable_by_others(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| format!("is readable by others (mode {mode:o}); run `chmod 600 {}`", path.display()))
}

/// Where the token comes from, in order: `--token-file`, `OPSDECK_TOKEN`, the config's
/// `token_file`, the config's `token`.
pub fn resolve_token(
    cli_token_file: Option<&Path>,
    env_token: Option<String>,
    config: &Config,
) -> Result<(Option<Secret>, Vec<String>), String> {
    let mut warnings = Vec::new();
    let from_file = |path: &Path, warnings: &mut Vec<String>| -> Result<Secret, String> {
        let text = files::read_text(path, files::TOKEN_LIMIT).map_err(|e| e.describe("the token file"))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(format!("the token file {} is empty", path.display()));
        }
        if let Some(warning) = readable_by_others(path) {
            warnings.push(format!("token file {} {warning}", path.display()));
        }
        Ok(Secret::new(token))
    };
    if let Some(path) = cli_token_file {
        return Ok((Some(from_file(path, &mut warnings)?), warnings));
    }
    if let Some(token) = env_token.filter(|t| !t.trim().is_empty()) {
        return Ok((Some(Secret::new(token.trim())), warnings));
    }
    if let Some(path) = &config.token_file {
        return Ok((Some(from_file(path, &mut warnings)?), warnings));
    }
    Ok((config.token.clone(), warnings))
}

/// Watches the config file (through its directory, since editors replace files by renaming)
/// and calls `on_change` with the re-read configuration after every change.
pub fn watch(
    path: PathBuf,
    mut on_change: impl FnMut(Result<Config, ConfigError>) + Send + 'static,
) -> notify::Result<notify::RecommendedWatcher> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    let name = path.file_name().map(|n| n.to_os_string());
    let mut last: Option<Result<Config, ConfigError>> = None;
    crate::console::watch::watch_dir(&dir, move |changed| {
        if changed.file_name().map(|n| n.to_os_string()) != name {
            return;
        }
        let loaded = Config::load(&path);
        // Editors fire several events per save; report each distinct result once.
        if last.as_ref() != Some(&loaded) {
            last = Some(loaded.clone());
            on_change(loaded);
        }
    })
}

#[cfg(test)]
mod tests;
