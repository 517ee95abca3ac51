//! Compaction filters: user rules that let compaction drop versions no reader needs.
//!
//! A filter applies to jobs (flushes and compactions) that start after it was added: for a
//! key it matches, versions above the watermark stay (a snapshot or transaction may read
//! them), while the newest version at or below the watermark and every older one are
//! dropped. Dropping that newest version can expose an older one still below the job's
//! output, so reads in a filtered key space may see partial data; filters are meant for
//! data the application no longer reads (expired sessions, a retired table).
//!
//! Filters live in memory only: register them again after every open.
//!
//! Threading: the list is copy-on-write behind a lock held only to clone or swap an `Arc`;
//! a job takes the current list once, when it starts.

use std::sync::Arc;

use parking_lot::RwLock;

/// A rule for dropping old versions during compaction (see [`crate::Db::add_compaction_filter`]).
///
/// # Examples
/// ```
/// # fn main() -> strata::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// use strata::{CompactionFilter, Db, Options};
/// let db = Db::open(dir.path(), Options::default())?;
/// db.put(b"tmp:1", b"scratch")?;
/// db.put(b"user:1", b"ada")?;
/// db.flush()?;
/// db.add_compaction_filter(CompactionFilter::Prefix(b"tmp:".to_vec()))?;
/// db.compact()?;
/// assert_eq!(db.get(b"tmp:1")?, None);
/// assert_eq!(db.get(b"user:1")?.as_deref(), Some(&b"ada"[..]));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompactionFilter {
    /// Drop every version at or below the watermark of the keys starting with these bytes
    /// (an empty prefix matches every key).
    Prefix(Vec<u8>),
}

impl CompactionFilter {
    /// Whether the filter applies to `user_key`.
    pub fn matches(&self, user_key: &[u8]) -> bool {
        match self {
            CompactionFilter::Prefix(p) => user_key.starts_with(p),
        }
    }
}

/// The registered filters.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    list: RwLock<Arc<Vec<CompactionFilter>>>,
}

impl Filters {
    /// Registers a filter for later jobs.
    pub(crate) fn add(&self, filter: CompactionFilter) {
        let mut list = self.list.write();
        let mut next = Vec::clone(&list);
        next.push(filter);
        *list = Arc::new(next);
    }

    /// The filters a job starting now applies.
    pub(crate) fn current(&self) -> Arc<Vec<CompactionFilter>> {
        Arc::clone(&self.list.read())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_filters_match_by_prefix_and_jobs_see_a_fixed_list() {
        let filters = Filters::default();
        let before = filters.current();
        filters.add(CompactionFilter::Prefix(b"tmp:".to_vec()));
        assert!(before.is_empty(), "a running job keeps its list");
        let now = filters.current();
        assert!(now.iter().any(|f| f.matches(b"tmp:1")));
        assert!(!now.iter().any(|f| f.matches(b"tmp")));
        assert!(CompactionFilter::Prefix(Vec::new()).matches(b""));
    }
}
