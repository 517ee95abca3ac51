//! The write path: a commit queue with leader-based group commit.
//!
//! A writer enqueues a slot and waits. The writer at the front of the queue is the **leader**:
//! it takes a group of consecutive write slots (up to [`GROUP_BYTES`]), releases the queue
//! lock, assigns consecutive seqs, appends one WAL record per batch with one `write(2)`, syncs
//! once if any member asked for it, inserts every record into the memtable, publishes the
//! group's last seq, then marks the members done and wakes them. Only the leader touches the
//! WAL and freezes memtables, so both need no further coordination with writers.
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

use parking_lot::{Condvar, Mutex};

use crate::batch::WriteBatch;
use crate::db::state::{DbInner, SuperVersion};
use crate::error::{Error, Result};
use crate::filename;
use crate::key::MAX_SEQUENCE;
use crate::memtable::MemTable;
use crate::wal::LogWriter;

/// A leader groups at most this many bytes of batches (a single larger batch goes alone).
const GROUP_BYTES: usize = 1 << 20;

pub(crate) enum Op {
    Write {
        batch: WriteBatch,
        sync: bool,
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
}

/// The queue of pending writes.
#[derive(Default)]
pub(crate) struct CommitQueue {
    queue: Mutex<VecDeque<Arc<Mutex<Slot>>>>,
    cv: Condvar,
}

impl CommitQueue {
    /// Blocks until the queue is empty (used by close).
    pub(crate) fn wait_idle(&self) {
        let mut q = self.queue.lock();
        while !q.is_empty() {
            self.cv.wait(&mut q);
        }
    }
}

impl DbInner {
    /// Runs `op` through the commit queue; returns the op's result (for Freeze: the id of the
    /// memtable frozen, 0 if none).
    pub(crate) fn submit(&self, op: Op) -> Result<u64> {
        let slot = Arc::new(Mutex::new(Slot { op, result: None }));
        let mut q = self.commit.queue.lock();
        q.push_back(Arc::clone(&slot));
        loop {
            if let Some(result) = slot.lock().result.take() {
                return result;
            }
            if q.front().is_some_and(|f| Arc::ptr_eq(f, &slot)) {
                break;
            }
            self.commit.cv.wait(&mut q);
        }
        // We are the leader: take the group's ops out of their slots (no slot lock is held
        // during I/O, so followers and new writers can always enqueue).
        let mut group = 0usize;
        let mut ops: Vec<Op> = Vec::new();
        let mut bytes = 0usize;
        for s in q.iter() {
            let mut guard = s.lock();
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

        let results = self.lead(ops);

        let mut q = self.commit.queue.lock();
        for r in results {
            if let Some(s) = q.pop_front() {
                s.lock().result = Some(r);
            }
        }
        debug_assert!(group > 0);
        self.commit.cv.notify_all();
        drop(q);
        let result = slot.lock().result.take();
        result.unwrap_or(Err(Error::Closed))
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
        let mut total: u64 = 0;
        let mut want_sync = self.opts.sync_writes;
        for s in slots {
            if let Op::Write { batch, sync } = s {
                total += u64::from(batch.count());
                want_sync |= *sync;
            }
        }
        let mut wal = self.wal.lock();
        let first_seq = wal.next_seq;
        let last_seq = first_seq + total - 1;
        if last_seq > MAX_SEQUENCE {
            let e = Error::InvalidArgument("sequence numbers exhausted (MAX_SEQUENCE)".into());
            return fail(&e);
        }
        // 1. The WAL: one record per batch, one write(2) for the group, one fsync if asked.
        if wal.writer.is_some() {
            let mut buf = std::mem::take(&mut wal.buf);
            let mut seq = first_seq;
            let mut res = Ok(());
            for s in slots {
                if let Op::Write { batch, .. } = s {
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
            }
            wal.buf = buf;
            if let Some(w) = wal.writer.as_mut() {
                res = res.and_then(|()| if want_sync { w.sync() } else { w.flush() });
            }
            if let Err(e) = res {
                // A failed WAL write or sync: what reached the file is unknown, so refuse
                // every later write (the write is not acknowledged).
                self.poison(&e);
                return fail(&e);
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
        for s in slots {
            if let Op::Write { batch, .. } = s {
                for rec in batch.records() {
                    sv.mem.add(seq, rec.kind, rec.key, rec.value);
                    bytes += (rec.key.len() + rec.value.len()) as u64;
                    seq += 1;
                }
            }
        }
        debug_assert_eq!(seq, last_seq + 1);
        // 3. Publish: the whole group becomes visible at once.
        self.last_visible.store(last_seq, Ordering::Release);
        self.stats
            .user_bytes_written
            .fetch_add(bytes, Ordering::Relaxed);
        self.stats
            .writes
            .fetch_add(slots.len() as u64, Ordering::Relaxed);
        self.stats.write_groups.fetch_add(1, Ordering::Relaxed);
        // 4. Freeze a full memtable (still the leader, WAL lock held).
        let results: Vec<Result<u64>> = slots.iter().map(|_| Ok(0)).collect();
        if sv.mem.approximate_size() >= self.opts.memtable_size {
            if let Err(e) = self.freeze_locked(&mut wal) {
                // The group is durable and visible; the freeze failure poisons later writes.
                self.poison(&e);
            }
        }
        results
    }

    /// Freezes the mutable memtable if non-empty (leader only). Returns the frozen id or 0.
    fn freeze_memtable(&self) -> Result<u64> {
        self.check_writable()?;
        let mut wal = self.wal.lock();
        if self.current().mem.is_empty() {
            return Ok(0);
        }
        self.freeze_locked(&mut wal)
    }

    fn freeze_locked(&self, wal: &mut crate::db::state::WalState) -> Result<u64> {
        let number = self.new_file_number();
        let new_writer = if self.opts.enable_wal {
            // Durable order: the new WAL exists and the directory entry is durable before it
            // takes writes; the old WAL is synced so `sync()` need only cover the live one.
            let path = filename::wal_path(&self.dir, number);
            let file = self.fs.create(&path)?;
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
                mem: Arc::new(MemTable::new(number)),
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
        if let Some(w) = wal.writer.as_mut() {
            if let Err(e) = w.sync() {
                self.poison(&e);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Applies write stalls before a write joins the queue: waits while too many memtables
    /// are frozen or L0 is at the stop trigger; sleeps ~1 ms at the slowdown trigger.
    pub(crate) fn stall_if_needed(&self) -> Result<()> {
        let start = Instant::now();
        let mut stalled = false;
        let mut versions = self.versions.lock();
        loop {
            self.check_writable()?;
            let sv = self.current();
            let too_many_imms = sv.imms.len() >= self.opts.max_frozen_memtables;
            let l0_stop = self.l0_stop_active()
                && self
                    .l0_stop_trigger()
                    .is_some_and(|t| sv.version.l0.len() >= t);
            if !too_many_imms && !l0_stop {
                break;
            }
            if !stalled {
                stalled = true;
                self.stats.stalls.fetch_add(1, Ordering::Relaxed);
            }
            self.bg_cv
                .wait_for(&mut versions, Duration::from_millis(50));
        }
        drop(versions);
        let sv = self.current();
        if self.l0_stop_active()
            && self
                .opts
                .l0_slowdown_trigger
                .is_some_and(|t| sv.version.l0.len() >= t)
        {
            self.stats.slowdowns.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(1));
        }
        if stalled || start.elapsed() > Duration::from_micros(500) {
            self.stats
                .stall_micros
                .fetch_add(start.elapsed().as_micros() as u64, Ordering::Relaxed);
        }
        Ok(())
    }

    fn l0_stop_active(&self) -> bool {
        !matches!(
            self.opts.compaction,
            crate::options::CompactionOptions::None
        )
    }

    fn l0_stop_trigger(&self) -> Option<usize> {
        self.opts.l0_stop_trigger
    }

    /// Validates and commits a batch.
    pub(crate) fn write_batch(&self, batch: WriteBatch, sync: bool) -> Result<()> {
        batch.validate()?;
        self.check_writable()?;
        if batch.is_empty() {
            return Ok(());
        }
        self.stall_if_needed()?;
        self.submit(Op::Write { batch, sync }).map(|_| ())
    }
}
