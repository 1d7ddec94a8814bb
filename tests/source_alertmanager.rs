//! Contract tests of the Alertmanager source against a real Alertmanager 0.25 on loopback and the
//! real server on 127.0.0.1:0 fed by it: alerts become incidents, acknowledging silences the alert
//! (queried back from Alertmanager), a resend makes no second silence, resolving expires it,
//! windows plan silences and cancelling expires them, hand-made silences are read-only windows,
//! and an Alertmanager that is down is reported while an acknowledgement waits for it.
//!
//! Actions go through the API, which carries them through the source; a resend after a lost
//! answer is also tried with [`Source::carry`] on a second instance of the same configuration (a
//! source keeps no state of its own for carrying).

#[path = "support/alertmanager.rs"]
mod alertmanager;
#[path = "support/ops.rs"]
mod ops;

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

use alertmanager::{Alertmanager, alert};
use ops::{DANA, DEADLINE, ERIN, call, users};
use opsdeck::db::DbLocation;
use opsdeck::domain::{EventKind, Incident, IncidentAction, IncidentStatus, MaintenanceKind, MaintenanceWindow};
use opsdeck::server::sources::Source;
use opsdeck::server::{self, RunningServer, ServeOptions};
use opsdeck::sources::alertmanager as am_source;

const NAME: &str = "prod-am";

fn source(am: &Alertmanager, extra: &str) -> Box<dyn Source> {
    let text = format!("url = \"{}\"\npoll = \"250ms\"\n{extra}", am.url());
    let config: am_source::Config = toml::from_str(&text).expect("the config reads");
    am_source::source(NAME, config).expect("the source starts")
}

async fn serve(am: &Alertmanager) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let options = ServeOptions { db: DbLocation::Memory.into(), users: users(), sources: vec![source(am, "")] };
    server::start(listener, options).await.unwrap()
}

/// Polls `check` until it gives a value, failing after [`DEADLINE`] with `what`.
async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn incident(server: &RunningServer, id: &str) -> Option<Incident> {
    let answer = call(server, "GET", ERIN, &format!("/v1/incidents/{id}"), None, None).await;
    (answer.status == 200).then(|| answer.json(200))
}

/// The incident id of the Alertmanager alert named `name`: `AM-` and 10 hex digits of its
/// fingerprint.
async fn id_of(am: &Alertmanager, name: &str) -> String {
    let alerts = am.alerts().await;
    let alert = alerts.iter().find(|a| a["labels"]["alertname"] == name).expect("the alert is in Alertmanager");
    format!("AM-{}", &alert["fingerprint"].as_str().unwrap()[..10])
}

