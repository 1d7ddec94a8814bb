//! What the first frame reads of the cache, by indexed queries only: the first incidents in the
//! list's order (one more than shown, which says whether there are more), and the small things
//! (services, policies, windows, postmortems, the sync cursor). A cache larger than that is
//! counted after the first frame ([`Cache::counts`]), and the console's first screen reads no
//! ticket ([`Cache::first_screen`]; they follow, [`Cache::first_tickets`]).

use super::{CLOSED_TICKETS_SHOWN, Cache, CacheError, CacheSnapshot, MonitoringRows, decode_all};
use crate::domain::{Incident, Ticket};

/// The first incidents in the list's order (index `incidents_order`).
const FIRST_INCIDENTS: &str = "SELECT doc FROM incidents ORDER BY rank, sort_at DESC, id LIMIT ?";
/// The open tickets changed last (index `tickets_order`): what the first frame holds of them.
const FIRST_TICKETS: &str = "SELECT doc FROM tickets WHERE open = 1 ORDER BY sort_at DESC LIMIT ?";
/// How many rows [`Cache::tickets`] returns.
const TICKETS_TOTAL: &str = "SELECT (SELECT COUNT(*) FROM tickets WHERE open = 1)
     + (SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE open = 0 LIMIT ?))";
/// How many closed tickets [`Cache::tickets`] returns (at most as many as are shown).
const CLOSED_SHOWN: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE open = 0 LIMIT ?)";

impl Cache {
    /// The first `first` incidents in list order and as many open tickets, the counts, and
    /// everything small: what the first frame needs, by indexed queries. The rest of the
    /// incidents ([`Cache::incidents`]) and tickets ([`Cache::tickets`]) load after it. The
    /// user's own work is the work file's (`Work::load_into`).
    pub async fn snapshot(&self, first: u32) -> Result<CacheSnapshot, CacheError> {
        self.read_first(first, true).await
    }

    /// What the console's first screen (the Incidents tab) needs: [`Cache::snapshot`] without
    /// the tickets, which are read right after it ([`Cache::first_tickets`], then the rest):
    /// the most recently changed open tickets are spread over the whole file, and reading them
    /// cold would take a quarter of the first frame.
    pub async fn first_screen(&self, first: u32) -> Result<CacheSnapshot, CacheError> {
        self.read_first(first, false).await
    }

    /// The open tickets changed last, `first` of them: what the Tickets tab shows first.
    pub async fn first_tickets(&self, first: u32) -> Result<Vec<Ticket>, CacheError> {
        let docs: Vec<String> =
            self.file
                .with(|pool| async move {
                    Ok(sqlx::query_scalar(FIRST_TICKETS).bind(i64::from(first)).fetch_all(&pool).await?)
                })
                .await?;
        Ok(decode_all(&docs))
    }

    async fn read_first(&self, first: u32, with_tickets: bool) -> Result<CacheSnapshot, CacheError> {
        // One row more than the first frame shows says whether there are more: a cache that
        // holds no more than that is counted by what was read, a larger one after the first
        // frame ([`Cache::counts`]; a count over 100,000 rows would take a fifth of the frame).
        let (mut docs, mut ticket_docs, closed) = self
            .file
            .with(|pool| async move {
                let limit = i64::from(first) + 1;
                let docs: Vec<String> = sqlx::query_scalar(FIRST_INCIDENTS).bind(limit).fetch_all(&pool).await?;
                if !with_tickets {
                    return Ok((docs, Vec::new(), None));
                }
                let tickets: Vec<String> = sqlx::query_scalar(FIRST_TICKETS).bind(limit).fetch_all(&pool).await?;
                let closed: Option<i64> = if tickets.len() as i64 > i64::from(first) {
                    None
                } else {
                    Some(sqlx::query_scalar(CLOSED_SHOWN).bind(i64::from(CLOSED_TICKETS_SHOWN)).fetch_one(&pool).await?)
                };
                Ok((docs, tickets, closed))
            })
            .await?;
        let first = first as usize;
        let counts_pending = docs.len() > first || closed.is_none();
        docs.truncate(first);
        ticket_docs.truncate(first);
        let incidents: Vec<Incident> = decode_all(&docs);
        let tickets: Vec<Ticket> = decode_all(&ticket_docs);
        let closed = closed.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
        Ok(CacheSnapshot {
            total: incidents.len(),
            tickets_total: tickets.len() + if counts_pending { 0 } else { closed },
            counts_pending,
            incidents,
            tickets,
            services: self.entities("service").await?,
            policies: self.entities("escalation_policy").await?,
            outbox: Vec::new(),
            rejected: Vec::new(),
            sync: self.sync_meta().await?,
            // Read after the first frame (`Cache::monitoring`): parsing a week of windows and
            // computing their statistics would take longer than everything else here.
            monitoring: MonitoringRows::default(),
            maintenance: self.entities("maintenance").await?,
            postmortems: self.entities("postmortem").await?,
            drafts: Vec::new(),
            note_drafts: Vec::new(),
        })
    }

    /// How many incidents the cache holds, and how many tickets [`Cache::tickets`] returns: what
    /// a [`CacheSnapshot`] with `counts_pending` did not count.
    pub async fn counts(&self) -> Result<(usize, usize), CacheError> {
        let (incidents, tickets): (i64, i64) = self
            .file
            .with(|pool| async move {
                let incidents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents").fetch_one(&pool).await?;
                let tickets: i64 =
                    sqlx::query_scalar(TICKETS_TOTAL).bind(i64::from(CLOSED_TICKETS_SHOWN)).fetch_one(&pool).await?;
                Ok((incidents, tickets))
            })
            .await?;
        Ok((usize::try_from(incidents).unwrap_or(0), usize::try_from(tickets).unwrap_or(0)))
    }
}
