//! A small harness for driving the real `opsdeck` binary in a pseudo-terminal, and for running
//! `opsdeck serve` as a plain child process.
//!
//! Shared by the end-to-end tests (`mod support;`) and the startup benchmark
//! (`#[path = "../tests/support/pty.rs"] mod pty;`), so it uses no test-only macros.
//!
//! Nothing here sleeps to wait: the PTY reader thread feeds a `vt100::Parser` and notifies a
//! condition variable on every chunk of output and when the child exits; waits block on that
//! condition variable until their predicate holds or their deadline passes. The server helper
//! waits on its stdout line through a channel with a deadline.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child as StdChild, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use portable_pty::{ChildKiller, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

/// The terminal size every console runs in.
pub const COLS: u16 = 120;
pub const ROWS: u16 = 30;

/// What the reader and waiter threads share with the test.
struct Output {
    parser: vt100::Parser,
    raw: Vec<u8>,
    /// The reader saw end of output (the slave side is closed: the child and everything it
    /// started are gone).
    eof: bool,
    exit: Option<ExitStatus>,
}

struct Shared {
    output: Mutex<Output>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Output> {
        // A panicking reader thread must not make every later wait panic too.
        self.output.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Blocks until `done` holds for the output, or `timeout` passes. Returns the guard and
    /// whether `done` held.
    fn wait_until<'a>(
        &'a self,
        timeout: Duration,
        mut done: impl FnMut(&Output) -> bool,
    ) -> (MutexGuard<'a, Output>, bool) {
        let deadline = Instant::now() + timeout;
        let mut guard = self.lock();
        loop {
            if done(&guard) {
                return (guard, true);
            }
            let now = Instant::now();
            if now >= deadline {
                return (guard, false);
            }
            guard = self.changed.wait_timeout(guard, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}

/// A process running in a pseudo-terminal of `COLS`×`ROWS`.
pub struct Pty {
    shared: Arc<Shared>,
    writer: Option<Box<dyn Write + Send>>,
    // Kept open for the life of the child: dropping the master hangs the terminal up.
    _master: Box<dyn MasterPty + Send>,
    killer: Box<dyn ChildKiller + Send + Sync>,
    pid: u32,
    label: String,
    cols: u16,
}

impl Pty {
    /// Starts `cmd` in a new pseudo-terminal.
    pub fn spawn(cmd: CommandBuilder) -> Result<Pty, String> {
        Pty::spawn_sized(cmd, COLS, ROWS)
    }

    /// Starts `cmd` in a new pseudo-terminal of `cols`×`rows`.
    pub fn spawn_sized(cmd: CommandBuilder, cols: u16, rows: u16) -> Result<Pty, String> {
        let label = format!("{:?}", cmd.get_argv());
        let pair = native_pty_system()
            .openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 })
            .map_err(|e| format!("openpty: {e}"))?;
        let mut child = pair.slave.spawn_command(cmd).map_err(|e| format!("spawning {label}: {e}"))?;
        // Only the child may hold the slave side, so that the reader sees EOF when it is gone.
        drop(pair.slave);
        let pid = child.process_id().ok_or("the child has no pid")?;
        let killer = child.clone_killer();
        let mut reader = pair.master.try_clone_reader().map_err(|e| format!("pty reader: {e}"))?;
        let writer = pair.master.take_writer().map_err(|e| format!("pty writer: {e}"))?;
        let shared = Arc::new(Shared {
            output: Mutex::new(Output {
                parser: vt100::Parser::new(rows, cols, 0),
                raw: Vec::new(),
                eof: false,
                exit: None,
            }),
            changed: Condvar::new(),
        });

        let feed = shared.clone();
        std::thread::Builder::new()
            .name(format!("pty-reader-{pid}"))
            .spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            let mut out = feed.lock();
                            out.raw.extend_from_slice(&buf[..n]);
                            out.parser.process(&buf[..n]);
                            drop(out);
                            feed.changed.notify_all();
                        }
                        Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                        // EIO: the slave side was closed.
                        Err(_) => break,
                    }
                }
                feed.lock().eof = true;
                feed.changed.notify_all();
            })
            .map_err(|e| format!("reader thread: {e}"))?;

        let reaped = shared.clone();
        std::thread::Builder::new()
            .name(format!("pty-waiter-{pid}"))
            .spawn(move || {
                let status = child.wait().unwrap_or_else(|e| ExitStatus::with_signal(&format!("wait failed: {e}")));
                reaped.lock().exit = Some(status);
                reaped.changed.notify_all();
            })
            .map_err(|e| format!("waiter thread: {e}"))?;

        Ok(Pty { shared, writer: Some(writer), _master: pair.master, killer, pid, label, cols })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The screen as text, rows separated by newlines, trailing blanks trimmed.
    pub fn screen(&self) -> String {
        self.shared.lock().parser.screen().contents()
    }

    /// Row `row` of the screen as text.
    pub fn row(&self, row: u16) -> String {
        let out = self.shared.lock();
        out.parser.screen().contents_between(row, 0, row, self.cols)
    }

    /// Whether the terminal is on the alternate screen now.
    pub fn alternate_screen(&self) -> bool {
        self.shared.lock().parser.screen().alternate_screen()
    }

    /// Every byte the child wrote so far.
    pub fn raw_output(&self) -> Vec<u8> {
        self.shared.lock().raw.clone()
    }

    /// Types `bytes` as keys.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let writer = self.writer.as_mut().ok_or("the pty writer is closed")?;
        writer.write_all(bytes).and_then(|()| writer.flush()).map_err(|e| format!("writing keys: {e}"))
    }

    /// Blocks until `predicate(screen text)` holds; returns the screen that satisfied it.
    /// The error carries the screen as it was at the deadline.
    pub fn wait_for(&self, mut predicate: impl FnMut(&str) -> bool, timeout: Duration) -> Result<String, String> {
        self.wait_for_described("the predicate", move |s| predicate(s), timeout)
    }

    /// `wait_for` with a description of what was awaited, for the error message.
    pub fn wait_for_described(
        &self,
        what: &str,
        mut predicate: impl FnMut(&str) -> bool,
        timeout: Duration,
    ) -> Result<String, String> {
        let mut last = String::new();
        let mut matched = false;
        let (guard, _) = self.shared.wait_until(timeout, |out| {
            last = out.parser.screen().contents();
            matched = predicate(&last);
            // Once the child is gone and its output drained, nothing can change any more.
            matched || (out.eof && out.exit.is_some())
        });
        if matched {
            return Ok(last);
        }
        let why = match &guard.exit {
            Some(status) => format!("the process exited ({status})"),
            None => format!("nothing matched within {timeout:?}"),
        };
        drop(guard);
        Err(format!("waiting for {what} on {}: {why}; the screen was:\n{}", self.label, frame(&last)))
    }

    /// Waits for `text` to be on the screen.
    pub fn wait_for_text(&self, text: &str, timeout: Duration) -> Result<String, String> {
        self.wait_for_described(&format!("{text:?}"), |s| s.contains(text), timeout)
    }

    /// Waits for every one of `texts` to be on the screen at once.
    pub fn wait_for_all(&self, texts: &[&str], timeout: Duration) -> Result<String, String> {
        self.wait_for_described(&format!("all of {texts:?}"), |s| texts.iter().all(|t| s.contains(t)), timeout)
    }

    /// Waits for the line containing `anchor` to contain `text` too.
    pub fn wait_for_line(&self, anchor: &str, text: &str, timeout: Duration) -> Result<String, String> {
        self.wait_for_described(
            &format!("a line with {anchor:?} and {text:?}"),
            |s| s.lines().any(|l| l.contains(anchor) && l.contains(text)),
            timeout,
        )
    }

    /// The exit status, if the child has exited.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.shared.lock().exit.clone()
    }

    pub fn has_exited(&self) -> bool {
        self.exit_status().is_some()
    }

    /// Waits for the child to exit and for its output to be drained.
    pub fn wait_exit(&self, timeout: Duration) -> Result<ExitStatus, String> {
        let (guard, ok) = self.shared.wait_until(timeout, |out| out.exit.is_some() && out.eof);
        match (&guard.exit, ok) {
            (Some(status), true) => Ok(status.clone()),
            (Some(status), false) => Err(format!("{} exited ({status}) but its output never ended", self.label)),
            (None, _) => {
                let screen = guard.parser.screen().contents();
                drop(guard);
                Err(format!("{} did not exit within {timeout:?}; the screen was:\n{}", self.label, frame(&screen)))
            }
        }
    }

    /// Sends a signal (`"KILL"`, `"TERM"`, `"HUP"`, …) with `kill(1)`.
    pub fn signal(&self, name: &str) -> Result<(), String> {
        signal(self.pid, name)
    }

    /// SIGKILL: the process gets no chance to clean up.
    pub fn kill9(&self) -> Result<(), String> {
        self.signal("KILL")
    }

    /// portable-pty's own kill: SIGHUP, then SIGKILL if the process lingers.
    pub fn kill(&mut self) -> Result<(), String> {
        self.killer.kill().map_err(|e| format!("killing {}: {e}", self.label))
    }

    /// SIGKILL and wait for the process to be gone.
    pub fn kill9_and_wait(&self, timeout: Duration) -> Result<ExitStatus, String> {
        if !self.has_exited() {
            // The process may exit between the check and the signal; that is fine.
            let _ = self.kill9();
        }
        self.wait_exit(timeout)
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if !self.has_exited() {
            let _ = self.kill9();
            let _ = self.shared.wait_until(Duration::from_secs(5), |out| out.exit.is_some());
        }
        // Dropping the writer afterwards: it types newline + EOF on a live terminal.
        self.writer.take();
    }
}

