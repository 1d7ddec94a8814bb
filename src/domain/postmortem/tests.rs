use chrono::TimeZone;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 6, 9, 0, 0).unwrap()
}

fn draft(body: &str) -> PostmortemDraft {
    PostmortemDraft { title: " Gateway 5xx after deploy ".into(), body: body.into() }
}

const BODY: &str = "# Summary\n\nIt broke.\n\n## Action items\n\n\
- [ ] Add a canary for the retriever index @lee due:2026-11-20\n\
- [x] Roll back the gateway @erin\n\
- [ ] Page the data team on PSI > 0.25\n\
- not an item\n\
  - [ ] nested items count too @sam due:2026-12-24\n\
### Details under the same section\n\
- [ ] still an item due:2026-12-01\n\
## Lessons learned\n\n- [ ] not an action item @x\n";

#[test]
fn action_items_are_read_from_the_task_list_under_their_heading() {
    let items = action_items(BODY);
    let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Add a canary for the retriever index",
            "Roll back the gateway",
            "Page the data team on PSI > 0.25",
            "nested items count too",
            "still an item"
        ]
    );
    assert_eq!((items[0].owner.as_str(), items[0].due), ("lee", NaiveDate::from_ymd_opt(2026, 11, 20)));
    assert!(items[1].done && items[1].due.is_none());
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    assert_eq!(items.iter().filter(|i| i.is_overdue(today)).count(), 1);
    for item in &items {
        assert_eq!(action_items(&format!("## Action items\n{}\n", item.to_line())), vec![item.clone()]);
    }
}

#[test]
fn an_item_line_names_what_is_wrong() {
    assert!(ActionItem::parse("Fix it due:tomorrow", false).unwrap_err().contains("due:tomorrow"));
    assert!(ActionItem::parse("@lee due:2026-01-01", false).is_err());
    let item = ActionItem::parse("Rotate keys due:2026-01-01 @lee", false).unwrap();
    assert_eq!((item.text.as_str(), item.owner.as_str()), ("Rotate keys", "lee"));
}

#[test]
fn saves_and_status_changes_bump_the_version_and_say_who() {
    let mut pm = Postmortem::create(postmortem_id("INC-1042"), "INC-1042", draft(BODY), "erin", now());
    assert_eq!((pm.id.as_str(), pm.version, pm.title.as_str()), ("PM-1042", 1, "Gateway 5xx after deploy"));
    assert_eq!(pm.open_items(), 4);
    let save = PostmortemAction::Save { incident_id: "INC-1042".into(), draft: draft("## Action items\n- [ ] one\n") };
    pm.apply(&save, "dana", now()).unwrap();
    assert_eq!((pm.version, pm.updated_by.as_str(), pm.action_items.len()), (2, "dana", 1));
    let review = PostmortemAction::SetStatus { status: PostmortemStatus::InReview };
    pm.apply(&review, "dana", now()).unwrap();
    assert!(
        matches!(pm.apply(&review, "dana", now()), Err(Rejection::Invalid { message }) if message.contains("already in review"))
    );
    let elsewhere = PostmortemAction::Save { incident_id: "INC-1".into(), draft: draft("x") };
    assert!(pm.check(&elsewhere).is_err());
    let empty = PostmortemAction::Save {
        incident_id: "INC-1042".into(),
        draft: PostmortemDraft { title: " ".into(), body: String::new() },
    };
    assert!(matches!(pm.check(&empty), Err(Rejection::Invalid { message }) if message.starts_with("title")));
    assert_eq!(pm.version, 3);
    assert_eq!(postmortem_id("P7X2"), "PM-P7X2");
    let md = pm.to_markdown();
    assert!(
        md.starts_with("# Gateway 5xx after deploy\n\n_Postmortem PM-1042 of INC-1042 · in review · version 3"),
        "{md}"
    );
}

#[test]
fn a_draft_file_reads_back_as_the_same_draft() {
    let draft = PostmortemDraft { title: "Gateway 5xx".into(), body: "## Summary\n\nIt broke.\n".into() };
    let file = draft_to_file("PM-1042", "INC-1042", &draft);
    assert!(file.starts_with("# Gateway 5xx\n\n<!-- opsdeck: postmortem PM-1042 of INC-1042"), "{file}");
    assert_eq!(draft_from_file(&file), draft);
    let edited = format!("{}More.\n", file).replace("\n", "\r\n");
    assert_eq!(draft_from_file(&edited).body, "## Summary\n\nIt broke.\nMore.\n");
    assert_eq!(draft_from_file("no title\n").title, "");
}
