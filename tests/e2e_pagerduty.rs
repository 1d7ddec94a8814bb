//! End to end: the real binary in a PTY with a config of one PagerDuty `[[sources]]` (the fake
//! PagerDuty behind a real Prism) and no separate server: the PagerDuty incident appears, `a`
//! acknowledges it, and the fake sees the `PUT` that acknowledges it there, valid by PagerDuty's
//! own spec; `A` then hands it to a PagerDuty user found by an opsdeck name.

#[path = "support/console.rs"]
mod console;
#[path = "support/pagerduty/mod.rs"]
mod pagerduty;
#[path = "support/pty.rs"]
mod pty;

use std::path::Path;
use std::time::Duration;

use console::{BIN, Console, T};
use pagerduty::{FakePagerDuty, NewIncident};
use pty::{ConsoleDirs, Pty};

#[test]
fn a_pagerduty_incident_appears_a_acknowledges_it_and_a_reassigns_it_in_pagerduty() {
    // The fake serves from the runtime's worker threads while this thread drives the terminal.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let fake = runtime.block_on(FakePagerDuty::start());
    fake.add_user("Opsdeck Bot", "opsdeck-bot@example.com");
    let service = fake.add_service("Checkout");
    let pd_id = fake.add_incident(NewIncident::new("Checkout 5xx above 2%", &service));
    let id = format!("PD-{pd_id}");

    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("pagerduty.token");
    std::fs::write(&token, fake.token()).unwrap();
    let dirs = ConsoleDirs::new(dir.path().join("c")).expect("console dirs");
    let config_dir = dirs.config_home().join("opsdeck");
    std::fs::create_dir_all(&config_dir).unwrap();
    let config = format!(
        "[[sources]]\nkind = \"pagerduty\"\nname = \"pagerduty\"\nurl = \"{}\"\ntoken_file = \"{}\"\n\
         from = \"opsdeck-bot@example.com\"\npoll = 1\n",
        fake.url(),
        token.display()
    );
    std::fs::write(config_dir.join("config.toml"), config).unwrap();
    let mut command = dirs.command(Path::new(BIN), &[]);
    command.env("TERM", "xterm-256color");
    let pty = Pty::spawn(command).expect("spawn the console");
    let mut console = Console { pty, log: dirs.log_file() };
    console.wait_all(&[&id, "Checkout 5xx above 2%"]);
    console.keys(b"a");
    let put_of = |fake: &FakePagerDuty| {
        fake.requests().into_iter().find(|r| r.method == "PUT" && r.path == format!("/incidents/{pd_id}"))
    };
    let sent = fake.wait_until(T, |fake| put_of(fake).is_some());
    assert!(sent, "no PUT in PagerDuty; screen:\n{}", console.pty.screen());
    let put = put_of(&fake).expect("the PUT");
    let body: serde_json::Value = serde_json::from_str(&put.body).unwrap();
    assert_eq!(body["incident"]["status"], "acknowledged", "{body}");
    assert_eq!(put.header("from"), Some("opsdeck-bot@example.com"));
    assert!(put.header("accept").is_some_and(|a| a.contains(pagerduty::VENDOR_MEDIA_TYPE)), "{put:?}");
    assert_eq!(fake.incident(&pd_id)["status"], "acknowledged");
    console.wait("the incident acknowledged", |screen| screen.contains("ACK") || screen.contains("acknowledged"));

    // `A` hands it to Ana: PagerDuty looks the opsdeck name up among its users (not opsdeck's
    // list, which knows only this console's user) and reassigns it there.
    let ana = fake.add_user("Ana Lee", "ana@example.com");
    console.keys(b"A");
    console.wait("the reassign prompt", |screen| screen.contains("PagerDuty looks the name up"));
    console.keys(b"ana\r");
    let reassigned =
        fake.wait_until(T, |fake| fake.incident(&pd_id)["assignments"][0]["assignee"]["id"] == ana.as_str());
    assert!(reassigned, "not reassigned in PagerDuty; screen:\n{}", console.pty.screen());
    assert_eq!(fake.incident(&pd_id)["status"], "triggered", "Ana has to acknowledge it");
    console.wait("Ana shown as the assignee", |screen| screen.contains("Ana Lee"));
    console.keys(b"q");
    let status = console.ok(console.pty.wait_exit(T));
    assert!(status.success(), "{status}");
    assert!(fake.violations().is_empty(), "{:#?}", fake.violations());
    drop(fake);
    runtime.shutdown_timeout(Duration::from_secs(5));
}
