//! Replays the kept fuzz corpus (`fuzz/corpus/<target>/`) through the checks the fuzz targets
//! run (`tests/support/fuzz_checks.rs`), on stable Rust: every input the fuzzer kept, and every
//! crash it found once (kept as `regress-*` files), must pass its target's check.

#[path = "support/fuzz_checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs", dir.display());
    files
}

/// Runs every input of `target`'s corpus, naming each one that fails.
fn replay(target: &str) {
    let dir = tempfile::tempdir().unwrap();
    let config_path = checks::config_dir(dir.path());
    let mut failed = Vec::new();
    for file in corpus(target) {
        let data = std::fs::read(&file).unwrap();
        let outcome = std::panic::catch_unwind(|| checks::check(target, &data, &config_path));
        if outcome.is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target}: these inputs fail their check:\n{}", failed.join("\n"));
}

#[test]
fn every_target_has_a_kept_corpus() {
    for target in checks::TARGETS {
        assert!(!corpus(target).is_empty());
    }
}

#[test]
fn changes_feed_corpus() {
    replay("changes_feed");
}

#[test]
fn ics_import_corpus() {
    replay("ics_import");
}

#[test]
fn ics_export_corpus() {
    replay("ics_export");
}

#[test]
fn config_file_corpus() {
    replay("config_file");
}

#[test]
fn sla_policy_corpus() {
    replay("sla_policy");
}

#[test]
fn tokens_file_corpus() {
    replay("tokens_file");
}

#[test]
fn drift_compare_corpus() {
    replay("drift_compare");
}

#[test]
fn key_chord_corpus() {
    replay("key_chord");
}

#[test]
fn sanitize_corpus() {
    replay("sanitize");
    // The property itself, on what the issue reported getting through.
    for hostile in
        ["a\u{2028}b", "x\u{200b}\u{200d}\u{2060}\u{feff}y", "ok\u{e0041}", "\u{1b}[2J\u{1b}[H\u{1b}[31mname"]
    {
        checks::check_sanitize(hostile.as_bytes());
    }
}
