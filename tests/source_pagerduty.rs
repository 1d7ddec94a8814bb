//! Contract tests of the PagerDuty source against the fake PagerDuty behind a real Prism that
//! validates every request against PagerDuty's OpenAPI document (tests/support/pagerduty/), and
//! the real server on 127.0.0.1:0 fed by the source: the first fill, the incremental sync
//! through log entries, each action carried, the 409 when someone acted first in PagerDuty, a
//! lost answer resent once, 429s with and without headers (the fake's requests counted against
//! the budget), and a 10,000-incident account. Every test ends with the fake's violations empty.

#[path = "support/ops.rs"]
mod ops;
#[path = "support/pagerduty/mod.rs"]
mod pagerduty;

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use ops::{DANA, DEADLINE, ERIN, call, users};
use opsdeck::db::DbLocation;
use opsdeck::domain::{EventKind, Incident, IncidentStatus, Priority, Tier};
use opsdeck::server::sources::{Source, SourceHealth};
use opsdeck::server::{self, RunningServer, ServeOptions};
use opsdeck::sources::pagerduty as pd_source;
use pagerduty::{Act, FakeOptions, FakePagerDuty, NewIncident, Recorded};

const NAME: &str = "pd";
const BOT: &str = "opsdeck-bot@example.com";
const ANA: &str = "ana@example.com";

/// The fake with the bot user (writes are made as it), Ana (who acts in PagerDuty's web UI) and
/// one service, `Payments`.
struct World {
    fake: FakePagerDuty,
    service: String,
    ana: String,
    _dir: tempfile::TempDir,
    token_file: std::path::PathBuf,
}

async fn world(options: FakeOptions) -> World {
    let fake = FakePagerDuty::start_with(options).await;
    fake.add_user("Opsdeck Bot", BOT);
    let ana = fake.add_user("Ana Lee", ANA);
    let service = fake.add_service("Payments");
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("pagerduty.token");
    std::fs::write(&token_file, format!("{}\n", fake.token())).unwrap();
    World { fake, service, ana, _dir: dir, token_file }
}

impl World {
    fn config(&self, extra: &str) -> pd_source::Config {
        let text = format!(
            "url = \"{}\"\ntoken_file = \"{}\"\nfrom = \"{BOT}\"\n{extra}",
            self.fake.url(),
            self.token_file.display()
        );
        toml::from_str(&text).expect("the config reads")
    }

    fn source(&self, extra: &str) -> Box<dyn Source> {
        pd_source::source(NAME, self.config(extra)).expect("the source starts")
    }

    async fn serve(&self, extra: &str) -> RunningServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let options = ServeOptions { db: DbLocation::Memory.into(), users: users(), sources: vec![self.source(extra)] };
        server::start(listener, options).await.unwrap()
    }

    fn incident(&self, title: &str) -> String {
        self.fake.add_incident(NewIncident::new(title, &self.service))
    }

    fn requests(&self, method: &str, path: &str) -> Vec<Recorded> {
        self.fake.requests().into_iter().filter(|r| r.method == method && r.path == path).collect()
    }

    /// Every request carried the key, PagerDuty's media type and JSON; every write `From:`; and
    /// Prism found nothing wrong with any request, nor the schemas with any answer.
    fn assert_clean(&self) {
        let violations = self.fake.violations();
        assert!(violations.is_empty(), "{violations:#?}\n{}", self.fake.prism_log());
        for r in self.fake.requests() {
            let auth = format!("Token token={}", self.fake.token());
            assert_eq!(r.header("authorization"), Some(auth.as_str()), "{} {}", r.method, r.path);
            assert!(r.header("accept").is_some_and(|a| a.contains(pagerduty::VENDOR_MEDIA_TYPE)), "{r:?}");
            assert_eq!(r.header("content-type"), Some("application/json"), "{} {}", r.method, r.path);
            if r.method != "GET" {
                assert_eq!(r.header("from"), Some(BOT), "{} {}", r.method, r.path);
            }
        }
    }
}

