//! The registry of live read points and the watermark.
//!
//! Every live snapshot and transaction registers its read sequence here; the **watermark** is
//! the smallest registered seq, or the last visible seq when none is registered. Compaction
//! keeps every version above the watermark and the newest version at or below it.
//! Iterators do not register: each pins the memtables and files it reads, and neither flush
//! nor compaction ever changes a pinned source, so GC cannot take a version from under one.
//!
//! Threading: one mutex guards both counts. Registration reads `last_visible` under it, and
//! the commit leader publishes `last_visible` under it ([`ReadPoints::publish`]), so:
//! - a compaction computing the watermark never misses a reader that is registering;
//! - a transaction registering concurrently with a commit either has the commit in its
//!   snapshot (it registered after the publish) or was counted by the publish (it registered
//!   before), in which case the leader records the commit's keys in the conflict log.
//!
//! Cost: O(log n) per register/unregister/publish (`BTreeMap`s of seq -> count).

use crate::sync::Mutex;
use crate::sync::atomic::{AtomicU64, Ordering};
use std::collections::BTreeMap;

use crate::key::SeqNum;

/// What holds a read point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holder {
    /// A snapshot: counts in the watermark only.
    Snapshot,
    /// A transaction: counts in the watermark and keeps commits recorded for validation.
    Transaction,
}

#[derive(Debug, Default)]
struct Registry {
    /// Read seq -> live registrations of any holder.
    held: BTreeMap<SeqNum, usize>,
    /// Read seq -> live transactions (a subset of `held`).
    txns: BTreeMap<SeqNum, usize>,
}

/// Live read points.
#[derive(Debug, Default)]
pub(crate) struct ReadPoints {
    registry: Mutex<Registry>,
}

fn add(map: &mut BTreeMap<SeqNum, usize>, seq: SeqNum) {
    *map.entry(seq).or_insert(0) += 1;
}

fn remove(map: &mut BTreeMap<SeqNum, usize>, seq: SeqNum) {
    match map.get_mut(&seq) {
        Some(count) if *count > 1 => *count -= 1,
        Some(_) => {
            map.remove(&seq);
        }
        None => debug_assert!(false, "unregistering a read point that is not registered"),
    }
}

impl ReadPoints {
    /// Registers the current value of `last_visible` for a snapshot and returns it.
    pub(crate) fn register(&self, last_visible: &AtomicU64) -> SeqNum {
        self.register_as(last_visible, Holder::Snapshot)
    }

    /// Registers the current value of `last_visible` for `holder` and returns it.
    pub(crate) fn register_as(&self, last_visible: &AtomicU64, holder: Holder) -> SeqNum {
        let mut reg = self.registry.lock();
        let seq = last_visible.load(Ordering::Acquire);
        add(&mut reg.held, seq);
        if holder == Holder::Transaction {
            add(&mut reg.txns, seq);
        }
        seq
    }

    /// Drops one snapshot registration of `seq`.
    pub(crate) fn unregister(&self, seq: SeqNum) {
        self.unregister_as(seq, Holder::Snapshot);
    }

    /// Drops one registration of `seq` by `holder`.
    pub(crate) fn unregister_as(&self, seq: SeqNum, holder: Holder) {
        let mut reg = self.registry.lock();
        remove(&mut reg.held, seq);
        if holder == Holder::Transaction {
            remove(&mut reg.txns, seq);
        }
    }

    /// Publishes `seq` as the last visible seq (commit leader only) and returns the read seq
    /// of the oldest live transaction (`None`: no transaction is live, so nobody needs the
    /// published commit recorded).
    pub(crate) fn publish(&self, last_visible: &AtomicU64, seq: SeqNum) -> Option<SeqNum> {
        let reg = self.registry.lock();
        debug_assert!(last_visible.load(Ordering::Relaxed) <= seq);
        last_visible.store(seq, Ordering::Release);
        reg.txns.keys().next().copied()
    }

    /// The smallest registered seq, or `last_visible` when none is registered.
    pub(crate) fn watermark(&self, last_visible: &AtomicU64) -> SeqNum {
        let reg = self.registry.lock();
        let last = last_visible.load(Ordering::Acquire);
        reg.held
            .keys()
            .next()
            .copied()
            .map_or(last, |s| s.min(last))
    }

    /// Number of live registrations (snapshots and transactions).
    pub(crate) fn count(&self) -> usize {
        self.registry.lock().held.values().sum()
    }

    /// Number of live transactions.
    pub(crate) fn transactions(&self) -> usize {
        self.registry.lock().txns.values().sum()
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

    #[test]
    fn transactions_count_in_the_watermark_and_in_publish() {
        let last = AtomicU64::new(5);
        let rp = ReadPoints::default();
        assert_eq!(rp.publish(&last, 7), None);
        let t1 = rp.register_as(&last, Holder::Transaction);
        assert_eq!(t1, 7);
        let s = rp.register(&last);
        assert_eq!(rp.publish(&last, 9), Some(7));
        let t2 = rp.register_as(&last, Holder::Transaction);
        assert_eq!((t2, rp.transactions(), rp.count()), (9, 2, 3));
        assert_eq!(rp.watermark(&last), 7);
        rp.unregister_as(t1, Holder::Transaction);
        assert_eq!(rp.watermark(&last), 7, "the snapshot still holds 7");
        assert_eq!(rp.publish(&last, 12), Some(9));
        rp.unregister(s);
        rp.unregister_as(t2, Holder::Transaction);
        assert_eq!(rp.publish(&last, 13), None);
        assert_eq!(rp.watermark(&last), 13);
    }
}
