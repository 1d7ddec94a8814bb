//! What the command-line tools print when a server or a file is hostile: the real binary
//! (`postmortem export`, `calendar export`, `calendar import`) against the reference server on
//! 127.0.0.1:0, seeded through its store — as another Ops API implementation, or an older server,
//! could hold it — with titles and bodies carrying OSC 52 (clipboard), OSC 0 (window title), CSI
//! and BEL. Nothing the binary writes, on stdout or stderr, may carry ESC, BEL or a C1 control.

#[path = "support/ops.rs"]
mod ops;

use std::path::PathBuf;
use std::process::Output;

use chrono::Utc;
use tokio::task::JoinHandle;

use opsdeck::db::DbLocation;
use opsdeck::domain::{Entity, MaintenanceWindow, Postmortem, PostmortemStatus};
use opsdeck::server::sources::{Source, SourceContext};
use opsdeck::server::store::{EntityTx, StoreError, StoredResponse, TxInput, TxOutcome};
use opsdeck::server::{self, RunningServer, ServeOptions};

const OSC52: &str = "\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}";
const OSC0: &str = "\u{1b}]0;pwned\u{1b}\\";
const CSI: &str = "\u{1b}[2J\u{1b}[H\u{1b}[31m";
const BEL: &str = "\u{7}";
const C1_CSI: &str = "\u{9b}31m";

fn hostile_postmortem() -> Postmortem {
    Postmortem {
        id: "PM-9001".into(),
        incident_id: "INC-9001".into(),
        title: format!("Retries{OSC52} made it{OSC0} worse{CSI}{BEL}"),
        status: PostmortemStatus::Draft,
        body: format!("## Summary\n\nA blip{OSC52}\r\nturned into{CSI} an outage{BEL}.\n\n\tIndented{C1_CSI} line\n"),
        action_items: Vec::new(),
        version: 1,
        created_by: "erin".into(),
        updated_by: format!("erin{OSC0}"),
        updated_at: Utc::now(),
    }
}

fn hostile_window() -> MaintenanceWindow {
    let mut window = opsdeck::fixtures::seeded_maintenance(Utc::now()).remove(0);
    window.title = format!("Patching{OSC52} night{OSC0}{BEL}");
    window.description = format!("Line one{CSI}\nline\ttwo{C1_CSI}\r\nthree{BEL}");
    window.created_by = format!("dana{CSI}");
    window
}

/// Writes the hostile entities straight into the store, as a source would.
struct Hostile;

#[async_trait::async_trait]
impl Source for Hostile {
    fn name(&self) -> &str {
        "hostile"
    }

    fn kind(&self) -> &'static str {
        "test"
    }

    async fn start(&self, context: SourceContext) -> Result<JoinHandle<()>, StoreError> {
        let store = context.store;
        for entity in [Entity::Postmortem(hostile_postmortem()), Entity::Maintenance(hostile_window())] {
            let kind = entity.kind();
            // A postmortem's id is its incident's, never allocated; a window's comes from the store.
            let id = match &entity {
                Entity::Postmortem(p) => Some(p.id.clone()),
                _ => None,
            };
            let decide = Box::new(move |input: TxInput| {
                let entity = match entity {
                    Entity::Maintenance(w) => {
                        Entity::Maintenance(MaintenanceWindow { id: input.new_id.unwrap_or(w.id.clone()), ..w })
                    }
                    other => other,
                };
                TxOutcome { response: StoredResponse::entity(201, &entity), write: Some(entity) }
            });
            store.transact(EntityTx { kind, id, idempotency: None, decide }).await?;
        }
        Ok(tokio::spawn(async {}))
    }
}

struct Setup {
    server: RunningServer,
    dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let options = ServeOptions { db: DbLocation::Memory.into(), users: ops::users(), sources: vec![Box::new(Hostile)] };
    let server = server::start(listener, options).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), format!("{}\n", ops::DANA)).unwrap();
    Setup { server, dir }
}

impl Setup {
    async fn run(&self, args: &[&str]) -> Output {
        let token = self.dir.path().join("token").display().to_string();
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(["--backend".into(), self.server.url(), "--token-file".into(), token]);
        ops::run_opsdeck(all).await
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The server's own JSON for `path`: proof that what the binary printed came in hostile.
    async fn raw(&self, path: &str) -> String {
        let answer = reqwest::Client::new().get(format!("{}{path}", self.server.url())).bearer_auth(ops::DANA);
        answer.send().await.unwrap().text().await.unwrap()
    }
}

/// Fails when `bytes` hold ESC, BEL, a C1 control, or any C0 control but those in `allowed`.
fn assert_inert(what: &str, bytes: &[u8], allowed: &[char]) {
    let text = String::from_utf8(bytes.to_vec()).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    for (i, c) in text.char_indices() {
        let control = c.is_control() && !allowed.contains(&c);
        let invisible = matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!control && !invisible, "{what}: {c:?} at byte {i} in {text:?}");
    }
}

