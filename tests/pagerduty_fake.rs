//! Tests of the fake PagerDuty itself (tests/support/pagerduty/), sent with plain reqwest through
//! the real Prism in front of it: every endpoint the source uses answers in the spec's shapes
//! (and the fake's own check of its answers finds nothing), requests the spec refuses are caught
//! by Prism and recorded, pagination has `more` and the 10,000 offset cap, each act writes its
//! log entries, the rate limit answers 429 with and without headers, and a dropped answer is
//! applied but never arrives. The validator is also shown to catch a wrong shape.

#[path = "support/pagerduty/mod.rs"]
mod pagerduty;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use pagerduty::{Act, FakeOptions, FakePagerDuty, NewIncident, VENDOR_MEDIA_TYPE};

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

/// A client as the source would be one: the vendor `Accept`, JSON content type, the key.
struct Pd<'a> {
    fake: &'a FakePagerDuty,
    http: reqwest::Client,
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl<'a> Pd<'a> {
    fn new(fake: &'a FakePagerDuty) -> Pd<'a> {
        Pd { fake, http: reqwest::Client::builder().no_proxy().build().unwrap() }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.request_as(self.fake.token(), method, path)
    }

    fn request_as(&self, token: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.fake.url()))
            .header("Authorization", format!("Token token={token}"))
            .header("Accept", VENDOR_MEDIA_TYPE)
            .header("Content-Type", "application/json")
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Answer { status, headers, body }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    async fn put(&self, path: &str, from: &str, body: Value) -> Answer {
        self.send(self.request(reqwest::Method::PUT, path).header("From", from).json(&body)).await
    }

    async fn post(&self, path: &str, from: &str, body: Value) -> Answer {
        self.send(self.request(reqwest::Method::POST, path).header("From", from).json(&body)).await
    }
}

