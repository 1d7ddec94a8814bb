//! Where a large cache's memory goes, structure by structure: heap bytes per row of the
//! Incidents list (resolved incidents compact, as the merge holds them), the Tickets list, the
//! SLA tab's clocks, and the whole state after a merge as the run loop does it. Measured as
//! glibc's own count of the bytes it has handed out (`mallinfo2`, after `malloc_trim`), so each
//! figure includes the allocator's per-block overhead.
//!
//! `cargo bench --bench heap_parts` (100,000 of each); `N=20000 cargo bench --bench heap_parts`.
use chrono::{TimeZone, Utc};
use opsdeck::console::tabs::calendar::CalendarTab;
use opsdeck::console::tabs::incidents::IncidentsTab;
use opsdeck::console::tabs::sla::SlaTab;
use opsdeck::console::tabs::tickets::TicketsTab;
use opsdeck::sla::SlaPolicy;

fn used() -> i64 {
    unsafe {
        libc::malloc_trim(0);
        let m = libc::mallinfo2();
        (m.uordblks + m.hblkhd) as i64
    }
}

fn main() {
    let n: usize = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    println!(
        "size_of Incident {} Ticket {} IncRow {} TicketRow {} ClockRow {}",
        std::mem::size_of::<opsdeck::domain::Incident>(),
        std::mem::size_of::<opsdeck::domain::Ticket>(),
        std::mem::size_of::<opsdeck::console::tabs::incidents::Row>(),
        std::mem::size_of::<opsdeck::console::tabs::tickets::TicketRow>(),
        std::mem::size_of::<opsdeck::console::clocks::ClockRow>()
    );
    let b = used();
    let mut incidents = opsdeck::fixtures::many_incidents(n, now);
    for i in &mut incidents {
        if !i.is_open() {
            i.timeline = Vec::new();
        }
    }
    let a = used();
    println!("Vec<Incident> compact-timeline (source data): {} B/row", (a - b) / n as i64);
    let b = used();
    let mut tab = IncidentsTab::default();
    tab.queue_merge(incidents.clone());
    // The run loop takes the touched rows every turn: so does this.
    while tab.merge_slice(2000) {
        tab.take_touched();
    }
    tab.take_touched();
    tab.shrink_to_fit();
    let a = used();
    println!("IncidentsTab: {} B/row", (a - b) / n as i64);
    drop(incidents);
    let policy = SlaPolicy::default_policy();
    let tickets = opsdeck::fixtures::many_tickets(n, now);
    let b = used();
    let mut tt = TicketsTab::default();
    tt.queue_merge(tickets.clone());
    while tt.merge_slice(opsdeck::console::state::TICKET_SLICE, &policy) {
        tt.take_touched();
    }
    tt.take_touched();
    tt.shrink_to_fit();
    let a = used();
    println!("TicketsTab: {} B/row", (a - b) / n as i64);
    let b = used();
    let mut sla = SlaTab::default();
    let cal = CalendarTab::new(Vec::new());
    sla.rebuild(tab.open_incidents(), tt.rows().map(|r| r.ticket()), &policy, &cal, now);
    let a = used();
    println!("SlaTab: {} B/ticket ({} clock rows)", (a - b) / n as i64, sla.rows().len());
    std::hint::black_box((&tab, &tt, &sla));
    drop((tab, tt, sla));
    app_state(n, now);
}

fn app_state(n: usize, now: chrono::DateTime<Utc>) {
    use opsdeck::console::effect::Effect;
    use opsdeck::console::event::Event;
    let b = used();
    let mut incidents = opsdeck::fixtures::many_incidents(n, now);
    incidents.sort_by_cached_key(|i| {
        let (r, at) = i.list_order();
        (r, std::cmp::Reverse(at), i.id.clone())
    });
    let tickets = opsdeck::fixtures::many_tickets(n, now);
    let mut snapshot = opsdeck::fixtures::seeded_snapshot(1, now);
    snapshot.incidents = incidents[..300].to_vec();
    snapshot.total = n;
    snapshot.tickets = tickets[..300].to_vec();
    snapshot.tickets_total = n;
    let mut state = opsdeck::console::state::AppState::new(
        opsdeck::fixtures::session(false),
        &opsdeck::config::Config::default(),
        snapshot,
        false,
        now,
    );
    state.update(Event::Resize { width: 200, height: 60 }, now);
    let mut events: Vec<Event> = incidents.chunks(20_000).map(|p| Event::CacheLoaded(p.to_vec())).collect();
    events.extend(tickets.chunks(20_000).map(|p| Event::TicketsLoaded(p.to_vec())));
    drop((incidents, tickets));
    let mut queued = 0usize;
    let cont = |u: &opsdeck::console::state::Update| u.effects.iter().any(|e| matches!(e, Effect::ContinueMerge));
    for e in events {
        queued += usize::from(cont(&state.update(e, now)));
    }
    while queued > 0 {
        queued -= 1;
        queued += usize::from(cont(&state.update(Event::CacheMergeStep, now)));
    }
    assert!(state.cache_merged());
    let a = used();
    println!(
        "AppState after the merge ({n} incidents + {n} tickets): {:.1} MB, {} B per incident+ticket",
        (a - b) as f64 / 1e6,
        (a - b) / n as i64
    );
    std::hint::black_box(&state);
}
