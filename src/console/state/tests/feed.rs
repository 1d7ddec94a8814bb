//! Records a page could not read, and actions applied whose answer could not be read.

use super::*;
use crate::api::SkippedRecord;

fn bad(id: &str, problem: &str) -> SkippedRecord {
    SkippedRecord { position: 0, kind: Some("incident".into()), id: Some(id.into()), problem: problem.into() }
}

fn page_with(changes: Vec<Change>, skipped: Vec<SkippedRecord>, unknown_kinds: Vec<String>) -> Event {
    let Event::Synced(mut report) = synced(changes, false) else { unreachable!() };
    report.skipped = skipped;
    report.unknown_kinds = unknown_kinds;
    Event::Synced(report)
}

fn logged(state: &AppState) -> Vec<String> {
    state.messages.newest_first().map(|m| m.text.clone()).collect()
}

#[test]
fn a_skipped_record_is_said_once_and_the_rest_of_the_page_is_taken() {
    let mut state = live(vec![]);
    let good = Change::Incident(incident("INC-7", Priority::P2, 1));
    let update =
        state.update(page_with(vec![good], vec![bad("INC-42", "title: expected a string, got 5")], vec![]), now());
    assert!(update.changed);
    assert!(state.incidents.contains("INC-7"), "the good record is applied");
    assert!(!state.sync.is_stale(), "one bad record does not make the console stale");
    assert_eq!(flash(&state), "1 record skipped: incident INC-42: title: expected a string, got 5");
    assert_eq!(state.flash.as_ref().map(|f| f.level), Some(Level::Warning));

    // The same record on the next poll: nothing new is said.
    let before = state.messages.len();
    let update = state.update(page_with(vec![], vec![bad("INC-42", "title: expected a string, got 5")], vec![]), now());
    assert!(!update.changed);
    assert_eq!(state.messages.len(), before);
    // The same incident broken another way is news.
    state.update(
        page_with(vec![], vec![bad("INC-42", "triggered_at: not an RFC 3339 time: 'yesterday'")], vec![]),
        now(),
    );
    assert_eq!(state.messages.len(), before + 1);
}

#[test]
fn many_skipped_records_are_each_in_the_log_and_summed_up_in_the_status_line() {
    let mut state = live(vec![]);
    let skipped: Vec<SkippedRecord> = (0..25).map(|i| bad(&format!("INC-{i}"), "title: missing")).collect();
    state.update(page_with(vec![], skipped, vec![]), now());
    assert_eq!(flash(&state), "25 records skipped: incident INC-0: title: missing; … (L lists them)");
    let log = logged(&state);
    assert!(log.contains(&"skipped: incident INC-0: title: missing".to_string()), "{log:?}");
    assert!(log.contains(&"skipped: incident INC-19: title: missing".to_string()));
    assert!(log.contains(&"and 5 more skipped records (the log file lists each)".to_string()));
}

#[test]
fn an_unknown_kind_is_mentioned_once_as_information() {
    let mut state = live(vec![]);
    state.update(page_with(vec![], vec![], vec!["runbook".into()]), now());
    assert_eq!(flash(&state), "the backend sends `runbook` records, which this console does not know; skipped");
    let before = state.messages.len();
    state.update(page_with(vec![], vec![], vec!["runbook".into()]), now());
    assert_eq!(state.messages.len(), before);
}

#[test]
fn an_applied_action_with_an_unreadable_answer_completes_and_is_not_sent_again() {
    let mut state = live(vec![incident("INC-1", Priority::P1, 3)]);
    let ack = persisted_entry(&state.update(key('a'), now()));
    state.update(Event::OutboxPersisted { key: ack.key.clone(), error: None }, now());
    let unreadable =
        BackendError::AppliedUnreadable { version: Some(2), problem: "title: expected a string, got 5".into() };
    let update = state.update(Event::OutboxAnswered { key: ack.key.clone(), result: Err(unreadable) }, now());
    assert!(
        update
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Outbox(OutboxEffect::Complete { entry, .. }) if entry.key == ack.key)),
        "{:?}",
        update.effects
    );
    assert!(!update.effects.iter().any(|e| matches!(e, Effect::Outbox(OutboxEffect::Send(_)))), "never sent again");
    assert!(state.outbox.is_empty() && state.outbox.rejected().is_empty());
    let row = state.incidents.row("INC-1").unwrap();
    assert_eq!(row.version(), 2, "the next action goes against the server's new version");
    assert_eq!(
        flash(&state),
        "INC-1: the backend applied it but sent back an item this console cannot read (title: expected a string, \
         got 5); INC-1 is shown as before until a readable copy arrives"
    );
    assert!(logged(&state).contains(&"✓ INC-1 acknowledged".to_string()));
}
