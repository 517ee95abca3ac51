//! [`RestartPrefixes`]: a compact, in-memory summary of an index block's restart keys that
//! narrows the binary search of a seek before any entry of the block is decoded.
//!
//! A table's index block holds one entry per data block (restart interval 1), so a seek used
//! to decode ~log2(blocks) restart entries, each a load from the restart array and one from
//! the entry, both likely cache misses in a large index. Here every restart key's user key is
//! reduced to 8 bytes: the 8 bytes after the prefix `common` that all restart user keys share,
//! big-endian, zero-padded. The array (8 bytes per data block) is searched first; only restarts
//! whose summary equals the target's are compared in full.
//!
//! Why it is exact: the map `f` from a user key to its summary is monotone (non-decreasing) in
//! bytewise order over all keys that start with `common`, and internal keys are ordered by
//! user key first. So a restart whose summary is below the target's has a key below the
//! target, and one whose summary is above has a key above it. A target that does not start with
//! `common` is below or above every restart key, which [`RestartPrefixes::bounds`] answers
//! directly. Nothing is written to disk; the summary is built when a table is opened.
//!
//! Point lookups go one step further ([`RestartPrefixes::locate`]): when the index has one
//! entry per restart point and its handles tile the data region, the data blocks' start
//! offsets are kept too (4 bytes per block), and a lookup whose summary differs from every
//! restart's (nearly all of them) names its data block without touching the index block:
//! the first restart whose summary is above the target's is the first index entry above the
//! target, which is the one a seek of the index would land on.
//!
//! Invariants: `keys` is non-decreasing (checked when built: a block out of order gets no
//! summary) and has one entry per restart point of the block it summarises; `block_starts`,
//! when present, has one more entry than `keys`, each at least a block trailer above the
//! previous one, and entry `i` is the handle of index entry `i` (`starts[i]`, `starts[i + 1] -
//! starts[i] - BLOCK_TRAILER_LEN`).

use std::cmp::Ordering;

use super::block::{Block, BlockIter, KeyOrder};
use super::format::{BLOCK_TRAILER_LEN, BlockHandle};
use crate::key;

/// The summaries of an index block's restart keys.
#[derive(Debug, Clone)]
pub(crate) struct RestartPrefixes {
    /// The prefix every restart user key starts with.
    common: Box<[u8]>,
    /// Per restart point: `summary(user_key[common.len()..])`.
    keys: Box<[u64]>,
    /// `keys[STRIDE * j]` for every `j`: a small first level that stays in the CPU cache, so
    /// a search touches only one or two cache lines of `keys`.
    coarse: Box<[u64]>,
    /// Start offsets of the data blocks, one per index entry, then the end of the last; `None`
    /// if the index does not have one entry per restart, its handles do not tile the data
    /// region, or the region passes 4 GiB (lookups then seek the index).
    block_starts: Option<Box<[u32]>>,
}

/// Where a point lookup's data block is, as told by the summaries alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Located {
    /// Every key of the table is below the target.
    PastEnd,
    /// The first index entry at or above the target has this handle.
    Block(BlockHandle),
}

/// Restart points per entry of the first level (two 64-byte cache lines of `keys`).
const STRIDE: usize = 16;

/// The first 8 bytes of `rest`, big-endian, zero-padded: order-preserving (non-strictly).
#[inline]
fn summary(rest: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = rest.len().min(8);
    b[..n].copy_from_slice(&rest[..n]);
    u64::from_be_bytes(b)
}

fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl RestartPrefixes {
    /// Summarises the restart keys of `block` (internal keys); `None` if a restart key does not
    /// decode (the seek then falls back to the plain search, which reports the damage).
    pub(crate) fn build(block: &Block) -> Option<RestartPrefixes> {
        let n = block.num_restarts();
        if n == 0 {
            return None;
        }
        let it = BlockIter::new(block, KeyOrder::Internal);
        let first = key::user_key(it.restart_key(0).ok()?);
        let last = key::user_key(it.restart_key(n - 1).ok()?);
        let common_len = common_prefix_len(first, last);
        let common: Box<[u8]> = first.get(..common_len)?.into();
        let mut keys = Vec::with_capacity(n);
        let mut starts = Some(Vec::with_capacity(n + 1));
        for i in 0..n {
            let (internal_key, value, entry_end) = it.restart_entry(i).ok()?;
            let user_key = key::user_key(internal_key);
            // Sorted keys between `first` and `last` share their common prefix; a block that
            // breaks this is out of order, and the plain search reports it.
            let rest = user_key.strip_prefix(&common[..])?;
            keys.push(summary(rest));
            // The entry must end where the next restart starts (no entry between restarts).
            let next = match i + 1 {
                j if j < n => block.restart(j),
                _ => block.restarts_offset(),
            };
            if let Some(s) = starts.as_mut()
                && (entry_end != next || !push_block_start(s, value))
            {
                starts = None;
            }
        }
        if !keys.is_sorted() {
            return None;
        }
        let coarse = keys.iter().step_by(STRIDE).copied().collect();
        Some(RestartPrefixes {
            common,
            keys: keys.into_boxed_slice(),
            coarse,
            block_starts: starts.map(Vec::into_boxed_slice),
        })
    }

    /// `(left, right)` with `left <= right < restarts`: the last restart whose key is below any
    /// internal key of `user_key` lies in `left..=right`, or is restart 0 (every restart before
    /// `left` is below, every restart after `right` is above).
    #[inline]
    pub(crate) fn bounds(&self, user_key: &[u8]) -> (usize, usize) {
        let n = self.keys.len();
        let c = self.common.len();
        let head = &user_key[..user_key.len().min(c)];
        let t = match head.cmp(&self.common[..head.len()]) {
            Ordering::Less => return (0, 0),
            Ordering::Greater => return (n - 1, n - 1),
            // A proper prefix of `common` sorts before every restart key.
            Ordering::Equal if head.len() < c => return (0, 0),
            Ordering::Equal => summary(&user_key[c..]),
        };
        let lo = self.partition_point(|k| k < t);
        let hi = self.partition_point(|k| k <= t);
        (
            lo.saturating_sub(1),
            hi.saturating_sub(1).max(lo.saturating_sub(1)),
        )
    }

    /// The data block a point lookup of `user_key` must read, if the summaries decide it: `None`
    /// when the block starts are not kept or a restart's summary equals the target's (the
    /// caller then seeks the index within [`RestartPrefixes::bounds`]).
    #[inline]
    pub(crate) fn locate(&self, user_key: &[u8]) -> Option<Located> {
        let starts = self.block_starts.as_deref()?;
        debug_assert_eq!(starts.len(), self.keys.len() + 1);
        let c = self.common.len();
        let head = &user_key[..user_key.len().min(c)];
        // The first restart whose key is at or above the target (every restart key starts
        // with `common`).
        let first_above = match head.cmp(&self.common[..head.len()]) {
            Ordering::Less => 0,
            Ordering::Greater => self.keys.len(),
            // A proper prefix of `common` sorts before every restart key.
            Ordering::Equal if head.len() < c => 0,
            Ordering::Equal => {
                let t = summary(&user_key[c..]);
                let below = |k: u64| k < t;
                let (start, end) = self.window(below);
                // The answer's block start lies in `starts[start..=end]`: load both ends now so
                // their cache lines arrive while the window of `keys` is searched (the result
                // is not needed; `black_box` only keeps the loads).
                std::hint::black_box((starts.get(start).copied(), starts.get(end).copied()));
                let lo = self.count_in(start, end, below);
                // Summaries below `t` are keys below the target's user key; one above `t` is a
                // key above it. An equal one could be either: compare the full keys.
                if self.keys.get(lo).is_some_and(|&k| k == t) {
                    return None;
                }
                lo
            }
        };
        Some(
            match (starts.get(first_above), starts.get(first_above + 1)) {
                (Some(&start), Some(&next)) => Located::Block(BlockHandle {
                    offset: u64::from(start),
                    size: u64::from(next - start) - BLOCK_TRAILER_LEN as u64,
                }),
                _ => Located::PastEnd,
            },
        )
    }

    /// `keys.partition_point(pred)` for a predicate true on a prefix of `keys`, searching
    /// `coarse` first.
    #[inline]
    fn partition_point(&self, pred: impl Fn(u64) -> bool) -> usize {
        let (start, end) = self.window(&pred);
        self.count_in(start, end, pred)
    }

    /// The candidates `start..end` for `keys.partition_point(pred)` (at most `STRIDE - 1` of
    /// them; the point is `start + ` the number of candidates satisfying `pred`).
    #[inline]
    fn window(&self, pred: impl Fn(u64) -> bool) -> (usize, usize) {
        // keys[STRIDE * i] satisfies `pred` for i < j and not for i = j.
        let j = self.coarse.partition_point(|&k| pred(k));
        let start = (STRIDE * j).saturating_sub(STRIDE - 1);
        let end = (STRIDE * j).min(self.keys.len());
        (start, end)
    }

    /// `start` plus the number of `keys[start..end]` satisfying `pred`.
    #[inline]
    fn count_in(&self, start: usize, end: usize, pred: impl Fn(u64) -> bool) -> usize {
        // Count instead of bisecting the (at most 15) candidates: the loads do not depend on
        // each other, so the window's two or three cache lines are fetched at once rather than
        // one after the other (and `pred` holds exactly on a prefix, so the count is the point).
        start
            + self
                .keys
                .get(start..end)
                .map_or(0, |w| w.iter().filter(|&&k| pred(k)).count())
    }
}

