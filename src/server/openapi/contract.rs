//! What the server enforces that the handlers' annotations do not say, written into the OpenAPI
//! document so a client (or a generator such as Schemathesis) reads the rules the server applies:
//!
//! - the answers every endpoint may give: 401 wherever a token is needed; 400 wherever a query,
//!   a header or a body can be malformed; 404 wherever the path names something; 413, 415 and 422
//!   wherever there is a body (see `server::extract`);
//! - the `Idempotency-Key` header's form (1–200 visible ASCII characters);
//! - the rules of the fields of request bodies: no control character but newline and tab and no
//!   bidirectional override in any text (`pattern`), not blank where the server trims and refuses
//!   an empty value, lengths, counts and ranges — each taken from the constant the server checks;
//! - links from the answer that creates an entity to the operations that read and act on it,
//!   carrying its id and version, so a stateful client can follow create → get → act.
//!
//! Rules that JSON Schema cannot state (an end after its start, a sample of the feature's kind,
//! an id in the path that must match the body, a service that must exist) stay in the 422
//! descriptions of their operations.

use serde_json::{Value, json};

use crate::domain::{incident, maintenance, postmortem, ticket};
use crate::server::extract::FORBIDDEN_CLASS;

/// Longest idempotency key; the server refuses longer ones.
const MAX_IDEMPOTENCY_KEY: usize = crate::server::handlers::MAX_KEY_LEN;
/// Longest model id or feature name (`handlers::models`).
const MAX_NAME_CHARS: usize = 100;
/// Most values a sample holds (`handlers::models::MAX_SAMPLE_VALUES`).
const MAX_SAMPLE_VALUES: usize = crate::server::handlers::models::MAX_SAMPLE_VALUES;

