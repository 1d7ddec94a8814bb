//! End to end over a network that breaks the way real ones do: the real `opsdeck serve` in one
//! network namespace, the real console in a pseudo-terminal in another, joined by one link that
//! the test shapes (see `support/netns.rs`): 2 s of latency each way, 30 % loss, and a partition
//! that drops every packet instead of refusing the connection.
//!
//! For each, the console stays responsive while its requests hang (a key changes the screen
//! within a second), says STALE within the poll interval plus 5 s when nothing gets through (a
//! partition, or one that drops only the answers), and an action taken meanwhile is queued and
//! recorded by the server exactly once: through the slow or lossy link, or once the network
//! heals. The server is asked from inside its own namespace, off the shaped link.
//!
//! These tests need root and iproute2 (`ip`, and `tc` where the kernel has netem); CI runs as
//! root and installs iproute2. Without either, each test prints why it is skipped and passes.
//! Every wait is on the screen (or a process) with a deadline; nothing sleeps.

#[path = "support/console.rs"]
mod console;
#[path = "support/netns.rs"]
mod netns;
#[path = "support/pty.rs"]
mod pty;

use std::path::Path;
use std::time::{Duration, Instant};

use console::{Api, BIN, CTRL_R, Console, T, footer, line_of};
use netns::{Lab, Shape, Toward};
use pty::{ConsoleDirs, ERIN_TOKEN, Server};
use serde_json::Value;

/// The console's poll interval in most of these tests (its config file says so): short, so
/// STALE is due soon.
const POLL: Duration = Duration::from_secs(1);
/// How long a key may take to change the screen: far shorter than one way across the link.
const KEY_BOUND: Duration = Duration::from_secs(1);
/// The issue's promise: STALE within the poll interval plus 5 s of the network going bad.
const STALE_AFTER_POLL: Duration = Duration::from_secs(5);

/// A server and a console on either side of a shaped link, with one P1 incident.
/// Fields drop in order: the console and the server are gone before the namespaces.
struct Scene {
    console: Console,
    server: Server,
    id: String,
    poll: Duration,
    _dirs: ConsoleDirs,
    _dir: tempfile::TempDir,
    lab: Lab,
}

/// The scene with the console live, or `None` (and why, on stderr) where namespaces cannot be
/// made.
fn scene(title: &str, poll: Duration) -> Option<Scene> {
    if let Some(why) = netns::unavailable() {
        eprintln!("skipped: {why}");
        return None;
    }
    let lab = Lab::new().unwrap_or_else(|e| panic!("making the namespaces: {e}"));
    eprintln!("link: {}, server {} console {}", lab.kind(), lab.server_ip, lab.console_ip);
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = dir.path().join("tokens.toml");
    pty::write_tokens(&tokens).expect("tokens file");
    let server = Server::start_via(
        &lab.in_server(),
        &lab.server_ip,
        Path::new(BIN),
        &dir.path().join("server.sqlite"),
        &tokens,
        T,
    )
    .expect("server in its namespace");
    let url = server.url.clone();
    let incident = lab.beside_server(|| Api::new(&url).create(ERIN_TOKEN, title, "P1"));
    let id = incident["id"].as_str().expect("incident id").to_string();

    let dirs = ConsoleDirs::new(dir.path().join("console")).expect("console dirs");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("poll_interval = \"{}s\"\n", poll.as_secs())).expect("config file");
    let config = config.to_string_lossy().into_owned();
    let console = Console::start_via(&lab.in_console(), &dirs, &server.url, ERIN_TOKEN, &["--config", &config], &[]);
    console.wait_all(&[&id, title, "● live", "erin · responder"]);
    Some(Scene { console, server, id, poll, _dirs: dirs, _dir: dir, lab })
}

impl Scene {
    /// The incident as the server has it, asked from the server's side of the link.
    fn incident(&self) -> Value {
        let (url, id) = (self.server.url.clone(), self.id.clone());
        self.lab.beside_server(move || Api::new(&url).get(ERIN_TOKEN, &id))
    }

    /// The server's timeline events of `kind` on the incident.
    fn events(&self, kind: &str) -> Vec<Value> {
        let incident = self.incident();
        incident["timeline"].as_array().expect("timeline").iter().filter(|e| e["kind"] == kind).cloned().collect()
    }

