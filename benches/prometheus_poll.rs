//! One poll of the Prometheus source against a real Prometheus, beside curl sending the same
//! queries: `cargo bench --bench prometheus_poll` (10 models × 6 quality queries and one histogram
//! feature each; `OPSDECK_PROM_MODELS=N` for another count).
//!
//! The history (72 h of 15-minute samples) is backfilled with `promtool` and Prometheus started
//! on it (`tests/support/prometheus.rs`). Then, five times each, median reported:
//!
//! - **first fill**: a new poller and an empty SQLite store, one poll: 72 closed windows per
//!   query (`query_range`), the open window (instant queries), the features' references, written
//!   into the store;
//! - **next window**: the poll an hour later on that store (one new window per query);
//! - **curl**: one `curl` process sending the first fill's same requests in turn (`--next`, one
//!   connection), its answers thrown away: the floor of asking Prometheus alone.

#[path = "../tests/support/prometheus.rs"]
mod prometheus;

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use opsdeck::db::DbLocation;
use opsdeck::server::store::sqlite::SqliteStore;
use opsdeck::sources::prometheus::{Config, poller};

const HOUR: i64 = 3600;
const QUERIES: [&str; 6] =
    ["error_rate", "csat", "latency_p95_ms", "escalation_rate", "tokens_per_request", "cost_per_1k_tokens"];

fn history(models: usize, from: i64, to: i64) -> String {
    let steps: Vec<i64> = (0..).map(|i| from + i * 900).take_while(|t| *t <= to).collect();
    let mut out = String::new();
    for q in QUERIES {
        out += &format!("# TYPE bench_{q} gauge\n");
        for m in 0..models {
            for (i, t) in steps.iter().enumerate() {
                out += &format!("bench_{q}{{model=\"m{m}\"}} {} {t}\n", 0.001 * ((i + m) % 17) as f64 + 1.0);
            }
        }
    }
    out += "# TYPE bench_tokens histogram\n";
    for m in 0..models {
        let mut total = [0.0f64; 4];
        for (i, t) in steps.iter().enumerate() {
            let mut cumulative = 0.0;
            for (k, le) in ["100", "200", "400", "+Inf"].iter().enumerate() {
                total[k] += ((i + k + m) % 5 + 1) as f64;
                cumulative += total[k];
                out += &format!("bench_tokens_bucket{{model=\"m{m}\",le=\"{le}\"}} {cumulative} {t}\n");
            }
            out += &format!("bench_tokens_count{{model=\"m{m}\"}} {cumulative} {t}\n");
            out += &format!("bench_tokens_sum{{model=\"m{m}\"}} {} {t}\n", cumulative * 150.0);
        }
    }
    out + "# EOF\n"
}

fn config(url: &str, models: usize, reference: (i64, i64)) -> String {
    let at = |t: i64| DateTime::<Utc>::from_timestamp(t, 0).unwrap().to_rfc3339();
    let mut text = format!("url = \"{url}\"\nwindow = \"1h\"\nhistory = \"72h\"\n");
    for m in 0..models {
        text += &format!("[[models]]\nid = \"m{m}\"\nservice = \"llm-gateway\"\n[models.quality]\n");
        for q in QUERIES {
            text += &format!("{q} = 'bench_{q}{{model=\"m{m}\"}}'\n");
        }
        text += &format!(
            "[[models.features]]\nname = \"tokens\"\nhistogram = 'bench_tokens_bucket{{model=\"m{m}\"}}'\nreference_start = \"{}\"\nreference_end = \"{}\"\n",
            at(reference.0),
            at(reference.1)
        );
    }
    text
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let models: usize = std::env::var("OPSDECK_PROM_MODELS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let hour = Utc::now().timestamp() / HOUR * HOUR;
    let (from, to) = (hour - 150 * HOUR, hour - 2 * HOUR);
    let reference = (from, from + 24 * HOUR);
    let first = from + 100 * HOUR + 1800;
    let server = prometheus::Prometheus::start(&history(models, from, to)).await;
    let text = config(&server.url, models, reference);
    let at = |t: i64| DateTime::<Utc>::from_timestamp(t, 0).unwrap();

    let (mut fills, mut nexts) = (Vec::new(), Vec::new());
    let mut requests = 0;
    for _ in 0..5 {
        let store = SqliteStore::open(&DbLocation::Memory).await.unwrap();
        let mut p = poller("bench", toml::from_str::<Config>(&text).unwrap()).unwrap();
        let started = Instant::now();
        let report = p.poll(&store, at(first)).await.unwrap();
        fills.push(started.elapsed());
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.points, models * 73);
        requests = p.requests();
        let started = Instant::now();
        let report = p.poll(&store, at(first + HOUR)).await.unwrap();
        nexts.push(started.elapsed());
        assert_eq!(report.points, models * 2);
    }

    // The first fill's requests, from one curl process.
    let last_end = first - 1800;
    let first_end = last_end - 71 * HOUR;
    let mut args: Vec<String> = Vec::new();
    let mut add = |path: &str, form: Vec<(String, String)>| {
        if !args.is_empty() {
            args.push("--next".into());
        }
        args.extend(["-s", "-o", "/dev/null"].map(String::from));
        for (k, v) in form {
            args.push("--data-urlencode".into());
            args.push(format!("{k}={v}"));
        }
        args.push(format!("{}{path}", server.url));
    };
    for m in 0..models {
        let bucket = format!("bench_tokens_bucket{{model=\"m{m}\"}}");
        let reference_query = format!("sum by (le) (increase({bucket}[{}s]))", reference.1 - reference.0);
        add("/api/v1/query", vec![("query".into(), reference_query), ("time".into(), reference.1.to_string())]);
        let mut queries: Vec<String> = QUERIES.iter().map(|q| format!("bench_{q}{{model=\"m{m}\"}}")).collect();
        queries.push(format!("sum by (le) (increase({bucket}[3600s]))"));
        for q in &queries {
            let range =
                [("start", first_end), ("end", last_end), ("step", HOUR)].map(|(k, v)| (k.to_string(), v.to_string()));
            add("/api/v1/query_range", [vec![("query".to_string(), q.clone())], range.to_vec()].concat());
        }
        for q in &queries[..QUERIES.len()] {
            add("/api/v1/query", vec![("query".into(), q.clone()), ("time".into(), first.to_string())]);
        }
        add(
            "/api/v1/query",
            vec![
                ("query".into(), format!("sum by (le) (increase({bucket}[1800s]))")),
                ("time".into(), first.to_string()),
            ],
        );
    }
    let curl_requests = args.iter().filter(|a| a.starts_with("http")).count();
    let mut curls = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let status = Command::new("curl").args(&args).status().expect("curl is installed");
        curls.push(started.elapsed());
        assert!(status.success());
    }
    let (fill, next, curl) = (median(fills), median(nexts), median(curls));
    println!(
        "models {models} × {} queries + 1 histogram feature; {requests} requests (curl {curl_requests})",
        QUERIES.len()
    );
    println!("first fill (72 windows)  {:>8.1} ms", fill.as_secs_f64() * 1e3);
    println!("next window              {:>8.1} ms", next.as_secs_f64() * 1e3);
    println!("curl, same requests      {:>8.1} ms", curl.as_secs_f64() * 1e3);
    println!("first fill / curl        {:>8.2}", fill.as_secs_f64() / curl.as_secs_f64());
}