/// Sends signal `name` to `pid` with `kill(1)` (the tests have no libc of their own).
pub fn signal(pid: u32, name: &str) -> Result<(), String> {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("running kill: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("kill -{name} {pid} failed ({status})")) }
}

/// The screen with a border, so blank lines and trailing spaces are visible in failures.
pub fn frame(screen: &str) -> String {
    let mut out = String::from("┌────\n");
    for line in screen.lines() {
        out.push('│');
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("└────");
    out
}

/// Temporary XDG directories (and HOME) for one console; reuse them to restart it with its cache.
pub struct ConsoleDirs {
    pub root: PathBuf,
}

impl ConsoleDirs {
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<ConsoleDirs> {
        let root = root.into();
        for dir in ["home", "config", "data", "state"] {
            std::fs::create_dir_all(root.join(dir))?;
        }
        Ok(ConsoleDirs { root })
    }

    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }
    pub fn config_home(&self) -> PathBuf {
        self.root.join("config")
    }
    pub fn data_home(&self) -> PathBuf {
        self.root.join("data")
    }
    pub fn state_home(&self) -> PathBuf {
        self.root.join("state")
    }
    /// `$XDG_STATE_HOME/opsdeck/opsdeck.log`.
    pub fn log_file(&self) -> PathBuf {
        self.state_home().join("opsdeck").join("opsdeck.log")
    }
    /// The console's log, or a note that there is none (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_file()).unwrap_or_else(|e| format!("(no log: {e})"))
    }

    /// A command for the console binary `bin` with this environment and nothing inherited.
    pub fn command(&self, bin: &Path, args: &[&str]) -> CommandBuilder {
        self.command_via(&[], bin, args)
    }

    /// [`ConsoleDirs::command`] started through `launcher` (e.g. `ip netns exec NAME`), which
    /// must exec `bin` in its own place so the PTY's child is the console.
    pub fn command_via(&self, launcher: &[&str], bin: &Path, args: &[&str]) -> CommandBuilder {
        let mut cmd = match launcher.split_first() {
            Some((program, rest)) => {
                let mut cmd = CommandBuilder::new(program);
                cmd.args(rest);
                cmd.arg(bin);
                cmd
            }
            None => CommandBuilder::new(bin),
        };
        cmd.args(args);
        cmd.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        cmd.env("HOME", self.home());
        cmd.env("XDG_CONFIG_HOME", self.config_home());
        cmd.env("XDG_DATA_HOME", self.data_home());
        cmd.env("XDG_STATE_HOME", self.state_home());
        cmd.env("TERM", "xterm-256color");
        cmd.env("USER", "erin");
        cmd.cwd(&self.root);
        cmd
    }
}

