//! End to end: the real `opsdeck` binary in a pseudo-terminal against a real `opsdeck serve`.
//!
//! Every wait is on an event (output arriving on the PTY, the server's listening line, a
//! process exiting) with a deadline that only matters when something is broken.

#[path = "support/console.rs"]
mod console;
#[path = "support/pty.rs"]
mod pty;

use std::path::Path;

use console::{BIN, CTRL_R, Console, T, World, footer, line_of};
use pty::{ConsoleDirs, DANA_TOKEN, ERIN_TOKEN, Pty, VIC_TOKEN};
use serde_json::{Value, json};

fn id_of(incident: &Value) -> String {
    incident["id"].as_str().expect("incident id").to_string()
}

/// The timeline events of `kind`.
fn events<'a>(incident: &'a Value, kind: &str) -> Vec<&'a Value> {
    incident["timeline"].as_array().expect("timeline").iter().filter(|e| e["kind"] == kind).collect()
}

/// The server recorded exactly one acknowledgement, by erin, and the incident is acknowledged.
fn assert_acknowledged_once_by_erin(incident: &Value) {
    let acks = events(incident, "acknowledged");
    assert_eq!(acks.len(), 1, "exactly one acknowledged event expected: {incident:#}");
    assert_eq!(acks[0]["actor"], "erin", "{incident:#}");
    assert_eq!(incident["status"], "acknowledged", "{incident:#}");
}

#[test]
fn acknowledge_reaches_the_server() {
    let world = World::new();
    let incident = world.api.create(ERIN_TOKEN, "Gateway 5xx spike after deploy", "P1");
    let id = id_of(&incident);
    let dirs = world.console_dirs("console");
    let mut console = world.console(&dirs, ERIN_TOKEN, &[]);

    console.wait_all(&[&id, "Gateway 5xx spike after deploy", "● live", "erin · responder"]);
    console.keys(b"a");
    let done = format!("✓ {id} acknowledged");
    let screen = console.wait_text(&done);
    assert!(footer(&screen).contains(&done), "the confirmation is in the status line:\n{screen}");

    assert_acknowledged_once_by_erin(&world.api.get(ERIN_TOKEN, &id));
}

/// Ctrl-c in the note prompt cancels the prompt and keeps the note, and the kept note survives
/// a restart: nothing typed is thrown away by the key that quits elsewhere.
#[test]
fn ctrl_c_in_the_note_prompt_keeps_the_note_across_a_restart() {
    let world = World::new();
    let id = id_of(&world.api.create(ERIN_TOKEN, "Retriever returns empty context", "P2"));
    let dirs = world.console_dirs("console");
    let mut console = world.console(&dirs, ERIN_TOKEN, &[]);
    console.wait_all(&[&id, "● live"]);
    console.keys(b"n");
    console.wait_text(&format!("note on {id}"));
    console.keys(b"rebuilt the index at 14:02");
    console.keys(b"\x03"); // ctrl-c
    console.wait_text(&format!("note draft for {id} kept"));
    assert!(!console.pty.has_exited(), "Ctrl-c in a prompt does not quit");
    console.keys(b"q");
    console.ok(console.pty.wait_exit(T));
    drop(console);

    let mut console = world.console(&dirs, ERIN_TOKEN, &[]);
    console.wait_all(&[&id, "● live"]);
    console.keys(b"n");
    console.wait_text("rebuilt the index at 14:02");
    console.keys(b"\r");
    console.wait_text(&format!("✓ {id}"));
    let incident = world.api.get_path(ERIN_TOKEN, &format!("/v1/incidents/{id}"));
    let notes: Vec<&Value> =
        events(&incident, "note").into_iter().filter(|e| e["text"] == "rebuilt the index at 14:02").collect();
    assert_eq!(notes.len(), 1, "{incident:#}");
}

#[test]
fn ticket_actions_reach_the_server_and_the_sla_tab_follows() {
    let world = World::new();
    let body = json!({
        "subject": "Assistant quotes a refund policy that does not exist",
        "customer": "Northwind Travel",
        "service_id": "support-assistant",
        "priority": "P2",
    });
    let (key, mut console, _dirs) = world.ticket_and_console(body);

    console.keys(b"2");
    console.wait_all(&[&key, "Response", "refund policy"]);
    console.keys(b"t");
    console.wait_text(&format!("✓ {key} taken"));
    console.keys(b"R");
    console.wait_text(&format!("✓ {key} first response recorded"));
    let stored = world.api.get_path(ERIN_TOKEN, &format!("/v1/tickets/{key}"));
    assert_eq!(stored["assignee"], "erin", "{stored:#}");
    assert!(stored["first_response_at"].is_string(), "{stored:#}");

    // The response clock has stopped: only the resolution clock is left running.
    console.keys(b"3");
    let screen = console.wait_all(&["running", &key]);
    let clocks: Vec<&str> = screen.lines().filter(|l| l.contains(&key) && l.contains('░')).collect();
    assert_eq!(clocks.len(), 1, "{screen}");
    assert!(clocks[0].contains("resol"), "{screen}");
}

