//! The memtable's skiplist: internal entries in arena nodes, one writer, any number of readers.
//!
//! Written for the memtable rather than taken from a crate because it is the write path's
//! core and the arena is the point: one node per record holds the record's key inline and the
//! address of its value, so a record costs its bytes plus ~3-4 words, in memory that is
//! returned whole when the memtable is dropped (see `arena.rs`). The design follows LevelDB's
//! and RocksDB's single-writer skiplists (branching factor 4, height at most 12).
//!
//! Two arenas: `nodes` holds the nodes, `values` the values. A search touches only nodes, so
//! keeping values out of them keeps the nodes it walks dense: with 16-byte keys a node of
//! height 1 is 5 words (40 bytes) whatever the value's size, instead of ~150 bytes with a
//! 100-byte value inline. Nodes written one after another share cache lines and pages, so a
//! random search misses less in cache and TLB (see docs/BENCHMARKS.md, session 13).
//!
//! Node layout, in 64-bit words from the node's address in `nodes`:
//!
//! ```text
//! 0            meta: value address (bits 0..40) | key_len (bits 40..56) | height (bits 56..64)
//! 1            trailer: (seq << 8) | kind, as in an encoded internal key
//! 2 .. 2+k     the user key (k words), 8 bytes per word, big-endian, zero-padded
//! then         next links, one per level (0 = null)
//! ```
//!
//! The value address is the value's arena address in `values` packed into 40 bits (chunk
//! index << 30 | word offset; chunks are at most 2^30 words and there are at most 1024), 0 for
//! an empty value. A non-empty value is `words_for(4 + value_len)` words in `values`: the byte
//! stream `value_len as u32 LE ++ value`, 8 bytes per word, little-endian, zero-padded. Keeping
//! the length with the value rather than in the node lets the meta word hold the address, so
//! a record costs what it cost with the value inline (a 100-byte value and its length fill 13
//! words, as the value alone did) while the nodes a search walks stay dense.
//!
//! The key sits at a fixed offset so that a comparison loads it in parallel with the meta word
//! (its address does not depend on the height read from meta); the links' offset depends on
//! the key length, but links are only read from a node already compared, so its meta is in
//! cache. With random keys a search in a large memtable is a chain of cache misses, one per
//! node compared (most of a random put's time, see docs/BENCHMARKS.md); a search therefore
//! prefetches the node it would step down to while it compares the node to its right, so the
//! two misses overlap.
//!
//! Keys are stored big-endian so that comparing words as integers compares bytes in order; the
//! zero padding sorts below any real byte, and equal padded words fall back to the lengths, so
//! word order is exactly `memcmp` order (see `compare_user_key`).
//!
//! Order: user key ascending, then trailer descending (newest version first), as
//! [`crate::key::compare_internal_keys`].
//!
//! Threading: `insert` needs the writer's state by `&mut` (the memtable keeps it behind a
//! mutex); readers search and walk concurrently with it. The writer stores the value's words
//! in `values` and fills the node (its address included) with `Relaxed` stores, sets the
//! node's own links, then splices it in bottom-up, each splice a `Release` store; readers load
//! links with `Acquire`, so a node a reader reaches is complete, and so is the value it names
//! (its words were stored before the Release that published the node, in the same thread).
//! A reader may miss a node being spliced in at the moment (the database never needs such
//! nodes: they are above every reader's sequence number), but a search only ever returns a
//! node it compared with its target: a link loaded again after the comparisons may already
//! lead to a newer node that sorts before the target (`seek_ge` once did this, and a `get` at
//! a snapshot could return a version above it; found by the shuttle check in
//! `model_checks/skiplist.rs`).
//!
//! Invariants: internal keys are unique (the caller never reuses a seq); every level's list is
//! strictly ascending; a node's links at level `l` exist iff `l < height`; `max_height` only
//! grows; a node's value address is null iff its value is empty, and otherwise names
//! `words_for(4 + value_len)` words of `values` written before the node was published.

use std::cmp::Ordering;

use super::arena::{Arena, Cursor, NULL, WORD};
use crate::error::Result;
use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering as Mem};

