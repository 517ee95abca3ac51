//! The memtable's arenas: word-addressed chunks that hold the skiplist's nodes (with their
//! keys) in one arena and the values in another (see `skiplist.rs` for why two).
//!
//! Memory is a list of chunks of `AtomicU64` words. A chunk is allocated zeroed in one piece
//! (`calloc`-style), so its pages cost nothing until the writer touches them, and chunks of
//! [`MAX_CHUNK_BYTES`] (32 MiB, the largest size glibc's malloc ever serves from its heaps) are
//! mapped directly by the allocator and go back to the operating system the moment the
//! memtable is dropped. This is the point of the arena: a memtable of a million records is a
//! few allocations instead of millions, its resident size is what it charges, and flushing it
//! returns its memory instead of leaving a fragmented heap behind.
//!
//! Words are atomics so that readers may read while the single writer appends, in safe code:
//! the writer stores a value's and a node's words with `Relaxed` stores and then publishes
//! the node with a `Release` store of a link (see `skiplist.rs`); a reader that loaded that
//! link with `Acquire` sees every word of the node and of its value. Relaxed loads and stores
//! of `AtomicU64` compile to plain moves.
//!
//! Addresses: `chunk index << 32 | word offset`. Address 0 (chunk 0, word 0) is never handed
//! out, so a zero word is the null link, and zeroed memory is a node with no successors.
//!
//! Threading: `words` may be called from any thread at any time; `alloc` only by the single
//! writer (it takes the writer's [`Cursor`] by `&mut`). A chunk slot is written once
//! (`OnceLock`) before any address inside it is published.
//!
//! Invariants: every address the writer publishes lies inside an allocated chunk, and the node
//! or value it names fits in that chunk (checked with `debug_assert!` on allocation); an
//! allocation never spans chunks.

use std::sync::OnceLock;

use crate::sync::atomic::AtomicU64;

use crate::error::{Error, Result};

/// The null link.
pub(super) const NULL: u64 = 0;
/// Bytes per word.
pub(super) const WORD: usize = 8;
/// Chunk size for large memtables: requests of this size are always mapped directly by glibc
/// (its dynamic mmap threshold never rises above 32 MiB on 64-bit), so freeing returns them.
pub(super) const MAX_CHUNK_BYTES: usize = 32 << 20;
/// Smallest chunk (tiny memtables in tests and small embedded uses).
#[cfg(not(any(shuttle, loom)))]
const MIN_CHUNK_BYTES: usize = 64 << 10;
/// Under a model checker every word is a tracked object: small chunks keep an execution cheap.
#[cfg(any(shuttle, loom))]
const MIN_CHUNK_BYTES: usize = 2 << 10;
/// Chunk slots per arena. With chunks of at least `MAX_CHUNK_BYTES` once the memtable is large,
/// this bounds one memtable at 32 GiB, far above any memtable a group of writes can build
/// (the database freezes a memtable after the group that filled it; a batch is at most 256
/// MiB).
const MAX_CHUNKS: usize = 1024;

/// The writer's allocation state.
#[derive(Debug)]
pub(super) struct Cursor {
    /// Index of the chunk being filled.
    chunk: usize,
    /// Words used in it.
    used: usize,
    /// Its length in words.
    len: usize,
    /// Words per regular chunk (grows up to `MAX_CHUNK_BYTES / WORD`).
    chunk_words: usize,
    /// Words handed out in all chunks (node sizes, not chunk tails).
    pub(super) allocated_words: usize,
}

/// Chunks of atomic words.
pub(super) struct Arena {
    chunks: Box<[OnceLock<Box<[AtomicU64]>>]>,
}

