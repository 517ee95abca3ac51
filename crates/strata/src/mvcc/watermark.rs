//! The registry of live read points and the watermark.
//!
//! Every live snapshot (and, with the transactions issue, transaction) registers its read
//! sequence here; the **watermark** is the smallest registered seq, or the last visible seq
//! when none is registered. Compaction keeps every version above the watermark and the newest
//! version at or below it.
//!
//! Registration reads the last visible seq under the registry's lock, so a compaction that
//! computes the watermark under the same lock never misses a reader that is registering.
//! Cost: O(log n) per register/unregister (a `BTreeMap` of seq -> count).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::key::SeqNum;

/// Live read points.
#[derive(Debug, Default)]
pub(crate) struct ReadPoints {
    held: Mutex<BTreeMap<SeqNum, usize>>,
}

impl ReadPoints {
    /// Registers the current value of `last_visible` and returns it.
    pub(crate) fn register(&self, last_visible: &AtomicU64) -> SeqNum {
        let mut held = self.held.lock();
        let seq = last_visible.load(Ordering::Acquire);
        *held.entry(seq).or_insert(0) += 1;
        seq
    }

    /// Drops one registration of `seq`.
    pub(crate) fn unregister(&self, seq: SeqNum) {
        let mut held = self.held.lock();
        if let Some(count) = held.get_mut(&seq) {
            *count -= 1;
            if *count == 0 {
                held.remove(&seq);
            }
        } else {
            debug_assert!(false, "unregistering a read point that is not registered");
        }
    }

    /// The smallest registered seq, or `last_visible` when none is registered.
    pub(crate) fn watermark(&self, last_visible: &AtomicU64) -> SeqNum {
        let held = self.held.lock();
        let last = last_visible.load(Ordering::Acquire);
        held.keys().next().copied().map_or(last, |s| s.min(last))
    }

    /// Number of live registrations.
    pub(crate) fn count(&self) -> usize {
        self.held.lock().values().sum()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn watermark_tracks_the_oldest_registration() {
        let last = AtomicU64::new(10);
        let rp = ReadPoints::default();
        assert_eq!(rp.watermark(&last), 10);
        assert_eq!(rp.register(&last), 10);
        last.store(20, Ordering::Release);
        assert_eq!(rp.register(&last), 20);
        assert_eq!(rp.register(&last), 20);
        assert_eq!(rp.watermark(&last), 10);
        rp.unregister(10);
        assert_eq!(rp.watermark(&last), 20);
        rp.unregister(20);
        assert_eq!(rp.count(), 1);
        rp.unregister(20);
        last.store(30, Ordering::Release);
        assert_eq!(rp.watermark(&last), 30);
    }
}
