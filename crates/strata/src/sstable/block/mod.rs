//! Blocks: the unit of I/O, caching and checksumming inside an SST.
//!
//! A block's (uncompressed) payload is a run of prefix-compressed entries followed by an array
//! of restart offsets:
//!
//! ```text
//! +---------+---------+-----+-----------+-----------+-----+----------------+
//! | entry 0 | entry 1 | ... | restart 0 | restart 1 | ... | num_restarts   |
//! +---------+---------+-----+-----------+-----------+-----+----------------+
//!                              u32 LE each                    u32 LE
//! entry = shared: varint | unshared: varint | value_len: varint
//!         | key[shared..] (unshared bytes) | value (value_len bytes)
//! ```
//!
//! A restart point stores its key whole (`shared == 0`); `restart 0` is 0 and restarts are
//! strictly increasing. Data, index, properties and meta-index blocks share this layout; only
//! their key order differs ([`KeyOrder`]).
//!
//! Threading: a [`Block`] is immutable and cheap to clone (`Bytes` inside), so one decoded
//! block is shared by the block cache and any number of cursors on any thread. A
//! [`BlockIter`] is owned by one cursor.
//!
//! Invariants checked by [`Block::new`] (so cursors can rely on them): the payload holds at
//! least one entry byte, `1 <= num_restarts`, the restart array fits, `restart 0 == 0`, and
//! restarts strictly increase and stay below the restart array. Everything else (varints,
//! lengths, shared prefixes) is checked entry by entry while decoding.

mod builder;
mod iter;
mod point;

pub(crate) use builder::BlockBuilder;
pub(crate) use iter::BlockIter;
pub(crate) use point::{Point, seek_point};

use std::cmp::Ordering;

use bytes::Bytes;

use crate::coding::get_u32_at;
use crate::key::{TRAILER_LEN, compare_internal_keys};

/// How the keys of a block are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyOrder {
    /// Encoded internal keys ([`compare_internal_keys`]); every key is >= 8 bytes. Data and
    /// index blocks.
    Internal,
    /// Plain bytewise order. Properties and meta-index blocks.
    Bytewise,
}

impl KeyOrder {
    /// Compares two keys of a block in this order.
    #[inline]
    pub(crate) fn compare(self, a: &[u8], b: &[u8]) -> Ordering {
        match self {
            KeyOrder::Internal => compare_internal_keys(a, b),
            KeyOrder::Bytewise => a.cmp(b),
        }
    }

    /// The shortest key this order accepts.
    #[inline]
    pub(crate) fn min_key_len(self) -> usize {
        match self {
            KeyOrder::Internal => TRAILER_LEN,
            KeyOrder::Bytewise => 0,
        }
    }
}

/// What was wrong inside a block: a byte offset within the (decompressed) payload and a reason.
/// The table layer turns it into `Error::Corruption` naming the file and block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockCorruption {
    /// Offset within the block payload.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

/// Result of block-level decoding.
pub(crate) type BlockResult<T> = std::result::Result<T, BlockCorruption>;

#[inline]
pub(crate) fn corrupt<T>(offset: usize, reason: &'static str) -> BlockResult<T> {
    Err(BlockCorruption { offset, reason })
}

/// A validated, decompressed block. Cloning shares the bytes.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    data: Bytes,
    /// Offset of the restart array = end of the entries.
    restarts_offset: usize,
    num_restarts: usize,
}

impl Block {
    /// Validates the restart array of a decompressed payload.
    pub(crate) fn new(data: Bytes) -> BlockResult<Block> {
        let len = data.len();
        let Some(count_at) = len.checked_sub(4) else {
            return corrupt(0, "block shorter than its restart count");
        };
        let num_restarts = get_u32_at(&data, count_at).map_or(0, |n| n as usize);
        if num_restarts == 0 {
            return corrupt(count_at, "block has no restart points");
        }
        let restarts_offset = num_restarts
            .checked_mul(4)
            .and_then(|bytes| count_at.checked_sub(bytes))
            .ok_or(BlockCorruption {
                offset: count_at,
                reason: "restart count exceeds block",
            })?;
        if restarts_offset == 0 {
            return corrupt(0, "block has no entries");
        }
        let block = Block {
            data,
            restarts_offset,
            num_restarts,
        };
        let mut previous = None;
        for i in 0..num_restarts {
            let at = restarts_offset + 4 * i;
            let Some(offset) = get_u32_at(&block.data, at).map(|v| v as usize) else {
                return corrupt(at, "restart array cut short");
            };
            let ok = match previous {
                None => offset == 0,
                Some(p) => offset > p && offset < restarts_offset,
            };
            if !ok {
                return corrupt(at, "restart offsets out of order or out of bounds");
            }
            previous = Some(offset);
        }
        Ok(block)
    }

    /// An empty placeholder block (no entries); every cursor over it is invalid.
    pub(crate) fn empty() -> Block {
        Block {
            data: Bytes::new(),
            restarts_offset: 0,
            num_restarts: 0,
        }
    }

    /// The whole payload (entries and restart array).
    pub(crate) fn data(&self) -> &Bytes {
        &self.data
    }

    /// The payload, giving up this handle on it (to reclaim the buffer when it is the last).
    pub(crate) fn into_data(self) -> Bytes {
        self.data
    }

    /// Payload bytes (what the block cache weighs).
    pub(crate) fn len(&self) -> usize {
        self.data.len()
    }

    /// Offset of the restart array (= end of the entries).
    #[inline]
    pub(crate) fn restarts_offset(&self) -> usize {
        self.restarts_offset
    }

    /// Number of restart points (>= 1 for a real block).
    #[inline]
    pub(crate) fn num_restarts(&self) -> usize {
        self.num_restarts
    }

    /// The offset of restart point `i` (< `num_restarts`, validated by [`Block::new`]).
    #[inline]
    pub(crate) fn restart(&self, i: usize) -> usize {
        debug_assert!(i < self.num_restarts);
        get_u32_at(&self.data, self.restarts_offset + 4 * i)
            .map_or(self.restarts_offset, |v| v as usize)
    }

    /// The full key stored at restart point `index` (< `num_restarts`), borrowed from the
    /// block; it must be at least `min_key_len` bytes.
    #[inline]
    pub(crate) fn restart_key(&self, index: usize, min_key_len: usize) -> BlockResult<&[u8]> {
        let at = self.restart(index);
        let end = self.restarts_offset;
        let data: &[u8] = &self.data;
        let Some((shared, unshared, _, header)) = iter::decode_header(data, at, end) else {
            return corrupt(at, "malformed restart entry header");
        };
        if shared != 0 {
            return corrupt(at, "restart entry shares a prefix");
        }
        let start = at + header;
        match start
            .checked_add(unshared)
            .filter(|&e| e <= end)
            .and_then(|e| data.get(start..e))
        {
            Some(key) if key.len() >= min_key_len => Ok(key),
            _ => corrupt(at, "restart key runs past the entries"),
        }
    }
}

#[cfg(test)]
mod tests;
