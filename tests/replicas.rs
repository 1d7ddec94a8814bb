//! Replicas: two real servers on 127.0.0.1:0 sharing one PostgreSQL database (a fresh one on
//! the server `OPSDECK_TEST_POSTGRES` names; `.ci/run` starts it). Version checks, idempotency
//! and the change feed hold across them. Without PostgreSQL these tests say so and pass: the
//! replica guarantees are PostgreSQL's, and CI runs them.

#[path = "support/ops.rs"]
mod ops;
#[path = "support/pty.rs"]
mod pty;

use serde_json::json;

use ops::{DANA, ERIN, call, client, postgres, start_on};
use opsdeck::api::DecodedPage;
use opsdeck::backend::{Backend, BackendError};
use opsdeck::domain::{Command, EventKind, Incident, IncidentAction, Rejection};
use opsdeck::server::RunningServer;
use opsdeck::server::store::StoreLocation;

/// A fresh database's URL, or `None` (said) without PostgreSQL.
async fn fresh_url() -> Option<String> {
    let Some(server) = postgres::server() else {
        eprintln!("OPSDECK_TEST_POSTGRES is not set: no PostgreSQL to run replicas on");
        return None;
    };
    Some(postgres::fresh_database(&server).await)
}

/// Two replicas on one fresh database, or `None` (said) without PostgreSQL.
async fn replicas() -> Option<(RunningServer, RunningServer)> {
    let db = StoreLocation::Postgres(fresh_url().await?);
    // Both start at once: the migrations and the database's name are settled between them.
    let (a, b) = tokio::join!(start_on(db.clone()), start_on(db));
    Some((a, b))
}

async fn create(server: &RunningServer, title: &str) -> Incident {
    let body = json!({ "title": title, "service_id": "llm-gateway", "priority": "P2" });
    call(server, "POST", ERIN, "/v1/incidents", Some(body), None).await.json(201)
}

async fn fetch(server: &RunningServer, id: &str) -> Incident {
    call(server, "GET", ERIN, &format!("/v1/incidents/{id}"), None, None).await.json(200)
}

fn count(incident: &Incident, kind: EventKind) -> usize {
    incident.timeline.iter().filter(|e| e.kind == kind).count()
}

#[tokio::test]
async fn the_replicas_are_one_database_under_one_name() {
    let Some((a, b)) = replicas().await else { return };
    assert_eq!(a.epoch, b.epoch, "both replicas name the database alike: consoles keep their cursor across them");
    let incident = create(&a, "gateway 502s").await;
    assert_eq!(fetch(&b, &incident.id).await, incident, "written through one, read through the other");
}

#[tokio::test]
async fn two_consoles_acknowledging_through_two_replicas_at_once_one_wins_and_the_other_is_told_who() {
    let Some((a, b)) = replicas().await else { return };
    let (erin, dana) = (client(&a, ERIN), client(&b, DANA));
    for round in 0..10 {
        let incident = create(&a, &format!("retrieval timeouts {round}")).await;
        let ack = |key: &str| {
            ops::action(&incident.id, Command::Incident(IncidentAction::Acknowledge), incident.version, key)
        };
        let (by_erin, by_dana) = (ack(&format!("erin-{round}")), ack(&format!("dana-{round}")));
        let (first, second) = tokio::join!(erin.act(&by_erin), dana.act(&by_dana));
        let (winner, loser) = match (first, second) {
            (Ok(_), Err(lost)) => ("erin", lost),
            (Err(lost), Ok(_)) => ("dana", lost),
            other => panic!("round {round}: exactly one acknowledgement wins, got {other:?}"),
        };
        match loser {
            BackendError::Conflict(conflict) => assert!(
                matches!(&conflict.reason, Rejection::AlreadyAcknowledged { by, .. } if by == winner),
                "round {round}: the other is told {winner} has it: {:?}",
                conflict.reason
            ),
            other => panic!("round {round}: the loser gets a conflict, got {other:?}"),
        }
        let stored = fetch(&b, &incident.id).await;
        assert_eq!(count(&stored, EventKind::Acknowledged), 1, "round {round}");
        assert_eq!(stored.version, incident.version + 1, "round {round}: one write");
    }
}

