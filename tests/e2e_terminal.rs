//! End to end: how the real `opsdeck` binary starts (or refuses to) on different terminals and
//! with a wrong command line, in a pseudo-terminal where a terminal is needed.
//!
//! Every wait is on an event (output arriving on the PTY, a process exiting) with a deadline that
//! only matters when something is broken.

#[path = "support/console.rs"]
mod console;
#[path = "support/pty.rs"]
mod pty;

use std::path::Path;
use std::process::{Command, Stdio};

use console::{BIN, Console, T, World};
use pty::{ConsoleDirs, Pty};

/// The console binary with nothing inherited but PATH, its XDG folders in `root`, and `env`.
fn run(root: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(BIN);
    command.args(args).env_clear().stdin(Stdio::null());
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    for (name, dir) in
        [("HOME", ""), ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")]
    {
        command.env(name, root.join(dir));
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run opsdeck")
}

#[test]
fn a_dumb_or_unknown_terminal_is_refused_before_any_escape_sequence() {
    let dir = tempfile::tempdir().expect("tempdir");
    for env in [&[("TERM", "dumb")][..], &[]] {
        let out = run(dir.path(), &[], env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{env:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{env:?}: nothing on standard output: {:?}", out.stdout);
        assert!(!stderr.contains('\x1b'), "{env:?}: no escape sequences: {stderr:?}");
        let term = if env.is_empty() { "TERM is not set" } else { "TERM=dumb cannot move the cursor" };
        assert!(stderr.starts_with(&format!("opsdeck: {term}")), "{stderr}");
        for headless in
            ["opsdeck sla due", "opsdeck calendar export", "opsdeck postmortem export", "opsdeck drift compare"]
        {
            assert!(stderr.contains(headless), "{env:?} names `{headless}`: {stderr}");
        }
    }
    // The headless commands themselves still work there.
    let out = run(dir.path(), &["openapi"], &[("TERM", "dumb")]);
    assert!(out.status.success() && out.stdout.starts_with(b"{"), "{:?}", out.status);
}

#[test]
fn a_config_file_named_on_the_command_line_must_exist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nonexistent.toml");
    let out = run(dir.path(), &["--config", missing.to_str().unwrap()], &[("TERM", "xterm-256color")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(missing.to_str().unwrap()) && stderr.contains("no such config file"), "{stderr}");
    assert!(out.stdout.is_empty(), "the terminal was not touched");

    // A key no terminal can send is a mistake in the file, named with its line.
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[keys]\nquit = \"ctrl-shift-9\"\n").unwrap();
    let out = run(dir.path(), &["--config", config.to_str().unwrap()], &[("TERM", "xterm-256color")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("line 2 `keys.quit`: `ctrl-shift-9`: terminals cannot send"), "{stderr}");
}

#[test]
fn the_linux_console_gets_sixteen_colours_ascii_and_no_alternate_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dirs = ConsoleDirs::new(dir.path().join("linux")).expect("console dirs");
    let mut command = dirs.command(Path::new(BIN), &[]);
    command.env("TERM", "linux");
    let pty = Pty::spawn(command).expect("spawn the demo");
    let mut console = Console { pty, log: dirs.log_file() };
    console.wait_all(&["DEMO", "* live"]);
    assert!(!console.pty.alternate_screen(), "the Linux console has no alternate screen");
    console.keys(b"4");
    console.wait_all(&["PSI per window", "^ v2.3.0"]);
    console.keys(b"3");
    console.wait_text("SLA   running");
    console.keys(b"q");
    let status = console.ok(console.pty.wait_exit(T));
    assert!(status.success(), "{status}");

    let raw = console.pty.raw_output();
    let text = String::from_utf8_lossy(&raw);
    for extended in ["\x1b[38;5;", "\x1b[48;5;", "\x1b[38;2;", ";38;5;", ";48;5;"] {
        assert!(!text.contains(extended), "a 256-colour code was sent: {extended:?}");
    }
    assert!(text.contains("\x1b[9") || text.contains("\x1b[3"), "colours are sent as the classic codes");
    assert!(!text.contains("\x1b[?1049h") && !text.contains("\x1b[?2026h"), "no alternate screen, no sync updates");
    let symbols: String = text.chars().filter(|c| !c.is_ascii() && !c.is_alphanumeric()).collect();
    assert!(symbols.is_empty(), "glyphs the console cannot show were sent: {symbols:?}");
}

#[test]
fn without_a_token_the_console_says_what_to_set_and_where() {
    let world = World::new();
    let dirs = world.console_dirs("anonymous");
    let pty = Pty::spawn(dirs.command(Path::new(BIN), &["--backend", &world.server.url])).expect("spawn");
    let console = Console { pty, log: dirs.log_file() };
    // The start-up warning, then the failing sync's own message (the same one; the whole path
    // is checked in the contract tests, the footer cuts a long one).
    console.wait_text("no token configured: set OPSDECK_TOKEN, token_file or token in /");
    let screen = console.wait_text("STALE: never synced");
    assert!(!screen.contains("refused the token"), "{screen}");
}