#[test]
fn offline_action_is_sent_exactly_once_after_the_server_returns() {
    let mut world = World::new();
    let first = id_of(&world.api.create(ERIN_TOKEN, "Token latency over SLO", "P1"));
    let second = id_of(&world.api.create(ERIN_TOKEN, "Embedding queue backlog", "P2"));
    let dirs = world.console_dirs("console");
    let mut console = world.console(&dirs, ERIN_TOKEN, &[]);

    let screen = console.wait_all(&[&first, &second, "● live", "erin · responder"]);
    let row = |id: &str| screen.lines().position(|l| l.contains(id));
    assert!(row(&first) < row(&second), "P1 sorts above P2:\n{screen}");

    // Online: the first (selected) incident.
    console.keys(b"a");
    console.wait_text(&format!("✓ {first} acknowledged"));

    // The server goes away; a sync attempt makes the console notice at once.
    world.server.kill().expect("kill the server");
    console.keys(CTRL_R);
    console.wait_text("STALE since");

    // Offline: select the second incident and acknowledge it.
    console.keys(b"j");
    console.keys(b"a");
    let screen = console.wait(&format!("{second} shown as ACK⧗, saved, with 1 queued"), |s| {
        line_of(s, &second).is_some_and(|l| l.contains("ACK⧗"))
            && footer(s).contains("⧗ 1 queued")
            && footer(s).contains("saved (offline)")
    });
    assert!(screen.contains("STALE since"), "still stale while queued:\n{screen}");
    assert!(line_of(&screen, &first).is_some_and(|l| !l.contains('⧗')), "only the second is pending:\n{screen}");

    // Back on the same port with the same database; sync now rather than after the backoff.
    // The console's own retry may win the race with Ctrl-R, so wait for the end state (nothing
    // queued, live, acknowledged) rather than for a message that a later one can replace.
    world.server.restart(T).expect("restart the server");
    console.keys(CTRL_R);
    let screen = console.wait(&format!("{second} acknowledged and nothing queued"), |s| {
        !s.contains('⧗') && s.contains("● live") && line_of(s, &second).is_some_and(|l| l.contains("ACK"))
    });
    assert!(!footer(&screen).contains("queued"), "{screen}");

    assert_acknowledged_once_by_erin(&world.api.get(ERIN_TOKEN, &second));
    assert_acknowledged_once_by_erin(&world.api.get(ERIN_TOKEN, &first));
}

#[test]
fn queued_action_survives_kill_9_and_cached_incidents_show_with_the_server_down() {
    let mut world = World::new();
    let id = id_of(&world.api.create(ERIN_TOKEN, "Safety filter false positives", "P1"));
    let dirs = world.console_dirs("console");
    let mut console = world.console(&dirs, ERIN_TOKEN, &[]);
    console.wait_all(&[&id, "● live", "erin · responder"]);

    world.server.kill().expect("kill the server");
    console.keys(CTRL_R);
    console.wait_text("STALE since");
    console.keys(b"a");
    // "saved (offline)" shows once the entry is on disk: only then is kill -9 fair game.
    console.wait(&format!("{id} shown as ACK⧗ and saved"), |s| {
        line_of(s, &id).is_some_and(|l| l.contains("ACK⧗")) && footer(s).contains("saved (offline)")
    });

    let status = console.ok(console.pty.kill9_and_wait(T));
    assert!(!status.success(), "SIGKILL leaves no clean exit: {status}");
    drop(console);

    // Same directories, server still down: the cache and the queued action are there at once.
    let mut console = world.console(&dirs, ERIN_TOKEN, &[]);
    let screen = console.wait(&format!("cached {id} with a stale badge and 1 queued"), |s| {
        line_of(s, &id).is_some_and(|l| l.contains("ACK⧗"))
            && footer(s).contains("⧗ 1 queued")
            && (s.contains("STALE since") || s.contains("CACHED"))
    });
    assert!(screen.contains("Safety filter false positives"), "{screen}");
    assert!(!screen.contains("● live"), "{screen}");

    world.server.restart(T).expect("restart the server");
    console.keys(CTRL_R);
    console.wait(&format!("{id} acknowledged and nothing queued"), |s| {
        !s.contains('⧗') && s.contains("● live") && line_of(s, &id).is_some_and(|l| l.contains("ACK"))
    });

    assert_acknowledged_once_by_erin(&world.api.get(ERIN_TOKEN, &id));
}

