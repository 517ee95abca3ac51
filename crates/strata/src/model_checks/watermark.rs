//! The read points and the watermark under shuttle: the real [`ReadPoints`], the real
//! [`ConflictLog`] and the leader's real [`publish_group`].
//!
//! Threads: a committer publishes three one-key commits (as the commit leader, under a
//! `wal` lock); two transactions register, then validate a write of the same key under the
//! `wal` lock (as a commit would) and unregister; a snapshot registers and unregisters; a
//! compaction computes the watermark three times. Checked against the model:
//! - a transaction registering concurrently with a commit either sees it (read seq >= the
//!   commit's seq) or the commit is recorded for it: validation fails with `WriteWrite`
//!   exactly when a commit above its read seq exists (never `TooOld`, never a miss);
//! - the watermark never exceeds a live registration (the model's live set, updated after
//!   register and before unregister), never exceeds `last_visible`, never goes backwards.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use crate::batch::WriteBatch;
use crate::db::write::publish_group;
use crate::error::{ConflictKind, Error};
use crate::mvcc::conflict::{ConflictLog, TxnCheck};
use crate::mvcc::readset::KeyRanges;
use crate::mvcc::watermark::{Holder, ReadPoints};
use crate::options::Isolation;
use crate::sync::Mutex;
use crate::sync::atomic::{AtomicU64, Ordering};

const KEY: &[u8] = b"hot";
const COMMITS: u64 = 3;

struct Harness {
    read_points: ReadPoints,
    last_visible: AtomicU64,
    /// The leader's conflict log (as `WalState::conflicts`, under the `wal` lock).
    wal: Mutex<ConflictLog>,
    /// The model: seq -> registrations known to be live (added after `register`, removed
    /// before `unregister`, so every seq in it is registered while the lock is held).
    live: Mutex<BTreeMap<u64, usize>>,
}

impl Harness {
    fn register(&self, holder: Holder) -> u64 {
        let seq = self.read_points.register_as(&self.last_visible, holder);
        *self.live.lock().entry(seq).or_insert(0) += 1;
        seq
    }

    fn unregister(&self, seq: u64, holder: Holder) {
        {
            let mut live = self.live.lock();
            match live.get_mut(&seq) {
                Some(n) if *n > 1 => *n -= 1,
                _ => {
                    live.remove(&seq);
                }
            }
        }
        self.read_points.unregister_as(seq, holder);
    }
}

fn read_points() {
    let h = Arc::new(Harness {
        read_points: ReadPoints::default(),
        last_visible: AtomicU64::new(0),
        wal: Mutex::new(ConflictLog::new(0, 1 << 20)),
        live: Mutex::new(BTreeMap::new()),
    });
    let mut threads = Vec::new();
    threads.push({
        let h = Arc::clone(&h);
        shuttle::thread::spawn(move || {
            for seq in 1..=COMMITS {
                let mut batch = WriteBatch::new();
                batch.put(KEY, seq.to_le_bytes());
                let mut wal = h.wal.lock();
                publish_group(
                    &h.read_points,
                    &h.last_visible,
                    &mut wal,
                    (seq, seq),
                    std::iter::once(&batch),
                    false,
                );
            }
        })
    });
    for _ in 0..2 {
        let h = Arc::clone(&h);
        threads.push(shuttle::thread::spawn(move || {
            let read_seq = h.register(Holder::Transaction);
            shuttle::thread::yield_now();
            {
                let wal = h.wal.lock();
                // Commits are published under the `wal` lock: this is every commit so far.
                let committed = h.last_visible.load(Ordering::SeqCst);
                let check = TxnCheck {
                    read_seq,
                    isolation: Isolation::Snapshot,
                    writes: vec![Bytes::from_static(KEY)],
                    points: Vec::new(),
                    ranges: KeyRanges::default(),
                };
                match wal.validate(&check) {
                    Ok(()) => assert!(
                        committed <= read_seq,
                        "commit {committed} missed by a transaction reading at {read_seq}"
                    ),
                    Err(Error::Conflict {
                        kind: ConflictKind::WriteWrite,
                        ..
                    }) => assert!(committed > read_seq, "a conflict with nothing newer"),
                    Err(e) => panic!("read seq {read_seq}, committed {committed}: {e}"),
                }
            }
            h.unregister(read_seq, Holder::Transaction);
        }));
    }
    threads.push({
        let h = Arc::clone(&h);
        shuttle::thread::spawn(move || {
            let seq = h.register(Holder::Snapshot);
            shuttle::thread::yield_now();
            h.unregister(seq, Holder::Snapshot);
        })
    });
    threads.push({
        let h = Arc::clone(&h);
        shuttle::thread::spawn(move || {
            let mut prev = 0;
            for _ in 0..3 {
                let live = h.live.lock();
                let wm = h.read_points.watermark(&h.last_visible);
                if let Some((&oldest, _)) = live.iter().next() {
                    assert!(
                        wm <= oldest,
                        "watermark {wm} above live read point {oldest}"
                    );
                }
                drop(live);
                assert!(wm <= h.last_visible.load(Ordering::SeqCst));
                assert!(wm >= prev, "watermark went back from {prev} to {wm}");
                prev = wm;
            }
        })
    });
    for t in threads {
        #[allow(clippy::unwrap_used, reason = "a thread's panic fails the check")]
        t.join().unwrap();
    }
    assert_eq!(h.read_points.count(), 0);
    assert_eq!(h.read_points.watermark(&h.last_visible), COMMITS);
}

#[test]
fn shuttle_read_points_and_watermark() {
    super::explore("read points", 2000, 2000, read_points);
}
