//! [`MemTableIterator`]: an internal cursor over a memtable, forward and backward.
//!
//! A cursor cannot borrow the skiplist it walks and own the `Arc` keeping it alive at once
//! without unsafe code, so it reads the skiplist through a **window**: a batch of consecutive
//! entries (ascending) copied as `Bytes` handles (a reference-count increment each, no byte
//! copies). Moving inside the window is free; stepping off either end refills it with the
//! next batch after (or before) the current key, one skiplist search per batch. The batch
//! starts small after each seek (seeks are frequent in merges) and doubles per refill up to
//! [`MAX_BATCH`], so long scans pay one search per `MAX_BATCH` entries.
//!
//! Concurrency: entries inserted while the cursor runs may or may not be seen (the database
//! never needs them: they are above every live reader's seq); keys always come out strictly
//! ordered in the direction of travel.
//!
//! Invariants: the window is ascending; the cursor is valid iff `pos < window.len()`.

use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;

use super::MemTable;
use super::key::{KeyView, LookupKey, MemKey};
use crate::error::Result;
use crate::iter::InternalIterator;

/// Entries fetched by the first refill after a seek.
const MIN_BATCH: usize = 8;
/// Largest number of entries fetched per refill.
const MAX_BATCH: usize = 128;

/// A cursor over a memtable; holds the memtable alive.
pub struct MemTableIterator {
    mem: Arc<MemTable>,
    window: Vec<(MemKey, Bytes)>,
    pos: usize,
    batch: usize,
}

impl MemTableIterator {
    pub(super) fn new(mem: Arc<MemTable>) -> MemTableIterator {
        MemTableIterator {
            mem,
            window: Vec::new(),
            pos: 0,
            batch: MIN_BATCH,
        }
    }

    /// The memtable this cursor reads.
    pub fn memtable(&self) -> &Arc<MemTable> {
        &self.mem
    }

    fn current(&self) -> Option<&(MemKey, Bytes)> {
        self.window.get(self.pos)
    }

    /// Fills the window ascending from `lower`; the cursor lands on its first entry.
    fn fill_forward<Q>(&mut self, lower: Bound<&Q>)
    where
        Q: Ord + ?Sized,
        MemKey: std::borrow::Borrow<Q>,
    {
        self.window.clear();
        let batch = self.batch;
        let entries = self
            .mem
            .map
            .range::<Q, _>((lower, Bound::Unbounded))
            .take(batch);
        self.window
            .extend(entries.map(|e| (e.key().clone(), e.value().clone())));
        self.pos = 0;
    }

    /// Fills the window with the entries up to `upper` (kept ascending); the cursor lands on
    /// the last one.
    fn fill_backward<Q>(&mut self, upper: Bound<&Q>)
    where
        Q: Ord + ?Sized,
        MemKey: std::borrow::Borrow<Q>,
    {
        self.window.clear();
        let batch = self.batch;
        let entries = self
            .mem
            .map
            .range::<Q, _>((Bound::Unbounded, upper))
            .rev()
            .take(batch);
        self.window
            .extend(entries.map(|e| (e.key().clone(), e.value().clone())));
        self.window.reverse();
        self.pos = self.window.len().saturating_sub(1);
    }

    fn grow_batch(&mut self) {
        self.batch = (self.batch * 2).min(MAX_BATCH);
    }
}

impl InternalIterator for MemTableIterator {
    fn valid(&self) -> bool {
        self.pos < self.window.len()
    }

    fn key(&self) -> &[u8] {
        debug_assert!(self.valid());
        self.current().map_or(&[][..], |(k, _)| k.as_bytes())
    }

    fn value(&self) -> &[u8] {
        debug_assert!(self.valid());
        self.current().map_or(&[][..], |(_, v)| v)
    }

    fn value_bytes(&self) -> Bytes {
        debug_assert!(self.valid());
        self.current().map(|(_, v)| v.clone()).unwrap_or_default()
    }

    fn seek_to_first(&mut self) -> Result<()> {
        self.batch = MIN_BATCH;
        self.fill_forward::<MemKey>(Bound::Unbounded);
        Ok(())
    }

    fn seek_to_last(&mut self) -> Result<()> {
        self.batch = MIN_BATCH;
        self.fill_backward::<MemKey>(Bound::Unbounded);
        Ok(())
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        self.batch = MIN_BATCH;
        let target = LookupKey::from_encoded(target);
        self.fill_forward::<dyn KeyView>(Bound::Included(&target));
        Ok(())
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        self.batch = MIN_BATCH;
        let target = LookupKey::from_encoded(target);
        self.fill_backward::<dyn KeyView>(Bound::Included(&target));
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        debug_assert!(self.valid());
        if self.pos + 1 < self.window.len() {
            self.pos += 1;
            return Ok(());
        }
        let Some((current, _)) = self.current() else {
            return Ok(());
        };
        let current = current.clone();
        self.grow_batch();
        self.fill_forward::<MemKey>(Bound::Excluded(&current));
        Ok(())
    }

    fn prev(&mut self) -> Result<()> {
        debug_assert!(self.valid());
        if self.pos > 0 && self.valid() {
            self.pos -= 1;
            return Ok(());
        }
        let Some((current, _)) = self.current() else {
            return Ok(());
        };
        let current = current.clone();
        self.grow_batch();
        self.fill_backward::<MemKey>(Bound::Excluded(&current));
        Ok(())
    }
}