fn inert_run(what: &str, output: &Output, stdout_allowed: &[char]) {
    assert_inert(&format!("{what} stdout"), &output.stdout, stdout_allowed);
    assert_inert(&format!("{what} stderr"), &output.stderr, &['\n']);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postmortem_export_prints_a_hostile_postmortem_inert() {
    let s = setup().await;
    assert!(s.raw("/v1/postmortems/PM-9001").await.contains("\\u001b]52;"), "the server holds the OSC 52");
    let out = s.run(&["postmortem", "export", "PM-9001"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    inert_run("postmortem export", &out, &['\n', '\t']);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("# Retries made it worse\n\n"), "{text}");
    assert!(text.contains("last changed by erin at"), "{text}");
    assert!(text.contains("A blip\nturned into an outage.\n\n\tIndented line\n"), "lines and tabs kept: {text}");
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_export_of_hostile_windows_is_valid_inert_icalendar() {
    let s = setup().await;
    assert!(s.raw("/v1/maintenance").await.contains("\\u001b]52;"), "the server holds the OSC 52");
    let out = s.run(&["calendar", "export"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // RFC 5545: CRLF ends lines; HTAB is the only other control a value may hold.
    inert_run("calendar export", &out, &['\r', '\n', '\t']);
    let ics = String::from_utf8(out.stdout).unwrap();
    assert!(ics.ends_with("END:VCALENDAR\r\n"), "{ics}");
    for line in ics.split("\r\n") {
        assert!(!line.contains('\r') && !line.contains('\n'), "a bare CR or LF in {line:?}");
    }
    let unfolded = ics.replace("\r\n ", "");
    assert!(unfolded.contains("SUMMARY:Patching night\r\n"), "{unfolded}");
    assert!(unfolded.contains("DESCRIPTION:Line one\\nline\ttwo\\nthree\r\n"), "{unfolded}");
    // What was exported imports back: the file is still iCalendar.
    let events = opsdeck::domain::maintenance_ics::from_ics(&ics).expect("the export parses");
    assert!(events.iter().any(|e| e.title == "Patching night"), "{events:?}");
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_import_errors_quoting_a_hostile_file_are_inert() {
    let s = setup().await;
    let event = |uid: &str, extra: &str| {
        format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Patch{OSC52}ing{OSC0}\r\nDESCRIPTION:Body{CSI}{BEL}\r\n{extra}END:VEVENT\r\n"
        )
    };
    let files = [
        // No services: the error names the event by its UID and SUMMARY.
        event(&format!("mw{OSC0}-1@example.com"), "DTSTART:20261205T020000Z\r\nDTEND:20261205T040000Z\r\n"),
        // A broken date, quoted in the error.
        event("mw-2@example.com", &format!("DTSTART:2026{CSI}1205\r\nX-OPSDECK-SERVICES:llm-gateway\r\n")),
        // A service the server does not know, quoted in the error.
        event(
            "mw-3@example.com",
            &format!("DTSTART:20261205T020000Z\r\nDTEND:20261205T040000Z\r\nX-OPSDECK-SERVICES:llm{OSC52}-gw\r\n"),
        ),
    ];
    for (i, body) in files.iter().enumerate() {
        let path =
            s.file(&format!("bad-{i}.ics"), &format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n"));
        let out = s.run(&["calendar", "import", &path.display().to_string()]).await;
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "file {i}: {stderr}");
        inert_run(&format!("calendar import of file {i}"), &out, &['\n']);
        assert_eq!(stderr.lines().count(), 1, "file {i}: one line: {stderr}");
        assert!(stderr.contains(&path.display().to_string()) && stderr.contains("refused"), "{stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("0 created, 0 updated, 0 cancelled, 0 unchanged, 1 refused"), "file {i}: {stdout}");
        if i == 0 {
            assert!(stderr.contains("event `mw-1@example.com` (Patching)"), "the event is named, inert: {stderr}");
        }
    }
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_import_of_a_hostile_file_prints_an_inert_report_or_refusal() {
    let s = setup().await;
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:mw{OSC0}-9@example.com\r\nSUMMARY:Patch{OSC52}ing{BEL}\r\n\
         DESCRIPTION:Body{CSI}\r\nDTSTART:20261205T020000Z\r\nDTEND:20261205T040000Z\r\n\
         X-OPSDECK-SERVICES:llm-gateway\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let path = s.file("hostile.ics", &ics);
    let out = s.run(&["calendar", "import", &path.display().to_string()]).await;
    inert_run("calendar import", &out, &['\n']);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // A UID with a control character cannot be a window's `uid` (the server would refuse it): the
    // event is refused before anything is sent, named inert, on one line.
    assert_eq!(out.status.code(), Some(2), "{stdout} {stderr}");
    assert!(stdout.contains("0 created, 0 updated, 0 cancelled, 0 unchanged, 1 refused"), "{stdout}");
    assert!(
        stderr.lines().count() == 1
            && stderr.contains("refused event `mw-9@example.com` (Patching): UID holds a control character"),
        "{stderr}"
    );
    s.server.shutdown().await.unwrap();
}
