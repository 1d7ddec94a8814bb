//! The address clients are given: a small HTTP/1.1 relay in front of Prism, on 127.0.0.1:0. It
//! passes every request to Prism unchanged and every answer back, and sees what Prism alone
//! sees: an error Prism produced itself (no fake marker: a request the spec refuses, or a 500 for
//! an answer of the fake the spec refuses — Prism's proxy with `--errors` checks answers too) and
//! Prism's `sl-violations` header are recorded as violations. An answer the fake marked for dropping is
//! not passed on: the client's connection is closed instead, so the change is applied and the
//! client gets no answer (Prism, if the fake itself hung up, would answer with an error).
//!
//! It reads requests with `Content-Length` bodies (what reqwest sends); chunked requests are
//! refused with 501 and recorded.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::api::{DROP_HEADER, FAKE_HEADER, Shared};
use super::spec::UNDECLARED;

/// The largest request head read.
const MAX_HEAD: usize = 64 * 1024;

pub struct Relay {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start(prism: String, shared: Arc<Shared>) -> Relay {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port for the relay");
    let addr = listener.local_addr().expect("its address");
    let client =
        reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().expect("the relay's client");
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((stream, _)) = listener.accept().await {
            let (client, prism, shared) = (client.clone(), prism.clone(), shared.clone());
            connections.spawn(async move { serve(stream, client, prism, shared).await });
            while connections.try_join_next().is_some() {}
        }
    });
    Relay { addr, task }
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    close: bool,
}

/// Reads one request; `None` when the client closed the connection or sent something unreadable.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Result<Request, String>> {
    let head_len = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if buffer.len() > MAX_HEAD {
            return Some(Err("a request head over 64 KiB".into()));
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut slots);
    if parsed.parse(&buffer[..head_len]).map(|s| s.is_partial()).unwrap_or(true) {
        return Some(Err("an unreadable request head".into()));
    }
    let method = parsed.method.unwrap_or_default().to_string();
    let target = parsed.path.unwrap_or_default().to_string();
    let headers: Vec<(String, Vec<u8>)> =
        parsed.headers.iter().map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec())).collect();
    let value = |name: &str| {
        headers.iter().find(|(n, _)| n == name).map(|(_, v)| String::from_utf8_lossy(v).to_ascii_lowercase())
    };
    if value("transfer-encoding").is_some() {
        return Some(Err(format!("{method} {target}: a chunked request body (the relay reads Content-Length only)")));
    }
    let length: usize = value("content-length").and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    let close = value("connection").is_some_and(|v| v.contains("close"));
    buffer.drain(..head_len);
    while buffer.len() < length {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer.drain(..length).collect();
    Some(Ok(Request { method, target, headers, body, close }))
}

async fn serve(mut stream: TcpStream, client: reqwest::Client, prism: String, shared: Arc<Shared>) {
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buffer).await {
        let request = match request {
            Ok(request) => request,
            Err(problem) => {
                shared.violation(format!("relay: {problem}"));
                let _ = stream
                    .write_all(b"HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                return;
            }
        };
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut outgoing = client.request(method, format!("{prism}{}", request.target));
        for (name, value) in &request.headers {
            if !matches!(name.as_str(), "host" | "content-length" | "connection" | "keep-alive") {
                outgoing = outgoing.header(name.as_str(), value.as_slice());
            }
        }
        let answer = match outgoing.body(request.body).send().await {
            Ok(answer) => answer,
            Err(e) => {
                shared.violation(format!("relay: Prism did not answer {} {}: {e}", request.method, request.target));
                let _ = stream
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                return;
            }
        };
        let status = answer.status();
        let headers = answer.headers().clone();
        let body = answer.bytes().await.unwrap_or_default();
        let path = request.target.split('?').next().unwrap_or_default().to_string();
        let flagged = headers.get("sl-violations").and_then(|v| flagged(v.as_bytes(), status.as_u16()));
        if status.as_u16() >= 400 && !headers.contains_key(FAKE_HEADER) {
            // A request the spec refuses, or (500) an answer of the fake the spec refuses.
            let detail = flagged.unwrap_or_else(|| prism_problem(&body));
            shared.violation(format!("Prism refused {} {path}: {} {detail}", request.method, status.as_u16()));
        } else if let Some(flagged) = flagged {
            shared.violation(format!("Prism flagged {} {path}: {flagged}", request.method));
        }
        if headers.contains_key(DROP_HEADER) {
            // Applied by the fake, never answered: the client sees its connection close.
            let _ = stream.shutdown().await;
            return;
        }
        let mut head = format!("HTTP/1.1 {} {}\r\n", status.as_u16(), status.canonical_reason().unwrap_or(""));
        for (name, value) in &headers {
            if !matches!(name.as_str(), "content-length" | "connection" | "keep-alive" | "transfer-encoding") {
                head.push_str(&format!("{name}: {}\r\n", String::from_utf8_lossy(value.as_bytes())));
            }
        }
        head.push_str(&format!("content-length: {}\r\n", body.len()));
        if request.close {
            head.push_str("connection: close\r\n");
        }
        head.push_str("\r\n");
        if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(&body).await.is_err() || request.close {
            return;
        }
    }
}

/// Prism's `sl-violations`, less its warning that a status is not declared where PagerDuty is
/// known to send it (the statuses the fake's own check accepts as undeclared).
fn flagged(header: &[u8], status: u16) -> Option<String> {
    let text = String::from_utf8_lossy(header).into_owned();
    let Ok(Value::Array(entries)) = serde_json::from_str::<Value>(&text) else { return Some(text) };
    let kept: Vec<Value> = entries
        .into_iter()
        .filter(|e| {
            let undeclared =
                e["message"].as_str().is_some_and(|m| m.starts_with("Unable to match the returned status code"));
            !(undeclared && e["severity"] == "Warning" && UNDECLARED.iter().any(|(code, _)| *code == status))
        })
        .collect();
    (!kept.is_empty()).then(|| Value::Array(kept).to_string())
}

/// What Prism says was wrong: its `validation` messages, else the body's start.
fn prism_problem(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let messages: Vec<String> = parsed
        .as_ref()
        .and_then(|v| v.get("validation"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|v| {
                    let at = v
                        .get("location")
                        .and_then(Value::as_array)
                        .map(|l| l.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("."))
                        .unwrap_or_default();
                    format!("{at}: {}", v.get("message").and_then(Value::as_str).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    if !messages.is_empty() {
        return messages.join("; ");
    }
    let text = String::from_utf8_lossy(body);
    text.chars().take(300).collect()
}