/// The tallest node.
pub(super) const MAX_HEIGHT: usize = 12;
/// Words before the key (meta and trailer).
const HEADER_WORDS: usize = 2;

/// The writer's state: the arena cursors and the height generator.
#[derive(Debug)]
pub(super) struct Writer {
    /// Allocation in `nodes`.
    cursor: Cursor,
    /// Allocation in `values`.
    value_cursor: Cursor,
    rng: u64,
    /// At each level, a node that was the last of that level when it was inserted (the head
    /// at first). A node whose link at its level is still null is that level's last node, so
    /// when all are, an insert past the last node needs no search (sequential keys).
    tail: [u64; MAX_HEIGHT],
}

impl Writer {
    /// Bytes of both arenas handed out to nodes and values.
    pub(super) fn allocated_bytes(&self) -> usize {
        (self.cursor.allocated_words + self.value_cursor.allocated_words) * WORD
    }

    /// A height with P(h >= k) = 4^-(k-1), capped at [`MAX_HEIGHT`].
    fn random_height(&mut self) -> usize {
        // xorshift64*: any fixed odd seed is fine, only the distribution matters.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        // Two bits per level: a level is added with probability 1/4.
        let zero_pairs = (r.trailing_zeros() / 2) as usize;
        (1 + zero_pairs).min(MAX_HEIGHT)
    }
}

/// The list.
pub(super) struct SkipList {
    /// The nodes.
    nodes: Arena,
    /// The values, each named by its node.
    values: Arena,
    head: u64,
    max_height: AtomicUsize,
}

/// A node seen by a reader.
#[derive(Clone, Copy)]
pub(super) struct Node<'a> {
    words: &'a [AtomicU64],
    /// The arena its value lives in.
    values: &'a Arena,
}

#[inline]
fn words_for(bytes: usize) -> usize {
    bytes.div_ceil(WORD)
}

