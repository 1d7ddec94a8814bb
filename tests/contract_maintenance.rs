//! Contract tests for maintenance-window commands as the console queues them: the real reference
//! server on 127.0.0.1:0, the console's real HTTP client, and a real SQLite cache file.

#[path = "support/ops.rs"]
mod ops;

use chrono::{Duration, TimeZone, Utc};

use ops::{DANA, ERIN, client, poller, start, sync_round};
use opsdeck::backend::http::HttpBackend;
use opsdeck::backend::{ActionRequest, Backend, BackendError};
use opsdeck::cache::{Cache, Work};
use opsdeck::db::DbLocation;
use opsdeck::domain::{
    Command, Entity, MaintenanceAction, MaintenanceKind, MaintenanceWindow, NewMaintenance, Rejection,
};

fn plan(title: &str) -> NewMaintenance {
    let start = Utc.with_ymd_and_hms(2027, 2, 6, 1, 0, 0).unwrap();
    NewMaintenance {
        title: title.into(),
        kind: MaintenanceKind::Routine,
        services: vec!["rag-retrieval".into()],
        start,
        end: start + Duration::hours(2),
        timezone: "Europe/Berlin".into(),
        rrule: Some("FREQ=MONTHLY;BYDAY=1SA".into()),
        exdates: Vec::new(),
        uid: None,
        description: "Reindex the retriever.".into(),
        suppress_alerts: true,
        pause_sla: false,
    }
}

fn request(target: &str, action: MaintenanceAction, version: i64, key: &str) -> ActionRequest {
    ops::action(target, Command::Maintenance(action), version, key)
}

async fn act(backend: &HttpBackend, request: &ActionRequest) -> Result<MaintenanceWindow, BackendError> {
    match backend.act(request).await? {
        Entity::Maintenance(window) => Ok(window),
        other => panic!("a maintenance command answered with {other:?}"),
    }
}

#[tokio::test]
async fn plan_edit_and_cancel_go_through_the_client_and_a_resend_applies_once() {
    let server = start(DbLocation::Memory).await;
    let dana = client(&server, DANA);
    let create = request("new", MaintenanceAction::Create { window: plan("Retriever reindex") }, 0, "m1");
    let planned = act(&dana, &create).await.unwrap();
    assert_eq!(
        (planned.version, planned.created_by.as_str(), planned.title.as_str()),
        (1, "dana", "Retriever reindex")
    );
    let again = act(&dana, &create).await.unwrap();
    assert_eq!(again, planned, "the same idempotency key plans once");

    let mut longer = planned.to_new();
    longer.end += Duration::hours(1);
    let edit = request(&planned.id, MaintenanceAction::Edit { window: longer }, planned.version, "m2");
    let edited = act(&dana, &edit).await.unwrap();
    assert_eq!((edited.version, edited.end - edited.start), (2, Duration::hours(3)));

    // erin may not; and dana's own stale copy is refused with the window as it is now.
    let forbidden = act(&client(&server, ERIN), &request(&planned.id, MaintenanceAction::Cancel, 2, "e1")).await;
    assert!(matches!(forbidden, Err(BackendError::Forbidden(ref m)) if m.contains("commanders")), "{forbidden:?}");
    let stale = act(&dana, &request(&planned.id, MaintenanceAction::Cancel, 1, "m3")).await.unwrap_err();
    match &stale {
        BackendError::Conflict(conflict) => {
            assert_eq!(conflict.reason, Rejection::StaleVersion { seen: 1, current: 2 });
            assert_eq!(conflict.current, Entity::Maintenance(edited.clone()));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let sentence = stale.describe_for(&planned.id, Utc::now());
    assert!(sentence.contains("changed since you saw it (edited by dana"), "{sentence}");

    let cancelled = act(&dana, &request(&planned.id, MaintenanceAction::Cancel, 2, "m4")).await.unwrap();
    assert!(cancelled.cancelled && cancelled.version == 3 && cancelled.updated_by == "dana");
    let twice = act(&dana, &request(&planned.id, MaintenanceAction::Cancel, 3, "m5")).await.unwrap_err();
    assert!(twice.describe_for(&planned.id, Utc::now()).contains("already cancelled"), "{twice:?}");
    let missing = act(&dana, &request("MW-999999", MaintenanceAction::Cancel, 1, "m6")).await.unwrap_err();
    assert!(matches!(missing, BackendError::NotFound(_)), "{missing:?}");
    let invalid = {
        let mut bad = plan("x");
        bad.services = vec!["no-such-service".into()];
        act(&dana, &request("new", MaintenanceAction::Create { window: bad }, 0, "m7")).await.unwrap_err()
    };
    assert!(matches!(&invalid, BackendError::Refused { status: 422, message } if message.contains("no-such-service")));
    assert!(!invalid.is_transient(), "a refused window is rejected, not retried");
}

#[tokio::test]
async fn a_queued_window_is_kept_in_the_cache_until_the_backend_has_it_and_then_syncs_back() {
    let server = start(DbLocation::Memory).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let work_path = dir.path().join("work.sqlite");
    let work = Work::open(&DbLocation::File(work_path.clone())).await.unwrap();
    let create = MaintenanceAction::Create { window: plan("Planned offline") };
    let request = request("new", create, 0, "run1-1");
    let entry = ops::queued(&request);
    work.outbox_insert(&entry).await.unwrap();
    drop(work);

    // A restart reads it back exactly as queued; then it is sent and completed: the window to
    // the cache first, then the entry leaves the work file.
    let cache = Cache::open(&DbLocation::File(path)).await.unwrap();
    let work = Work::open(&DbLocation::File(work_path)).await.unwrap();
    assert_eq!(work.outbox().await.unwrap(), vec![entry.clone()]);
    let window = client(&server, DANA).act(&request).await.unwrap();
    cache.store_entity(&window).await.unwrap();
    work.outbox_complete(&entry.key, &[]).await.unwrap();
    assert!(work.outbox().await.unwrap().is_empty());
    let snapshot = cache.snapshot(100).await.unwrap();
    let Entity::Maintenance(planned) = window else { panic!("{window:?}") };
    assert_eq!(snapshot.maintenance, vec![planned.clone()]);

    // The changes feed brings the same window; the cache keeps one copy.
    let (sync, mut rx) = poller(&server, &cache);
    sync_round(&mut rx).await;
    assert_eq!(cache.snapshot(100).await.unwrap().maintenance, vec![planned]);
    sync.stop();
}
