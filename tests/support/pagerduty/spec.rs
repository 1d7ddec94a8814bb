//! PagerDuty's official OpenAPI document as the fake's judge: the copy given to Prism (written once
//! per test process) and a validator of the fake's answers against that copy's response schemas.
//!
//! The copy differs from the official file in three ways:
//! - every response `content` also lists `application/vnd.pagerduty+json;version=2`, the `Accept`
//!   the real API asks for (Prism answers it with 406 otherwise);
//! - [`ERRATA`]: five places where the document contradicts what PagerDuty answers (and what its
//!   own other schemas say); each is patched narrowly, with the reason beside it;
//! - only the operations of the paths the fake serves are kept ([`SERVED`]).
//!
//! The validator is a small one for the subset of JSON Schema the document uses (checked by
//! listing every keyword in it): `$ref` (JSON pointers, also into `allOf` parts), `allOf`, `oneOf`
//! (exactly one), `anyOf`, `type`, OpenAPI 3.0 `nullable`, `enum`, `properties`, `required`,
//! `additionalProperties`, `items`, `minItems`/`maxItems`, `uniqueItems`, `minLength`/`maxLength`,
//! `minimum`/`maximum`, `pattern`, and the formats `date-time`, `email`, `url`/`uri`. `readOnly`,
//! `discriminator`, `deprecated` and descriptions do not constrain an answer.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};

/// The official document, kept in the repository: PagerDuty/api-schema
/// `reference/REST/openapiv3.json` (HEAD 91a06fb, changed 2026-08-14, OpenAPI 3.0.2), unchanged.
const OFFICIAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pagerduty/openapiv3.json");

/// `OPSDECK_PAGERDUTY_SPEC` (to judge the fake by a newer document), else the kept copy.
fn official() -> PathBuf {
    std::env::var_os("OPSDECK_PAGERDUTY_SPEC").map_or_else(|| PathBuf::from(OFFICIAL), PathBuf::from)
}
/// The `Accept` the real API is called with.
pub const VENDOR_MEDIA_TYPE: &str = "application/vnd.pagerduty+json;version=2";

/// `(JSON pointer, what is done there, why)`.
const ERRATA: &[(&str, &str, &str)] = &[
    (
        "/components/schemas/AcknowledgeLogEntry/allOf/1/properties/type/enum",
        "[\"acknowledge_log_entry\"]",
        "the schema says acknowledgement_log_entry while LogEntry's enum (and the API) say acknowledge_log_entry: as written no acknowledgement entry can validate",
    ),
    (
        "/components/schemas/Channel",
        "oneOf→anyOf",
        "the five channel shapes overlap (every property optional), so any channel matches several and oneOf would refuse them all",
    ),
    (
        "/components/schemas/Incident/allOf/1/properties/priority",
        "nullable",
        "accounts without priorities (and incidents without one) answer priority: null",
    ),
    ("/components/schemas/Incident/allOf/1/properties/resolved_at", "nullable", "null until the incident is resolved"),
    (
        "/components/schemas/LogEntry/allOf/1/properties/incident",
        "IncidentReference|embedded incident",
        "with include[]=incidents (a documented parameter of the log entry lists) the entry embeds the whole incident; \
         checked here as an object of type incident with id and status only: the whole Incident schema under each of \
         the 17 log entry types makes Prism start twice as slowly, and the fake renders it as GET /incidents answers it",
    ),
];

/// Statuses PagerDuty sends on operations that do not declare them, checked against the shared
/// error response of that name: every operation is rate-limited (a few declare no 429), and
/// `PUT /incidents/{id}` refuses impossible changes with 400 (codes 1001–1012) but declares none.
pub const UNDECLARED: &[(u16, &str)] = &[(429, "TooManyRequests"), (400, "ArgumentError")];

/// The paths the fake serves. The copy keeps only these (all their operations, as the official
/// document defines them) and the components they reach: Prism reads 176 KB instead of 2 MB and
/// listens in 7–9 s instead of 15–24 s on this 2-core machine under load (`prism --version`
/// alone: 4 s); a request to any other path is refused by Prism (no path matched) and recorded.
pub const SERVED: &[&str] = &[
    "/users",
    "/incidents",
    "/incidents/{id}",
    "/incidents/{id}/notes",
    "/incidents/{id}/log_entries",
    "/log_entries",
    "/services",
    "/escalation_policies",
    "/priorities",
];

