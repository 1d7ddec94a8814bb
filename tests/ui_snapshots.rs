//! Snapshots of every tab, driven by key events through the real state and views, at
//! 80×24 and 160×48, with a fixed clock, UTC display and the simulator's world for seed 7
//! (`ui_calendar_drift.rs` has the Drift and Calendar tabs).
//!
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test --test ui_snapshots`
//! and read the diff).

#[path = "support/harness.rs"]
#[macro_use]
mod harness;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use harness::{Harness, now};
use opsdeck::backend::BackendError;
use opsdeck::config::Config;
use opsdeck::console::effect::Effect;
use opsdeck::console::event::Event;
use opsdeck::console::state::AppState;
use opsdeck::console::theme::TermCaps;
#[test]
fn incident_list() {
    both_sizes!("list", "");
}

#[test]
fn incident_detail_with_timeline() {
    both_sizes!("detail", "j<Enter>");
}

#[test]
fn help_screen() {
    both_sizes!("help", "?");
}

#[test]
fn help_screen_scrolled_a_page_and_to_the_end() {
    let mut harness = Harness::new(80, 24);
    harness.press("?");
    harness.event(Event::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)));
    insta::assert_snapshot!("help_page_down_80x24", harness.screen());
    harness.press("G");
    let screen = harness.screen();
    assert!(screen.contains("Scroll with j k PgDn PgUp g G.") && screen.contains(" end "), "{screen}");
    insta::assert_snapshot!("help_end_80x24", screen);
}

#[test]
fn filter_by_service() {
    let mut harness = Harness::new(80, 24);
    harness.press("/support");
    insta::assert_snapshot!("filter_typing_80x24", harness.screen());
}

#[test]
fn resolve_asks_to_confirm() {
    let mut harness = Harness::new(80, 24);
    harness.press("r");
    insta::assert_snapshot!("resolve_confirm_80x24", harness.screen());
}

#[test]
fn stale_view_with_a_queued_action() {
    let mut harness = Harness::new(80, 24);
    harness.event(Event::SyncFailed {
        error: "cannot reach the backend: Connection refused (os error 111)".into(),
        at: now(),
    });
    harness.press("jja");
    let screen = harness.screen();
    assert!(screen.contains("STALE since 14:00:00"), "{screen}");
    assert!(screen.contains("ACK⧗"), "{screen}");
    insta::assert_snapshot!("stale_queued_80x24", screen);
}

#[test]
fn outbox_panel_keeps_a_rejected_note() {
    let mut harness = Harness::new(80, 24);
    harness.press("nrestarted the retriever pods<Enter>");
    let key = match harness.effects.last() {
        Some(Effect::Outbox(opsdeck::console::outbox::OutboxEffect::Persist(entry))) => entry.key.clone(),
        other => panic!("expected the note to be persisted, got {other:?}"),
    };
    harness.event(Event::OutboxPersisted { key: key.clone(), error: None });
    harness
        .event(Event::OutboxAnswered { key, result: Err(BackendError::Forbidden("erin may not write here".into())) });
    harness.press("o");
    insta::assert_snapshot!("outbox_rejected_80x24", harness.screen());
}

#[test]
fn read_only_is_visible_everywhere() {
    let mut harness = Harness::new(80, 24);
    harness.state.session.read_only_flag = true;
    harness.press("a");
    let screen = harness.screen();
    assert!(screen.contains("READ-ONLY"), "{screen}");
    assert!(screen.contains("read-only: acknowledge is disabled (started with --read-only)"), "{screen}");
    harness.press("?");
    let help = harness.screen();
    assert!(help.contains("Read-only: actions marked ! are disabled"), "{help}");
}

#[test]
fn ticket_queue_sorted_by_time_to_breach() {
    both_sizes!("tickets", "2");
}

/// At every size the queue says who owns each ticket and in what state it is; narrower
/// terminals shorten columns (`pend`, `Wide World…`) before the customer gives way.
#[test]
fn ticket_queue_keeps_status_and_owner_at_every_size() {
    for (width, height) in [(80, 24), (120, 32), (160, 48), (70, 20)] {
        let mut harness = Harness::new(width, height);
        harness.press("2");
        let screen = harness.screen();
        let row = screen.lines().find(|l| l.contains("SUP-2027")).unwrap_or_default();
        assert!(row.contains("pend") && row.contains("omar"), "{width}×{height}: {row}\n{screen}");
        if width >= 80 {
            assert!(row.contains("Wide World"), "{width}×{height}: {row}");
        }
        if width != 80 && width != 160 {
            insta::assert_snapshot!(format!("tickets_{width}x{height}"), screen);
        }
    }
}

#[test]
fn ticket_detail_with_clocks_and_history() {
    both_sizes!("ticket_detail", "2jj<Enter>");
}

#[test]
fn sla_tab_with_every_running_clock() {
    both_sizes!("sla", "3");
}

#[test]
fn a_pending_ticket_pauses_its_clocks_at_once() {
    let mut harness = Harness::new(80, 24);
    harness.press("2p");
    let screen = harness.screen();
    assert!(screen.contains("SUP-2041⧗"), "{screen}");
    assert!(screen.contains("⏸"), "{screen}");
    insta::assert_snapshot!("ticket_pending_80x24", screen);
}

#[test]
fn a_clock_paused_by_maintenance_names_the_window_not_the_customer() {
    let mut harness = Harness::new(80, 24);
    harness.press("2/SUP-2042<Enter><Enter>");
    let screen = harness.screen();
    assert!(screen.contains("SUP-2042 P1 NEW"), "{screen}");
    assert!(screen.contains("paused: maintenance MW-3005"), "{screen}");
    assert!(!screen.contains("waiting on the customer"), "{screen}");
    insta::assert_snapshot!("ticket_paused_by_maintenance_80x24", screen);
}

#[test]
fn assign_asks_for_a_name() {
    let mut harness = Harness::new(80, 24);
    harness.press("2Alee");
    insta::assert_snapshot!("ticket_assign_80x24", harness.screen());
}

#[test]
fn assign_offers_the_known_users_as_you_type() {
    use opsdeck::api::{Role, User};
    let mut harness = Harness::new(80, 24);
    let user = |name: &str, role| User { name: name.into(), role };
    let users = vec![user("dana", Role::Commander), user("dario", Role::Responder), user("erin", Role::Responder)];
    harness.event(Event::Users(Ok(users)));
    harness.press("2Ad");
    let screen = harness.screen();
    assert!(screen.contains("matches: dana  dario · Tab completes"), "{screen}");
    insta::assert_snapshot!("ticket_assign_known_users_80x24", screen);
}

/// A customer's outage report names its incident (and the key that opens it); the incident lists
/// the tickets that report it.
#[test]
fn ticket_and_incident_details_show_their_links() {
    for (width, height) in [(80, 24), (160, 48)] {
        let mut harness = Harness::new(width, height);
        assert!(harness.state.tickets.open_key("SUP-2042", 20));
        harness.press("2");
        let screen = harness.screen();
        assert!(screen.contains("linked to INC-1001 (i opens it)"), "{screen}");
        assert!(screen.contains("message") && screen.contains("model overloaded"), "{screen}");
        insta::assert_snapshot!(format!("ticket_detail_linked_{width}x{height}"), screen);
        harness.press("i");
        let screen = harness.screen();
        assert!(screen.contains("ticket: SUP-2042 (Northwind Travel, new) · T opens it"), "{screen}");
        insta::assert_snapshot!(format!("incident_detail_linked_{width}x{height}"), screen);
    }
}

/// Three postmortems at `now`: published, in review (saved last by someone else than its author),
/// and a draft with an overdue action item.
fn postmortems() -> Vec<opsdeck::domain::Postmortem> {
    use opsdeck::domain::{Postmortem, PostmortemDraft, PostmortemStatus};
    let body = "## Summary\n\nThe gateway returned 5xx for 40 minutes after a deploy.\n\n## Action items\n\n\
                - [ ] Canary every gateway deploy @lee due:2026-11-01\n- [x] Roll back the deploy @erin\n\
                - [ ] Alert on PSI above 0.25 @sam due:2026-12-01\n";
    let make = |incident: &str, title: &str, status, by: &str, minutes_ago: i64| {
        let draft = PostmortemDraft { title: title.into(), body: body.into() };
        let at = now() - chrono::Duration::minutes(minutes_ago);
        let mut pm = Postmortem::create(opsdeck::domain::postmortem::postmortem_id(incident), incident, draft, by, at);
        pm.status = status;
        pm
    };
    // lee wrote the review of INC-1003; dana saved the latest revision.
    let mut reviewed = make("INC-1003", "Retriever served a stale index", PostmortemStatus::InReview, "lee", 5 * 60);
    (reviewed.updated_by, reviewed.version) = ("dana".into(), 2);
    vec![
        make("INC-1001", "Gateway 5xx after the 2.3.0 deploy", PostmortemStatus::Published, "dana", 2 * 24 * 60),
        reviewed,
        make("INC-1007", "Assistant answered in the wrong language", PostmortemStatus::Draft, "erin", 20),
    ]
}

fn with_postmortems(width: u16, height: u16) -> Harness {
    let mut harness = Harness::new(width, height);
    let changes = postmortems().into_iter().map(opsdeck::api::Change::Postmortem).collect();
    harness.event(opsdeck::fixtures::synced(now(), "fixture", false, changes));
    harness
}

#[test]
fn postmortems_list_with_status_and_action_items() {
    for (width, height) in [(80, 24), (160, 48)] {
        let mut harness = with_postmortems(width, height);
        harness.press("6");
        insta::assert_snapshot!(format!("postmortems_{width}x{height}"), harness.screen());
    }
}

#[test]
fn postmortem_editor_drafted_from_the_template() {
    for (width, height) in [(80, 24), (160, 48)] {
        let mut harness = with_postmortems(width, height);
        harness.press("p");
        let screen = harness.screen();
        assert!(screen.contains("Title") && screen.contains("+ item"), "{screen}");
        insta::assert_snapshot!(format!("postmortem_editor_{width}x{height}"), screen);
    }
}

#[test]
fn postmortem_editor_wraps_long_lines_and_a_search_leaves_no_sideways_scroll() {
    let mut harness = with_postmortems(80, 24);
    harness.press("6<Down><Down><Enter>");
    let long = "Root cause: the language detector was skipped for every request routed through the \
                fallback provider, so German prompts were answered in English until the rollback at 14:05.";
    harness.press(long);
    harness.press("<Enter>");
    let ctrl = |c| Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    harness.event(ctrl('f'));
    harness.press("rollback");
    harness.press("<Enter><Esc>");
    let screen = harness.screen();
    assert!(screen.contains("Root cause: the language detector"), "the line's start stays in view:\n{screen}");
    assert!(screen.contains("rollback at 14:05."), "its end is wrapped onto the next rows:\n{screen}");
    insta::assert_snapshot!("postmortem_editor_wrapped_80x24", screen);
}

#[test]
fn postmortem_conflict_shows_both_texts() {
    let mut harness = with_postmortems(80, 24);
    harness.press("6<Down><Down><Enter>Our root cause: the detector was skipped.<Enter>");
    let theirs = {
        let mut pm = harness.state.postmortems.selected().unwrap().clone();
        pm.body = pm.body.replace("40 minutes", "42 minutes");
        pm.version += 1;
        pm.updated_by = "dana".into();
        pm
    };
    harness.state.modals.editor_mut().unwrap().theirs = Some(Box::new(theirs));
    let screen = harness.screen();
    assert!(screen.contains("42 minutes") && screen.contains("Our root cause"), "{screen}");
    insta::assert_snapshot!("postmortem_conflict_80x24", screen);
}

/// The message log: an error that an info would have replaced is still readable, with its time;
/// the status line keeps showing the error.
#[test]
fn message_log_keeps_what_was_said() {
    let mut harness = Harness::new(80, 24);
    harness.state.flash(
        opsdeck::console::state::Level::Error,
        "✗ INC-1018 already acknowledged by dana 40 s ago",
        now(),
    );
    harness.state.flash(opsdeck::console::state::Level::Info, "new P3: INC-1020 Retrieval index stale", now());
    let screen = harness.screen();
    assert!(screen.contains("already acknowledged by dana"), "the error is not replaced by an info: {screen}");
    harness.press("L");
    insta::assert_snapshot!("message_log_80x24", harness.screen());
}

/// A viewer's footer offers only what a viewer can do.
#[test]
fn a_viewer_is_offered_what_a_viewer_can_do() {
    let mut harness = Harness::new(80, 24);
    harness.state.session.me = Some(opsdeck::api::Me { name: "vic".into(), role: opsdeck::api::Role::Viewer });
    let screen = harness.screen();
    let footer = screen.lines().last().unwrap().to_string();
    assert!(footer.contains("read-only") && !footer.contains("ack") && !footer.contains("resolve"), "{footer}");
    insta::assert_snapshot!("viewer_80x24", screen);
}

/// At 80 columns the header keeps its counts and the filter whole (`/support (2)`), shortening
/// the tab bar instead, also while stale.
#[test]
fn the_header_keeps_counts_and_filter_whole_at_80_columns() {
    let mut harness = Harness::new(80, 24);
    harness.press("/support<Enter>");
    harness.event(Event::SyncFailed { error: "cannot reach the backend".into(), at: now() });
    let header = harness.screen().lines().next().unwrap().to_string();
    assert!(header.contains("3 open · 19") && header.contains("/support (2)"), "{header}");
    assert!(header.contains("STALE since") && header.contains("UTC"), "{header}");
}

/// The Linux console (and VTs): ASCII glyphs, no braille, and only the 16 ANSI colours, the
/// config's `#rrggbb` ones included.
#[test]
fn the_linux_console_gets_ascii_and_sixteen_colours() {
    use ratatui::style::Color;
    for (name, keys) in [("list", ""), ("sla", "3"), ("drift", "4"), ("help", "?"), ("outbox", "o")] {
        let mut harness = Harness::with_term(80, 24, "linux");
        harness.press(keys);
        let screen = harness.screen();
        let symbols: String = screen.chars().filter(|c| !c.is_alphanumeric()).collect();
        assert!(symbols.is_ascii(), "{name}: {screen}");
        for colour in harness.colours() {
            let sixteen = !matches!(colour, Color::Rgb(..) | Color::Indexed(_));
            assert!(sixteen, "{name}: {colour:?} is not one of the 16 ANSI colours");
        }
        if matches!(name, "list" | "sla" | "drift") {
            insta::assert_snapshot!(format!("ascii_{name}_80x24"), screen);
        }
    }
    // vt220 is the same; a modern terminal keeps its glyphs and the config's exact colour.
    let mut vt = Harness::with_term(80, 24, "vt220");
    assert!(vt.screen().contains("* live"));
    let mut modern = Harness::with_term(80, 24, "xterm-256color");
    assert!(modern.screen().contains("● live"));
    assert!(modern.colours().contains(&Color::Rgb(0xff, 0x5f, 0x5f)));
}

