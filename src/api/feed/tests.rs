use super::*;

/// The page read record by record, checked to be what the client's quick read of its bytes
/// gives too (every test here is also one of `DecodedPage::from_slice`).
fn page(records: &str) -> DecodedPage {
    let json = format!(r#"{{"epoch":"e","cursor":"9","has_more":false,"changes":[{records}]}}"#);
    let decoded: DecodedPage = serde_json::from_str(&json).expect("the page itself is well formed");
    assert_eq!(DecodedPage::from_slice(json.as_bytes()).unwrap(), decoded, "both reads agree");
    decoded
}

#[test]
fn a_page_of_many_good_records_reads_the_same_both_ways_with_its_remaining_count() {
    let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 5, 14, 0, 0).unwrap();
    let changes: Vec<Change> = crate::fixtures::many_incidents(50, now).into_iter().map(Change::Incident).collect();
    let typed = crate::api::ChangesPage {
        epoch: "e".into(),
        cursor: "50".into(),
        has_more: true,
        remaining: Some(950),
        changes: changes.clone(),
    };
    let json = serde_json::to_string(&typed).unwrap();
    let quick = DecodedPage::from_slice(json.as_bytes()).unwrap();
    assert_eq!(quick, serde_json::from_str::<DecodedPage>(&json).unwrap());
    assert_eq!(quick.page.changes, changes);
    assert_eq!(quick.page.remaining, Some(950));
    let old_server = json.replace(r#""remaining":950,"#, "");
    assert_eq!(DecodedPage::from_slice(old_server.as_bytes()).unwrap().page.remaining, None, "optional");
}

fn incident(id: &str, title: &str, created: &str) -> String {
    format!(
        r#"{{"kind":"incident","data":{{"id":"{id}","version":1,"title":{title},"service_id":"llm-gateway",
        "priority":"P1","status":"triggered","tier":"T1","assignee":null,"triggered_at":"{created}",
        "updated_at":"2026-11-05T14:00:00Z","acknowledged_at":null,"resolved_at":null,"timeline":[]}}}}"#
    )
}

const SERVICE: &str = r#"{"kind":"service","data":{"id":"llm-gateway","name":"LLM Gateway","description":"","escalation_policy_id":"p"}}"#;

#[test]
fn a_good_incident_is_read() {
    let decoded = page(&incident("INC-1", r#""p95 latency""#, "2026-11-05T13:00:00Z"));
    assert!(decoded.skipped.is_empty(), "{:?}", decoded.skipped);
    assert!(matches!(&decoded.page.changes[0], Change::Incident(i) if i.title == "p95 latency"));
}

#[test]
fn a_wrongly_typed_field_skips_only_that_record_and_names_it() {
    let decoded = page(&format!("{SERVICE},{},{SERVICE}", incident("INC-42", "5", "2026-11-05T13:00:00Z")));
    assert_eq!(decoded.page.changes.len(), 2, "the good records are taken");
    let [skipped] = decoded.skipped.as_slice() else { panic!("{:?}", decoded.skipped) };
    assert_eq!(skipped.describe(), "incident INC-42: title: expected a string, got 5");
    assert_eq!(skipped.position, 1);
}

#[test]
fn a_bad_date_says_which_field() {
    let decoded = page(&incident("INC-7", r#""x""#, "yesterday"));
    assert_eq!(decoded.skipped[0].describe(), "incident INC-7: triggered_at: not an RFC 3339 time: 'yesterday'");
}

#[test]
fn a_missing_field_and_a_nested_one_are_named_by_their_path() {
    let decoded = page(
        r#"{"kind":"service","data":{"id":"s1","name":"S","escalation_policy_id":"p"}},
        {"kind":"escalation_policy","data":{"id":"p1","name":"P","levels":[{"tier":"T1","targets":["a"],"escalate_after_minutes":"soon"}]}}"#,
    );
    let described: Vec<String> = decoded.skipped.iter().map(SkippedRecord::describe).collect();
    assert_eq!(
        described,
        [
            "service s1: description: missing",
            "escalation policy p1: levels[0].escalate_after_minutes: expected u32, got 'soon'"
        ]
    );
}

#[test]
fn records_without_a_readable_kind_are_named_by_their_place() {
    let decoded = page(&format!(r#"5, {{"data":{{}}}}, {{"kind":7}}, {{"kind":"incident"}}, {SERVICE}"#));
    let described: Vec<String> = decoded.skipped.iter().map(SkippedRecord::describe).collect();
    assert_eq!(
        described,
        [
            "record 1 of the page: not an object (got 5)",
            "record 2 of the page: kind: missing",
            "record 3 of the page: kind: expected a string, got 7",
            "incident (record 4 of the page): data: missing",
        ]
    );
    assert_eq!(decoded.page.changes.len(), 1);
}

#[test]
fn unknown_kinds_are_counted_and_named_once_not_reported_as_bad() {
    let decoded = page(&format!(
        r#"{{"kind":"runbook","data":{{"id":"RB-1"}}}}, {{"kind":"runbook","data":5}}, {{"kind":"pager\u001b[2J","data":{{}}}}, {SERVICE}"#
    ));
    assert!(decoded.skipped.is_empty());
    assert_eq!(decoded.page.skipped_unknown, 3);
    assert_eq!(decoded.unknown_kinds, ["runbook", "pager"]);
}

#[test]
fn ids_and_problems_from_the_record_are_sanitised() {
    let decoded = page(&incident(r"INC-\u001b]52;c;eA==\u00079", "[1]", "2026-11-05T13:00:00Z"));
    assert_eq!(decoded.skipped[0].describe(), "incident INC-9: title: expected a string, got a list of 1");
}

#[test]
fn a_huge_title_is_capped_as_it_is_read_and_an_overlong_id_skips_the_record() {
    let title = format!("\"{}\"", "x".repeat(1_000_000));
    let long_id = "I".repeat(caps::ID_BYTES + 1);
    let decoded = page(&format!(
        "{},{}",
        incident("INC-1", &title, "2026-11-05T13:00:00Z"),
        incident(&long_id, r#""t""#, "2026-11-05T13:00:00Z")
    ));
    let Change::Incident(kept) = &decoded.page.changes[0] else { panic!() };
    assert!(kept.title.len() <= caps::NAME_BYTES && kept.title.ends_with('…'));
    assert_eq!(decoded.skipped.len(), 1);
    assert!(decoded.skipped[0].problem.starts_with("id: 257 bytes, longer than an id may be"), "{:?}", decoded.skipped);
}

#[test]
fn a_page_that_is_not_a_page_fails_whole_naming_the_field() {
    let err = serde_json::from_str::<DecodedPage>(r#"{"epoch":"e","has_more":false,"changes":[]}"#).unwrap_err();
    assert!(err.to_string().contains("cursor"), "{err}");
}

#[test]
fn a_strict_page_refuses_what_a_console_would_skip() {
    let json = format!(r#"{{"epoch":"e","cursor":"9","has_more":false,"changes":[{}]}}"#, incident("INC-42", "5", "x"));
    let err = serde_json::from_str::<ReceivedPage>(&json).unwrap_err();
    assert!(err.to_string().starts_with("incident INC-42: title:"), "{err}");
}
