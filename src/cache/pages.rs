//! The cached incidents read after the first frame, a page at a time in the order the list
//! shows them (`rank`, `sort_at` newest first, `id`: the `incidents_order` index), so that the
//! console merges each page after the rows before it instead of copying its whole list per page.
//!
//! A page goes on from the last row of the one before (a keyset, not an offset: a row written
//! meanwhile neither shifts the rest nor is read twice). The three queries each read one range
//! of the index; a row that a sync moved before the keyset meanwhile is in the console already.

use super::{Cache, CacheError, decode_all};
use crate::domain::Incident;

/// Where a page of [`Cache::incidents_page`] ends: the list-order key of its last row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentsAfter {
    rank: i64,
    sort_at: i64,
    id: String,
}

/// Rows of the same rank and time after the id, then the same rank at earlier times, then the
/// ranks after: together, every row after the keyset in the list's order.
const SAME_TIME: &str = "SELECT rank, sort_at, id, doc FROM incidents WHERE rank = ?1 AND sort_at = ?2 AND id > ?3
     ORDER BY id LIMIT ?4";
const SAME_RANK: &str = "SELECT rank, sort_at, id, doc FROM incidents WHERE rank = ?1 AND sort_at < ?2
     ORDER BY sort_at DESC, id LIMIT ?4";
const LATER_RANKS: &str = "SELECT rank, sort_at, id, doc FROM incidents WHERE rank > ?1
     ORDER BY rank, sort_at DESC, id LIMIT ?4";

impl Cache {
    /// Up to `limit` cached incidents after `after` (`None`: from the first) in the list's
    /// order, and where the next page starts (`None`: that was the last page). Reading the
    /// cache a page at a time holds one page of documents in memory, not all of them.
    pub async fn incidents_page(
        &self,
        after: Option<IncidentsAfter>,
        limit: u32,
    ) -> Result<(Vec<Incident>, Option<IncidentsAfter>), CacheError> {
        let rows: Vec<(i64, i64, String, String)> = self
            .file
            .with(|pool| async move {
                let (rank, sort_at, id) =
                    after.map_or((i64::MIN, i64::MAX, String::new()), |a| (a.rank, a.sort_at, a.id));
                let mut rows = Vec::new();
                for query in [SAME_TIME, SAME_RANK, LATER_RANKS] {
                    let left = i64::from(limit) - rows.len() as i64;
                    if left <= 0 {
                        break;
                    }
                    let page: Vec<(i64, i64, String, String)> =
                        sqlx::query_as(query).bind(rank).bind(sort_at).bind(&id).bind(left).fetch_all(&pool).await?;
                    rows.extend(page);
                }
                Ok(rows)
            })
            .await?;
        let next = (rows.len() >= limit as usize)
            .then(|| {
                rows.last().map(|(rank, sort_at, id, _)| IncidentsAfter {
                    rank: *rank,
                    sort_at: *sort_at,
                    id: id.clone(),
                })
            })
            .flatten();
        let docs: Vec<String> = rows.into_iter().map(|(_, _, _, doc)| doc).collect();
        Ok((decode_all(&docs), next))
    }
}