impl<'a> Node<'a> {
    #[inline]
    fn word(&self, i: usize) -> u64 {
        self.words.get(i).map_or(0, |w| w.load(Mem::Relaxed))
    }
    #[inline]
    fn meta(&self) -> u64 {
        self.word(0)
    }
    #[inline]
    fn height(&self) -> usize {
        (self.meta() >> 56) as usize
    }
    /// Length of the user key in bytes.
    #[inline]
    pub(super) fn key_len(&self) -> usize {
        ((self.meta() >> 40) & 0xFFFF) as usize
    }
    /// The value's words (its length first), empty for an empty value.
    #[inline]
    fn value_words(&self) -> &'a [AtomicU64] {
        match unpack_value_addr(self.meta()) {
            NULL => &[],
            addr => self.values.words(addr),
        }
    }
    /// The trailer `(seq << 8) | kind`.
    #[inline]
    pub(super) fn trailer(&self) -> u64 {
        self.word(1)
    }
    /// The successor at `level` (`level` must be below the node's height).
    #[inline]
    fn next(&self, level: usize) -> u64 {
        self.words
            .get(self.links_start() + level)
            .map_or(NULL, |w| w.load(Mem::Acquire))
    }
    /// The node's links (and the words after them, to the end of its chunk): the link at
    /// `level` is the first word of the slice's `level`th, for `level` below the height.
    #[inline]
    fn links(&self) -> &'a [AtomicU64] {
        self.words.get(self.links_start()..).unwrap_or(&[])
    }
    /// Offset of the first link: after the header and the key.
    #[inline]
    fn links_start(&self) -> usize {
        HEADER_WORDS + words_for(self.key_len())
    }

    /// Compares this node's user key with `key`, bytewise.
    #[inline]
    fn compare_user_key(&self, key: &[u8]) -> Ordering {
        let meta = self.meta();
        let len = ((meta >> 40) & 0xFFFF) as usize;
        let ours = self
            .words
            .get(HEADER_WORDS..HEADER_WORDS + words_for(len))
            .unwrap_or(&[]);
        let mut chunks = key.chunks(WORD);
        for word in ours {
            let Some(chunk) = chunks.next() else {
                // `key` ended: ours is longer and equal so far.
                return Ordering::Greater;
            };
            match word.load(Mem::Relaxed).cmp(&be_word(chunk)) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        len.cmp(&key.len())
    }

    /// Compares this node with the internal key `(user_key, trailer)` (tests: the reference
    /// for `compare_target`).
    #[cfg(test)]
    pub(super) fn compare(&self, user_key: &[u8], trailer: u64) -> Ordering {
        self.compare_user_key(user_key)
            .then_with(|| trailer.cmp(&self.trailer()))
    }

    /// Compares this node with a search target: as [`Node::compare`], with the target's key
    /// words converted once per search instead of once per node.
    #[inline]
    fn compare_target(&self, t: &Target<'_>) -> Ordering {
        let by_key = match t.words() {
            Some(theirs) => {
                let len = ((self.meta() >> 40) & 0xFFFF) as usize;
                let ours = self
                    .words
                    .get(HEADER_WORDS..HEADER_WORDS + words_for(len))
                    .unwrap_or(&[]);
                let mut order = len.cmp(&t.key.len());
                for (i, word) in ours.iter().enumerate() {
                    let Some(&w) = theirs.get(i) else {
                        // The target's key ended: ours is longer and equal so far.
                        order = Ordering::Greater;
                        break;
                    };
                    match word.load(Mem::Relaxed).cmp(&w) {
                        Ordering::Equal => {}
                        unequal => {
                            order = unequal;
                            break;
                        }
                    }
                }
                order
            }
            None => self.compare_user_key(t.key),
        };
        by_key.then_with(|| t.trailer.cmp(&self.trailer()))
    }

    /// Whether this node's user key is `key`.
    #[inline]
    pub(super) fn has_user_key(&self, key: &[u8]) -> bool {
        self.key_len() == key.len() && self.compare_user_key(key) == Ordering::Equal
    }

    /// Appends the user key to `out`.
    pub(super) fn copy_user_key(&self, out: &mut Vec<u8>) {
        let len = self.key_len();
        copy_words(out, len, |i| self.word(HEADER_WORDS + i).to_be_bytes());
    }

    /// Appends the value to `out`.
    pub(super) fn copy_value(&self, out: &mut Vec<u8>) {
        let words = self.value_words();
        let Some(first) = words.first().map(|w| w.load(Mem::Relaxed)) else {
            return;
        };
        let len = (first & 0xFFFF_FFFF) as usize;
        debug_assert!(
            words.len() >= words_for(4 + len),
            "value runs past its chunk"
        );
        out.reserve(len);
        // The first word holds the length and the value's first 4 bytes.
        let head = len.min(4);
        out.extend_from_slice(first.to_le_bytes().get(4..4 + head).unwrap_or(&[]));
        copy_words(out, len - head, |i| {
            words
                .get(i + 1)
                .map_or(0, |w| w.load(Mem::Relaxed))
                .to_le_bytes()
        });
    }
}

/// The link at `level` in a node's `links` (null if out of range: never for a node reached at
/// that level).
#[inline]
fn link(links: &[AtomicU64], level: usize) -> u64 {
    links.get(level).map_or(NULL, |w| w.load(Mem::Acquire))
}

/// A search prefetches its step-down node from this level down to level 1. Level `l` holds
/// about `n / 4^l` of `n` nodes: with a million nodes, levels 4 and up (under 4,000 nodes)
/// stay in cache during a burst of searches, levels 3 and below do not.
const PREFETCH_LEVELS: usize = 3;

/// Keys up to this many words are converted to words once per search (longer ones are
/// compared chunk by chunk).
const TARGET_WORDS: usize = 4;

/// A search target: the internal key `(key, trailer)`, and the key as big-endian zero-padded
/// words (as a node stores it) when it is at most [`TARGET_WORDS`] words long.
struct Target<'k> {
    key: &'k [u8],
    trailer: u64,
    words: [u64; TARGET_WORDS],
}

