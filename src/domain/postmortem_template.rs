//! The body a new postmortem starts from: a Markdown template whose `{{placeholders}}` are filled
//! in from the incident, the tickets linked to it and the SLA clocks it breached.
//!
//! The template ships as `assets/postmortem-template.md` ([`TEMPLATE`]); a team may bring its own.
//! [`render`] fills in the placeholders it knows ([`PLACEHOLDERS`], spaces inside the braces
//! allowed) and leaves any other `{{…}}` as written, so a team's template never breaks. It makes
//! one pass: text that came from an incident is never read as a placeholder itself.
//!
//! Every string taken from an incident or ticket goes through [`sanitize`] and is kept on one
//! line; inside the timeline table `|` and `\` are escaped too, so a note cannot add a column or
//! a row. The template's own lines are cleaned the same way, so the result never holds a control
//! character other than `\n`.

use std::borrow::Cow;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::incident::{EventKind, Incident, TimelineEvent};
use super::postmortem::MAX_TITLE_CHARS;
use super::text::{sanitize, truncate};
use super::ticket::Ticket;

/// The template a new postmortem starts from.
pub const TEMPLATE: &str = include_str!("../../assets/postmortem-template.md");

/// The placeholders [`render`] fills in.
pub const PLACEHOLDERS: [&str; 19] = [
    "incident_id",
    "incident_title",
    "priority",
    "status",
    "service",
    "services",
    "tier",
    "assignee",
    "zone",
    "started",
    "ended",
    "duration",
    "ticket_count",
    "tickets",
    "sla_breaches",
    "timeline",
    "triggered",
    "acknowledged",
    "time_to_acknowledge",
];

/// An SLA clock of the incident or a linked ticket that breached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaBreach {
    /// The incident's id or the ticket's key.
    pub id: String,
    /// `"response"` or `"resolution"`.
    pub clock: &'static str,
    pub target: Duration,
    pub overdue_by: Duration,
}

/// What a postmortem's first draft is made from.
#[derive(Debug, Clone)]
pub struct TemplateInput<'a> {
    pub incident: &'a Incident,
    /// Tickets whose `linked_incident` is this incident.
    pub tickets: Vec<&'a Ticket>,
    pub breaches: Vec<SlaBreach>,
    /// The zone for the timeline's local-time column (the UTC column is always there).
    pub tz: Tz,
    /// For the duration of an incident not yet resolved ("ongoing, 3h 20m so far").
    pub now: DateTime<Utc>,
}

/// The title a new postmortem gets: `Postmortem: <incident title> (INC-1042)`, sanitised and at
/// most [`MAX_TITLE_CHARS`] characters; a long incident title is cut so that the id stays.
pub fn title(incident: &Incident) -> String {
    let id = one_line(&incident.id);
    let name = one_line(&incident.title);
    const PREFIX: &str = "Postmortem: ";
    if name.is_empty() {
        return truncate(&format!("{PREFIX}{id}"), MAX_TITLE_CHARS).into_owned();
    }
    let fixed = PREFIX.chars().count() + " ()".len() + id.chars().count();
    match MAX_TITLE_CHARS.checked_sub(fixed).filter(|budget| *budget >= 20) {
        Some(budget) => format!("{PREFIX}{} ({id})", truncate(&name, budget)),
        // An id too long to keep whole: cut the whole title instead.
        None => truncate(&format!("{PREFIX}{name} ({id})"), MAX_TITLE_CHARS).into_owned(),
    }
}

/// `template` with its placeholders filled in from `input`. Unknown placeholders are left as
/// they are; the result never contains control characters other than `\n`.
pub fn render(template: &str, input: &TemplateInput) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    for (i, line) in template.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = if line.contains('\t') { Cow::Owned(line.replace('\t', "    ")) } else { Cow::Borrowed(line) };
        fill(&sanitize(&line), input, &mut out);
    }
    out
}

