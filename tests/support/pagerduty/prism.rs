//! A real Stoplight Prism (`prism proxy --errors SPEC UPSTREAM`) as a plain process on a free
//! loopback port: found from `OPSDECK_PRISM`, else `/work/prism/node_modules/.bin/prism`, else
//! `prism` on PATH; polled until it listens (bounded); killed on drop. Its log is kept in a temp
//! dir and quoted when it fails to start.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where a by-hand install on the development machine puts it.
const LOCAL_INSTALL: &str = "/work/prism/node_modules/.bin/prism";
/// Prism reads PagerDuty's 2 MB document before it listens: 3–7 s idle, more on a busy machine.
const READY_WITHIN: Duration = Duration::from_secs(120);

pub struct Prism {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
    /// How long it took to listen.
    pub started_in: Duration,
}

/// The Prism binary, or a panic saying how to install it.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("OPSDECK_PRISM") {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "OPSDECK_PRISM={} does not exist: install Prism with `npm install @stoplight/prism-cli` and point OPSDECK_PRISM at node_modules/.bin/prism",
            path.display()
        );
        return path;
    }
    if Path::new(LOCAL_INSTALL).exists() {
        return LOCAL_INSTALL.into();
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("prism")).find(|p| p.is_file()))
        .unwrap_or_default();
    on_path.unwrap_or_else(|| {
        panic!(
            "Prism is missing: the PagerDuty tests run the fake behind Stoplight Prism. Install it with \
             `mkdir -p /work/prism && cd /work/prism && npm install @stoplight/prism-cli` (as .ci/run does) \
             and set OPSDECK_PRISM=/path/to/node_modules/.bin/prism, or put prism on PATH"
        )
    })
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("its address").port()
}

impl Prism {
    /// Starts `prism proxy --errors` for `spec` in front of `upstream`; a start that loses the race
    /// for its port is retried on another.
    pub async fn start(spec: &Path, upstream: &str) -> Prism {
        let binary = binary();
        let mut dir = tempfile::tempdir().expect("a temp dir");
        let log_path = dir.path().join("prism.log");
        for _ in 0..3 {
            let port = free_port();
            let log = std::fs::File::create(&log_path).expect("Prism's log file");
            let began = Instant::now();
            let child = Command::new(&binary)
                .args(["proxy", "--errors"])
                .arg(spec)
                .arg(upstream)
                .args(["-h", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("the log twice"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("starting Prism ({}): {e}", binary.display()));
            let mut prism = Prism { child, dir, port, started_in: Duration::ZERO };
            while began.elapsed() < READY_WITHIN {
                if let Ok(Some(_)) = prism.child.try_wait() {
                    break;
                }
                if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                    prism.started_in = began.elapsed();
                    return prism;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = prism.child.kill();
            let _ = prism.child.wait();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            if began.elapsed() >= READY_WITHIN {
                panic!("Prism did not listen within {READY_WITHIN:?}; its log ends:\n{}", tail(&log));
            }
            eprintln!("Prism exited before listening on {port}, trying another port; its log ends:\n{}", tail(&log));
            dir = prism.take_dir();
        }
        panic!("Prism did not start on a free port three times (see the log above)");
    }

    fn take_dir(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self.dir, tempfile::tempdir().expect("a temp dir"))
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Prism's own log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prism.log")).unwrap_or_default()
    }
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
