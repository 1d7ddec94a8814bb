//! `opsdeck completions SHELL` and `opsdeck man`: generated from the clap definitions, so every
//! subcommand is in them; the bash script is valid bash.

use std::process::{Command, Output};

fn opsdeck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opsdeck")).args(args).output().expect("the binary runs")
}

#[test]
fn completion_scripts_name_every_subcommand_and_bash_parses_its_own() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = opsdeck(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        let script = String::from_utf8(out.stdout).expect("UTF-8");
        for name in ["serve", "calendar", "postmortem", "incidents", "reassign", "sla", "completions"] {
            assert!(script.contains(name), "{shell} completes `{name}`");
        }
    }
    let script = opsdeck(&["completions", "bash"]).stdout;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("opsdeck.bash");
    std::fs::write(&path, script).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().expect("bash runs");
    assert!(check.status.success(), "bash -n: {}", String::from_utf8_lossy(&check.stderr));
    let unknown = opsdeck(&["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("possible values: bash"));
}

#[test]
fn the_manual_page_is_roff_with_the_subcommands() {
    let out = opsdeck(&["man"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(page.contains(".TH opsdeck 1"), "{}", &page[..page.len().min(300)]);
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section}");
    }
    assert!(page.contains("incidents") && page.contains("\\-\\-backend"));
}