/// Polls `check` until it gives a value, failing after `limit` with `what`.
async fn until_within<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn until<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    until_within(DEADLINE, what, check).await
}

async fn incident(server: &RunningServer, id: &str) -> Option<Incident> {
    let answer = call(server, "GET", ERIN, &format!("/v1/incidents/{id}"), None, None).await;
    (answer.status == 200).then(|| answer.json(200))
}

async fn health(server: &RunningServer) -> SourceHealth {
    let answer = call(server, "GET", ERIN, "/v1/sources", None, None).await;
    let all: Value = answer.json(200);
    let all: Vec<SourceHealth> = serde_json::from_value(all["sources"].clone()).expect("a list of sources");
    all.into_iter().find(|h| h.name == NAME).expect("the source's health")
}

async fn act(server: &RunningServer, id: &str, action: &str, body: Value, key: &str) -> ops::Answer {
    call(server, "POST", DANA, &format!("/v1/incidents/{id}/{action}"), Some(body), Some(key)).await
}

/// Waits for PagerDuty incident `id` in the store; on a timeout the message holds the source's
/// health, the fake's violations and the requests it saw.
async fn filled(w: &World, server: &RunningServer, id: &str, limit: Duration) -> Incident {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = incident(server, &pd(id)).await {
            return found;
        }
        if Instant::now() > deadline {
            let seen: Vec<String> =
                w.fake.requests().iter().map(|r| format!("{} {}?{}", r.method, r.path, r.query)).collect();
            panic!(
                "{id} never reached the store\nhealth: {:?}\nviolations: {:#?}\nrequests: {seen:#?}",
                health(server).await,
                w.fake.violations()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn pd(id: &str) -> String {
    format!("PD-{id}")
}

/// The most requests any 60 s window of `at` holds.
fn busiest_minute(at: &[DateTime<Utc>]) -> usize {
    (0..at.len())
        .map(|i| at[i..].iter().take_while(|t| (**t - at[i]).num_milliseconds() < 60_000).count())
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_from_empty_then_only_what_log_entries_name_is_fetched_again() {
    let w = world(FakeOptions::default()).await;
    // Triggered a while ago: the first log-entry read after the fill has nothing new about it.
    let earlier = Some(Utc::now() - chrono::Duration::minutes(5));
    let quiet =
        w.fake.add_incident(NewIncident { created_at: earlier, ..NewIncident::new("Queue depth high", &w.service) });
    let acked = w.fake.add_incident(NewIncident {
        status: "acknowledged".into(),
        assignee_ids: vec![w.ana.clone()],
        priority: Some("P1".into()),
        ..NewIncident::new("Checkout errors", &w.service)
    });
    let low = w.fake.add_incident(NewIncident { urgency: "low".into(), ..NewIncident::new("Disk 80%", &w.service) });
    let server = w.serve("poll = \"1s\"").await;

    let first = filled(&w, &server, &acked, DEADLINE).await;
    assert_eq!(first.source.as_deref(), Some(NAME));
    assert_eq!(first.status, IncidentStatus::Acknowledged);
    assert_eq!(first.priority, Priority::P1, "the account's priority wins over urgency");
    assert_eq!(first.assignee.as_deref(), Some("Ana Lee"));
    assert_eq!(first.service_id, "Payments");
    assert_eq!(first.title, "Checkout errors");
    let kinds: Vec<EventKind> = first.timeline.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::Triggered, EventKind::Acknowledged]);
    assert_eq!(incident(&server, &pd(&low)).await.unwrap().priority, Priority::P4, "low urgency → P4");
    assert_eq!(incident(&server, &pd(&quiet)).await.unwrap().priority, Priority::P2, "high urgency → P2");
    let services = call(&server, "GET", ERIN, "/v1/services", None, None).await.body;
    assert!(services.to_string().contains("Payments"), "{services}");
    let listing = w.requests("GET", "/incidents");
    assert!(listing[0].query.contains("statuses%5B%5D=triggered") || listing[0].query.contains("statuses[]=triggered"));
    assert!(listing[0].query.contains("limit=100"), "{}", listing[0].query);

    // Ana acknowledges one and writes a note in PagerDuty; a new incident is triggered.
    w.fake.act(ANA, &low, Act::Acknowledge);
    w.fake.act(ANA, &low, Act::Note("looking at the disk".into()));
    let fresh = w.incident("Latency p99 over 2s");
    let seen = until("the incremental sync", || async {
        let low = incident(&server, &pd(&low)).await?;
        let fresh = incident(&server, &pd(&fresh)).await?;
        (low.status == IncidentStatus::Acknowledged && low.timeline.iter().any(|e| e.kind == EventKind::Note))
            .then_some((low, fresh))
    })
    .await;
    let (low_now, fresh_now) = seen;
    let ack = low_now.timeline.iter().find(|e| e.kind == EventKind::Acknowledged).unwrap();
    assert_eq!(ack.actor, "Ana Lee");
    let note = low_now.timeline.iter().find(|e| e.kind == EventKind::Note).unwrap();
    assert_eq!((note.actor.as_str(), note.text.as_str()), ("Ana Lee", "looking at the disk"));
    assert_eq!(fresh_now.status, IncidentStatus::Triggered);
    let log_reads = w.requests("GET", "/log_entries");
    assert!(
        log_reads.iter().all(|r| r.query.contains("since=") && r.query.contains("is_overview=true")),
        "{log_reads:?}"
    );
    // Only the incidents the log entries named were fetched again; the quiet one never.
    assert!(w.requests("GET", &format!("/incidents/{quiet}")).is_empty());
    assert!(!w.requests("GET", &format!("/incidents/{low}")).is_empty());
    // Resolved in PagerDuty: closed in the store.
    w.fake.act(ANA, &low, Act::Resolve);
    until("the resolution", || async {
        incident(&server, &pd(&low)).await.filter(|i| i.status == IncidentStatus::Resolved)
    })
    .await;
    assert!(health(&server).await.last_ok_at.is_some());
    w.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_action_is_carried_to_pagerduty() {
    let w = world(FakeOptions::default()).await;
    let id = w.incident("Payments API 5xx");
    let server = w.serve("poll = \"1s\"").await;
    let seen = filled(&w, &server, &id, DEADLINE).await;

    let ack = act(&server, &pd(&id), "acknowledge", json!({"version": seen.version}), "k-ack").await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    assert_eq!(w.fake.incident(&id)["status"], "acknowledged");
    let puts = w.requests("PUT", &format!("/incidents/{id}"));
    assert_eq!(puts.len(), 1);
    let body: Value = serde_json::from_str(&puts[0].body).unwrap();
    assert_eq!(body["incident"]["status"], "acknowledged");
    assert_eq!(body["incident"]["type"], "incident_reference");
    // The `from` email was resolved once through /users?query=, never /users/me.
    assert_eq!(w.requests("GET", "/users").len(), 1);
    assert!(w.fake.requests().iter().all(|r| r.path != "/users/me"));

    let current = incident(&server, &pd(&id)).await.unwrap();
    let body = json!({"version": current.version, "text": "rolling back 4.2"});
    let note = act(&server, &pd(&id), "notes", body, "k-note").await;
    assert_eq!(note.status, 200, "{}", note.body);
    let notes = w.fake.notes(&id);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["content"], "rolling back 4.2 — dana (opsdeck)");

    let current = incident(&server, &pd(&id)).await.unwrap();
    let up = act(&server, &pd(&id), "escalate", json!({"version": current.version}), "k-esc").await;
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(w.fake.level(&id), 2);
    let puts = w.requests("PUT", &format!("/incidents/{id}"));
    let body: Value = serde_json::from_str(&puts.last().unwrap().body).unwrap();
    assert_eq!(body["incident"]["escalation_level"], 2);

    // Reassign: an opsdeck name is looked up in PagerDuty (here by the email's local part).
    let bo = w.fake.add_user("Bo Chen", "bo@example.com");
    w.fake.add_user("Sam Ito", "sam.ito@example.com");
    w.fake.add_user("Sam Roe", "sam.roe@example.com");
    let puts_before = w.requests("PUT", &format!("/incidents/{id}")).len();
    for (to, refusal) in [
        ("zed", "PagerDuty has no user matching `zed`"),
        ("sam", "2 PagerDuty users match `sam` (Sam Ito, Sam Roe); name one exactly"),
    ] {
        let current = incident(&server, &pd(&id)).await.unwrap();
        let body = json!({"version": current.version, "to": to});
        let refused = act(&server, &pd(&id), "reassign", body, &format!("k-re-{to}")).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.body["message"].as_str().unwrap_or_default().contains(refusal), "{to}: {}", refused.body);
    }
    assert_eq!(w.requests("PUT", &format!("/incidents/{id}")).len(), puts_before, "a refused name sends nothing");
    let current = incident(&server, &pd(&id)).await.unwrap();
    let body = json!({"version": current.version, "to": "bo"});
    let moved = act(&server, &pd(&id), "reassign", body, "k-reassign").await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(w.fake.incident(&id)["assignments"][0]["assignee"]["id"], bo);
    assert_eq!(w.fake.incident(&id)["assignments"].as_array().map(Vec::len), Some(1));
    let puts = w.requests("PUT", &format!("/incidents/{id}"));
    let body: Value = serde_json::from_str(&puts.last().unwrap().body).unwrap();
    assert_eq!(body["incident"]["assignments"][0]["assignee"]["type"], "user_reference");

    // The sync brings PagerDuty's name for the new assignee, and its assign entry is the one
    // reassignment opsdeck recorded, not a second.
    let synced = until("the reassignment synced", || async {
        let i = incident(&server, &pd(&id)).await?;
        (i.assignee.as_deref() == Some("Bo Chen")).then_some(i)
    })
    .await;
    assert_eq!(synced.timeline.iter().filter(|e| e.kind == EventKind::Reassigned).count(), 1, "{:#?}", synced.timeline);

    // Resolve, against the version the sync has reached (it may move on once more meanwhile: a
    // stale version is answered with the incident as it is, and sent again against that).
    let mut version = synced.version;
    let mut done = None;
    for attempt in 0..3 {
        let answer = act(&server, &pd(&id), "resolve", json!({"version": version}), &format!("k-res-{attempt}")).await;
        if answer.status == 409 && answer.body["reason"]["kind"] == "stale_version" {
            version = answer.body["incident"]["version"].as_i64().expect("the incident as it is");
            continue;
        }
        done = Some(answer);
        break;
    }
    let done = done.expect("resolved within three tries");
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(w.fake.incident(&id)["status"], "resolved");
    // Two more polls of the log: the one that read the resolve entry has been applied.
    let polls = w.requests("GET", "/log_entries").len();
    until("two polls after the resolution", || async {
        (w.requests("GET", "/log_entries").len() >= polls + 2).then_some(())
    })
    .await;
    // The log entries of opsdeck's own actions come back without doubling the timeline.
    let settled = incident(&server, &pd(&id)).await.unwrap();
    for kind in [EventKind::Acknowledged, EventKind::Escalated, EventKind::Reassigned, EventKind::Resolved] {
        assert_eq!(settled.timeline.iter().filter(|e| e.kind == kind).count(), 1, "{kind:?}: {:#?}", settled.timeline);
    }
    assert_eq!(settled.tier, Tier::T2);
    w.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_acting_first_in_pagerduty_is_a_409_never_a_silent_reack() {
    let w = world(FakeOptions::default()).await;
    let id = w.incident("Card auth timeouts");
    let other = w.incident("Ledger lag");
    let server = w.serve("poll = \"1h\"").await;
    let seen = filled(&w, &server, &id, DEADLINE).await;
    let other_seen = incident(&server, &pd(&other)).await.unwrap();
    w.fake.act(ANA, &id, Act::Acknowledge);
    w.fake.act(ANA, &other, Act::Resolve);

    let ack = act(&server, &pd(&id), "acknowledge", json!({"version": seen.version}), "k-1").await;
    assert_eq!(ack.status, 409, "{}", ack.body);
    let message = ack.body["message"].as_str().unwrap();
    // "… acknowledged by Ana Lee just now" (or "40 s ago").
    assert!(message.contains("acknowledged by Ana Lee"), "{message}");
    assert!(message.ends_with("just now") || message.ends_with(" ago"), "{message}");
    let up = act(&server, &pd(&other), "escalate", json!({"version": other_seen.version}), "k-2").await;
    assert_eq!(up.status, 409, "{}", up.body);
    assert!(up.body["message"].as_str().unwrap().contains("resolved by Ana Lee"), "{}", up.body);
    assert!(w.fake.requests().iter().all(|r| r.method != "PUT"), "nothing was written");
    // opsdeck recorded nothing either.
    assert_eq!(incident(&server, &pd(&id)).await.unwrap().status, IncidentStatus::Triggered);
    w.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_resent_once_and_makes_no_second_note_or_ack() {
    let w = world(FakeOptions::default()).await;
    let id = w.incident("Fraud model drift");
    let server = w.serve("poll = \"1h\"").await;
    let seen = filled(&w, &server, &id, DEADLINE).await;

    w.fake.drop_next_answer("POST", &format!("/incidents/{id}/notes"));
    let note = json!({"version": seen.version, "text": "paging the model owner"});
    let lost = act(&server, &pd(&id), "notes", note.clone(), "k-note").await;
    assert_eq!(lost.status, 503, "the console keeps it and sends it again: {}", lost.body);
    assert_eq!(w.fake.notes(&id).len(), 1, "PagerDuty did take it");
    let again = act(&server, &pd(&id), "notes", note, "k-note").await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(w.fake.notes(&id).len(), 1, "no second note");
    assert_eq!(w.requests("POST", &format!("/incidents/{id}/notes")).len(), 1, "found among the notes, not sent");
    assert_eq!(w.requests("GET", &format!("/incidents/{id}/notes")).len(), 1);

    let version = incident(&server, &pd(&id)).await.unwrap().version;
    w.fake.drop_next_answer("PUT", &format!("/incidents/{id}"));
    let lost = act(&server, &pd(&id), "acknowledge", json!({"version": version}), "k-ack").await;
    assert_eq!(lost.status, 503, "{}", lost.body);
    let again = act(&server, &pd(&id), "acknowledge", json!({"version": version}), "k-ack").await;
    assert_eq!(again.status, 200, "acknowledged by this source already: {}", again.body);
    assert_eq!(w.requests("PUT", &format!("/incidents/{id}")).len(), 1, "no second acknowledgement");
    w.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_rate_headers_the_source_keeps_under_a_lower_limit_and_honours_retry_after() {
    // PagerDuty allows this key 60 a minute (the source is configured for 960): the first answer's
    // `ratelimit-limit` lowers the budget to 53 a minute.
    let w = world(FakeOptions { rate_per_minute: 60, rate_headers: true, page_limit_max: 100 }).await;
    let ids: Vec<String> = w.fake.add_incidents(60, &w.service);
    let server = w.serve("poll = \"1s\"").await;
    filled(&w, &server, ids.last().unwrap(), DEADLINE).await;
    for id in &ids {
        w.fake.act(ANA, id, Act::Acknowledge);
    }
    until_within(Duration::from_secs(120), "every acknowledgement synced", || async {
        let all = call(&server, "GET", ERIN, "/v1/incidents?limit=100", None, None).await.json::<Vec<Incident>>(200);
        (all.iter().filter(|i| i.status == IncidentStatus::Acknowledged).count() == ids.len()).then_some(())
    })
    .await;
    let at: Vec<DateTime<Utc>> = w.fake.requests().iter().map(|r| r.at).collect();
    assert!(at.len() > 53, "more than a minute's budget was needed: {}", at.len());
    assert!(busiest_minute(&at) <= 53, "the busiest minute saw {}", busiest_minute(&at));
    assert_eq!(health(&server).await.failures, 0);

    // The account's limit drops to nothing: a 429 with Retry-After pauses the source (not a
    // failure), an action waits for it as a 503 with Retry-After, and nothing is sent until then.
    w.fake.set_rate(0, true);
    let paused = until_within(Duration::from_secs(30), "the paused state", || async {
        let h = health(&server).await;
        h.last_error.as_deref().is_some_and(|e| e.contains("paused") && e.contains("by its rate limit")).then_some(h)
    })
    .await;
    assert_eq!(paused.failures, 0);
    let until_at = paused.backoff_until.expect("when it goes on");
    let current = incident(&server, &pd(&ids[0])).await.unwrap();
    let wait = act(&server, &pd(&ids[0]), "resolve", json!({"version": current.version}), "k-r").await;
    assert_eq!(wait.status, 503, "{}", wait.body);
    let limited_at = Utc::now();
    w.fake.set_rate(960, true);
    until_within(Duration::from_secs(75), "a request after the pause", || async {
        w.fake.requests().iter().any(|r| r.at > limited_at).then_some(())
    })
    .await;
    let next = w.fake.requests().into_iter().find(|r| r.at > limited_at).unwrap();
    assert!(next.at >= until_at - chrono::Duration::seconds(1), "sent at {} before {until_at}", next.at);
    w.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_429_backs_off_exponentially() {
    let w = world(FakeOptions { rate_per_minute: 960, rate_headers: false, page_limit_max: 100 }).await;
    let id = w.incident("Webhook retries");
    let server = w.serve("poll = \"1s\"").await;
    filled(&w, &server, &id, DEADLINE).await;
    w.fake.set_rate(0, false);
    let from = Utc::now();
    let limited = until_within(Duration::from_secs(30), "four refused requests", || async {
        let refused: Vec<DateTime<Utc>> = w.fake.requests().iter().map(|r| r.at).filter(|at| *at > from).collect();
        (refused.len() >= 4).then_some(refused)
    })
    .await;
    let gaps: Vec<i64> = limited.windows(2).map(|p| (p[1] - p[0]).num_milliseconds()).collect();
    for (gap, floor) in gaps.iter().zip([1_000, 2_000, 4_000]) {
        assert!(*gap >= floor - 100, "gaps {gaps:?}: each at least twice the one before");
    }
    let h = health(&server).await;
    assert!(h.last_error.as_deref().unwrap_or_default().contains("by its rate limit"), "{h:?}");
    assert_eq!(h.failures, 0, "paused is not failed");
    w.fake.set_rate(960, false);
    let back = Utc::now();
    until_within(Duration::from_secs(40), "a good sync after the limit lifts", || async {
        health(&server).await.last_ok_at.filter(|at| *at > back)
    })
    .await;
    w.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_thousand_incident_account_is_filled_within_the_budget() {
    let w = world(FakeOptions::default()).await;
    let ids = w.fake.add_incidents(10_000, &w.service);
    let started = Instant::now();
    let server = w.serve("poll = \"1h\"").await;
    until_within(Duration::from_secs(540), "the first fill", || async { health(&server).await.last_ok_at }).await;
    let took = started.elapsed();
    for id in [&ids[0], &ids[4_999], &ids[9_999]] {
        assert!(incident(&server, &pd(id)).await.is_some(), "{id}");
    }
    let listed = call(&server, "GET", ERIN, "/v1/incidents?limit=1000", None, None).await.json::<Vec<Incident>>(200);
    assert_eq!(listed.len(), 1000);
    let pages = w.requests("GET", "/incidents");
    assert_eq!(pages.len(), 100, "10,000 at 100 a page, the last at offset 9900");
    let total = w.fake.requests().len();
    assert!(total <= 103, "catalog, pages and the user: {total}");
    let at: Vec<DateTime<Utc>> = w.fake.requests().iter().map(|r| r.at).collect();
    assert!(busiest_minute(&at) <= 848);
    eprintln!("10,000 incidents filled in {took:?} with {total} requests");
    w.assert_clean();
}
