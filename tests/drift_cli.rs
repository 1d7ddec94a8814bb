//! `opsdeck drift compare` as a process: output shapes, and bad files refused with their line.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_opsdeck");

fn write(dir: &Path, name: &str, values: impl IntoIterator<Item = String>) -> PathBuf {
    let path = dir.join(name);
    let text: Vec<String> = values.into_iter().collect();
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    path
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run opsdeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn numeric_samples_give_ks_psi_js_and_wasserstein() {
    let dir = tempfile::tempdir().unwrap();
    // Query lengths: the current sample is the reference shifted by 5 tokens.
    let reference = write(dir.path(), "ref.txt", (0..200).map(|i| format!("{}", 20 + i % 40)));
    let current = write(dir.path(), "cur.txt", (0..160).map(|i| format!("{}", 25 + i % 40)));
    let (r, c) = (reference.to_str().unwrap(), current.to_str().unwrap());
    let (code, stdout, stderr) = run(&["drift", "compare", "--reference", r, "--current", c, "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let d = v["ks"]["statistic"].as_f64().unwrap();
    assert!((d - 0.125).abs() < 1e-12, "{v}");
    assert!((v["ks"]["pvalue"].as_f64().unwrap() - 0.11458212270452377).abs() < 1e-6, "{v}");
    assert!(v["psi"].as_f64().unwrap() > 0.0);
    assert!(v["js_distance"].as_f64().unwrap() > 0.0);
    assert!((v["wasserstein"].as_f64().unwrap() - 5.0).abs() < 1e-9, "{v}");

    let (code, stdout, _) =
        run(&["drift", "compare", "--reference", r, "--current", c, "--bins", "5", "--binning", "quantile"]);
    assert_eq!(code, 0);
    for name in ["ks", "psi", "js_distance", "wasserstein"] {
        assert!(stdout.contains(name), "{stdout}");
    }
}

#[test]
fn categories_give_chi2_with_an_unseen_category() {
    let dir = tempfile::tempdir().unwrap();
    let intents = ["billing", "refund", "outage"];
    let reference = write(dir.path(), "ref.txt", (0..90).map(|i| intents[i % 3].to_string()));
    let current = write(
        dir.path(),
        "cur.txt",
        (0..100).map(|i| if i % 10 == 0 { "token-limit".to_string() } else { intents[i % 3].to_string() }),
    );
    let (r, c) = (reference.to_str().unwrap(), current.to_str().unwrap());
    let (code, stdout, stderr) =
        run(&["drift", "compare", "--reference", r, "--current", c, "--categorical", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["chi2"]["dof"], 3, "{v}");
    assert!(v["chi2"]["pvalue"].as_f64().unwrap() < 0.05, "a new intent is drift: {v}");
    assert!(v["psi"].as_f64().unwrap() > 0.1, "{v}");
}

#[test]
fn bad_files_exit_2_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.txt", ["1", "2", "3"].map(String::from));
    let bad = write(dir.path(), "bad.txt", ["1", "2", "NaN"].map(String::from));
    let empty = write(dir.path(), "empty.txt", [String::new()]);
    let words = write(dir.path(), "words.txt", ["1", "two"].map(String::from));
    let g = good.to_str().unwrap();
    for (file, expected) in
        [(&bad, "bad.txt line 3"), (&empty, "empty.txt: holds no values"), (&words, "words.txt line 2")]
    {
        let (code, stdout, stderr) = run(&["drift", "compare", "--reference", g, "--current", file.to_str().unwrap()]);
        assert_eq!(code, 2, "{stdout}{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
