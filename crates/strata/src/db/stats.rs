//! Counters about the engine's work, and the public [`Stats`] snapshot of them.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters (relaxed atomics; figures are approximate while work is running).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub writes: AtomicU64,
    pub write_groups: AtomicU64,
    pub wal_syncs: AtomicU64,
    pub user_bytes_written: AtomicU64,
    pub memtables_frozen: AtomicU64,
    pub flushes: AtomicU64,
    pub flush_bytes_written: AtomicU64,
    pub compactions: AtomicU64,
    pub compaction_bytes_read: AtomicU64,
    pub compaction_bytes_written: AtomicU64,
    pub stalls: AtomicU64,
    pub slowdowns: AtomicU64,
    pub stall_micros: AtomicU64,
    pub txn_conflicts: AtomicU64,
}

/// One level (or tier) of the tree in [`Stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LevelStats {
    /// `0` for L0, else the level number or tier id.
    pub level: u64,
    /// Files in the level.
    pub files: usize,
    /// Bytes in the level.
    pub bytes: u64,
}

/// A snapshot of the engine's counters and the tree's shape.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Write calls committed.
    pub writes: u64,
    /// Commit groups (writes / groups = average group size).
    pub write_groups: u64,
    /// WAL fsyncs.
    pub wal_syncs: u64,
    /// Bytes of keys and values written by users.
    pub user_bytes_written: u64,
    /// Memtables flushed to L0.
    pub flushes: u64,
    /// Bytes of SSTs written by flushes.
    pub flush_bytes_written: u64,
    /// Compactions run.
    pub compactions: u64,
    /// Bytes read by compactions.
    pub compaction_bytes_read: u64,
    /// Bytes written by compactions.
    pub compaction_bytes_written: u64,
    /// Writes that waited for flush or compaction.
    pub stalls: u64,
    /// Writes delayed ~1 ms by the L0 slowdown trigger.
    pub slowdowns: u64,
    /// Total time writers spent stalled, in microseconds.
    pub stall_micros: u64,
    /// Frozen memtables waiting for flush.
    pub frozen_memtables: usize,
    /// Bytes in the mutable memtable.
    pub memtable_bytes: usize,
    /// Per-level files and bytes, L0 first.
    pub levels: Vec<LevelStats>,
    /// Bytes held in the block cache.
    pub block_cache_bytes: u64,
    /// Live snapshots and transactions.
    pub live_snapshots: usize,
    /// The last visible sequence number.
    pub last_sequence: u64,
    /// Transaction commits refused with `Error::Conflict`.
    pub transaction_conflicts: u64,
    /// Live transactions (also counted in `live_snapshots`).
    pub live_transactions: usize,
}

impl Stats {
    /// Write amplification: (flush + compaction bytes written) / user bytes written.
    pub fn write_amplification(&self) -> f64 {
        if self.user_bytes_written == 0 {
            return 0.0;
        }
        (self.flush_bytes_written + self.compaction_bytes_written) as f64
            / self.user_bytes_written as f64
    }
}

impl Counters {
    pub(crate) fn fill(&self, s: &mut Stats) {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        s.writes = g(&self.writes);
        s.write_groups = g(&self.write_groups);
        s.wal_syncs = g(&self.wal_syncs);
        s.user_bytes_written = g(&self.user_bytes_written);
        s.flushes = g(&self.flushes);
        s.flush_bytes_written = g(&self.flush_bytes_written);
        s.compactions = g(&self.compactions);
        s.compaction_bytes_read = g(&self.compaction_bytes_read);
        s.compaction_bytes_written = g(&self.compaction_bytes_written);
        s.stalls = g(&self.stalls);
        s.slowdowns = g(&self.slowdowns);
        s.stall_micros = g(&self.stall_micros);
        s.transaction_conflicts = g(&self.txn_conflicts);
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "level  files        bytes")?;
        for l in &self.levels {
            writeln!(f, "L{:<5} {:>5} {:>12}", l.level, l.files, l.bytes)?;
        }
        writeln!(
            f,
            "writes: {} in {} groups, {} WAL syncs, {} user bytes",
            self.writes, self.write_groups, self.wal_syncs, self.user_bytes_written
        )?;
        writeln!(
            f,
            "memtable: {} bytes, {} frozen; flushes: {} ({} bytes)",
            self.memtable_bytes, self.frozen_memtables, self.flushes, self.flush_bytes_written
        )?;
        writeln!(
            f,
            "compactions: {} (read {} bytes, wrote {} bytes); write amplification {:.2}x",
            self.compactions,
            self.compaction_bytes_read,
            self.compaction_bytes_written,
            self.write_amplification()
        )?;
        writeln!(
            f,
            "stalls: {} waits, {} slowdowns, {} us stalled",
            self.stalls, self.slowdowns, self.stall_micros
        )?;
        write!(
            f,
            "block cache: {} bytes; live snapshots: {}; last sequence: {}",
            self.block_cache_bytes, self.live_snapshots, self.last_sequence
        )
    }
}
