//! Builds one block payload (layout in [`super`]): prefix-compressed entries, a full key every
//! `restart_interval` entries, then the restart offsets and their count.
//!
//! Owned by one table builder. Invariants: keys are added strictly increasing in the block's
//! [`KeyOrder`] (`debug_assert!`ed); the payload stays below 4 GiB (the caller bounds entry and
//! block sizes), so restart offsets fit in u32.

use crate::coding::{put_u32, put_varint, varint_len};

use super::KeyOrder;

/// Accumulates entries of one block; reusable after [`BlockBuilder::reset`].
#[derive(Debug)]
pub(crate) struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    /// Entries since the last restart point.
    counter: usize,
    restart_interval: usize,
    last_key: Vec<u8>,
    num_entries: usize,
    order: KeyOrder,
    finished: bool,
}

fn shared_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl BlockBuilder {
    /// A builder storing a full key every `restart_interval` (>= 1) entries.
    pub(crate) fn new(restart_interval: usize, order: KeyOrder) -> BlockBuilder {
        BlockBuilder {
            buf: Vec::new(),
            restarts: vec![0],
            counter: 0,
            restart_interval: restart_interval.max(1),
            last_key: Vec::new(),
            num_entries: 0,
            order,
            finished: false,
        }
    }

    /// Clears the builder for the next block, keeping its allocations.
    pub(crate) fn reset(&mut self) {
        self.buf.clear();
        self.restarts.clear();
        self.restarts.push(0);
        self.counter = 0;
        self.last_key.clear();
        self.num_entries = 0;
        self.finished = false;
    }

    /// Whether no entry was added since the last reset.
    pub(crate) fn is_empty(&self) -> bool {
        self.num_entries == 0
    }

    /// The payload size if the block were finished now.
    pub(crate) fn current_size(&self) -> usize {
        self.buf.len() + 4 * self.restarts.len() + 4
    }

    /// The exact payload size after adding `key`/`value_len` and finishing.
    pub(crate) fn size_after(&self, key: &[u8], value_len: usize) -> usize {
        let (shared, new_restart) = self.placement(key);
        let unshared = key.len() - shared;
        self.current_size()
            + 4 * usize::from(new_restart)
            + varint_len(shared as u64)
            + varint_len(unshared as u64)
            + varint_len(value_len as u64)
            + unshared
            + value_len
    }

    /// (bytes shared with the previous key, whether the entry starts a restart point).
    fn placement(&self, key: &[u8]) -> (usize, bool) {
        if self.num_entries == 0 {
            (0, false) // restart 0 is already recorded
        } else if self.counter >= self.restart_interval {
            (0, true)
        } else {
            (shared_prefix_len(&self.last_key, key), false)
        }
    }

    /// Appends an entry. `key` must sort strictly after the previous key.
    pub(crate) fn add(&mut self, key: &[u8], value: &[u8]) {
        debug_assert!(!self.finished, "add after finish without reset");
        debug_assert!(key.len() >= self.order.min_key_len());
        debug_assert!(
            self.num_entries == 0
                || self.order.compare(&self.last_key, key) == std::cmp::Ordering::Less,
            "block keys must be strictly increasing"
        );
        let (shared, new_restart) = self.placement(key);
        if new_restart {
            debug_assert!(u32::try_from(self.buf.len()).is_ok());
            self.restarts.push(self.buf.len() as u32);
            self.counter = 0;
        }
        let unshared = &key[shared..];
        put_varint(&mut self.buf, shared as u64);
        put_varint(&mut self.buf, unshared.len() as u64);
        put_varint(&mut self.buf, value.len() as u64);
        self.buf.extend_from_slice(unshared);
        self.buf.extend_from_slice(value);
        self.last_key.truncate(shared);
        self.last_key.extend_from_slice(unshared);
        self.counter += 1;
        self.num_entries += 1;
    }

    /// Appends the restart array and returns the payload. Requires at least one entry.
    pub(crate) fn finish(&mut self) -> &[u8] {
        debug_assert!(self.num_entries > 0, "a block holds at least one entry");
        debug_assert!(!self.finished);
        for &r in &self.restarts {
            put_u32(&mut self.buf, r);
        }
        put_u32(&mut self.buf, self.restarts.len() as u32);
        self.finished = true;
        &self.buf
    }
}
