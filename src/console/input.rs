//! The terminal's events on their own task: keys, pastes and resizes sent to the loop, a closed
//! terminal sent as a shutdown, and reading paused while another program (`$EDITOR`) has the
//! terminal.

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::console::event::{Event, EventSender};

/// Lets the run loop stop reading the terminal while another program (`$EDITOR`) has it.
pub struct Input {
    paused: tokio::sync::watch::Sender<bool>,
    stopped: mpsc::UnboundedReceiver<()>,
}

impl Input {
    /// Returns once nothing reads the terminal any more.
    pub async fn pause(&mut self) {
        let _ = self.paused.send(true);
        let _ = self.stopped.recv().await;
    }

    pub fn resume(&mut self) {
        let _ = self.paused.send(false);
    }
}

/// Reads the terminal on its own task and sends its keys, pastes and resizes as events; a
/// closed terminal is a shutdown.
pub fn spawn_terminal_events(tx: EventSender) -> Input {
    use crossterm::event::{Event as TermEvent, EventStream};
    let (paused, mut paused_rx) = tokio::sync::watch::channel(false);
    let (stopped_tx, stopped) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            while *paused_rx.borrow_and_update() {
                if paused_rx.changed().await.is_err() {
                    return;
                }
            }
            // Dropping the stream stops crossterm's reader, so a paused console reads no keys.
            let mut stream = EventStream::new();
            loop {
                let event = tokio::select! {
                    event = stream.next() => event,
                    changed = paused_rx.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        if *paused_rx.borrow_and_update() {
                            break;
                        }
                        continue;
                    }
                };
                let event = match event {
                    Some(Ok(TermEvent::Key(key))) => Event::Key(key),
                    Some(Ok(TermEvent::Paste(text))) => Event::Paste(text),
                    Some(Ok(TermEvent::Resize(width, height))) => Event::Resize { width, height },
                    Some(Ok(_)) => continue,
                    Some(Err(err)) => {
                        tracing::warn!(error = %err, "terminal input failed");
                        let _ = tx.send(Event::Shutdown { signal: "terminal closed" });
                        return;
                    }
                    None => {
                        let _ = tx.send(Event::Shutdown { signal: "terminal closed" });
                        return;
                    }
                };
                if tx.send(event).is_err() {
                    return;
                }
            }
            drop(stream);
            let _ = stopped_tx.send(());
        }
    });
    Input { paused, stopped }
}
