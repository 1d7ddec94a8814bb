use super::*;
use crate::domain::{NewIncident, NewTicket, Priority, TicketAction, Tier};
use chrono::TimeZone;

fn at(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap() + chrono::Duration::minutes(min)
}

fn incident(id: &str, priority: Priority, min: i64) -> Incident {
    let new = NewIncident { title: format!("{id} title"), service_id: "llm-gateway".into(), priority };
    Incident::trigger(id.into(), new, "am", at(min), None)
}

fn page(changes: Vec<Change>, cursor: &str) -> ReceivedPage {
    ReceivedPage {
        epoch: "e1".into(),
        cursor: cursor.into(),
        has_more: false,
        remaining: None,
        changes,
        skipped_unknown: 0,
    }
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
    assert!(snapshot.counts_pending, "more than the first frame reads: counted after it");
    assert_eq!(cache.counts().await.unwrap(), (4, 0));
    let whole = cache.snapshot(4).await.unwrap();
    assert_eq!((whole.total, whole.counts_pending), (4, false), "all of it read: counted by what was read");
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
async fn a_page_stores_each_version_in_its_order_and_never_an_older_over_a_newer() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
    let (mut v2, mut v3) = (incident("INC-1", Priority::P2, 0), incident("INC-1", Priority::P1, 0));
    v2.version = 2;
    v3.version = 3;
    let other = incident("INC-2", Priority::P3, 1);
    let changes = vec![Change::Incident(v2.clone()), Change::Incident(other.clone()), Change::Incident(v3.clone())];
    cache.apply_page(&page(changes, "3"), false, at(0)).await.unwrap();
    assert_eq!(cache.incidents().await.unwrap(), vec![v3.clone(), other.clone()], "the later version of the page wins");
    cache.apply_page(&page(vec![Change::Incident(v2)], "4"), false, at(1)).await.unwrap();
    assert_eq!(cache.incidents().await.unwrap(), vec![v3, other], "an older version on a later page is not taken");
    assert_eq!(cache.sync_meta().await.unwrap().cursor.as_deref(), Some("4"));
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
    cache.store_entity(&Entity::Ticket(stale)).await.unwrap();
    drop(cache);
    let cache = file_cache(&dir).await;
    assert_eq!(cache.tickets().await.unwrap(), vec![open.clone(), closed.clone()]);
    // The first frame reads the open ones; the closed ones shown load after it.
    let snapshot = cache.snapshot(10).await.unwrap();
    assert_eq!(snapshot.tickets, vec![open.clone()]);
    assert_eq!((snapshot.tickets_total, snapshot.counts_pending), (2, false));
    assert_eq!(cache.counts().await.unwrap(), (0, 2));
    let first = cache.snapshot(0).await.unwrap();
    assert!(first.counts_pending && first.tickets.is_empty());
    // The console's first screen reads no ticket: they come right after it.
    let screen = cache.first_screen(10).await.unwrap();
    assert!(screen.counts_pending && screen.tickets.is_empty());
    assert_eq!(cache.first_tickets(10).await.unwrap(), vec![open.clone()]);
    assert_eq!(cache.closed_tickets().await.unwrap(), vec![closed]);
}

#[tokio::test]
async fn the_pages_read_after_the_first_frame_hold_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(&dir).await;
    let incidents: Vec<Incident> = (0..7).map(|i| incident(&format!("INC-{i}"), Priority::P2, i)).collect();
    let tickets: Vec<Ticket> = crate::fixtures::many_tickets(5, at(0));
    let changes = incidents.iter().cloned().map(Change::Incident).chain(tickets.iter().cloned().map(Change::Ticket));
    cache.apply_page(&page(changes.collect(), "1"), false, at(1)).await.unwrap();
    // A newer version is stored in place: still read once.
    let mut newer = incidents[2].clone();
    newer.version += 1;
    cache.put_incidents(std::slice::from_ref(&newer)).await.unwrap();

    let (mut read, mut after, mut pages) = (Vec::new(), None, 0);
    loop {
        let (page, next) = cache.incidents_page(after, 3).await.unwrap();
        assert!(page.len() <= 3);
        read.extend(page);
        pages += 1;
        match next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3, "3 + 3 + 1");
    let mut expected = incidents.clone();
    expected[2] = newer.clone();
    // In the list's order, as the first frame reads its rows.
    expected.sort_by_key(|i| {
        let (rank, at) = i.list_order();
        (rank, std::cmp::Reverse(at), i.id.clone())
    });
    assert_eq!(read, expected);
    assert_eq!(cache.incident("INC-2").await.unwrap().as_ref(), Some(&newer), "one incident in full");
    assert_eq!(cache.incident("INC-404").await.unwrap(), None);

    let (first, next) = cache.open_tickets_page(0, 4).await.unwrap();
    let (rest, last) = cache.open_tickets_page(next.unwrap(), 4).await.unwrap();
    assert_eq!(last, None);
    let mut keys: Vec<String> = first.into_iter().chain(rest).map(|t| t.key).collect();
    keys.sort();
    assert_eq!(keys, tickets.iter().map(|t| t.key.clone()).collect::<Vec<_>>());
    assert_eq!(cache.ticket(&tickets[3].key).await.unwrap().as_ref(), Some(&tickets[3]), "one ticket in full");
    assert_eq!(cache.ticket("SUP-404").await.unwrap(), None);
}
