//! End to end: the real binary in a PTY with a config of `[[sources]]` and no `backend` runs the
//! same server as `opsdeck serve --config` in-process on loopback, its database in the XDG data
//! dir; a mistake in `[[sources]]` stops it before the terminal is touched, with line and key.

#[path = "support/console.rs"]
mod console;
#[path = "support/pty.rs"]
mod pty;

use std::path::Path;

use console::{BIN, Console, T};
use pty::{ConsoleDirs, Pty};

fn write_config(dirs: &ConsoleDirs, text: &str) -> std::path::PathBuf {
    let dir = dirs.config_home().join("opsdeck");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_configs_sources_run_on_a_server_in_process_with_its_database_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dirs = ConsoleDirs::new(dir.path().join("c")).expect("console dirs");
    write_config(&dirs, "[[sources]]\nkind = \"simulator\"\nname = \"lab\"\nseed = 4\n");
    let mut command = dirs.command(Path::new(BIN), &[]);
    command.env("TERM", "xterm-256color");
    let pty = Pty::spawn(command).expect("spawn the console");
    let mut console = Console { pty, log: dirs.log_file() };
    console.wait_all(&["local", "live", "INC-"]);
    assert!(!console.pty.screen().contains("DEMO"), "not the demo");
    console.keys(b"q");
    let status = console.ok(console.pty.wait_exit(T));
    assert!(status.success(), "{status}");
    let db = dirs.data_home().join("opsdeck").join("local-server.sqlite");
    assert!(db.is_file(), "the local server's database is in the data dir: {}", db.display());
}

#[test]
fn a_mistake_in_the_configs_sources_is_said_with_its_line_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dirs = ConsoleDirs::new(dir.path().join("c")).expect("console dirs");
    let path = write_config(&dirs, "poll_interval = \"2s\"\n\n[[sources]]\nkind = \"nagios\"\nname = \"n\"\n");
    let out = std::process::Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm-256color")
        .env("HOME", dirs.home())
        .env("XDG_CONFIG_HOME", dirs.config_home())
        .env("XDG_DATA_HOME", dirs.data_home())
        .env("XDG_STATE_HOME", dirs.state_home())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let expected = format!("{} line 4 `sources.n.kind`: unknown kind `nagios`; the known kinds are", path.display());
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(out.stdout.is_empty(), "the terminal was not touched");
}
