//! [`Transaction`]: a registered read snapshot, a private workspace, and (serializable) a
//! read set, validated and written at commit as one batch.
//!
//! Life cycle: `Db::transaction` registers the last visible seq as a transaction read
//! point (it holds the watermark down and keeps concurrent commits recorded in the conflict
//! log); `put`/`delete` fill the workspace; reads merge the workspace over the snapshot;
//! `commit(self)` sends the workspace and a [`TxnCheck`] through the commit queue, where the
//! leader validates and writes in one critical section; dropping unregisters. `commit` and
//! `rollback` consume the transaction, so using it afterwards does not compile.
//!
//! Threading: `Send + Sync`; reads take `&self` (the read set has its own mutex), writes
//! take `&mut self`.

use std::collections::BTreeMap;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use bytes::Bytes;

use crate::batch::{MAX_BATCH_BYTES, MAX_KEY_LEN, MAX_VALUE_LEN, WAL_RECORD_HEADER, WriteBatch};
use crate::db::state::DbInner;
use crate::db::write::Op;
use crate::error::{Error, Result};
use crate::iter::Iter;
use crate::key::SeqNum;
use crate::mvcc::conflict::TxnCheck;
use crate::mvcc::readset::{KeyRanges, ReadSet};
use crate::mvcc::watermark::Holder;
use crate::options::Isolation;

/// Estimated encoded bytes of one workspace record beyond its key and value.
const RECORD_OVERHEAD: usize = 16;

/// A transaction: reads see its own writes over a snapshot taken at its start; `commit`
/// validates it against everything committed since (any writer, plain `put`s included) and
/// writes it atomically, as one WAL record.
///
/// Under [`Isolation::Snapshot`] (first committer wins) `commit` fails if another writer
/// committed a key this transaction writes after its snapshot. **Write skew is allowed**:
/// two transactions that each read what the other writes, but write disjoint keys, both
/// commit. Under [`Isolation::Serializable`] `commit` fails if another writer committed,
/// after the snapshot, a key this transaction read with `get` (misses included) or any key
/// inside an interval it scanned (from the lower bound to the last key returned, or to the
/// upper bound once the scan finished): no lost updates, no write skew, no phantoms. Blind
/// writes never conflict there (the later commit wins). A read-only transaction always
/// commits, without entering the commit queue.
///
/// # Examples
/// ```
/// # fn main() -> strata::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// let db = strata::Db::open(dir.path(), strata::Options::default())?;
/// db.put(b"counter", b"1")?;
/// let mut txn = db.transaction();
/// let n: u32 = std::str::from_utf8(&txn.get(b"counter")?.unwrap_or_default())
///     .unwrap_or("0").parse().unwrap_or(0);
/// txn.put(b"counter", (n + 1).to_string())?;
/// assert_eq!(txn.get(b"counter")?.as_deref(), Some(&b"2"[..])); // its own write
/// assert_eq!(db.get(b"counter")?.as_deref(), Some(&b"1"[..]));  // not yet visible
/// match txn.commit() {
///     Ok(()) => {}
///     Err(strata::Error::Conflict { .. }) => { /* retry */ }
///     Err(e) => return Err(e),
/// }
/// assert_eq!(db.get(b"counter")?.as_deref(), Some(&b"2"[..]));
/// # Ok(()) }
/// ```
pub struct Transaction {
    inner: Arc<DbInner>,
    read_seq: SeqNum,
    isolation: Isolation,
    workspace: BTreeMap<Bytes, Option<Bytes>>,
    /// Estimated encoded size of the workspace as one batch.
    workspace_bytes: usize,
    /// Serializable only: what the transaction read.
    reads: Option<Arc<ReadSet>>,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("read_seq", &self.read_seq)
            .field("isolation", &self.isolation)
            .field("writes", &self.workspace.len())
            .finish_non_exhaustive()
    }
}

impl Transaction {
    pub(crate) fn new(inner: Arc<DbInner>, isolation: Isolation) -> Transaction {
        let read_seq = inner
            .read_points
            .register_as(&inner.last_visible, Holder::Transaction);
        Transaction {
            inner,
            read_seq,
            isolation,
            workspace: BTreeMap::new(),
            workspace_bytes: 0,
            reads: (isolation == Isolation::Serializable).then(Arc::default),
        }
    }

    /// The sequence number of the snapshot this transaction reads.
    pub fn read_seq(&self) -> SeqNum {
        self.read_seq
    }

