//! The OpenAPI document in `assets/openapi.json` is generated from the server code; this test
//! fails when the two differ. Regenerate with `cargo run -- openapi > assets/openapi.json`.

#[test]
fn checked_in_openapi_document_is_current() {
    let generated = opsdeck::server::openapi::openapi_json();
    let checked_in = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/openapi.json"))
        .expect("assets/openapi.json exists");
    assert!(
        generated == checked_in,
        "assets/openapi.json is out of date; run `cargo run -- openapi > assets/openapi.json`"
    );
}

#[test]
fn every_route_is_documented() {
    let doc: serde_json::Value = serde_json::from_str(&opsdeck::server::openapi::openapi_json()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/v1/health", &["get"][..]),
        ("/v1/me", &["get"]),
        ("/v1/users", &["get"]),
        ("/v1/changes", &["get"]),
        ("/v1/incidents", &["get", "post"]),
        ("/v1/incidents/{id}", &["get"]),
        ("/v1/incidents/{id}/acknowledge", &["post"]),
        ("/v1/incidents/{id}/escalate", &["post"]),
        ("/v1/incidents/{id}/resolve", &["post"]),
        ("/v1/incidents/{id}/notes", &["post"]),
        ("/v1/incidents/{id}/star", &["post"]),
        ("/v1/services", &["get"]),
        ("/v1/escalation-policies", &["get"]),
        ("/v1/models", &["get"]),
        ("/v1/models/{id}", &["get", "put"]),
        ("/v1/models/{id}/features/{feature}/windows", &["get"]),
        ("/v1/models/{id}/windows", &["put"]),
        ("/v1/models/{id}/quality", &["get", "put"]),
        ("/v1/maintenance", &["get", "post"]),
        ("/v1/maintenance/{id}", &["get", "put"]),
        ("/v1/maintenance/{id}/cancel", &["post"]),
        ("/v1/postmortems", &["get"]),
        ("/v1/postmortems/{id}", &["get", "put"]),
        ("/v1/postmortems/{id}/status", &["post"]),
    ] {
        for method in methods {
            assert!(paths.get(path).and_then(|p| p.get(*method)).is_some(), "{method} {path} is not documented");
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    for schema in [
        "Incident",
        "ChangesPage",
        "ConflictBody",
        "Rejection",
        "ErrorBody",
        "Me",
        "User",
        "UserList",
        "Model",
        "DriftWindow",
        "QualityPoint",
        "MaintenanceWindow",
        "NewMaintenance",
        "MaintenanceEdit",
        "MaintenanceConflictBody",
        "Postmortem",
        "PostmortemSave",
        "StatusBody",
        "PostmortemConflictBody",
        "StarBody",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} missing");
    }
}

#[test]
fn the_document_states_what_the_server_enforces() {
    let doc: serde_json::Value = serde_json::from_str(&opsdeck::server::openapi::openapi_json()).unwrap();
    let mut nulls = Vec::new();
    find_nulls(&doc, "", &mut nulls);
    assert!(nulls.is_empty(), "null where a definition belongs: {nulls:?}");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path} does not document 401");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path} does not document {status}");
                }
            }
            for link in responses.values().filter_map(|r| r.get("links")).flat_map(|l| l.as_object().unwrap().values())
            {
                let target = link["operationId"].as_str().unwrap();
                let exists = doc["paths"]
                    .as_object()
                    .unwrap()
                    .values()
                    .flat_map(|i| i.as_object().unwrap().values())
                    .any(|o| o["operationId"] == target);
                assert!(exists, "{method} {path} links to unknown operation {target}");
            }
        }
    }
    let title = &doc["components"]["schemas"]["NewIncident"]["properties"]["title"];
    assert_eq!(title["minLength"], 1);
    assert!(title["pattern"].as_str().unwrap().contains(r"\u000B-\u001F\u007F-\u009F\u202A-\u202E"), "{title}");
    let limit = &doc["paths"]["/v1/changes"]["get"]["parameters"][1]["schema"];
    assert_eq!((limit["minimum"].as_u64(), limit["maximum"].as_u64()), (Some(1), Some(1000)), "{limit}");
    let links = doc["paths"]["/v1/incidents"]["post"]["responses"]["201"]["links"].as_object().unwrap();
    assert!(links.contains_key("get_incident") && links.contains_key("acknowledge"), "{links:?}");
}

fn find_nulls(value: &serde_json::Value, at: &str, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Null => found.push(at.to_string()),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| find_nulls(v, &format!("{at}/{i}"), found))
        }
        serde_json::Value::Object(fields) => {
            fields.iter().for_each(|(k, v)| find_nulls(v, &format!("{at}/{k}"), found))
        }
        _ => {}
    }
}
