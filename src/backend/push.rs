//! The server's announcements of new change cursors (`GET /v1/stream`, Server-Sent Events), read
//! as they come: [`Announcement`]s from a [`Parser`] fed the bytes, which never panics and never
//! holds more than [`MAX_EVENT`] bytes of one event, whatever the server sends.

use async_trait::async_trait;

use super::BackendError;

/// The most bytes one event may take: a cursor is a few digits, so anything near this is not an
/// announcement of ours.
pub const MAX_EVENT: usize = 16 * 1024;

/// What the stream said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announcement {
    /// The change feed has reached this cursor: sync.
    Cursor(String),
    /// The server is there (a `: heartbeat` comment, or an event of a kind this console does not
    /// know).
    Heartbeat,
}

/// An open stream of announcements.
#[async_trait]
pub trait Announcements: Send {
    /// The next announcement; `None` when the server ended the stream.
    async fn next(&mut self) -> Result<Option<Announcement>, BackendError>;
}

/// Reads Server-Sent Events from bytes as they arrive.
#[derive(Debug, Default)]
pub struct Parser {
    /// The current line, not yet ended.
    line: Vec<u8>,
    event: String,
    id: Option<String>,
    /// A comment or any other field came with this event: the server is there.
    heard: bool,
    /// Bytes of the event so far.
    size: usize,
}

impl Parser {
    /// Feeds bytes; the announcements they complete, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Announcement>, BackendError> {
        let mut out = Vec::new();
        for &byte in bytes {
            self.size += 1;
            if self.size > MAX_EVENT {
                return Err(BackendError::Protocol(format!("the change stream sent an event over {MAX_EVENT} bytes")));
            }
            match byte {
                b'\n' => {
                    let line = std::mem::take(&mut self.line);
                    let line = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(&line)).into_owned();
                    if let Some(done) = self.line_done(&line) {
                        out.push(done);
                    }
                }
                _ => self.line.push(byte),
            }
        }
        Ok(out)
    }

    /// One line of the stream; an announcement when it ends an event.
    fn line_done(&mut self, line: &str) -> Option<Announcement> {
        if line.is_empty() {
            let event = std::mem::take(&mut self.event);
            let id = self.id.take();
            let heard = std::mem::take(&mut self.heard);
            self.size = 0;
            return match (event.as_str(), id) {
                ("changes", Some(id)) if valid_cursor(&id) => Some(Announcement::Cursor(id)),
                _ if heard || !event.is_empty() => Some(Announcement::Heartbeat),
                _ => None,
            };
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "id" => self.id = Some(value.to_string()),
            _ => self.heard = true,
        }
        None
    }
}

/// A cursor as the server gives them: digits only (anything else is not passed on to a request).
fn valid_cursor(id: &str) -> bool {
    !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(chunks: &[&[u8]]) -> Vec<Announcement> {
        let mut parser = Parser::default();
        chunks.iter().flat_map(|c| parser.feed(c).unwrap()).collect()
    }

    #[test]
    fn events_and_heartbeats_in_any_chunking() {
        let stream =
            b"event: changes\ndata: {\"cursor\":\"41\"}\nid: 41\n\n: heartbeat\n\nevent: changes\r\nid: 42\r\n\r\n";
        let whole = feed_all(&[stream]);
        let expected =
            vec![Announcement::Cursor("41".into()), Announcement::Heartbeat, Announcement::Cursor("42".into())];
        assert_eq!(whole, expected);
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(feed_all(&bytes), expected, "one byte at a time");
    }

    #[test]
    fn what_is_not_a_cursor_is_only_a_sign_of_life() {
        let hostile = b"event: changes\nid: 1; DROP\n\nevent: other\nid: 9\n\nevent: changes\nid: \x1b[2J\n\n\n\n";
        assert_eq!(feed_all(&[hostile]), vec![Announcement::Heartbeat; 3]);
    }

    #[test]
    fn an_endless_event_is_refused_not_held() {
        let mut parser = Parser::default();
        let line = vec![b'x'; MAX_EVENT + 1];
        assert!(matches!(parser.feed(&line), Err(BackendError::Protocol(_))));
    }
}