/// Appends the block named by index value `value` to `starts` (the start offsets of the
/// blocks so far, then the end of the last); false if the value is not one handle, the block
/// does not start where the previous one's trailer ends, or its end passes `u32`.
fn push_block_start(starts: &mut Vec<u32>, value: &[u8]) -> bool {
    let Some(handle) = BlockHandle::decode_exact(value) else {
        return false;
    };
    let (Ok(start), Some(Ok(end))) = (
        u32::try_from(handle.offset),
        handle.end().map(u32::try_from),
    ) else {
        return false;
    };
    match starts.last() {
        None => starts.push(start),
        Some(&previous_end) if previous_end == start => {}
        Some(_) => return false,
    }
    starts.push(end);
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use bytes::Bytes;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::key::{KIND_SEEK, make_internal_key};
    use crate::sstable::block::BlockBuilder;

    /// The last restart whose key is below the seek key of `user_key`, by a linear scan over
    /// the model's sorted keys (the model: one key per restart, as in an index block).
    fn model_last_below(keys: &[Vec<u8>], user_key: &[u8], seq: u64) -> usize {
        let target = make_internal_key(user_key, seq, KIND_SEEK);
        keys.iter()
            .rposition(|k| key::compare_internal_keys(k, &target) == Ordering::Less)
            .unwrap_or(0)
    }

    /// The bytes keys are drawn from: two letters in even rounds (so summaries tie), 26 in odd.
    fn alphabet(round: usize) -> std::ops::RangeInclusive<u8> {
        if round.is_multiple_of(2) {
            b'a'..=b'b'
        } else {
            b'a'..=b'z'
        }
    }

    /// Sorted distinct user keys sharing a random prefix (a two-letter alphabet in even
    /// rounds, so summaries tie), and their internal keys at random seqs: one per restart.
    fn random_index_keys(rng: &mut StdRng, round: usize) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let alphabet = alphabet(round);
        let shared: Vec<u8> = (0..rng.random_range(0..12))
            .map(|_| rng.random_range(alphabet.clone()))
            .collect();
        let mut user_keys: Vec<Vec<u8>> = (0..rng.random_range(1..120))
            .map(|_| {
                let mut k = shared.clone();
                let len = rng.random_range(0..14);
                k.extend((0..len).map(|_| rng.random_range(alphabet.clone())));
                k
            })
            .collect();
        user_keys.sort();
        user_keys.dedup();
        let keys = user_keys
            .iter()
            .map(|k| make_internal_key(k, rng.random_range(0..100), 1))
            .collect();
        (user_keys, keys)
    }

    /// A user key to look up: a prefix of a present key, perhaps with one more byte, or a
    /// random key over the same alphabet.
    fn random_probe(rng: &mut StdRng, user_keys: &[Vec<u8>], round: usize) -> Vec<u8> {
        let alphabet = alphabet(round);
        if rng.random_bool(0.5) {
            let base = &user_keys[rng.random_range(0..user_keys.len())];
            let mut k = base[..rng.random_range(0..=base.len())].to_vec();
            if rng.random_bool(0.5) {
                k.push(rng.random_range(alphabet));
            }
            k
        } else {
            (0..rng.random_range(0..20))
                .map(|_| rng.random_range(alphabet.clone()))
                .collect()
        }
    }

    #[test]
    fn bounds_always_contain_the_answer() {
        let mut rng = StdRng::seed_from_u64(11);
        for round in 0..300 {
            let (user_keys, keys) = random_index_keys(&mut rng, round);
            let mut b = BlockBuilder::new(1, KeyOrder::Internal);
            for k in &keys {
                b.add(k, b"v");
            }
            let block = Block::new(Bytes::from(b.finish().to_vec())).unwrap();
            let p = RestartPrefixes::build(&block).unwrap();
            assert_eq!(p.keys.len(), keys.len());
            for t in [0, 1, u64::MAX] {
                assert_eq!(
                    p.partition_point(|k| k < t),
                    p.keys.partition_point(|&k| k < t)
                );
            }
            for &t in p.keys.iter() {
                assert_eq!(
                    p.partition_point(|k| k < t),
                    p.keys.partition_point(|&k| k < t)
                );
                assert_eq!(
                    p.partition_point(|k| k <= t),
                    p.keys.partition_point(|&k| k <= t)
                );
            }
            for _ in 0..50 {
                let probe = random_probe(&mut rng, &user_keys, round);
                let seq = rng.random_range(0..100);
                let want = model_last_below(&keys, &probe, seq);
                let (left, right) = p.bounds(&probe);
                assert!(left <= right && right < keys.len());
                assert!(
                    (left..=right).contains(&want),
                    "probe {probe:?}: answer {want} outside {left}..={right}"
                );
                // Restarts before `left` are below the target; after `right`, above.
                let t = make_internal_key(&probe, seq, KIND_SEEK);
                for (i, k) in keys.iter().enumerate() {
                    let ord = key::compare_internal_keys(k, &t);
                    if i < left {
                        assert_eq!(ord, Ordering::Less);
                    }
                    if i > right {
                        assert_eq!(ord, Ordering::Greater);
                    }
                }
            }
        }
    }

    /// `locate` against a linear scan of the model: when it answers, `PastEnd` means every key
    /// is below the target and `Block(h)` is the handle of the first key at or above it.
    #[test]
    fn locate_names_the_first_index_entry_at_or_above_the_target() {
        let mut rng = StdRng::seed_from_u64(12);
        let mut answered = 0;
        for round in 0..300 {
            let (user_keys, keys) = random_index_keys(&mut rng, round);
            // Handles that tile the data region, as a builder writes them.
            let mut handles = Vec::new();
            let mut at = 0u64;
            for _ in &keys {
                let size = rng.random_range(0..5000);
                handles.push(BlockHandle { offset: at, size });
                at += size + BLOCK_TRAILER_LEN as u64;
            }
            let mut b = BlockBuilder::new(1, KeyOrder::Internal);
            for (k, h) in keys.iter().zip(&handles) {
                let mut v = Vec::new();
                h.encode_to(&mut v);
                b.add(k, &v);
            }
            let block = Block::new(Bytes::from(b.finish().to_vec())).unwrap();
            let p = RestartPrefixes::build(&block).unwrap();
            assert!(p.block_starts.is_some());
            for _ in 0..50 {
                let probe = random_probe(&mut rng, &user_keys, round);
                let seq = rng.random_range(0..100);
                let t = make_internal_key(&probe, seq, KIND_SEEK);
                let want = match keys
                    .iter()
                    .position(|k| key::compare_internal_keys(k, &t) != Ordering::Less)
                {
                    Some(i) => Located::Block(handles[i]),
                    None => Located::PastEnd,
                };
                if let Some(got) = p.locate(&probe) {
                    answered += 1;
                    assert_eq!(got, want, "probe {probe:?} seq {seq}");
                }
            }
        }
        // Most probes are decided by the summaries alone.
        assert!(answered > 300 * 50 / 2, "{answered} answered");
    }

    /// An index whose handles leave a gap keeps no block starts (lookups seek the index).
    #[test]
    fn an_index_whose_handles_do_not_tile_keeps_no_block_starts() {
        let mut b = BlockBuilder::new(1, KeyOrder::Internal);
        for (i, offset) in [0u64, 100, 250].into_iter().enumerate() {
            let mut v = Vec::new();
            BlockHandle { offset, size: 90 }.encode_to(&mut v);
            b.add(&make_internal_key(format!("k{i}").as_bytes(), 1, 1), &v);
        }
        let block = Block::new(Bytes::from(b.finish().to_vec())).unwrap();
        let p = RestartPrefixes::build(&block).unwrap();
        // 0 + 90 + 5 = 95, not 100.
        assert!(p.block_starts.is_none());
        assert_eq!(p.locate(b"k1"), None);
    }

    /// An index with entries between its restart points keeps no block starts (restart `i`
    /// would not be index entry `i`), even when the restart entries' handles alone tile.
    #[test]
    fn an_index_with_entries_between_restarts_keeps_no_block_starts() {
        let mut b = BlockBuilder::new(2, KeyOrder::Internal);
        for i in 0..6u64 {
            let mut v = Vec::new();
            // Restart entries (even i) tile [0, 300); the others point elsewhere.
            let offset = if i % 2 == 0 {
                i / 2 * 100
            } else {
                1000 + i * 100
            };
            BlockHandle {
                offset,
                size: 100 - BLOCK_TRAILER_LEN as u64,
            }
            .encode_to(&mut v);
            b.add(&make_internal_key(format!("k{i}").as_bytes(), 1, 1), &v);
        }
        let block = Block::new(Bytes::from(b.finish().to_vec())).unwrap();
        assert_eq!(block.num_restarts(), 3);
        let p = RestartPrefixes::build(&block).unwrap();
        assert!(p.block_starts.is_none());
        assert_eq!(p.locate(b"k3"), None);
    }
}
