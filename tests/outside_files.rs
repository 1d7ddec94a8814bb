//! Files from outside that are not files, or far too large, given to the real binary: each
//! reader refuses `/dev/zero`, a FIFO, a directory and an over-limit (sparse) file with one line
//! naming the file and exit status 2 — promptly, without blocking on a FIFO that has no writer.
//! Every run is bounded: a binary that hangs is killed and the test fails.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_opsdeck");
/// Far longer than a refusal takes; only a hang reaches it.
const DEADLINE: Duration = Duration::from_secs(20);

/// Runs opsdeck with `args`, nothing inherited but PATH, its XDG folders under `root`; kills it
/// and fails if it has not exited by [`DEADLINE`].
fn run(root: &Path, args: &[String]) -> Output {
    let mut command = Command::new(BIN);
    command.args(args).env_clear().stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    for (name, dir) in
        [("HOME", "home"), ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")]
    {
        command.env(name, root.join(dir));
    }
    command.env("TERM", "xterm-256color");
    let child = command.spawn().expect("opsdeck starts");
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(output) => output.expect("opsdeck's output"),
        Err(_) => {
            // SAFETY: `pid` is the child this test started, not yet reaped (its waiter is blocked).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("opsdeck {args:?} did not exit within {DEADLINE:?}");
        }
    }
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

/// `/dev/zero`, a FIFO, a directory and a sparse 3 GB file, each with the words its refusal must
/// hold.
fn bad_files(dir: &Path, name: &str) -> Vec<(PathBuf, &'static str)> {
    let fifo = dir.join(format!("fifo-{name}"));
    mkfifo(&fifo);
    let folder = dir.join(format!("dir-{name}"));
    std::fs::create_dir(&folder).unwrap();
    let huge = dir.join(format!("huge-{name}"));
    std::fs::File::create(&huge).unwrap().set_len(3 * 1024 * 1024 * 1024).unwrap();
    vec![
        (PathBuf::from("/dev/zero"), "not a regular file (a character device)"),
        (fifo, "not a regular file (a FIFO)"),
        (folder, "not a regular file (a directory)"),
        (huge, "3 GB; the limit is"),
    ]
}

/// Exit 2, nothing on stdout, one line on stderr naming `file` and saying `problem`.
fn assert_refused(what: &str, out: &Output, file: &Path, problem: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(out.stdout.is_empty(), "{what}: {:?}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(stderr.lines().count(), 1, "{what}: one line: {stderr}");
    assert!(stderr.contains(&file.display().to_string()) && stderr.contains(problem), "{what}: {stderr}");
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn token_files_of_the_command_line_tools_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (file, problem) in bad_files(dir.path(), "token") {
        let token = file.display().to_string();
        // No server listens: the token file is refused before anything is sent.
        let args = ["postmortem", "export", "PM-1", "--backend", "http://127.0.0.1:9", "--token-file", &token];
        assert_refused("postmortem export --token-file", &run(dir.path(), &strings(&args)), &file, problem);
        let args = ["calendar", "export", "--backend", "http://127.0.0.1:9", "--token-file", &token];
        assert_refused("calendar export --token-file", &run(dir.path(), &strings(&args)), &file, problem);
    }
}

#[test]
fn calendar_import_drift_compare_and_sla_due_refuse_their_input() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "tok-0123456789abcdef\n").unwrap();
    let token = token.display().to_string();
    let sample = dir.path().join("sample.txt");
    std::fs::write(&sample, "1\n2\n3\n").unwrap();
    let sample = sample.display().to_string();
    for (file, problem) in bad_files(dir.path(), "input") {
        let shown = file.display().to_string();
        let args = ["calendar", "import", &shown, "--backend", "http://127.0.0.1:9", "--token-file", &token];
        assert_refused("calendar import", &run(dir.path(), &strings(&args)), &file, problem);
        let args = ["drift", "compare", "--reference", &shown, "--current", &sample];
        assert_refused("drift compare --reference", &run(dir.path(), &strings(&args)), &file, problem);
        let args = ["drift", "compare", "--reference", &sample, "--current", &shown];
        assert_refused("drift compare --current", &run(dir.path(), &strings(&args)), &file, problem);
        let args = [
            "sla",
            "due",
            "--policy",
            &shown,
            "--calendar",
            "24x7",
            "--start",
            "2026-11-05T12:30:00Z",
            "--target",
            "4h",
        ];
        assert_refused("sla due --policy", &run(dir.path(), &strings(&args)), &file, problem);
    }
}

#[test]
fn serve_refuses_a_tokens_file_that_is_not_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for (file, problem) in bad_files(dir.path(), "tokens.toml") {
        let args = ["serve", "--bind", "127.0.0.1:0", "--db", ":memory:", "--tokens", &file.display().to_string()];
        let out = run(dir.path(), &strings(&args));
        // Logging may precede the message; the refusal is the last line.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(last.contains(&file.display().to_string()) && last.contains(problem), "{stderr}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"), "the server did not start");
    }
}

#[test]
fn the_console_refuses_at_start_a_template_policy_config_or_token_file_that_is_not_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for (file, problem) in bad_files(dir.path(), "start") {
        let shown = file.display().to_string();
        for key in ["postmortem_template", "sla_policy", "token_file"] {
            let config = dir.path().join(format!("{key}.toml"));
            let backend = if key == "token_file" { "backend = \"http://127.0.0.1:9\"\n" } else { "" };
            std::fs::write(&config, format!("{backend}{key} = \"{shown}\"\n")).unwrap();
            let out = run(dir.path(), &strings(&["--config", &config.display().to_string()]));
            assert_refused(key, &out, &file, problem);
        }
        let out = run(dir.path(), &strings(&["--backend", "http://127.0.0.1:9", "--token-file", &shown]));
        assert_refused("--token-file", &out, &file, problem);
        let out = run(dir.path(), &strings(&["--config", &shown]));
        let problem =
            problem.strip_suffix("; the limit is").map(|p| format!("too large ({p}")).unwrap_or(problem.into());
        assert_refused("--config", &out, &file, &problem);
    }
}
