//! The read path: point lookups and iterators at a read seq.
//!
//! Callers load the read seq **before** the super version (see `state.rs`). `get` probes the
//! mutable memtable, the frozen ones newest first, L0 newest first and then at most one table
//! per sorted run (binary search on largest key); the first source holding a version <= the
//! read seq answers, since newer sources hold higher seqs.

use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;

use crate::db::state::{DbInner, SuperVersion};
use crate::error::Result;
use crate::iter::concat::{ConcatIterator, TableOpener};
use crate::iter::merge::MergeIterator;
use crate::iter::user::Pin;
use crate::iter::{BoxedIterator, Iter};
use crate::key::{SeqNum, ValueKind};
use crate::sstable::GetTrace;
use crate::version::FileMeta;

/// Whether user key `k` may be in `[smallest, largest]` of `f`.
fn file_may_hold(f: &FileMeta, k: &[u8]) -> bool {
    f.smallest_user_key() <= k && k <= f.largest_user_key()
}

/// Whether a file's user-key range meets the bounds.
pub(crate) fn file_meets_bounds(f: &FileMeta, lower: &Bound<Bytes>, upper: &Bound<Bytes>) -> bool {
    let below = match lower {
        Bound::Included(l) => f.largest_user_key() < l.as_ref(),
        Bound::Excluded(l) => f.largest_user_key() <= l.as_ref(),
        Bound::Unbounded => false,
    };
    let above = match upper {
        Bound::Included(u) => f.smallest_user_key() > u.as_ref(),
        Bound::Excluded(u) => f.smallest_user_key() >= u.as_ref(),
        Bound::Unbounded => false,
    };
    !below && !above
}

/// Whether the bounds describe an empty range.
pub(crate) fn bounds_empty(lower: &Bound<Bytes>, upper: &Bound<Bytes>) -> bool {
    match (lower, upper) {
        (Bound::Included(l), Bound::Included(u)) => l > u,
        (Bound::Included(l), Bound::Excluded(u))
        | (Bound::Excluded(l), Bound::Included(u))
        | (Bound::Excluded(l), Bound::Excluded(u)) => l >= u,
        _ => false,
    }
}

impl DbInner {
    /// The value of `key` as of `seq` in super version `sv`; counts the get and what it did
    /// in the tables (one `fetch_add` per counter that moved, after the lookup).
    pub(crate) fn get_at(
        &self,
        sv: &SuperVersion,
        key: &[u8],
        seq: SeqNum,
    ) -> Result<Option<Bytes>> {
        let mut trace = GetTrace::default();
        let result = self.get_traced(sv, key, seq, &mut trace);
        self.stats.reads.record_get(&trace);
        result
    }

    fn get_traced(
        &self,
        sv: &SuperVersion,
        key: &[u8],
        seq: SeqNum,
        trace: &mut GetTrace,
    ) -> Result<Option<Bytes>> {
        let found = |r: (ValueKind, Bytes)| match r.0 {
            ValueKind::Put => Some(r.1),
            ValueKind::Delete => None,
        };
        if let Some(r) = sv.mem.get(key, seq) {
            return Ok(found(r));
        }
        for imm in &sv.imms {
            if let Some(r) = imm.get(key, seq) {
                return Ok(found(r));
            }
        }
        for f in &sv.version.l0 {
            if f.smallest_seq > seq || !file_may_hold(f, key) {
                continue;
            }
            if let Some(r) = self
                .table_cache
                .get(f.number)?
                .get_traced(key, seq, trace)?
            {
                return Ok(found(r));
            }
        }
        for run in &sv.version.levels {
            let files = &run.files;
            let idx = files.partition_point(|f| f.largest_user_key() < key);
            if let Some(f) = files.get(idx)
                && f.smallest_user_key() <= key
                && f.smallest_seq <= seq
                && let Some(r) = self
                    .table_cache
                    .get(f.number)?
                    .get_traced(key, seq, trace)?
            {
                return Ok(found(r));
            }
        }
        Ok(None)
    }

