//! The [`Db`] handle: open, the public read and write calls, maintenance, close.
//!
//! `Db` is a cheap `Clone` around an `Arc`; all state lives in [`state::DbInner`]. The last
//! `Db` handle dropped closes the database (best effort); background threads hold the inner
//! state, not a handle.

mod background;
mod flush;
mod open;
mod read;
#[cfg(feature = "fuzzing")]
pub(crate) use open::replay_wal;
pub(crate) use read::{bounds_empty, prefix_bounds, to_bytes_bound};
pub(crate) mod state;
mod stats;
pub(crate) mod write;

pub use stats::{LevelStats, Stats};

use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;

use crate::batch::WriteBatch;
use crate::compaction;
use crate::error::{Error, Result};
use crate::fs::{FileSystem, RealFs};
use crate::iter::Iter;
use crate::mvcc::{CompactionFilter, Snapshot, Transaction};
use crate::options::Options;
use state::DbInner;
use write::Op;

/// The shape of the LSM tree: file numbers per level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeShape {
    /// L0 file numbers, newest first.
    pub l0: Vec<u64>,
    /// (level number or tier id, file numbers in key order) for each run below L0.
    pub levels: Vec<(u64, Vec<u64>)>,
}

struct Handle {
    inner: Arc<DbInner>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Err(e) = close_inner(&self.inner) {
            tracing::warn!(error = %e, "closing the database on drop failed");
        }
    }
}

/// A handle to an open database; cheap to clone and share across threads.
///
/// # Examples
/// ```
/// # fn main() -> strata::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// let db = strata::Db::open(dir.path(), strata::Options::default())?;
/// db.put(b"k", b"v")?;
/// assert_eq!(db.get(b"k")?, Some(strata::Bytes::from_static(b"v")));
/// db.delete(b"k")?;
/// assert_eq!(db.get(b"k")?, None);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Db {
    handle: Arc<Handle>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.inner().dir)
            .finish()
    }
}