    /// The isolation level this transaction is validated under.
    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// The value of `key`: the transaction's own write (a delete gives `None`), else the
    /// snapshot's.
    ///
    /// # Errors
    /// `Closed`; `Corruption`; `Io`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        let key = key.as_ref();
        self.inner.check_open()?;
        if let Some(v) = self.workspace.get(key) {
            return Ok(v.clone());
        }
        if let Some(reads) = &self.reads {
            reads.add_point(key);
        }
        let sv = self.inner.current();
        self.inner.get_at(&sv, key, self.read_seq)
    }

    /// The keys in `range`: the workspace merged over the snapshot (its writes win, its
    /// deletes hide keys), both ways. Writes made after this call do not show in the
    /// iterator.
    ///
    /// # Errors
    /// As [`Transaction::get`].
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> Result<Iter> {
        let lower = crate::db::to_bytes_bound(range.start_bound());
        let upper = crate::db::to_bytes_bound(range.end_bound());
        self.iter_bounds(lower, upper)
    }

    /// Every key, as [`Transaction::range`].
    ///
    /// # Errors
    /// As [`Transaction::get`].
    pub fn iter(&self) -> Result<Iter> {
        self.iter_bounds(Bound::Unbounded, Bound::Unbounded)
    }

    /// The keys starting with `prefix`, as [`Transaction::range`].
    ///
    /// # Errors
    /// As [`Transaction::get`].
    pub fn prefix(&self, prefix: impl AsRef<[u8]>) -> Result<Iter> {
        let (lower, upper) = crate::db::prefix_bounds(prefix.as_ref());
        self.iter_bounds(lower, upper)
    }

    fn iter_bounds(&self, lower: Bound<Bytes>, upper: Bound<Bytes>) -> Result<Iter> {
        self.inner.check_open()?;
        let overlay: Vec<(Bytes, Option<Bytes>)> =
            if crate::db::bounds_empty(&lower, &upper) || self.workspace.is_empty() {
                Vec::new()
            } else {
                self.workspace
                    .range::<Bytes, _>((lower.as_ref(), upper.as_ref()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            };
        let tracker = self
            .reads
            .as_ref()
            .map(|r| r.track_scan(lower.clone(), upper.clone()));
        let sv = self.inner.current();
        let mut it = self.inner.iter_at(sv, self.read_seq, lower, upper, None)?;
        if !overlay.is_empty() {
            it = it.with_overlay(overlay);
        }
        if let Some(t) = tracker {
            it = it.with_tracker(t);
        }
        Ok(it)
    }

    /// Buffers a put (visible to this transaction's reads only, until commit).
    ///
    /// # Errors
    /// `InvalidArgument` if the key or value is too long, or the workspace would exceed
    /// `MAX_BATCH_BYTES`; `Closed`.
    pub fn put(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<()> {
        let (key, value) = (key.as_ref(), value.as_ref());
        self.buffer(key, Some(value))
    }

    /// Buffers a delete (of a key that may not exist).
    ///
    /// # Errors
    /// As [`Transaction::put`].
    pub fn delete(&mut self, key: impl AsRef<[u8]>) -> Result<()> {
        self.buffer(key.as_ref(), None)
    }

    fn buffer(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        self.inner.check_open()?;
        check_len(key, value)?;
        let size =
            |k: &[u8], v: Option<&[u8]>| k.len() + v.map_or(0, <[u8]>::len) + RECORD_OVERHEAD;
        let old = self
            .workspace
            .get_key_value(key)
            .map_or(0, |(k, v)| size(k, v.as_deref()));
        let bytes = self.workspace_bytes - old + size(key, value);
        if bytes > MAX_BATCH_BYTES - WAL_RECORD_HEADER {
            return Err(Error::InvalidArgument(format!(
                "transaction exceeds MAX_BATCH_BYTES ({MAX_BATCH_BYTES})"
            )));
        }
        self.workspace_bytes = bytes;
        self.workspace.insert(
            Bytes::copy_from_slice(key),
            value.map(Bytes::copy_from_slice),
        );
        Ok(())
    }

    /// Validates and commits the workspace as one atomic batch (one WAL record, consecutive
    /// seqs). A read-only transaction always commits.
    ///
    /// # Errors
    /// `Conflict { key, kind }` when validation fails (nothing is written; retry with a new
    /// transaction); `Closed`; `Poisoned`; `Io`.
    pub fn commit(self) -> Result<()> {
        self.commit_with_seq().map(|_| ())
    }

    /// As [`Transaction::commit`], returning the commit's last seq (its commit point:
    /// snapshots at or above it see the whole transaction), or `None` for a read-only
    /// transaction, which wrote nothing.
    ///
    /// # Errors
    /// As [`Transaction::commit`].
    pub fn commit_with_seq(self) -> Result<Option<SeqNum>> {
        self.inner.check_open()?;
        if self.workspace.is_empty() {
            return Ok(None);
        }
        let mut batch = WriteBatch::new();
        for (k, v) in &self.workspace {
            match v {
                Some(v) => batch.put(k, v),
                None => batch.delete(k),
            }
        }
        batch.validate()?;
        let check = self.check();
        self.inner.check_writable()?;
        self.inner.stall_if_needed()?;
        let seq = self.inner.submit(Op::Write {
            batch,
            sync: false,
            check: Some(Box::new(check)),
        })?;
        Ok(Some(seq))
    }

    /// What the commit leader validates.
    fn check(&self) -> TxnCheck {
        let (points, ranges) = match (&self.reads, self.isolation) {
            (Some(reads), Isolation::Serializable) => reads.collect(),
            _ => (Vec::new(), KeyRanges::default()),
        };
        let writes = match self.isolation {
            Isolation::Snapshot => self.workspace.keys().cloned().collect(),
            Isolation::Serializable => Vec::new(),
        };
        TxnCheck {
            read_seq: self.read_seq,
            isolation: self.isolation,
            writes,
            points,
            ranges,
        }
    }

    /// Discards the workspace (as dropping the transaction does).
    pub fn rollback(self) {}
}

impl Drop for Transaction {
    fn drop(&mut self) {
        self.inner
            .read_points
            .unregister_as(self.read_seq, Holder::Transaction);
    }
}

fn check_len(key: &[u8], value: Option<&[u8]>) -> Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(Error::InvalidArgument(format!(
            "key of {} bytes exceeds MAX_KEY_LEN ({MAX_KEY_LEN})",
            key.len()
        )));
    }
    if let Some(v) = value.filter(|v| v.len() > MAX_VALUE_LEN) {
        return Err(Error::InvalidArgument(format!(
            "value of {} bytes exceeds MAX_VALUE_LEN ({MAX_VALUE_LEN})",
            v.len()
        )));
    }
    Ok(())
}