#[test]
fn a_terminal_below_the_minimum_says_so() {
    for (width, height) in [(60, 20), (80, 12)] {
        let mut harness = Harness::new(width, height);
        let screen = harness.screen();
        assert!(screen.contains("Terminal too small") && screen.contains("q or Ctrl-c quits"), "{screen}");
        insta::assert_snapshot!(format!("too_small_{width}x{height}"), screen);
    }
    let mut tiny = Harness::new(20, 3);
    assert!(tiny.screen().contains("Terminal too small"));
}

/// Six-digit counts show whole at 120 and 80 columns, also against a named backend, stale and
/// read-only (the widest the header's right side gets): words go before digits do.
#[test]
fn the_header_never_cuts_a_number() {
    const N: usize = 100_009;
    let policy = opsdeck::domain::catalog::policies().into_iter().next();
    let incidents: Vec<_> = (0..N)
        .map(|i| {
            let new = opsdeck::domain::NewIncident {
                title: format!("anomaly #{i}"),
                service_id: "llm-gateway".into(),
                priority: opsdeck::domain::Priority::P2,
            };
            let at = now() - chrono::Duration::seconds(i as i64);
            opsdeck::domain::Incident::trigger(format!("INC-{}", 200_000 + i), new, "alertmanager", at, policy.as_ref())
        })
        .collect();
    for (total, numbers) in [(N, 2), (2 * N, 3)] {
        let mut session = opsdeck::fixtures::session(false);
        session.read_only_flag = true;
        let snapshot = opsdeck::cache::CacheSnapshot {
            incidents: incidents.clone(),
            total,
            services: opsdeck::domain::catalog::services(),
            policies: opsdeck::domain::catalog::policies(),
            ..opsdeck::cache::CacheSnapshot::default()
        };
        let mut state = AppState::new(session, &Config::default(), snapshot, TermCaps::full(true), now());
        state.update(Event::SyncFailed { error: "cannot reach the backend".into(), at: now() }, now());
        for width in [200, 120, 80] {
            state.update(Event::Resize { width, height: 24 }, now());
            let mut terminal = Terminal::new(TestBackend::new(width, 24)).unwrap();
            terminal.draw(|frame| opsdeck::console::view::draw(frame, &state, now())).unwrap();
            let screen = terminal.backend().to_string();
            let header = screen.lines().next().unwrap().trim_matches('"').to_string();
            let whole = header.split(|c: char| !c.is_ascii_digit()).filter(|n| *n == "100009" || *n == "200018");
            assert_eq!(whole.count(), numbers, "at {width} columns, {total} in all: {header}");
            let cut = header.split(|c: char| !c.is_ascii_digit()).any(|n| n.starts_with("1000") && n.len() < 6);
            assert!(!cut, "at {width} columns: {header}");
            assert!(header.contains("READ-ONLY") && header.contains("ops.example.com"), "{header}");
            assert!(header.contains(" STALE"), "{header}");
            eprintln!("{width:3}: {header}");
            if width == 200 {
                assert!(
                    header.contains(" open · ") && header.contains("STALE: never synced"),
                    "room for words: {header}"
                );
            }
        }
    }
}
