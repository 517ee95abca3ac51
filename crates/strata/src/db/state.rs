//! The shared state behind a `Db` handle.
//!
//! Locks, from outermost to innermost (never take an outer one while holding an inner one):
//! 1. `commit` — the commit queue (held only to enqueue/dequeue, never across I/O);
//! 2. `wal` — the live WAL writer, held by the single commit leader while it appends and
//!    syncs (other writers are queued behind the leader anyway; readers never take it);
//! 3. `purge` — held for the whole of one purge of obsolete SSTs (the choice under
//!    `versions`, then the deletions), and by a flush from its install to the deletion of
//!    its WAL, so a purge that returns has every file an earlier purge chose, and every
//!    flushed WAL of a published version, deleted (`Db::wait_for_compactions` relies on it);
//! 4. `versions` — MANIFEST writer and version bookkeeping, held by flush/compaction while
//!    they log an edit (an fsync, but readers and writers never need this lock);
//! 5. `super_version` — a `RwLock<Arc<SuperVersion>>`, held only to clone or swap the `Arc`;
//! 6. `read_points` — the registry of snapshot and transaction read seqs, held for O(log n)
//!    map updates; the commit leader publishes `last_visible` under it (inside `wal`), so a
//!    transaction registering concurrently either sees a commit or has it recorded in the
//!    conflict log (`WalState::conflicts`, touched only under `wal`).
//!
//! Invariants:
//! - `last_visible` only grows and every record with seq <= `last_visible` is in a memtable of
//!   the current super version or in an SST of its version;
//! - unregistered readers (`get`, iterators) load the super version **before**
//!   `last_visible`: a write that completed before the read began is in that super version, a
//!   write racing with it may or may not be seen (both are linearizable), and any compaction
//!   installed before the super version was loaded computed its watermark from an older
//!   `last_visible`, so it kept every version the read can ask for. Registered readers
//!   (snapshots, transactions) hold their seq in `read_points` and may load any later super
//!   version;
//! - the version only changes under the `versions` lock, after the edit is durable.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use crate::sync::{Condvar, Mutex, RwLock};

use crate::cache::TableCache;
use crate::db::stats::Counters;
use crate::db::write::CommitQueue;
use crate::error::{Error, Result};
use crate::fs::{FileLock, FileSystem};
use crate::memtable::MemTable;
use crate::mvcc::conflict::ConflictLog;
use crate::mvcc::filter::Filters;
use crate::mvcc::watermark::ReadPoints;
use crate::options::Options;
use crate::version::manifest::ManifestWriter;
use crate::version::{FileMeta, Version};
use crate::wal::LogWriter;

/// What a reader needs: memtables and the version, swapped atomically as one `Arc`.
pub(crate) struct SuperVersion {
    /// The mutable memtable.
    pub mem: Arc<MemTable>,
    /// Frozen memtables, newest first.
    pub imms: Vec<Arc<MemTable>>,
    /// The live SSTs.
    pub version: Arc<Version>,
}

/// The WAL writer the commit leader appends to.
pub(crate) struct WalState {
    /// `None` when the WAL is disabled.
    pub writer: Option<LogWriter>,
    /// The seq the next batch gets.
    pub next_seq: u64,
    /// Scratch buffer for encoding records.
    pub buf: Vec<u8>,
    /// Keys committed while transactions are live, for commit-time validation.
    pub conflicts: ConflictLog,
}

/// MANIFEST and background-work bookkeeping.
pub(crate) struct VersionsState {
    /// The live MANIFEST (None only while opening).
    pub manifest: Option<ManifestWriter>,
    /// Files removed from the version, deleted once no reader holds them.
    pub obsolete_files: Vec<Arc<FileMeta>>,
    /// File numbers captured by running compactions.
    pub compacting: Vec<u64>,
    /// Set while `Db::compact` runs: background compaction pauses.
    pub manual_compaction: bool,
    /// Running background compactions.
    pub running_compactions: usize,
    /// Tells background threads to stop.
    pub shutting_down: bool,
}

impl VersionsState {
    /// Takes the obsolete files that nothing else references any more and returns their
    /// numbers, to be deleted. Only the obsolete list holds the last reference once every
    /// reader let go; no new reference can appear, since no live version holds the file
    /// (a trivially moved file keeps its `Arc`, see `Version::apply`).
    pub(crate) fn take_unreferenced(&mut self) -> Vec<u64> {
        let mut out = Vec::new();
        self.obsolete_files.retain(|f| {
            if Arc::strong_count(f) == 1 {
                out.push(f.number);
                false
            } else {
                true
            }
        });
        out
    }
}

