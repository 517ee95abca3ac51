//! The commit pipeline under shuttle: the real [`CommitQueue`] with a leader that does what
//! `commit_group` does, in the same order, with the real pieces (a real [`MemTable`], the real
//! [`ReadPoints`] and [`publish_group`]) but no WAL or files.
//!
//! Threads: two writers submit two batches each (every batch puts the same three keys with
//! the batch's id as value), one thread submits a `Sync` then a `Freeze`, one reader takes
//! snapshots. Checked against the model:
//! - every submitter gets exactly one result, its own: a write's is the last seq of its batch;
//! - the batches' seq ranges are disjoint, consecutive, and cover `1..=total`;
//! - only one leader runs at a time; a `Freeze` or `Sync` runs alone;
//! - a reader's snapshot never sees a batch in part (all three keys hold one batch's id);
//!   `last_visible` never goes backwards;
//! - no schedule deadlocks (no lost wakeup): shuttle fails a schedule where all threads wait.

use std::sync::Arc;

use crate::batch::WriteBatch;
use crate::db::write::{CommitQueue, Op, publish_group};
use crate::error::Result;
use crate::key::ValueKind;
use crate::memtable::MemTable;
use crate::mvcc::conflict::ConflictLog;
use crate::mvcc::watermark::ReadPoints;
use crate::sync::Mutex;
use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

const KEYS: [&[u8]; 3] = [b"k-one", b"k-two-is-long", b"k3"];
const WRITERS: u64 = 2;
const BATCHES_PER_WRITER: u64 = 2;
/// What a `Freeze` returns in this harness (a `Sync` returns 0).
const FROZEN: u64 = u64::MAX;

/// The leader's state, as `WalState` (under its lock).
struct Wal {
    next_seq: u64,
    conflicts: ConflictLog,
}

struct Harness {
    queue: CommitQueue,
    wal: Mutex<Wal>,
    mem: MemTable,
    read_points: ReadPoints,
    last_visible: AtomicU64,
    /// Leaders running now (must never exceed 1).
    leaders: AtomicUsize,
}

impl Harness {
    /// The leader: number, insert, publish, one result per op (as `DbInner::commit_group`).
    fn lead(&self, ops: Vec<Op>) -> Vec<Result<u64>> {
        assert_eq!(
            self.leaders.fetch_add(1, Ordering::SeqCst),
            0,
            "two leaders"
        );
        let results = match ops.first() {
            Some(Op::Freeze | Op::Sync) => {
                assert_eq!(ops.len(), 1, "a Freeze or Sync runs alone");
                let frozen = matches!(ops.first(), Some(Op::Freeze));
                vec![Ok(if frozen { FROZEN } else { 0 })]
            }
            _ => self.commit_group(&ops),
        };
        assert_eq!(self.leaders.fetch_sub(1, Ordering::SeqCst), 1);
        results
    }

    fn commit_group(&self, ops: &[Op]) -> Vec<Result<u64>> {
        let mut wal = self.wal.lock();
        let first_seq = wal.next_seq;
        let mut seq = first_seq;
        let mut results = Vec::new();
        let mut batches = Vec::new();
        for op in ops {
            let Op::Write { batch, .. } = op else {
                panic!("a Freeze, Sync or Taken op in a write group");
            };
            for rec in batch.records() {
                #[allow(clippy::unwrap_used, reason = "the arena grows in memory")]
                self.mem.add(seq, rec.kind, rec.key, rec.value).unwrap();
                seq += 1;
            }
            results.push(Ok(seq - 1));
            batches.push(batch);
        }
        let last_seq = seq - 1;
        wal.next_seq = seq;
        let Wal { conflicts, .. } = &mut *wal;
        publish_group(
            &self.read_points,
            &self.last_visible,
            conflicts,
            (first_seq, last_seq),
            batches.into_iter(),
            false,
        );
        results
    }

    fn submit(&self, op: Op) -> Result<u64> {
        self.queue.submit(op, true, |ops| self.lead(ops))
    }
}