#[tokio::test]
async fn one_idempotency_key_sent_to_two_replicas_is_applied_once() {
    let Some((a, b)) = replicas().await else { return };
    let incident = create(&a, "embedding drift").await;
    for round in 0..10 {
        let key = format!("note-{round}");
        let body = json!({ "version": incident.version, "text": format!("failover step {round}") });
        let path = format!("/v1/incidents/{}/notes", incident.id);
        let (first, second) = tokio::join!(
            call(&a, "POST", ERIN, &path, Some(body.clone()), Some(&key)),
            call(&b, "POST", ERIN, &path, Some(body), Some(&key)),
        );
        assert_eq!((first.status, second.status), (200, 200), "round {round}: {} / {}", first.body, second.body);
        assert_eq!(first.body, second.body, "round {round}: the replay is the first answer");
        assert!(first.replayed != second.replayed, "round {round}: one of them is the replay");
    }
    assert_eq!(count(&fetch(&a, &incident.id).await, EventKind::Note), 10, "ten keys, ten notes");
}

#[tokio::test]
async fn notes_on_one_incident_through_alternating_replicas_each_see_the_others_write() {
    // Each replica keeps the incidents it wrote last decoded; one written since by the other
    // must be read again, or a note would be decided on a timeline that lacks the other's.
    let Some((a, b)) = replicas().await else { return };
    let incident = create(&a, "retrieval index stale").await;
    let opened = incident.timeline.len();
    let mut version = incident.version;
    for n in 0..10 {
        let through = if n % 2 == 0 { &a } else { &b };
        let body = json!({ "version": version, "text": format!("note {n}") });
        let noted: Incident =
            call(through, "POST", ERIN, &format!("/v1/incidents/{}/notes", incident.id), Some(body), None)
                .await
                .json(200);
        assert_eq!(noted.timeline.len(), opened + n + 1, "note {n} follows every note before it");
        version = noted.version;
    }
    let (from_a, from_b) = (fetch(&a, &incident.id).await, fetch(&b, &incident.id).await);
    assert_eq!(from_a, from_b);
    let notes: Vec<&str> = from_a.timeline[opened..].iter().map(|e| e.text.as_str()).collect();
    assert_eq!(notes, (0..10).map(|n| format!("note {n}")).collect::<Vec<_>>());
    assert_eq!(from_a.version, incident.version + 10);
}

#[tokio::test]
async fn writes_through_both_replicas_at_once_all_reach_the_feed_each_once() {
    let Some((a, b)) = replicas().await else { return };
    let seeded: DecodedPage = call(&a, "GET", ERIN, "/v1/changes?limit=500", None, None).await.json(200);
    assert!(!seeded.page.has_more, "the seeded catalog fits one page");
    let cursor = seeded.page.cursor;
    let writes = (0..40).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        create(server, if i % 2 == 0 { "from a" } else { "from b" })
    });
    let created: Vec<Incident> = futures_util::future::join_all(writes).await;
    let page: DecodedPage =
        call(&b, "GET", ERIN, &format!("/v1/changes?since={cursor}&limit=500"), None, None).await.json(200);
    let mut fed: Vec<String> = page
        .page
        .changes
        .iter()
        .filter_map(|c| match c {
            opsdeck::api::Change::Incident(i) => Some(i.id.clone()),
            _ => None,
        })
        .collect();
    let mut made: Vec<String> = created.iter().map(|i| i.id.clone()).collect();
    assert_eq!(fed.len(), made.len(), "every write is in the feed once");
    fed.sort();
    made.sort();
    assert_eq!(fed, made);
    let again: DecodedPage =
        call(&a, "GET", ERIN, &format!("/v1/changes?since={cursor}&limit=500"), None, None).await.json(200);
    assert_eq!(again.page.cursor, page.page.cursor, "both replicas serve the same feed");
}