impl Db {
    /// Opens the database at `path`, creating the directory if missing and recovering what a
    /// previous process left (MANIFEST, WALs).
    ///
    /// # Errors
    /// `InvalidArgument` for bad options, a path that is a file or a directory of foreign
    /// files; `Locked` if another handle or process has it open; `Corruption` /
    /// `UnsupportedFormat` for damaged or newer files; `Io` for OS failures.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Db> {
        Db::open_with_fs(path, options, Arc::new(RealFs))
    }

    /// Like [`Db::open`], on a custom filesystem (tests inject faults through it).
    ///
    /// # Errors
    /// As [`Db::open`].
    pub fn open_with_fs(
        path: impl AsRef<Path>,
        options: Options,
        fs: Arc<dyn FileSystem>,
    ) -> Result<Db> {
        let inner = open::open(path.as_ref(), options, fs)?;
        let mut threads = Vec::new();
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name)
                .spawn(f)
                .map_err(|e| Error::io(path.as_ref(), e))
        };
        let i = Arc::clone(&inner);
        threads.push(spawn(
            "strata-flush".into(),
            Box::new(move || i.flush_thread()),
        )?);
        for n in 0..inner.opts.compaction_threads {
            let i = Arc::clone(&inner);
            threads.push(spawn(
                format!("strata-compact-{n}"),
                Box::new(move || i.compaction_thread()),
            )?);
        }
        *inner.threads.lock() = threads;
        Ok(Db {
            handle: Arc::new(Handle { inner }),
        })
    }

    pub(crate) fn inner(&self) -> &Arc<DbInner> {
        &self.handle.inner
    }

    /// Closes the database: in-flight writes finish, the WAL is synced (without a WAL the
    /// memtables are flushed), background work stops, the lock is released. Every later call
    /// through any clone returns `Error::Closed`. Idempotent: only the first call reports.
    ///
    /// # Errors
    /// The failure of the final sync or flush; else `Poisoned` (with the first failure's
    /// description) if an earlier failure, or a background job finishing during the close,
    /// poisoned the database: the close still released everything, but it cannot promise
    /// that writes acknowledged without sync before that failure reached the disk (after a
    /// failed fsync, Linux may drop dirty pages). Reopening recovers; nothing acknowledged
    /// with sync is lost.
    pub fn close(&self) -> Result<()> {
        close_inner(self.inner())
    }

    /// Sets `key` to `value` (an empty value is a real value).
    ///
    /// # Errors
    /// `InvalidArgument` if the key or value is too long (nothing is written); `Closed`;
    /// `Poisoned` after an earlier write failure; `Io`.
    pub fn put(&self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.put(key, value);
        self.write(batch)
    }

    /// Deletes `key` (deleting an absent key is fine).
    ///
    /// # Errors
    /// As [`Db::put`].
    pub fn delete(&self, key: impl AsRef<[u8]>) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.delete(key);
        self.write(batch)
    }

    /// Applies a batch atomically: all of it becomes visible at once, also across a crash.
    ///
    /// # Errors
    /// `InvalidArgument` if any record breaks a limit (nothing is written); else as
    /// [`Db::put`].
    pub fn write(&self, batch: WriteBatch) -> Result<()> {
        self.inner().write_batch(batch, false)
    }

    /// The value of `key`, or `None`.
    ///
    /// # Errors
    /// `Closed`; `Corruption` if a block it reads is damaged; `Io`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        let inner = self.inner();
        inner.check_open()?;
        let sv = inner.current();
        let seq = inner.last_visible.load(Ordering::Acquire);
        inner.get_at(&sv, key.as_ref(), seq)
    }

    /// An iterator over the keys in `range`, in order (`.rev()` for descending).
    ///
    /// # Errors
    /// `Closed`; `Io` or `Corruption` opening a table.
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> Result<Iter> {
        let lower = read::to_bytes_bound(range.start_bound());
        let upper = read::to_bytes_bound(range.end_bound());
        self.iter_bounds(lower, upper)
    }

    /// An iterator over every key.
    ///
    /// # Errors
    /// As [`Db::range`].
    pub fn iter(&self) -> Result<Iter> {
        self.iter_bounds(Bound::Unbounded, Bound::Unbounded)
    }

    /// An iterator over the keys starting with `prefix` (`b""`: every key).
    ///
    /// # Errors
    /// As [`Db::range`].
    pub fn prefix(&self, prefix: impl AsRef<[u8]>) -> Result<Iter> {
        let (lower, upper) = read::prefix_bounds(prefix.as_ref());
        self.iter_bounds(lower, upper)
    }

    fn iter_bounds(&self, lower: Bound<Bytes>, upper: Bound<Bytes>) -> Result<Iter> {
        let inner = self.inner();
        inner.check_open()?;
        let sv = inner.current();
        let seq = inner.last_visible.load(Ordering::Acquire);
        inner.iter_at(sv, seq, lower, upper, None)
    }

    /// A consistent read view of everything committed so far.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::new(Arc::clone(self.inner()))
    }

    /// Starts a transaction reading from a snapshot taken now, under `Options::isolation`.
    ///
    /// See [`Transaction`] for what each isolation level validates at commit.
    pub fn transaction(&self) -> Transaction {
        Transaction::new(Arc::clone(self.inner()), self.inner().opts.isolation)
    }

    /// Registers a compaction filter; flushes and compactions that start afterwards apply
    /// it (see [`CompactionFilter`]). Filters live in memory: register them again after
    /// every open.
    ///
    /// # Errors
    /// `Closed`.
    pub fn add_compaction_filter(&self, filter: CompactionFilter) -> Result<()> {
        self.inner().check_open()?;
        self.inner().filters.add(filter);
        Ok(())
    }

    /// Writes every memtable to SSTs: freezes a non-empty mutable memtable and returns once
    /// every memtable frozen before the call is flushed.
    ///
    /// # Errors
    /// `Closed`; the background error if a flush failed.
    pub fn flush(&self) -> Result<()> {
        let inner = self.inner();
        inner.check_writable()?;
        let frozen = inner.submit(Op::Freeze)?;
        let target = if frozen == 0 {
            match inner.current().imms.first() {
                Some(m) => m.id(),
                None => return Ok(()),
            }
        } else {
            frozen
        };
        inner.wake_background();
        let mut versions = inner.versions.lock();
        while flush::is_unflushed(inner, target) {
            inner.check_writable()?;
            inner
                .bg_cv
                .wait_for(&mut versions, Duration::from_millis(20));
        }
        Ok(())
    }

    /// Full compaction: merges every SST present now into one sorted run at the bottom,
    /// dropping shadowed versions and tombstones no snapshot needs. Memtables are not
    /// flushed. Background compaction pauses meanwhile.
    ///
    /// # Errors
    /// `Closed`; `Io`/`Corruption` from the job (nothing changes then).
    pub fn compact(&self) -> Result<()> {
        let inner = self.inner();
        inner.check_writable()?;
        {
            let mut versions = inner.versions.lock();
            while versions.manual_compaction || versions.running_compactions > 0 {
                inner.check_writable()?;
                inner
                    .bg_cv
                    .wait_for(&mut versions, Duration::from_millis(20));
            }
            versions.manual_compaction = true;
        }
        let task = {
            let version = Arc::clone(&inner.current().version);
            compaction::full_compaction_task(&version, &inner.opts)
        };
        let result = match &task {
            Some(task) => inner.run_compaction(task),
            None => Ok(()),
        };
        // The task's references to the inputs must go before the purge can delete them.
        drop(task);
        {
            let mut versions = inner.versions.lock();
            versions.manual_compaction = false;
            inner.bg_cv.notify_all();
        }
        inner.purge_obsolete_files();
        result
    }

    /// Waits until the background work is done: no frozen memtable waits for flush, no
    /// compaction runs, and the compaction strategy has nothing to start (RocksDB's
    /// `WaitForCompact`); then deletes the obsolete SSTs no reader holds, so the files on
    /// disk are the live tree's. The mutable memtable is not flushed (call [`Db::flush`]
    /// first for that). Writes made meanwhile may make it wait longer.
    ///
    /// # Errors
    /// `Closed`; the background error if a flush or compaction failed.
    pub fn wait_for_compactions(&self) -> Result<()> {
        let inner = self.inner();
        inner.check_writable()?;
        inner.wake_background();
        let mut versions = inner.versions.lock();
        loop {
            inner.check_writable()?;
            let current = inner.current();
            let idle = current.imms.is_empty()
                && versions.running_compactions == 0
                && !versions.manual_compaction
                && compaction::pick(&current.version, &inner.opts, &versions.compacting).is_none();
            if idle {
                drop(versions);
                inner.purge_obsolete_files();
                return Ok(());
            }
            inner
                .bg_cv
                .wait_for(&mut versions, Duration::from_millis(20));
        }
    }

    /// Whether writes are refused for good after a failed WAL or MANIFEST write or fsync or a
    /// failed flush or compaction (SPEC §6); reads go on, reopening recovers. A background
    /// failure sets it from its own thread, before that job counts as finished.
    pub fn is_poisoned(&self) -> bool {
        self.inner().is_poisoned()
    }

    /// Makes every acknowledged write durable (without a WAL: flushes the memtables).
    ///
    /// # Errors
    /// `Closed`; `Poisoned` or `Io` if the sync fails (then the database is poisoned).
    pub fn sync(&self) -> Result<()> {
        let inner = self.inner();
        inner.check_writable()?;
        if inner.opts.enable_wal {
            inner.submit(Op::Sync).map(|_| ())
        } else {
            self.flush()
        }
    }

    /// File numbers per level (for tools like the shell's `dump`).
    pub fn tree_shape(&self) -> TreeShape {
        let v = Arc::clone(&self.inner().current().version);
        TreeShape {
            l0: v.l0.iter().map(|f| f.number).collect(),
            levels: v
                .levels
                .iter()
                .map(|r| (r.id, r.files.iter().map(|f| f.number).collect()))
                .collect(),
        }
    }

    /// Counters and the tree's shape.
    pub fn stats(&self) -> Stats {
        let inner = self.inner();
        let mut s = Stats::default();
        inner.stats.fill(&mut s);
        let sv = inner.current();
        s.frozen_memtables = sv.imms.len();
        s.memtable_bytes = sv.mem.approximate_size();
        s.levels.push(LevelStats {
            level: 0,
            files: sv.version.l0.len(),
            bytes: sv.version.l0.iter().map(|f| f.size).sum(),
            ..LevelStats::default()
        });
        for r in &sv.version.levels {
            s.levels.push(LevelStats {
                level: r.id,
                files: r.files.len(),
                bytes: r.files.iter().map(|f| f.size).sum(),
                ..LevelStats::default()
            });
        }
        inner.stats.fill_levels(&mut s);
        if let Some(c) = inner.table_cache.block_cache() {
            s.block_cache_bytes = c.usage();
            s.block_cache_hits = c.hits();
            s.block_cache_misses = c.misses();
            s.block_cache_bytes_inserted = c.bytes_inserted();
        }
        s.table_cache_hits = inner.table_cache.hits();
        s.table_cache_misses = inner.table_cache.misses();
        s.live_snapshots = inner.read_points.count();
        s.live_transactions = inner.read_points.transactions();
        s.last_sequence = inner.last_visible.load(Ordering::Acquire);
        s
    }

    /// The directory of this database.
    pub fn path(&self) -> &Path {
        &self.inner().dir
    }
}

fn close_inner(inner: &Arc<DbInner>) -> Result<()> {
    if inner.closed.swap(true, Ordering::AcqRel) {
        return Ok(());
    }
    // In-flight writes finish; new ones see `Closed`.
    inner.commit.wait_idle();
    inner.closing.store(true, Ordering::Release);
    {
        let mut versions = inner.versions.lock();
        versions.shutting_down = true;
        inner.bg_cv.notify_all();
    }
    let threads = std::mem::take(&mut *inner.threads.lock());
    for t in threads {
        let _ = t.join();
    }
    let mut result = Ok(());
    if inner.opts.enable_wal {
        let mut wal = inner.wal.lock();
        if let Some(w) = wal.writer.as_mut() {
            result = w.sync();
        }
    } else if !inner.is_poisoned() {
        // No WAL: the memtables are the only copy, so flush them all.
        result = inner
            .freeze_for_close()
            .and_then(|()| inner.flush_all_frozen());
    }
    inner.purge_obsolete_files();
    if let Some(m) = inner.versions.lock().manifest.take() {
        drop(m);
    }
    *inner.lock.lock() = None;
    result.and_then(|()| inner.check_not_poisoned())
}
