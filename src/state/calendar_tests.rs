//! Pure update tests for the Calendar tab, the maintenance banner and SLA clocks pausing during
//! maintenance, on the simulator's calendar (an emergency patch on llm-gateway is running at `now`).

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::api::Change;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

fn state() -> AppState {
    let config = Config::parse("timezone = \"UTC\"\n", std::path::Path::new("config.toml")).unwrap();
    let snapshot = crate::fixtures::seeded_snapshot(7, now());
    let mut state = AppState::new(crate::fixtures::session(false), &config, snapshot, true, now());
    state.update(Event::Resize { width: 100, height: 30 }, now());
    state
}

fn press(state: &mut AppState, code: KeyCode) -> Update {
    state.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)), now())
}

/// The SLA clock rows of items on `service`, and whether each is paused now.
fn paused_on(state: &AppState, service: &str) -> Vec<bool> {
    let policy = state.settings.sla.clone();
    state
        .sla
        .rows()
        .iter()
        .filter(|row| state.service_of(row.kind, &row.id) == Some(service))
        .map(|row| row.input.evaluate(&policy, now()).paused)
        .collect()
}

#[test]
fn the_running_patch_shows_the_banner_and_pauses_clocks_on_its_service_only() {
    let state = state();
    assert!(state.banner());
    assert_eq!(state.body_height(), 29, "the banner takes a line from every tab");
    let gateway = paused_on(&state, "llm-gateway");
    assert!(!gateway.is_empty() && gateway.iter().all(|p| *p), "{gateway:?}");
    let others = paused_on(&state, "support-assistant");
    assert!(!others.is_empty() && others.iter().all(|p| !*p), "{others:?}");
}

#[test]
fn cancelling_the_patch_removes_the_banner_and_lets_the_clocks_run() {
    let mut state = state();
    let mut patch = state.calendar.windows().iter().find(|w| w.kind.as_str() == "emergency_patch").unwrap().clone();
    patch.cancel("dana", now());
    let report = crate::fixtures::synced(now(), "fixture", false, vec![Change::Maintenance(patch)]);
    assert!(state.update(report, now()).changed);
    assert!(!state.banner());
    assert_eq!(state.body_height(), 30);
    assert!(paused_on(&state, "llm-gateway").iter().all(|p| !*p));
}

#[test]
fn five_opens_the_calendar_and_its_keys_move_months_and_open_details() {
    let mut state = state();
    press(&mut state, KeyCode::Char('5'));
    assert_eq!(state.tab, TabId::Calendar);
    assert_eq!(state.layers(), vec![Mode::Calendar, Mode::Global]);
    let tz = state.settings.timezone;
    let november = state.calendar.month(now(), tz);
    press(&mut state, KeyCode::Right);
    assert_eq!(state.calendar.month(now(), tz), november + chrono::Months::new(1));
    press(&mut state, KeyCode::Char('t'));
    assert_eq!(state.calendar.month(now(), tz), november);
    press(&mut state, KeyCode::Enter);
    let open = state.calendar.detail().expect("details open").clone();
    assert!(open.active_at(now()).is_some(), "today starts at the window running now: {}", open.title);
    press(&mut state, KeyCode::Esc);
    assert!(state.calendar.detail().is_none());
}

#[test]
fn the_wake_up_timer_knows_when_the_banner_goes() {
    let state = state();
    let end = state.calendar.active(now()).map(|(_, o)| o.end).min().unwrap();
    assert!(state.next_wake(now()).is_some_and(|t| t <= end));
}

#[test]
fn the_ticket_queue_sorts_clocks_paused_by_maintenance_as_paused_until_the_window_ends() {
    let mut state = state();
    let position = |s: &AppState, key: &str| s.tickets.all().position(|r| r.ticket().key == key).unwrap();
    let gateway: Vec<String> = state
        .tickets
        .all()
        .map(|r| r.ticket())
        .filter(|t| t.is_open() && t.service_id == "llm-gateway")
        .map(|t| t.key.clone())
        .collect();
    assert!(gateway.contains(&"SUP-2042".to_string()), "{gateway:?}");
    // While the patch pauses llm-gateway's clocks, its P1 sorts after every running clock.
    let running_elsewhere: Vec<usize> = state
        .tickets
        .all()
        .enumerate()
        .filter(|(_, r)| {
            let t = r.ticket();
            t.is_open() && t.service_id != "llm-gateway" && t.status != crate::domain::TicketStatus::Pending
        })
        .map(|(i, _)| i)
        .collect();
    let paused_at = position(&state, "SUP-2042");
    assert!(running_elsewhere.iter().all(|&i| i < paused_at), "{paused_at} vs {running_elsewhere:?}");

    // The window is cancelled: the P1's response clock runs again and it moves up among the
    // running clocks, by when it breaches.
    let mut patch = state.calendar.windows().iter().find(|w| w.kind.as_str() == "emergency_patch").unwrap().clone();
    patch.cancel("dana", now());
    state.update(crate::fixtures::synced(now(), "fixture", false, vec![Change::Maintenance(patch)]), now());
    let running_at = position(&state, "SUP-2042");
    assert!(running_at < paused_at && running_at < running_elsewhere.len(), "{running_at} vs {paused_at}");
}