/// Completes the generated document in place.
pub fn complete(doc: &mut Value) {
    let paths: Vec<String> = doc["paths"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    for path in &paths {
        for method in ["get", "post", "put"] {
            // `get_mut`, not indexing: indexing a missing key would add it as `null`.
            if let Some(op) = doc["paths"][path].get_mut(method) {
                complete_operation(path, op);
            }
        }
    }
    for (schema, property, rule) in field_rules() {
        let target = doc["components"]["schemas"][schema]["properties"].get_mut(property);
        if let (Some(Value::Object(target)), Value::Object(rule)) = (target, rule) {
            target.extend(rule);
        }
    }
    sample_rules(&mut doc["components"]["schemas"]["Sample"]);
    for schema in REQUEST_SCHEMAS {
        if let Some(schema) = doc["components"]["schemas"].get_mut(*schema) {
            plain_text_everywhere(schema);
        }
    }
    add_links(doc);
}

/// The schemas of request bodies (and what they contain): their strings are stored text.
const REQUEST_SCHEMAS: &[&str] = &[
    "NewIncident",
    "NewTicket",
    "NoteBody",
    "AssignBody",
    "NewMaintenance",
    "PostmortemSave",
    "Model",
    "ModelVersion",
    "Feature",
    "Sample",
    "DriftWindow",
    "QualityPoint",
];

/// Any text: no refused character.
fn text_pattern() -> String {
    format!("^[^{FORBIDDEN_CLASS}]*$")
}

/// Text with at least one character that is not white space (the server trims, then refuses an
/// empty value), and no refused character.
fn nonblank_pattern(also_refused: &str) -> String {
    let f = format!("{FORBIDDEN_CLASS}{also_refused}");
    format!(r"^[^{f}]*[^\s{f}][^{f}]*$")
}

fn text(max: usize) -> Value {
    json!({"pattern": text_pattern(), "maxLength": max})
}

fn nonblank(max: usize) -> Value {
    json!({"pattern": nonblank_pattern(""), "minLength": 1, "maxLength": max})
}

fn nonblank_unbounded() -> Value {
    json!({"pattern": nonblank_pattern(""), "minLength": 1})
}

/// An id or feature name: not blank, no `/` (ids are joined with `/`), at most 100 characters.
fn name() -> Value {
    json!({"pattern": nonblank_pattern("/"), "minLength": 1, "maxLength": MAX_NAME_CHARS})
}

fn field_rules() -> Vec<(&'static str, &'static str, Value)> {
    let share = json!({"minimum": 0.0, "maximum": 1.0});
    let positive = json!({"minimum": 0.0});
    vec![
        ("NewIncident", "title", nonblank(incident::MAX_TITLE_CHARS)),
        ("NewIncident", "service_id", nonblank_unbounded()),
        ("NewTicket", "subject", nonblank(incident::MAX_TITLE_CHARS)),
        ("NewTicket", "customer", nonblank(incident::MAX_NOTE_CHARS)),
        ("NewTicket", "service_id", nonblank_unbounded()),
        ("NewTicket", "description", text(incident::MAX_NOTE_CHARS)),
        ("NoteBody", "text", nonblank(incident::MAX_NOTE_CHARS)),
        ("AssignBody", "to", nonblank(ticket::MAX_ASSIGNEE_CHARS)),
        // An index into the timeline; past its end the answer is a 409 naming the event.
        ("StarBody", "event", json!({"maximum": u32::MAX})),
        ("NewMaintenance", "title", nonblank(maintenance::MAX_TITLE_CHARS)),
        ("NewMaintenance", "description", text(maintenance::MAX_DESCRIPTION_CHARS)),
        ("NewMaintenance", "rrule", text(maintenance::MAX_RRULE_CHARS)),
        (
            "NewMaintenance",
            "services",
            json!({"minItems": 1, "maxItems": maintenance::MAX_SERVICES,
                   "items": {"type": "string", "pattern": nonblank_pattern(""), "minLength": 1,
                             "maxLength": maintenance::MAX_SERVICE_ID_CHARS}}),
        ),
        ("NewMaintenance", "timezone", nonblank_unbounded()),
        ("PostmortemSave", "title", nonblank(postmortem::MAX_TITLE_CHARS)),
        ("PostmortemSave", "body", text(postmortem::MAX_BODY_CHARS)),
        ("Model", "id", name()),
        ("Model", "name", nonblank_unbounded()),
        ("Model", "window_secs", json!({"minimum": 1})),
        ("Feature", "name", name()),
        ("QualityPoint", "hallucination_rate", share.clone()),
        ("QualityPoint", "escalation_rate", share.clone()),
        ("QualityPoint", "intent_misclassification_rate", share.clone()),
        ("QualityPoint", "error_rate", share),
        ("QualityPoint", "csat", json!({"minimum": 1.0, "maximum": 5.0})),
        ("QualityPoint", "latency_p50_ms", positive.clone()),
        ("QualityPoint", "latency_p95_ms", positive.clone()),
        ("QualityPoint", "tokens_per_request", positive.clone()),
        ("QualityPoint", "cost_per_1k_tokens", positive),
    ]
}

/// A sample holds 1 to 100 000 values; a category is not blank.
fn sample_rules(sample: &mut Value) {
    let Some(variants) = sample.get_mut("oneOf").and_then(Value::as_array_mut) else { return };
    for variant in variants {
        let Some(Value::Object(values)) = variant.pointer_mut("/properties/values") else { continue };
        values.insert("minItems".into(), json!(1));
        values.insert("maxItems".into(), json!(MAX_SAMPLE_VALUES));
        if let Some(Value::Object(items)) = values.get_mut("items")
            && items.get("type").is_some_and(|t| t == "string")
        {
            items.insert("pattern".into(), json!(nonblank_pattern("")));
            items.insert("minLength".into(), json!(1));
        }
    }
}

/// Every string of a request schema that has no rule of its own is still stored text.
fn plain_text_everywhere(schema: &mut Value) {
    match schema {
        Value::Object(fields) => {
            let is_string = match fields.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
                _ => false,
            };
            let free = !["pattern", "format", "enum", "$ref"].iter().any(|k| fields.contains_key(*k));
            if is_string && free {
                fields.insert("pattern".into(), json!(text_pattern()));
            }
            for value in fields.values_mut() {
                plain_text_everywhere(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(plain_text_everywhere),
        _ => {}
    }
}

fn error_answer(description: &str) -> Value {
    json!({"description": description,
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
}

/// Adds the answers an operation can give that its annotation leaves out.
fn complete_operation(path: &str, op: &mut Value) {
    let secured = op.get("security").is_some();
    let has_body = op.get("requestBody").is_some();
    let mut has_query_or_key = false;
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for param in params {
            if param["in"] == "query" {
                has_query_or_key = true;
            }
            if param["in"] == "header" && param["name"] == "Idempotency-Key" {
                has_query_or_key = true;
                param["schema"] = json!({"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY,
                                         "pattern": "^[!-~]+$"});
                let described = param["description"].as_str().unwrap_or_default().to_string();
                param["description"] = json!(format!(
                    "{described}. 1–{MAX_IDEMPOTENCY_KEY} visible ASCII characters (`!` to `~`), e.g. a UUID."
                ));
            }
        }
    }
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { return };
    let mut add = |status: &str, description: &str| {
        responses.entry(status.to_string()).or_insert_with(|| error_answer(description));
    };
    if secured {
        add("401", "No or unknown token (`Authorization: Bearer TOKEN`)");
    }
    if has_body {
        add("400", "Malformed body (the message names the field) or idempotency key");
        add("413", "Body larger than the endpoint takes");
        add("415", "Body not sent as `Content-Type: application/json`");
        add("422", "A field breaks a rule of its own (the message names it), e.g. a control character in stored text");
    } else if has_query_or_key {
        add("400", "Malformed query or idempotency key (the message names the parameter)");
    }
    if path.contains('{') {
        add("404", "Nothing under that id");
    }
    if path.starts_with("/v1/incidents/{id}/") {
        source_answers(responses);
    }
}

/// What an action on an incident from a source may add: the source refusing it, the source being
/// unreachable, and the sentence saying the action was opsdeck's own.
fn source_answers(responses: &mut serde_json::Map<String, Value>) {
    responses.entry("503".to_string()).or_insert_with(|| {
        let mut answer = error_answer(
            "The incident's source (the outside system it came from) cannot be reached: nothing was applied; send the same request again (same Idempotency-Key) after Retry-After",
        );
        answer["headers"] = json!({"Retry-After": {"description": "Seconds to wait before sending it again",
                                                   "schema": {"type": "integer", "minimum": 1}}});
        answer
    });
    if let Some(ok) = responses.get_mut("200") {
        ok["headers"] = json!({"Opsdeck-Notice": {
            "description": "When the incident's source cannot do this action and opsdeck recorded it on its own: the sentence that says so (e.g. `Alertmanager has no escalation; escalated in opsdeck only`)",
            "schema": {"type": "string"}}});
    }
    for (status, why) in [
        ("409", "or the incident's source refused it (`source_refused`)"),
        ("422", "or the incident's source cannot do this action at all (`source_refused`)"),
    ] {
        if let Some(answer) = responses.get_mut(status) {
            let described = answer["description"].as_str().unwrap_or_default().to_string();
            answer["description"] = json!(format!("{described}; {why}"));
        }
    }
}

/// Links of one entity kind: the path and method of the operation that answers with the entity,
/// the operations linked to, the path parameter carrying its id, and the statuses linked from.
type LinkSet<'a> = (&'a str, &'a str, &'a [&'a str], &'a str, &'a [&'a str]);

/// Links from the answers that create or return an entity to the operations on it.
fn add_links(doc: &mut Value) {
    let incident_actions = ["get_incident", "acknowledge", "escalate", "resolve", "reassign", "add_note", "star"];
    let ticket_actions =
        ["get_ticket", "take", "assign", "escalate_ticket", "respond_ticket", "pending", "resume", "resolve_ticket"];
    let maintenance_actions = ["get_maintenance", "edit_maintenance", "cancel_maintenance"];
    let postmortem_actions = ["get_postmortem", "set_postmortem_status", "save_postmortem"];
    let model_actions = ["get_model", "list_quality", "list_windows"];
    let sets: [LinkSet; 4] = [
        ("/v1/incidents", "post", &incident_actions, "id", &["201"]),
        ("/v1/tickets", "post", &ticket_actions, "key", &["201"]),
        ("/v1/maintenance", "post", &maintenance_actions, "id", &["201"]),
        ("/v1/postmortems/{id}", "put", &postmortem_actions, "id", &["200", "201"]),
    ];
    for (path, method, targets, param, statuses) in sets {
        for status in statuses {
            let links: serde_json::Map<String, Value> = targets
                .iter()
                .map(|target| {
                    let mut link = json!({"operationId": target, "parameters": {param: "$response.body#/id"}});
                    if param == "key" {
                        link["parameters"] = json!({"key": "$response.body#/key"});
                    }
                    if !target.starts_with("get_") {
                        link["requestBody"] = json!({"version": "$response.body#/version"});
                    }
                    if *target == "save_postmortem" {
                        link["requestBody"] = json!({"version": "$response.body#/version",
                                                     "incident_id": "$response.body#/incident_id"});
                    }
                    (target.to_string(), link)
                })
                .collect();
            doc["paths"][path][method]["responses"][*status]["links"] = Value::Object(links);
        }
    }
    let links: serde_json::Map<String, Value> = model_actions
        .iter()
        .map(|target| {
            let mut link = json!({"operationId": target, "parameters": {"id": "$response.body#/id"}});
            if *target == "list_windows" {
                link["parameters"]["feature"] = json!("$response.body#/features/0/name");
            }
            (target.to_string(), link)
        })
        .collect();
    doc["paths"]["/v1/models/{id}"]["put"]["responses"]["200"]["links"] = Value::Object(links);
}
