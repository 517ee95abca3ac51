//! The conflict log: which keys were committed at which seq, for commit-time validation.
//!
//! The commit leader owns it (it lives in `WalState`, under the `wal` lock): it validates
//! each transaction of a group in queue order against the log, then records the keys of
//! every batch it accepts, so later members of the same group are validated against earlier
//! ones too. Keys are recorded only while some transaction is live (the leader decides when
//! it publishes, see `watermark.rs`); otherwise the log is empty and its floor follows the
//! last published seq.
//!
//! Invariants:
//! - **completeness**: every batch committed with a seq > `floor` has all its keys in
//!   `history` (in seq order) and each key's newest such seq in `latest`;
//! - a transaction with read seq r can be validated iff r >= `floor`; one with r < `floor`
//!   (its history was pruned past the memory bound) fails with `Conflict { kind: TooOld }`;
//! - entries at or below the oldest live transaction's read seq are pruned, and `bytes`
//!   (an estimate of the memory held) stays <= `max_bytes` after every call.
//!
//! Validation compares full keys (no hashing). It picks the cheaper of two exact methods:
//! look each key of the transaction up in `latest` (O(k log n)), or walk the history newer
//! than the read seq, testing each committed key against the transaction's sorted sets and
//! interval index (O(m log k)). Scanned intervals always use the walk.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;

use crate::batch::WriteBatch;
use crate::error::{ConflictKind, Error, Result};
use crate::key::SeqNum;
use crate::mvcc::readset::KeyRanges;
use crate::options::Isolation;

/// Estimated bytes of bookkeeping per recorded key beyond the key itself (a history slot, a
/// map node share, two `Bytes` handles).
const ENTRY_OVERHEAD: usize = 96;

/// What a committing transaction asks the leader to check.
#[derive(Debug)]
pub(crate) struct TxnCheck {
    /// The transaction's snapshot: commits above it are concurrent.
    pub read_seq: SeqNum,
    /// `Snapshot`: check `writes`; `Serializable`: check `points` and `ranges`.
    pub isolation: Isolation,
    /// Keys written (sorted, unique).
    pub writes: Vec<Bytes>,
    /// Keys read by `get`, misses included (sorted, unique).
    pub points: Vec<Bytes>,
    /// Intervals scanned.
    pub ranges: KeyRanges,
}

impl TxnCheck {
    fn has_reads(&self) -> bool {
        !self.points.is_empty() || !self.ranges.is_empty()
    }

    /// Whether this check can fail at all.
    fn validates_anything(&self) -> bool {
        match self.isolation {
            Isolation::Snapshot => !self.writes.is_empty(),
            Isolation::Serializable => self.has_reads(),
        }
    }

    /// A key to name in a `TooOld` error.
    fn some_key(&self) -> Bytes {
        self.writes
            .first()
            .or(self.points.first())
            .cloned()
            .unwrap_or_default()
    }
}

/// Keys committed after the oldest live transaction's snapshot.
#[derive(Debug)]
pub(crate) struct ConflictLog {
    /// Key -> newest recorded commit seq.
    latest: BTreeMap<Bytes, SeqNum>,
    /// (seq, key) in commit order, for pruning and for walking recent commits.
    history: VecDeque<(SeqNum, Bytes)>,
    /// Commits at or below this seq may be missing.
    floor: SeqNum,
    bytes: usize,
    max_bytes: usize,
}

fn conflict(key: &Bytes, kind: ConflictKind) -> Error {
    Error::Conflict {
        key: key.clone(),
        kind,
    }
}

impl ConflictLog {
    /// An empty log: nothing committed above `last_seq` yet.
    pub(crate) fn new(last_seq: SeqNum, max_bytes: usize) -> ConflictLog {
        ConflictLog {
            latest: BTreeMap::new(),
            history: VecDeque::new(),
            floor: last_seq,
            bytes: 0,
            max_bytes,
        }
    }

    /// Commits at or below this seq may be missing from the log.
    #[cfg(test)]
    pub(crate) fn floor(&self) -> SeqNum {
        self.floor
    }

    /// Recorded keys (history entries).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.history.len()
    }

    /// Estimated bytes held.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// `Err(Conflict)` if a commit above `check.read_seq` breaks the transaction's isolation
    /// level (or the log no longer reaches back to it: `TooOld`).
    pub(crate) fn validate(&self, check: &TxnCheck) -> Result<()> {
        if !check.validates_anything() {
            return Ok(());
        }
        if check.read_seq < self.floor {
            return Err(conflict(&check.some_key(), ConflictKind::TooOld));
        }
        let newer_from = self.history.partition_point(|(s, _)| *s <= check.read_seq);
        let newer = self.history.len() - newer_from;
        if newer == 0 {
            return Ok(());
        }
        let (keys, kind) = match check.isolation {
            Isolation::Snapshot => (&check.writes, ConflictKind::WriteWrite),
            Isolation::Serializable => (&check.points, ConflictKind::ReadWrite),
        };
        let walk = !check.ranges.is_empty() && check.isolation == Isolation::Serializable;
        if !walk && keys.len() <= newer {
            for k in keys {
                if self.latest.get(k).is_some_and(|s| *s > check.read_seq) {
                    return Err(conflict(k, kind));
                }
            }
            return Ok(());
        }
        for (_, k) in self.history.range(newer_from..) {
            if keys.binary_search(k).is_ok() {
                return Err(conflict(k, kind));
            }
            if walk && check.ranges.contains(k) {
                return Err(conflict(k, ConflictKind::Phantom));
            }
        }
        Ok(())
    }

    /// Records every key of `batch`, committed at consecutive seqs from `first_seq`.
    pub(crate) fn record(&mut self, batch: &WriteBatch, first_seq: SeqNum) {
        debug_assert!(first_seq > self.floor);
        for (seq, rec) in (first_seq..).zip(batch.records()) {
            let key = Bytes::copy_from_slice(rec.key);
            debug_assert!(self.history.back().is_none_or(|(s, _)| *s < seq));
            self.bytes += key.len() + ENTRY_OVERHEAD;
            self.latest.insert(key.clone(), seq);
            self.history.push_back((seq, key));
        }
        while self.bytes > self.max_bytes {
            if let Some(popped) = self.pop_oldest() {
                // Past the bound: transactions older than this commit can no longer be
                // validated and will fail with `TooOld`.
                self.floor = self.floor.max(popped);
            } else {
                break;
            }
        }
    }

    /// Forgets commits at or below `oldest_read` (the oldest live transaction's read seq).
    pub(crate) fn prune(&mut self, oldest_read: SeqNum) {
        while self.history.front().is_some_and(|(s, _)| *s <= oldest_read) {
            self.pop_oldest();
        }
        self.floor = self.floor.max(oldest_read);
    }

    /// No transaction is live: forget everything; history is complete above `last_seq`.
    pub(crate) fn reset(&mut self, last_seq: SeqNum) {
        if !self.history.is_empty() {
            self.history.clear();
            self.latest.clear();
            self.bytes = 0;
        }
        self.floor = self.floor.max(last_seq);
    }

    fn pop_oldest(&mut self) -> Option<SeqNum> {
        let (seq, key) = self.history.pop_front()?;
        if self.latest.get(&key) == Some(&seq) {
            self.latest.remove(&key);
        }
        self.bytes -= key.len() + ENTRY_OVERHEAD;
        Some(seq)
    }
}

#[cfg(test)]
mod tests;
