//! A real Prometheus for tests: history written as OpenMetrics, turned into TSDB blocks with
//! `promtool tsdb create-blocks-from openmetrics`, and `prometheus` started on that directory on a
//! free loopback port (no scrape jobs), ready when `/-/ready` answers; killed on drop.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Prometheus {
    child: Child,
    pub url: String,
    dir: tempfile::TempDir,
}

fn binary(name: &str) -> String {
    let path = format!("/usr/bin/{name}");
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: install the Debian package `prometheus` (apt-get install prometheus)"
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Prometheus {
    /// Prometheus serving the history in `openmetrics` (a complete exposition ending in `# EOF`).
    pub async fn start(openmetrics: &str) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let om = dir.path().join("history.om");
        std::fs::write(&om, openmetrics).unwrap();
        let out = Command::new(binary("promtool"))
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&om)
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success(), "promtool failed: {}", String::from_utf8_lossy(&out.stderr));
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, "global:\n  scrape_interval: 1h\nscrape_configs: []\n").unwrap();
        let http = reqwest::Client::new();
        for _attempt in 0..5 {
            let port = free_port();
            let url = format!("http://127.0.0.1:{port}");
            let mut child = Command::new(binary("prometheus"))
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", data.display()))
                .arg("--storage.tsdb.retention.time=100y")
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg(format!("--web.external-url={url}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    break; // lost the port to someone else: try another
                }
                let ready = http.get(format!("{url}/-/ready")).send().await;
                if ready.is_ok_and(|r| r.status().is_success()) {
                    return Prometheus { child, url, dir };
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("prometheus did not become ready on a loopback port");
    }

    /// Stops the server (it is unreachable afterwards).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the server itself: `query_range` over `start..=end` with `step` (unix seconds), the
    /// first series's `(time, value)` pairs as Prometheus wrote them.
    pub async fn range(&self, query: &str, start: i64, end: i64, step: i64) -> serde_json::Value {
        let answer = reqwest::Client::new()
            .get(format!("{}/api/v1/query_range", self.url))
            .query(&[
                ("query", query),
                ("start", &start.to_string()),
                ("end", &end.to_string()),
                ("step", &step.to_string()),
            ])
            .send()
            .await
            .unwrap();
        answer.json().await.unwrap()
    }

    /// `/api/v1/query` at `at`.
    pub async fn instant(&self, query: &str, at: i64) -> serde_json::Value {
        let answer = reqwest::Client::new()
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", query), ("time", &at.to_string())])
            .send()
            .await
            .unwrap();
        answer.json().await.unwrap()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
        let _ = &self.dir;
    }
}
