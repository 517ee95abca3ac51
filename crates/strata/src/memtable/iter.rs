//! [`MemTableIterator`]: an internal cursor over a memtable, forward and backward.
//!
//! The cursor holds the memtable alive (`Arc`) and the arena address of its current node, and
//! copies that node's internal key and value into its own buffers when it lands on it, so
//! `key()`/`value()` can hand out slices without borrowing the arena. `next` follows the
//! level-0 link; `prev` searches again from the head for the last node before the current key
//! (a singly linked skiplist has no back links), O(log n) per step, as in LevelDB.
//!
//! Concurrency: entries inserted while the cursor runs may or may not be seen (the database
//! never needs them: they are above every live reader's seq); keys always come out strictly
//! ordered in the direction of travel.
//!
//! Invariants: the cursor is valid iff `node` is not null, and then `key`/`value` hold that
//! node's encoded internal key and value.

use std::sync::Arc;

use bytes::Bytes;

use super::MemTable;
use super::arena::NULL;
use crate::error::Result;
use crate::iter::InternalIterator;
use crate::key::TRAILER_LEN;

/// A cursor over a memtable; holds the memtable alive.
pub struct MemTableIterator {
    mem: Arc<MemTable>,
    node: u64,
    key: Vec<u8>,
    value: Vec<u8>,
}

impl MemTableIterator {
    pub(super) fn new(mem: Arc<MemTable>) -> MemTableIterator {
        MemTableIterator {
            mem,
            node: NULL,
            key: Vec::new(),
            value: Vec::new(),
        }
    }

    /// Moves to `addr` (null: invalid) and copies its key and value.
    fn land(&mut self, addr: u64) {
        self.key.clear();
        self.value.clear();
        match self.mem.list.entry(addr) {
            Some(node) => {
                self.node = addr;
                node.copy_user_key(&mut self.key);
                self.key.extend_from_slice(&node.trailer().to_le_bytes());
                node.copy_value(&mut self.value);
            }
            None => self.node = NULL,
        }
    }

    /// The current internal key split into user key and trailer.
    fn current(&self) -> (&[u8], u64) {
        (
            crate::key::user_key(&self.key),
            crate::key::trailer(&self.key),
        )
    }
}

impl InternalIterator for MemTableIterator {
    fn valid(&self) -> bool {
        self.node != NULL
    }

    fn key(&self) -> &[u8] {
        debug_assert!(self.valid());
        &self.key
    }

    fn value(&self) -> &[u8] {
        debug_assert!(self.valid());
        &self.value
    }

    fn value_bytes(&self) -> Bytes {
        debug_assert!(self.valid());
        Bytes::copy_from_slice(&self.value)
    }

    fn seek_to_first(&mut self) -> Result<()> {
        let addr = self.mem.list.first();
        self.land(addr);
        Ok(())
    }

    fn seek_to_last(&mut self) -> Result<()> {
        let addr = self.mem.list.last();
        self.land(addr);
        Ok(())
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        debug_assert!(target.len() >= TRAILER_LEN);
        let addr = self
            .mem
            .list
            .seek_ge(crate::key::user_key(target), crate::key::trailer(target));
        self.land(addr);
        Ok(())
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        debug_assert!(target.len() >= TRAILER_LEN);
        let addr = self
            .mem
            .list
            .seek_le(crate::key::user_key(target), crate::key::trailer(target));
        self.land(addr);
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        debug_assert!(self.valid());
        if self.valid() {
            let addr = self.mem.list.next(self.node);
            self.land(addr);
        }
        Ok(())
    }

    fn prev(&mut self) -> Result<()> {
        debug_assert!(self.valid());
        if self.valid() {
            let (user_key, trailer) = self.current();
            let addr = self.mem.list.seek_lt(user_key, trailer);
            self.land(addr);
        }
        Ok(())
    }
}