#[tokio::test]
async fn two_serve_processes_on_one_database_and_one_killed_the_other_carries_on() {
    let Some(url) = fresh_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.toml");
    pty::write_tokens(&tokens).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_opsdeck"));
    let timeout = std::time::Duration::from_secs(20);
    let db = std::path::PathBuf::from(&url);
    let (mut a, b) = tokio::task::spawn_blocking(move || {
        (
            pty::Server::start(bin, &db, &tokens, timeout).unwrap(),
            pty::Server::start(bin, &db, &tokens, timeout).unwrap(),
        )
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let body = json!({ "title": "vector store down", "service_id": "llm-gateway", "priority": "P1" });
    let created = http.post(format!("{}/v1/incidents", a.url)).bearer_auth(ERIN).json(&body).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let incident: Incident = created.json().await.unwrap();
    a.kill().unwrap();
    let read = http.get(format!("{}/v1/incidents/{}", b.url, incident.id)).bearer_auth(ERIN).send().await.unwrap();
    assert_eq!(read.status(), 200, "the replica left serves what the killed one wrote");
    let body = json!({ "version": incident.version });
    let path = format!("{}/v1/incidents/{}/acknowledge", b.url, incident.id);
    let acked = http.post(path).bearer_auth(DANA).json(&body).send().await.unwrap();
    assert_eq!(acked.status(), 200, "and takes actions on it");
    let acked: Incident = acked.json().await.unwrap();
    assert_eq!(acked.assignee.as_deref(), Some("dana"));
}

#[tokio::test]
async fn a_database_that_cannot_be_reached_is_said_plainly_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.toml");
    pty::write_tokens(&tokens).unwrap();
    let tokens = tokens.display().to_string();
    // Nothing listens on port 1 of loopback.
    let db = "postgres://opsdeck:s3cret-pw@127.0.0.1:1/opsdeck";
    let args = ["serve", "--bind", "127.0.0.1:0", "--db", db, "--tokens", &tokens];
    let out = ops::run_opsdeck(args.iter().map(|s| s.to_string()).collect()).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot open the database postgres://opsdeck:***@127.0.0.1:1/opsdeck"), "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(!stderr.contains("s3cret-pw"), "the password never reaches the output: {stderr}");
}

/// A source that counts where it runs: how often it was started, and how many copies of it are
/// running at once (across both replicas of a test) at most.
#[derive(Default)]
struct Runs {
    starts: std::sync::atomic::AtomicUsize,
    running: std::sync::atomic::AtomicUsize,
    most_at_once: std::sync::atomic::AtomicUsize,
}

struct Counted(std::sync::Arc<Runs>);

/// Running while it lives.
struct Running(std::sync::Arc<Runs>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl opsdeck::server::sources::Source for Counted {
    fn name(&self) -> &str {
        "counted"
    }
    fn kind(&self) -> &'static str {
        "counter"
    }
    async fn start(
        &self,
        context: opsdeck::server::sources::SourceContext,
    ) -> Result<tokio::task::JoinHandle<()>, opsdeck::server::store::StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        let runs = self.0.clone();
        runs.starts.fetch_add(1, SeqCst);
        let now = runs.running.fetch_add(1, SeqCst) + 1;
        runs.most_at_once.fetch_max(now, SeqCst);
        context.health.ok(chrono::Utc::now());
        let running = Running(runs);
        Ok(tokio::spawn(async move {
            let _running = running;
            std::future::pending::<()>().await
        }))
    }
}

async fn counted_replica(db: StoreLocation, runs: &std::sync::Arc<Runs>) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sources: Vec<Box<dyn opsdeck::server::sources::Source>> = vec![Box::new(Counted(runs.clone()))];
    let options = opsdeck::server::ServeOptions { db, users: ops::users(), sources };
    opsdeck::server::start(listener, options).await.unwrap()
}

async fn runs_here(server: &RunningServer) -> bool {
    let list: opsdeck::api::SourceList = call(server, "GET", ERIN, "/v1/sources", None, None).await.json(200);
    list.sources.iter().all(|s| s.runs_here)
}

