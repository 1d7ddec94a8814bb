//! Pure update tests for the Calendar tab, the maintenance banner and SLA clocks pausing during
//! maintenance, on the simulator's calendar (an emergency patch on llm-gateway is running at `now`).

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::api::Change;
use crate::console::clocks::Which;
use crate::console::state::tests::*;
use crate::domain::Priority;

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
        .map(|row| row.state(&policy, now()).paused)
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
fn a_p1_paused_by_maintenance_stays_with_the_p1s_and_moves_by_its_breach_once_the_window_goes() {
    let mut state = state();
    let queue = |s: &AppState| -> Vec<(String, Priority)> {
        s.tickets.all().map(|r| r.ticket()).filter(|t| t.is_open()).map(|t| (t.key.clone(), t.priority)).collect()
    };
    let position = |s: &AppState, key: &str| queue(s).iter().position(|(k, _)| k == key).unwrap();
    let before = queue(&state);
    assert!(before.iter().any(|(k, p)| k == "SUP-2042" && *p == Priority::P1), "{before:?}");
    // Priority first: every open P1 before every P2, P3 and P4, paused or not.
    let ranks: Vec<Priority> = before.iter().map(|(_, p)| *p).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{before:?}");
    // Within the P1s the paused one comes after the running one (SUP-2041, on another service).
    let paused_at = position(&state, "SUP-2042");
    assert!(position(&state, "SUP-2041") < paused_at && paused_at < 2, "{before:?}");
    // The SLA tab: the same order, clock by clock.
    let rows: Vec<(Priority, bool)> = state.sla.rows().iter().map(|r| (r.priority, r.is_paused())).collect();
    assert!(rows.windows(2).all(|w| w[0].0 <= w[1].0), "{rows:?}");
    let first_p2 = rows.iter().position(|(p, _)| *p > Priority::P1).unwrap();
    assert!(rows[..first_p2].iter().any(|(_, paused)| *paused), "a paused P1 clock above the P2s: {rows:?}");

    // The window is cancelled: the P1's clocks run again, and it sorts among the running P1s by
    // when it breaches: after SUP-2041, whose response is due sooner.
    let mut patch = state.calendar.windows().iter().find(|w| w.kind.as_str() == "emergency_patch").unwrap().clone();
    patch.cancel("dana", now());
    state.update(crate::fixtures::synced(now(), "fixture", false, vec![Change::Maintenance(patch)]), now());
    let policy = state.settings.sla.clone();
    let due = |s: &AppState, key: &str| {
        let t = s.tickets.all().map(|r| r.ticket()).find(|t| t.key == key).unwrap();
        s.calendar.ticket_clock(&t, Which::Response).evaluate(&policy, now()).due.expect("running")
    };
    assert!(due(&state, "SUP-2041") < due(&state, "SUP-2042"));
    assert_eq!(position(&state, "SUP-2042"), 1, "{:?}", queue(&state));
    let rows = state.sla.rows();
    assert!(rows.iter().filter(|r| &*r.id == "SUP-2042").all(|r| !r.is_paused()));
}

#[test]
fn each_paused_clock_says_why() {
    let state = state();
    let ticket = |key: &str| state.tickets.all().map(|r| r.ticket()).find(|t| t.key == key).unwrap().clone();
    let label = |t: &crate::domain::Ticket, which| state.calendar.ticket_clock(t, which).pause_label(now());
    let patch = state.calendar.windows().iter().find(|w| w.kind.as_str() == "emergency_patch").unwrap().id.clone();
    assert_eq!(patch, "MW-3005");
    // A new ticket never set pending, on the patched gateway: the window, not the customer.
    let fresh = ticket("SUP-2042");
    assert_eq!(fresh.status, crate::domain::TicketStatus::New);
    assert_eq!(label(&fresh, Which::Response), "maintenance MW-3005");
    // A pending ticket elsewhere: the customer.
    let pending = ticket("SUP-2027");
    assert_eq!(pending.status, crate::domain::TicketStatus::Pending);
    assert_eq!(label(&pending, Which::Resolution), "waiting on the customer");
    // A ticket running elsewhere: no reason at all.
    assert_eq!(label(&ticket("SUP-2041"), Which::Resolution), "");
    // An incident on the gateway pauses for the window, never "on the customer".
    let incident = crate::domain::Incident::trigger(
        "INC-9".into(),
        crate::domain::NewIncident { title: "5xx".into(), service_id: "llm-gateway".into(), priority: Priority::P1 },
        "am",
        now(),
        None,
    );
    assert_eq!(state.calendar.incident_clock(&incident, Which::Response).pause_label(now()), "maintenance MW-3005");
}