/// The spec copy: its path on disk (for Prism) and its parsed form (for the validator).
pub struct Spec {
    pub path: PathBuf,
    pub doc: Value,
    /// Response objects of the whole official document given the vendor media type.
    pub media_types_added: usize,
}

/// Written on first use in this test process, under cargo's temp dir for integration tests.
pub fn spec() -> Arc<Spec> {
    static SPEC: OnceLock<Arc<Spec>> = OnceLock::new();
    SPEC.get_or_init(|| {
        let official = official();
        let text = std::fs::read_to_string(&official)
            .unwrap_or_else(|e| panic!("reading PagerDuty's OpenAPI document {}: {e}", official.display()));
        let mut doc: Value = serde_json::from_str(&text).expect("PagerDuty's OpenAPI document is JSON");
        let media_types_added = list_vendor_media_type(&mut doc);
        apply_errata(&mut doc);
        keep_served_paths(&mut doc);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pagerduty-spec");
        std::fs::create_dir_all(&dir).expect("creating the spec copy's folder");
        let path = dir.join("openapiv3.json");
        let partial = dir.join(format!("openapiv3.json.{}", std::process::id()));
        std::fs::write(&partial, serde_json::to_vec(&doc).expect("the copy serialises"))
            .expect("writing the spec copy");
        std::fs::rename(&partial, &path).expect("putting the spec copy in place");
        Arc::new(Spec { path, doc, media_types_added })
    })
    .clone()
}

/// Adds the vendor media type beside `application/json` in every response, inline or shared.
fn list_vendor_media_type(doc: &mut Value) -> usize {
    fn add(response: &mut Value) -> usize {
        let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else { return 0 };
        match content.get("application/json").cloned() {
            Some(json) if !content.contains_key(VENDOR_MEDIA_TYPE) => {
                content.insert(VENDOR_MEDIA_TYPE.to_string(), json);
                1
            }
            _ => 0,
        }
    }
    let mut n = 0;
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut() {
                if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                    n += responses.values_mut().map(add).sum::<usize>();
                }
            }
        }
    }
    if let Some(responses) = doc.pointer_mut("/components/responses").and_then(Value::as_object_mut) {
        n += responses.values_mut().map(add).sum::<usize>();
    }
    n
}