    /// Presses `key` and waits, at most [`KEY_BOUND`], for the screen to show `what`; returns
    /// how long it took.
    fn key(&mut self, key: &[u8], what: &str, shows: impl FnMut(&str) -> bool) -> Duration {
        let started = Instant::now();
        self.console.keys(key);
        let result = self.console.pty.wait_for_described(what, shows, KEY_BOUND);
        self.console.ok(result);
        started.elapsed()
    }

    /// Opens the incident and goes back, each key answered on screen within [`KEY_BOUND`]
    /// while a sync request hangs on the link. Returns the slower of the two.
    fn assert_responsive(&mut self) -> Duration {
        // A sync round now, so a request is in flight on the bad link while the keys are pressed.
        self.console.keys(CTRL_R);
        let open = self.key(b"\r", "the incident's detail", |s| s.contains("timeline"));
        let back = self.key(b"\x1b", "the incident list", |s| s.contains("State") && !s.contains("timeline"));
        open.max(back)
    }

    /// Waits (at most the poll interval plus [`STALE_AFTER_POLL`] from `since`) for the badge
    /// to say STALE; returns when.
    fn assert_stale_within_bound(&self, since: Instant) -> Duration {
        let left = (self.poll + STALE_AFTER_POLL).saturating_sub(since.elapsed());
        let result = self.console.pty.wait_for_described("the STALE badge", |s| s.contains("STALE since"), left);
        self.console.ok(result);
        since.elapsed()
    }

    /// Acknowledges the selected (only) incident: shown pending, and queued or being sent, at
    /// once (or already confirmed, when the link let it through that fast).
    fn acknowledge(&mut self) -> Duration {
        let id = self.id.clone();
        let done = format!("✓ {id} acknowledged");
        self.key(b"a", "the incident shown as ACK⧗ with 1 queued or sending, or acknowledged", |s| {
            let pending = line_of(s, &id).is_some_and(|l| l.contains("ACK⧗"))
                && (footer(s).contains("⧗ 1 queued") || footer(s).contains("⧗ 1 sending"));
            pending || footer(s).contains(&done)
        })
    }

    /// Heals the link and waits for the console to be live with nothing queued.
    fn heal_and_settle(&self) -> Duration {
        self.lab.shape(Shape::Clear).expect("heal the link");
        let healed = Instant::now();
        let id = self.id.clone();
        self.console.wait("live again with nothing queued", |s| {
            s.contains("● live") && !s.contains('⧗') && line_of(s, &id).is_some_and(|l| !l.contains('⧗'))
        });
        healed.elapsed()
    }

    /// Writes a note on the incident: queued, sending or confirmed within [`KEY_BOUND`].
    fn note(&mut self, text: &str) -> Duration {
        let id = self.id.clone();
        self.key(b"n", "the note prompt", |s| s.contains(&format!("note on {id}")));
        self.console.keys(text.as_bytes());
        let prompt = format!("note on {id}");
        self.key(b"\r", "the note queued, sending or sent", |s| {
            let footer = footer(s);
            !s.contains(&prompt)
                && (footer.contains(" queued") || footer.contains(" sending") || footer.contains(&format!("✓ {id}")))
        })
    }

    fn assert_noted_once(&self, text: &str) {
        let notes: Vec<Value> = self.events("note").into_iter().filter(|e| e["text"] == text).collect();
        assert_eq!(notes.len(), 1, "exactly one note {text:?}: {notes:#?}");
    }

    fn assert_acknowledged_once(&self) {
        let acks = self.events("acknowledged");
        assert_eq!(acks.len(), 1, "exactly one acknowledgement: {acks:#?}");
        assert_eq!(acks[0]["actor"], "erin", "{acks:#?}");
    }
}

#[test]
fn a_partition_that_drops_packets_shows_stale_in_time_and_the_queued_ack_is_sent_once_when_it_heals() {
    let Some(mut scene) = scene("Gateway 5xx spike after deploy", POLL) else { return };
    scene.lab.shape(Shape::Loss(100)).expect("partition");
    let cut = Instant::now();
    let lag = scene.assert_responsive();
    let stale = scene.assert_stale_within_bound(cut);
    let ack = scene.acknowledge();
    scene.console.wait_text("saved (offline)");
    assert!(scene.events("acknowledged").is_empty(), "nothing crosses a partition");
    let settled = scene.heal_and_settle();
    scene.assert_acknowledged_once();
    eprintln!(
        "partition: keys {lag:?}, STALE after {stale:?}, ack queued in {ack:?}, settled {settled:?} after healing; \
         relay {:?}",
        scene.lab.counts()
    );
}

