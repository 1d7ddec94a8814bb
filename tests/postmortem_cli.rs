//! `opsdeck postmortem export`: the real binary against the reference server started in this
//! process on 127.0.0.1:0, with tokens in files in a temporary directory.

#[path = "support/ops.rs"]
mod ops;

use std::path::PathBuf;
use std::process::Output;

use serde_json::json;

use opsdeck::db::DbLocation;
use opsdeck::domain::Postmortem;
use opsdeck::server::RunningServer;

struct Setup {
    server: RunningServer,
    dir: tempfile::TempDir,
    /// vic's: a viewer may read postmortems.
    token: PathBuf,
    postmortem: Postmortem,
}

const BODY: &str = "## Summary\n\nProvider 429s in eu-west-1; retries made it worse.\n\n## Action items\n\n\
    - [x] Page on the 429 ratio @lee due:2026-11-21\n- [ ] Cap retries at 2 @omar due:2026-11-23\n";

/// A server with one incident and its postmortem, written by erin and moved to review.
async fn setup() -> Setup {
    let server = ops::start(DbLocation::Memory).await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.url());
    let new = json!({"title": "Provider 429s", "service_id": "llm-gateway", "priority": "P1"});
    let incident: serde_json::Value =
        http.post(url("/v1/incidents")).bearer_auth(ops::DANA).json(&new).send().await.unwrap().json().await.unwrap();
    let incident_id = incident["id"].as_str().unwrap().to_string();
    let id = opsdeck::domain::postmortem::postmortem_id(&incident_id);
    let save = json!({"version": 0, "incident_id": incident_id, "title": "Retries turned a blip into an outage", "body": BODY});
    let created = http.put(url(&format!("/v1/postmortems/{id}"))).bearer_auth(ops::ERIN).json(&save).send().await;
    assert_eq!(created.unwrap().status(), 201);
    let review = json!({"version": 1, "status": "in_review"});
    let moved = http.post(url(&format!("/v1/postmortems/{id}/status"))).bearer_auth(ops::ERIN).json(&review);
    let postmortem: Postmortem = moved.send().await.unwrap().json().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{}\n", ops::VIC)).unwrap();
    Setup { server, dir, token, postmortem }
}

impl Setup {
    async fn export(&self, id: &str, backend: &str, token: &std::path::Path) -> Output {
        let args = ["postmortem", "export", id, "--backend", backend, "--token-file", &token.display().to_string()];
        ops::run_opsdeck(args.iter().map(|s| s.to_string()).collect()).await
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_the_markdown_by_postmortem_id_and_by_incident_id() {
    let s = setup().await;
    let pm = &s.postmortem;
    let by_id = s.export(&pm.id, &s.server.url(), &s.token).await;
    assert!(by_id.status.success(), "{}", stderr(&by_id));
    let text = String::from_utf8(by_id.stdout).unwrap();
    assert_eq!(text, pm.to_markdown());
    assert!(text.starts_with("# Retries turned a blip into an outage\n\n"), "{text}");
    let status_line =
        format!("_Postmortem {} of {} · in review · version 2 · last changed by erin", pm.id, pm.incident_id);
    assert!(text.contains(&status_line), "{text}");
    assert!(text.ends_with("- [ ] Cap retries at 2 @omar due:2026-11-23\n"), "{text}");
    assert!(by_id.stderr.is_empty());

    let backend = format!("{}/", s.server.url());
    let by_incident = s.export(&pm.incident_id, &backend, &s.token).await;
    assert!(by_incident.status.success(), "{}", stderr(&by_incident));
    assert_eq!(String::from_utf8(by_incident.stdout).unwrap(), text, "the incident's postmortem, the same text");
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_postmortem_or_a_refusing_server_exits_1_with_a_clear_message() {
    let s = setup().await;
    let missing = s.export("PM-9999", &s.server.url(), &s.token).await;
    assert_eq!(missing.status.code(), Some(1), "{}", stderr(&missing));
    assert!(missing.stdout.is_empty());
    assert_eq!(
        stderr(&missing),
        "opsdeck postmortem export: the server answered 404 Not Found: no postmortem `PM-9999`\n"
    );
    let of_incident = s.export("INC-9999", &s.server.url(), &s.token).await;
    assert_eq!(of_incident.status.code(), Some(1));
    assert!(
        stderr(&of_incident).contains("no postmortem `PM-9999` (the postmortem of INC-9999)"),
        "{}",
        stderr(&of_incident)
    );

    let stranger = s.dir.path().join("stranger");
    std::fs::write(&stranger, "not-a-known-token-0123456789").unwrap();
    let refused = s.export(&s.postmortem.id, &s.server.url(), &stranger).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("401 Unauthorized"), "{}", stderr(&refused));

    // A port nothing listens on any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = s.export(&s.postmortem.id, &gone, &s.token).await;
    assert_eq!(unreachable.status.code(), Some(4));
    assert!(stderr(&unreachable).contains(&format!("cannot reach {gone}")), "{}", stderr(&unreachable));
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_exits_2_before_anything_is_sent() {
    let s = setup().await;
    let url = s.server.url();
    let nowhere = s.dir.path().join("no-such-token");
    let out = s.export(&s.postmortem.id, &url, &nowhere).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with(&format!("opsdeck postmortem export: --token-file {}: ", nowhere.display())));

    let empty = s.dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let out = s.export(&s.postmortem.id, &url, &empty).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is empty"), "{}", stderr(&out));

    let out = s.export(&s.postmortem.id, "127.0.0.1:8088", &s.token).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--backend must be an http:// or https:// URL, not `127.0.0.1:8088`"));

    let out = s.export("PM-1/../x", &url, &s.token).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ID must be a postmortem id like PM-1042"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());

    // An id of neither form is refused before any request: the server would answer 404 (exit 1).
    let out = s.export("foo", &url, &s.token).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "opsdeck postmortem export: ID must be a postmortem id like PM-1042 or an incident id like INC-1042, not `foo`\n"
    );
    assert!(out.stdout.is_empty());
    s.server.shutdown().await.unwrap();
}
