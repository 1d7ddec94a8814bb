//! What the change feed costs a console, in bytes: the demo world's cold first page (what a new
//! console downloads before its first screen is whole) raw and gzipped, the whole cold sync, and
//! what one note on an incident of 800 events sends every console — its tail, against the whole
//! document a console that does not ask for tails still gets (the floor the tails improve on).
//!
//! `cargo bench --bench feed_bytes` (the simulator's seed with `SEED=N`, default 7).

use opsdeck::api::Role;
use opsdeck::db::DbLocation;
use opsdeck::server::{self, RunningServer, ServeOptions, auth::Users};
use opsdeck::sources::simulator::{self, Pace};

const TOKEN: &str = "feed-bench-token-0123";

/// One answer's bytes as they crossed the wire (`gzip`: asked for compressed) and the page.
async fn page(http: &reqwest::Client, url: &str, query: &str, gzip: bool) -> (usize, serde_json::Value) {
    let mut request = http.get(format!("{url}/v1/changes?{query}")).bearer_auth(TOKEN);
    if gzip {
        request = request.header("Accept-Encoding", "gzip");
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let compressed = response.headers().get("content-encoding").is_some_and(|v| v == "gzip");
    assert_eq!(compressed, gzip, "compressed exactly when asked");
    let wire = response.bytes().await.unwrap();
    let body = if gzip {
        use std::io::Read;
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&wire[..]).read_to_end(&mut text).unwrap();
        text
    } else {
        wire.to_vec()
    };
    (wire.len(), serde_json::from_slice(&body).unwrap())
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let seed = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut users = Users::default();
    users.add("bench", Role::Commander, TOKEN);
    let sources = vec![simulator::feed(seed, Pace::demo())];
    let server: RunningServer =
        server::start(listener, ServeOptions { db: DbLocation::Memory.into(), users, sources }).await.unwrap();
    let url = server.url();
    // Compression is asked for by hand, to count the compressed bytes.
    let http = reqwest::Client::builder().no_gzip().build().unwrap();

    println!("the demo world (simulator, seed {seed}), as a console asks: limit=1000&tails=true");
    let (raw, first) = page(&http, &url, "limit=1000&tails=true", false).await;
    let (gz, _) = page(&http, &url, "limit=1000&tails=true", true).await;
    let changes = first["changes"].as_array().unwrap().len();
    println!("cold first page: {changes} changes, {} raw, {} gzipped (target ≤ 200 KB)", kb(raw), kb(gz));

    let (mut pages, mut total_raw, mut total_gz, mut records) = (0, 0, 0, 0);
    let mut since = String::new();
    loop {
        pages += 1;
        assert!(pages <= 1_000, "the feed ends");
        let query = format!("limit=1000&tails=true{since}");
        let (raw, body) = page(&http, &url, &query, false).await;
        let (gz, _) = page(&http, &url, &query, true).await;
        total_raw += raw;
        total_gz += gz;
        records += body["changes"].as_array().unwrap().len();
        since = format!("&since={}", body["cursor"].as_str().unwrap());
        if body["has_more"] == false {
            break;
        }
    }
    println!("whole cold sync: {records} changes in {pages} pages, {} raw, {} gzipped", kb(total_raw), kb(total_gz));

    // One incident with 800 events, then one more note: what the next page sends.
    let body =
        serde_json::json!({ "title": "p95 latency over the SLO", "service_id": "llm-gateway", "priority": "P2" });
    let created: serde_json::Value = http
        .post(format!("{url}/v1/incidents"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let text = "checked the gateway's upstream pool; p95 still 2.4 s on the EU shard, paging the model team";
    for _ in created["timeline"].as_array().unwrap().len()..800 {
        let note = serde_json::json!({ "version": 1, "text": text });
        let response = http
            .post(format!("{url}/v1/incidents/{id}/notes"))
            .bearer_auth(TOKEN)
            .header("Prefer", "return=minimal")
            .json(&note)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let (_, at) = page(&http, &url, &format!("limit=1000&tails=true{since}"), false).await;
    let before_note = format!("&since={}", at["cursor"].as_str().unwrap());
    let note = serde_json::json!({ "version": 1, "text": text });
    let response =
        http.post(format!("{url}/v1/incidents/{id}/notes")).bearer_auth(TOKEN).json(&note).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let (tail_raw, tail) = page(&http, &url, &format!("limit=1000&tails=true{before_note}"), false).await;
    let (whole_raw, whole) = page(&http, &url, &format!("limit=1000&tails=false{before_note}"), false).await;
    let (tail_gz, _) = page(&http, &url, &format!("limit=1000&tails=true{before_note}"), true).await;
    let (whole_gz, _) = page(&http, &url, &format!("limit=1000&tails=false{before_note}"), true).await;
    let mine = |page: &serde_json::Value| {
        page["changes"].as_array().unwrap().iter().any(|c| c["data"]["id"] == id || c["data"]["incident"]["id"] == id)
    };
    assert!(mine(&tail) && mine(&whole), "the note is on both pages");
    println!(
        "one note on an incident of 800 events, the page every console gets: tail {} ({} gzipped); whole document {} ({} gzipped); {:.0}× fewer bytes",
        kb(tail_raw),
        kb(tail_gz),
        kb(whole_raw),
        kb(whole_gz),
        whole_raw as f64 / tail_raw as f64
    );
    server.shutdown().await.unwrap();
}
