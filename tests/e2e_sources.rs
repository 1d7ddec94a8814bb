//! End to end: the real binary in a PTY with a config of `[[sources]]` pointing at a real
//! Alertmanager and a real Prometheus and no separate server: the alert appears as an incident,
//! `a` silences it in Alertmanager (queried back), and the Prometheus model's quality series is on
//! the Drift tab.

#[path = "support/alertmanager.rs"]
mod alertmanager;
#[path = "support/console.rs"]
mod console;
#[path = "support/prometheus.rs"]
mod prometheus;
#[path = "support/pty.rs"]
mod pty;

use std::path::Path;
use std::time::{Duration, Instant};

use console::{BIN, Console, T};
use pty::{ConsoleDirs, Pty};

#[test]
fn an_alert_appears_as_an_incident_and_a_silences_it_in_alertmanager() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let am = runtime.block_on(alertmanager::Alertmanager::start());
    let alert = alertmanager::alert("GpuMemoryHigh", "llm-gateway", "critical", "GPU memory at 97% on gw-3", &[]);
    runtime.block_on(am.post_alerts(&serde_json::json!([alert])));
    let alerts = runtime.block_on(am.alerts());
    let id = format!("AM-{}", &alerts[0]["fingerprint"].as_str().unwrap()[..10]);
    // Six hours of a quality metric, every minute up to a minute ago (so the open window has it).
    let now = chrono::Utc::now().timestamp();
    let mut history = String::from("# TYPE llm_error_rate gauge\n");
    for t in (now - 6 * 3600..now - 60).step_by(60) {
        history += &format!("llm_error_rate{{model=\"gw\"}} 0.02 {t}\n");
    }
    let prom = runtime.block_on(prometheus::Prometheus::start(&(history + "# EOF\n")));

    let dir = tempfile::tempdir().expect("tempdir");
    let dirs = ConsoleDirs::new(dir.path().join("c")).expect("console dirs");
    let config_dir = dirs.config_home().join("opsdeck");
    std::fs::create_dir_all(&config_dir).unwrap();
    let config = format!(
        "[[sources]]\nkind = \"alertmanager\"\nname = \"prod-am\"\nurl = \"{}\"\npoll = 1\n\n\
         [[sources]]\nkind = \"prometheus\"\nname = \"prod-prom\"\nurl = \"{}\"\npoll = 1\nhistory = \"6h\"\n\
         [[sources.models]]\nid = \"gw\"\nname = \"Gateway answers\"\nservice = \"llm-gateway\"\n\
         [sources.models.quality]\nerror_rate = 'llm_error_rate{{model=\"gw\"}}'\n",
        am.url(),
        prom.url
    );
    std::fs::write(config_dir.join("config.toml"), config).unwrap();
    let mut command = dirs.command(Path::new(BIN), &[]);
    command.env("TERM", "xterm-256color");
    let pty = Pty::spawn(command).expect("spawn the console");
    let mut console = Console { pty, log: dirs.log_file() };
    console.wait_all(&[&id, "GPU memory at 97%"]);
    console.keys(b"a");
    let deadline = Instant::now() + T;
    let silence = loop {
        let live = runtime.block_on(am.live_silences());
        let ours = live
            .into_iter()
            .find(|s| s["comment"].as_str().is_some_and(|c| c.starts_with(&format!("opsdeck: {id} ack by "))));
        if let Some(silence) = ours {
            break silence;
        }
        assert!(Instant::now() < deadline, "no silence in Alertmanager; screen:\n{}", console.pty.screen());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(silence["matchers"].as_array().map(Vec::len), Some(3), "{silence}");
    console.wait("the incident acknowledged", |screen| screen.contains("ACK") || screen.contains("acknowledged"));
    // The Prometheus model on the Drift tab, its quality view showing the value Prometheus holds.
    console.keys(b"4");
    console.wait_all(&["gw ▸ no features"]);
    console.keys(b"v");
    console.wait_all(&["Reference vs current"]);
    console.keys(b"v");
    console.wait_all(&["error rate 2.0%"]);
    console.keys(b"q");
    let status = console.ok(console.pty.wait_exit(T));
    assert!(status.success(), "{status}");
}
