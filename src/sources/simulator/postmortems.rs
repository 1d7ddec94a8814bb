//! The demo world's postmortems: pure, written from the simulator's own incidents. The oldest
//! resolved incident of a kind with a story gets a published postmortem (reviewed, then signed
//! off by a commander); a more recently resolved one, of another kind where there is one, gets a
//! draft still being written. Each has one action item done during the incident and one quick fix
//! that was due the day after and is overdue. Every body has the sections a real one has, the
//! timeline is the incident's own, and the root cause says whether it was model behaviour,
//! infrastructure or data.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::postmortem::{ActionItem, postmortem_id};
use crate::domain::{EventKind, Incident, IncidentStatus, Postmortem, PostmortemAction, PostmortemDraft};
use crate::domain::{PostmortemStatus, duration::compact};

/// The commander who signs off published postmortems in the demo.
pub const REVIEWER: &str = "dana";

/// One kind of incident's postmortem, as a team would write it.
struct Story {
    services: &'static [&'static str],
    headline: &'static str,
    /// Model behaviour, infrastructure or data: what failed, and what did not.
    classification: &'static str,
    summary: &'static str,
    impact: &'static str,
    root_cause: &'static str,
    detection: &'static str,
    went_well: &'static [&'static str],
    improve: &'static [&'static str],
    /// Done during the incident.
    done: (&'static str, &'static str),
    /// Promised for the day after, and not done yet.
    hotfix: (&'static str, &'static str),
    /// Owner, text and days from the day of writing.
    follow_ups: &'static [(&'static str, &'static str, i64)],
    lessons: &'static [&'static str],
}

