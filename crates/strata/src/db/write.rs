//! The write path: a commit queue with leader-based group commit.
//!
//! A writer enqueues a slot and waits. The writer at the front of the queue is the **leader**:
//! it takes a group of consecutive write slots (up to [`GROUP_BYTES`]), releases the queue
//! lock, validates the group's transactions in queue order against the conflict log (a
//! rejected one gets `Error::Conflict` and nothing else: no seq, no WAL bytes), assigns
//! consecutive seqs to the accepted ops, appends one WAL record per batch with one
//! `write(2)`, syncs once if any member asked for it, inserts every record into the memtable,
//! publishes the group's last seq (recording its keys if a transaction is live), then marks
//! the members done and wakes them, each on its own condvar, and the next leader last (writers
//! waiting for a later group sleep on). Only the leader touches the WAL and freezes memtables,
//! so both need no further coordination with writers.
//!
//! Durable order: the WAL append (and fsync for sync writes) happens before the memtable
//! insert, which happens before the seq is published — so nothing becomes visible that a
//! crash could take back (for sync writes), and no batch is ever partly visible.
//!
//! `Freeze` and `Sync` slots run alone through the same queue, so `flush()` and `sync()`
//! are ordered with writes without extra locking.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::sync::{Condvar, Mutex};

use crate::batch::WriteBatch;
use crate::db::state::{DbInner, SuperVersion, WalState};
use crate::error::{Error, Result};
use crate::filename;
use crate::key::MAX_SEQUENCE;
use crate::memtable::MemTable;
use crate::mvcc::conflict::{ConflictLog, TxnCheck};
use crate::mvcc::watermark::ReadPoints;
use crate::sync::atomic::{AtomicU64, AtomicUsize};
use crate::sync::thread;
use crate::wal::LogWriter;

/// A leader groups at most this many bytes of batches (a single larger batch goes alone).
const GROUP_BYTES: usize = 1 << 20;

pub(crate) enum Op {
    Write {
        batch: WriteBatch,
        sync: bool,
        /// A transaction's commit-time validation (`None` for plain writes).
        check: Option<Box<TxnCheck>>,
    },
    /// Freeze the mutable memtable if it is not empty; the result carries the frozen id.
    Freeze,
    /// Sync the live WAL.
    Sync,
    /// Already taken by a leader.
    Taken,
}

struct Slot {
    op: Op,
    result: Option<Result<u64>>,
    /// Set once the slot is at the front of the queue: its writer leads the next group.
    lead: bool,
}

/// One writer's place in the queue, with a wakeup of its own: a leader wakes exactly its
/// group's members and the next leader, never writers still waiting for a later group.
struct Waiter {
    slot: Mutex<Slot>,
    cv: Condvar,
}

/// Reusable waiters kept by the queue (a lone writer then allocates none per write).
const FREE_WAITERS: usize = 64;

/// The queue's state, under one lock.
#[derive(Default)]
struct Queue {
    /// Pending writes, the leader's at the front.
    pending: VecDeque<Arc<Waiter>>,
    /// Waiters of finished writes, reused by later submits. A waiter here may still be
    /// referenced by the leader that finished it (about to notify it): a stray wakeup is
    /// harmless, since every wait re-checks its condition, and nothing else of it is touched
    /// once it left `pending`.
    free: Vec<Arc<Waiter>>,
}

/// The queue of pending writes.
///
/// Invariants: the front waiter's writer is the only leader; a waiter leaves the queue only
/// when a leader sets its result (the leader's own result is handed over directly); `lead` is
/// set (under the queue lock) only on the front; a waiter is in `pending` at most once and
/// never in `pending` and `free` at once.
/// Lock order: the queue, then a slot.
#[derive(Default)]
pub(crate) struct CommitQueue {
    queue: Mutex<Queue>,
    /// Signalled when the queue becomes empty.
    idle: Condvar,
    /// Slots in the last group led (a hint for the leader's yield, see `submit`).
    last_group: AtomicUsize,
}

