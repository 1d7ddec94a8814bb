//! The server's and the sources' layering, by a scan of their source: what each may import, no
//! HTTP in a source, and SQL only as literals.
//!
//! - `src/server/` may use `domain`, `api`, `db` and `sla` (and the TOML error wording of
//!   `config`, for the tokens file), never the console nor `sources`;
//! - `src/sources/` may use `domain`, `api`, `sla`, `server::store` (the store's trait) and
//!   `server::sources` (the `Source` trait), `files`, `config::Secret` and `config::ConfigError`, never
//!   the handlers or anything else of the server, nor axum, nor the console.
//!
//! Only a module's own code counts: its tests (`tests.rs`, or what follows `#[cfg(test)]`, the
//! bottom of a file in this repo) may use more, e.g. a real SQLite store in memory.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir` but unit-test files, with its text up to its tests.
fn sources_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
                let mut text = std::fs::read_to_string(&path).unwrap();
                if let Some(tests) = text.find("#[cfg(test)]") {
                    text.truncate(tests);
                }
                files.push((path, text));
            }
        }
    }
    assert!(!files.is_empty(), "no sources under {}", dir.display());
    files
}

/// The code of a file without its comments (line comments and docs), line by line.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.split("//").next().unwrap_or("")))
        .filter(|(_, l)| !l.trim().is_empty())
}

/// Each `crate::…` path the code names, as the text from `crate::` on.
fn crate_paths(line: &str) -> impl Iterator<Item = &str> {
    line.match_indices("crate::").map(move |(at, _)| &line[at + "crate::".len()..])
}

fn src(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir)
}

#[test]
fn the_server_uses_only_domain_api_db_and_sla() {
    let allowed = ["server::", "domain", "api", "db", "sla", "config::describe_toml_error"];
    let mut wrong = Vec::new();
    for (path, text) in sources_under(&src("server")) {
        for (n, line) in code_lines(&text) {
            for used in crate_paths(line) {
                if !allowed.iter().any(|a| used.starts_with(a)) {
                    wrong.push(format!("{}:{n}: {}", path.display(), line.trim()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "server/ imports outside its layer:\n{}", wrong.join("\n"));
}

#[test]
fn a_source_is_a_client_of_the_store_and_speaks_no_http() {
    let allowed = [
        "sources::",
        "domain",
        "api",
        "sla",
        "server::store",
        "server::sources",
        "config::Secret",
        "config::ConfigError",
        "files",
    ];
    let mut wrong = Vec::new();
    for (path, text) in sources_under(&src("sources")) {
        for (n, line) in code_lines(&text) {
            let outside = crate_paths(line).any(|used| !allowed.iter().any(|a| used.starts_with(a)));
            if outside || line.contains("axum") || line.contains("handlers") {
                wrong.push(format!("{}:{n}: {}", path.display(), line.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "sources/ imports outside its layer:\n{}", wrong.join("\n"));
}

#[test]
fn the_store_writes_sql_only_as_literals() {
    let mut wrong = Vec::new();
    for (path, text) in sources_under(&src("server")) {
        for (at, _) in text.match_indices("sqlx::query") {
            let call = &text[at..];
            let args = &call[call.find('(').unwrap() + 1..];
            if !args.trim_start().starts_with('"') {
                let line = text[..at].lines().count();
                wrong.push(format!("{}:{line}", path.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "SQL not written as a literal:\n{}", wrong.join("\n"));
}