fn assert_clean(fake: &FakePagerDuty) {
    let violations = fake.violations();
    assert!(violations.is_empty(), "violations:\n{}", violations.join("\n"));
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn kinds(entries: &Value) -> Vec<String> {
    entries.as_array().expect("a list").iter().map(|e| e["type"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn every_endpoint_answers_in_the_specs_shapes() {
    let fake = FakePagerDuty::start().await;
    eprintln!("Prism listened after {:?}", fake.prism_started_in());
    let alice = fake.add_user("Alice Archer", ALICE);
    let bob = fake.add_user("Bob Baker", BOB);
    let carol = fake.add_user("Carol Cole", "carol@example.com");
    let service = fake.add_service("Checkout");
    let id = fake
        .add_incident(NewIncident { priority: Some("P2".into()), ..NewIncident::new("Checkout is down", &service) });
    let pd = Pd::new(&fake);

    let users = pd.get("/users?query=bob%40example").await;
    assert_eq!(users.status, 200);
    assert_eq!(users.body["users"].as_array().unwrap().len(), 1);
    assert_eq!(users.body["users"][0]["id"], bob);
    for (path, key, count) in [
        ("/services", "services", 1),
        ("/escalation_policies", "escalation_policies", 1),
        ("/priorities", "priorities", 5),
    ] {
        let answer = pd.get(path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert_eq!(answer.body[key].as_array().unwrap().len(), count, "{path}");
        assert_eq!(answer.body["more"], false);
    }
    let policy = &pd.get("/escalation_policies").await.body["escalation_policies"][0];
    let levels: Vec<&Value> =
        policy["escalation_rules"].as_array().unwrap().iter().map(|r| &r["targets"][0]["id"]).collect();
    assert_eq!(levels, [&json!(alice), &json!(bob), &json!(carol)], "level k is on call by the k-th user");

    let list = pd.get("/incidents?statuses%5B%5D=triggered&statuses%5B%5D=acknowledged&total=true").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(
        (
            list.body["limit"].clone(),
            list.body["offset"].clone(),
            list.body["more"].clone(),
            list.body["total"].clone()
        ),
        (json!(25), json!(0), json!(false), json!(1))
    );
    let incident = &list.body["incidents"][0];
    for field in [
        "id",
        "type",
        "summary",
        "self",
        "html_url",
        "incident_number",
        "title",
        "status",
        "urgency",
        "priority",
        "service",
        "assignments",
        "escalation_policy",
        "created_at",
        "updated_at",
        "last_status_change_at",
        "last_status_change_by",
        "acknowledgements",
    ] {
        assert!(incident.get(field).is_some(), "an incident has {field}: {incident}");
    }
    assert_eq!(incident["type"], "incident");
    assert_eq!(incident["status"], "triggered");
    assert_eq!(incident["priority"]["name"], "P2");
    assert_eq!(incident["assignments"][0]["assignee"]["id"], alice, "level 1 is assigned");
    assert_eq!(incident["self"], format!("https://api.pagerduty.com/incidents/{id}"));
    assert_eq!(pd.get(&format!("/incidents/{id}")).await.body["incident"], fake.incident(&id));

    let acked = pd
        .put(
            &format!("/incidents/{id}"),
            BOB,
            json!({"incident": {"type": "incident_reference", "status": "acknowledged"}}),
        )
        .await;
    assert_eq!(acked.status, 200, "{}", acked.body);
    assert_eq!(acked.body["incident"]["acknowledgements"][0]["acknowledger"]["id"], bob);
    let escalated = pd
        .put(
            &format!("/incidents/{id}"),
            BOB,
            json!({"incident": {"type": "incident_reference", "escalation_level": 3}}),
        )
        .await;
    assert_eq!(escalated.body["incident"]["status"], "triggered", "escalating re-triggers: {}", escalated.body);
    assert_eq!(escalated.body["incident"]["assignments"][0]["assignee"]["id"], carol);
    assert_eq!(fake.level(&id), 3);
    let reassign = json!({"incident": {"type": "incident_reference", "assignments": [{"assignee": {"id": bob, "type": "user_reference"}}]}});
    let reassigned = pd.put(&format!("/incidents/{id}"), ALICE, reassign).await;
    assert_eq!(reassigned.body["incident"]["assigned_via"], "direct_assignment");
    let noted =
        pd.post(&format!("/incidents/{id}/notes"), ALICE, json!({"note": {"content": "Rolling back 4.2"}})).await;
    assert_eq!(noted.status, 200, "{}", noted.body);
    assert_eq!(noted.body["note"]["user"]["id"], alice);
    let notes = pd.get(&format!("/incidents/{id}/notes")).await;
    assert_eq!(notes.body["notes"][0]["content"], "Rolling back 4.2");
    let resolved = pd
        .put(&format!("/incidents/{id}"), ALICE, json!({"incident": {"type": "incident", "status": "resolved"}}))
        .await;
    assert_eq!(resolved.body["incident"]["status"], "resolved");
    assert!(resolved.body["incident"]["resolved_at"].is_string());
    assert_eq!(resolved.body["incident"]["assignments"], json!([]));

    let log = pd.get(&format!("/incidents/{id}/log_entries")).await;
    assert_eq!(log.status, 200, "{}", log.body);
    let newest_first = kinds(&log.body["log_entries"]);
    assert_eq!(newest_first.first().map(String::as_str), Some("resolve_log_entry"));
    assert_eq!(newest_first.last().map(String::as_str), Some("trigger_log_entry"));
    let overview = pd.get("/log_entries?is_overview=true&include%5B%5D=incidents").await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    let entries = overview.body["log_entries"].as_array().unwrap();
    assert!(entries.iter().all(|e| e["type"] != "notify_log_entry"), "the overview has no notifications");
    assert_eq!(entries[0]["incident"]["type"], "incident", "include[]=incidents embeds the incident");

    let seen = fake.requests();
    let writes: Vec<_> = seen.iter().filter(|r| r.method != "GET").collect();
    assert_eq!(writes.len(), 5);
    assert!(writes.iter().all(|r| r.header("from").is_some() && r.header("accept") == Some(VENDOR_MEDIA_TYPE)));
    assert_clean(&fake);
}

#[tokio::test]
async fn requests_the_spec_refuses_are_caught_by_prism_and_recorded() {
    let fake = FakePagerDuty::start().await;
    fake.add_user("Alice Archer", ALICE);
    let service = fake.add_service("Checkout");
    let id = fake.add_incident(NewIncident::new("Checkout is down", &service));
    let pd = Pd::new(&fake);
    let path = format!("/incidents/{id}");

    let acked = pd.put(&path, ALICE, json!({"incident": {"type": "incident_reference", "status": "acked"}})).await;
    assert!(acked.status == 400 || acked.status == 422, "{} {}", acked.status, acked.body);
    let no_from = pd
        .send(
            pd.request(reqwest::Method::PUT, &path)
                .json(&json!({"incident": {"type": "incident_reference", "status": "acknowledged"}})),
        )
        .await;
    assert!(no_from.status == 400 || no_from.status == 422, "{}", no_from.status);
    let bare = reqwest::Client::new()
        .get(format!("{}{path}", fake.url()))
        .header("Authorization", format!("Token token={}", fake.token()))
        .header("Accept", VENDOR_MEDIA_TYPE)
        .send()
        .await
        .unwrap();
    assert!(bare.status().is_client_error(), "{}", bare.status());
    assert!(fake.requests().is_empty(), "none of them reached the fake: {:?}", fake.requests());
    assert_eq!(fake.incident(&id)["status"], "triggered");

    let violations = fake.violations();
    assert_eq!(violations.len(), 3, "{violations:#?}");
    assert!(violations[0].contains("incident.status"), "{}", violations[0]);
    assert!(violations[1].to_lowercase().contains("'from'"), "{}", violations[1]);
    assert!(violations[2].to_lowercase().contains("content-type"), "{}", violations[2]);

    // Wrong key and an unknown From: the spec allows them, the fake (as PagerDuty) refuses them.
    let wrong_key = pd.send(pd.request_as("nope", reqwest::Method::GET, &path)).await;
    assert_eq!(wrong_key.status, 401);
    assert_eq!(wrong_key.body["error"]["code"], 2006);
    let stranger = pd
        .put(&path, "mallory@example.com", json!({"incident": {"type": "incident_reference", "status": "resolved"}}))
        .await;
    assert_eq!(stranger.status, 400);
    assert_eq!(fake.incident(&id)["status"], "triggered");
    assert_eq!(
        fake.violations().len(),
        3,
        "answers of the fake in the spec's shapes add none: {:#?}",
        fake.violations()
    );
}

#[tokio::test]
async fn pages_say_more_and_stop_at_the_ten_thousand_offset_cap() {
    let fake = FakePagerDuty::start().await;
    let service = fake.add_service("Bulk");
    let ids = fake.add_incidents(10_050, &service);
    let pd = Pd::new(&fake);

    let first = pd.get("/incidents?statuses%5B%5D=triggered&limit=100&total=true").await;
    assert_eq!((first.body["more"].clone(), first.body["total"].clone()), (json!(true), json!(10_050)));
    assert_eq!(first.body["incidents"][0]["id"], ids[0], "oldest first by default");
    let clamped = pd.get("/incidents?limit=500").await;
    assert_eq!(clamped.body["limit"], 100, "a limit above 100 is lowered");
    assert_eq!(clamped.body["incidents"].as_array().unwrap().len(), 100);
    let last_allowed = pd.get("/incidents?limit=100&offset=9900").await;
    assert_eq!(last_allowed.status, 200);
    assert_eq!(last_allowed.body["more"], true, "50 more exist past the cap");
    assert_eq!(last_allowed.body["incidents"][99]["id"], ids[9_999]);
    let past = pd.get("/incidents?limit=100&offset=9950").await;
    assert_eq!(past.status, 400, "{}", past.body);
    assert_eq!(past.body["error"]["code"], 2002);

    // A narrower range reaches the rest: the newest 50 were created in the last 50 minutes.
    let cut = fake.incident(&ids[10_000])["created_at"].as_str().unwrap().to_string();
    let since: DateTime<Utc> = cut.parse().unwrap();
    let slice = pd.get(&format!("/incidents?limit=100&since={}", urlencode(&since.to_rfc3339()))).await;
    assert_eq!(slice.status, 200, "{}", slice.body);
    assert_eq!(slice.body["incidents"].as_array().unwrap().len(), 50);
    assert_eq!(slice.body["more"], false);
    let sorted = pd.get("/incidents?limit=1&sort_by=incident_number%3Adesc").await;
    assert_eq!(sorted.body["incidents"][0]["id"], ids[10_049]);
    assert_clean(&fake);
}

fn urlencode(text: &str) -> String {
    text.replace(':', "%3A").replace('+', "%2B")
}

#[tokio::test]
async fn each_act_in_pagerduty_writes_its_log_entries() {
    let fake = FakePagerDuty::start().await;
    let alice = fake.add_user("Alice Archer", ALICE);
    let bob = fake.add_user("Bob Baker", BOB);
    let service = fake.add_service("Checkout");
    let before = Utc::now() - chrono::Duration::seconds(2);
    let id = fake.add_incident(NewIncident::new("Checkout is down", &service));
    fake.act(ALICE, &id, Act::Acknowledge);
    fake.act(BOB, &id, Act::Acknowledge);
    assert_eq!(
        fake.incident(&id)["acknowledgements"].as_array().unwrap().len(),
        2,
        "a second person's ack sits beside the first"
    );
    fake.act(BOB, &id, Act::Note("Looking at the database".into()));
    fake.act(ALICE, &id, Act::Escalate);
    assert_eq!(fake.incident(&id)["status"], "triggered");
    assert_eq!(fake.incident(&id)["assignments"][0]["assignee"]["id"], bob);
    fake.act(ALICE, &id, Act::Reassign(alice.clone()));
    fake.act(ALICE, &id, Act::Resolve);
    assert_eq!(fake.notes(&id)[0]["content"], "Looking at the database");

    let oldest_first: Vec<String> =
        fake.log_entries(&id).iter().map(|e| e["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        oldest_first,
        [
            "trigger_log_entry",
            "notify_log_entry",
            "acknowledge_log_entry",
            "acknowledge_log_entry",
            "annotate_log_entry",
            "escalate_log_entry",
            "notify_log_entry",
            "assign_log_entry",
            "notify_log_entry",
            "resolve_log_entry",
        ]
    );
    let pd = Pd::new(&fake);
    let changed = pd.get(&format!("/log_entries?since={}&is_overview=true", urlencode(&before.to_rfc3339()))).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let entries = changed.body["log_entries"].as_array().unwrap();
    assert_eq!(entries.len(), 7, "the overview leaves out the three notifications");
    assert_eq!(entries[0]["type"], "resolve_log_entry");
    assert_eq!(entries[0]["agent"]["summary"], "Alice Archer", "with its actor");
    assert_eq!(entries[0]["channel"]["type"], "web_ui");
    assert!(entries.iter().all(|e| e["incident"]["id"] == id));
    let future = pd
        .get(&format!("/log_entries?since={}", urlencode(&(Utc::now() + chrono::Duration::minutes(1)).to_rfc3339())))
        .await;
    assert_eq!(future.body["log_entries"], json!([]));
    assert_clean(&fake);
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_and_without_headers() {
    let fake = FakePagerDuty::start_with(FakeOptions { rate_per_minute: 3, ..FakeOptions::default() }).await;
    let pd = Pd::new(&fake);
    for remaining in ["2", "1", "0"] {
        let ok = pd.get("/priorities").await;
        assert_eq!(ok.status, 200);
        assert_eq!(header(&ok.headers, "ratelimit-limit"), Some("3"));
        assert_eq!(header(&ok.headers, "ratelimit-remaining"), Some(remaining));
        assert!(header(&ok.headers, "ratelimit-reset").unwrap().parse::<u64>().unwrap() <= 60);
    }
    let limited = pd.get("/incidents").await;
    assert_eq!(limited.status, 429, "{:?} {:#?}", limited.body, fake.violations());
    assert_eq!(limited.body["error"]["code"], 2020);
    let retry: u64 = header(&limited.headers, "retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(header(&limited.headers, "ratelimit-remaining"), Some("0"));

    fake.set_rate(3, false);
    let bare = pd.get("/incidents").await;
    assert_eq!(bare.status, 429, "{:?} {:#?}", bare.body, fake.violations());
    assert_eq!(bare.body["error"]["code"], 2020);
    assert!(header(&bare.headers, "retry-after").is_none() && header(&bare.headers, "ratelimit-limit").is_none());

    fake.set_rate(960, true);
    let again = pd.get("/incidents").await;
    assert_eq!(again.status, 200);
    assert_eq!(header(&again.headers, "ratelimit-remaining"), Some("956"), "the refused ones did not count");
    assert_eq!(fake.requests().len(), 6, "every request reached the fake, limited or not");
    assert_clean(&fake);
}

#[tokio::test]
async fn a_dropped_answer_is_applied_but_never_arrives() {
    let fake = FakePagerDuty::start().await;
    fake.add_user("Alice Archer", ALICE);
    let service = fake.add_service("Checkout");
    let id = fake.add_incident(NewIncident::new("Checkout is down", &service));
    let pd = Pd::new(&fake);
    fake.drop_next_answer("POST", &format!("/incidents/{id}/notes"));

    let lost = pd
        .request(reqwest::Method::POST, &format!("/incidents/{id}/notes"))
        .header("From", ALICE)
        .json(&json!({"note": {"content": "Rolled back"}}))
        .send()
        .await;
    assert!(lost.is_err(), "no answer arrives: {lost:?}");
    assert_eq!(fake.notes(&id).len(), 1, "but the note was added");
    let notes = pd.get(&format!("/incidents/{id}/notes")).await;
    assert_eq!(notes.status, 200);
    assert_eq!(notes.body["notes"][0]["content"], "Rolled back");
    let second = pd.post(&format!("/incidents/{id}/notes"), ALICE, json!({"note": {"content": "Fixed"}})).await;
    assert_eq!(second.status, 200, "only the next one is dropped");
    assert_eq!(fake.notes(&id).len(), 2);
    assert_clean(&fake);
}

#[test]
fn the_validator_catches_a_wrong_answer_and_names_the_operation_and_path() {
    let spec = pagerduty::spec::spec();
    assert_eq!(spec.media_types_added, 399, "every response of the official document");
    assert_eq!(pagerduty::spec::missing_vendor_media_type(&spec.doc), 0);
    let paths: Vec<&String> = spec.doc["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths.len(), pagerduty::spec::SERVED.len(), "{paths:?}");
    let good = json!({"incident": {"id": "PQ1", "type": "incident", "status": "triggered", "priority": null, "resolved_at": null,
        "service": {"id": "PS1", "type": "service_reference"}}});
    assert_eq!(spec.check_response("GET", "/incidents/{id}", 200, Some(&good)), Vec::<String>::new());
    let mut bad = good.clone();
    bad["incident"]["status"] = json!("acked");
    bad["incident"]["service"] = json!({"id": "PS1", "type": "service"});
    let failures = spec.check_response("GET", "/incidents/{id}", 200, Some(&bad));
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert!(
        failures[0].starts_with("GET /incidents/{id} (getIncident) 200: $.incident.service: matches none"),
        "{}",
        failures[0]
    );
    assert!(failures[1].contains("$.incident.status: \"acked\" is not one of"), "{}", failures[1]);
    let missing = spec.check_response("GET", "/incidents", 200, Some(&json!({"limit": 25})));
    assert!(missing[0].contains("required property incidents is missing"), "{missing:?}");
    let nullable =
        spec.check_response("GET", "/incidents", 200, Some(&json!({"incidents": [], "total": null, "more": "no"})));
    assert_eq!(nullable.len(), 1, "total may be null, more may not be a string: {nullable:?}");
    assert!(spec.check_response("GET", "/incidents", 418, None)[0].contains("not declared"));
}