impl Arena {
    /// An arena whose first chunk is sized for a memtable of about `size_hint` bytes, and the
    /// writer's cursor. Word 0 of chunk 0 is reserved (the null address).
    pub(super) fn new(size_hint: usize) -> Result<(Arena, Cursor)> {
        let bytes = size_hint
            .saturating_add(size_hint / 8)
            .clamp(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES);
        let chunk_words = bytes / WORD;
        let chunks: Box<[OnceLock<Box<[AtomicU64]>>]> =
            (0..MAX_CHUNKS).map(|_| OnceLock::new()).collect();
        let arena = Arena { chunks };
        let first = zeroed_words(chunk_words)?;
        let len = first.len();
        let _ = arena.chunks.first().map(|slot| slot.set(first));
        let cursor = Cursor {
            chunk: 0,
            used: 1,
            len,
            chunk_words,
            allocated_words: 0,
        };
        Ok((arena, cursor))
    }

    /// The words from `addr` to the end of its chunk; empty for an address outside the arena
    /// (never published by the writer, so only reachable through a bug).
    #[inline]
    pub(super) fn words(&self, addr: u64) -> &[AtomicU64] {
        let chunk = (addr >> 32) as usize;
        let offset = (addr & 0xFFFF_FFFF) as usize;
        self.chunks
            .get(chunk)
            .and_then(OnceLock::get)
            .and_then(|c| c.get(offset..))
            .unwrap_or(&[])
    }

    /// Allocates `n` zeroed words for one node or value; returns its address. An allocation
    /// never spans chunks: when the current chunk cannot hold it, a new chunk (at least `n`
    /// words) starts.
    pub(super) fn alloc(&self, cur: &mut Cursor, n: usize) -> Result<u64> {
        if cur.used + n > cur.len {
            let next = cur.chunk + 1;
            let Some(slot) = self.chunks.get(next) else {
                return Err(Error::InvalidArgument(format!(
                    "memtable arena full: {MAX_CHUNKS} chunks in use"
                )));
            };
            // Chunks double up to the large size, so a memtable that outgrows its hint
            // stays a handful of allocations.
            cur.chunk_words = (cur.chunk_words * 2).min(MAX_CHUNK_BYTES / WORD);
            let words = zeroed_words(cur.chunk_words.max(n))?;
            cur.len = words.len();
            if slot.set(words).is_err() {
                return Err(Error::InvalidArgument(
                    "memtable arena chunk allocated twice".into(),
                ));
            }
            cur.chunk = next;
            cur.used = 0;
        }
        debug_assert!(cur.used + n <= cur.len, "node does not fit its chunk");
        debug_assert!(cur.len <= u32::MAX as usize, "chunk offsets are 32-bit");
        let addr = ((cur.chunk as u64) << 32) | cur.used as u64;
        cur.used += n;
        cur.allocated_words += n;
        Ok(addr)
    }
}

/// `n` zeroed atomic words in one allocation (`alloc_zeroed`: untouched pages stay free).
#[cfg(not(any(shuttle, loom)))]
fn zeroed_words(n: usize) -> Result<Box<[AtomicU64]>> {
    bytemuck::allocation::try_zeroed_slice_box::<AtomicU64>(n).map_err(|()| {
        Error::InvalidArgument(format!(
            "cannot allocate a memtable chunk of {} bytes",
            n * WORD
        ))
    })
}

/// `n` zero words of the model checker's atomics (not `Zeroable`: built one by one).
#[cfg(any(shuttle, loom))]
fn zeroed_words(n: usize) -> Result<Box<[AtomicU64]>> {
    Ok((0..n).map(|_| AtomicU64::new(0)).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn allocations_never_overlap_and_never_return_null() {
        let (arena, mut cur) = Arena::new(0).unwrap();
        let mut seen = Vec::new();
        for n in [1usize, 7, 8191, 3, 20_000, 1, 9000] {
            let addr = arena.alloc(&mut cur, n).unwrap();
            assert_ne!(addr, NULL);
            let words = arena.words(addr);
            assert!(words.len() >= n);
            for w in &words[..n] {
                assert_eq!(w.load(Ordering::Relaxed), 0, "fresh words are zero");
                w.store(addr, Ordering::Relaxed);
            }
            seen.push((addr, n));
        }
        for (addr, n) in seen {
            for w in &arena.words(addr)[..n] {
                assert_eq!(w.load(Ordering::Relaxed), addr, "no other node wrote here");
            }
        }
        assert!(arena.words(u64::MAX).is_empty());
    }
}
