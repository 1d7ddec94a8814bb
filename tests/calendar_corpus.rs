//! `opsdeck calendar import` of files written the way Outlook, Google Calendar, Thunderbird,
//! Evolution (libical), Lotus Notes, khal and Apple Calendar write them (`tests/ics/`), through
//! the real binary against the reference server on 127.0.0.1:0: the windows each must produce
//! (start and end in UTC, title, zone), a second import that changes nothing, a changed file that
//! updates its windows, and truly broken files (`tests/ics/broken/`) each refused with one line.
//! The binary runs with `TZ` set to a zone far from every file's, so nothing depends on the
//! machine's own zone.

#[path = "support/ops.rs"]
mod ops;

use std::path::{Path, PathBuf};
use std::process::Output;

use chrono::{DateTime, Utc};
use opsdeck::domain::MaintenanceWindow;

use ops::{Commander as Setup, commander as setup};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ics").join(name)
}

impl Setup {
    async fn import(&self, file: &Path) -> Output {
        let args = vec![
            "calendar".to_string(),
            "import".into(),
            file.display().to_string(),
            "--backend".into(),
            self.server.url(),
            "--token-file".into(),
            self.token.display().to_string(),
            "--services".into(),
            "llm-gateway".into(),
        ];
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
                .args(&args)
                .env("TZ", "Pacific/Kiritimati")
                .output()
                .expect("the binary runs")
        })
        .await
        .unwrap()
    }

    async fn windows(&self) -> Vec<MaintenanceWindow> {
        let url = format!("{}/v1/maintenance?include_cancelled=true", self.server.url());
        let mut all: Vec<MaintenanceWindow> =
            reqwest::Client::new().get(url).bearer_auth(ops::VIC).send().await.unwrap().json().await.unwrap();
        all.sort_by_key(|w| (w.start, w.title.clone()));
        all
    }
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// (file, [(title, start UTC, end UTC, zone kept)]) oldest first.
type Expected = (&'static str, Vec<(&'static str, &'static str, &'static str, &'static str)>);

fn expected() -> Vec<Expected> {
    vec![
        (
            "outlook.ics",
            vec![
                ("Weekly retrain", "2026-11-03T21:00:00Z", "2026-11-03T22:30:00Z", "Europe/Berlin"),
                ("Weekly retrain (moved)", "2026-11-17T20:00:00Z", "2026-11-17T22:00:00Z", "Europe/Berlin"),
            ],
        ),
        (
            "google.ics",
            vec![
                ("Year-end change freeze", "2026-12-20T23:00:00Z", "2027-01-03T23:00:00Z", "Europe/Berlin"),
                ("Summer patching", "2027-06-05T00:00:00Z", "2027-06-05T02:00:00Z", "Europe/Berlin"),
            ],
        ),
        (
            "thunderbird.ics",
            vec![
                ("(untitled)", "2026-07-11T02:00:00Z", "2026-07-11T03:00:00Z", "America/New_York"),
                ("DR drill", "2026-11-14T14:00:00Z", "2026-11-14T18:00:00Z", "America/New_York"),
            ],
        ),
        (
            "evolution.ics",
            vec![
                ("Certificate rotation", "2026-12-01T05:00:00Z", "2026-12-01T06:00:00Z", "Europe/Berlin"),
                ("Christmas Eve (no deploys)", "2026-12-24T00:00:00Z", "2026-12-25T00:00:00Z", "UTC"),
            ],
        ),
        (
            "lotus_notes.ics",
            vec![("Storage firmware upgrade", "2027-04-15T18:00:00Z", "2027-04-15T20:00:00Z", "Europe/Berlin")],
        ),
        (
            "khal.ics",
            vec![
                ("Search index rebuild", "2026-12-08T22:00:00Z", "2026-12-09T01:00:00Z", "Europe/Stockholm"),
                ("Floating laptop reminder, really a window", "2026-12-09T08:00:00Z", "2026-12-09T08:30:00Z", "UTC"),
            ],
        ),
        (
            "apple.ics",
            vec![
                ("Billing DB failover test", "2026-12-05T06:00:00Z", "2026-12-05T08:00:00Z", "America/New_York"),
                ("New Year (quiet day)", "2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z", "UTC"),
            ],
        ),
        (
            "custom_zones.ics",
            vec![
                ("Gateway rollout, EU", "2027-07-02T03:00:00Z", "2027-07-02T04:00:00Z", "Europe/Berlin"),
                ("Gateway rollout, US", "2027-07-02T09:00:00Z", "2027-07-02T10:00:00Z", "America/New_York"),
            ],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_program_s_file_imports_to_the_windows_it_describes_and_once_only() {
    for (file, windows) in expected() {
        let s = setup().await;
        let out = s.import(&corpus(file)).await;
        assert!(out.status.success(), "{file}: {}{}", text(&out.stdout), text(&out.stderr));
        let got: Vec<(String, DateTime<Utc>, DateTime<Utc>, String)> =
            s.windows().await.into_iter().map(|w| (w.title, w.start, w.end, w.timezone)).collect();
        let want: Vec<(String, DateTime<Utc>, DateTime<Utc>, String)> =
            windows.iter().map(|(t, a, b, z)| (t.to_string(), at(a), at(b), z.to_string())).collect();
        assert_eq!(got, want, "{file}");
        let summary = format!("{} created, 0 updated, 0 cancelled", windows.len());
        assert!(text(&out.stdout).contains(&summary), "{file}: {}", text(&out.stdout));

        let again = s.import(&corpus(file)).await;
        assert!(again.status.success(), "{file}: {}", text(&again.stderr));
        assert!(text(&again.stdout).contains("0 created, 0 updated, 0 cancelled"), "{file}: {}", text(&again.stdout));
        assert_eq!(s.windows().await.len(), windows.len(), "{file}: no duplicates");
        s.server.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_each_file_says_beyond_times_is_kept() {
    let s = setup().await;
    for file in ["outlook.ics", "google.ics", "evolution.ics"] {
        let out = s.import(&corpus(file)).await;
        assert!(out.status.success(), "{file}: {}", text(&out.stderr));
    }
    let windows = s.windows().await;
    let find = |title: &str| windows.iter().find(|w| w.title == title).unwrap_or_else(|| panic!("{title}"));
    // Outlook: the excluded and the moved Tuesdays are not in the series.
    let retrain = find("Weekly retrain");
    let starts: Vec<DateTime<Utc>> =
        retrain.occurrences(at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z")).iter().map(|o| o.start).collect();
    assert_eq!(starts, [at("2026-11-03T21:00:00Z"), at("2026-11-24T21:00:00Z")]);
    assert_eq!(retrain.description, "Retrain and deploy, then check drift.");
    // Google: escapes and a folded line; the kind from CATEGORIES.
    let summer = find("Summer patching");
    assert_eq!(
        summer.description,
        "Kernel and driver updates, node by node; see the runbook at https://wiki.example.com/patching"
    );
    assert_eq!(find("Year-end change freeze").kind, opsdeck::domain::MaintenanceKind::ChangeFreeze);
    assert!(windows.iter().all(|w| w.title != "Dropped drill"), "a cancelled event plans nothing");
    // Evolution: UNTIL as a date ends the monthly rule on that day.
    let rotation = find("Certificate rotation");
    let count = rotation.occurrences(at("2026-11-01T00:00:00Z"), at("2028-01-01T00:00:00Z")).len();
    assert_eq!(count, 4, "Dec 1, Jan 1, Feb 1, Mar 1");
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_changed_since_the_last_import_updates_its_window() {
    let s = setup().await;
    let original = std::fs::read_to_string(corpus("google.ics")).unwrap();
    let out = s.import(&corpus("google.ics")).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = s.windows().await;

    // Same UID, new times (and a new SEQUENCE), and the freeze cancelled.
    let changed = original
        .replace("20270605T020000", "20270612T030000")
        .replace("20270605T040000", "20270612T050000")
        .replace("SEQUENCE:0", "SEQUENCE:1")
        .replace("CATEGORIES:change_freeze\r\nSTATUS:CONFIRMED", "CATEGORIES:change_freeze\r\nSTATUS:CANCELLED");
    let path = s.dir.path().join("google-changed.ics");
    std::fs::write(&path, changed).unwrap();
    let out = s.import(&path).await;
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("0 created, 1 updated, 1 cancelled"), "{}", text(&out.stdout));
    let after = s.windows().await;
    assert_eq!(after.len(), before.len(), "updated in place, nothing new");
    let summer = after.iter().find(|w| w.title == "Summer patching").unwrap();
    let old = before.iter().find(|w| w.title == "Summer patching").unwrap();
    assert_eq!((summer.id.as_str(), summer.version), (old.id.as_str(), old.version + 1));
    assert_eq!((summer.start, summer.end), (at("2027-06-12T01:00:00Z"), at("2027-06-12T03:00:00Z")));
    assert!(after.iter().find(|w| w.title == "Year-end change freeze").unwrap().cancelled);

    // The changed file once more: nothing to do.
    let out = s.import(&path).await;
    assert!(text(&out.stdout).contains("0 created, 0 updated, 0 cancelled"), "{}", text(&out.stdout));
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truly_broken_files_are_refused_with_one_line_naming_the_event() {
    let cases = [
        (
            "duration_overflow.ics",
            2,
            "refused event `overflow-1` (Endless): DURATION: `P99999999999999999W` is out of range",
        ),
        ("duration_huge.ics", 2, "refused event `huge-1` (Almost endless): DURATION: the end is out of range"),
        ("minutely.ics", 2, "refused event `minutely-1` (Health probe): rrule: FREQ=MINUTELY repeats more often"),
        ("end_before_start.ics", 2, "refused event `backwards-1` (Backwards): end: must be after start"),
        ("zero_length.ics", 2, "refused event `instant-1` (A moment): lasts no time"),
        ("unknown_zone.ics", 2, "refused event `mars-1` (On Mars): DTSTART: unknown time zone `Mars Standard Time`"),
        ("bad_date.ics", 2, "refused event `date-1` (Bad date): DTSTART: `20261345T030000` is not a date-time"),
        ("truncated.ics", 2, "the file ends inside VEVENT without its END (truncated?); nothing was imported"),
        ("no_colon.ics", 2, "line 6: `SUMMARY Missing colon` is not a property (NAME:value); nothing was imported"),
        ("not_icalendar.ics", 2, "it has no BEGIN:VCALENDAR; nothing was imported"),
    ];
    let s = setup().await;
    for (file, code, expected) in cases {
        let out = s.import(&corpus(&format!("broken/{file}"))).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{file}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{file}: one line: {stderr}");
        assert!(stderr.contains(expected), "{file}: {stderr}\nshould contain\n{expected}");
        assert!(!stderr.contains("panicked"), "{file}: {stderr}");
    }
    assert!(s.windows().await.is_empty(), "nothing was created");
    s.server.shutdown().await.unwrap();
}
