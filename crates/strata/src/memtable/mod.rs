//! The memtable: a lock-free concurrent skiplist of internal entries.
//!
//! Entries are keyed by encoded internal key (`user_key ++ trailer(seq, kind)`, see
//! [`crate::key`]) in a crossbeam [`SkipMap`], so every version of a key is its own entry and
//! the newest version of a user key sorts first. Key and value of one record share one
//! allocation; both are `Bytes` slices of it, so readers hand values out without copying.
//!
//! Threading: `add` may run on any number of threads at once and races freely with readers
//! (`get`, cursors); nothing blocks. Which concurrent insertions a reader sees is unspecified:
//! the database makes a record visible by publishing its seq only after `add` returned, and
//! readers filter by seq, so a reader's snapshot is always complete.
//!
//! Invariants: internal keys are unique (the database never reuses a seq); `approximate_size`,
//! `max_seq` and `first_seq` only grow; entries are never removed.

// Until the database wires this module in, only tests use parts of it.
#![allow(dead_code)]

mod iter;
mod key;

use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use crossbeam_skiplist::SkipMap;

use crate::key::{KIND_SEEK, MAX_SEQUENCE, SeqNum, TRAILER_LEN, ValueKind};

pub use iter::MemTableIterator;
use key::{KeyView, LookupKey, MemKey};

/// Bytes charged per entry on top of its encoded internal key and value: roughly what the
/// entry costs in an SST block (length varints, restart share) rather than the skiplist node,
/// so a memtable of `memtable_size` flushes to an SST of about that size.
pub const ENTRY_OVERHEAD: usize = 16;

/// A memtable.
pub struct MemTable {
    id: u64,
    map: SkipMap<MemKey, Bytes>,
    size: AtomicUsize,
    max_seq: AtomicU64,
    /// `u64::MAX` while empty.
    min_seq: AtomicU64,
}

impl MemTable {
    /// An empty memtable whose WAL has number `id`.
    pub fn new(id: u64) -> MemTable {
        MemTable {
            id,
            map: SkipMap::new(),
            size: AtomicUsize::new(0),
            max_seq: AtomicU64::new(0),
            min_seq: AtomicU64::new(u64::MAX),
        }
    }

    /// The number of this memtable's WAL (also its identity).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Inserts one record. Lock-free; safe to call from several threads at once and while
    /// readers run. `(key, seq)` must be new to this memtable (seqs are never reused).
    pub fn add(&self, seq: SeqNum, kind: ValueKind, key: &[u8], value: &[u8]) {
        debug_assert!(seq <= MAX_SEQUENCE, "seq {seq} above MAX_SEQUENCE");
        let key_len = key.len() + TRAILER_LEN;
        let mut buf = Vec::with_capacity(key_len + value.len());
        crate::key::append_internal_key(&mut buf, key, seq, kind as u8);
        buf.extend_from_slice(value);
        let record = Bytes::from(buf);
        let internal_key = MemKey(record.slice(..key_len));
        let value = record.slice(key_len..);
        let charge = key_len + value.len() + ENTRY_OVERHEAD;
        self.map.insert(internal_key, value);
        self.size.fetch_add(charge, Ordering::Relaxed);
        self.max_seq.fetch_max(seq, Ordering::Relaxed);
        self.min_seq.fetch_min(seq, Ordering::Relaxed);
    }

    /// The newest version of `user_key` with seq <= `seq`: its kind and value (empty for a
    /// tombstone). Allocates nothing; the value shares the memtable's storage.
    pub fn get(&self, user_key: &[u8], seq: SeqNum) -> Option<(ValueKind, Bytes)> {
        let seq = seq.min(MAX_SEQUENCE);
        let target = LookupKey::new(user_key, crate::key::pack_trailer(seq, KIND_SEEK));
        let target: &dyn KeyView = &target;
        let entry = self.map.lower_bound(Bound::Included(target))?;
        let found = entry.key();
        if found.user_key() != user_key {
            return None;
        }
        let kind = ValueKind::from_u8((found.trailer() & 0xFF) as u8);
        debug_assert!(kind.is_some(), "memtable holds only real kinds");
        Some((kind?, entry.value().clone()))
    }

    /// Approximate bytes used: sum of internal key + value + [`ENTRY_OVERHEAD`] per entry,
    /// tombstones included.
    pub fn approximate_size(&self) -> usize {
        self.size.load(Ordering::Relaxed)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
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