impl<'k> Target<'k> {
    #[inline]
    fn new(key: &'k [u8], trailer: u64) -> Target<'k> {
        let mut words = [0u64; TARGET_WORDS];
        if key.len() <= TARGET_WORDS * WORD {
            for (w, chunk) in words.iter_mut().zip(key.chunks(WORD)) {
                *w = be_word(chunk);
            }
        }
        Target {
            key,
            trailer,
            words,
        }
    }

    /// The key's words, `None` for a key longer than [`TARGET_WORDS`] words.
    #[inline]
    fn words(&self) -> Option<&[u64]> {
        if self.key.len() <= TARGET_WORDS * WORD {
            self.words.get(..words_for(self.key.len()))
        } else {
            None
        }
    }
}

/// Appends `len` bytes made of the words `word(0..)`.
#[inline]
fn copy_words(out: &mut Vec<u8>, len: usize, word: impl Fn(usize) -> [u8; WORD]) {
    out.reserve(len);
    let full = len / WORD;
    for i in 0..full {
        out.extend_from_slice(&word(i));
    }
    let rest = len % WORD;
    if rest > 0 {
        out.extend_from_slice(word(full).get(..rest).unwrap_or(&[]));
    }
}

/// Up to 8 bytes zero-padded on the right.
#[inline]
fn padded(chunk: &[u8]) -> [u8; WORD] {
    let mut out = [0u8; WORD];
    out.iter_mut().zip(chunk).for_each(|(dst, src)| *dst = *src);
    out
}

/// Up to 8 bytes as a big-endian word, zero-padded on the right.
#[inline]
fn be_word(chunk: &[u8]) -> u64 {
    match <[u8; WORD]>::try_from(chunk) {
        Ok(full) => u64::from_be_bytes(full),
        Err(_) => u64::from_be_bytes(padded(chunk)),
    }
}

/// Up to 8 bytes as a little-endian word, zero-padded.
#[inline]
fn le_word(chunk: &[u8]) -> u64 {
    u64::from_le_bytes(padded(chunk))
}

/// Bits of a packed value address's word offset.
const VALUE_OFFSET_BITS: u32 = 30;

/// An arena address (`chunk << 32 | offset`) packed into the meta word's low 40 bits.
#[inline]
fn pack_value_addr(addr: u64) -> u64 {
    let (chunk, offset) = (addr >> 32, addr & 0xFFFF_FFFF);
    debug_assert!(offset < 1 << VALUE_OFFSET_BITS, "chunk offsets fit 30 bits");
    debug_assert!(
        chunk < 1 << (40 - VALUE_OFFSET_BITS),
        "chunk indexes fit 10 bits"
    );
    chunk << VALUE_OFFSET_BITS | offset
}

/// The arena address in a meta word's low 40 bits (0 = no value).
#[inline]
fn unpack_value_addr(meta: u64) -> u64 {
    let packed = meta & ((1 << 40) - 1);
    (packed >> VALUE_OFFSET_BITS) << 32 | (packed & ((1 << VALUE_OFFSET_BITS) - 1))
}

impl SkipList {
    /// An empty list sized for about `size_hint` bytes, and its writer.
    pub(super) fn new(size_hint: usize, seed: u64) -> Result<(SkipList, Writer)> {
        // Both arenas get the whole hint: their first chunks are zeroed allocations whose
        // untouched pages cost nothing, and the split between keys and values is not known.
        let (nodes, mut cursor) = Arena::new(size_hint)?;
        let (values, value_cursor) = Arena::new(size_hint)?;
        let head = nodes.alloc(&mut cursor, HEADER_WORDS + MAX_HEIGHT)?;
        if let Some(meta) = nodes.words(head).first() {
            meta.store((MAX_HEIGHT as u64) << 56, Mem::Relaxed);
        }
        let list = SkipList {
            nodes,
            values,
            head,
            max_height: AtomicUsize::new(1),
        };
        let writer = Writer {
            cursor,
            value_cursor,
            rng: seed | 1,
            tail: [head; MAX_HEIGHT],
        };
        Ok((list, writer))
    }

    #[inline]
    fn node(&self, addr: u64) -> Node<'_> {
        Node {
            words: self.nodes.words(addr),
            values: &self.values,
        }
    }

