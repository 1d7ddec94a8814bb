use super::*;
use crate::domain::{Command, IncidentAction, NewIncident, NewTicket, Priority, TicketAction, Tier};
use chrono::TimeZone;

fn at(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap() + chrono::Duration::minutes(min)
}

fn incident(id: &str, priority: Priority, min: i64) -> Incident {
    let new = NewIncident { title: format!("{id} title"), service_id: "llm-gateway".into(), priority };
    Incident::trigger(id.into(), new, "am", at(min), None)
}

fn page(changes: Vec<Change>, cursor: &str) -> ReceivedPage {
    ReceivedPage { epoch: "e1".into(), cursor: cursor.into(), has_more: false, changes, skipped_unknown: 0 }
}

async fn file_cache(dir: &tempfile::TempDir) -> Cache {
    Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap()
}

#[tokio::test]
async fn monitoring_rows_are_kept_for_the_retention_period_and_cleared_by_a_reset() {
    use crate::domain::{DriftWindow, Sample};
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
    let window = |days_ago: i64| {
        let start = at(0) - chrono::Duration::days(days_ago);
        DriftWindow {
            model_id: "m".into(),
            feature: "f".into(),
            start,
            end: start + chrono::Duration::hours(1),
            current: Sample::Numeric(vec![1.0]),
        }
    };
    let changes = vec![Change::DriftWindow(window(20)), Change::DriftWindow(window(1))];
    cache.apply_page(&page(changes, "1"), false, at(0)).await.unwrap();
    let rows = cache.monitoring().await.unwrap();
    assert_eq!(rows.windows, vec![window(1)], "20 days is past the 14-day retention");
    cache.apply_page(&page(vec![], "2"), true, at(1)).await.unwrap();
    assert_eq!(cache.monitoring().await.unwrap(), MonitoringRows::default());
}

#[tokio::test]
async fn pages_survive_reopening_in_list_order() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
    let mut resolved = incident("INC-1", Priority::P1, 0);
    resolved.status = crate::domain::IncidentStatus::Resolved;
    resolved.resolved_at = Some(at(5));
    let changes = vec![
        Change::Incident(incident("INC-2", Priority::P3, 1)),
        Change::Incident(resolved),
        Change::Incident(incident("INC-3", Priority::P1, 2)),
        Change::Incident(incident("INC-4", Priority::P1, 3)),
    ];
    cache.apply_page(&page(changes, "4"), false, at(10)).await.unwrap();
    drop(cache);
    let cache = file_cache(&dir).await;
    let snapshot = cache.snapshot(2).await.unwrap();
    assert_eq!(snapshot.total, 4);
    let ids: Vec<_> = snapshot.incidents.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["INC-4", "INC-3"], "P1s first, newest first");
    let all: Vec<_> = cache.incidents().await.unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(all, ["INC-4", "INC-3", "INC-2", "INC-1"]);
    assert_eq!(snapshot.sync, SyncMeta { cursor: Some("4".into()), epoch: Some("e1".into()), last_ok: Some(at(10)) });
}

#[tokio::test]
async fn an_older_version_never_overwrites_a_newer_one() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
    let mut newer = incident("INC-1", Priority::P2, 0);
    newer.version = 5;
    let older = incident("INC-1", Priority::P2, 0);
    cache.put_incidents(&[newer.clone()]).await.unwrap();
    cache.put_incidents(&[older]).await.unwrap();
    assert_eq!(cache.incidents().await.unwrap(), vec![newer]);
}

#[tokio::test]
async fn reset_empties_the_cache_before_the_new_page() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
    cache
        .apply_page(&page(vec![Change::Incident(incident("INC-1", Priority::P2, 0))], "1"), false, at(1))
        .await
        .unwrap();
    cache
        .apply_page(&page(vec![Change::Incident(incident("INC-9", Priority::P2, 0))], "1"), true, at(2))
        .await
        .unwrap();
    let ids: Vec<_> = cache.incidents().await.unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(ids, ["INC-9"]);
}

#[tokio::test]
async fn outbox_entries_persist_complete_and_reject() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
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
    cache.outbox_insert(&ack).await.unwrap();
    cache.outbox_insert(&note).await.unwrap();
    cache.outbox_insert(&ack).await.unwrap();
    cache.outbox_attempt("k-ack", "connection refused").await.unwrap();
    drop(cache);

    let cache = file_cache(&dir).await;
    let pending = cache.outbox().await.unwrap();
    assert_eq!(pending.len(), 2, "inserting the same key twice keeps one");
    assert_eq!(pending[0].attempts, 1);
    assert_eq!(pending[1], note);

    let mut applied = incident("INC-1", Priority::P2, 0);
    applied.version = 2;
    cache.outbox_complete("k-ack", &Entity::Incident(applied.clone()), &[("k-note".into(), 2)]).await.unwrap();
    let pending = cache.outbox().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].base_version, 2);
    assert_eq!(cache.incidents().await.unwrap(), vec![applied]);

    let rejected = RejectedEntry { entry: pending[0].clone(), rejected_at: at(3), reason: "forbidden".into() };
    cache.outbox_reject(&rejected, None).await.unwrap();
    assert!(cache.outbox().await.unwrap().is_empty());
    assert_eq!(cache.rejected(10).await.unwrap(), vec![rejected]);
}

