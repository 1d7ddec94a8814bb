//! What the Ops API takes as a request body, through the real reference server on 127.0.0.1:0:
//! stored text refuses control characters (newline and tab excepted) and bidirectional overrides
//! with a 422 naming the field, the position and the character, and stores nothing; a body that
//! is not sent as JSON is a 415; an integer written `3.0` is an integer; a `limit` outside 1–1000
//! is a 400 naming it.

#[path = "support/ops.rs"]
mod ops;

use serde_json::json;

use ops::{DANA, ERIN, call, start};
use opsdeck::db::DbLocation;

#[tokio::test]
async fn control_characters_and_bidi_overrides_are_refused_naming_the_field_and_nothing_is_stored() {
    let server = start(DbLocation::Memory).await;
    let osc52 =
        json!({"title": "DB latency\u{1b}]52;c;aGk=\u{7}", "service_id": "support-assistant", "priority": "P2"});
    let answer = call(&server, "POST", DANA, "/v1/incidents", Some(osc52), None).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(answer.body["message"], "title contains a control character at position 11 (U+001B)");
    let listed = call(&server, "GET", DANA, "/v1/incidents?status=all", None, None).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(0), "nothing was stored: {}", listed.body);

    let fine = json!({"title": "DB latency", "service_id": "support-assistant", "priority": "P2"});
    let incident = call(&server, "POST", DANA, "/v1/incidents", Some(fine), None).await;
    assert_eq!(incident.status, 201, "{}", incident.body);
    let id = incident.body["id"].as_str().unwrap().to_string();
    let note = json!({"version": 1, "text": "safe\u{202E}txt.exe"});
    let answer = call(&server, "POST", ERIN, &format!("/v1/incidents/{id}/notes"), Some(note), None).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(answer.body["message"], "text contains a bidirectional override at position 5 (U+202E)");

    let window = json!({"title": "Patch", "kind": "routine", "services": ["support-assistant", "x\u{9b}2J"],
        "start": "2030-01-01T10:00:00Z", "end": "2030-01-01T11:00:00Z", "timezone": "UTC",
        "description": "", "suppress_alerts": true, "pause_sla": false});
    let answer = call(&server, "POST", DANA, "/v1/maintenance", Some(window), None).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(answer.body["message"], "services[1] contains a control character at position 2 (U+009B)");

    // Newlines and tabs are text; so are other scripts and emoji.
    let note = json!({"version": 1, "text": "line one\n\tline two — שלום 👩‍💻"});
    let answer = call(&server, "POST", ERIN, &format!("/v1/incidents/{id}/notes"), Some(note), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let timeline = answer.body["timeline"].as_array().unwrap();
    assert_eq!(timeline.last().unwrap()["text"], "line one\n\tline two — שלום 👩‍💻");
}

#[tokio::test]
async fn a_body_not_sent_as_json_is_a_415_and_an_integral_number_is_an_integer() {
    let server = start(DbLocation::Memory).await;
    let fine = json!({"title": "DB latency", "service_id": "support-assistant", "priority": "P2"});
    let incident = call(&server, "POST", DANA, "/v1/incidents", Some(fine), None).await;
    let id = incident.body["id"].as_str().unwrap().to_string();
    let url = format!("{}/v1/incidents/{id}/acknowledge", server.url());
    let http = reqwest::Client::new();
    let plain = http.post(&url).bearer_auth(ERIN).body(r#"{"version": 1}"#).send().await.unwrap();
    assert_eq!(plain.status(), 415);
    let body: serde_json::Value = plain.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("Content-Type: application/json"), "{body}");

    let float = http
        .post(&url)
        .bearer_auth(ERIN)
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"version": 1.0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(float.status(), 200);
    let not_integral = http.post(&url).bearer_auth(ERIN).json(&json!({"version": 1.5})).send().await.unwrap();
    assert_eq!(not_integral.status(), 400);
    let body: serde_json::Value = not_integral.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().starts_with("version:"), "{body}");
}

#[tokio::test]
async fn a_limit_outside_the_documented_range_is_refused_naming_it() {
    let server = start(DbLocation::Memory).await;
    for path in ["/v1/changes?limit=2147483648", "/v1/changes?limit=1001", "/v1/incidents?limit=0"] {
        let answer = call(&server, "GET", DANA, path, None, None).await;
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert!(answer.body["message"].as_str().unwrap().contains("limit"), "{path}: {}", answer.body);
    }
    let answer = call(&server, "GET", DANA, "/v1/changes?limit=1000", None, None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}