/// Drops the paths the fake does not serve and every component no kept path reaches.
fn keep_served_paths(doc: &mut Value) {
    let paths = doc["paths"].as_object_mut().expect("the spec has paths");
    paths.retain(|path, _| SERVED.contains(&path.as_str()));
    let mut reached: std::collections::BTreeSet<(String, String)> = Default::default();
    let mut pending = vec![doc["paths"].clone()];
    while let Some(value) = pending.pop() {
        let mut refs = Vec::new();
        collect_refs(&value, &mut refs);
        for target in refs {
            let parts: Vec<&str> = target.trim_start_matches("#/").split('/').collect();
            let [_, kind, name, ..] = parts.as_slice() else { continue };
            let name = name.replace("~1", "/").replace("~0", "~");
            if reached.insert((kind.to_string(), name.clone())) {
                pending.push(doc["components"][*kind][&name].clone());
            }
        }
    }
    let components = doc["components"].as_object_mut().expect("the spec has components");
    for (kind, entries) in components.iter_mut() {
        if kind == "securitySchemes" {
            continue;
        }
        if let Some(entries) = entries.as_object_mut() {
            entries.retain(|name, _| reached.contains(&(kind.clone(), name.clone())));
        }
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, v) in object {
                match (key.as_str(), v) {
                    ("$ref", Value::String(target)) => out.push(target.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn apply_errata(doc: &mut Value) {
    for (pointer, change, _why) in ERRATA {
        let at = doc.pointer_mut(pointer).unwrap_or_else(|| panic!("erratum for {pointer}: no such place in the spec"));
        match *change {
            "oneOf→anyOf" => {
                let object = at.as_object_mut().expect("an erratum on an object");
                let alternatives = object.remove("oneOf").unwrap_or_else(|| panic!("{pointer} has no oneOf any more"));
                object.insert("anyOf".into(), alternatives);
            }
            "nullable" => {
                let old = at.take();
                *at = if old.get("$ref").is_some() {
                    json!({"nullable": true, "allOf": [old]})
                } else {
                    let mut old = old;
                    old["nullable"] = json!(true);
                    old
                };
            }
            "IncidentReference|embedded incident" => {
                let embedded = json!({"allOf": [{"$ref": "#/components/schemas/Tag/allOf/0"}, {
                    "type": "object", "required": ["id", "type", "status"],
                    "properties": {"type": {"type": "string", "enum": ["incident"]}, "status": {"type": "string"}},
                }]});
                *at = json!({"anyOf": [at.take(), embedded]});
            }
            literal => *at = serde_json::from_str(literal).expect("an erratum's literal is JSON"),
        }
    }
}

impl Spec {
    /// Checks one answer: `path` is the spec's template (`/incidents/{id}`). Returns the failures,
    /// each naming the operation, the status and the JSON path.
    pub fn check_response(&self, method: &str, path: &str, status: u16, body: Option<&Value>) -> Vec<String> {
        let op_name = format!("{} {path}", method.to_uppercase());
        let Some(op) = self.doc.pointer(&format!("/paths/{}/{}", escape(path), method.to_lowercase())) else {
            return vec![format!("{op_name}: not an operation of the spec")];
        };
        let id = op.get("operationId").and_then(Value::as_str).unwrap_or("?");
        let label = format!("{op_name} ({id}) {status}");
        let declared = op.pointer(&format!("/responses/{status}")).or_else(|| op.pointer("/responses/default"));
        let shared = UNDECLARED
            .iter()
            .find(|(code, _)| *code == status)
            .map(|(_, name)| &self.doc["components"]["responses"][name]);
        let Some(mut response) = declared.or(shared) else {
            return vec![format!("{label}: status not declared by the spec")];
        };
        if let Some(target) = response.get("$ref").and_then(Value::as_str) {
            response = self.resolve(target);
        }
        let schema = response.pointer("/content/application~1json/schema");
        match (schema, body) {
            (None, None) => Vec::new(),
            (None, Some(_)) => vec![format!("{label}: a body where the spec declares none")],
            // A bare answer (a 429 without body, as PagerDuty sometimes sends) has nothing to check.
            (Some(_), None) => Vec::new(),
            (Some(schema), Some(body)) => {
                let mut failures = Vec::new();
                self.check(schema, body, "$", &mut failures, 0);
                failures.into_iter().map(|f| format!("{label}: {f}")).collect()
            }
        }
    }

    fn resolve(&self, target: &str) -> &Value {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("only local $refs are used, not {target}"));
        self.doc.pointer(pointer).unwrap_or_else(|| panic!("$ref {target} names nothing in the spec"))
    }

    /// Pushes `"{path}: {what is wrong}"` for each failure of `value` against `schema`.
    fn check(&self, schema: &Value, value: &Value, path: &str, out: &mut Vec<String>, depth: usize) {
        assert!(depth < 64, "the spec's $refs loop at {path}");
        let Some(s) = schema.as_object() else { return };
        if let Some(target) = s.get("$ref").and_then(Value::as_str) {
            return self.check(self.resolve(target), value, path, out, depth + 1);
        }
        if value.is_null() && s.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.check(part, value, path, out, depth + 1);
            }
        }
        for (keyword, exactly_one) in [("oneOf", true), ("anyOf", false)] {
            let Some(alternatives) = s.get(keyword).and_then(Value::as_array) else { continue };
            let results: Vec<Vec<String>> = alternatives
                .iter()
                .map(|alt| {
                    let mut failures = Vec::new();
                    self.check(alt, value, path, &mut failures, depth + 1);
                    failures
                })
                .collect();
            let matched = results.iter().filter(|r| r.is_empty()).count();
            if matched == 0 {
                let closest = results.iter().min_by_key(|r| r.len()).expect("alternatives");
                out.push(format!(
                    "{path}: matches none of the {} alternatives of {keyword} (closest: {})",
                    alternatives.len(),
                    closest.join("; ")
                ));
            } else if exactly_one && matched > 1 {
                out.push(format!("{path}: matches {matched} of the alternatives of oneOf, not exactly one"));
            }
        }
        if let Some(expected) = s.get("type").and_then(Value::as_str) {
            let ok = match expected {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                _ => true,
            };
            if !ok {
                out.push(format!("{path}: expected {expected}, found {}", kind(value)));
                return;
            }
        }
        if let Some(allowed) = s.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            out.push(format!("{path}: {value} is not one of {}", Value::Array(allowed.clone())));
        }
        match value {
            Value::Object(object) => {
                for name in s.get("required").and_then(Value::as_array).into_iter().flatten() {
                    let name = name.as_str().unwrap_or_default();
                    if !object.contains_key(name) {
                        out.push(format!("{path}: required property {name} is missing"));
                    }
                }
                let properties = s.get("properties").and_then(Value::as_object);
                for (name, field) in object {
                    let at = format!("{path}.{name}");
                    match properties.and_then(|p| p.get(name)) {
                        Some(field_schema) => self.check(field_schema, field, &at, out, depth + 1),
                        None => match s.get("additionalProperties") {
                            Some(Value::Bool(false)) => out.push(format!("{at}: property not allowed")),
                            Some(extra @ Value::Object(_)) => self.check(extra, field, &at, out, depth + 1),
                            _ => {}
                        },
                    }
                }
            }
            Value::Array(items) => {
                let count = items.len() as u64;
                if let Some(min) = s.get("minItems").and_then(Value::as_u64).filter(|min| count < *min) {
                    out.push(format!("{path}: {count} items, at least {min} required"));
                }
                if let Some(max) = s.get("maxItems").and_then(Value::as_u64).filter(|max| count > *max) {
                    out.push(format!("{path}: {count} items, at most {max} allowed"));
                }
                if s.get("uniqueItems") == Some(&Value::Bool(true)) {
                    let mut seen = std::collections::HashSet::new();
                    if !items.iter().all(|i| seen.insert(i.to_string())) {
                        out.push(format!("{path}: items are not unique"));
                    }
                }
                if let Some(item_schema) = s.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item_schema, item, &format!("{path}[{i}]"), out, depth + 1);
                    }
                }
            }
            Value::String(text) => self.check_string(s, text, path, out),
            Value::Number(n) => {
                let n = n.as_f64().unwrap_or_default();
                if let Some(min) = s.get("minimum").and_then(Value::as_f64).filter(|min| n < *min) {
                    out.push(format!("{path}: {n} is below the minimum {min}"));
                }
                if let Some(max) = s.get("maximum").and_then(Value::as_f64).filter(|max| n > *max) {
                    out.push(format!("{path}: {n} is above the maximum {max}"));
                }
            }
            _ => {}
        }
    }

    fn check_string(&self, s: &serde_json::Map<String, Value>, text: &str, path: &str, out: &mut Vec<String>) {
        let chars = text.chars().count() as u64;
        if let Some(min) = s.get("minLength").and_then(Value::as_u64).filter(|min| chars < *min) {
            out.push(format!("{path}: {chars} characters, at least {min} required"));
        }
        if let Some(max) = s.get("maxLength").and_then(Value::as_u64).filter(|max| chars > *max) {
            out.push(format!("{path}: {chars} characters, at most {max} allowed"));
        }
        if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
            match regex::Regex::new(pattern) {
                Ok(re) if !re.is_match(text) => out.push(format!("{path}: {text:?} does not match {pattern}")),
                Ok(_) => {}
                Err(e) => out.push(format!("{path}: the spec's pattern {pattern} does not compile: {e}")),
            }
        }
        let format_ok = match s.get("format").and_then(Value::as_str) {
            Some("date-time") => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            Some("email") => text.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.')),
            Some("url" | "uri") => reqwest::Url::parse(text).is_ok(),
            _ => true,
        };
        if !format_ok {
            let format = s.get("format").and_then(Value::as_str).unwrap_or_default();
            out.push(format!("{path}: {text:?} is not a valid {format}"));
        }
    }
}

/// A path template as a JSON pointer token (`/` is `~1`).
fn escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Response objects of the copy that lack the vendor media type (none, for the fake's tests).
pub fn missing_vendor_media_type(doc: &Value) -> usize {
    list_vendor_media_type(&mut doc.clone())
}