const STORIES: &[Story] = &[
    Story {
        services: &["llm-gateway"],
        headline: "Provider degradation turned into an outage by our own retries",
        classification: "infrastructure — not model behaviour, not data",
        summary: "The model provider lost capacity in one region. The gateway kept sending traffic there and retried every failed call, so a partial degradation on their side became a full outage on ours until failover was done by hand.",
        impact: "Chat and API users served from the affected region got slow or failed answers for the whole incident; at the peak about one request in five failed or exceeded the 1.5 s p95 SLO. Two enterprise customers opened tickets. No data was lost, and answers that did arrive were of normal quality (eval spot-check 0.91 against a 0.92 baseline).",
        root_cause: "The provider's regional capacity dropped. Our failover only triggers after three failed health checks 60 s apart, and the checks use a tiny prompt that still succeeded, so it never triggered. Meanwhile each failed call was retried three times with a fixed 2 s backoff, tripling the load on the degraded region and keeping us rate-limited (HTTP 429) after the provider had recovered. The model itself behaved normally throughout.",
        detection: "The p95 latency alert fired about four minutes after the provider's status page changed. The 429 ratio has no alert of its own; it would have fired first.",
        went_well: &[
            "Failover to the secondary region worked the moment it was triggered by hand.",
            "The provider-outage runbook was current and the first responder followed it.",
            "The status page was updated within ten minutes of the page.",
        ],
        improve: &[
            "Failover depended on a human noticing that the health checks were lying.",
            "The retry policy amplified the outage instead of absorbing it.",
            "Nobody could see per-provider error rates without querying logs.",
        ],
        done: ("Page on a 429 ratio above 5% for 3 minutes", "lee"),
        hotfix: ("Cap gateway retries at 2 with jittered exponential backoff", "omar"),
        follow_ups: &[
            ("sam", "Health checks with a production-sized prompt; fail over after 2 misses 30 s apart", 14),
            ("mei", "Per-provider latency and error dashboard", 30),
            ("dana", "Quarterly regional failover game day", 60),
        ],
        lessons: &[
            "Retries are load: the retry policy is part of the capacity plan.",
            "A failover that needs a human at 3 a.m. is not a failover.",
        ],
    },
    Story {
        services: &["support-assistant"],
        headline: "Weekly release changed how the assistant weighs retrieved policy text",
        classification: "model behaviour — not infrastructure, not data",
        summary: "The weekly release shipped a new prompt template together with a retrained intent classifier. On long conversations the assistant started answering billing questions from its own prior knowledge instead of the retrieved policy documents.",
        impact: "While the release was live, a share of billing answers were wrong or ungrounded: invented refund terms, or questions routed to the technical queue. 31 conversations were flagged by users; four customers were given incorrect refund information and have been contacted by support.",
        root_cause: "The new template moved the retrieved passages after the conversation history. Past about six turns the model weighted the history over the passages and answered ungrounded; the retrained classifier, evaluated on short conversations only, misread the same long conversations. Retrieval returned the right documents throughout (recall@5 unchanged at 0.94) and latency and error rates were normal, so no infrastructure alert fired. The offline eval set has almost no conversations longer than six turns, which is why both changes passed the release gate.",
        detection: "The online grounding check crossed its 5% threshold 47 minutes after the release. The thumbs-down rate had doubled 20 minutes earlier, but it is not alerted on.",
        went_well: &[
            "Rolling back the template behind its feature flag took four minutes.",
            "The grounding check caught it before the support team did.",
            "Flagged conversations were preserved and are now eval cases.",
        ],
        improve: &[
            "Prompt templates and classifier versions ship without a canary.",
            "The eval set under-represents long conversations.",
            "Two model-side changes shipped in one release, which slowed the diagnosis.",
        ],
        done: ("Roll back to prompt template v41 and pin the previous intent classifier", "lee"),
        hotfix: ("Add the 31 flagged conversations to the regression eval set", "priya"),
        follow_ups: &[
            ("mei", "Canary template and classifier changes to 5% of traffic with a grounding comparison", 14),
            ("sam", "Alert on a thumbs-down rate twice the weekly baseline for 30 minutes", 14),
            ("priya", "Grounding eval on conversations of 8+ turns in the release gate", 30),
        ],
        lessons: &[
            "A prompt is code: it needs review, a canary and a rollback like any deploy.",
            "Healthy infrastructure metrics say nothing about answer quality.",
        ],
    },
    Story {
        services: &["rag-retrieval", "embedding-service"],
        headline: "Stale retrieval index served superseded pricing documents",
        classification: "data — not model behaviour, not infrastructure capacity",
        summary: "The nightly index refresh stalled on the embedding quota after a large documentation import. The index kept serving its last good snapshot, so grounded answers were built on documents that had since been replaced, including an old pricing page.",
        impact: "Answers about pricing and plan limits were out of date for the whole incident. Twelve customer tickets quoted the old prices; sales honoured them. No security or privacy impact, and no other service degraded.",
        root_cause: "A documentation import three times the usual size pushed the refresh job over the embedding-service quota. The job retried quietly instead of failing, so its monitoring — which only watches for failed runs — stayed green. The model answered faithfully from what it retrieved: the retrieved documents were stale, the model was not wrong about them. Serving the old snapshot kept the service up, which is the intended behaviour; nothing told anyone it was old.",
        detection: "A support engineer noticed a customer quoting an old price. The index-age alert (older than 24 h) fired two hours later.",
        went_well: &[
            "The manual reindex procedure worked and took 25 minutes.",
            "Serving the last snapshot meant no outage, only staleness.",
            "Support flagged the mismatch quickly and linked the tickets.",
        ],
        improve: &[
            "We monitored the job, not the data: a hung job looked healthy.",
            "The embedding quota was not sized for bulk imports.",
            "Citations do not show how old the source document is.",
        ],
        done: ("Reindex and verify every pricing and plan-limit document", "jordan"),
        hotfix: ("Raise the embedding quota for bulk imports and document how to request it", "alex"),
        follow_ups: &[
            ("omar", "Alert on index age over 6 h and on refresh runs longer than 2 h", 7),
            ("sam", "Throttle bulk imports to stay under the embedding quota", 14),
            ("mei", "Show the source document's date in citations", 30),
        ],
        lessons: &[
            "A grounded model is only as current as its index: monitor the data, not the job.",
            "Staying up on stale data needs an alarm of its own.",
        ],
    },
];