#[tokio::test]
async fn tickets_keep_their_newest_version_and_open_ones_come_first() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
    let new = |subject: &str| NewTicket {
        subject: subject.into(),
        customer: "Contoso".into(),
        service_id: "llm-gateway".into(),
        priority: Priority::P3,
        tier: Tier::T1,
        linked_incident: None,
        description: None,
    };
    let mut open = Ticket::open("SUP-1".into(), new("open"), "portal", at(0));
    open.description = Some("The customer's message comes back from the cache too.".into());
    let mut closed = Ticket::open("SUP-2".into(), new("closed"), "portal", at(1));
    closed.apply(&TicketAction::Resolve, "dana", at(2)).unwrap();
    let mut stale = closed.clone();
    stale.version = 1;
    cache
        .apply_page(&page(vec![Change::Ticket(closed.clone()), Change::Ticket(open.clone())], "2"), false, at(3))
        .await
        .unwrap();
    cache.outbox_complete("none", &Entity::Ticket(stale), &[]).await.unwrap();
    drop(cache);
    let cache = file_cache(&dir).await;
    assert_eq!(cache.snapshot(10).await.unwrap().tickets, vec![open, closed]);
}

/// A cache written by the previous release (outbox rows for incidents only) opens with
/// every queued and rejected action intact.
#[tokio::test]
async fn queued_actions_from_the_previous_schema_survive_the_upgrade() {
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
    let pending = cache.outbox().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].target_id, "INC-7");
    assert_eq!(pending[0].action, Command::Incident(IncidentAction::Note { text: "rolled back the index".into() }));
    let rejected = cache.rejected(10).await.unwrap();
    assert_eq!(rejected[0].entry.target_id, "INC-6");
    assert_eq!(rejected[0].entry.action, Command::Incident(IncidentAction::Acknowledge));
}

/// Two people share a data folder: each one's journaled draft of the same postmortem is kept
/// apart, and forgetting mine leaves theirs.
#[tokio::test]
async fn journaled_drafts_and_note_drafts_are_kept_per_author() {
    use crate::domain::PostmortemDraft;
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
    let draft = |author: &str, body: &str| JournaledDraft {
        id: "PM-1".into(),
        incident_id: "INC-1".into(),
        base_version: 0,
        draft: PostmortemDraft { title: "T".into(), body: body.into() },
        journaled_at: at(0),
        author: author.into(),
    };
    cache.journal_draft(&draft("token:a", "mine")).await.unwrap();
    cache.journal_draft(&draft("token:b", "theirs")).await.unwrap();
    let all = cache.drafts().await.unwrap();
    assert_eq!(all, vec![draft("token:a", "mine"), draft("token:b", "theirs")]);
    cache.forget_draft("PM-1", "token:a", &draft("token:a", "mine").draft).await.unwrap();
    assert_eq!(cache.drafts().await.unwrap(), vec![draft("token:b", "theirs")]);

    let note =
        |author: &str, text: &str| NoteDraft { incident_id: "INC-1".into(), author: author.into(), text: text.into() };
    cache.save_note_draft(&note("token:a", "half a thought"), at(1)).await.unwrap();
    cache.save_note_draft(&note("token:b", "other"), at(1)).await.unwrap();
    cache.save_note_draft(&note("token:a", "a whole thought"), at(2)).await.unwrap();
    drop(cache);
    let cache = file_cache(&dir).await;
    assert_eq!(cache.note_drafts().await.unwrap(), vec![note("token:a", "a whole thought"), note("token:b", "other")]);
    cache.save_note_draft(&note("token:a", ""), at(3)).await.unwrap();
    assert_eq!(cache.note_drafts().await.unwrap(), vec![note("token:b", "other")], "empty text forgets it");
}

#[tokio::test]
async fn a_dropped_action_is_gone_from_disk_queued_or_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
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
    cache.outbox_insert(&entry("k1")).await.unwrap();
    cache.outbox_insert(&entry("k2")).await.unwrap();
    let rejected =
        crate::console::outbox::RejectedEntry { entry: entry("k2"), rejected_at: at(1), reason: "no".into() };
    cache.outbox_reject(&rejected, None).await.unwrap();
    cache.outbox_drop("k1").await.unwrap();
    cache.outbox_drop("k2").await.unwrap();
    assert!(cache.outbox().await.unwrap().is_empty());
    assert!(cache.rejected(50).await.unwrap().is_empty(), "a rejected entry can be cleared");
}