impl CommitQueue {
    /// Blocks until the queue is empty (used by close).
    pub(crate) fn wait_idle(&self) {
        let mut q = self.queue.lock();
        while !q.pending.is_empty() {
            self.idle.wait(&mut q);
        }
    }

    /// Runs `op` through the queue and returns its result. If this writer becomes the leader,
    /// `lead` runs its group's ops (this op first) without the queue lock and must return one
    /// result per op, in order; otherwise a leader delivers this op's result. `sync_writes`
    /// says every write syncs (the leader's yield below).
    ///
    /// Invariants: at most one leader runs `lead` at a time (the leader's slot stays at the
    /// front until its group's results are delivered); a group is either consecutive writes
    /// or one `Freeze`/`Sync` alone; every submitter gets exactly one result.
    pub(crate) fn submit(
        &self,
        op: Op,
        sync_writes: bool,
        lead: impl FnOnce(Vec<Op>) -> Vec<Result<u64>>,
    ) -> Result<u64> {
        let wants_sync = sync_writes || matches!(op, Op::Write { sync: true, .. });
        let slot = Slot {
            op,
            result: None,
            lead: false,
        };
        let (me, leads_now) = {
            let mut q = self.queue.lock();
            let me = match q.free.pop() {
                Some(w) => {
                    *w.slot.lock() = slot;
                    w
                }
                None => Arc::new(Waiter {
                    slot: Mutex::new(slot),
                    cv: Condvar::new(),
                }),
            };
            q.pending.push_back(Arc::clone(&me));
            (me, q.pending.len() == 1)
        };
        if !leads_now {
            // Both flags are set under the slot lock before the wakeup, so none is lost.
            let mut slot = me.slot.lock();
            while slot.result.is_none() && !slot.lead {
                me.cv.wait(&mut slot);
            }
            if let Some(result) = slot.result.take() {
                return result;
            }
        }
        // A leader of a sync write among concurrent writers (others were queued before it,
        // or the last group had several members) yields the CPU once before taking its
        // group: the previous group's members, woken just before it, then enqueue their next
        // writes in time to share this group's fsync (8 writers: 6.7-7.5 writes per fsync
        // instead of 4.1-5.2). A lone writer never yields.
        let concurrent = !leads_now || self.last_group.load(Ordering::Relaxed) > 1;
        if concurrent && wants_sync {
            thread::yield_now();
        }
        // We are the leader: take the group's ops out of their slots (no slot lock is held
        // during I/O, so followers and new writers can always enqueue).
        let q = self.queue.lock();
        debug_assert!(q.pending.front().is_some_and(|f| Arc::ptr_eq(f, &me)));
        let mut group = 0usize;
        let mut ops: Vec<Op> = Vec::with_capacity(if q.pending.len() == 1 { 1 } else { 8 });
        let mut bytes = 0usize;
        for w in q.pending.iter() {
            let mut guard = w.slot.lock();
            match &guard.op {
                Op::Write { batch, .. } => {
                    if !ops.is_empty() && bytes + batch.approximate_size() > GROUP_BYTES {
                        break;
                    }
                    bytes += batch.approximate_size();
                }
                Op::Freeze | Op::Sync => {
                    if ops.is_empty() {
                        ops.push(std::mem::replace(&mut guard.op, Op::Taken));
                        group += 1;
                    }
                    break;
                }
                Op::Taken => break,
            }
            ops.push(std::mem::replace(&mut guard.op, Op::Taken));
            group += 1;
        }
        drop(q);

        let results = lead(ops);
        // One result per slot taken, so exactly the group leaves the front of the queue.
        debug_assert!(group > 0 && results.len() == group);
        self.last_group.store(group, Ordering::Relaxed);

        // The leader's own result (the first) is kept here, not stored in its slot.
        let mut mine = None;
        let mut done = Vec::new();
        let mut q = self.queue.lock();
        for r in results {
            if let Some(w) = q.pending.pop_front() {
                if Arc::ptr_eq(&w, &me) {
                    mine = Some(r);
                } else {
                    w.slot.lock().result = Some(r);
                    done.push(w);
                }
            }
        }
        debug_assert!(mine.is_some(), "the leader's slot was at the front");
        let next = q.pending.front().cloned();
        if let Some(w) = &next {
            w.slot.lock().lead = true;
        } else {
            self.idle.notify_all();
        }
        if q.free.len() < FREE_WAITERS {
            q.free.push(me);
        }
        drop(q);
        // Members first, the next leader last: members that write again at once can still
        // join the next group.
        for w in &done {
            w.cv.notify_one();
        }
        if let Some(w) = next {
            w.cv.notify_one();
        }
        mine.unwrap_or(Err(Error::Closed))
    }
}