/// Writes `title` into the stored incident `id` as a backend without the text rule would hold it.
fn plant_title(db: &Path, id: &str, title: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let url = format!("sqlite://{}", db.display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("the server's database opens");
        sqlx::query("UPDATE entities SET doc = json_set(doc, '$.title', ?) WHERE kind = 'incident' AND id = ?")
            .bind(title)
            .bind(id)
            .execute(&pool)
            .await
            .expect("the title is planted");
        pool.close().await;
    });
}

#[test]
fn hostile_title_renders_inert() {
    let world = World::new();
    let hostile = "Hostile \x1b]52;c;aGVsbG8=\x07title \x1b[2J\x1b[31mred";
    // The reference server refuses such a title (422 naming the field); a backend that does not
    // (or a database written before the rule) still serves one, planted here in its store.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let refused = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/v1/incidents", world.server.url))
            .bearer_auth(ERIN_TOKEN)
            .json(&json!({"title": hostile, "service_id": "llm-gateway", "priority": "P2"}))
            .send()
            .await
            .expect("the server answers")
            .status()
    });
    assert_eq!(refused.as_u16(), 422);
    let id = id_of(&world.api.create(ERIN_TOKEN, "Plain title", "P2"));
    plant_title(&world.dir.path().join("server.sqlite"), &id, hostile);
    let dirs = world.console_dirs("console");
    let console = world.console(&dirs, ERIN_TOKEN, &[]);

    let screen = console.wait_all(&[&id, "Hostile title red", "● live"]);
    assert!(line_of(&screen, &id).is_some_and(|l| l.contains("Hostile title red")), "{screen}");

    let raw = console.pty.raw_output();
    let find = |needle: &[u8]| raw.windows(needle.len()).position(|w| w == needle);
    assert_eq!(find(b"\x1b]52"), None, "an OSC 52 sequence reached the terminal");
    assert_eq!(find(b"aGVsbG8="), None, "the OSC 52 payload reached the terminal");
    assert_eq!(find(b"]52;"), None, "remains of the OSC 52 sequence reached the terminal");
}

#[test]
fn read_only_and_viewer_cannot_act() {
    let world = World::new();
    let id = id_of(&world.api.create(ERIN_TOKEN, "Doc processor OCR timeouts", "P1"));
    let ro_dirs = world.console_dirs("read-only");
    let viewer_dirs = world.console_dirs("viewer");
    let mut read_only = world.console(&ro_dirs, ERIN_TOKEN, &["--read-only"]);
    let mut viewer = world.console(&viewer_dirs, VIC_TOKEN, &[]);

    read_only.wait_all(&[&id, "● live", "erin · responder", "READ-ONLY"]);
    read_only.keys(b"a");
    let screen = read_only.wait_text("read-only: acknowledge is disabled (started with --read-only)");
    assert!(!screen.contains('⧗'), "nothing is queued:\n{screen}");

    viewer.wait_all(&[&id, "● live", "vic · viewer"]);
    viewer.keys(b"a");
    let screen = viewer.wait_text("read-only: acknowledge is disabled (your role is viewer)");
    assert!(!screen.contains('⧗'), "nothing is queued:\n{screen}");

    let incident = world.api.get(ERIN_TOKEN, &id);
    assert!(events(&incident, "acknowledged").is_empty(), "{incident:#}");
    assert_eq!(incident["status"], "triggered", "{incident:#}");
    for (console, dirs) in [(&read_only, &ro_dirs), (&viewer, &viewer_dirs)] {
        let log = dirs.log();
        assert!(!log.contains("outbox send"), "the console sent an action:\n{log}\n{}", console.pty.screen());
    }
}

