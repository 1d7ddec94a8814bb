//! `opsdeck calendar export|import`: the real binary against the reference server started in
//! this process on 127.0.0.1:0, with dana's (commander) token in a temporary file.

#[path = "support/ops.rs"]
mod ops;

use std::path::{Path, PathBuf};
use std::process::Output;

use opsdeck::domain::MaintenanceWindow;

const GOOGLE_STYLE: &str = "BEGIN:VCALENDAR\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
VERSION:2.0\r
BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
DTSTART:19701025T030000\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
DTSTART;TZID=Europe/Berlin:20261205T020000\r
DTEND;TZID=Europe/Berlin:20261205T040000\r
RRULE:FREQ=MONTHLY;BYDAY=1SA\r
UID:patching-1@google.com\r
SUMMARY:Platform patching\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20261220T000000Z\r
DURATION:P14D\r
UID:freeze-1@google.com\r
SUMMARY:Year-end freeze\r
CATEGORIES:change_freeze\r
X-OPSDECK-SERVICES:llm-gateway,billing-meter\r
END:VEVENT\r
END:VCALENDAR\r
";

use ops::{Commander as Setup, commander as setup};

impl Setup {
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn server_args(&self) -> Vec<String> {
        vec!["--backend".into(), self.server.url(), "--token-file".into(), self.token.display().to_string()]
    }

    async fn import(&self, file: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["calendar".to_string(), "import".into(), file.display().to_string()];
        args.extend(self.server_args());
        args.extend(extra.iter().map(|s| s.to_string()));
        ops::run_opsdeck(args).await
    }

    async fn export(&self, extra: &[&str]) -> Output {
        let mut args = vec!["calendar".to_string(), "export".into()];
        args.extend(self.server_args());
        args.extend(extra.iter().map(|s| s.to_string()));
        ops::run_opsdeck(args).await
    }

