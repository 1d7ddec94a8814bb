//! A real Alertmanager (Debian's `prometheus-alertmanager`, 0.25 on Debian 12) as a plain process
//! on a free loopback port in a temp dir, for the tests and benches of the Alertmanager source:
//! started, polled until ready, stopped and started again on the same port and storage (its
//! silences survive), killed on drop.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary the Debian package installs.
pub const BINARY: &str = "/usr/bin/prometheus-alertmanager";
/// How long a start may take before it is retried on another port or fails.
const READY_WITHIN: Duration = Duration::from_secs(15);

const CONFIG: &str = "route: {receiver: default, group_by: [alertname], group_wait: 1s, group_interval: 1s, repeat_interval: 1h}\nreceivers: [{name: default}]\n";

pub struct Alertmanager {
    child: Option<Child>,
    dir: tempfile::TempDir,
    pub port: u16,
    http: reqwest::Client,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("its address").port()
}

impl Alertmanager {
    /// Starts one; a start that loses the race for its port is retried on another.
    pub async fn start() -> Alertmanager {
        assert!(
            Path::new(BINARY).exists(),
            "{BINARY} is missing: install the Debian package (apt-get install -y --no-install-recommends prometheus-alertmanager)"
        );
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join("am.yml"), CONFIG).expect("writing am.yml");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("a client");
        let mut am = Alertmanager { child: None, dir, port: 0, http };
        for _ in 0..5 {
            am.port = free_port();
            if am.spawn().await {
                return am;
            }
        }
        panic!("Alertmanager did not start on a free port (see {})", am.log().display());
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("am.log")
    }

    /// Runs the process on `self.port`; whether it became ready.
    async fn spawn(&mut self) -> bool {
        let log = std::fs::File::create(self.log()).expect("a log file");
        let child = Command::new(BINARY)
            .arg(format!("--config.file={}", self.dir.path().join("am.yml").display()))
            .arg(format!("--storage.path={}", self.dir.path().join("am").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting Alertmanager");
        self.child = Some(child);
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && child.try_wait().ok().flatten().is_some()
            {
                self.child = None;
                return false;
            }
            if let Ok(r) = self.http.get(format!("{}/-/ready", self.url())).send().await
                && r.status().is_success()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.kill();
        false
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the process (SIGKILL): its port refuses connections until [`Alertmanager::restart`].
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and storage.
    pub async fn restart(&mut self) {
        self.kill();
        for _ in 0..50 {
            if self.spawn().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("Alertmanager did not start again on port {} (see {})", self.port, self.log().display());
    }

    /// `POST /api/v2/alerts`.
    pub async fn post_alerts(&self, alerts: &Value) {
        let r =
            self.http.post(format!("{}/api/v2/alerts", self.url())).json(alerts).send().await.expect("posting alerts");
        assert!(r.status().is_success(), "posting alerts: {}", r.status());
    }

    /// `GET /api/v2/alerts`.
    pub async fn alerts(&self) -> Vec<Value> {
        let r = self.http.get(format!("{}/api/v2/alerts", self.url())).send().await.expect("reading alerts");
        r.json().await.expect("alerts as JSON")
    }

    /// `GET /api/v2/silences`.
    pub async fn silences(&self) -> Vec<Value> {
        let r = self.http.get(format!("{}/api/v2/silences", self.url())).send().await.expect("reading silences");
        r.json().await.expect("silences as JSON")
    }

    /// The active or pending silences.
    pub async fn live_silences(&self) -> Vec<Value> {
        self.silences().await.into_iter().filter(|s| s["status"]["state"] != "expired").collect()
    }

    /// `POST /api/v2/silences`; returns the id.
    pub async fn post_silence(&self, silence: &Value) -> String {
        let r =
            self.http.post(format!("{}/api/v2/silences", self.url())).json(silence).send().await.expect("a silence");
        assert!(r.status().is_success(), "posting a silence: {}", r.status());
        let body: Value = r.json().await.expect("the silence id");
        body["silenceID"].as_str().expect("silenceID").to_string()
    }

    /// `DELETE /api/v2/silence/{id}`.
    pub async fn expire_silence(&self, id: &str) {
        let r = self.http.delete(format!("{}/api/v2/silence/{id}", self.url())).send().await.expect("expiring");
        assert!(r.status().is_success(), "expiring a silence: {}", r.status());
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An alert as Prometheus would post it: `alertname`, `service`, `severity`, a summary and
/// `extra` labels.
pub fn alert(name: &str, service: &str, severity: &str, summary: &str, extra: &[(&str, &str)]) -> Value {
    let mut labels = serde_json::Map::new();
    labels.insert("alertname".into(), name.into());
    labels.insert("service".into(), service.into());
    labels.insert("severity".into(), severity.into());
    for (k, v) in extra {
        labels.insert((*k).into(), (*v).into());
    }
    serde_json::json!({ "labels": labels, "annotations": { "summary": summary } })
}
