use super::*;
use crate::domain::{Command, IncidentAction};
use chrono::TimeZone;

fn at(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap() + chrono::Duration::minutes(min)
}

async fn work_file(dir: &tempfile::TempDir) -> Work {
    Work::open(&DbLocation::File(dir.path().join("work.sqlite"))).await.unwrap()
}

#[tokio::test]
async fn outbox_entries_persist_complete_and_reject() {
    let dir = tempfile::tempdir().unwrap();
    let work = work_file(&dir).await;
    let entry = |key: &str, action| OutboxEntry {
        key: key.into(),
        target_id: "INC-1".into(),
        action: Command::Incident(action),
        base_version: 1,
        epoch: Some("e1".into()),
        created_at: at(0),
        attempts: 0,
        last_error: None,
    };
    let ack = entry("k-ack", IncidentAction::Acknowledge);
    let note = entry("k-note", IncidentAction::Note { text: "restarted the pods".into() });
    work.outbox_insert(&ack).await.unwrap();
    work.outbox_insert(&note).await.unwrap();
    work.outbox_insert(&ack).await.unwrap();
    work.outbox_attempt("k-ack", "connection refused").await.unwrap();
    drop(work);

    let work = work_file(&dir).await;
    let pending = work.outbox().await.unwrap();
    assert_eq!(pending.len(), 2, "inserting the same key twice keeps one");
    assert_eq!(pending[0].attempts, 1);
    assert_eq!(pending[1], note);

    work.outbox_complete("k-ack", &[("k-note".into(), 2)]).await.unwrap();
    let pending = work.outbox().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].base_version, 2);

    let rejected = RejectedEntry { entry: pending[0].clone(), rejected_at: at(3), reason: "forbidden".into() };
    work.outbox_reject(&rejected).await.unwrap();
    assert!(work.outbox().await.unwrap().is_empty());
    assert_eq!(work.rejected(10).await.unwrap(), vec![rejected]);
}

/// A cache written by an earlier release (outbox rows for incidents only, in the cache itself)
/// gives every queued and rejected action to the work file, once: copied, then deleted from the
/// cache; adopting again (a crash between the two) changes nothing.
#[tokio::test]
async fn queued_actions_in_an_old_cache_move_to_the_work_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let first = dir.path().join("first");
    std::fs::create_dir(&first).unwrap();
    std::fs::copy("migrations/cache/0001_init.sql", first.join("0001_init.sql")).unwrap();
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate::Migrator::new(first.as_path()).await.unwrap().run(&pool).await.unwrap();
        sqlx::query(
            "INSERT INTO outbox (key, incident_id, action, base_version, epoch, created_at)
             VALUES ('k1', 'INC-7', '{\"action\":\"note\",\"text\":\"rolled back the index\"}', 3, 'e1', ?)",
        )
        .bind(at(0).to_rfc3339())
        .execute(&pool)
        .await
        .unwrap();
        let old_entry = r#"{"key":"k0","incident_id":"INC-6","action":{"action":"acknowledge"},"base_version":1,
            "epoch":"e1","created_at":"2026-11-05T14:00:00Z","attempts":0,"last_error":null}"#;
        sqlx::query("INSERT INTO outbox_rejected (key, entry, reason, rejected_at) VALUES ('k0', ?, 'forbidden', ?)")
            .bind(old_entry)
            .bind(at(0).to_rfc3339())
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let cache = Cache::open(&DbLocation::File(path)).await.unwrap();
    let work = work_file(&dir).await;
    assert_eq!(work.adopt(&cache).await.unwrap(), 2);
    assert_eq!(work.adopt(&cache).await.unwrap(), 0, "the cache holds none of them any more");
    assert!(cache.legacy_work().await.unwrap().is_empty());
    // A crash after the copy and before the delete leaves the rows in both: adopting them again
    // keeps one of each.
    let pool = cache.file.pool().await.unwrap();
    sqlx::query(
        "INSERT INTO outbox (key, target_id, action, base_version, epoch, created_at)
         VALUES ('k1', 'INC-7', '{\"kind\":\"incident\",\"action\":{\"action\":\"note\",\"text\":\"rolled back the index\"}}', 3, 'e1', ?)",
    )
    .bind(at(0).to_rfc3339())
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(work.adopt(&cache).await.unwrap(), 1);
    let pending = work.outbox().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].target_id, "INC-7");
    assert_eq!(pending[0].action, Command::Incident(IncidentAction::Note { text: "rolled back the index".into() }));
    let rejected = work.rejected(10).await.unwrap();
    assert_eq!(rejected[0].entry.target_id, "INC-6");
    assert_eq!(rejected[0].entry.action, Command::Incident(IncidentAction::Acknowledge));
}

/// Two people share a data folder: each one's journaled draft of the same postmortem is kept
/// apart, and forgetting mine leaves theirs.
#[tokio::test]
async fn journaled_drafts_and_note_drafts_are_kept_per_author() {
    use crate::domain::PostmortemDraft;
    let dir = tempfile::tempdir().unwrap();
    let work = work_file(&dir).await;
    let draft = |author: &str, body: &str| JournaledDraft {
        id: "PM-1".into(),
        incident_id: "INC-1".into(),
        base_version: 0,
        draft: PostmortemDraft { title: "T".into(), body: body.into() },
        journaled_at: at(0),
        author: author.into(),
    };
    work.journal_draft(&draft("token:a", "mine")).await.unwrap();
    work.journal_draft(&draft("token:b", "theirs")).await.unwrap();
    let all = work.drafts().await.unwrap();
    assert_eq!(all, vec![draft("token:a", "mine"), draft("token:b", "theirs")]);
    work.forget_draft("PM-1", "token:a", &draft("token:a", "mine").draft).await.unwrap();
    assert_eq!(work.drafts().await.unwrap(), vec![draft("token:b", "theirs")]);

    let note =
        |author: &str, text: &str| NoteDraft { incident_id: "INC-1".into(), author: author.into(), text: text.into() };
    work.save_note_draft(&note("token:a", "half a thought"), at(1)).await.unwrap();
    work.save_note_draft(&note("token:b", "other"), at(1)).await.unwrap();
    work.save_note_draft(&note("token:a", "a whole thought"), at(2)).await.unwrap();
    drop(work);
    let work = work_file(&dir).await;
    assert_eq!(work.note_drafts().await.unwrap(), vec![note("token:a", "a whole thought"), note("token:b", "other")]);
    work.save_note_draft(&note("token:a", ""), at(3)).await.unwrap();
    assert_eq!(work.note_drafts().await.unwrap(), vec![note("token:b", "other")], "empty text forgets it");
}

#[tokio::test]
async fn a_dropped_action_is_gone_from_disk_queued_or_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let work = work_file(&dir).await;
    let entry = |key: &str| OutboxEntry {
        key: key.into(),
        target_id: "INC-1".into(),
        action: Command::Incident(IncidentAction::Acknowledge),
        base_version: 1,
        epoch: None,
        created_at: at(0),
        attempts: 0,
        last_error: None,
    };
    work.outbox_insert(&entry("k1")).await.unwrap();
    work.outbox_insert(&entry("k2")).await.unwrap();
    let rejected =
        crate::console::outbox::RejectedEntry { entry: entry("k2"), rejected_at: at(1), reason: "no".into() };
    work.outbox_reject(&rejected).await.unwrap();
    work.outbox_drop("k1").await.unwrap();
    work.outbox_drop("k2").await.unwrap();
    assert!(work.outbox().await.unwrap().is_empty());
    assert!(work.rejected(50).await.unwrap().is_empty(), "a rejected entry can be cleared");
}