/// The request gets through, its answer does not: the server applies the acknowledgement (when
/// it crosses on the connection still open from the last poll, as it does here every time) while
/// the console still waits, and whatever the console does next (the answer arriving late, or
/// sending again with the same idempotency key) the server records it once.
#[test]
fn when_only_the_answers_are_dropped_the_ack_is_still_recorded_once() {
    let Some(mut scene) = scene("Retriever returns empty context", POLL) else { return };
    scene.lab.shape_toward(Toward::Console, Shape::Loss(100)).expect("drop the answers");
    let cut = Instant::now();
    // At once, while the console's connection from its last poll is still open: the request can
    // only cross on it (a new connection's SYN-ACK is dropped too).
    let ack = scene.acknowledge();
    let stale = scene.assert_stale_within_bound(cut);
    let lag = scene.assert_responsive();
    let applied_meanwhile = scene.events("acknowledged").len();
    assert!(applied_meanwhile <= 1, "{applied_meanwhile} acknowledgements");
    let settled = scene.heal_and_settle();
    scene.assert_acknowledged_once();
    eprintln!(
        "answers dropped: keys {lag:?}, ack queued in {ack:?}, STALE after {stale:?}, {applied_meanwhile} ack applied \
         before healing, settled {settled:?} after; relay {:?}",
        scene.lab.counts()
    );
}

/// A 4 s round trip with the default poll interval (2 s, so a request may take 5 s): answers are
/// late but they come, so the console keeps syncing over its open connection (the badge may say
/// STALE between two late answers) and sends the acknowledgement without waiting for the link
/// to heal; a note taken meanwhile is sent too, and once the link heals nothing is sent twice.
#[test]
fn two_seconds_of_latency_each_way_keep_keys_instant_and_each_action_is_recorded_once() {
    let Some(mut scene) = scene("Token latency over SLO", opsdeck::config::DEFAULT_POLL) else { return };
    scene.lab.shape(Shape::Delay(Duration::from_secs(2))).expect("latency");
    let slow = Instant::now();
    let lag = scene.assert_responsive();
    let ack = scene.acknowledge();
    let id = scene.id.clone();
    scene.console.wait_text(&format!("✓ {id} acknowledged"));
    let acked = slow.elapsed();
    let note = scene.note("paged the gateway team over a slow link");
    let settled = scene.heal_and_settle();
    scene.assert_acknowledged_once();
    scene.assert_noted_once("paged the gateway team over a slow link");
    let stale_seen = String::from_utf8_lossy(&scene.console.pty.raw_output()).contains("STALE");
    eprintln!(
        "latency: keys {lag:?}, ack queued in {ack:?} and confirmed after {acked:?}, note queued in {note:?}, \
         settled {settled:?} after healing, STALE shown meanwhile: {stale_seen}; relay {:?}",
        scene.lab.counts()
    );
}

/// 30 % of packets lost each way: TCP retransmits and the console gets through on its own, so
/// each action is confirmed while the loss goes on, and recorded once, and what the server learns
/// meanwhile reaches the screen.
#[test]
fn thirty_percent_loss_keeps_keys_instant_and_each_action_is_recorded_once() {
    let Some(mut scene) = scene("Embedding queue backlog", POLL) else { return };
    scene.lab.shape(Shape::Loss(30)).expect("loss");
    let lossy = Instant::now();
    let lag = scene.assert_responsive();
    let id = scene.id.clone();
    scene.note("restarted the embedder on a lossy link");
    scene.console.wait_text(&format!("✓ {id} note"));
    let noted = lossy.elapsed();
    scene.acknowledge();
    scene.console.wait_text(&format!("✓ {id} acknowledged"));
    let acked = lossy.elapsed();
    // And the change feed gets through too: what the server learns meanwhile shows up.
    let url = scene.server.url.clone();
    let titles = ["Reranker timeouts 1", "Reranker timeouts 2", "Reranker timeouts 3"];
    scene.lab.beside_server(|| {
        let api = Api::new(&url);
        for title in titles {
            api.create(ERIN_TOKEN, title, "P2");
        }
    });
    scene.console.wait_all(&titles);
    let synced = lossy.elapsed();
    let settled = scene.heal_and_settle();
    scene.assert_noted_once("restarted the embedder on a lossy link");
    scene.assert_acknowledged_once();
    eprintln!(
        "loss: keys {lag:?}, note confirmed after {noted:?}, ack after {acked:?}, 3 new incidents shown after \
         {synced:?}, settled {settled:?} after healing; relay {:?}",
        scene.lab.counts()
    );
}
