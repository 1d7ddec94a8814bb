//! Which server runs the sources: on one SQLite file, the one server; on a PostgreSQL database
//! shared by replicas, the one holding the lease ([`Store::lead`]). The others check every
//! [`CHECK`] and take over when the lease comes free — when the replica holding it dies, its
//! session ends and PostgreSQL lets the lease go, so a replica takes over within one check —
//! and a replica that finds its lease gone stops its sources at once. So no outside system is
//! polled by two replicas, and what a source has fed is in the shared store for whoever goes on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::pager;
use super::sources::{SourceContext, SourceSet};
use super::store::{Lease, Store, StoreError};

/// How often the lease is checked, held or not.
pub const CHECK: Duration = Duration::from_secs(2);

/// The feeds' tasks (the sources and the held-pages sweep), aborted when dropped.
struct Feeds(Vec<JoinHandle<()>>);

impl Drop for Feeds {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

async fn start_feeds(store: &Arc<dyn Store>, set: &SourceSet) -> Result<Feeds, StoreError> {
    let mut feeds = Feeds(Vec::new());
    for (source, health) in set.iter() {
        feeds.0.push(source.start(SourceContext { store: store.clone(), health: health.clone() }).await?);
    }
    feeds.0.push(pager::start(store.clone()));
    Ok(feeds)
}

/// Starts the feeds here if this server has the lead (a failing source then fails the start, as
/// on a server of its own), and keeps the lead on a task: dropping or aborting the task stops the
/// feeds and lets the lease go. `leading` says whether they run here.
pub async fn start(
    store: Arc<dyn Store>,
    set: SourceSet,
    leading: Arc<AtomicBool>,
) -> Result<JoinHandle<()>, StoreError> {
    let held = match store.lead().await? {
        Some(lease) => Some((start_feeds(&store, &set).await?, lease)),
        None => {
            tracing::info!("another replica runs the sources; this one takes over if it stops");
            None
        }
    };
    leading.store(held.is_some(), Ordering::SeqCst);
    Ok(tokio::spawn(keep(store, set, held, leading)))
}

async fn keep(
    store: Arc<dyn Store>,
    set: SourceSet,
    // The feeds first: dropped (stopped) before the lease is let go.
    mut held: Option<(Feeds, Box<dyn Lease>)>,
    leading: Arc<AtomicBool>,
) {
    let mut ticker = tokio::time::interval(CHECK);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        match held.as_mut() {
            Some((_, lease)) => {
                if !lease.alive().await {
                    tracing::warn!("the lease on the sources is gone: stopping them here");
                    leading.store(false, Ordering::SeqCst);
                    held = None;
                }
            }
            None => match store.lead().await {
                Ok(Some(lease)) => match start_feeds(&store, &set).await {
                    Ok(feeds) => {
                        tracing::info!("took over the sources");
                        leading.store(true, Ordering::SeqCst);
                        held = Some((feeds, lease));
                    }
                    Err(err) => tracing::warn!(error = %err, "starting the sources failed; trying again"),
                },
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "checking the lease on the sources failed"),
            },
        }
    }
}