/// `opsdeck serve` as a plain child process on 127.0.0.1 (or, with a launcher, wherever that
/// puts it).
pub struct Server {
    /// What runs the binary (e.g. `ip netns exec NAME`); empty to run it directly.
    launcher: Vec<String>,
    /// The address it binds, without the port (`127.0.0.1` unless started with `start_via`).
    host: String,
    bin: PathBuf,
    db: PathBuf,
    tokens: PathBuf,
    child: Option<StdChild>,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub port: u16,
}

const LISTENING: &str = "opsdeck serve: listening on ";

impl Server {
    /// Starts a server on a free port.
    pub fn start(bin: &Path, db: &Path, tokens: &Path, timeout: Duration) -> Result<Server, String> {
        Server::start_via(&[], "127.0.0.1", bin, db, tokens, timeout)
    }

    /// Starts a server on a free port of `host`, through `launcher` (e.g. `ip netns exec NAME`,
    /// which execs the binary in its own place).
    pub fn start_via(
        launcher: &[&str],
        host: &str,
        bin: &Path,
        db: &Path,
        tokens: &Path,
        timeout: Duration,
    ) -> Result<Server, String> {
        let mut server = Server {
            launcher: launcher.iter().map(|s| s.to_string()).collect(),
            host: host.to_string(),
            bin: bin.to_path_buf(),
            db: db.to_path_buf(),
            tokens: tokens.to_path_buf(),
            child: None,
            url: String::new(),
            port: 0,
        };
        server.launch(&format!("{host}:0"), timeout)?;
        Ok(server)
    }

