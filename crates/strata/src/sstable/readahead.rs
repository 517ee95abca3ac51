//! Readahead for cursors that walk a table's data blocks in order (scans, compaction inputs).
//!
//! A block that misses the block cache costs a `pread` of ~4 KiB: on the project's machine
//! ~1-2 µs in the kernel, more than decoding the block's ~35 entries. A cursor that has read
//! [`STREAK`] adjacent blocks in a row (each starting where the last ended, or ending where it
//! started, for backward scans) reads the next [`MIN_AHEAD`] bytes in that direction at once,
//! doubling up to [`MAX_AHEAD`], and serves the following blocks from that buffer (RocksDB's
//! iterators do the same, "auto readahead"). A jump anywhere else ends the streak, so point
//! reads and short seeks never read ahead and never allocate the buffer.
//!
//! What is read is only bytes: every block taken from the buffer goes through the same checks
//! (checksum, decompression, restart array) as one read on its own, so readahead cannot turn
//! damage into a wrong answer.
//!
//! Invariants: `filled <= buf.len()`; `buf[..filled]` are the file's bytes at
//! `start .. start + filled`; reads never go past the `limit` the caller gives (the end of the
//! data region) nor below offset 0.

use crate::error::Result;
use crate::fs::RandomAccessFile;

/// Adjacent block reads in a row before a cursor starts reading ahead.
pub(crate) const STREAK: u32 = 2;
/// The first read ahead.
pub(crate) const MIN_AHEAD: usize = 16 << 10;
/// The largest read ahead (and the buffer's size).
pub(crate) const MAX_AHEAD: usize = 256 << 10;

/// One cursor's readahead state.
#[derive(Debug, Default)]
pub(crate) struct Readahead {
    buf: Vec<u8>,
    start: u64,
    filled: usize,
    /// The byte range of the last block this cursor read through [`Readahead::read`].
    last: Option<(u64, u64)>,
    /// Adjacent reads in a row, up to and including the last.
    streak: u32,
    /// Bytes of the next read ahead.
    size: usize,
}

impl Readahead {
    /// No buffer yet (allocated at the first read ahead).
    pub(crate) fn new() -> Readahead {
        Readahead::default()
    }

    /// The `len` bytes of `file` at `offset` (a block and its trailer, ending by `limit`)
    /// from the buffer: already there, or read ahead now in the direction of the streak
    /// once it is long enough. `Ok(None)`: not buffered and no streak, so the caller reads
    /// the block itself (point reads never fill or allocate the buffer).
    ///
    /// # Errors
    /// The file's I/O error (`UnexpectedEof` for bytes past its end).
    pub(crate) fn fetch(
        &mut self,
        file: &dyn RandomAccessFile,
        offset: u64,
        len: usize,
        limit: u64,
    ) -> Result<Option<&[u8]>> {
        let end = offset.saturating_add(len as u64);
        let (forward, backward) = match self.last {
            Some((o, e)) => (offset == e, end == o),
            None => (false, false),
        };
        self.streak = if forward || backward {
            self.streak.saturating_add(1)
        } else {
            0
        };
        self.last = Some((offset, end));
        if self.buffered(offset, len).is_none() {
            if self.streak < STREAK || end > limit {
                self.size = MIN_AHEAD;
                return Ok(None);
            }
            let want = self.size.max(MIN_AHEAD).max(len) as u64;
            let (start, stop) = if backward {
                (end.saturating_sub(want), end)
            } else {
                (offset, limit.min(offset.saturating_add(want)))
            };
            // At most MAX_AHEAD or one block, so it fits in usize.
            let region_len = (stop - start) as usize;
            if self.buf.len() < region_len {
                self.buf.resize(region_len, 0);
            }
            self.filled = 0;
            let region = self.buf.get_mut(..region_len).unwrap_or_default();
            file.read_exact_at(region, start)?;
            self.start = start;
            self.filled = region_len;
            self.size = (self.size.max(MIN_AHEAD) * 2).min(MAX_AHEAD);
        }
        // The region just read covers `offset .. end`; `None` only if it did not.
        Ok(self.buffered(offset, len))
    }

    /// The buffered bytes at `offset .. offset + len`, if the buffer holds all of them.
    fn buffered(&self, offset: u64, len: usize) -> Option<&[u8]> {
        let rel = usize::try_from(offset.checked_sub(self.start)?).ok()?;
        let stop = rel.checked_add(len)?;
        if stop > self.filled {
            return None;
        }
        self.buf.get(rel..stop)
    }
}

#[cfg(test)]
#[path = "readahead_tests.rs"]
mod tests;
