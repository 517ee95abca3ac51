//! A cursor over one [`Block`]: seek by binary search on the restart points, then a linear
//! scan; `prev` re-scans from the restart point before the current entry, and records the
//! entries it decodes on the way so that the next `prev`s pop them instead of scanning again
//! (a backward scan decodes each entry about twice instead of `restart_interval / 2` times;
//! RocksDB's block iterator does the same).
//!
//! Owned by one thread. Every entry is decoded with checked arithmetic against the block's
//! entry region; any inconsistency returns [`BlockCorruption`] and leaves the cursor invalid.
//! Invariants while valid: `current < next_offset <= restarts_offset`, `key` holds the full
//! key of the entry at `current`, `restart_index` is the last restart point `<= current`.
//! Recorded entries (`prev_entries`) were decoded from the current block (cleared when the
//! cursor switches blocks), in ascending order, each ending where the next starts; the last
//! one is the predecessor of the entry at `current` iff its `next_offset == current`, since
//! entry offsets within a block are unique.

use std::borrow::Borrow;
use std::cmp::Ordering;

use bytes::Bytes;

use crate::coding::Decoder;

use super::{Block, BlockResult, KeyOrder, corrupt};

/// A cursor over the entries of one block, owning it (`B = Block`, a shared `Bytes`) or
/// borrowing it (`B = &Block`, for a one-shot lookup in a table's resident index).
#[derive(Debug)]
pub(crate) struct BlockIter<B: Borrow<Block> = Block> {
    block: B,
    order: KeyOrder,
    /// Offset of the current entry; `>= restarts_offset` when invalid.
    current: usize,
    /// Offset of the entry after the current one.
    next_offset: usize,
    restart_index: usize,
    key: Vec<u8>,
    value_start: usize,
    value_end: usize,
    /// Entries decoded by the last backward re-scan and not yet stepped back to.
    prev_entries: Vec<PrevEntry>,
    /// Their full keys, concatenated.
    prev_keys: Vec<u8>,
}

/// An entry recorded by a backward re-scan (see [`BlockIter::prev`]).
#[derive(Debug, Clone, Copy)]
struct PrevEntry {
    current: usize,
    next_offset: usize,
    restart_index: usize,
    value_start: usize,
    value_end: usize,
    /// Its key is `prev_keys[key_start..]` up to the next entry's `key_start`.
    key_start: usize,
}

/// The header of an entry: (shared, unshared, value length, header bytes).
#[inline]
pub(super) fn decode_header(
    data: &[u8],
    at: usize,
    end: usize,
) -> Option<(usize, usize, usize, usize)> {
    let region = data.get(at..end)?;
    // Fast path: three one-byte varints (every field < 128).
    if let [a, b, c, ..] = *region
        && (a | b | c) < 0x80
    {
        return Some((usize::from(a), usize::from(b), usize::from(c), 3));
    }
    let mut d = Decoder::new(region);
    let shared = d.varint_usize(usize::MAX)?;
    let unshared = d.varint_usize(usize::MAX)?;
    let value_len = d.varint_usize(usize::MAX)?;
    Some((shared, unshared, value_len, d.position()))
}

impl<B: Borrow<Block>> BlockIter<B> {
    /// An unpositioned cursor over `block`.
    pub(crate) fn new(block: B, order: KeyOrder) -> BlockIter<B> {
        let current = block.borrow().restarts_offset();
        BlockIter {
            block,
            order,
            current,
            next_offset: current,
            restart_index: 0,
            key: Vec::new(),
            value_start: 0,
            value_end: 0,
            prev_entries: Vec::new(),
            prev_keys: Vec::new(),
        }
    }

    /// Switches to another block (unpositioned), keeping the key buffer's allocation.
    pub(crate) fn reset(&mut self, block: B) {
        self.block = block;
        self.invalidate();
        self.prev_entries.clear();
        self.prev_keys.clear();
    }

    /// Whether the cursor is on an entry.
    #[inline]
    pub(crate) fn valid(&self) -> bool {
        self.current < self.block.borrow().restarts_offset()
    }

    /// The current key. Requires `valid()`.
    #[inline]
    pub(crate) fn key(&self) -> &[u8] {
        debug_assert!(self.valid());
        &self.key
    }

    /// The current value. Requires `valid()`.
    #[inline]
    pub(crate) fn value(&self) -> &[u8] {
        debug_assert!(self.valid());
        self.block
            .borrow()
            .data()
            .get(self.value_start..self.value_end)
            .unwrap_or_default()
    }

    /// The current value sharing the block's bytes (no copy). Requires `valid()`.
    #[inline]
    pub(crate) fn value_bytes(&self) -> Bytes {
        debug_assert!(self.valid());
        self.block
            .borrow()
            .data()
            .slice(self.value_start..self.value_end)
    }

