//! How a queue holds most of its rows: compactly ([`Slim`]). A row merged from a large cache
//! (a resolved incident, a ticket read after the first screen) is listed, sorted and filtered, but
//! rarely opened; it is held without its long parts (an incident's timeline, a ticket's history
//! and message) and in as few allocations as its fields allow: the id and the title in one
//! ([`join`]), the strings that repeat across rows (services, people, customers, sources) shared
//! through a [`Pool`], instants as nanoseconds. Opening one reads its long parts from the cache.
//!
//! Pure: no I/O, no clock.

use std::collections::HashSet;
use std::sync::Arc;

use super::Filter;

/// One allocation for each distinct short string the rows repeat: a service id, a person, a
/// customer, a source. What it holds is bounded by how many distinct values the backend has.
#[derive(Debug, Clone, Default)]
pub struct Pool {
    strings: HashSet<Arc<str>>,
}

impl Pool {
    /// The pool's copy of `s`, made on first use.
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(held) = self.strings.get(s) {
            return held.clone();
        }
        let held: Arc<str> = Arc::from(s);
        self.strings.insert(held.clone());
        held
    }

    pub fn get_opt(&mut self, s: Option<&str>) -> Option<Arc<str>> {
        s.map(|s| self.get(s))
    }
}

/// An item as a compact row holds it.
pub trait Slim<T>: Clone + PartialEq + std::fmt::Debug + Sized {
    /// `item` without its long parts, or `None` when it cannot be held compactly (an instant
    /// outside what nanoseconds count, 1677–2262, or a version past 32 bits): such a row is
    /// kept in full.
    fn slim(item: &T, pool: &mut Pool) -> Option<Self>;
    /// The item as the row holds it: its long parts empty.
    fn full(&self) -> T;
    fn id(&self) -> &str;
    fn version(&self) -> i64;
    /// The same answer as the full item's `Item::matches`.
    fn matches(&self, filter: &Filter) -> bool;
}

pub use crate::console::time::{NONE, instant, instant_opt, nanos, nanos_opt};

/// An id and a text (a compact row's id and title) in one allocation, with the id's length:
/// one heap block instead of two, and the id's own 24 bytes saved. `None` for an id over 255
/// bytes (such a row is kept in full).
pub fn join(id: &str, text: &str) -> Option<(Box<str>, u8)> {
    let split = u8::try_from(id.len()).ok()?;
    let mut joined = String::with_capacity(id.len() + text.len());
    joined.push_str(id);
    joined.push_str(text);
    Some((joined.into_boxed_str(), split))
}

/// The id of what [`join`] made (its length is where a `str` ended: a char boundary).
pub fn id_of(joined: &str, split: u8) -> &str {
    &joined[..usize::from(split)]
}

/// The text of what [`join`] made.
pub fn text_of(joined: &str, split: u8) -> &str {
    &joined[usize::from(split)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_hands_out_one_copy_of_each_string() {
        let mut pool = Pool::default();
        let a = pool.get("llm-gateway");
        let b = pool.get("llm-gateway");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(pool.strings.len(), 1);
        assert_eq!(pool.get_opt(None), None);
    }

    #[test]
    fn an_id_and_a_text_share_one_allocation() {
        let (joined, split) = join("INC-1042", "Ünïcode title — café").unwrap();
        assert_eq!((id_of(&joined, split), text_of(&joined, split)), ("INC-1042", "Ünïcode title — café"));
        let (joined, split) = join("", "").unwrap();
        assert_eq!((id_of(&joined, split), text_of(&joined, split)), ("", ""));
        assert!(join(&"x".repeat(256), "t").is_none(), "a longer id is kept in full");
    }
}