fn batch_of(id: u64) -> WriteBatch {
    let mut b = WriteBatch::new();
    for k in KEYS {
        b.put(k, id.to_le_bytes());
    }
    b
}

fn pipeline() {
    let h = Arc::new(Harness {
        queue: CommitQueue::default(),
        wal: Mutex::new(Wal {
            next_seq: 1,
            conflicts: ConflictLog::new(0, 1 << 20),
        }),
        #[allow(clippy::unwrap_used, reason = "a small in-memory arena")]
        mem: MemTable::with_size_hint(1, 0).unwrap(),
        read_points: ReadPoints::default(),
        last_visible: AtomicU64::new(0),
        leaders: AtomicUsize::new(0),
    });
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let h = Arc::clone(&h);
        writers.push(shuttle::thread::spawn(move || {
            let mut got = Vec::new();
            for b in 0..BATCHES_PER_WRITER {
                let id = 1 + w * BATCHES_PER_WRITER + b;
                let r = h.submit(Op::Write {
                    batch: batch_of(id),
                    sync: b == 0,
                    check: None,
                });
                match r {
                    Ok(last) => got.push((id, last)),
                    Err(e) => panic!("batch {id} failed: {e}"),
                }
            }
            got
        }));
    }
    let control = {
        let h = Arc::clone(&h);
        shuttle::thread::spawn(move || {
            assert!(
                matches!(h.submit(Op::Sync), Ok(0)),
                "a Sync gets its own result"
            );
            assert!(
                matches!(h.submit(Op::Freeze), Ok(FROZEN)),
                "a Freeze gets its own"
            );
        })
    };
    let reader = {
        let h = Arc::clone(&h);
        shuttle::thread::spawn(move || {
            let mut prev = 0;
            for _ in 0..3 {
                let seq = h.read_points.register(&h.last_visible);
                assert!(seq >= prev, "last_visible went back from {prev} to {seq}");
                prev = seq;
                let seen: Vec<Option<Vec<u8>>> = KEYS
                    .iter()
                    .map(|k| match h.mem.get(k, seq) {
                        Some((ValueKind::Put, v)) => Some(v.to_vec()),
                        Some((kind, _)) => panic!("unexpected kind {kind:?}"),
                        None => None,
                    })
                    .collect();
                assert!(
                    seen.windows(2).all(|w| w[0] == w[1]),
                    "a batch partly visible at seq {seq}: {seen:?}"
                );
                assert_eq!(seen[0].is_none(), seq == 0, "seq {seq} shows {seen:?}");
                h.read_points.unregister(seq);
            }
        })
    };
    let mut ranges = Vec::new();
    for w in writers {
        #[allow(clippy::unwrap_used, reason = "a writer's panic fails the check")]
        ranges.extend(w.join().unwrap());
    }
    #[allow(clippy::unwrap_used, reason = "a panic fails the check")]
    control.join().unwrap();
    #[allow(clippy::unwrap_used, reason = "a panic fails the check")]
    reader.join().unwrap();

    // Seq ranges: disjoint, consecutive, covering 1..=total, each batch's own.
    let count = KEYS.len() as u64;
    let total = WRITERS * BATCHES_PER_WRITER * count;
    ranges.sort_by_key(|&(_, last)| last);
    let mut expect_last = 0;
    for &(id, last) in &ranges {
        expect_last += count;
        assert_eq!(
            last, expect_last,
            "batch {id} did not get the next {count} seqs"
        );
        for (seq, k) in (last + 1 - count..=last).zip(KEYS) {
            let got = h.mem.get(k, seq).map(|(_, v)| v.to_vec());
            assert_eq!(
                got,
                Some(id.to_le_bytes().to_vec()),
                "key {k:?} at seq {seq}"
            );
        }
    }
    assert_eq!(expect_last, total);
    assert_eq!(h.last_visible.load(Ordering::SeqCst), total);
    assert_eq!(h.read_points.count(), 0);
}

#[test]
fn shuttle_commit_pipeline() {
    super::explore("commit pipeline", 2000, 2000, pipeline);
}
