//! [`Snapshot`]: a registered, read-only, point-in-time view.
//!
//! Creating one registers the last visible seq in the read points (atomically with reading
//! it); dropping it unregisters. While registered, compaction keeps every version the
//! snapshot can read, so its answers never change whatever flushes and compactions follow.

use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use bytes::Bytes;

use crate::db::state::DbInner;
use crate::error::Result;
use crate::iter::Iter;
use crate::key::SeqNum;

/// A consistent read view at one sequence number.
///
/// # Examples
/// ```
/// # fn main() -> strata::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// let db = strata::Db::open(dir.path(), strata::Options::default())?;
/// db.put(b"k", b"old")?;
/// let snap = db.snapshot();
/// db.put(b"k", b"new")?;
/// assert_eq!(snap.get(b"k")?.as_deref(), Some(&b"old"[..]));
/// # Ok(()) }
/// ```
pub struct Snapshot {
    inner: Arc<DbInner>,
    seq: SeqNum,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("seq", &self.seq).finish()
    }
}

impl Snapshot {
    pub(crate) fn new(inner: Arc<DbInner>) -> Snapshot {
        let seq = inner.read_points.register(&inner.last_visible);
        Snapshot { inner, seq }
    }

    /// The sequence number this snapshot reads at.
    pub fn seq(&self) -> SeqNum {
        self.seq
    }

    /// The value of `key` as of the snapshot.
    ///
    /// # Errors
    /// `Closed` after the database closed; `Corruption`; `Io`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        self.inner.check_open()?;
        let sv = self.inner.current();
        self.inner.get_at(&sv, key.as_ref(), self.seq)
    }

    /// The keys in `range` as of the snapshot.
    ///
    /// # Errors
    /// As [`Snapshot::get`].
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> Result<Iter> {
        let lower = crate::db::to_bytes_bound(range.start_bound());
        let upper = crate::db::to_bytes_bound(range.end_bound());
        self.iter_bounds(lower, upper)
    }

    /// Every key as of the snapshot.
    ///
    /// # Errors
    /// As [`Snapshot::get`].
    pub fn iter(&self) -> Result<Iter> {
        self.iter_bounds(Bound::Unbounded, Bound::Unbounded)
    }

    /// The keys starting with `prefix` as of the snapshot.
    ///
    /// # Errors
    /// As [`Snapshot::get`].
    pub fn prefix(&self, prefix: impl AsRef<[u8]>) -> Result<Iter> {
        let (lower, upper) = crate::db::prefix_bounds(prefix.as_ref());
        self.iter_bounds(lower, upper)
    }

    pub(crate) fn iter_bounds(&self, lower: Bound<Bytes>, upper: Bound<Bytes>) -> Result<Iter> {
        self.inner.check_open()?;
        let sv = self.inner.current();
        self.inner.iter_at(sv, self.seq, lower, upper, None)
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        self.inner.read_points.unregister(self.seq);
    }
}