    /// Offset of the current entry within the block (for error messages).
    pub(crate) fn entry_offset(&self) -> usize {
        self.current
    }

    fn invalidate(&mut self) {
        self.current = self.block.borrow().restarts_offset();
        self.next_offset = self.current;
        self.key.clear();
    }

    fn fail<T>(&mut self, offset: usize, reason: &'static str) -> BlockResult<T> {
        self.invalidate();
        corrupt(offset, reason)
    }

    fn seek_to_restart(&mut self, index: usize) {
        self.restart_index = index;
        self.key.clear();
        self.next_offset = self.block.borrow().restart(index);
        self.current = self.next_offset;
    }

    /// Decodes the entry at `next_offset` into the cursor.
    fn parse_next(&mut self) -> BlockResult<()> {
        let at = self.next_offset;
        let end = self.block.borrow().restarts_offset();
        self.current = at;
        if at >= end {
            // Every restart point is an entry start; one never reached lies inside an entry
            // (which a backward scan, starting from it, would trip over).
            if self.restart_index + 1 < self.block.borrow().num_restarts() {
                return self.fail(at, "restart point inside the last entry");
            }
            self.invalidate();
            return Ok(());
        }
        let mut at_restart = self.block.borrow().restart(self.restart_index) == at;
        if self.restart_index + 1 < self.block.borrow().num_restarts() {
            let next_restart = self.block.borrow().restart(self.restart_index + 1);
            if next_restart == at {
                self.restart_index += 1;
                at_restart = true;
            } else if next_restart < at {
                return self.fail(at, "entry overlaps a restart point");
            }
        }
        let Some((shared, unshared, value_len, header)) =
            decode_header(self.block.borrow().data(), at, end)
        else {
            return self.fail(at, "malformed entry header");
        };
        if at_restart && shared != 0 {
            return self.fail(at, "restart entry shares a prefix");
        }
        if shared > self.key.len() {
            return self.fail(at, "shared prefix longer than previous key");
        }
        let key_start = at + header; // at + header <= end: the decoder read within bounds
        let Some(value_start) = key_start.checked_add(unshared).filter(|&v| v <= end) else {
            return self.fail(at, "key runs past the entries");
        };
        let Some(value_end) = value_start.checked_add(value_len).filter(|&v| v <= end) else {
            return self.fail(at, "value runs past the entries");
        };
        if shared + unshared < self.order.min_key_len() {
            return self.fail(at, "key shorter than an internal key");
        }
        self.key.truncate(shared);
        self.key.extend_from_slice(
            self.block
                .borrow()
                .data()
                .get(key_start..value_start)
                .unwrap_or_default(),
        );
        self.value_start = value_start;
        self.value_end = value_end;
        self.next_offset = value_end;
        Ok(())
    }

    /// The full key stored at restart point `index` (borrowed from the block).
    pub(crate) fn restart_key(&self, index: usize) -> BlockResult<&[u8]> {
        self.block
            .borrow()
            .restart_key(index, self.order.min_key_len())
    }

    /// The full key and the value of the entry at restart point `index` (borrowed from the
    /// block), and the offset just past the entry.
    pub(crate) fn restart_entry(&self, index: usize) -> BlockResult<(&[u8], &[u8], usize)> {
        let at = self.block.borrow().restart(index);
        let end = self.block.borrow().restarts_offset();
        let data = self.block.borrow().data();
        let Some((shared, unshared, value_len, header)) = decode_header(data, at, end) else {
            return corrupt(at, "malformed restart entry header");
        };
        if shared != 0 {
            return corrupt(at, "restart entry shares a prefix");
        }
        let key_start = at + header;
        let Some(value_start) = key_start.checked_add(unshared).filter(|&v| v <= end) else {
            return corrupt(at, "restart key runs past the entries");
        };
        let Some(value_end) = value_start.checked_add(value_len).filter(|&v| v <= end) else {
            return corrupt(at, "restart value runs past the entries");
        };
        match (
            data.get(key_start..value_start),
            data.get(value_start..value_end),
        ) {
            (Some(key), Some(value)) if key.len() >= self.order.min_key_len() => {
                Ok((key, value, value_end))
            }
            _ => corrupt(at, "restart key shorter than an internal key"),
        }
    }

    /// Moves to the first entry.
    pub(crate) fn seek_to_first(&mut self) -> BlockResult<()> {
        if self.block.borrow().num_restarts() == 0 {
            self.invalidate();
            return Ok(());
        }
        self.seek_to_restart(0);
        self.parse_next()
    }

    /// Moves to the last entry.
    pub(crate) fn seek_to_last(&mut self) -> BlockResult<()> {
        let n = self.block.borrow().num_restarts();
        if n == 0 {
            self.invalidate();
            return Ok(());
        }
        self.seek_to_restart(n - 1);
        loop {
            self.parse_next()?;
            if self.next_offset >= self.block.borrow().restarts_offset() {
                return Ok(());
            }
        }
    }