    fn launch(&mut self, bind: &str, timeout: Duration) -> Result<(), String> {
        let mut command = match self.launcher.split_first() {
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg(&self.bin);
                command
            }
            None => Command::new(&self.bin),
        };
        let mut child = command
            .arg("serve")
            .arg("--bind")
            .arg(bind)
            .arg("--db")
            .arg(&self.db)
            .arg("--tokens")
            .arg(&self.tokens)
            .env("OPSDECK_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting opsdeck serve: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("serve-stdout".into())
            .spawn(move || {
                let mut sent = false;
                // Keep reading to the end so the server never writes into a closed pipe.
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if !sent && let Some(url) = line.strip_prefix(LISTENING) {
                        sent = tx.send(Ok(url.trim().to_string())).is_ok();
                    }
                }
                if !sent {
                    let _ = tx.send(Err("opsdeck serve ended its output without a listening line".to_string()));
                }
            })
            .map_err(|e| format!("stdout thread: {e}"))?;
        let url = match rx.recv_timeout(timeout) {
            Ok(Ok(url)) => url,
            Ok(Err(err)) => {
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                return Err(format!("{err} ({status}); bind {bind}"));
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("opsdeck serve did not say it was listening within {timeout:?}"));
            }
        };
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
            .ok_or_else(|| format!("no port in {url:?}"))?;
        self.url = url;
        self.port = port;
        self.child = Some(child);
        Ok(())
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(StdChild::id)
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGKILL and reap: the port is free when this returns.
    pub fn kill(&mut self) -> Result<(), String> {
        if let Some(mut child) = self.child.take() {
            child.kill().map_err(|e| format!("killing opsdeck serve: {e}"))?;
            child.wait().map_err(|e| format!("reaping opsdeck serve: {e}"))?;
        }
        Ok(())
    }

    /// SIGTERM and wait (at most `timeout`) for a clean exit.
    pub fn terminate(&mut self, timeout: Duration) -> Result<(), String> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        signal(child.id(), "TERM")?;
        let (tx, rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let status = child.wait();
            let _ = tx.send(());
            (child, status)
        });
        match rx.recv_timeout(timeout) {
            Ok(()) => {
                let (_, status) = waiter.join().map_err(|_| "waiter panicked")?;
                let status = status.map_err(|e| e.to_string())?;
                if status.success() { Ok(()) } else { Err(format!("opsdeck serve exited with {status}")) }
            }
            Err(_) => Err(format!("opsdeck serve did not stop within {timeout:?} of SIGTERM")),
        }
    }

    /// Starts the server again on the same port with the same database.
    pub fn restart(&mut self, timeout: Duration) -> Result<(), String> {
        self.kill()?;
        let bind = format!("{}:{}", self.host, self.port);
        let port = self.port;
        self.launch(&bind, timeout)?;
        if self.port != port {
            return Err(format!("restarted on port {} instead of {port}", self.port));
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// Writes a tokens file with the users erin (responder), vic (viewer) and dana (commander).
pub fn write_tokens(path: &Path) -> std::io::Result<()> {
    std::fs::write(
        path,
        format!(
            "[[users]]\nname = \"erin\"\nrole = \"responder\"\ntoken = \"{ERIN_TOKEN}\"\n\n\
             [[users]]\nname = \"vic\"\nrole = \"viewer\"\ntoken = \"{VIC_TOKEN}\"\n\n\
             [[users]]\nname = \"dana\"\nrole = \"commander\"\ntoken = \"{DANA_TOKEN}\"\n"
        ),
    )
}

pub const ERIN_TOKEN: &str = "erin-token-0123456789";
#[allow(dead_code)]
pub const DANA_TOKEN: &str = "dana-token-0123456789";
pub const VIC_TOKEN: &str = "vic-token-0123456789";
