//! `GET /v1/stream` on the real server on 127.0.0.1:0 (and, with `OPSDECK_TEST_POSTGRES`, on
//! PostgreSQL): the current cursor first, each change after, `Last-Event-ID` resuming, and a
//! shutdown that open streams do not hold up.

#[path = "support/ops.rs"]
mod ops;

use serde_json::json;

use ops::{DEADLINE, ERIN, call, start};
use opsdeck::api::DecodedPage;
use opsdeck::backend::Backend;
use opsdeck::db::DbLocation;
use opsdeck::server::RunningServer;

/// One event of the stream as sent.
#[derive(Debug, Default, PartialEq)]
struct SseEvent {
    event: String,
    id: String,
    data: String,
}

/// An open stream, read event by event.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(url: &str, last_event_id: Option<&str>) -> Events {
        let mut request = reqwest::Client::new().get(format!("{url}/v1/stream")).bearer_auth(ERIN);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Events { response, buffer: String::new() }
    }

    /// The next event (heartbeat comments skipped), within the deadline.
    async fn next(&mut self) -> SseEvent {
        tokio::time::timeout(DEADLINE, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let mut event = SseEvent::default();
                    for line in block.lines() {
                        if let Some((field, value)) = line.split_once(':') {
                            let value = value.strip_prefix(' ').unwrap_or(value).to_string();
                            match field {
                                "event" => event.event = value,
                                "id" => event.id = value,
                                "data" => event.data = value,
                                _ => {}
                            }
                        }
                    }
                    if !event.event.is_empty() {
                        return event;
                    }
                    continue;
                }
                let chunk = self.response.chunk().await.unwrap().expect("the stream stays open");
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .expect("an event in time")
    }
}

/// The feed's cursor once everything is read.
async fn cursor(server: &RunningServer) -> String {
    let mut since = String::new();
    for _ in 0..100 {
        let page: DecodedPage =
            call(server, "GET", ERIN, &format!("/v1/changes?limit=1000&since={since}"), None, None).await.json(200);
        since = page.page.cursor;
        if !page.page.has_more {
            return since;
        }
    }
    panic!("the feed ends within 100 pages");
}

