//! The layers point one way, checked by reading the source (no compiler involved):
//!
//! - the console's state imports no view: no file under `src/console/state/` and no `mod.rs` or
//!   `update.rs` under `src/console/tabs/` names a `view` module, `quality_view` or `widgets`;
//! - nothing outside the tab registry (`src/console/tabs/mod.rs`) matches on a `TabId` variant
//!   (`TabId::Sla =>`, `| TabId::Drift`, `== TabId::Calendar`, `matches!(…, TabId::…)`);
//! - the server, the domain, the SLA calendars and the sources never import the console.
//!
//! Tests are exempt (a `tests` folder, a `tests.rs`, and a file from its `#[cfg(test)]` on): they
//! may draw a view to check the state behind it. Each failure names the file and the line.

use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return files };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn is_test_file(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "tests") || path.file_name().is_some_and(|n| n == "tests.rs")
}

/// The file's lines that are code, numbered from 1: comments dropped, and nothing from
/// `#[cfg(test)]` on.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("").trim().to_string();
        if code.starts_with("#[cfg(test)]") {
            break;
        }
        if !code.is_empty() {
            lines.push((i + 1, code));
        }
    }
    lines
}

fn shown(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

/// Paths in a line of code: runs of identifiers joined by `::`, with the names in a `use`
/// group continuing its prefix (`use crate::console::{view, widgets}`).
fn path_segments(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut paths = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut word = String::new();
    // Open braces: `Some(prefix)` for a `::{` group, `None` for any other brace.
    let mut braces: Vec<Option<Vec<String>>> = Vec::new();
    let mut end_path = |current: &mut Vec<String>, braces: &[Option<Vec<String>>]| {
        if !current.is_empty() {
            let mut full: Vec<String> = braces.iter().flatten().flatten().cloned().collect();
            full.append(current);
            paths.push(full);
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            i += 1;
            continue;
        }
        if !word.is_empty() {
            current.push(std::mem::take(&mut word));
        }
        if c == ':' && chars.get(i + 1) == Some(&':') {
            if chars.get(i + 2) == Some(&'{') {
                braces.push(Some(std::mem::take(&mut current)));
                i += 3;
            } else {
                i += 2;
            }
            continue;
        }
        end_path(&mut current, &braces);
        match c {
            '{' => braces.push(None),
            '}' => {
                braces.pop();
            }
            _ => {}
        }
        i += 1;
    }
    if !word.is_empty() {
        current.push(word);
    }
    end_path(&mut current, &braces);
    paths
}

/// Whether a path names one of the console's views.
fn names_a_view(path: &[String]) -> bool {
    if path.first().is_some_and(|s| s == "ratatui") || path.len() < 2 {
        return false;
    }
    path.iter().any(|s| s == "view" || s == "quality_view" || s == "widgets")
}

/// Files of the state layer: the root state and the tabs' state and update files.
fn state_layer() -> Vec<PathBuf> {
    let console = root().join("src/console");
    let mut files = rust_files(&console.join("state"));
    files.extend(
        rust_files(&console.join("tabs"))
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| n == "mod.rs" || n == "update.rs")),
    );
    files.into_iter().filter(|p| !is_test_file(p)).collect()
}

#[test]
fn the_state_imports_no_view() {
    let mut found = Vec::new();
    for file in state_layer() {
        for (n, code) in code_lines(&file) {
            // `mod view;` declares the tab's view beside its state; it imports nothing.
            if code.starts_with("pub mod ") || code.starts_with("mod ") || code.starts_with("pub(crate) mod ") {
                continue;
            }
            if path_segments(&code).iter().any(|p| names_a_view(p)) {
                found.push(format!("{}:{n}: {code}", shown(&file)));
            }
        }
    }
    assert!(found.is_empty(), "state modules import views:\n{}", found.join("\n"));
}

/// `TabId::Name` followed by `=>` or `|` or `if`, or preceded by `|`, `==`, `!=`, or inside
/// `matches!`.
fn matches_a_tab(code: &str) -> bool {
    let mut rest = code;
    while let Some(at) = rest.find("TabId::") {
        let before = rest[..at].trim_end();
        let after = &rest[at + "TabId::".len()..];
        let name_len = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').count();
        let name = &after[..name_len];
        let tail = after[name_len..].trim_start();
        let variant = name.chars().next().is_some_and(char::is_uppercase) && name != "ALL";
        let arm = tail.starts_with("=>") || tail.starts_with("| ") || tail.starts_with("if ");
        let compared = before.ends_with("==") || before.ends_with("!=") || before.ends_with('|');
        if variant && (arm || compared || code.contains("matches!(")) {
            return true;
        }
        rest = &after[name_len..];
    }
    false
}

#[test]
fn only_the_registry_matches_on_a_tab() {
    let registry = root().join("src/console/tabs/mod.rs");
    let mut found = Vec::new();
    for file in rust_files(&root().join("src")).into_iter().filter(|p| *p != registry && !is_test_file(p)) {
        for (n, code) in code_lines(&file) {
            if matches_a_tab(&code) {
                found.push(format!("{}:{n}: {code}", shown(&file)));
            }
        }
    }
    assert!(found.is_empty(), "a tab is matched on outside src/console/tabs/mod.rs:\n{}", found.join("\n"));
}

#[test]
fn the_server_domain_sla_and_sources_never_import_the_console() {
    let mut found = Vec::new();
    for dir in ["src/server", "src/sources", "src/domain", "src/sla"] {
        for file in rust_files(&root().join(dir)) {
            for (n, code) in code_lines(&file) {
                let console = path_segments(&code)
                    .iter()
                    .any(|p| p.windows(2).any(|w| (w[0] == "crate" || w[0] == "opsdeck") && w[1] == "console"));
                if console {
                    found.push(format!("{}:{n}: {code}", shown(&file)));
                }
            }
        }
    }
    assert!(found.is_empty(), "lower layers import the console:\n{}", found.join("\n"));
}

/// The scans find what they are meant to find.
#[test]
fn the_scans_catch_what_they_look_for() {
    assert!(path_segments("use crate::console::widgets::clock;").iter().any(|p| names_a_view(p)));
    assert!(path_segments("use crate::console::tabs::{incidents::view, sla};").iter().any(|p| names_a_view(p)));
    assert!(path_segments("let x = super::view::nearest_clock(a, b);").iter().any(|p| names_a_view(p)));
    assert!(!path_segments("use ratatui::widgets::{Block, Paragraph};").iter().any(|p| names_a_view(p)));
    assert!(!path_segments("drift.view = drift.view.next();").iter().any(|p| names_a_view(p)));
    assert!(matches_a_tab("TabId::Sla => 3,"));
    assert!(matches_a_tab("| TabId::Drift"));
    assert!(matches_a_tab("if self.tab == TabId::Calendar {"));
    assert!(matches_a_tab("TabId::Sla | TabId::Drift => None,"));
    assert!(!matches_a_tab("self.follow(TabId::Incidents, &id, rows);"));
    assert!(!matches_a_tab("for tab in TabId::ALL {"));
}
