use chrono::TimeZone;

use super::*;
use crate::domain::escalation::Tier;
use crate::domain::incident::{IncidentStatus, Priority};
use crate::domain::postmortem::action_items;
use crate::domain::ticket::NewTicket;

const BERLIN: Tz = chrono_tz::Europe::Berlin;

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 12, 10, 0).unwrap() + Duration::minutes(min)
}

fn ev(min: i64, kind: EventKind, actor: &str, text: &str) -> TimelineEvent {
    TimelineEvent { at: t(min), kind, actor: actor.into(), text: text.into(), starred: false }
}

/// P1 on llm-gateway, 12:10–13:35 UTC, acknowledged by dana after 7 minutes, escalated to T2.
fn incident() -> Incident {
    Incident {
        id: "INC-1042".into(),
        version: 9,
        title: "Gateway 5xx after model v41 rollout".into(),
        service_id: "llm-gateway".into(),
        priority: Priority::P1,
        status: IncidentStatus::Resolved,
        tier: Tier::T2,
        assignee: Some("sam".into()),
        triggered_at: t(0),
        updated_at: t(85),
        acknowledged_at: Some(t(20)),
        resolved_at: Some(t(85)),
        timeline: vec![
            ev(0, EventKind::Triggered, "alertmanager", "P1 opened"),
            ev(0, EventKind::Notified, "opsdeck", "paged dana (T1 first response)"),
            ev(7, EventKind::Acknowledged, "dana", ""),
            ev(15, EventKind::Escalated, "dana", "escalated to T2 technical"),
            ev(20, EventKind::Acknowledged, "sam", ""),
            ev(31, EventKind::Note, "sam", "Rolled the gateway back to v40"),
            ev(85, EventKind::Resolved, "sam", ""),
        ],
        source: None,
    }
}

fn ticket(key: &str, priority: Priority, service: &str, subject: &str) -> Ticket {
    let new = NewTicket {
        subject: subject.into(),
        customer: "Northwind Travel".into(),
        service_id: service.into(),
        priority,
        tier: Tier::T1,
        linked_incident: Some("INC-1042".into()),
        description: None,
    };
    Ticket::open(key.into(), new, "portal", t(12))
}

fn input<'a>(incident: &'a Incident, tickets: &'a [Ticket]) -> TemplateInput<'a> {
    TemplateInput { incident, tickets: tickets.iter().collect(), breaches: Vec::new(), tz: BERLIN, now: t(200) }
}

/// The rows of the tables in `body` (lines starting with `|`, without the header and the rule).
fn rows(body: &str) -> Vec<&str> {
    body.lines().filter(|l| l.starts_with("| 20")).collect()
}

/// The cells of a table row, unescaped: split at the `|` that are not escaped.
fn cells(row: &str) -> Vec<String> {
    let (mut cells, mut cell) = (Vec::new(), String::new());
    let mut chars = row.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => cell.extend(chars.next()),
            '|' => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    cells.push(cell);
    // `| a | b |` splits into "", " a ", " b ", "".
    cells[1..cells.len() - 1].iter().map(|c| c.trim().to_string()).collect()
}

#[test]
fn the_template_is_filled_from_the_incident() {
    let incident = incident();
    let tickets = [
        ticket("SUP-2050", Priority::P2, "support-assistant", "Assistant answers with an error page"),
        ticket("SUP-2042", Priority::P1, "llm-gateway", "Chat widget says 'model overloaded'"),
    ];
    let mut input = input(&incident, &tickets);
    input.breaches.push(SlaBreach {
        id: "SUP-2042".into(),
        clock: "response",
        target: Duration::minutes(15),
        overdue_by: Duration::minutes(65),
    });
    let body = render(TEMPLATE, &input);

    assert!(!body.contains("{{"), "a placeholder of the template was not filled:\n{body}");
    for expected in [
        "INC-1042 · P1 · llm-gateway — Gateway 5xx after model v41 rollout",
        "- **Duration:** 2026-11-05 12:10 UTC (13:10 CET) → 2026-11-05 13:35 UTC (14:35 CET) (1h 25m)",
        "- **Service(s):** llm-gateway; linked tickets also name support-assistant",
        "- **Highest tier reached:** T2 (technical)",
        "- **Linked tickets:** 2",
        // Most urgent first.
        "- SUP-2042 · P1 · Northwind Travel — Chat widget says 'model overloaded'\n\
         - SUP-2050 · P2 · Northwind Travel — Assistant answers with an error page",
        "- SUP-2042 response clock: target 15m, overdue by 1h 5m",
        "_Times in UTC and in Europe/Berlin.",
        "- **Triggered:** 2026-11-05 12:10 UTC (13:10 CET) by alertmanager",
        // The first acknowledgement, not the one after the escalation.
        "- **First acknowledged:** 2026-11-05 12:17 UTC (13:17 CET) by dana",
        "- **Time to acknowledge:** 7m",
        "| 2026-11-05 12:41 | 13:41 CET | sam | note: Rolled the gateway back to v40 |",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in:\n{body}");
    }
}