async fn create(server: &RunningServer, title: &str) -> String {
    let body = json!({ "title": title, "service_id": "llm-gateway", "priority": "P2" });
    let incident: serde_json::Value = call(server, "POST", ERIN, "/v1/incidents", Some(body), None).await.json(201);
    incident["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_stream_tells_the_current_cursor_then_each_change() {
    let server = start(DbLocation::Memory).await;
    let head = cursor(&server).await;
    let mut events = Events::open(&server.url(), None).await;
    let first = events.next().await;
    assert_eq!((first.event.as_str(), first.id.as_str()), ("changes", head.as_str()), "{first:?}");
    let data: serde_json::Value = serde_json::from_str(&first.data).unwrap();
    assert_eq!(data["cursor"], head.as_str());
    assert_eq!(data["epoch"], server.epoch.as_str());

    let id = create(&server, "gateway 502s").await;
    let next = events.next().await;
    assert!(next.id.parse::<i64>().unwrap() > head.parse::<i64>().unwrap(), "{next:?}");
    let page: DecodedPage =
        call(&server, "GET", ERIN, &format!("/v1/changes?since={head}"), None, None).await.json(200);
    assert_eq!(page.page.cursor, next.id, "the announced cursor is where the feed is");
    assert!(
        page.page.changes.iter().any(|c| matches!(c, opsdeck::api::Change::Incident(i) if i.id == id)),
        "what changed is in the feed after the cursor told before"
    );
}

#[tokio::test]
async fn last_event_id_resumes_where_the_client_was() {
    let server = start(DbLocation::Memory).await;
    let before = cursor(&server).await;
    create(&server, "embedding drift").await;
    let now = cursor(&server).await;

    // Told an older cursor: the current one at once.
    let mut behind = Events::open(&server.url(), Some(&before)).await;
    assert_eq!(behind.next().await.id, now);

    // Told the current one: nothing until the feed moves, then the new cursor (not the old one).
    let mut current = Events::open(&server.url(), Some(&now)).await;
    create(&server, "retrieval timeouts").await;
    let moved = cursor(&server).await;
    assert_ne!(moved, now);
    assert_eq!(current.next().await.id, moved);
}

#[tokio::test]
async fn the_stream_needs_a_token_and_does_not_hold_up_a_shutdown() {
    let server = start(DbLocation::Memory).await;
    let anonymous = reqwest::get(format!("{}/v1/stream", server.url())).await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let mut open = Events::open(&server.url(), None).await;
    open.next().await;
    tokio::time::timeout(DEADLINE, server.shutdown()).await.expect("shut down with a stream open").unwrap();
    let ended = tokio::time::timeout(DEADLINE, open.response.chunk()).await.expect("the stream ends with the server");
    assert!(matches!(ended, Ok(None) | Err(_)), "{ended:?}");
}

/// The next event of the console's sync task that `pick` takes, within the deadline.
async fn until<T>(
    rx: &mut opsdeck::console::event::EventReceiver,
    mut pick: impl FnMut(opsdeck::console::event::Event) -> Option<T>,
) -> T {
    tokio::time::timeout(DEADLINE, async {
        loop {
            if let Some(found) = pick(rx.recv().await.expect("the sync task runs")) {
                return found;
            }
        }
    })
    .await
    .expect("the event in time")
}

#[tokio::test]
async fn the_console_syncs_on_each_announcement_and_polls_again_when_the_stream_drops() {
    use opsdeck::console::event::Event;
    let server = start(DbLocation::Memory).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = opsdeck::cache::Cache::open(&DbLocation::File(dir.path().join("cache.sqlite"))).await.unwrap();
    // Polls an hour apart: whatever arrives sooner was pushed.
    let (sync, mut rx) = ops::pushed_poller(&server, &cache);
    until(&mut rx, |e| matches!(e, Event::Pushed(true)).then_some(())).await;
    ops::sync_round(&mut rx).await;

    let id = create(&server, "pushed to the console").await;
    let synced = until(&mut rx, |e| match e {
        Event::Synced(report) => {
            report.changes.iter().any(|c| matches!(c, opsdeck::api::Change::Incident(i) if i.id == id)).then_some(())
        }
        _ => None,
    });
    tokio::time::timeout(std::time::Duration::from_secs(5), synced)
        .await
        .expect("pushed within 5 s, not polled in an hour");
    assert!(cache.incident(&id).await.unwrap().is_some(), "and in the cache");

    // The server goes: the stream drops, and the console says it polls.
    server.shutdown().await.unwrap();
    until(&mut rx, |e| matches!(e, Event::Pushed(false)).then_some(())).await;
    sync.stop();
}

#[tokio::test]
async fn the_heartbeat_comes_as_often_as_asked_and_out_of_range_is_refused() {
    let server = start(DbLocation::Memory).await;
    let http = reqwest::Client::new();
    for bad in ["0", "61", "soon"] {
        let response =
            http.get(format!("{}/v1/stream?heartbeat={bad}", server.url())).bearer_auth(ERIN).send().await.unwrap();
        assert_eq!(response.status(), 400, "heartbeat={bad}");
    }
    let mut response =
        http.get(format!("{}/v1/stream?heartbeat=1", server.url())).bearer_auth(ERIN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut seen = String::new();
    // Asked for one a second: one within three, where the default would take fifteen.
    tokio::time::timeout(std::time::Duration::from_secs(3), async {
        while !seen.contains(": heartbeat\n") {
            let chunk = response.chunk().await.unwrap().expect("the stream stays open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("a heartbeat within 3 s: {seen:?}"));
}

#[tokio::test]
async fn pages_are_gzipped_for_a_client_that_accepts_it_and_the_stream_never_is() {
    let server = ops::start_simulating(DbLocation::Memory, 7).await;
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let get = |path: &str, gzip: bool| {
        let mut request = raw.get(format!("{}{path}", server.url())).bearer_auth(ERIN);
        if gzip {
            request = request.header("accept-encoding", "gzip");
        }
        request.send()
    };
    let plain = get("/v1/changes?limit=1000", false).await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();
    let zipped = get("/v1/changes?limit=1000", true).await.unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let zipped = zipped.bytes().await.unwrap();
    assert!(zipped.len() * 3 < plain.len(), "a cold first page shrinks: {} → {} bytes", plain.len(), zipped.len());
    println!("cold first page: {} bytes, {} gzipped", plain.len(), zipped.len());

    let stream = get("/v1/stream", true).await.unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers().get("content-encoding").is_none(), "events are sent as they come, not held to compress");
    // The console's own client asks for gzip and reads it.
    let page = ops::client(&server, ERIN).changes(None, 1000).await.unwrap();
    assert!(!page.page.changes.is_empty());
}