fn story_of(service_id: &str) -> Option<&'static Story> {
    STORIES.iter().find(|s| s.services.contains(&service_id))
}

/// The demo postmortems for `incidents` as of `now`: a published one for the oldest resolved
/// incident that has a story, and a draft for another one — preferably of another story (two
/// identical documents would make a poor demo), then resolved before today (so its day-after fix
/// can be overdue), then the most recently resolved. Nothing when no resolved incident has a story.
pub fn demo_postmortems(incidents: &[Incident], now: DateTime<Utc>) -> Vec<Postmortem> {
    let mut resolved: Vec<(&Incident, &'static Story, DateTime<Utc>)> = incidents
        .iter()
        .filter(|i| i.status == IncidentStatus::Resolved)
        .filter_map(|i| Some((i, story_of(&i.service_id)?, i.resolved_at.filter(|at| *at <= now)?)))
        .collect();
    resolved.sort_by_key(|(i, _, at)| (*at, i.id.clone()));
    let today = now.date_naive();
    match resolved.as_slice() {
        [] => Vec::new(),
        [(only, story, _)] => vec![draft(only, story, today, now)],
        [(oldest, old_story, _), rest @ ..] => {
            let fresh = |(_, story, at): &&(&Incident, &Story, DateTime<Utc>)| {
                (!std::ptr::eq(*story, *old_story), at.date_naive() < today, *at)
            };
            let (recent, story, _) = rest.iter().max_by_key(fresh).copied().unwrap_or(resolved[0]);
            vec![published(oldest, old_story, today, now), draft(recent, story, today, now)]
        }
    }
}

/// The items written during and right after the incident: what was done, and the quick fix
/// promised for the next day (never dated before the incident, so overdue only from the day after).
fn first_items(story: &Story, resolved: DateTime<Utc>, today: NaiveDate) -> [ActionItem; 2] {
    let day = resolved.date_naive();
    let promised = (day + Duration::days(1)).min(today - Duration::days(1)).max(day);
    [item(story.done, day, true), item(story.hotfix, promised, false)]
}

fn published(incident: &Incident, story: &Story, today: NaiveDate, now: DateTime<Utc>) -> Postmortem {
    let resolved = incident.resolved_at.unwrap_or(now);
    let body = body(incident, story, &first_items(story, resolved, today), today);
    let author = resolver(incident);
    let at = |hours: i64| (resolved + Duration::hours(hours)).min(now);
    let id = postmortem_id(&incident.id);
    let mut pm = Postmortem::create(id, &incident.id, PostmortemDraft { title: title(story), body }, &author, at(3));
    let review = PostmortemAction::SetStatus { status: PostmortemStatus::InReview };
    let publish = PostmortemAction::SetStatus { status: PostmortemStatus::Published };
    let _ = pm.apply(&review, &author, at(8));
    let _ = pm.apply(&publish, REVIEWER, at(20));
    pm
}

fn draft(incident: &Incident, story: &Story, today: NaiveDate, now: DateTime<Utc>) -> Postmortem {
    let resolved = incident.resolved_at.unwrap_or(now);
    let mut body = body(incident, story, &first_items(story, resolved, today), today);
    body.push_str("\n_Draft: impact numbers still to be confirmed with support before review._\n");
    let draft = PostmortemDraft { title: title(story), body };
    let at = (resolved + Duration::minutes(40)).min(now);
    Postmortem::create(postmortem_id(&incident.id), &incident.id, draft, &resolver(incident), at)
}

fn title(story: &Story) -> String {
    story.headline.to_string()
}

fn item((text, owner): (&str, &str), due: NaiveDate, done: bool) -> ActionItem {
    ActionItem { text: text.to_string(), owner: owner.to_string(), due: Some(due), done }
}

/// Who resolved the incident (they write the first draft).
fn resolver(incident: &Incident) -> String {
    let resolved = incident.timeline.iter().rev().find(|e| e.kind == EventKind::Resolved);
    resolved.map(|e| e.actor.clone()).or_else(|| incident.assignee.clone()).unwrap_or_else(|| REVIEWER.into())
}

fn bullets(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("- {l}\n")).collect()
}