    async fn windows(&self) -> Vec<MaintenanceWindow> {
        let url = format!("{}/v1/maintenance", self.server.url());
        reqwest::Client::new().get(url).bearer_auth(ops::VIC).send().await.unwrap().json().await.unwrap()
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_creates_windows_once_and_export_round_trips() {
    let s = setup().await;
    let file = s.file("google.ics", GOOGLE_STYLE);
    let out = s.import(&file, &["--services", "llm-gateway,rag-retrieval"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 created, 0 updated, 0 cancelled, 0 unchanged, 0 refused"));
    let windows = s.windows().await;
    assert_eq!(windows.len(), 2);
    let patching = windows.iter().find(|w| w.title == "Platform patching").unwrap();
    assert_eq!(
        (patching.timezone.as_str(), patching.rrule.as_deref()),
        ("Europe/Berlin", Some("FREQ=MONTHLY;BYDAY=1SA"))
    );
    assert_eq!(patching.services, vec!["llm-gateway".to_string(), "rag-retrieval".to_string()]);
    let freeze = windows.iter().find(|w| w.title == "Year-end freeze").unwrap();
    assert_eq!(freeze.services, vec!["llm-gateway".to_string(), "billing-meter".to_string()]);
    assert_eq!(freeze.end - freeze.start, chrono::Duration::days(14));

    let again = s.import(&file, &["--services", "llm-gateway,rag-retrieval"]).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 created, 0 updated, 0 cancelled, 2 unchanged, 0 refused")
    );
    assert_eq!(s.windows().await.len(), 2, "no duplicates");

    let exported = s.export(&[]).await;
    assert!(exported.status.success(), "{}", stderr(&exported));
    let text = String::from_utf8(exported.stdout).unwrap();
    assert!(text.contains("DTSTART;TZID=Europe/Berlin:20261205T020000"), "{text}");
    let round = s.file("export.ics", &text);
    let third = s.import(&round, &[]).await;
    assert!(third.status.success(), "{}", stderr(&third));
    assert_eq!(s.windows().await.len(), 2, "the export describes the same windows");

    let ranged = s.export(&["--from", "2026-12-10", "--to", "2026-12-31"]).await;
    let text = String::from_utf8(ranged.stdout).unwrap();
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 1, "only the freeze has an occurrence then: {text}");
    assert!(text.contains("SUMMARY:Year-end freeze"));
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_events_are_refused_alone_and_bad_files_exit_2_and_create_nothing() {
    let s = setup().await;
    let without_services = s.file("google.ics", GOOGLE_STYLE);
    let out = s.import(&without_services, &[]).await;
    assert_eq!(out.status.code(), Some(2), "one event refused: exit 2");
    let message = stderr(&out);
    assert!(
        message.contains("refused event `patching-1@google.com` (Platform patching): no X-OPSDECK-SERVICES"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 created, 0 updated, 0 cancelled, 0 unchanged, 1 refused"));
    assert_eq!(s.windows().await.len(), 1, "the freeze, which names its services, is planned");

    let bad_rule = s.file("rule.ics", &GOOGLE_STYLE.replace("FREQ=MONTHLY;BYDAY=1SA", "FREQ=FORTNIGHTLY"));
    let out = s.import(&bad_rule, &["--services", "llm-gateway"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("(Platform patching): rrule: "), "{}", stderr(&out));

    let no_start = s.file("start.ics", &GOOGLE_STYLE.replace("DTSTART:20261220T000000Z\r\n", ""));
    let out = s.import(&no_start, &["--services", "llm-gateway"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("(Year-end freeze): DTSTART is missing"), "{}", stderr(&out));
    assert_eq!(s.windows().await.len(), 2, "and the patching, now with services");

    let broken =
        s.file("broken.ics", &GOOGLE_STYLE.replace("SUMMARY:Year-end freeze\r\n", "SUMMARY Year-end freeze\r\n"));
    let out = s.import(&broken, &["--services", "llm-gateway"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    let unknown = s.import(&without_services, &["--services", "llm-gateway,nope"]).await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("--services: unknown service `nope`; nothing was imported"),
        "{}",
        stderr(&unknown)
    );

    let bad_date = s.export(&["--from", "December"]).await;
    assert_eq!(bad_date.status.code(), Some(2));
    assert!(stderr(&bad_date).contains("--from must be a date like 2026-12-01, not `December`"));

    assert_eq!(s.windows().await.len(), 2, "nothing more was created");
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_responder_cannot_import() {
    let s = setup().await;
    std::fs::write(&s.token, ops::ERIN).unwrap();
    let file = s.file("google.ics", GOOGLE_STYLE);
    let out = s.import(&file, &["--services", "llm-gateway"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("only commanders"), "{}", stderr(&out));
    assert!(s.windows().await.is_empty());
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporting_and_importing_the_same_server_creates_no_duplicate() {
    let s = setup().await;
    // Planned "now": a start with a fraction of a second, which a file cannot carry.
    let start = chrono::Utc::now() + chrono::Duration::hours(1);
    assert_ne!(start.timestamp_subsec_nanos(), 0);
    let body = serde_json::json!({
        "title": "Gateway TLS rotation", "kind": "emergency_patch", "services": ["llm-gateway"],
        "start": start, "end": start + chrono::Duration::minutes(45), "timezone": "Europe/Berlin",
        "suppress_alerts": true, "pause_sla": true
    });
    let created = reqwest::Client::new()
        .post(format!("{}/v1/maintenance", s.server.url()))
        .bearer_auth(ops::DANA)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let exported = s.export(&[]).await;
    assert!(exported.status.success(), "{}", stderr(&exported));
    let text = String::from_utf8(exported.stdout).unwrap();
    // RFC 5545: every TZID used has its VTIMEZONE, before the events.
    assert!(text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"), "{text}");
    assert!(text.find("END:VTIMEZONE").unwrap() < text.find("BEGIN:VEVENT").unwrap(), "{text}");
    assert!(text.contains("TZOFFSETTO:+0100") && text.contains("TZOFFSETTO:+0200"), "{text}");

    let file = s.file("export.ics", &text);
    let out = s.import(&file, &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 created, 0 updated, 0 cancelled, 1 unchanged, 0 refused"),
        "{:?}",
        out
    );
    assert_eq!(s.windows().await.len(), 1, "no duplicate");
    s.server.shutdown().await.unwrap();
}

/// The binary with `args` and `env` set, `OPSDECK_TOKEN` removed unless given, and the config
/// folder an empty one unless given.
async fn run_with_env(s: &Setup, args: &[&str], env: &[(&str, String)]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let empty = s.dir.path().join("no-config");
    std::fs::create_dir_all(&empty).unwrap();
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"));
        command.args(&args).env_remove("OPSDECK_TOKEN").env("XDG_CONFIG_HOME", &empty);
        command.envs(env).output().expect("the binary runs")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backend_and_token_come_from_the_config_or_opsdeck_token_as_the_console_finds_them() {
    let s = setup().await;
    let ics = s.file("windows.ics", GOOGLE_STYLE);
    let imported = s.import(&ics, &["--services", "llm-gateway"]).await;
    assert!(imported.status.success(), "{}", stderr(&imported));
    let url = s.server.url();

    // The console's config file names both.
    let config = s.file("config.toml", &format!("backend = \"{url}\"\ntoken_file = \"{}\"\n", s.token.display()));
    let config = config.display().to_string();
    let out = run_with_env(&s, &["calendar", "export", "--config", &config], &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("SUMMARY:Platform patching"));
    // The default config file, where the console looks for it.
    let home = s.dir.path().join("xdg");
    std::fs::create_dir_all(home.join("opsdeck")).unwrap();
    std::fs::copy(&config, home.join("opsdeck/config.toml")).unwrap();
    let out = run_with_env(&s, &["calendar", "export"], &[("XDG_CONFIG_HOME", home.display().to_string())]).await;
    assert!(out.status.success(), "{}", stderr(&out));

    // OPSDECK_TOKEN with --backend, no config at all.
    let token = std::fs::read_to_string(&s.token).unwrap();
    let out = run_with_env(&s, &["calendar", "export", "--backend", &url], &[("OPSDECK_TOKEN", token)]).await;
    assert!(out.status.success(), "{}", stderr(&out));

    // Neither: a usage error saying where each could come from, nothing sent.
    let out = run_with_env(&s, &["calendar", "export"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no backend: pass --backend URL or set `backend` in"), "{}", stderr(&out));
    let out = run_with_env(&s, &["calendar", "export", "--backend", &url], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no token: pass --token-file FILE, set OPSDECK_TOKEN, or set token_file in"),
        "{}",
        stderr(&out)
    );
    // A --config that does not exist is named, as the console does.
    let out = run_with_env(&s, &["calendar", "export", "--config", "/nonexistent/opsdeck.toml"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/opsdeck.toml"), "{}", stderr(&out));
}