#[test]
fn sighup_exits_cleanly() {
    let world = World::new();
    let id = id_of(&world.api.create(ERIN_TOKEN, "RAG retrieval recall drop", "P3"));
    let dirs = world.console_dirs("console");
    let console = world.console(&dirs, ERIN_TOKEN, &[]);
    console.wait_all(&[&id, "● live"]);
    assert!(console.pty.alternate_screen(), "the console runs on the alternate screen");

    console.ok(console.pty.signal("HUP"));
    let status = console.ok(console.pty.wait_exit(T));
    assert!(status.success(), "SIGHUP should end the console cleanly, got {status}");

    let raw = console.pty.raw_output();
    let last = |needle: &[u8]| raw.windows(needle.len()).rposition(|w| w == needle);
    let leave = last(b"\x1b[?1049l").expect("the console never left the alternate screen");
    let enter = last(b"\x1b[?1049h").expect("the console never entered the alternate screen");
    assert!(leave > enter, "the last alternate-screen switch was entering it again");
    let tail = &raw[leave..];
    assert!(
        tail.len() < 64,
        "the console kept drawing after leaving the alternate screen: {:?}",
        String::from_utf8_lossy(tail)
    );
    assert!(!console.pty.alternate_screen(), "the terminal is back on the main screen");
}

#[test]
fn the_demo_shows_drifting_models_on_the_drift_tab() {
    // No backend configured: the console starts the reference server and simulator in-process and
    // syncs the models over HTTP like any backend.
    let dir = tempfile::tempdir().expect("tempdir");
    let dirs = ConsoleDirs::new(dir.path().join("demo")).expect("console dirs");
    let pty = Pty::spawn(dirs.command(Path::new(BIN), &[])).expect("spawn the demo");
    let mut console = Console { pty, log: dirs.log_file() };
    console.wait_all(&["DEMO", "● live"]);
    console.keys(b"4");
    console.wait_all(&["support-assistant", "query_length", "PSI per window", "▲ v2.3.0"]);
    console.keys(b"fff");
    console.wait_text("detected_intent");
    console.keys(b"v");
    // The hour before: a full window, where the category the reference never had shows up.
    console.keys(b"\x1b[D");
    console.wait_all(&["Reference vs window", "agent_handoff"]);
    console.keys(b"v");
    console.wait_all(&["Quality", "latency p95", "CSAT"]);
    console.keys(b"q");
    let status = console.ok(console.pty.wait_exit(T));
    assert!(status.success(), "{status}");
}

#[test]
fn the_demo_shows_the_running_maintenance_window_everywhere_and_what_still_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dirs = ConsoleDirs::new(dir.path().join("demo")).expect("console dirs");
    let pty = Pty::spawn(dirs.command(Path::new(BIN), &[])).expect("spawn the demo");
    let mut console = Console { pty, log: dirs.log_file() };
    // The simulator's emergency patch is running: the banner is on the first tab already.
    console.wait_all(&["DEMO", "● live", "MAINTENANCE: Emergency patch"]);
    console.keys(b"5");
    console.wait_all(&["Agenda", "▶", "Emergency patch"]);
    console.keys(b"\r");
    console.wait_all(&["What will still page", "SLA clocks on these services pause while it runs"]);
    console.keys(b"q");
    let status = console.ok(console.pty.wait_exit(T));
    assert!(status.success(), "{status}");
}

#[test]
fn a_commander_plans_a_window_in_the_form_and_the_server_has_it() {
    let world = World::new();
    let dirs = world.console_dirs("console");
    let mut console = world.console(&dirs, DANA_TOKEN, &[]);
    console.wait_all(&["● live", "dana · commander"]);
    console.keys(b"5n");
    console.wait_text("New maintenance window");
    // Title, (kind), services, a start that does not parse: Enter shows the problem, sends nothing.
    console.keys(b"Retriever reindex\t\trag-retrieval\t25:99\r");
    console.wait_text("is not a start time");
    // Fix the start (Backspace ×5) and make it 90 minutes (the until field holds 2h).
    console.keys(b"\x7f\x7f\x7f\x7f\x7f+2h\t\x7f\x7f90m\r");
    let screen = console.wait_text("planned");
    assert!(screen.contains("Retriever reindex"), "the new window is in the agenda:\n{screen}");
    let windows = world.api.get_path(DANA_TOKEN, "/v1/maintenance");
    let planned: Vec<&Value> =
        windows.as_array().expect("a list").iter().filter(|w| w["title"] == "Retriever reindex").collect();
    assert_eq!(planned.len(), 1, "planned once: {windows:#}");
    assert_eq!(planned[0]["created_by"], "dana");
    assert_eq!(planned[0]["services"], json!(["rag-retrieval"]));
    console.keys(b"q");
    let status = console.ok(console.pty.wait_exit(T));
    assert!(status.success(), "{status}");
}
