//! The `[[sources]]` list of a TOML file (the server's `server.toml`, or the console's own
//! `config.toml` when it runs the server in-process): each entry's `kind` and `name`, checked
//! with the file, line and key of every mistake, and the dispatch on `kind` that makes a
//! [`Source`] from the rest of the entry.
//!
//! A kind is one line of [`KINDS`]: its name and `|name, table| build(name, table, kind::source)`,
//! where `kind::Config` is the serde type of its keys (everything but `kind` and `name`) and
//! `kind::source(name, config)` validates it and reads credentials. The `simulator` kind lives
//! here (optional `seed`, `pace = "demo"`).

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;

use crate::server::sources::Source;
use crate::sources::simulator;

/// Longest source name: it is shown in a list column and stored on every entity.
pub const MAX_NAME_LEN: usize = 40;

/// Makes a source of one kind from its name and its `[[sources]]` table without `kind` and
/// `name`; the error is one line, naming the key when one is at fault.
pub type Build = fn(&str, toml::Table) -> Result<Box<dyn Source>, BuildError>;

/// A kind module's `source(name, config)`.
pub type MakeSource<C> = fn(&str, C) -> Result<Box<dyn Source>, String>;

/// Every kind a `[[sources]]` entry may name, and how it is built.
pub const KINDS: &[(&str, Build)] = &[
    ("simulator", |name, table| build(name, table, simulator_source)),
    ("alertmanager", |name, table| build(name, table, super::alertmanager::source)),
    ("prometheus", |name, table| build(name, table, super::prometheus::source)),
    ("pagerduty", |name, table| build(name, table, super::pagerduty::source)),
];

/// Why a kind could not make its source: the message, and the key it is about when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    pub key: Option<String>,
    pub message: String,
}

/// Reads `table` as the kind's `Config` (serde; a wrong, unknown or missing key is named) and
/// makes the source with `source`.
pub fn build<C: DeserializeOwned>(
    name: &str,
    table: toml::Table,
    source: MakeSource<C>,
) -> Result<Box<dyn Source>, BuildError> {
    let config: C = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| BuildError { key: error_key(&e), message: e.message().trim().to_string() })?;
    source(name, config).map_err(|message| BuildError { key: None, message })
}

/// The key a deserialisation error is about: `unknown field `x``, or the `in `x`` toml adds.
fn error_key(error: &toml::de::Error) -> Option<String> {
    let text = error.to_string();
    let quoted = |s: &str| s.split('`').nth(1).map(str::to_string);
    if let Some(rest) = text.strip_prefix("unknown field ") {
        return quoted(rest);
    }
    text.lines().rev().find_map(|line| line.trim().strip_prefix("in ").and_then(quoted))
}

/// What is wrong with a `[[sources]]` entry, and where: the same error as the console config's
/// (file, line, `sources.<name>.<key>` or `sources[<n>]` before the name is known, message).
pub type SourceConfigError = crate::config::ConfigError;

/// One `[[sources]]` entry, checked (its source was built once), ready to build again.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpec {
    pub kind: String,
    pub name: String,
    /// The line of its `[[sources]]` header.
    pub line: usize,
    table: toml::Table,
    /// Each key of the entry with its line, for messages.
    key_lines: Vec<(String, usize)>,
}

impl SourceSpec {
    /// Makes the source (credentials are read again: a file may have changed since the check).
    pub fn build(&self, path: &Path) -> Result<Box<dyn Source>, SourceConfigError> {
        self.build_with(path, KINDS)
    }

    fn build_with(&self, path: &Path, kinds: &[(&str, Build)]) -> Result<Box<dyn Source>, SourceConfigError> {
        let (_, make) = kinds.iter().find(|(kind, _)| *kind == self.kind).ok_or_else(|| SourceConfigError {
            path: path.to_path_buf(),
            line: Some(self.line),
            key: Some(format!("sources.{}.kind", self.name)),
            message: unknown_kind(&self.kind, kinds),
        })?;
        make(&self.name, self.table.clone()).map_err(|mut e| {
            // A kind's own message may start with the key it is about (`pace: …`).
            if e.key.is_none()
                && let Some((key, rest)) = e.message.split_once(": ")
                && self.table.contains_key(key)
            {
                (e.key, e.message) = (Some(key.to_string()), rest.to_string());
            }
            SourceConfigError {
                path: path.to_path_buf(),
                line: Some(e.key.as_deref().and_then(|k| self.key_line(k)).unwrap_or(self.line)),
                key: Some(match &e.key {
                    Some(key) => format!("sources.{}.{key}", self.name),
                    None => format!("sources.{}", self.name),
                }),
                message: e.message,
            }
        })
    }

    /// The line of `key` in this entry, when it is written there as `key = …`.
    fn key_line(&self, key: &str) -> Option<usize> {
        self.key_lines.iter().find(|(k, _)| k == key).map(|(_, line)| *line)
    }
}

/// The `[[sources]]` of a document; other keys are the caller's.
#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    sources: Vec<Spanned<toml::Table>>,
}

/// The checked `[[sources]]` of `text` (the file `path`): none when it has no such list.
pub fn parse(text: &str, path: &Path) -> Result<Vec<SourceSpec>, SourceConfigError> {
    parse_with(text, path, KINDS)
}

