//! One spare block buffer per thread: the bytes of a block the block cache evicted, reused by
//! the next block read on that thread instead of a fresh zeroed allocation (a 4 KiB `calloc`,
//! its zeroing, and the `free` of the evicted block).
//!
//! The evicted block is kept as it is (`Bytes`) and reused only if, when the next read takes
//! it, nothing else shares it (`Bytes::try_into_mut`): often the evicted block is the one the
//! evicting `get` has just read and is still using. Its capacity must be at most
//! [`MAX_SPARE`] and at most twice the length asked for. Its stale contents are never read:
//! [`take`] hands out a buffer of the requested length that the caller fills completely with
//! one read (a failed read drops it). Thread-local, so no locking; a thread holds at most one
//! spare.

use std::cell::Cell;

use bytes::{Bytes, BytesMut};

/// Largest capacity worth keeping (a few typical blocks; larger ones are freed).
pub(crate) const MAX_SPARE: usize = 64 << 10;

thread_local! {
    static SPARE: Cell<Option<Bytes>> = const { Cell::new(None) };
}

/// A buffer of exactly `len` bytes whose contents are unspecified (the spare's stale bytes,
/// zeros where it had to grow): the caller overwrites all of them.
///
/// A spare more than twice as large as `len` is freed instead: the block keeps its buffer's
/// whole allocation while the block cache charges only its length.
pub(crate) fn take(len: usize) -> BytesMut {
    let Some(mut buf) = SPARE
        .take()
        .and_then(|b| b.try_into_mut().ok())
        .filter(|b| b.capacity() <= MAX_SPARE && b.capacity() / 2 <= len)
    else {
        // No spare to reuse: a zeroed allocation (`calloc`, which can hand out fresh zero
        // pages for a large block without writing them).
        return BytesMut::zeroed(len);
    };
    if buf.len() >= len {
        buf.truncate(len);
    } else {
        buf.resize(len, 0);
    }
    debug_assert_eq!(buf.len(), len);
    buf
}

/// Keeps `bytes` as this thread's spare if it is small enough (replacing any previous one).
pub(crate) fn give(bytes: Bytes) {
    if bytes.len() <= MAX_SPARE {
        SPARE.set(Some(bytes));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn take_gives_the_requested_length_and_reuses_an_unshared_spare() {
        let mut buf = take(100);
        assert_eq!(buf.len(), 100);
        buf.fill(7);
        let ptr = buf.as_ptr();
        give(buf.freeze());
        let again = take(60);
        assert_eq!((again.len(), again.as_ptr()), (60, ptr));
        give(again.freeze());
        assert_eq!(take(120).len(), 120);

        // Shared with someone else: not reused (and the other holder's bytes stay intact).
        let mut buf = take(100);
        buf.fill(9);
        let shared = buf.freeze();
        give(shared.clone());
        let fresh = take(100);
        assert_ne!(fresh.as_ptr(), shared.as_ptr());
        assert!(shared.iter().all(|&b| b == 9));

        // Far larger than asked for, or than MAX_SPARE: a new buffer.
        give(Bytes::from(vec![1u8; 1000]));
        let small = take(10);
        assert_eq!(small.len(), 10);
        assert!(small.capacity() < 1000);
        give(Bytes::from(vec![1u8; MAX_SPARE + 1]));
        assert_eq!(take(MAX_SPARE).len(), MAX_SPARE);
    }
}
