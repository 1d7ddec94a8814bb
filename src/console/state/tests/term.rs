//! Pure update tests of what the terminal shows about itself: the live badge running out while a
//! request hangs, the "terminal too small" notice, and the help panel's scrolling.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::cache::CacheSnapshot;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

fn secs(s: i64) -> chrono::Duration {
    chrono::Duration::milliseconds(s * 1000)
}

fn state() -> AppState {
    let config = Config::parse("timezone = \"UTC\"\n", std::path::Path::new("config.toml")).unwrap();
    let mut state =
        AppState::new(crate::fixtures::session(false), &config, CacheSnapshot::default(), true, now() - secs(60));
    state.update(Event::Resize { width: 100, height: 30 }, now());
    state
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn badge(state: &AppState) -> String {
    crate::console::widgets::status::freshness(state).0
}

#[test]
fn live_runs_out_a_poll_interval_and_the_slack_after_the_last_answer_even_while_a_request_hangs() {
    let mut state = state();
    state.update(crate::fixtures::synced(now(), "e1", false, vec![]), now());
    assert_eq!(badge(&state), "● live");
    // The default poll is 2 s and the slack 3 s: live until 14:00:05, and a wake is due then so
    // the badge changes with no key pressed and no answer coming.
    let expiry = now() + secs(5);
    assert_eq!(state.sync.live_until(state.settings.poll_interval), Some(expiry));
    state.flash = None;
    assert_eq!(state.next_wake(now() + secs(1)), Some(expiry));

    let quiet = state.update(Event::Tick, expiry - chrono::Duration::milliseconds(1));
    assert!(!state.sync.is_stale(), "an answer may still come in time");
    assert!(quiet.changed, "a tick redraws anyway");
    let update = state.update(Event::Tick, expiry);
    assert!(update.changed);
    assert!(state.sync.is_stale());
    assert_eq!(badge(&state), " STALE since 14:00:00 ");
    assert!(state.sync.failing.as_ref().is_some_and(|(_, e)| e.contains("has not answered for 5s")));
    assert_eq!(state.next_wake(expiry), None, "nothing more runs out");

    // The hung request times out later: still stale since the last answer.
    state.update(
        Event::SyncFailed { error: "the backend did not answer in time".into(), at: now() + secs(9) },
        now() + secs(9),
    );
    assert_eq!(badge(&state), " STALE since 14:00:00 ");
    // An answer: live again, for another window.
    state.update(crate::fixtures::synced(now() + secs(12), "e1", false, vec![]), now() + secs(12));
    assert_eq!(badge(&state), "● live");
    assert_eq!(state.sync.live_until(state.settings.poll_interval), Some(now() + secs(17)));
}

#[test]
fn a_longer_poll_interval_gives_a_longer_window() {
    let config = Config::parse("poll_interval = \"10s\"\n", std::path::Path::new("config.toml")).unwrap();
    let mut state = AppState::new(crate::fixtures::session(false), &config, CacheSnapshot::default(), true, now());
    state.update(crate::fixtures::synced(now(), "e1", false, vec![]), now());
    state.update(Event::Tick, now() + secs(12));
    assert_eq!(badge(&state), "● live");
    state.update(Event::Tick, now() + secs(13));
    assert!(state.sync.is_stale());
}

#[test]
fn cached_data_before_any_answer_is_not_live_and_never_expires_into_a_wrong_message() {
    let mut state = state();
    state.sync.last_ok = Some(now() - secs(3600));
    state.update(Event::Tick, now());
    assert_eq!(state.sync.failing, None, "nothing has been asked yet: still connecting");
    assert_eq!(state.sync.live_until(state.settings.poll_interval), None);
}

#[test]
fn a_terminal_too_small_acts_on_nothing_but_quit() {
    let mut state = state();
    state.update(Event::Resize { width: 60, height: 20 }, now());
    assert!(crate::console::layout::too_small(60, 20));
    for code in [KeyCode::Char('2'), KeyCode::Char('?'), KeyCode::Char('a'), KeyCode::Char('/'), KeyCode::Enter] {
        let update = state.update(key(code), now());
        assert_eq!(update, Update::unchanged(), "{code:?} acts on a screen nobody can see");
    }
    assert_eq!(state.tab, crate::console::tabs::TabId::Incidents);
    assert!(state.modals.overlay().is_none() && state.modals.input().is_none());
    let quit = state.update(key(KeyCode::Char('q')), now());
    assert!(quit.effects.contains(&Effect::Terminal(TerminalEffect::Quit)));

    let mut state = self::state();
    state.update(
        Event::Resize { width: crate::console::layout::MIN_WIDTH, height: crate::console::layout::MIN_HEIGHT },
        now(),
    );
    state.update(key(KeyCode::Char('2')), now());
    assert_eq!(state.tab, crate::console::tabs::TabId::Tickets, "at the minimum, keys work");
}

#[test]
fn help_scrolls_by_page_to_the_ends_and_no_further() {
    let mut state = state();
    state.update(Event::Resize { width: 80, height: 24 }, now());
    state.update(key(KeyCode::Char('?')), now());
    let scroll = |state: &AppState| match state.modals.overlay() {
        Some(Overlay::Help { scroll }) => scroll,
        other => panic!("help is not open: {other:?}"),
    };
    let (page, max) = crate::console::widgets::help::help_scroll_limits(&state, (80, 24));
    assert_eq!(page, 19, "the panel shows 20 lines at 80x24; a page keeps one in view");
    assert!(max > 3 * page, "the help is several pages long at 80x24: {max}");
    state.update(key(KeyCode::PageDown), now());
    assert_eq!(scroll(&state), page);
    state.update(key(KeyCode::Char('G')), now());
    assert_eq!(scroll(&state), max, "G: the last line at the bottom, not past it");
    state.update(key(KeyCode::Char('j')), now());
    assert_eq!(scroll(&state), max);
    state.update(key(KeyCode::Char('k')), now());
    assert_eq!(scroll(&state), max - 1, "one line up from the end moves at once");
    state.update(key(KeyCode::PageUp), now());
    assert_eq!(scroll(&state), max - 1 - page);
    state.update(key(KeyCode::Char('g')), now());
    assert_eq!(scroll(&state), 0);
    state.update(key(KeyCode::End), now());
    state.update(key(KeyCode::Home), now());
    assert_eq!(scroll(&state), 0);
}

#[test]
fn help_wraps_to_the_panel_and_names_every_action_for_the_config() {
    let state = state();
    for width in [62u16, 74, 98] {
        let lines = crate::console::widgets::help::help_lines(&state, width);
        for line in &lines {
            assert!(line.width() <= usize::from(width), "{width}: {line:?} is cut");
        }
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        // The name column sits beside a description's first line: leave it out to read it.
        let flat = text.split_whitespace().filter(|w| *w != "star_event").collect::<Vec<_>>().join(" ");
        for action in <crate::console::action::Action as strum::IntoEnumIterator>::iter() {
            assert!(text.contains(action.name()), "{width}: {} is not named", action.name());
        }
        assert!(
            flat.contains("Star the timeline event at the top of the view (key moments lead the postmortem)"),
            "{width}: a long description is wrapped whole"
        );
    }
}

#[test]
fn while_the_change_stream_is_up_its_heartbeats_keep_the_console_live_and_when_it_drops_the_badge_says_polling() {
    let mut state = state();
    state.update(crate::fixtures::synced(now(), "e1", false, vec![]), now());
    assert!(state.update(Event::Pushed(true), now()).changed, "the stream came up");
    // Polls are a minute apart now; the server beats every poll interval (2 s), and each beat
    // keeps it live for the same window as an answer would.
    assert_eq!(state.sync.live_until(state.settings.poll_interval), Some(now() + secs(5)));
    let quiet = state.update(Event::Pushed(true), now() + secs(4));
    assert!(!quiet.changed, "a heartbeat redraws nothing");
    assert_eq!(state.sync.live_until(state.settings.poll_interval), Some(now() + secs(9)));
    state.update(Event::Tick, now() + secs(8));
    assert_eq!(badge(&state), "● live", "no answer to a poll for 8 s, and still live");

    // The stream drops: the console polls again and says so (the poke it sends gets an answer).
    assert!(state.update(Event::Pushed(false), now() + secs(8)).changed);
    state.update(crate::fixtures::synced(now() + secs(8), "e1", false, vec![]), now() + secs(8));
    assert_eq!(badge(&state), "● live · polling");
    state.update(Event::Pushed(true), now() + secs(9));
    assert_eq!(badge(&state), "● live", "back up");
}

#[test]
fn a_heartbeat_does_not_make_a_failing_backend_live() {
    let mut state = state();
    state.update(crate::fixtures::synced(now(), "e1", false, vec![]), now());
    state.update(Event::Pushed(true), now());
    state.update(
        Event::SyncFailed { error: "HTTP 500: the server could not reach its storage".into(), at: now() + secs(1) },
        now() + secs(1),
    );
    state.update(Event::Pushed(true), now() + secs(2));
    assert_eq!(badge(&state), " STALE since 14:00:00 ", "the stream answers, the changes do not");
}