/// Appends `line` to `out` with the placeholders it knows replaced, in one pass.
fn fill(line: &str, input: &TemplateInput, out: &mut String) {
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let filled = after.find("}}").and_then(|end| Some((end, value(after[..end].trim(), input)?)));
        match filled {
            Some((end, value)) => {
                out.push_str(&value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// The text of placeholder `name`, or `None` for a name this renderer does not know.
fn value(name: &str, input: &TemplateInput) -> Option<String> {
    let incident = input.incident;
    let tz = input.tz;
    Some(match name {
        "incident_id" => one_line(&incident.id),
        "incident_title" => one_line(&incident.title),
        "priority" => incident.priority.label().to_string(),
        "status" => incident.status.label().to_string(),
        "service" => one_line(&incident.service_id),
        "services" => services(input),
        "tier" => format!("{} ({})", incident.tier.label(), incident.tier.name()),
        "assignee" => incident.assignee.as_deref().map(one_line).unwrap_or_else(|| "nobody".into()),
        "zone" => tz.name().to_string(),
        "started" => stamp(incident.triggered_at, tz),
        "ended" => incident.resolved_at.map(|at| stamp(at, tz)).unwrap_or_else(|| "ongoing".into()),
        "duration" => duration_line(input),
        "ticket_count" => input.tickets.len().to_string(),
        "tickets" => tickets(input),
        "sla_breaches" => breaches(input),
        "timeline" => timeline(incident, tz),
        "triggered" => triggered(incident, tz),
        "acknowledged" => match first_ack(incident) {
            Some((at, by)) if by.is_empty() => stamp(at, tz),
            Some((at, by)) => format!("{} by {by}", stamp(at, tz)),
            None => "not acknowledged".into(),
        },
        "time_to_acknowledge" => match first_ack(incident) {
            Some((at, _)) => human(at - incident.triggered_at),
            None => "—".into(),
        },
        _ => return None,
    })
}

/// Sanitised and on one line, with runs of whitespace as single spaces.
fn one_line(s: &str) -> String {
    sanitize(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One line made safe for a table cell: `|` cannot end the cell nor `\` escape the border.
fn cell(s: &str) -> String {
    let line = one_line(s);
    if line.is_empty() {
        return "—".into();
    }
    line.replace('\\', "\\\\").replace('|', "\\|")
}

/// A duration as `1h 25m`, `2d 3h`, `40m`, or `35s` under a minute; negative counts as zero.
fn human(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    if secs < 60 {
        return format!("{secs}s");
    }
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let parts: Vec<String> = [(days, 'd'), (hours, 'h'), (minutes, 'm')]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    parts.join(" ")
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// The local time, `15:03 CET`, with the date in front when it is not the UTC date.
fn local(at: DateTime<Utc>, tz: Tz) -> String {
    let here = at.with_timezone(&tz);
    if here.date_naive() == at.date_naive() {
        here.format("%H:%M %Z").to_string()
    } else {
        here.format("%Y-%m-%d %H:%M %Z").to_string()
    }
}

/// `2026-11-05 14:03 UTC (15:03 CET)`.
fn stamp(at: DateTime<Utc>, tz: Tz) -> String {
    format!("{} UTC ({})", utc(at), local(at, tz))
}

fn duration_line(input: &TemplateInput) -> String {
    let incident = input.incident;
    let start = stamp(incident.triggered_at, input.tz);
    match incident.resolved_at {
        Some(end) => format!("{start} → {} ({})", stamp(end, input.tz), human(end - incident.triggered_at)),
        None => format!("{start} → ongoing ({} so far)", human(input.now - incident.triggered_at)),
    }
}

/// The tickets most urgent first, then by key.
fn sorted_tickets<'a>(input: &TemplateInput<'a>) -> Vec<&'a Ticket> {
    let mut tickets = input.tickets.clone();
    tickets.sort_by(|a, b| (a.priority, &a.key).cmp(&(b.priority, &b.key)));
    tickets
}

/// The incident's service, and the other services its tickets were filed against.
fn services(input: &TemplateInput) -> String {
    let own = one_line(&input.incident.service_id);
    let mut others: Vec<String> = Vec::new();
    for ticket in sorted_tickets(input) {
        let service = one_line(&ticket.service_id);
        if !service.is_empty() && service != own && !others.contains(&service) {
            others.push(service);
        }
    }
    if others.is_empty() { own } else { format!("{own}; linked tickets also name {}", others.join(", ")) }
}

fn tickets(input: &TemplateInput) -> String {
    if input.tickets.is_empty() {
        return "_No tickets are linked to this incident._".into();
    }
    let lines: Vec<String> = sorted_tickets(input)
        .into_iter()
        .map(|t| {
            format!(
                "- {} · {} · {} — {}",
                one_line(&t.key),
                t.priority.label(),
                one_line(&t.customer),
                one_line(&t.subject)
            )
        })
        .collect();
    lines.join("\n")
}

fn breaches(input: &TemplateInput) -> String {
    if input.breaches.is_empty() {
        return "_No SLA clock breached._".into();
    }
    let lines: Vec<String> = input
        .breaches
        .iter()
        .map(|b| {
            format!(
                "- {} {} clock: target {}, overdue by {}",
                one_line(&b.id),
                one_line(b.clock),
                human(b.target),
                human(b.overdue_by)
            )
        })
        .collect();
    lines.join("\n")
}

/// The first acknowledgement: when and by whom. An escalation clears `acknowledged_at`, so the
/// timeline is asked first.
fn first_ack(incident: &Incident) -> Option<(DateTime<Utc>, String)> {
    let event = incident.timeline.iter().filter(|e| e.kind == EventKind::Acknowledged).min_by_key(|e| e.at);
    match event {
        Some(e) => Some((e.at, one_line(&e.actor))),
        None => incident.acknowledged_at.map(|at| (at, incident.assignee.as_deref().map(one_line).unwrap_or_default())),
    }
}

fn triggered(incident: &Incident, tz: Tz) -> String {
    let by = incident.timeline.iter().find(|e| e.kind == EventKind::Triggered).map(|e| one_line(&e.actor));
    match by.filter(|by| !by.is_empty()) {
        Some(by) => format!("{} by {by}", stamp(incident.triggered_at, tz)),
        None => stamp(incident.triggered_at, tz),
    }
}

/// The timeline as tables: the starred events under "Key moments", then every event under "All
/// events"; just the one table when nothing is starred. Events in time order.
fn timeline(incident: &Incident, tz: Tz) -> String {
    let mut events: Vec<&TimelineEvent> = incident.timeline.iter().collect();
    if events.is_empty() {
        return "_No events recorded._".into();
    }
    events.sort_by_key(|e| e.at);
    let starred: Vec<&TimelineEvent> = events.iter().copied().filter(|e| e.starred).collect();
    if starred.is_empty() {
        return table(&events, tz);
    }
    format!("### Key moments\n\n{}\n\n### All events\n\n{}", table(&starred, tz), table(&events, tz))
}

fn table(events: &[&TimelineEvent], tz: Tz) -> String {
    // The zone's abbreviations over the events: `CET`, or `CEST/CET` across a change of time.
    let mut zones: Vec<String> = Vec::new();
    for e in events {
        let zone = e.at.with_timezone(&tz).format("%Z").to_string();
        if !zones.contains(&zone) {
            zones.push(zone);
        }
    }
    let mut out = format!("| UTC | Local ({}) | Actor | What happened |\n|---|---|---|---|", zones.join("/"));
    for e in events {
        let text = one_line(&e.text);
        let what = match e.kind.label() {
            label if text.is_empty() => label.to_string(),
            // `escalated to T2 technical` says what it is already.
            label if text.starts_with(label) => text,
            label => format!("{label}: {text}"),
        };
        out.push_str(&format!("\n| {} | {} | {} | {} |", utc(e.at), local(e.at, tz), cell(&e.actor), cell(&what)));
    }
    out
}

#[cfg(test)]
mod tests;