#[test]
fn a_p1_held_by_the_patch_arrives_without_the_bell_and_rings_when_it_is_paged() {
    use crate::domain::incident::Suppression;
    use crate::domain::{Incident, NewIncident};
    let mut state = state();
    let policy = crate::domain::catalog::policies().into_iter().next();
    let new =
        |service: &str| NewIncident { title: "5xx spike".into(), service_id: service.into(), priority: Priority::P1 };
    let hold = Suppression { window_id: "MW-3005".into(), until: now() + chrono::Duration::minutes(40) };
    let sync = |incidents: Vec<Incident>| {
        crate::fixtures::synced(now(), "fixture", false, incidents.into_iter().map(Change::Incident).collect())
    };
    let bell = |update: &Update| update.effects.iter().any(|e| matches!(e, Effect::Terminal(TerminalEffect::Bell)));
    let flash = |s: &AppState| s.flash.as_ref().map_or(String::new(), |f| f.text.clone());

    let held =
        Incident::trigger_during("INC-2001".into(), new("llm-gateway"), "am", now(), policy.as_ref(), Some(&hold));
    let update = state.update(sync(vec![held.clone()]), now());
    assert!(!bell(&update), "nobody was paged, so nothing rings");
    assert!(flash(&state).contains("INC-2001") && flash(&state).contains("suppressed by MW-3005"), "{}", flash(&state));
    assert!(!flash(&state).starts_with("new P1:"), "{}", flash(&state));

    // The same rule when the timeline does not say so (a backend that pages anyway): the
    // console's calendar has the suppressing window, so it does not claim a page either.
    let paged_anyway = Incident::trigger("INC-2002".into(), new("llm-gateway"), "am", now(), policy.as_ref());
    assert!(!bell(&state.update(sync(vec![paged_anyway]), now())));
    // A P1 elsewhere rings as always.
    let elsewhere = Incident::trigger("INC-2003".into(), new("support-assistant"), "am", now(), policy.as_ref());
    assert!(bell(&state.update(sync(vec![elsewhere]), now())));
    assert!(flash(&state).starts_with("new P1: INC-2003"), "{}", flash(&state));

    // The window ends with INC-2001 still unacknowledged: its page goes out, and that rings.
    let later = now() + chrono::Duration::minutes(41);
    let mut released = held;
    assert!(released.release_page(later, policy.as_ref()));
    let update = state.update(sync(vec![released]), later);
    assert!(bell(&update));
    assert!(flash(&state).contains("P1 paged after maintenance: INC-2001"), "{}", flash(&state));
}

#[test]
fn a_window_with_too_many_occurrences_for_the_agenda_says_so_on_screen() {
    let mut state = state();
    let mut window = state.calendar.windows()[0].clone();
    window.id = "MW-9999".into();
    window.title = "Cache flush".into();
    window.rrule = Some("FREQ=DAILY;BYHOUR=0,2,4,6,8,10,12,14,16,18,20,22".into());
    window.start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    window.end = window.start + chrono::Duration::minutes(10);
    window.cancelled = false;
    window.timezone = "UTC".into();
    state.update(crate::fixtures::synced(now(), "fixture", false, vec![Change::Maintenance(window)]), now());
    press(&mut state, KeyCode::Char('5'));
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    terminal.draw(|frame| crate::console::view::draw(frame, &state, now())).unwrap();
    let screen: String = terminal.backend().buffer().content().iter().map(|c| c.symbol()).collect();
    assert!(screen.contains("360 occurrences of “Cache flush”, the first 62 listed"), "{screen}");
}