pub(crate) struct DbInner {
    pub dir: PathBuf,
    pub opts: Options,
    pub fs: Arc<dyn FileSystem>,
    pub table_cache: TableCache,
    pub super_version: RwLock<Arc<SuperVersion>>,
    pub last_visible: AtomicU64,
    pub next_file_number: AtomicU64,
    pub read_points: ReadPoints,
    /// Compaction filters (in memory only).
    pub filters: Filters,
    pub commit: CommitQueue,
    pub wal: Mutex<WalState>,
    pub versions: Mutex<VersionsState>,
    /// Held for the whole of one purge of obsolete SSTs (see the lock order above).
    pub purge: Mutex<()>,
    /// Signalled whenever background work finishes something (flush, compaction) or fails.
    pub bg_cv: Condvar,
    pub closed: AtomicBool,
    /// Set when close begins: background jobs stop at their next safe point.
    pub closing: AtomicBool,
    poisoned: AtomicBool,
    poison_reason: Mutex<Option<String>>,
    pub stats: Counters,
    pub lock: Mutex<Option<Box<dyn FileLock>>>,
    pub threads: Mutex<Vec<JoinHandle<()>>>,
}

impl DbInner {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        dir: PathBuf,
        opts: Options,
        fs: Arc<dyn FileSystem>,
        table_cache: TableCache,
        sv: SuperVersion,
        last_seq: u64,
        next_file_number: u64,
        manifest: ManifestWriter,
        wal: Option<LogWriter>,
        lock: Box<dyn FileLock>,
    ) -> DbInner {
        let conflicts = ConflictLog::new(last_seq, opts.max_conflict_log_bytes);
        let pending = crate::compaction::pending_compaction_bytes(&sv.version, &opts);
        let inner = DbInner {
            dir,
            opts,
            fs,
            table_cache,
            super_version: RwLock::new(Arc::new(sv)),
            last_visible: AtomicU64::new(last_seq),
            next_file_number: AtomicU64::new(next_file_number),
            read_points: ReadPoints::default(),
            filters: Filters::default(),
            commit: CommitQueue::default(),
            wal: Mutex::new(WalState {
                writer: wal,
                next_seq: last_seq + 1,
                buf: Vec::new(),
                conflicts,
            }),
            versions: Mutex::new(VersionsState {
                manifest: Some(manifest),
                obsolete_files: Vec::new(),
                compacting: Vec::new(),
                manual_compaction: false,
                running_compactions: 0,
                shutting_down: false,
            }),
            purge: Mutex::new(()),
            bg_cv: Condvar::new(),
            closed: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            poisoned: AtomicBool::new(false),
            poison_reason: Mutex::new(None),
            stats: Counters::default(),
            lock: Mutex::new(Some(lock)),
            threads: Mutex::new(Vec::new()),
        };
        inner
            .stats
            .pending_compaction_bytes
            .store(pending, Ordering::Relaxed);
        inner
    }

    /// The current super version.
    pub(crate) fn current(&self) -> Arc<SuperVersion> {
        Arc::clone(&self.super_version.read())
    }

    /// Allocates a fresh file number (never reused).
    pub(crate) fn new_file_number(&self) -> u64 {
        self.next_file_number.fetch_add(1, Ordering::SeqCst)
    }

    /// `Err(Closed)` after close.
    pub(crate) fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    /// `Err` if writes are refused (closed or poisoned).
    pub(crate) fn check_writable(&self) -> Result<()> {
        self.check_open()?;
        self.check_not_poisoned()
    }

    /// `Err(Poisoned)` with the first failure's description if the database is poisoned.
    pub(crate) fn check_not_poisoned(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            let reason = self.poison_reason.lock().clone().unwrap_or_default();
            return Err(Error::Poisoned(reason));
        }
        Ok(())
    }

    /// Refuses all further writes; reads go on. Wakes everyone waiting on background work.
    pub(crate) fn poison(&self, err: &Error) {
        tracing::error!(error = %err, "database poisoned: refusing further writes");
        {
            let mut reason = self.poison_reason.lock();
            if reason.is_none() {
                *reason = Some(err.to_string());
            }
        }
        self.poisoned.store(true, Ordering::Release);
        // No lock here (callers may hold `versions`); waiters also wake on their tick.
        self.bg_cv.notify_all();
    }

    pub(crate) fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }
}