fn acked_by(silence: &Value, id: &str) -> bool {
    silence["comment"].as_str().is_some_and(|c| c.starts_with(&format!("opsdeck: {id} ack by ")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_become_incidents_and_an_ack_silences_the_alert_once() {
    let am = Alertmanager::start().await;
    am.post_alerts(&json!([
        alert("GatewayLatencyHigh", "llm-gateway", "critical", "p95 latency over 2 s on llm-gateway", &[]),
        {"labels": {"alertname": "IndexLag", "service": "vector-db", "severity": "bogus"}},
    ]))
    .await;
    let server = serve(&am).await;
    let latency = id_of(&am, "GatewayLatencyHigh").await;
    let lag = id_of(&am, "IndexLag").await;
    let first = until("the alert's incident", || incident(&server, &latency)).await;
    assert_eq!(first.title, "p95 latency over 2 s on llm-gateway");
    assert_eq!((first.service_id.as_str(), first.priority.label()), ("llm-gateway", "P1"));
    assert_eq!(first.source.as_deref(), Some(NAME));
    assert_eq!(first.timeline[0].text, "P1 fired in Alertmanager: GatewayLatencyHigh");
    let second = until("the second alert's incident", || incident(&server, &lag)).await;
    assert_eq!((second.title.as_str(), second.priority.label()), ("IndexLag", "P3"), "alertname, else P3");
    let services = call(&server, "GET", ERIN, "/v1/services", None, None).await.body;
    assert!(services.to_string().contains("vector-db"), "an unknown service joins the catalog: {services}");

    // Acknowledge through the API: the server carries it to Alertmanager as a silence.
    let ack = call(
        &server,
        "POST",
        DANA,
        &format!("/v1/incidents/{latency}/acknowledge"),
        Some(json!({"version": first.version})),
        Some("key-ack-1"),
    )
    .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    let silences: Vec<Value> = am.live_silences().await.into_iter().filter(|s| acked_by(s, &latency)).collect();
    assert_eq!(silences.len(), 1, "{silences:?}");
    assert_eq!(silences[0]["createdBy"], "dana");
    assert!(silences[0]["comment"].as_str().unwrap().ends_with("[key key-ack-1]"), "{}", silences[0]);
    let matchers = silences[0]["matchers"].as_array().unwrap();
    assert!(
        matchers
            .iter()
            .any(|m| m["name"] == "alertname" && m["value"] == "GatewayLatencyHigh" && m["isRegex"] == false)
    );
    // A resend is replayed by the server; carried again (an answer lost between the silence and
    // the record) it finds the silence instead of making a second.
    let resend = call(
        &server,
        "POST",
        DANA,
        &format!("/v1/incidents/{latency}/acknowledge"),
        Some(json!({"version": first.version})),
        Some("key-ack-1"),
    )
    .await;
    assert!(resend.status == 200 && resend.replayed, "{}", resend.body);
    let carrier = source(&am, "");
    carrier.carry(&first, &IncidentAction::Acknowledge, "dana", "key-ack-1").await.expect("carried again");
    assert_eq!(am.live_silences().await.iter().filter(|s| acked_by(s, &latency)).count(), 1);
    // Alertmanager suppresses the alert, and the timeline says so, by whom.
    let silenced = until("the silenced event", || async {
        let i = incident(&server, &latency).await?;
        i.timeline.iter().any(|e| e.kind == EventKind::Suppressed && e.actor == "dana").then_some(i)
    })
    .await;
    assert_eq!(silenced.status, IncidentStatus::Acknowledged);
    let state = am.alerts().await.into_iter().find(|a| a["labels"]["alertname"] == "GatewayLatencyHigh").unwrap();
    assert_eq!(state["status"]["state"], "suppressed");

    // Reassign: Alertmanager has no assignees; opsdeck records it and says so.
    let handed = call(
        &server,
        "POST",
        DANA,
        &format!("/v1/incidents/{latency}/reassign"),
        Some(json!({"version": silenced.version, "to": "erin"})),
        Some("key-reassign-1"),
    )
    .await;
    assert_eq!(handed.notice.as_deref(), Some("Alertmanager has no assignees; reassigned in opsdeck only"));
    let handed: Incident = handed.json(200);
    assert_eq!((handed.assignee.as_deref(), handed.status), (Some("erin"), IncidentStatus::Triggered));

    // Resolve: the silence expires; the alert still firing makes no new incident meanwhile.
    let res = call(
        &server,
        "POST",
        DANA,
        &format!("/v1/incidents/{latency}/resolve"),
        Some(json!({"version": handed.version})),
        Some("key-res-1"),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(am.live_silences().await.iter().filter(|s| acked_by(s, &latency)).count(), 0, "expired");
    let escalate = carrier.support(&IncidentAction::Escalate);
    assert!(format!("{escalate:?}").contains("escalated in opsdeck only"), "{escalate:?}");

    // The other alert resolves in Alertmanager; firing again later is a new incident naming it.
    let mut ended = json!({"labels": {"alertname": "IndexLag", "service": "vector-db", "severity": "bogus"}});
    ended["endsAt"] = json!((Utc::now() - chrono::Duration::seconds(1)).to_rfc3339());
    am.post_alerts(&json!([ended])).await;
    let resolved = until("the resolution", || async {
        incident(&server, &lag).await.filter(|i| i.status == IncidentStatus::Resolved)
    })
    .await;
    assert_eq!(resolved.timeline.last().unwrap().actor, NAME);
    am.post_alerts(&json!([{"labels": {"alertname": "IndexLag", "service": "vector-db", "severity": "bogus"}}])).await;
    let refired = format!("{lag}-2");
    let again = until("the re-fired incident", || incident(&server, &refired)).await;
    assert!(again.timeline[0].text.contains(&format!("fired again after {lag}")), "{:?}", again.timeline[0]);
    assert!(incident(&server, &format!("{latency}-2")).await.is_none(), "resolved in opsdeck stays resolved");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_plan_silences_and_hand_made_silences_are_read_only_windows() {
    let am = Alertmanager::start().await;
    let server = serve(&am).await;
    let start = Utc::now() + chrono::Duration::hours(1);
    let plan = json!({
        "title": "Nightly reindex", "kind": "routine", "services": ["llm-gateway", "rag-retrieval"],
        "start": start, "end": start + chrono::Duration::hours(1), "timezone": "UTC",
        "rrule": "FREQ=DAILY", "suppress_alerts": true,
    });
    let created = call(&server, "POST", DANA, "/v1/maintenance", Some(plan), Some("plan-1")).await;
    let window: MaintenanceWindow = created.json(201);
    async fn planned(am: &Alertmanager, id: String) -> Vec<Value> {
        let comment = format!("opsdeck: maintenance {id} ");
        let live = am.live_silences().await;
        live.into_iter().filter(|s| s["comment"].as_str().unwrap_or("").starts_with(&comment)).collect()
    }
    let silences = until("a silence per occurrence within 7 days", || async {
        let s = planned(&am, window.id.clone()).await;
        (s.len() >= 7).then_some(s)
    })
    .await;
    assert_eq!(silences.len(), 7, "7 daily occurrences start within the horizon");
    let m = &silences[0]["matchers"][0];
    assert_eq!(
        (m["name"].as_str(), m["value"].as_str(), m["isRegex"].as_bool()),
        (Some("service"), Some("llm\\-gateway|rag\\-retrieval"), Some(true))
    );
    assert_eq!(silences[0]["createdBy"], "dana");

    let cancel = call(
        &server,
        "POST",
        DANA,
        &format!("/v1/maintenance/{}/cancel", window.id),
        Some(json!({"version": window.version})),
        Some("cancel-1"),
    )
    .await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    until("the window's silences expired", || async { planned(&am, window.id.clone()).await.is_empty().then_some(()) })
        .await;

    // A silence made by hand in Alertmanager is a read-only window of kind silence.
    let now = Utc::now();
    let by_hand = am
        .post_silence(&json!({
            "matchers": [{"name": "service", "value": "billing-meter", "isRegex": false}],
            "startsAt": now, "endsAt": now + chrono::Duration::hours(2),
            "createdBy": "sam", "comment": "Vendor outage \u{1b}[31mignore",
        }))
        .await;
    let id = format!("AMS-{}", &by_hand[..8]);
    let shown: MaintenanceWindow = until("the silence's window", || async {
        let a = call(&server, "GET", ERIN, &format!("/v1/maintenance/{id}"), None, None).await;
        (a.status == 200).then(|| a.json(200))
    })
    .await;
    assert_eq!(shown.kind, MaintenanceKind::Silence);
    assert_eq!(shown.services, ["billing-meter"]);
    assert_eq!(shown.title, "Vendor outage ignore", "sanitised");
    assert_eq!((shown.created_by.as_str(), shown.source.as_deref()), ("sam", Some(NAME)));
    let edit = call(
        &server,
        "PUT",
        DANA,
        &format!("/v1/maintenance/{id}"),
        Some(json!({"version": shown.version, "title": "x", "kind": "routine", "services": ["billing-meter"],
            "start": shown.start, "end": shown.end, "timezone": "UTC"})),
        None,
    )
    .await;
    assert!(edit.error(422).contains("made in Alertmanager; change it there"));
    let cancel = call(
        &server,
        "POST",
        DANA,
        &format!("/v1/maintenance/{id}/cancel"),
        Some(json!({"version": shown.version})),
        None,
    )
    .await;
    assert!(cancel.error(422).contains("made in Alertmanager; change it there"));
    am.expire_silence(&by_hand).await;
    until("the window cancelled with its silence", || async {
        let a = call(&server, "GET", ERIN, &format!("/v1/maintenance/{id}"), None, None).await;
        a.json::<MaintenanceWindow>(200).cancelled.then_some(())
    })
    .await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_down_is_shown_stale_and_an_ack_waits_then_applies_once() {
    let mut am = Alertmanager::start().await;
    am.post_alerts(&json!([alert("SafetyFilterErrors", "safety-filter", "error", "safety filter 5xx", &[])])).await;
    let server = serve(&am).await;
    let id = id_of(&am, "SafetyFilterErrors").await;
    let opened = until("the incident", || incident(&server, &id)).await;
    assert_eq!(opened.priority.label(), "P2");

    // Idle polls write nothing: the change feed stays quiet while polls go on.
    let sources = || async { call(&server, "GET", ERIN, "/v1/sources", None, None).await.body["sources"][0].clone() };
    let cursor = call(&server, "GET", ERIN, "/v1/changes?limit=1000", None, None).await.body["cursor"].clone();
    let polled = until("a good poll", || async { sources().await["last_ok_at"].as_str().map(str::to_string) }).await;
    let polled: chrono::DateTime<Utc> = polled.parse().unwrap();
    until("two more polls", || async {
        let ok: chrono::DateTime<Utc> = sources().await["last_ok_at"].as_str()?.parse().ok()?;
        (ok > polled + chrono::Duration::milliseconds(300)).then_some(())
    })
    .await;
    let path = format!("/v1/changes?since={}", cursor.as_str().unwrap());
    let quiet = call(&server, "GET", ERIN, &path, None, None).await;
    assert_eq!(quiet.body["changes"].as_array().map(Vec::len), Some(0), "an idle poll writes nothing: {}", quiet.body);

    let fired = am.alerts().await[0]["startsAt"].clone();
    am.kill();
    let failing = until("the source shown stale", || async {
        let s = sources().await;
        (s["stale"] == true).then_some(s)
    })
    .await;
    assert!(failing["last_error"].as_str().unwrap().contains("cannot connect"), "{failing}");
    assert!(failing["backoff_until"].is_string(), "{failing}");
    let body = json!({"version": opened.version});
    let path = format!("/v1/incidents/{id}/acknowledge");
    let down = call(&server, "POST", ERIN, &path, Some(body.clone()), Some("key-down-1")).await;
    assert_eq!(down.status, 503, "{}", down.body);
    assert_eq!(incident(&server, &id).await.unwrap().status, IncidentStatus::Triggered, "nothing applied");

    am.restart().await;
    // Alertmanager keeps alerts in memory only: Prometheus sends them again, as they started.
    let mut again = alert("SafetyFilterErrors", "safety-filter", "error", "safety filter 5xx", &[]);
    again["startsAt"] = fired;
    am.post_alerts(&json!([again])).await;
    until("a good poll again", || async { (sources().await["stale"] == false).then_some(()) }).await;
    let current = incident(&server, &id).await.unwrap();
    let body = json!({"version": current.version});
    let sent = call(&server, "POST", ERIN, &path, Some(body.clone()), Some("key-down-1")).await;
    assert_eq!(sent.status, 200, "the console's resend applies now: {}", sent.body);
    let resent = call(&server, "POST", ERIN, &path, Some(body), Some("key-down-1")).await;
    assert!(resent.replayed, "{}", resent.body);
    assert_eq!(am.live_silences().await.iter().filter(|s| acked_by(s, &id)).count(), 1, "applied once");
    let carrier = source(&am, "");
    let lost = carrier.carry(&current, &IncidentAction::Acknowledge, "erin", "key-down-1").await;
    assert_eq!(lost, Ok(()));
    assert_eq!(am.live_silences().await.iter().filter(|s| acked_by(s, &id)).count(), 1, "still once");
    server.shutdown().await.unwrap();
}