/// The Markdown body: `written` items first, then the story's follow-ups due from `today`.
fn body(incident: &Incident, story: &Story, written: &[ActionItem], today: NaiveDate) -> String {
    let resolved = incident.resolved_at.unwrap_or(incident.updated_at);
    let took = compact((resolved - incident.triggered_at).num_seconds());
    let mut out = format!(
        "## Summary\n\n{} — {}, {took} from page to resolution, worked up to {} ({}).\n\n{}\n\n",
        incident.title,
        incident.priority.label(),
        incident.tier.label(),
        incident.tier.name(),
        story.summary
    );
    out.push_str(&format!("## Impact\n\n{}\n\n## Timeline (UTC)\n\n", story.impact));
    for event in &incident.timeline {
        let text = if event.text.is_empty() { String::new() } else { format!(": {}", event.text) };
        let at = event.at.format("%Y-%m-%d %H:%M");
        out.push_str(&format!("- {at} {} by {}{text}\n", event.kind.label(), event.actor));
    }
    out.push_str(&format!(
        "\n## Root cause\n\n**Classification:** {}.\n\n{}\n\n",
        story.classification, story.root_cause
    ));
    out.push_str(&format!("## Detection\n\n{}\n\n", story.detection));
    out.push_str(&format!("## What went well\n\n{}\n", bullets(story.went_well)));
    out.push_str(&format!("## What could be improved\n\n{}\n## Action items\n\n", bullets(story.improve)));
    for done in written {
        out.push_str(&format!("{}\n", done.to_line()));
    }
    for (owner, text, days) in story.follow_ups {
        out.push_str(&format!("{}\n", item((text, owner), today + Duration::days(*days), false).to_line()));
    }
    out.push_str(&format!("\n## Lessons learned\n\n{}", bullets(story.lessons)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::postmortem::action_items;
    use crate::domain::{ActionContext, IncidentAction, NewIncident, Priority};
    use chrono::TimeZone;

    fn resolved(id: &str, service: &str, at: DateTime<Utc>, minutes: i64) -> Incident {
        let new =
            NewIncident { title: format!("{service} trouble"), service_id: service.into(), priority: Priority::P2 };
        let mut incident = Incident::trigger(id.into(), new, "alertmanager", at, None);
        let ctx = |m: i64| ActionContext { actor: "lee", now: at + Duration::minutes(m), policy: None };
        incident.apply(&IncidentAction::Acknowledge, ctx(3)).unwrap();
        incident.apply(&IncidentAction::Note { text: "rolled back".into() }, ctx(10)).unwrap();
        incident.apply(&IncidentAction::Resolve, ctx(minutes)).unwrap();
        incident
    }

    fn at_15h() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 15, 0, 0).unwrap()
    }

    #[test]
    fn the_demo_has_a_published_and_a_draft_postmortem_whose_bodies_hold_the_intended_items() {
        let now = at_15h();
        let today = now.date_naive();
        let incidents = vec![
            // Resolved late on the 20th: the quick fix was promised for the 21st.
            resolved("INC-1001", "llm-gateway", now - Duration::hours(40), 50),
            resolved("INC-1002", "doc-processor", now - Duration::hours(30), 40),
            resolved("INC-1003", "support-assistant", now - Duration::hours(20), 70),
            resolved("INC-1004", "support-assistant", now - Duration::hours(3), 70),
            // The same story as the published one: not chosen while another story is there.
            resolved("INC-1005", "llm-gateway", now - Duration::hours(2), 30),
            // Resolved "in the future" (the simulator's history can run past now): never chosen.
            resolved("INC-1006", "rag-retrieval", now - Duration::minutes(30), 45),
        ];
        let pms = demo_postmortems(&incidents, now);
        let ids: Vec<(&str, PostmortemStatus)> = pms.iter().map(|p| (p.id.as_str(), p.status)).collect();
        assert_eq!(ids, [("PM-1001", PostmortemStatus::Published), ("PM-1003", PostmortemStatus::Draft)]);

        let published = &pms[0];
        let who = (published.version, published.created_by.as_str(), published.updated_by.as_str());
        assert_eq!(who, (3, "lee", REVIEWER));
        assert!(published.updated_at <= now && published.title.contains("retries"));
        let items = action_items(&published.body);
        assert_eq!(items, published.action_items, "the stored items are the body's");
        let day = (now - Duration::hours(40)).date_naive();
        let done = item(("Page on a 429 ratio above 5% for 3 minutes", "lee"), day, true);
        let fix = item(
            ("Cap gateway retries at 2 with jittered exponential backoff", "omar"),
            day + Duration::days(1),
            false,
        );
        assert_eq!(items[..2], [done, fix]);
        assert!(items[1].is_overdue(today), "due {:?}, today {today}", items[1].due);
        let later: Vec<(&str, Option<NaiveDate>)> = items[2..].iter().map(|i| (i.owner.as_str(), i.due)).collect();
        let from_today = |days| Some(today + Duration::days(days));
        assert_eq!(later, [("sam", from_today(14)), ("mei", from_today(30)), ("dana", from_today(60))]);
        assert_eq!((published.overdue_items(today), published.open_items()), (1, 4));

        // Resolved yesterday evening: the fix promised for "tomorrow" is due yesterday, the day itself.
        let draft = &pms[1];
        assert_eq!((draft.version, draft.created_by.as_str()), (1, "lee"));
        let items = action_items(&draft.body);
        assert_eq!(items, draft.action_items);
        let day = (now - Duration::hours(20)).date_naive();
        assert_eq!(items.len(), 5);
        assert!(items[0].done && items[0].owner == "lee" && items[0].due == Some(day));
        assert_eq!((items[1].owner.as_str(), items[1].due, items[1].done), ("priya", Some(day), false));
        assert_eq!((draft.overdue_items(today), draft.open_items()), (1, 4));
        assert!(draft.body.ends_with("_Draft: impact numbers still to be confirmed with support before review._\n"));

        for pm in &pms {
            crate::domain::postmortem::validate(&pm.draft()).unwrap();
            for section in [
                "## Summary",
                "## Impact",
                "## Timeline (UTC)",
                "## Root cause",
                "**Classification:**",
                "## Detection",
                "## What went well",
                "## What could be improved",
                "## Action items",
                "## Lessons learned",
            ] {
                assert!(pm.body.contains(section), "{} lacks {section}", pm.id);
            }
            assert!(pm.body.contains("resolved by lee"), "the incident's own timeline: {}", pm.body);
            assert!(pm.action_items.iter().all(|i| !i.owner.is_empty() && i.due.is_some()));
        }
        assert!(pms[0].body.contains("infrastructure — not model behaviour"));
        assert!(pms[1].body.contains("model behaviour — not infrastructure"));
    }

    #[test]
    fn without_another_story_the_draft_is_the_most_recent_and_one_incident_gets_only_a_draft() {
        let now = at_15h();
        let same = [
            resolved("INC-1", "rag-retrieval", now - Duration::hours(30), 30),
            resolved("INC-2", "embedding-service", now - Duration::hours(18), 30),
            resolved("INC-3", "rag-retrieval", now - Duration::hours(4), 30),
        ];
        let pms = demo_postmortems(&same, now);
        let ids: Vec<&str> = pms.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["PM-1", "PM-2"], "resolved before today wins over the most recent");
        assert!(pms[1].body.contains("data — not model behaviour"));

        let one = [resolved("INC-4", "rag-retrieval", now - Duration::hours(5), 30)];
        let pms = demo_postmortems(&one, now);
        assert_eq!((pms.len(), pms[0].status), (1, PostmortemStatus::Draft));
        let fix = &pms[0].action_items[1];
        assert_eq!(fix.due, Some(now.date_naive()), "never due before the incident");
        assert!(!fix.is_overdue(now.date_naive()));
        let without_story = [resolved("INC-5", "billing-meter", now - Duration::hours(5), 30)];
        assert!(demo_postmortems(&without_story, now).is_empty());
    }
}
