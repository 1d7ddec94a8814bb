//! `opsdeck incidents …`: the real binary against the reference server started in this process
//! on 127.0.0.1:0, as dana (commander), erin (responder) and vic (viewer); text and `--json`,
//! and every exit status.

#[path = "support/ops.rs"]
mod ops;

use std::path::Path;
use std::process::Output;

use serde_json::json;

use ops::{DANA, call, commander};
use opsdeck::domain::{EventKind, Incident, IncidentStatus};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `opsdeck incidents ARGS --backend URL --token-file TOKEN`.
async fn incidents(url: &str, token: &Path, args: &[&str]) -> Output {
    let mut all: Vec<String> = vec!["incidents".into()];
    all.extend(args.iter().map(|a| a.to_string()));
    all.extend(["--backend".into(), url.to_string(), "--token-file".into(), token.display().to_string()]);
    ops::run_opsdeck(all).await
}

async fn open(server: &opsdeck::server::RunningServer, title: &str, priority: &str) -> String {
    let body = json!({"title": title, "service_id": "llm-gateway", "priority": priority});
    let answer = call(server, "POST", DANA, "/v1/incidents", Some(body), None).await;
    answer.json::<Incident>(201).id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_show_and_act_on_incidents_with_the_documented_exit_statuses() {
    let s = commander().await;
    let url = s.server.url();
    let p1 = open(&s.server, "Provider outage 429", "P1").await;
    let p3 = open(&s.server, "Token cost anomaly", "P3").await;
    let erin = s.dir.path().join("erin");
    std::fs::write(&erin, ops::ERIN).unwrap();
    let vic = s.dir.path().join("vic");
    std::fs::write(&vic, ops::VIC).unwrap();

    // Most urgent first, aligned under a header; --json is the API's objects.
    let out = incidents(&url, &vic, &["list"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert!(lines[0].starts_with("ID") && lines[0].contains("STATE") && lines[0].ends_with("TITLE"), "{lines:?}");
    assert!(
        lines[1].starts_with(&p1) && lines[1].contains("P1  triggered") && lines[1].ends_with("Provider outage 429")
    );
    assert!(lines[2].starts_with(&p3), "{lines:?}");
    assert_eq!(lines[1].find("llm-gateway"), lines[2].find("llm-gateway"), "columns line up");
    let out = incidents(&url, &vic, &["list", "--priority", "p3", "--json"]).await;
    let listed: Vec<Incident> = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(listed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), [p3.as_str()]);

    // Acknowledge both at once; again is a conflict (3) naming who, and nothing is sent twice.
    let out = incidents(&url, &erin, &["ack", &p1, &p3]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("{p1}: acknowledged (now acknowledged, T1, erin)")), "{}", stdout(&out));
    let out = incidents(&url, &erin, &["ack", &p1]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("{p1} already acknowledged by erin")), "{}", stderr(&out));

    // Reassign, note, then show: the timeline says so. --json lines for scripts.
    let out = incidents(&url, &erin, &["reassign", &p1, "--to", "dana", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let moved: Incident = serde_json::from_str(stdout(&out).trim()).expect("one JSON line");
    assert_eq!((moved.assignee.as_deref(), moved.status), (Some("dana"), IncidentStatus::Triggered));
    let out = incidents(&url, &s.token, &["note", &p1, "--text", "rolling back the gateway"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = incidents(&url, &vic, &["show", &p1]).await;
    let shown = stdout(&out);
    assert!(shown.contains("reassigned") && shown.contains("reassigned to dana (from erin), who must acknowledge"));
    assert!(shown.contains("rolling back the gateway"), "{shown}");
    let out = incidents(&url, &vic, &["show", &p1, "--json"]).await;
    let full: Incident = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(full.timeline.iter().filter(|e| e.kind == EventKind::Reassigned).count(), 1);

    // A viewer is refused (1); a bad id is a usage error (2), nothing sent; a server that is
    // gone is 4.
    let out = incidents(&url, &vic, &["resolve", &p3]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("viewer"), "{}", stderr(&out));
    let out = incidents(&url, &erin, &["ack", "INC-1; rm -rf /"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = incidents(&url, &erin, &["note", &p3, "--text", "  "]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = incidents(&gone, &erin, &["list"]).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("cannot reach {gone}")), "{}", stderr(&out));
    let current = call(&s.server, "GET", DANA, &format!("/v1/incidents/{p3}"), None, None).await;
    assert_eq!(current.json::<Incident>(200).status, IncidentStatus::Acknowledged, "nothing else changed");
    s.server.shutdown().await.unwrap();
}
