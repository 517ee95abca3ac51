//! One spare block buffer per thread: the bytes of a block the block cache evicted, reused by
//! the next block read on that thread instead of a fresh zeroed allocation (a 4 KiB `calloc`,
//! its zeroing, and the `free` of the evicted block).
//!
//! A buffer is kept only when nothing else shares the evicted block's bytes
//! (`Bytes::try_into_mut`) and its capacity is at most [`MAX_SPARE`]. Its stale contents are
//! never read: [`take`] hands out a buffer of the requested length that the caller fills
//! completely with one read (a failed read drops it). Thread-local, so no locking; a thread
//! holds at most one spare.

use std::cell::Cell;

use bytes::BytesMut;

/// Largest capacity worth keeping (a few typical blocks; larger ones are freed).
pub(crate) const MAX_SPARE: usize = 64 << 10;

thread_local! {
    static SPARE: Cell<Option<BytesMut>> = const { Cell::new(None) };
}

/// A buffer of exactly `len` bytes whose contents are unspecified (the spare's stale bytes,
/// zeros where it had to grow): the caller overwrites all of them.
///
/// A spare more than twice as large as `len` is freed instead: the block keeps its buffer's
/// whole allocation while the block cache charges only its length.
pub(crate) fn take(len: usize) -> BytesMut {
    let mut buf = SPARE
        .take()
        .filter(|b| b.capacity() / 2 <= len)
        .unwrap_or_default();
    if buf.len() >= len {
        buf.truncate(len);
    } else {
        buf.resize(len, 0);
    }
    buf
}

/// Keeps `buf` as this thread's spare if it is small enough (replacing any previous one).
pub(crate) fn give(buf: BytesMut) {
    if buf.capacity() <= MAX_SPARE {
        SPARE.set(Some(buf));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn take_gives_the_requested_length_and_reuses_the_spare() {
        let first = take(100);
        assert_eq!(first.len(), 100);
        let mut buf = first;
        buf.fill(7);
        let ptr = buf.as_ptr();
        give(buf);
        let again = take(60);
        assert_eq!((again.len(), again.as_ptr()), (60, ptr));
        give(again);
        let grown = take(120);
        assert_eq!(grown.len(), 120);
        give(grown);
        // Far smaller than the spare: a new buffer.
        let small = take(10);
        assert_eq!(small.len(), 10);
        assert!(small.capacity() < 100);
        give(BytesMut::zeroed(MAX_SPARE + 1));
        assert_eq!(take(MAX_SPARE).len(), MAX_SPARE);
    }
}
