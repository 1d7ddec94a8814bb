//! The postmortem editor's costs: `cargo bench --bench postmortem`.
//!
//! - Journaling a draft to a cache file on disk (SQLite, WAL): the write every edit waits for at
//!   most 200 ms, so the 250 ms promise holds while this stays far below 50 ms.
//! - One keystroke in the editor through the real `update` (a long postmortem, 600 lines).
//! - One frame of the editor at 160×48 and 80×24.
//! - Rendering the template for a seeded incident (what `p` costs).

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use opsdeck::cache::{JournaledDraft, Work};
use opsdeck::config::Config;
use opsdeck::console::event::Event;
use opsdeck::console::state::AppState;
use opsdeck::db::DbLocation;
use opsdeck::domain::postmortem_template::{self, TemplateInput};
use opsdeck::domain::{Postmortem, PostmortemDraft};

/// A long postmortem: the template's sections with 600 lines of prose.
fn long_body() -> String {
    let mut body = String::from("## Summary\n\n");
    for i in 0..600 {
        body.push_str(&format!(
            "Line {i}: the retriever served a stale index after the nightly rebuild failed quietly.\n"
        ));
    }
    body.push_str("\n## Action items\n\n- [ ] Alert when the index is older than a day @lee due:2026-12-01\n");
    body
}

fn journal(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let work = rt.block_on(Work::open(&DbLocation::File(dir.path().join("work.sqlite")))).unwrap();
    let draft = JournaledDraft {
        id: "PM-1042".into(),
        incident_id: "INC-1042".into(),
        base_version: 3,
        draft: PostmortemDraft { title: "Postmortem: stale retriever index (INC-1042)".into(), body: long_body() },
        journaled_at: Utc::now(),
        author: "demo:bench".into(),
    };
    c.bench_function("journal a 600-line draft to the work file", |b| {
        b.iter(|| rt.block_on(work.journal_draft(&draft)).unwrap())
    });
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

fn editor_state(width: u16, height: u16) -> AppState {
    let config = Config::parse("timezone = \"UTC\"\n", std::path::Path::new("config.toml")).unwrap();
    let mut snapshot = opsdeck::fixtures::seeded_snapshot(7, now());
    let draft = PostmortemDraft { title: "Postmortem: stale retriever index (INC-1001)".into(), body: long_body() };
    snapshot.postmortems = vec![Postmortem::create("PM-1001".into(), "INC-1001", draft, "erin", now())];
    let mut state = AppState::new(opsdeck::fixtures::session(true), &config, snapshot, true, now());
    state.update(Event::Resize { width, height }, now());
    for code in [KeyCode::Char('6'), KeyCode::Enter] {
        state.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)), now());
    }
    assert!(state.modals.editor().is_some());
    state
}

fn editor(c: &mut Criterion) {
    let mut state = editor_state(160, 48);
    c.bench_function("one keystroke in a 600-line postmortem (update)", |b| {
        b.iter(|| {
            state.update(Event::Key(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)), now());
            state.update(Event::Key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)), now())
        })
    });
    for (width, height) in [(160, 48), (80, 24)] {
        let state = editor_state(width, height);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        c.bench_function(&format!("editor frame, 600-line postmortem, {width}x{height}"), |b| {
            b.iter(|| {
                terminal.draw(|frame| opsdeck::console::view::draw(frame, &state, now())).expect("draw");
            })
        });
    }
}

fn template(c: &mut Criterion) {
    let incidents = opsdeck::fixtures::seeded_incidents(7, now());
    let incident = incidents.iter().find(|i| i.id == "INC-1001").unwrap();
    let tickets = opsdeck::fixtures::seeded_tickets(now());
    let linked: Vec<_> = tickets.iter().filter(|t| t.linked_incident.as_deref() == Some("INC-1001")).collect();
    c.bench_function("render the postmortem template for a seeded incident", |b| {
        b.iter(|| {
            let input = TemplateInput {
                incident,
                tickets: linked.clone(),
                breaches: Vec::new(),
                tz: chrono_tz::Europe::Berlin,
                now: now(),
            };
            postmortem_template::render(postmortem_template::TEMPLATE, &input)
        })
    });
}

criterion_group!(benches, journal, editor, template);
criterion_main!(benches);
