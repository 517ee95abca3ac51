//! Counters about the engine's work, and the public [`Stats`] snapshot of them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

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
    pub stalls_memtables: AtomicU64,
    pub stalls_l0: AtomicU64,
    pub stalls_pending_bytes: AtomicU64,
    pub trivial_moves: AtomicU64,
    pub trivial_move_bytes: AtomicU64,
    pub intra_l0_compactions: AtomicU64,
    pub subcompactions: AtomicU64,
    /// Bytes compaction wrote that the tree still has to rewrite to meet its targets (the
    /// latest version's estimate; leveled only).
    pub pending_compaction_bytes: AtomicU64,
    /// Per level (or tier id): (bytes compaction read from it, bytes it wrote into it).
    /// Updated once per compaction, never on the write path.
    pub per_level: Mutex<BTreeMap<u64, (u64, u64)>>,
}

impl Counters {
    /// Records one compaction's input bytes per level and its output bytes into `output`.
    pub(crate) fn record_compaction(&self, inputs: &[(u64, u64)], output: u64, written: u64) {
        let mut map = self.per_level.lock();
        for &(level, bytes) in inputs {
            map.entry(level).or_default().0 += bytes;
        }
        map.entry(output).or_default().1 += written;
    }
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
    /// Bytes compaction read from this level since open.
    pub compaction_bytes_read: u64,
    /// Bytes compaction wrote into this level since open (flushes not included).
    pub compaction_bytes_written: u64,
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
    /// Writes delayed (0.1–1 ms, growing toward the stop trigger) by the L0 or
    /// pending-compaction-bytes slowdown triggers.
    pub slowdowns: u64,
    /// Stalls (waits) because too many memtables were frozen (flush behind).
    pub stalls_by_memtables: u64,
    /// Stalls and slowdowns because L0 held too many files.
    pub stalls_by_l0_files: u64,
    /// Stalls and slowdowns because compaction had too many bytes pending.
    pub stalls_by_pending_bytes: u64,
    /// Files moved to the next level by an edit alone (no rewrite).
    pub trivial_moves: u64,
    /// Bytes of the files trivially moved.
    pub trivial_move_bytes: u64,
    /// Compactions of L0 files into one L0 file (while the base level was busy).
    pub intra_l0_compactions: u64,
    /// Key-range pieces run in parallel by compactions split into subcompactions.
    pub subcompactions: u64,
    /// Bytes compaction still has to rewrite to bring the tree to its targets (estimate).
    pub pending_compaction_bytes: u64,
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
        s.stalls_by_memtables = g(&self.stalls_memtables);
        s.stalls_by_l0_files = g(&self.stalls_l0);
        s.stalls_by_pending_bytes = g(&self.stalls_pending_bytes);
        s.trivial_moves = g(&self.trivial_moves);
        s.trivial_move_bytes = g(&self.trivial_move_bytes);
        s.intra_l0_compactions = g(&self.intra_l0_compactions);
        s.subcompactions = g(&self.subcompactions);
        s.pending_compaction_bytes = g(&self.pending_compaction_bytes);
    }

    /// Fills the per-level compaction figures of `s.levels` (already listing the levels).
    pub(crate) fn fill_levels(&self, s: &mut Stats) {
        let map = self.per_level.lock();
        for l in &mut s.levels {
            if let Some(&(read, written)) = map.get(&l.level) {
                l.compaction_bytes_read = read;
                l.compaction_bytes_written = written;
            }
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "level  files        bytes   compact-read  compact-write")?;
        for l in &self.levels {
            writeln!(
                f,
                "L{:<5} {:>5} {:>12} {:>14} {:>14}",
                l.level, l.files, l.bytes, l.compaction_bytes_read, l.compaction_bytes_written
            )?;
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
            "trivial moves: {} ({} bytes); intra-L0: {}; subcompactions: {}; pending compaction \
             bytes: {}",
            self.trivial_moves,
            self.trivial_move_bytes,
            self.intra_l0_compactions,
            self.subcompactions,
            self.pending_compaction_bytes
        )?;
        writeln!(
            f,
            "stalls: {} waits, {} slowdowns, {} us stalled (by cause: memtables {}, L0 files {}, \
             pending bytes {})",
            self.stalls,
            self.slowdowns,
            self.stall_micros,
            self.stalls_by_memtables,
            self.stalls_by_l0_files,
            self.stalls_by_pending_bytes
        )?;
        write!(
            f,
            "block cache: {} bytes; live snapshots: {}; last sequence: {}",
            self.block_cache_bytes, self.live_snapshots, self.last_sequence
        )
    }
}