    fn opener(self: &Arc<Self>) -> TableOpener {
        let inner = Arc::clone(self);
        Arc::new(move |f: &FileMeta| {
            let t = inner.table_cache.get(f.number)?;
            Ok(Box::new(t.iter()) as BoxedIterator)
        })
    }

    /// An iterator over `sv` at `seq` within the bounds; `extra_pin` is kept alive with it.
    pub(crate) fn iter_at(
        self: &Arc<Self>,
        sv: Arc<SuperVersion>,
        seq: SeqNum,
        lower: Bound<Bytes>,
        upper: Bound<Bytes>,
        extra_pin: Option<Pin>,
    ) -> Result<Iter> {
        let mut children: Vec<BoxedIterator> = Vec::new();
        if !bounds_empty(&lower, &upper) {
            children.push(Box::new(sv.mem.iter()));
            for imm in &sv.imms {
                children.push(Box::new(imm.iter()));
            }
            for f in &sv.version.l0 {
                if file_meets_bounds(f, &lower, &upper) && f.smallest_seq <= seq {
                    children.push(Box::new(self.table_cache.get(f.number)?.iter()));
                }
            }
            for run in &sv.version.levels {
                let files: Vec<Arc<FileMeta>> = run
                    .files
                    .iter()
                    .filter(|f| file_meets_bounds(f, &lower, &upper))
                    .cloned()
                    .collect();
                if !files.is_empty() {
                    children.push(Box::new(ConcatIterator::new(files, self.opener())));
                }
            }
        }
        let merged: BoxedIterator = Box::new(MergeIterator::new(children));
        let pins: Pin = Box::new((sv, extra_pin));
        Ok(Iter::new(merged, seq, lower, upper, pins))
    }
}

/// Converts user range bounds to owned `Bytes` bounds.
pub(crate) fn to_bytes_bound<K: AsRef<[u8]>>(b: Bound<&K>) -> Bound<Bytes> {
    match b {
        Bound::Included(k) => Bound::Included(Bytes::copy_from_slice(k.as_ref())),
        Bound::Excluded(k) => Bound::Excluded(Bytes::copy_from_slice(k.as_ref())),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The bounds of all keys starting with `prefix`: `[prefix, successor)`; an all-0xFF (or
/// empty) prefix has no upper bound.
pub(crate) fn prefix_bounds(prefix: &[u8]) -> (Bound<Bytes>, Bound<Bytes>) {
    let lower = Bound::Included(Bytes::copy_from_slice(prefix));
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return (lower, Bound::Excluded(Bytes::from(end)));
        }
    }
    (lower, Bound::Unbounded)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn prefix_bounds_cover_exactly_the_prefix() {
        assert_eq!(
            prefix_bounds(b"ab").1,
            Bound::Excluded(Bytes::from_static(b"ac"))
        );
        assert_eq!(
            prefix_bounds(b"a\xff").1,
            Bound::Excluded(Bytes::from_static(b"b"))
        );
        assert_eq!(prefix_bounds(b"\xff\xff").1, Bound::Unbounded);
        assert_eq!(prefix_bounds(b"").1, Bound::Unbounded);
    }

    #[test]
    fn empty_bounds() {
        let b = |s: &'static [u8]| Bytes::from_static(s);
        assert!(bounds_empty(
            &Bound::Included(b(b"b")),
            &Bound::Included(b(b"a"))
        ));
        assert!(bounds_empty(
            &Bound::Included(b(b"a")),
            &Bound::Excluded(b(b"a"))
        ));
        assert!(!bounds_empty(
            &Bound::Included(b(b"a")),
            &Bound::Included(b(b"a"))
        ));
        assert!(!bounds_empty(&Bound::Unbounded, &Bound::Excluded(b(b"a"))));
    }
}
