//! The garbage-collection rule of flushes and compactions (SPEC §7), as a pure decision over
//! one user key's versions at a time, newest first.
//!
//! For each user key:
//! - every version with seq > watermark is kept (some snapshot or transaction may read it);
//! - the newest version <= watermark is kept, unless it is a tombstone in a bottom job (no
//!   older data lies below the output, so the tombstone hides nothing) or a compaction
//!   filter matches the key;
//! - every older version is dropped (no reader can reach past the newest one <= watermark).
//!
//! Callers feed internal entries in internal-key order: [`Gc::start_key`] at each new user
//! key, then [`Gc::keep`] for each of its versions (seqs descending).

use crate::key::{SeqNum, ValueKind};
use crate::mvcc::CompactionFilter;

/// The decision state for one job.
#[derive(Debug)]
pub(crate) struct Gc<'a> {
    watermark: SeqNum,
    bottom: bool,
    filters: &'a [CompactionFilter],
    /// The current key matches a filter.
    filtered: bool,
    /// The current key's newest version <= watermark was already seen.
    seen_at_or_below: bool,
    #[cfg(debug_assertions)]
    last_seq: Option<SeqNum>,
}

impl<'a> Gc<'a> {
    pub(crate) fn new(watermark: SeqNum, bottom: bool, filters: &'a [CompactionFilter]) -> Self {
        Gc {
            watermark,
            bottom,
            filters,
            filtered: false,
            seen_at_or_below: false,
            #[cfg(debug_assertions)]
            last_seq: None,
        }
    }

    /// A new user key begins.
    pub(crate) fn start_key(&mut self, user_key: &[u8]) {
        self.seen_at_or_below = false;
        self.filtered =
            !self.filters.is_empty() && self.filters.iter().any(|f| f.matches(user_key));
        #[cfg(debug_assertions)]
        {
            self.last_seq = None;
        }
    }

    /// Whether the next (older) version of the current key stays.
    pub(crate) fn keep(&mut self, seq: SeqNum, kind: ValueKind) -> bool {
        #[cfg(debug_assertions)]
        {
            debug_assert!(
                self.last_seq.is_none_or(|s| s > seq),
                "versions newest first"
            );
            self.last_seq = Some(seq);
        }
        if seq > self.watermark {
            return true;
        }
        if self.seen_at_or_below {
            return false;
        }
        self.seen_at_or_below = true;
        let drop_tombstone = self.bottom && kind == ValueKind::Delete;
        !(self.filtered || drop_tombstone)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    type Version = (SeqNum, ValueKind);

    /// The model: what a reader at each read seq r in `readers` (plus "now") sees for one
    /// key must be the same before and after GC, and GC keeps nothing else beyond the rule's
    /// allowance.
    fn visible(versions: &[Version], r: SeqNum) -> Option<Version> {
        versions.iter().copied().find(|(s, _)| *s <= r)
    }

    #[test]
    fn gc_keeps_exactly_what_readers_above_the_watermark_can_see() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..5000 {
            let n = rng.random_range(1..8);
            let mut seqs: Vec<SeqNum> = (0..n).map(|_| rng.random_range(1..40)).collect();
            seqs.sort_unstable_by(|a, b| b.cmp(a));
            seqs.dedup();
            let versions: Vec<Version> = seqs
                .iter()
                .map(|s| {
                    let kind = if rng.random_bool(0.3) {
                        ValueKind::Delete
                    } else {
                        ValueKind::Put
                    };
                    (*s, kind)
                })
                .collect();
            let watermark = rng.random_range(0..45);
            let bottom = rng.random_bool(0.5);
            let mut gc = Gc::new(watermark, bottom, &[]);
            gc.start_key(b"k");
            let kept: Vec<Version> = versions
                .iter()
                .copied()
                .filter(|(s, k)| gc.keep(*s, *k))
                .collect();
            // Every read seq >= watermark answers the same.
            for r in watermark..50 {
                let before = visible(&versions, r).filter(|(_, k)| *k == ValueKind::Put);
                let after = visible(&kept, r).filter(|(_, k)| *k == ValueKind::Put);
                assert_eq!(before, after, "{versions:?} wm {watermark} r {r}");
                if !bottom {
                    // Not bottom: tombstones must still hide older data below the output.
                    assert_eq!(visible(&versions, r), visible(&kept, r));
                }
            }
            // Exactly: all above the watermark, plus at most the newest at or below it.
            let above = versions.iter().filter(|(s, _)| *s > watermark).count();
            let newest_below = versions.iter().find(|(s, _)| *s <= watermark);
            let expect = above
                + usize::from(newest_below.is_some_and(|(_, k)| !bottom || *k == ValueKind::Put));
            assert_eq!(kept.len(), expect);
        }
    }

    #[test]
    fn filters_drop_everything_at_or_below_the_watermark() {
        let filters = [CompactionFilter::Prefix(b"tmp:".to_vec())];
        let mut gc = Gc::new(10, false, &filters);
        gc.start_key(b"tmp:a");
        let kept: Vec<bool> = [12, 11, 10, 5]
            .iter()
            .map(|s| gc.keep(*s, ValueKind::Put))
            .collect();
        assert_eq!(kept, vec![true, true, false, false]);
        gc.start_key(b"user:a");
        assert!(gc.keep(10, ValueKind::Put));
        assert!(!gc.keep(5, ValueKind::Put));
    }
}
