//! The harness of the screen snapshot tests: the real state and views driven by key events, with a
//! fixed clock, UTC display and the simulator's world for seed 7.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::config::Config;
use opsdeck::console::effect::Effect;
use opsdeck::console::event::Event;
use opsdeck::console::state::AppState;
use opsdeck::console::theme::TermCaps;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

pub struct Harness {
    pub state: AppState,
    pub terminal: Terminal<TestBackend>,
    pub effects: Vec<Effect>,
}

impl Harness {
    pub fn new(width: u16, height: u16) -> Harness {
        Harness::build(width, height, TermCaps::full(true), "UTC", "")
    }

    /// On the terminal `term` says (as `TERM`), in colour, with a `#rrggbb` colour in the config.
    pub fn with_term(width: u16, height: u16, term: &str) -> Harness {
        let caps = TermCaps::detect(Some(term), None, false).unwrap();
        Harness::build(width, height, caps, "UTC", "[colors]\np1 = \"#ff5f5f\"\nmuted = \"#444444\"\n")
    }

    /// The same world shown in the display zone `zone`.
    pub fn in_zone(width: u16, height: u16, zone: &str) -> Harness {
        Harness::build(width, height, TermCaps::full(true), zone, "")
    }

    pub fn build(width: u16, height: u16, caps: TermCaps, zone: &str, config: &str) -> Harness {
        let text = format!("timezone = \"{zone}\"\n{config}");
        let config = Config::parse(&text, std::path::Path::new("config.toml")).unwrap();
        let session = opsdeck::fixtures::session(true);
        let snapshot = opsdeck::fixtures::seeded_snapshot(7, now());
        let mut state = AppState::new(session, &config, snapshot, caps, now());
        state.update(Event::Resize { width, height }, now());
        let mut harness =
            Harness { state, terminal: Terminal::new(TestBackend::new(width, height)).unwrap(), effects: Vec::new() };
        harness.event(opsdeck::fixtures::synced(now(), "fixture", false, vec![]));
        harness
    }

    /// Runs an event; drift computations it asks for are run here, as the effect runner would.
    pub fn event(&mut self, event: Event) {
        let update = self.state.update(event, now());
        for effect in update.effects {
            match effect {
                Effect::ComputeDrift(job) => self.event(Event::DriftComputed(Box::new(job.run()))),
                other => self.effects.push(other),
            }
        }
    }

    /// Presses keys: single characters, or names in angle brackets (`<Enter>`, `<Esc>`).
    pub fn press(&mut self, keys: &str) {
        let mut rest = keys;
        while let Some(c) = rest.chars().next() {
            let (code, len) = if c == '<' {
                let end = rest.find('>').expect("closing >");
                let code = match &rest[1..end] {
                    "Enter" => KeyCode::Enter,
                    "Esc" => KeyCode::Esc,
                    "Down" => KeyCode::Down,
                    "Left" => KeyCode::Left,
                    "Tab" => KeyCode::Tab,
                    "Backspace" => KeyCode::Backspace,
                    other => panic!("unknown key {other}"),
                };
                (code, end + 1)
            } else {
                (KeyCode::Char(c), c.len_utf8())
            };
            self.event(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
            rest = &rest[len..];
        }
    }

    /// Every colour drawn in the last frame.
    pub fn colours(&self) -> Vec<ratatui::style::Color> {
        let buffer = self.terminal.backend().buffer();
        let mut colours: Vec<_> = buffer.content.iter().flat_map(|c| [c.fg, c.bg]).collect();
        colours.sort_by_key(|c| format!("{c:?}"));
        colours.dedup();
        colours
    }

    pub fn screen(&mut self) -> String {
        let state = &self.state;
        self.terminal.draw(|frame| opsdeck::console::view::draw(frame, state, now())).unwrap();
        self.terminal.backend().to_string()
    }
}

/// Snapshots the screen after `keys` at 80×24 and 160×48, named `<name>_<width>x<height>` (a macro,
/// so the snapshots belong to the calling test file).
macro_rules! both_sizes {
    ($name:expr, $keys:expr) => {
        for (width, height) in [(80, 24), (160, 48)] {
            let mut harness = Harness::new(width, height);
            harness.press($keys);
            insta::assert_snapshot!(format!("{}_{width}x{height}", $name), harness.screen());
        }
    };
}