impl DbInner {
    /// Runs `op` through the commit queue; returns the op's result (for Freeze: the id of the
    /// memtable frozen, 0 if none).
    pub(crate) fn submit(&self, op: Op) -> Result<u64> {
        self.commit
            .submit(op, self.opts.sync_writes, |ops| self.lead(ops))
    }

    /// The leader's work for one group; one result per op.
    fn lead(&self, ops: Vec<Op>) -> Vec<Result<u64>> {
        match ops.first() {
            Some(Op::Freeze) => vec![self.freeze_memtable()],
            Some(Op::Sync) => vec![self.sync_wal().map(|()| 0)],
            _ => self.commit_group(&ops),
        }
    }

    fn commit_group(&self, slots: &[Op]) -> Vec<Result<u64>> {
        let fail = |e: &Error| slots.iter().map(|_| Err(e.duplicate())).collect::<Vec<_>>();
        if let Err(e) = self.check_writable() {
            return fail(&e);
        }
        let mut wal = self.wal.lock();
        // 0. Validate and number: a rejected op gets its error and nothing else (no seq, no
        //    WAL bytes). Accepted ops get consecutive seqs in queue order; their result is
        //    their last seq (the commit point).
        let (mut results, last_seq, recorded) = self.admit(&mut wal, slots);
        let first_seq = wal.next_seq;
        if last_seq < first_seq {
            return results;
        }
        let accepted = || {
            slots
                .iter()
                .zip(&results)
                .filter(|(_, r)| r.is_ok())
                .filter_map(|(s, _)| match s {
                    Op::Write { batch, .. } => Some(batch),
                    _ => None,
                })
        };
        let want_sync = self.opts.sync_writes
            || slots
                .iter()
                .zip(&results)
                .any(|(s, r)| r.is_ok() && matches!(s, Op::Write { sync: true, .. }));
        // 1. The WAL: one record per batch, one write(2) for the group, one fsync if asked.
        if wal.writer.is_some() {
            let mut buf = std::mem::take(&mut wal.buf);
            let mut seq = first_seq;
            let mut res = Ok(());
            for batch in accepted() {
                buf.clear();
                batch.encode_wal_record(seq, &mut buf);
                seq += u64::from(batch.count());
                if let Some(w) = wal.writer.as_mut() {
                    res = w.add_record(&buf);
                }
                if res.is_err() {
                    break;
                }
            }
            wal.buf = buf;
            if let Some(w) = wal.writer.as_mut() {
                res = res.and_then(|()| if want_sync { w.sync() } else { w.flush() });
            }
            if let Err(e) = res {
                // A failed WAL write or sync: what reached the file is unknown, so refuse
                // every later write (the write is not acknowledged).
                self.poison(&e);
                for r in results.iter_mut().filter(|r| r.is_ok()) {
                    *r = Err(e.duplicate());
                }
                return results;
            }
            if want_sync {
                self.stats.wal_syncs.fetch_add(1, Ordering::Relaxed);
            }
        }
        wal.next_seq = last_seq + 1;
        // 2. The memtable.
        let sv = self.current();
        let mut seq = first_seq;
        let mut bytes = 0u64;
        let mut writes = 0u64;
        let mut failed = None;
        'insert: for batch in accepted() {
            for rec in batch.records() {
                if let Err(e) = sv.mem.add(seq, rec.kind, rec.key, rec.value) {
                    failed = Some(e);
                    break 'insert;
                }
                bytes += (rec.key.len() + rec.value.len()) as u64;
                seq += 1;
            }
            writes += 1;
        }
        if let Some(e) = failed {
            // The arena could not grow. The group is in the WAL but not visible: refuse it
            // and every later write; a reopen replays it.
            self.poison(&e);
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(e.duplicate());
            }
            return results;
        }
        debug_assert_eq!(seq, last_seq + 1);
        // 3. Publish: the whole group becomes visible at once.
        publish_group(
            &self.read_points,
            &self.last_visible,
            &mut wal.conflicts,
            (first_seq, last_seq),
            accepted(),
            recorded,
        );
        self.stats
            .user_bytes_written
            .fetch_add(bytes, Ordering::Relaxed);
        self.stats.writes.fetch_add(writes, Ordering::Relaxed);
        self.stats.write_groups.fetch_add(1, Ordering::Relaxed);
        // 4. Freeze a full memtable (still the leader, WAL lock held).
        if sv.mem.approximate_size() >= self.opts.memtable_size
            && let Err(e) = self.freeze_locked(&mut wal)
        {
            // The group is durable and visible; the freeze failure poisons later writes.
            self.poison(&e);
        }
        results
    }

    /// Validates the group's transactions in queue order and numbers the accepted ops.
    /// Returns one result per op (`Ok(last seq)` if accepted), the group's last seq
    /// (`< next_seq` if nothing was accepted) and whether the accepted batches' keys were
    /// already recorded in the conflict log.
    ///
    /// When the group holds a transaction, every accepted batch is recorded as soon as it is
    /// numbered, so later members are validated against earlier ones; a transaction is then
    /// live at publish time (the committing one), which is when recording is decided
    /// otherwise.
    fn admit(&self, wal: &mut WalState, slots: &[Op]) -> (Vec<Result<u64>>, u64, bool) {
        let record_now = slots
            .iter()
            .any(|s| matches!(s, Op::Write { check: Some(_), .. }));
        let mut results = Vec::with_capacity(slots.len());
        let mut next = wal.next_seq;
        for s in slots {
            let Op::Write { batch, check, .. } = s else {
                results.push(Err(Error::InvalidArgument("not a write".into())));
                continue;
            };
            let count = u64::from(batch.count());
            if next + count - 1 > MAX_SEQUENCE {
                results.push(Err(Error::InvalidArgument(
                    "sequence numbers exhausted (MAX_SEQUENCE)".into(),
                )));
                continue;
            }
            if let Some(check) = check
                && let Err(e) = wal.conflicts.validate(check)
            {
                self.stats.txn_conflicts.fetch_add(1, Ordering::Relaxed);
                results.push(Err(e));
                continue;
            }
            if record_now {
                wal.conflicts.record(batch, next);
            }
            next += count;
            results.push(Ok(next - 1));
        }
        (results, next - 1, record_now)
    }

    /// Freezes the mutable memtable if non-empty (leader only). Returns the frozen id or 0.
    fn freeze_memtable(&self) -> Result<u64> {
        self.check_writable()?;
        let mut wal = self.wal.lock();
        if self.current().mem.is_empty() {
            return Ok(0);
        }
        // A failed WAL create or sync leaves the log in an unknown state: poison at once, so
        // the cause is what every later write reports.
        self.freeze_locked(&mut wal).inspect_err(|e| self.poison(e))
    }

    fn freeze_locked(&self, wal: &mut crate::db::state::WalState) -> Result<u64> {
        let number = self.new_file_number();
        // The next memtable's arena is allocated here, outside the super-version lock that
        // readers take.
        let next_mem = Arc::new(MemTable::with_size_hint(number, self.opts.memtable_size)?);
        let new_writer = if self.opts.enable_wal {
            // Durable order: the new WAL exists and the directory entry is durable before it
            // takes writes; the old WAL is synced so `sync()` need only cover the live one.
            let path = filename::wal_path(&self.dir, number);
            let file = if self.opts.wal_mmap {
                self.fs.create_log(&path)?
            } else {
                self.fs.create(&path)?
            };
            self.fs.sync_dir(&self.dir)?;
            if let Some(old) = wal.writer.as_mut() {
                old.sync()?;
            }
            Some(LogWriter::new(file, path))
        } else {
            None
        };
        wal.writer = new_writer;
        let frozen_id;
        {
            let mut guard = self.super_version.write();
            let cur = Arc::clone(&guard);
            frozen_id = cur.mem.id();
            let mut imms = Vec::with_capacity(cur.imms.len() + 1);
            imms.push(Arc::clone(&cur.mem));
            imms.extend(cur.imms.iter().cloned());
            *guard = Arc::new(SuperVersion {
                mem: next_mem,
                imms,
                version: Arc::clone(&cur.version),
            });
        }
        self.stats.memtables_frozen.fetch_add(1, Ordering::Relaxed);
        self.wake_background();
        Ok(frozen_id)
    }

    /// Freezes a non-empty mutable memtable during close (the queue is idle and closed).
    pub(crate) fn freeze_for_close(&self) -> Result<()> {
        let mut wal = self.wal.lock();
        if self.current().mem.is_empty() {
            return Ok(());
        }
        self.freeze_locked(&mut wal).map(|_| ())
    }

    /// Syncs the live WAL (leader only).
    fn sync_wal(&self) -> Result<()> {
        self.check_writable()?;
        let mut wal = self.wal.lock();
        if let Some(w) = wal.writer.as_mut()
            && let Err(e) = w.sync()
        {
            self.poison(&e);
            return Err(e);
        }
        Ok(())
    }

    /// Applies write stalls before a write joins the queue: waits while too many memtables
    /// are frozen, L0 is at the stop trigger or compaction has too many bytes pending; below
    /// those, past a slowdown trigger, sleeps 0.1–1 ms, longer the nearer the stop trigger.
    ///
    /// The fast path only reads the super version and one atomic: no lock that flush or
    /// compaction holds across an fsync is taken unless the writer really has to wait.
    pub(crate) fn stall_if_needed(&self) -> Result<()> {
        let state = self.stall_state();
        let Some(cause) = state.stop else {
            if let Some((cause, fraction)) = state.slow {
                let start = Instant::now();
                self.stats.slowdowns.fetch_add(1, Ordering::Relaxed);
                self.count_stall(cause);
                let micros = 100 + (900.0 * fraction.clamp(0.0, 1.0)) as u64;
                std::thread::sleep(Duration::from_micros(micros));
                let waited = start.elapsed().as_micros() as u64;
                self.stats.stall_micros.fetch_add(waited, Ordering::Relaxed);
            }
            return Ok(());
        };
        let start = Instant::now();
        self.stats.stalls.fetch_add(1, Ordering::Relaxed);
        self.count_stall(cause);
        let mut versions = self.versions.lock();
        let result = loop {
            if let Err(e) = self.check_writable() {
                break Err(e);
            }
            if self.stall_state().stop.is_none() {
                break Ok(());
            }
            self.bg_cv
                .wait_for(&mut versions, Duration::from_millis(50));
        };
        drop(versions);
        let waited = start.elapsed().as_micros() as u64;
        self.stats.stall_micros.fetch_add(waited, Ordering::Relaxed);
        result
    }

    fn count_stall(&self, cause: StallCause) {
        let counter = match cause {
            StallCause::Memtables => &self.stats.stalls_memtables,
            StallCause::L0Files => &self.stats.stalls_l0,
            StallCause::PendingBytes => &self.stats.stalls_pending_bytes,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether writers must stop, or slow down (and how far toward the stop trigger they
    /// are), from one look at the super version and the pending-bytes estimate.
    fn stall_state(&self) -> StallState {
        let sv = self.current();
        if sv.imms.len() >= self.opts.max_frozen_memtables {
            return StallState {
                stop: Some(StallCause::Memtables),
                slow: None,
            };
        }
        if !self.l0_stop_active() {
            return StallState::default();
        }
        let count = self.stall_count(&sv.version) as u64;
        let pending = self.stats.pending_compaction_bytes.load(Ordering::Relaxed);
        let o = &self.opts;
        let l0_stop = o.l0_stop_trigger.map(|t| t as u64);
        let l0_slow = o.l0_slowdown_trigger.map(|t| t as u64);
        let checks = [
            (StallCause::L0Files, count, l0_slow, l0_stop),
            (
                StallCause::PendingBytes,
                pending,
                o.pending_compaction_bytes_slowdown,
                o.pending_compaction_bytes_stop,
            ),
        ];
        let mut state = StallState::default();
        for (cause, value, slow, stop) in checks {
            if stop.is_some_and(|t| value >= t) {
                state.stop = Some(cause);
                return state;
            }
            if let Some(slow) = slow.filter(|&t| value >= t) {
                let fraction = match stop {
                    Some(stop) if stop > slow => (value - slow) as f64 / (stop - slow) as f64,
                    _ => 1.0,
                };
                if state.slow.is_none_or(|(_, f)| fraction > f) {
                    state.slow = Some((cause, fraction));
                }
            }
        }
        state
    }

    /// What the L0 triggers count: L0 files, or under tiered the tiers beyond `num_tiers`
    /// (SPEC §2; tiered has no L0).
    fn stall_count(&self, version: &crate::version::Version) -> usize {
        match &self.opts.compaction {
            crate::options::CompactionOptions::Tiered(o) => {
                version.levels.len().saturating_sub(o.num_tiers)
            }
            _ => version.l0.len(),
        }
    }

    fn l0_stop_active(&self) -> bool {
        !matches!(
            self.opts.compaction,
            crate::options::CompactionOptions::None
        )
    }

    /// Validates and commits a batch.
    pub(crate) fn write_batch(&self, batch: WriteBatch, sync: bool) -> Result<()> {
        batch.validate()?;
        self.check_writable()?;
        if batch.is_empty() {
            return Ok(());
        }
        self.stall_if_needed()?;
        self.submit(Op::Write {
            batch,
            sync,
            check: None,
        })
        .map(|_| ())
    }
}

/// Publishes the group `first_seq..=last_seq` (made of `batches`, in seq order) as visible:
/// one store of `last_visible`, under the read points' lock, so the read points learn
/// atomically whether a transaction is live that needs the group's keys in the conflict log
/// (`recorded`: `admit` already recorded them). Then prunes the log to the oldest live
/// transaction, or empties it when none is live.
pub(crate) fn publish_group<'a>(
    read_points: &ReadPoints,
    last_visible: &AtomicU64,
    conflicts: &mut ConflictLog,
    (first_seq, last_seq): (u64, u64),
    batches: impl Iterator<Item = &'a WriteBatch>,
    recorded: bool,
) {
    match read_points.publish(last_visible, last_seq) {
        Some(oldest_txn_read) => {
            if !recorded {
                let mut seq = first_seq;
                for batch in batches {
                    conflicts.record(batch, seq);
                    seq += u64::from(batch.count());
                }
            }
            conflicts.prune(oldest_txn_read);
        }
        None => {
            debug_assert!(!recorded, "a committing transaction is live");
            conflicts.reset(last_seq);
        }
    }
}

/// Why writers wait or slow down (counted per cause in `Stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StallCause {
    /// `max_frozen_memtables` reached: flush is behind.
    Memtables,
    /// L0 (tiered: tiers beyond `num_tiers`) at a trigger.
    L0Files,
    /// Pending compaction bytes at a trigger (leveled).
    PendingBytes,
}

#[derive(Debug, Default)]
struct StallState {
    /// Writers must wait, and why.
    stop: Option<StallCause>,
    /// Writers must slow down, why, and how far from the slowdown to the stop trigger.
    slow: Option<(StallCause, f64)>,
}