    /// Moves to the first entry >= `target` (invalid if none).
    pub(crate) fn seek(&mut self, target: &[u8]) -> BlockResult<()> {
        let order = self.order;
        self.seek_by(|key| order.compare(key, target))
    }

    /// [`BlockIter::seek`] with the restart search narrowed to `bounds` (see
    /// [`BlockIter::seek_by_within`]).
    pub(crate) fn seek_within(&mut self, target: &[u8], bounds: (usize, usize)) -> BlockResult<()> {
        let order = self.order;
        self.seek_by_within(|key| order.compare(key, target), bounds)
    }

    /// Moves to the first entry whose key `k` has `cmp(k) != Less`, where `cmp(k)` orders `k`
    /// against a target consistently with the block's order (lets callers seek without
    /// building the target key).
    pub(crate) fn seek_by(&mut self, cmp: impl Fn(&[u8]) -> Ordering) -> BlockResult<()> {
        let n = self.block.borrow().num_restarts();
        self.seek_by_within(cmp, (0, n.saturating_sub(1)))
    }

    /// [`BlockIter::seek_by`], knowing that the last restart point whose key is below the
    /// target lies in `left..=right` or is restart 0 (every restart before `left` is below the
    /// target, every one after `right` is not); `right` is clamped to the last restart.
    pub(crate) fn seek_by_within(
        &mut self,
        cmp: impl Fn(&[u8]) -> Ordering,
        (left, right): (usize, usize),
    ) -> BlockResult<()> {
        let n = self.block.borrow().num_restarts();
        if n == 0 {
            self.invalidate();
            return Ok(());
        }
        // Last restart point whose key is < target (or restart 0).
        let right = right.min(n - 1);
        let (mut left, mut right) = (left.min(right), right);
        while left < right {
            let mid = left + (right - left).div_ceil(2);
            let ordering = match self.restart_key(mid) {
                Ok(key) => cmp(key),
                Err(e) => return self.fail(e.offset, e.reason),
            };
            if ordering == Ordering::Less {
                left = mid;
            } else {
                right = mid - 1;
            }
        }
        self.seek_to_restart(left);
        loop {
            self.parse_next()?;
            if !self.valid() || cmp(&self.key) != Ordering::Less {
                return Ok(());
            }
        }
    }

    /// Moves to the last entry <= `target` (invalid if none).
    pub(crate) fn seek_for_prev(&mut self, target: &[u8]) -> BlockResult<()> {
        self.seek(target)?;
        if !self.valid() {
            return self.seek_to_last();
        }
        if self.order.compare(&self.key, target) == Ordering::Greater {
            return self.prev();
        }
        Ok(())
    }

    /// Advances. Requires `valid()`.
    pub(crate) fn next(&mut self) -> BlockResult<()> {
        debug_assert!(self.valid());
        self.parse_next()
    }

    /// Steps back (invalid before the first entry). Requires `valid()`.
    pub(crate) fn prev(&mut self) -> BlockResult<()> {
        debug_assert!(self.valid());
        if let Some(e) = self.prev_entries.last().copied()
            && e.next_offset == self.current
        {
            // The predecessor was recorded by the re-scan that reached the current entry.
            self.prev_entries.pop();
            self.current = e.current;
            self.next_offset = e.next_offset;
            self.restart_index = e.restart_index;
            self.value_start = e.value_start;
            self.value_end = e.value_end;
            self.key.clear();
            self.key
                .extend_from_slice(self.prev_keys.get(e.key_start..).unwrap_or_default());
            self.prev_keys.truncate(e.key_start);
            debug_assert!(self.current < self.next_offset);
            return Ok(());
        }
        let original = self.current;
        let mut index = self.restart_index;
        while self.block.borrow().restart(index) >= original {
            if index == 0 {
                self.invalidate();
                return Ok(());
            }
            index -= 1;
        }
        self.prev_entries.clear();
        self.prev_keys.clear();
        self.seek_to_restart(index);
        loop {
            self.parse_next()?;
            if !self.valid() {
                return self.fail(original, "entry not found scanning from its restart point");
            }
            match self.next_offset.cmp(&original) {
                Ordering::Less => {
                    // Not the predecessor yet: record it for the next `prev`s.
                    self.prev_entries.push(PrevEntry {
                        current: self.current,
                        next_offset: self.next_offset,
                        restart_index: self.restart_index,
                        value_start: self.value_start,
                        value_end: self.value_end,
                        key_start: self.prev_keys.len(),
                    });
                    self.prev_keys.extend_from_slice(&self.key);
                }
                Ordering::Equal => return Ok(()),
                Ordering::Greater => {
                    return self.fail(original, "entry not found scanning from its restart point");
                }
            }
        }
    }
}
