//! The memtable: a lock-free concurrent skiplist of internal entries. (STUB: helper fills in.)
//!
//! Contract: `add` is called by one committing thread at a time per batch but may race with
//! any number of readers; readers never block. Entries are keyed by encoded internal key.

use std::sync::Arc;

use bytes::Bytes;

use crate::error::Result;
use crate::iter::InternalIterator;
use crate::key::{SeqNum, ValueKind};

/// A memtable.
pub struct MemTable {
    id: u64,
}

impl MemTable {
    /// An empty memtable whose WAL has number `id`.
    pub fn new(id: u64) -> MemTable {
        MemTable { id }
    }
    /// The number of this memtable's WAL (also its identity).
    pub fn id(&self) -> u64 {
        self.id
    }
    /// Inserts one record.
    pub fn add(&self, _seq: SeqNum, _kind: ValueKind, _key: &[u8], _value: &[u8]) {
        unimplemented!()
    }
    /// The newest version of `user_key` with seq <= `seq`.
    pub fn get(&self, _user_key: &[u8], _seq: SeqNum) -> Option<(ValueKind, Bytes)> {
        unimplemented!()
    }
    /// Approximate bytes used: sum of key + value + per-entry overhead.
    pub fn approximate_size(&self) -> usize {
        unimplemented!()
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        unimplemented!()
    }
    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A cursor over all entries (unpositioned).
    pub fn iter(self: &Arc<Self>) -> MemTableIterator {
        unimplemented!()
    }
}

/// A cursor over a memtable; holds the memtable alive.
pub struct MemTableIterator {
    _mem: Arc<MemTable>,
}

impl InternalIterator for MemTableIterator {
    fn valid(&self) -> bool {
        unimplemented!()
    }
    fn key(&self) -> &[u8] {
        unimplemented!()
    }
    fn value(&self) -> &[u8] {
        unimplemented!()
    }
    fn seek_to_first(&mut self) -> Result<()> {
        unimplemented!()
    }
    fn seek_to_last(&mut self) -> Result<()> {
        unimplemented!()
    }
    fn seek(&mut self, _target: &[u8]) -> Result<()> {
        unimplemented!()
    }
    fn seek_for_prev(&mut self, _target: &[u8]) -> Result<()> {
        unimplemented!()
    }
    fn next(&mut self) -> Result<()> {
        unimplemented!()
    }
    fn prev(&mut self) -> Result<()> {
        unimplemented!()
    }
}