    /// Starts loading the node at `addr` into cache: its first words (meta, trailer, the key
    /// and, for keys up to 16 bytes, the first link) span at most two cache lines, and one
    /// word of each is read. The values are discarded (`black_box` keeps the loads): nothing
    /// waits for them, so the out-of-order core keeps going and the misses overlap with the
    /// ones that follow. This is a prefetch without `unsafe` (`_mm_prefetch` takes a raw
    /// pointer and is an unsafe intrinsic). Left out under the model checkers, where every
    /// atomic access is a scheduling point and the hint changes nothing they check.
    #[inline]
    fn prefetch(&self, addr: u64) {
        if cfg!(any(shuttle, loom)) {
            return;
        }
        let words = self.nodes.words(addr);
        if let Some(w) = words.first() {
            std::hint::black_box(w.load(Mem::Relaxed));
        }
        if let Some(w) = words.get(4) {
            std::hint::black_box(w.load(Mem::Relaxed));
        }
    }

    /// The node at `addr`, `None` for the null address and the head.
    #[inline]
    pub(super) fn entry(&self, addr: u64) -> Option<Node<'_>> {
        (addr != NULL && addr != self.head).then(|| self.node(addr))
    }

    /// The first node of the list (null if empty).
    #[inline]
    pub(super) fn first(&self) -> u64 {
        self.node(self.head).next(0)
    }

    /// The successor of `addr` at level 0.
    #[inline]
    pub(super) fn next(&self, addr: u64) -> u64 {
        self.node(addr).next(0)
    }

    /// Walks down from the head, moving right while `before(node)` holds. Returns the last
    /// node for which it held (the head if none) and the level-0 successor it was compared
    /// with (for which `before` failed; null if none), and at each level the last node for
    /// which it held is recorded in `prev` when given.
    ///
    /// The successor is returned rather than loaded again: the writer may splice a node in
    /// after the last node at any moment, and such a node was never compared (it may lie
    /// before the target).
    #[inline]
    fn descend(
        &self,
        mut before: impl FnMut(Node<'_>) -> bool,
        mut prev: Option<&mut [u64; MAX_HEIGHT]>,
    ) -> (u64, u64) {
        let mut x = self.head;
        // `x`'s links, found once per node visited.
        let mut links = self.node(x).links();
        let mut level = self.max_height.load(Mem::Relaxed).clamp(1, MAX_HEIGHT) - 1;
        loop {
            let next = link(links, level);
            if (1..=PREFETCH_LEVELS).contains(&level) {
                // Where the search goes if `next` is not before the target: start loading it
                // now, while `next` is compared (only low, so uncached, levels: above them the
                // hint costs instructions and saves nothing).
                let down = link(links, level - 1);
                if down != next && down != NULL {
                    self.prefetch(down);
                }
            }
            if next != NULL {
                let node = self.node(next);
                if before(node) {
                    x = next;
                    links = node.links();
                    continue;
                }
            }
            if let Some(p) = prev.as_deref_mut()
                && let Some(slot) = p.get_mut(level)
            {
                *slot = x;
            }
            if level == 0 {
                return (x, next);
            }
            level -= 1;
        }
    }

    /// The first node >= `(user_key, trailer)`, or null.
    pub(super) fn seek_ge(&self, user_key: &[u8], trailer: u64) -> u64 {
        let t = Target::new(user_key, trailer);
        let (_, next) = self.descend(|n| n.compare_target(&t) == Ordering::Less, None);
        next
    }

    /// The last node <= `(user_key, trailer)`, or null.
    pub(super) fn seek_le(&self, user_key: &[u8], trailer: u64) -> u64 {
        let t = Target::new(user_key, trailer);
        let (x, _) = self.descend(|n| n.compare_target(&t) != Ordering::Greater, None);
        if x == self.head { NULL } else { x }
    }

    /// The last node < `(user_key, trailer)`, or null.
    pub(super) fn seek_lt(&self, user_key: &[u8], trailer: u64) -> u64 {
        let t = Target::new(user_key, trailer);
        let (x, _) = self.descend(|n| n.compare_target(&t) == Ordering::Less, None);
        if x == self.head { NULL } else { x }
    }

    /// The last node, or null.
    pub(super) fn last(&self) -> u64 {
        let (x, _) = self.descend(|_| true, None);
        if x == self.head { NULL } else { x }
    }

    /// Whether the target sorts after every node, checked from the writer's `tail` alone: the
    /// level-0 tail sorts before the target and every level's recorded tail is still last (its
    /// link is null). Then `tail` holds the insert's predecessors. Random keys fail the first
    /// test: one comparison with a node just written, in cache.
    fn after_last(&self, w: &Writer, t: &Target<'_>) -> bool {
        let last = w.tail.first().copied().unwrap_or(self.head);
        if last != self.head && self.node(last).compare_target(t) != Ordering::Less {
            return false;
        }
        let top = self.max_height.load(Mem::Relaxed).clamp(1, MAX_HEIGHT);
        w.tail
            .iter()
            .enumerate()
            .take(top)
            .all(|(level, &p)| link(self.node(p).links(), level) == NULL)
    }

    /// Inserts a new entry. `(user_key, trailer)` must not be in the list. Returns the bytes
    /// of arena the node and its value took.
    pub(super) fn insert(
        &self,
        w: &mut Writer,
        user_key: &[u8],
        trailer: u64,
        value: &[u8],
    ) -> Result<usize> {
        debug_assert!(user_key.len() <= 0xFFFF, "user keys fit 16 bits");
        debug_assert!(value.len() <= u32::MAX as usize, "values fit 32 bits");
        let mut prev = [self.head; MAX_HEIGHT];
        let t = Target::new(user_key, trailer);
        if self.after_last(w, &t) {
            // Appending: the predecessors are the last nodes of their levels (levels above
            // `max_height` have only the head).
            prev = w.tail;
        } else {
            self.descend(|n| n.compare_target(&t) == Ordering::Less, Some(&mut prev));
        }
        // The value first, in its own arena: its words are stored (Relaxed) before the node
        // that names it is published (Release), like the node's own words.
        let value_words = if value.is_empty() {
            0
        } else {
            words_for(4 + value.len())
        };
        let value_addr = if value_words == 0 {
            NULL
        } else {
            let addr = self.values.alloc(&mut w.value_cursor, value_words)?;
            let words = self.values.words(addr);
            debug_assert!(words.len() >= value_words, "value does not fit its chunk");
            // The length (u32 LE) and the first 4 bytes, then the rest 8 bytes per word.
            let (head, rest) = value.split_at(value.len().min(4));
            if let Some(first) = words.first() {
                first.store(value.len() as u64 | le_word(head) << 32, Mem::Relaxed);
            }
            for (word, chunk) in words.iter().skip(1).zip(rest.chunks(WORD)) {
                word.store(le_word(chunk), Mem::Relaxed);
            }
            pack_value_addr(addr)
        };
        let height = w.random_height();
        let key_words = words_for(user_key.len());
        let n = HEADER_WORDS + key_words + height;
        let addr = self.nodes.alloc(&mut w.cursor, n)?;
        let words = self.nodes.words(addr);
        debug_assert!(words.len() >= n, "node does not fit its chunk");
        let store = |i: usize, v: u64| {
            if let Some(word) = words.get(i) {
                word.store(v, Mem::Relaxed);
            }
        };
        store(
            0,
            value_addr | (user_key.len() as u64) << 40 | (height as u64) << 56,
        );
        store(1, trailer);
        for (i, chunk) in user_key.chunks(WORD).enumerate() {
            store(HEADER_WORDS + i, be_word(chunk));
        }
        let links_start = HEADER_WORDS + key_words;
        // Raising the height first is safe: a reader that sees it finds null or this node
        // at the new levels of the head.
        if height > self.max_height.load(Mem::Relaxed) {
            self.max_height.store(height, Mem::Relaxed);
        }
        for (level, &p) in prev.iter().enumerate().take(height) {
            let pred = self.node(p);
            debug_assert!(
                level < pred.height(),
                "predecessor at level {level} too short"
            );
            let succ = pred.next(level);
            store(links_start + level, succ);
            if succ == NULL
                && let Some(tail) = w.tail.get_mut(level)
            {
                *tail = addr;
            }
            // Publish: the node's words (Relaxed above) happen-before this Release store.
            if let Some(link) = pred.words.get(pred.links_start() + level) {
                link.store(addr, Mem::Release);
            }
        }
        Ok((n + value_words) * WORD)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn user_key_of(list: &SkipList, addr: u64) -> Vec<u8> {
        let mut k = Vec::new();
        list.entry(addr).unwrap().copy_user_key(&mut k);
        k
    }

    #[test]
    fn word_order_is_bytewise_order() {
        let keys: Vec<&[u8]> = vec![
            b"",
            b"\0",
            b"\0\0",
            b"a",
            b"a\0",
            b"a\0\x01",
            b"a\x01",
            b"abcdefgh",
            b"abcdefgh\0",
            b"abcdefghi",
            b"abcdefgi",
            b"\xff",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        ];
        let (list, mut w) = SkipList::new(0, 7).unwrap();
        for (i, k) in keys.iter().enumerate() {
            list.insert(&mut w, k, i as u64, k).unwrap();
        }
        for a in &keys {
            let addr = list.seek_ge(a, u64::MAX);
            let node = list.entry(addr).unwrap();
            for b in &keys {
                // Node `a` against key `b` must agree with slice order.
                assert_eq!(node.compare_user_key(b), a.cmp(b), "{a:?} vs {b:?}");
            }
            let mut v = Vec::new();
            node.copy_value(&mut v);
            assert_eq!(&v[..], *a);
            assert_eq!(user_key_of(&list, addr), *a);
        }
        // Ascending walk.
        let mut walked = Vec::new();
        let mut x = list.first();
        while x != NULL {
            walked.push(user_key_of(&list, x));
            x = list.next(x);
        }
        let mut sorted: Vec<Vec<u8>> = keys.iter().map(|k| k.to_vec()).collect();
        sorted.sort();
        assert_eq!(walked, sorted);
        assert_eq!(user_key_of(&list, list.last()), sorted[sorted.len() - 1]);
    }

    #[test]
    fn random_keys_compare_and_walk_like_slices() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let alphabet = [0u8, 1, b'a', 0x7f, 0x80, 0xff];
        let key = |rng: &mut rand::rngs::StdRng| -> Vec<u8> {
            let len = rng.random_range(0..20);
            (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect()
        };
        let (list, mut w) = SkipList::new(0, 3).unwrap();
        let mut model = std::collections::BTreeMap::new();
        for seq in 1..3000u64 {
            let k = key(&mut rng);
            let trailer = seq << 8 | 1;
            list.insert(&mut w, &k, trailer, &seq.to_le_bytes())
                .unwrap();
            model.insert((k, std::cmp::Reverse(trailer)), seq);
        }
        // The level-0 walk is the model's order.
        let mut x = list.first();
        for ((k, std::cmp::Reverse(t)), seq) in &model {
            let node = list.entry(x).unwrap();
            assert_eq!(user_key_of(&list, x), *k);
            assert_eq!(node.trailer(), *t);
            let mut v = Vec::new();
            node.copy_value(&mut v);
            assert_eq!(v, seq.to_le_bytes());
            x = list.next(x);
        }
        assert_eq!(x, NULL);
        // Seeks agree with the model for random targets.
        for _ in 0..2000 {
            let k = key(&mut rng);
            let t = rng.random_range(0..3000u64) << 8 | 0xFF;
            let target = (k.clone(), std::cmp::Reverse(t));
            let ge = model.range(target.clone()..).next().map(|(k, _)| k.clone());
            let le = model
                .range(..=target.clone())
                .next_back()
                .map(|(k, _)| k.clone());
            let lt = model.range(..target).next_back().map(|(k, _)| k.clone());
            let got = |addr: u64| {
                list.entry(addr)
                    .map(|n| (user_key_of(&list, addr), std::cmp::Reverse(n.trailer())))
            };
            assert_eq!(got(list.seek_ge(&k, t)), ge);
            assert_eq!(got(list.seek_le(&k, t)), le);
            assert_eq!(got(list.seek_lt(&k, t)), lt);
            let node = list.entry(list.first()).unwrap();
            let first = &model.keys().next().unwrap().0;
            assert_eq!(node.compare_user_key(&k), first.as_slice().cmp(&k[..]));
        }
    }

    #[test]
    fn target_comparisons_agree_with_slice_order() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        // Lengths around the inline limit (TARGET_WORDS words) and word boundaries.
        let alphabet = [0u8, 1, 0x7f, 0x80, 0xff];
        let key = |rng: &mut rand::rngs::StdRng| -> Vec<u8> {
            let len = rng.random_range(0..(TARGET_WORDS * WORD + 12));
            (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect()
        };
        let (list, mut w) = SkipList::new(0, 9).unwrap();
        let mut nodes = Vec::new();
        for seq in 1..400u64 {
            let k = key(&mut rng);
            let trailer = seq << 8 | 1;
            list.insert(&mut w, &k, trailer, b"v").unwrap();
            nodes.push((k, trailer));
        }
        for _ in 0..3000 {
            let k = key(&mut rng);
            let t = rng.random_range(0..400u64) << 8 | 1;
            let (nk, nt) = &nodes[rng.random_range(0..nodes.len())];
            let addr = list.seek_ge(nk, *nt);
            let node = list.entry(addr).unwrap();
            assert_eq!(user_key_of(&list, addr), *nk);
            // Internal key order: user key ascending, trailer descending.
            let want = nk.as_slice().cmp(&k[..]).then_with(|| t.cmp(nt));
            assert_eq!(
                node.compare_target(&Target::new(&k, t)),
                want,
                "{nk:?} vs {k:?}"
            );
            assert_eq!(node.compare(&k, t), want);
        }
    }

    #[test]
    fn appends_and_inserts_in_between_keep_every_level_ordered() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        let (list, mut w) = SkipList::new(0, 13).unwrap();
        let mut model = std::collections::BTreeSet::new();
        let mut next_up = 1_000_000u64;
        for seq in 1..5000u64 {
            // Mostly ascending keys (the append path), sometimes one in between or a new
            // version of the last key (same user key, newer seq: sorts before it).
            let k = match rng.random_range(0..10) {
                0 => rng.random_range(0..next_up),
                1 => next_up,
                _ => {
                    next_up += rng.random_range(1..3);
                    next_up
                }
            };
            let key = k.to_be_bytes();
            let trailer = seq << 8 | 1;
            list.insert(&mut w, &key, trailer, b"v").unwrap();
            model.insert((key.to_vec(), std::cmp::Reverse(trailer)));
        }
        let want: Vec<_> = model.iter().cloned().collect();
        let mut walked = Vec::new();
        let mut x = list.first();
        while x != NULL {
            let node = list.entry(x).unwrap();
            walked.push((user_key_of(&list, x), std::cmp::Reverse(node.trailer())));
            x = list.next(x);
        }
        assert_eq!(walked, want);
        // Every level is a strictly ascending sublist ending in null.
        for level in 0..MAX_HEIGHT {
            let mut x = list.node(list.head).next(level);
            let mut last: Option<(Vec<u8>, std::cmp::Reverse<u64>)> = None;
            while x != NULL {
                let node = list.entry(x).unwrap();
                assert!(level < node.height());
                let cur = (user_key_of(&list, x), std::cmp::Reverse(node.trailer()));
                assert!(
                    last.as_ref().is_none_or(|l| *l < cur),
                    "level {level} out of order"
                );
                last = Some(cur);
                x = node.next(level);
            }
        }
        for (k, std::cmp::Reverse(t)) in &want {
            let node = list.entry(list.seek_ge(k, *t)).unwrap();
            assert_eq!(
                (user_key_of(&list, list.seek_ge(k, *t)), node.trailer()),
                (k.clone(), *t)
            );
        }
    }

    #[test]
    fn heights_follow_a_quarter_branching() {
        let (_, mut w) = SkipList::new(0, 1).unwrap();
        let mut counts = [0usize; MAX_HEIGHT + 1];
        for _ in 0..100_000 {
            counts[w.random_height()] += 1;
        }
        assert_eq!(counts[0], 0);
        // ~75% height 1, ~18.75% height 2.
        assert!((70_000..80_000).contains(&counts[1]), "{counts:?}");
        assert!((15_000..23_000).contains(&counts[2]), "{counts:?}");
    }
}
