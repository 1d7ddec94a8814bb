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
