//! Reading a `/v1/changes` page record by record, as a console does: one record the console
//! cannot read is skipped and described (its kind and id when they can be read, the field, the
//! problem), and the rest of the page is taken, so one bad record never stops a sync.
//!
//! Each record's `data` is read straight into the type its `kind` names, with the path to the
//! field that failed ([`serde_path_to_error`]); serde's wording is turned into what an on-call
//! engineer reads at a glance: `title: expected a string, got 5`, `created_at: not an RFC 3339
//! time: 'yesterday'`, `service_id: missing`. Kinds this console does not know are not errors
//! (servers add kinds without breaking older consoles): they are counted and named once.
//! Outside text is capped as it is read ([`crate::domain::caps`]), so a 1 MB title is never
//! stored whole; a record whose own id is too long is skipped like a malformed one.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Change, ReceivedPage};
use crate::domain::caps::{self, IdTooLong};
use crate::domain::text::{sanitize, truncate};

/// One record of a page that was not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRecord {
    /// Its place in the page, from 0.
    pub position: usize,
    /// The entity kind as the record names it, when it names one (sanitised, short).
    pub kind: Option<String>,
    /// The entity's id, when it can be read (sanitised, short).
    pub id: Option<String>,
    /// The field and the problem: `title: expected a string, got 5`.
    pub problem: String,
}

impl SkippedRecord {
    /// `incident INC-42: title: expected a string, got 5`; a record without a readable kind or id
    /// is named by its place in the page.
    pub fn describe(&self) -> String {
        match (&self.kind, &self.id) {
            (Some(kind), Some(id)) => format!("{} {id}: {}", kind.replace('_', " "), self.problem),
            (Some(kind), None) => {
                format!("{} (record {} of the page): {}", kind.replace('_', " "), self.position + 1, self.problem)
            }
            (None, _) => format!("record {} of the page: {}", self.position + 1, self.problem),
        }
    }

    /// The same bad record sent again says the same thing: what a console reports only once.
    pub fn identity(&self) -> String {
        match (&self.kind, &self.id) {
            (Some(kind), Some(id)) => format!("{kind}\u{0}{id}\u{0}{}", self.problem),
            _ => self.describe(),
        }
    }
}

/// A changes page as a console reads it: what it can take, what it skipped and why.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedPage {
    pub page: ReceivedPage,
    pub skipped: Vec<SkippedRecord>,
    /// Kinds this console does not know, each once (sanitised, short).
    pub unknown_kinds: Vec<String>,
}

impl<'de> Deserialize<'de> for DecodedPage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            epoch: String,
            cursor: String,
            has_more: bool,
            #[serde(default)]
            remaining: Option<u64>,
            changes: Vec<Value>,
        }
        let raw: Raw = serde_path_to_error::deserialize(d).map_err(|e| {
            let path = e.path().to_string();
            serde::de::Error::custom(format!("the changes page itself: {path}: {}", e.into_inner()))
        })?;
        let mut page = ReceivedPage {
            epoch: raw.epoch,
            cursor: raw.cursor,
            has_more: raw.has_more,
            remaining: raw.remaining,
            changes: Vec::with_capacity(raw.changes.len()),
            skipped_unknown: 0,
        };
        let (mut skipped, mut unknown_kinds) = (Vec::new(), Vec::<String>::new());
        for (position, value) in raw.changes.into_iter().enumerate() {
            match decode_record(position, value) {
                Ok(Record::Change(change)) => page.changes.push(*change),
                Ok(Record::Unknown(kind)) => {
                    page.skipped_unknown += 1;
                    if !unknown_kinds.contains(&kind) {
                        unknown_kinds.push(kind);
                    }
                }
                Err(record) => skipped.push(record),
            }
        }
        Ok(DecodedPage { page, skipped, unknown_kinds })
    }
}

impl DecodedPage {
    /// Reads a page from its bytes: at once into the types when every record is one this console
    /// knows and reads (nearly always), else record by record as [`DecodedPage`]'s `Deserialize`
    /// does, which says what was skipped and why. Both read a good page the same.
    pub fn from_slice(bytes: &[u8]) -> Result<DecodedPage, serde_json::Error> {
        #[derive(Deserialize)]
        struct Typed {
            epoch: String,
            cursor: String,
            has_more: bool,
            #[serde(default)]
            remaining: Option<u64>,
            changes: Vec<Change>,
        }
        if let Ok(typed) = serde_json::from_slice::<Typed>(bytes) {
            let mut changes = typed.changes;
            if changes.iter_mut().all(|change| cap_change(change).is_ok()) {
                let page = ReceivedPage {
                    epoch: typed.epoch,
                    cursor: typed.cursor,
                    has_more: typed.has_more,
                    remaining: typed.remaining,
                    changes,
                    skipped_unknown: 0,
                };
                return Ok(DecodedPage { page, skipped: Vec::new(), unknown_kinds: Vec::new() });
            }
        }
        serde_json::from_slice(bytes)
    }
}

enum Record {
    Change(Box<Change>),
    Unknown(String),
}

/// Shown ids and kinds are cut to this many characters.
const SHOWN_CHARS: usize = 64;

fn shown(s: &str) -> String {
    truncate(&sanitize(s), SHOWN_CHARS).into_owned()
}

