//! The memtable: a skiplist of internal entries in an arena, one writer, lock-free readers.
//!
//! Every version of a key is its own entry, ordered by internal key (user key ascending,
//! newest version first; see [`crate::key`]). Entries live in the arena skiplist of
//! `skiplist.rs`: one node per record with the key inline and the value in a second arena
//! (so a search walks dense nodes), both in a few large chunks that are returned to the
//! operating system when the memtable is dropped. The memtable charges what its nodes and
//! values take in both arenas, so `memtable_size` bounds its real memory.
//!
//! Reads copy out what they return: `get` copies the value into a fresh `Bytes`, cursors copy
//! the current key and value into their own buffers, so nothing a caller holds pins the
//! arena.
//!
//! Threading: `add` may be called from any thread; calls are serialized by the writer mutex
//! (the database calls it from the commit leader only, so the mutex is uncontended). Readers
//! (`get`, cursors) never block and race freely with `add`. Which concurrent insertions a
//! reader sees is unspecified: the database makes a record visible by publishing its seq only
//! after `add` returned, and readers filter by seq, so a reader's snapshot is always complete.
//!
//! Invariants: internal keys are unique (the database never reuses a seq); `approximate_size`,
//! `len`, `max_seq` only grow and `first_seq` only shrinks; entries are never removed.

mod arena;
mod iter;
mod skiplist;

use std::sync::Arc;

use bytes::Bytes;

use crate::sync::Mutex;
use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::error::Result;
use crate::key::{KIND_SEEK, MAX_SEQUENCE, SeqNum, ValueKind};

pub use iter::MemTableIterator;
use skiplist::{SkipList, Writer};

/// A memtable.
pub struct MemTable {
    id: u64,
    list: SkipList,
    writer: Mutex<Writer>,
    size: AtomicUsize,
    len: AtomicUsize,
    max_seq: AtomicU64,
    /// `u64::MAX` while empty.
    min_seq: AtomicU64,
}

impl MemTable {
    /// An empty memtable whose WAL has number `id`, sized for about `size_hint` bytes (the
    /// first arena chunk; it grows past the hint as needed).
    pub fn with_size_hint(id: u64, size_hint: usize) -> Result<MemTable> {
        let (list, writer) = SkipList::new(size_hint, id.wrapping_mul(0x9E37_79B9_7F4A_7C15))?;
        Ok(MemTable {
            id,
            list,
            writer: Mutex::new(writer),
            size: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            max_seq: AtomicU64::new(0),
            min_seq: AtomicU64::new(u64::MAX),
        })
    }

    /// An empty memtable with a small first chunk (tests and tools).
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn new(id: u64) -> MemTable {
        #[allow(clippy::unwrap_used, reason = "64 KiB allocation in tests and fuzzing")]
        MemTable::with_size_hint(id, 0).unwrap()
    }

    /// The number of this memtable's WAL (also its identity).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Inserts one record. Safe to call from several threads at once (they serialize on the
    /// writer mutex) and while readers run. `(key, seq)` must be new to this memtable (seqs
    /// are never reused). Fails only when the arena cannot grow (allocation failure, or a
    /// memtable past 32 GiB).
    pub fn add(&self, seq: SeqNum, kind: ValueKind, key: &[u8], value: &[u8]) -> Result<()> {
        debug_assert!(seq <= MAX_SEQUENCE, "seq {seq} above MAX_SEQUENCE");
        let trailer = crate::key::pack_trailer(seq, kind as u8);
        let mut writer = self.writer.lock();
        self.list.insert(&mut writer, key, trailer, value)?;
        // The counters change only under the writer mutex, so a load and a store update
        // them (no read-modify-write instructions); readers load them without the mutex.
        self.size.store(writer.allocated_bytes(), Ordering::Relaxed);
        self.len
            .store(self.len.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        if seq > self.max_seq.load(Ordering::Relaxed) {
            self.max_seq.store(seq, Ordering::Relaxed);
        }
        if seq < self.min_seq.load(Ordering::Relaxed) {
            self.min_seq.store(seq, Ordering::Relaxed);
        }
        drop(writer);
        Ok(())
    }

    /// The newest version of `user_key` with seq <= `seq`: its kind and value (empty for a
    /// tombstone), the value copied out of the arena.
    pub fn get(&self, user_key: &[u8], seq: SeqNum) -> Option<(ValueKind, Bytes)> {
        let seq = seq.min(MAX_SEQUENCE);
        let addr = self
            .list
            .seek_ge(user_key, crate::key::pack_trailer(seq, KIND_SEEK));
        let node = self.list.entry(addr)?;
        if !node.has_user_key(user_key) {
            return None;
        }
        let kind = ValueKind::from_u8((node.trailer() & 0xFF) as u8);
        debug_assert!(kind.is_some(), "memtable holds only real kinds");
        // `copy_value` reserves the value's length once (nothing for an empty value).
        let mut v = Vec::new();
        node.copy_value(&mut v);
        let value = Bytes::from(v);
        Some((kind?, value))
    }

    /// Bytes of arena its entries take (nodes with their keys, and values, tombstones
    /// included, in both arenas); what the memtable costs in memory, up to the unfilled tails
    /// of the two arenas' last chunks.
    pub fn approximate_size(&self) -> usize {
        self.size.load(Ordering::Relaxed)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The largest seq added (0 while empty).
    pub fn max_seq(&self) -> SeqNum {
        self.max_seq.load(Ordering::Relaxed)
    }

    /// The smallest seq added, `None` while empty.
    #[allow(
        dead_code,
        reason = "for flush and WAL bookkeeping; only tests use it so far"
    )]
    pub fn first_seq(&self) -> Option<SeqNum> {
        let seq = self.min_seq.load(Ordering::Relaxed);
        (seq != u64::MAX).then_some(seq)
    }

    /// A cursor over all entries (unpositioned). It keeps the memtable alive.
    pub fn iter(self: &Arc<Self>) -> MemTableIterator {
        MemTableIterator::new(Arc::clone(self))
    }
}

impl std::fmt::Debug for MemTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemTable")
            .field("id", &self.id)
            .field("len", &self.len())
            .field("approximate_size", &self.approximate_size())
            .field("max_seq", &self.max_seq())
            .finish()
    }
}

#[cfg(test)]
mod tests;
