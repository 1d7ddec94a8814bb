//! Pure update tests of the display zone: found once at start, kept across config reloads, and
//! the one zone the state and the views use.

use chrono_tz::Europe::Berlin;

use super::*;
use crate::console::tabs::calendar::form::FormField;
use crate::console::theme::TermCaps;
use crate::console::zone::{DisplayZone, SystemZone};

fn in_berlin(config: &str) -> AppState {
    let config = Config::parse(config, std::path::Path::new("config.toml")).unwrap();
    let environment = Environment { terminal: TermCaps::full(true), system_zone: SystemZone::Named(Berlin) };
    let mut state = AppState::new(session(Role::Commander), &config, CacheSnapshot::default(), environment, now());
    state.update(Event::Resize { width: 100, height: 30 }, now());
    state
}

#[test]
fn the_systems_zone_found_at_start_is_the_display_zone() {
    let mut state = in_berlin("");
    assert_eq!(state.settings.timezone, DisplayZone::System(SystemZone::Named(Berlin)));
    assert_eq!(crate::console::widgets::clock(now(), now(), state.settings.timezone), "15:00:00");
    assert_eq!(crate::console::widgets::local(now(), state.settings.timezone, "%H:%M %z"), "15:00 +0100");
    assert_eq!(state.settings.timezone.name_at(now()), "UTC+01:00", "the system's zone goes by its offset");
    // A new maintenance window is planned in it.
    state.update(key('5'), now());
    state.update(key('n'), now());
    let form = state.modals.form().expect("the form is open");
    assert_eq!(form.text(FormField::TimeZone).unwrap().lines().join(""), "Europe/Berlin");
}

#[test]
fn a_configured_zone_wins_and_a_reload_keeps_the_systems() {
    let mut state = in_berlin("timezone = \"UTC\"\n");
    assert_eq!(state.settings.timezone, DisplayZone::Configured(chrono_tz::UTC));
    assert_eq!(crate::console::widgets::clock(now(), now(), state.settings.timezone), "14:00:00");
    // The zone line goes from the config: the system's, as found at start, is back.
    state.update(Event::Config(Ok(Config::default())), now());
    assert_eq!(state.settings.timezone, DisplayZone::System(SystemZone::Named(Berlin)));
    assert_eq!(state.settings.environment.system_zone, SystemZone::Named(Berlin));
}

#[test]
fn tests_and_benchmarks_take_the_systems_zone_as_utc() {
    let state = AppState::new(session(Role::Viewer), &Config::default(), CacheSnapshot::default(), true, now());
    assert_eq!(state.settings.timezone, DisplayZone::System(SystemZone::UTC));
}