fn decode_record(position: usize, value: Value) -> Result<Record, SkippedRecord> {
    let skip = |kind: Option<&str>, id: Option<String>, problem: String| SkippedRecord {
        position,
        kind: kind.map(shown),
        id,
        problem,
    };
    let Value::Object(mut record) = value else {
        return Err(skip(None, None, format!("not an object (got {})", show_value(&value))));
    };
    let kind = match record.get("kind") {
        Some(Value::String(kind)) => kind.clone(),
        Some(other) => return Err(skip(None, None, format!("kind: expected a string, got {}", show_value(other)))),
        None => return Err(skip(None, None, "kind: missing".into())),
    };
    let Some(data) = record.remove("data") else {
        return Err(skip(Some(&kind), None, "data: missing".into()));
    };
    let id = record_id(&kind, &data);
    let fail = |problem: String| skip(Some(&kind), id.clone(), problem);
    let change = match kind.as_str() {
        "incident" => Change::Incident(read(&data).map_err(fail)?),
        "service" => Change::Service(read(&data).map_err(fail)?),
        "escalation_policy" => Change::EscalationPolicy(read(&data).map_err(fail)?),
        "ticket" => Change::Ticket(read(&data).map_err(fail)?),
        "model" => Change::Model(read(&data).map_err(fail)?),
        "drift_window" => Change::DriftWindow(read(&data).map_err(fail)?),
        "quality" => Change::Quality(read(&data).map_err(fail)?),
        "maintenance" => Change::Maintenance(read(&data).map_err(fail)?),
        "postmortem" => Change::Postmortem(read(&data).map_err(fail)?),
        "incident_tail" => Change::IncidentTail(read(&data).map_err(fail)?),
        _ => return Ok(Record::Unknown(shown(&kind))),
    };
    let mut change = change;
    cap_change(&mut change).map_err(|e| fail(e.to_string()))?;
    Ok(Record::Change(Box::new(change)))
}

/// Caps every outside text field of a change (see [`crate::domain::caps`]).
pub fn cap_change(change: &mut Change) -> Result<(), IdTooLong> {
    match change {
        Change::Incident(i) => caps::incident(i),
        Change::Service(s) => caps::service(s),
        Change::EscalationPolicy(p) => caps::policy(p),
        Change::Ticket(t) => caps::ticket(t),
        Change::Model(m) => caps::model(m),
        Change::DriftWindow(w) => caps::drift_window(w),
        Change::Quality(q) => caps::quality(q),
        Change::Maintenance(w) => caps::maintenance(w),
        Change::Postmortem(p) => caps::postmortem(p),
        Change::IncidentTail(t) => caps::incident(&mut t.incident),
    }
}

/// The id a record of `kind` names itself by, if it is there and a string.
fn record_id(kind: &str, data: &Value) -> Option<String> {
    let field = |name: &str| data.get(name).and_then(Value::as_str);
    let id = match kind {
        "ticket" => field("key").map(str::to_string),
        "drift_window" => Some(format!("{}/{}", field("model_id")?, field("feature")?)),
        "quality" => field("model_id").map(str::to_string),
        "incident_tail" => data.get("incident").and_then(|i| i.get("id")).and_then(Value::as_str).map(str::to_string),
        _ => field("id").map(str::to_string),
    }?;
    Some(shown(&id))
}

/// Reads `data` as a `T`, or says which field is wrong and how.
pub fn read<T: DeserializeOwned>(data: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(data).map_err(|e| {
        let path = e.path().clone();
        describe_error(data, &path, &e.into_inner().to_string())
    })
}

/// Turns serde's message about the field at `path` into `field: problem`.
fn describe_error(data: &Value, path: &serde_path_to_error::Path, message: &str) -> String {
    // Map keys in the path come from the record: shown only once made safe.
    let mut field = truncate(&sanitize(&path.to_string()), SHOWN_CHARS).into_owned();
    if field == "." {
        field.clear();
    }
    let at = value_at(data, path);
    let problem = if let Some(missing) = between(message, "missing field `", "`") {
        field = join(&field, missing);
        "missing".to_string()
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        let expected = rest.split_once(", expected ").map_or(rest, |(_, e)| e);
        match at {
            Some(value) => format!("expected {expected}, got {}", show_value(value)),
            None => format!("expected {expected}"),
        }
    } else if CHRONO_MESSAGES.contains(&message) {
        let shown = at.map(show_value).unwrap_or_default();
        if field.ends_with("due") {
            format!("not a date (YYYY-MM-DD): {shown}")
        } else {
            format!("not an RFC 3339 time: {shown}")
        }
    } else {
        sanitize(message).into_owned()
    };
    let problem = truncate(&problem, 200).into_owned();
    if field.is_empty() { problem } else { format!("{field}: {problem}") }
}

/// What chrono says when a string is not a date or time.
const CHRONO_MESSAGES: [&str; 7] = [
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
    "input is out of range",
    "no possible date and time matching input",
    "input is not enough for unique date and time",
    "bad or unsupported format string",
];

fn join(parent: &str, field: &str) -> String {
    if parent.is_empty() { field.to_string() } else { format!("{parent}.{field}") }
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(start)?;
    rest.split_once(end).map(|(inside, _)| inside)
}

fn value_at<'a>(data: &'a Value, path: &serde_path_to_error::Path) -> Option<&'a Value> {
    use serde_path_to_error::Segment;
    let mut at = data;
    for segment in path.iter() {
        at = match segment {
            Segment::Seq { index } => at.get(index)?,
            Segment::Map { key } => at.get(key)?,
            Segment::Enum { .. } | Segment::Unknown => at,
        };
    }
    Some(at)
}

/// A JSON value as a message shows it: strings in quotes, everything short and safe to print.
fn show_value(value: &Value) -> String {
    const MAX: usize = 40;
    match value {
        Value::String(s) => format!("'{}'", truncate(&sanitize(s), MAX)),
        Value::Array(items) => format!("a list of {}", items.len()),
        Value::Object(_) => "an object".to_string(),
        other => truncate(&other.to_string(), MAX).into_owned(),
    }
}

#[cfg(test)]
mod tests;
