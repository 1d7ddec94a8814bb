//! The PagerDuty source's first fill of a 10,000-incident account at the default limit (960 a
//! minute), end to end into a SQLite store in a file: the fake PagerDuty behind a real Prism
//! (`tests/support/pagerduty/`), the source's client, budget and mapping. `cargo bench --bench
//! pagerduty_sync` (`OPSDECK_PD_INCIDENTS=2000` changes the count, `OPSDECK_PD_ROUNDS` the rounds;
//! 2 by default, each with a fresh store and a fresh budget).
//!
//! Reported: the time to the first full fill (catalog, every page, every incident written) and
//! the requests it used. The floor beside it is curl fetching the same pages of `GET /incidents`
//! through Prism one after another, with no budget and no store (the sum of their `time_total`).

#[path = "../tests/support/pagerduty/mod.rs"]
mod pagerduty;

use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck::db::DbLocation;
use opsdeck::server::store::Store;
use opsdeck::server::store::sqlite::SqliteStore;
use opsdeck::sources::pagerduty::{self as pd_source, sync::Syncer};
use pagerduty::{FakeOptions, FakePagerDuty};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// curl's own timing of one page, or none when curl is missing.
fn curl(url: &str, token: &str) -> Option<Duration> {
    let out = std::process::Command::new("curl")
        .args(["-s", "-g", "-o", "/dev/null", "-w", "%{time_total}"])
        .args(["-H", &format!("Authorization: Token token={token}")])
        .args(["-H", &format!("Accept: {}", pagerduty::VENDOR_MEDIA_TYPE)])
        .args(["-H", "Content-Type: application/json", url])
        .output()
        .ok()?;
    let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some(Duration::from_secs_f64(secs))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count = env("OPSDECK_PD_INCIDENTS", 10_000);
    let rounds = env("OPSDECK_PD_ROUNDS", 2).max(1);
    // The fake's own limit is out of the way: the source's budget is what is measured.
    let fake = FakePagerDuty::start_with(FakeOptions { rate_per_minute: 100_000, ..FakeOptions::default() }).await;
    fake.add_user("Opsdeck Bot", "opsdeck-bot@example.com");
    let service = fake.add_service("Checkout");
    fake.add_incidents(count, &service);
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, fake.token()).unwrap();
    let text =
        format!("url = \"{}\"\ntoken_file = \"{}\"\nfrom = \"opsdeck-bot@example.com\"", fake.url(), token.display());
    println!("pagerduty first fill: {count} open incidents, default limit 960/min, {rounds} rounds");
    for round in 1..=rounds {
        let config: pd_source::Config = toml::from_str(&text).unwrap();
        let source = pd_source::connect("bench-pd", config).unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&DbLocation::File(dir.path().join(format!("s{round}.sqlite")))).await.unwrap());
        let mut syncer = Syncer::new(Arc::new(source.settings().clone()), store.clone(), source.client().clone());
        let before = fake.requests().len();
        let started = Instant::now();
        syncer.run_once(chrono::Utc::now()).await.unwrap();
        let took = started.elapsed();
        let used = fake.requests().len() - before;
        let open = store.incidents(true, 100_000).await.unwrap().len();
        assert_eq!(open, count, "every incident is in the store");
        let pages: Vec<String> = fake.requests()[before..]
            .iter()
            .filter(|r| r.method == "GET" && r.path == "/incidents")
            .map(|r| format!("{}/incidents?{}", fake.url(), r.query))
            .collect();
        let floor: Vec<Duration> = pages.iter().filter_map(|url| curl(url, fake.token())).collect();
        let floor = if floor.len() == pages.len() {
            let sum: Duration = floor.iter().sum();
            format!("{} for {} pages ({:.1}×)", secs(sum), pages.len(), took.as_secs_f64() / sum.as_secs_f64())
        } else {
            "curl missing".to_string()
        };
        println!(
            "round {round}: first fill {} · {used} requests · floor: curl of the same pages through Prism {floor}",
            secs(took)
        );
    }
    assert!(fake.violations().is_empty(), "{:#?}", fake.violations());
}