#[test]
fn every_listed_placeholder_is_known_and_others_are_left_as_written() {
    let incident = incident();
    let input = input(&incident, &[]);
    for name in PLACEHOLDERS {
        let placeholder = format!("{{{{{name}}}}}");
        assert_ne!(render(&placeholder, &input), placeholder, "{name} is not filled");
    }
    assert_eq!(
        render("a {{team_channel}} b {{ incident_id }} {{}} {{unclosed", &input),
        "a {{team_channel}} b INC-1042 {{}} {{unclosed"
    );
    assert_eq!(render("{{{incident_id}}}", &input), "{{{incident_id}}}");
}

#[test]
fn text_from_the_incident_is_never_read_as_a_placeholder() {
    let mut incident = incident();
    incident.title = "{{timeline}} and {{incident_id}}".into();
    assert_eq!(render("{{incident_title}}", &input(&incident, &[])), "{{timeline}} and {{incident_id}}");
}

#[test]
fn starred_events_come_first_as_key_moments() {
    let mut incident = incident();
    // Out of time order in the vector; the tables are in time order.
    incident.timeline.swap(2, 5);
    for e in &mut incident.timeline {
        e.starred = matches!(e.kind, EventKind::Escalated | EventKind::Note);
    }
    let body = render("{{timeline}}", &input(&incident, &[]));

    let key = body.find("### Key moments").expect("a key moments table");
    let all = body.find("### All events").expect("an all events table");
    assert!(key < all);
    let (key_rows, all_rows) = (rows(&body[key..all]), rows(&body[all..]));
    let what = |rows: &[&str]| rows.iter().map(|r| cells(r)[3].clone()).collect::<Vec<_>>();
    assert_eq!(what(&key_rows), ["escalated to T2 technical", "note: Rolled the gateway back to v40"]);
    assert_eq!(all_rows.len(), incident.timeline.len());
    let times: Vec<String> = all_rows.iter().map(|r| cells(r)[0].clone()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    assert_eq!(cells(all_rows[2])[2], "dana", "the first acknowledgement is third");
}

#[test]
fn without_starred_events_there_is_one_table() {
    let incident = incident();
    let body = render("{{timeline}}", &input(&incident, &[]));
    assert!(!body.contains("Key moments") && !body.contains("All events"));
    assert_eq!(body.matches("| UTC | Local (CET) | Actor | What happened |").count(), 1);
    assert_eq!(rows(&body).len(), incident.timeline.len());
    assert_eq!(body.lines().next(), Some("| UTC | Local (CET) | Actor | What happened |"));
    assert_eq!(rows(&body)[0], "| 2026-11-05 12:10 | 13:10 CET | alertmanager | triggered: P1 opened |");
    assert!(rows(&body).contains(&"| 2026-11-05 13:35 | 14:35 CET | sam | resolved |"));
}

#[test]
fn an_unresolved_incident_is_ongoing() {
    let mut incident = incident();
    incident.status = IncidentStatus::Triggered;
    incident.resolved_at = None;
    incident.acknowledged_at = None;
    incident.timeline.retain(|e| matches!(e.kind, EventKind::Triggered | EventKind::Notified));
    let mut input = input(&incident, &[]);
    input.now = t(200);
    let body = render("{{duration}}\n{{ended}}\n{{acknowledged}}\n{{time_to_acknowledge}}", &input);
    assert_eq!(body, "2026-11-05 12:10 UTC (13:10 CET) → ongoing (3h 20m so far)\nongoing\nnot acknowledged\n—");
}

#[test]
fn an_acknowledgement_missing_from_the_timeline_falls_back_to_the_fields() {
    let mut incident = incident();
    incident.timeline.retain(|e| e.kind != EventKind::Acknowledged);
    let body = render("{{acknowledged}} / {{time_to_acknowledge}}", &input(&incident, &[]));
    assert_eq!(body, "2026-11-05 12:30 UTC (13:30 CET) by sam / 20m");
}

#[test]
fn hostile_strings_come_out_inert_and_the_table_keeps_one_row_per_event() {
    let mut incident = incident();
    incident.id = "INC-1042\u{1b}]52;c;aGVsbG8=\u{7}".into();
    incident.title = "Gateway | down\n## Action items\n- [ ] pwned @x due:2026-01-01\u{1b}[2J".into();
    incident.service_id = "llm-\u{202e}gateway".into();
    incident.timeline.push(TimelineEvent {
        at: t(40),
        kind: EventKind::Note,
        actor: "ev|il\r\n| x | y |".into(),
        text: "a | b\nc\u{1b}[31m red \\| d \\".into(),
        starred: true,
    });
    let tickets = [ticket("SUP-1\n", Priority::P1, "x", "line one\n- [ ] fake @owner due:2026-12-01 \u{9b}31m")];
    let mut input = input(&incident, &tickets);
    input.breaches.push(SlaBreach {
        id: "INC\u{1b}[1m".into(),
        clock: "response",
        target: Duration::zero(),
        overdue_by: Duration::seconds(-5),
    });
    let body = render(TEMPLATE, &input);

    assert!(!body.chars().any(|c| c.is_control() && c != '\n'), "a control character in:\n{body:?}");
    assert!(!body.contains('\u{202e}') && !body.contains("52;c") && !body.contains("[2J"));
    assert!(body.contains("INC-1042 · P1 · llm-gateway — Gateway | down ## Action items - [ ] pwned"));
    assert!(body.contains("- SUP-1 · P1 · Northwind Travel — line one - [ ] fake @owner due:2026-12-01"));
    assert!(body.contains("- INC response clock: target 0s, overdue by 0s"));
    assert!(action_items(&body).is_empty(), "text from the incident became an action item");

    let rows = rows(&body);
    assert_eq!(rows.len(), 1 + incident.timeline.len(), "one key moment and every event");
    for row in &rows {
        assert_eq!(cells(row).len(), 4, "{row}");
    }
    let hostile = cells(rows[0]);
    assert_eq!(hostile[2], "ev|il | x | y |");
    assert_eq!(hostile[3], "note: a | b c red \\| d \\");
}

#[test]
fn the_template_lines_are_cleaned_too() {
    let incident = incident();
    let body = render("a\tb\r\nc\u{1b}[31m{{incident_id}}\u{7}\n", &input(&incident, &[]));
    assert_eq!(body, "a    b\ncINC-1042\n");
}

#[test]
fn the_template_example_items_are_not_action_items() {
    let incident = incident();
    let body = render(TEMPLATE, &input(&incident, &[]));
    assert!(body.contains("- [ ] Model behaviour"), "the root cause checklist is there");
    assert!(action_items(&body).is_empty(), "{:?}", action_items(&body));

    // The commented lines have the right form: written out with a date, they are items.
    let written = body
        .lines()
        .map(|l| match l.strip_prefix("<!-- ").and_then(|l| l.strip_suffix(" -->")) {
            Some(item) => item.replace("YYYY-MM-DD", "2026-12-01"),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let items = action_items(&written);
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| i.owner == "owner" && i.due.is_some() && !i.done));
}

#[test]
fn title_names_the_incident_and_fits() {
    let mut incident = incident();
    assert_eq!(title(&incident), "Postmortem: Gateway 5xx after model v41 rollout (INC-1042)");

    incident.title = "x".repeat(500);
    let long = title(&incident);
    assert_eq!(long.chars().count(), MAX_TITLE_CHARS);
    assert!(long.ends_with("x… (INC-1042)"), "{long}");

    incident.title = "Hostile\u{1b}]52;c;aGVsbG8=\u{7} title\n\nover lines".into();
    assert_eq!(title(&incident), "Postmortem: Hostile title over lines (INC-1042)");

    incident.title = " \n ".into();
    assert_eq!(title(&incident), "Postmortem: INC-1042");

    incident.title = "Short".into();
    incident.id = "I".repeat(300);
    assert_eq!(title(&incident).chars().count(), MAX_TITLE_CHARS);
}

#[test]
fn durations_read_like_1h_25m() {
    let cases = [(0, "0s"), (40, "40s"), (60, "1m"), (25 * 60, "25m"), (3_600, "1h"), (5_100, "1h 25m")];
    for (secs, expected) in cases {
        assert_eq!(human(Duration::seconds(secs)), expected);
    }
    assert_eq!(human(Duration::minutes(3 * 24 * 60 + 5)), "3d 5m");
    assert_eq!(human(Duration::seconds(-30)), "0s");
}

#[test]
fn local_times_carry_the_date_when_it_differs_and_the_zone_it_was_in() {
    let at = Utc.with_ymd_and_hms(2026, 11, 5, 3, 0, 0).unwrap();
    assert_eq!(local(at, chrono_tz::America::Los_Angeles), "2026-11-04 19:00 PST");
    assert_eq!(stamp(at, BERLIN), "2026-11-05 03:00 UTC (04:00 CET)");

    // Berlin leaves summer time at 01:00 UTC on 2026-10-25.
    let mut incident = incident();
    let before = Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap();
    incident.timeline = vec![ev(0, EventKind::Triggered, "a", ""), ev(0, EventKind::Note, "b", "")];
    incident.timeline[0].at = before;
    incident.timeline[1].at = before + Duration::hours(1);
    let body = render("{{timeline}}", &input(&incident, &[]));
    assert!(body.starts_with("| UTC | Local (CEST/CET) | Actor | What happened |"), "{body}");
    assert_eq!(rows(&body)[0], "| 2026-10-25 00:30 | 02:30 CEST | a | triggered |");
    assert_eq!(rows(&body)[1], "| 2026-10-25 01:30 | 02:30 CET | b | note |");
}

#[test]
fn no_tickets_no_breaches_no_events_say_so() {
    let mut incident = incident();
    incident.timeline.clear();
    let body = render("{{tickets}}\n{{sla_breaches}}\n{{timeline}}\n{{services}}", &input(&incident, &[]));
    assert_eq!(
        body,
        "_No tickets are linked to this incident._\n_No SLA clock breached._\n_No events recorded._\nllm-gateway"
    );
}
