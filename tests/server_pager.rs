//! Paging under maintenance, end to end in one process: an alert the simulator raises while a
//! window suppresses alerts on its service is held, and the server's pager sends the page once
//! the window is over.

use chrono::Utc;

use opsdeck::db::DbLocation;
use opsdeck::domain::{
    Entity, EntityKind, EventKind, MaintenanceKind, MaintenanceWindow, NewIncident, NewMaintenance, Priority,
};
use opsdeck::server::pager::release_held;
use opsdeck::server::store::sqlite::SqliteStore;
use opsdeck::server::store::{EntityTx, Store, StoredResponse, TxInput, TxOutcome};
use opsdeck::sources::simulator::{SimOp, runner};

async fn plan(store: &dyn Store, new: NewMaintenance) {
    let decide = Box::new(move |input: TxInput| {
        let window = MaintenanceWindow::create(input.new_id.unwrap_or_default(), new, "dana", Utc::now());
        let entity = Entity::Maintenance(window);
        TxOutcome { response: StoredResponse::entity(201, &entity), write: Some(entity) }
    });
    store.transact(EntityTx { kind: EntityKind::Maintenance, id: None, idempotency: None, decide }).await.unwrap();
}

#[tokio::test]
async fn a_held_page_goes_out_when_the_window_ends_on_its_own() {
    let store = SqliteStore::open(&DbLocation::Memory).await.unwrap();
    opsdeck::server::catalog::ensure(&store).await.unwrap();
    let now = Utc::now();
    let end = now + chrono::Duration::minutes(30);
    plan(
        &store,
        NewMaintenance {
            title: "Emergency patch".into(),
            kind: MaintenanceKind::EmergencyPatch,
            services: vec!["llm-gateway".into()],
            start: now - chrono::Duration::minutes(10),
            end,
            timezone: "UTC".into(),
            rrule: None,
            exdates: Vec::new(),
            uid: None,
            description: String::new(),
            suppress_alerts: true,
            pause_sla: false,
        },
    )
    .await;
    // The simulator's alerts go through the same rule as the API's.
    let new = NewIncident { title: "5xx spike".into(), service_id: "llm-gateway".into(), priority: Priority::P1 };
    runner::apply(&store, SimOp::Trigger(new)).await.unwrap();
    let id = store.incidents(true, 10).await.unwrap()[0].id.clone();
    let incident = store.incident(&id).await.unwrap().unwrap();
    assert_eq!(incident.held_by(), Some("MW-3001"), "{:?}", incident.timeline);

    assert!(release_held(&store, now + chrono::Duration::minutes(10)).await.unwrap().is_empty(), "still running");
    assert_eq!(release_held(&store, end).await.unwrap(), vec![id.clone()], "ended: paged");
    let incident = store.incident(&id).await.unwrap().unwrap();
    let page = incident.last_event().unwrap();
    assert_eq!((page.kind, page.at), (EventKind::Notified, end));
    assert!(page.text.starts_with("paged ") && page.text.ends_with("now that MW-3001 is over"), "{}", page.text);
    assert!(release_held(&store, end).await.unwrap().is_empty(), "once");
}