/// Asks `server` whether the sources run there until they do, for at most `within`.
async fn until_runs_here(server: &RunningServer, within: std::time::Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    let mut ticker = tokio::time::interval(std::time::Duration::from_millis(100));
    while tokio::time::Instant::now() < deadline {
        ticker.tick().await;
        if runs_here(server).await {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn the_sources_run_on_one_replica_and_another_takes_over_when_it_stops() {
    use std::sync::atomic::Ordering::SeqCst;
    let Some(url) = fresh_url().await else { return };
    let db = StoreLocation::Postgres(url);
    let runs = std::sync::Arc::new(Runs::default());
    let first = counted_replica(db.clone(), &runs).await;
    let second = counted_replica(db, &runs).await;
    assert_eq!(runs.starts.load(SeqCst), 1, "one replica runs the source");
    assert!(runs_here(&first).await, "the first to start leads");
    assert!(!runs_here(&second).await, "the second says it does not run it");

    first.shutdown().await.unwrap();
    assert!(
        until_runs_here(&second, std::time::Duration::from_secs(10)).await,
        "the other replica takes over within 10 s"
    );
    assert_eq!(runs.starts.load(SeqCst), 2);
    assert_eq!(runs.most_at_once.load(SeqCst), 1, "never on both at once");
    assert_eq!(runs.running.load(SeqCst), 1);
}

#[tokio::test]
async fn the_simulator_moves_to_the_other_serve_process_when_its_replica_is_killed() {
    let Some(url) = fresh_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_opsdeck"));
    let tokens = dir.path().join("tokens.toml");
    pty::write_tokens(&tokens).unwrap();
    let serve = |db: &str| {
        let mut child = std::process::Command::new(bin)
            .args(["serve", "--simulate", "--bind", "127.0.0.1:0", "--db", db, "--tokens"])
            .arg(&tokens)
            .env("OPSDECK_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
        let line = lines.by_ref().map_while(Result::ok).find(|l| l.contains("listening on"));
        let url = line.expect("a listening line").rsplit(' ').next().unwrap().to_string();
        // Read to the end, so the server never writes into a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        (child, url)
    };
    let (mut a, a_url) = serve(&url);
    let (mut b, b_url) = serve(&url);
    let http = reqwest::Client::new();
    let sources = |base: String| {
        let http = http.clone();
        async move {
            let list: opsdeck::api::SourceList =
                http.get(format!("{base}/v1/sources")).bearer_auth(ERIN).send().await.unwrap().json().await.unwrap();
            list.sources[0].runs_here
        }
    };
    assert_eq!((sources(a_url.clone()).await, sources(b_url.clone()).await), (true, false), "the first runs it");
    a.kill().unwrap();
    a.wait().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut ticker = tokio::time::interval(std::time::Duration::from_millis(100));
    let mut took_over = false;
    while !took_over && std::time::Instant::now() < deadline {
        ticker.tick().await;
        took_over = sources(b_url.clone()).await;
    }
    b.kill().unwrap();
    b.wait().unwrap();
    assert!(took_over, "the simulator runs on the replica left within 10 s of the kill");
}

#[tokio::test]
async fn a_write_through_one_replica_is_announced_on_the_others_stream() {
    let Some((a, b)) = replicas().await else { return };
    let response = reqwest::Client::new().get(format!("{}/v1/stream", b.url())).bearer_auth(ERIN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut response = response;
    let mut seen = String::new();
    // The first event is the current cursor; the write on `a` must bring another.
    while !seen.contains("\n\n") {
        let chunk = tokio::time::timeout(ops::DEADLINE, response.chunk()).await.unwrap().unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let incident = create(&a, "announced across replicas").await;
    // Sooner than the stream's own recheck (15 s): through PostgreSQL's notification.
    let announced = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            let chunk = response.chunk().await.unwrap().expect("the stream stays open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.matches("event: changes").count() >= 2 {
                return seen.clone();
            }
        }
    })
    .await
    .expect("the other replica announces the write in time");
    let page: DecodedPage = call(&b, "GET", ERIN, "/v1/changes?limit=1000", None, None).await.json(200);
    let last_id = announced.lines().filter_map(|l| l.strip_prefix("id: ")).next_back().unwrap().to_string();
    assert_eq!(page.page.cursor, last_id, "the cursor announced is the feed's: {announced}");
    assert!(page.page.changes.iter().any(|c| matches!(c, opsdeck::api::Change::Incident(i) if i.id == incident.id)));
}