/// [`parse`] with another list of kinds (tests add their own).
pub fn parse_with(text: &str, path: &Path, kinds: &[(&str, Build)]) -> Result<Vec<SourceSpec>, SourceConfigError> {
    let fail = |line: Option<usize>, key: String, message: String| SourceConfigError {
        path: path.to_path_buf(),
        line,
        key: Some(key),
        message,
    };
    let document: Document = toml::from_str(text).map_err(|e| SourceConfigError {
        path: path.to_path_buf(),
        line: e.span().map(|s| line_of(text, s.start)),
        key: Some("sources".into()),
        message: e.message().trim().to_string(),
    })?;
    let starts: Vec<usize> = document.sources.iter().map(|t| t.span().start).collect();
    let mut specs: Vec<SourceSpec> = Vec::new();
    for (index, spanned) in document.sources.into_iter().enumerate() {
        let start = spanned.span().start;
        let end = starts.get(index + 1).copied().unwrap_or(text.len());
        let line = line_of(text, start);
        let region = &text[start..end];
        let key_lines = key_lines(region, line);
        let at = |key: &str| key_lines.iter().find(|(k, _)| k == key).map(|(_, l)| *l).or(Some(line));
        let mut table = spanned.into_inner();
        let entry = format!("sources[{}]", index + 1);
        let text_of = |table: &mut toml::Table, key: &str| -> Result<String, SourceConfigError> {
            match table.remove(key) {
                Some(toml::Value::String(s)) => Ok(s),
                Some(other) => {
                    Err(fail(at(key), format!("{entry}.{key}"), format!("must be a string, not {}", other.type_str())))
                }
                None => Err(fail(Some(line), format!("{entry}.{key}"), format!("every source needs a `{key}`"))),
            }
        };
        let kind = text_of(&mut table, "kind")?;
        let name = text_of(&mut table, "name")?;
        if let Some(problem) = name_problem(&name) {
            return Err(fail(at("name"), format!("{entry}.name"), problem));
        }
        if let Some(first) = specs.iter().find(|s| s.name == name) {
            return Err(fail(
                at("name"),
                format!("{entry}.name"),
                format!("`{name}` is already the name of the source on line {}; names must be unique", first.line),
            ));
        }
        if !kinds.iter().any(|(k, _)| *k == kind) {
            return Err(fail(at("kind"), format!("sources.{name}.kind"), unknown_kind(&kind, kinds)));
        }
        let spec = SourceSpec { kind, name, line, table, key_lines };
        spec.build_with(path, kinds)?;
        specs.push(spec);
    }
    Ok(specs)
}

/// Builds every checked source of `specs`.
pub fn build_all(specs: &[SourceSpec], path: &Path) -> Result<Vec<Box<dyn Source>>, SourceConfigError> {
    specs.iter().map(|spec| spec.build(path)).collect()
}

fn unknown_kind(kind: &str, kinds: &[(&str, Build)]) -> String {
    let known: Vec<&str> = kinds.iter().map(|(k, _)| *k).collect();
    let shown: String = crate::domain::text::sanitize(kind).chars().take(40).collect();
    format!("unknown kind `{shown}`; the known kinds are {}", known.join(", "))
}

/// Why `name` cannot name a source, if it cannot.
fn name_problem(name: &str) -> Option<String> {
    let shown: String = crate::domain::text::sanitize(name).chars().take(MAX_NAME_LEN + 5).collect();
    if name.is_empty() {
        Some("the name is empty".into())
    } else if name.len() > MAX_NAME_LEN {
        Some(format!("`{shown}…` is longer than {MAX_NAME_LEN} characters"))
    } else if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        Some(format!("`{shown}` may hold only lowercase letters, digits and `-` (e.g. prod-alertmanager)"))
    } else {
        None
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// The keys written as `key = …` at the start of a line of `region`, with their line (the
/// region's first line is `first`).
fn key_lines(region: &str, first: usize) -> Vec<(String, usize)> {
    region
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let (key, _) = line.split_once('=')?;
            let key = key.trim().trim_matches('"').trim_matches('\'');
            (!key.is_empty() && !key.starts_with('#') && !key.starts_with('[')).then(|| (key.to_string(), first + i))
        })
        .collect()
}

/// `kind = "simulator"`: the demo simulator under a configured name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorConfig {
    /// Seed of the simulated world (default 1).
    pub seed: Option<u64>,
    /// How fast it moves: `demo` (the only pace today, and the default).
    pub pace: Option<String>,
}

fn simulator_source(name: &str, config: SimulatorConfig) -> Result<Box<dyn Source>, String> {
    let pace = match config.pace.as_deref() {
        None | Some("demo") => simulator::Pace::demo(),
        Some(other) => {
            let shown: String = crate::domain::text::sanitize(other).chars().take(40).collect();
            return Err(format!("pace: `{shown}` is not a pace; the only one is `demo`"));
        }
    };
    Ok(simulator::named(name, config.seed.unwrap_or(1), pace))
}

#[cfg(test)]
mod tests;

/// A duration key of a `[[sources]]` table (`deserialize_with`), shared by every kind: a string
/// (`"90s"`, `"1h"`, `"7d"`) or whole seconds (`60`). As a string (`"90s"`, `"1h"`) or whole seconds (`60`).
pub fn duration<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<std::time::Duration>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = Option<std::time::Duration>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a duration such as \"60s\" or \"1h\", or whole seconds")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(std::time::Duration::from_secs(v)))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u64::try_from(v)
                .map(|v| Some(std::time::Duration::from_secs(v)))
                .map_err(|_| E::custom("a duration cannot be negative"))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            crate::domain::duration::parse_duration(v).map(Some).map_err(E::custom)
        }
    }
    deserializer.deserialize_any(Visitor)
}
