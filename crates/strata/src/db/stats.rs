//! Counters about the engine's work, and the public [`Stats`] snapshot of them.
//!
//! Threading: every counter is a relaxed atomic bumped outside the engine's locks (figures
//! are approximate while work is running). The read-path counters live in their own
//! cache-line-aligned [`ReadCounters`] so readers do not contend with writers' counters; a
//! `get` sums its table probes locally and adds them once at its end. The block and table
//! cache counters live in the caches (`cache.rs`) and are copied into [`Stats`] by
//! `Db::stats`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::sstable::GetTrace;

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
    /// Point-lookup counters (hot path; own cache lines).
    pub reads: ReadCounters,
}

/// Counters of point lookups (`Db::get`, snapshot and transaction gets), padded to their own
/// cache lines.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct ReadCounters {
    pub gets: AtomicU64,
    pub tables_probed: AtomicU64,
    pub bloom_checks: AtomicU64,
    pub bloom_negatives: AtomicU64,
    pub blocks_read: AtomicU64,
}

impl ReadCounters {
    /// Adds one get and what it did in the tables (skipping counters that did not move).
    pub(crate) fn record_get(&self, t: &GetTrace) {
        self.gets.fetch_add(1, Ordering::Relaxed);
        if t.tables_probed == 0 {
            return;
        }
        let add = |a: &AtomicU64, n: u32| {
            if n > 0 {
                a.fetch_add(u64::from(n), Ordering::Relaxed);
            }
        };
        add(&self.tables_probed, t.tables_probed);
        add(&self.bloom_checks, t.bloom_checks);
        add(&self.bloom_negatives, t.bloom_negatives);
        add(&self.blocks_read, t.blocks_read);
    }
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
    /// Data-block lookups the block cache served (gets and iterators; compaction reads are
    /// not counted).
    pub block_cache_hits: u64,
    /// Data-block lookups that read the block from its file and inserted it.
    pub block_cache_misses: u64,
    /// Payload bytes inserted into the block cache (evicted blocks included).
    pub block_cache_bytes_inserted: u64,
    /// Table lookups served by an already open table.
    pub table_cache_hits: u64,
    /// Table lookups that opened the file (footer, index, filter and properties read).
    pub table_cache_misses: u64,
    /// Point lookups (`get` on the database, a snapshot or a transaction).
    pub gets: u64,
    /// Tables those gets probed (a filter check, or a search where a table has no filter).
    pub get_tables_probed: u64,
    /// Bloom filters those gets checked.
    pub bloom_checks: u64,
    /// Checks where the filter proved the key absent, so the table's blocks were skipped.
    pub bloom_negatives: u64,
    /// Data blocks those gets read from SST files (block cache misses, or no cache).
    pub get_blocks_read: u64,
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
    /// Block cache hits / (hits + misses); `None` before any lookup.
    pub fn block_cache_hit_rate(&self) -> Option<f64> {
        let lookups = self.block_cache_hits + self.block_cache_misses;
        (lookups > 0).then(|| self.block_cache_hits as f64 / lookups as f64)
    }

    /// Read amplification of gets: SST data blocks read from disk per get (0 without gets).
    pub fn blocks_read_per_get(&self) -> f64 {
        per(self.get_blocks_read, self.gets)
    }

    /// Tables probed per get (0 without gets); `bloom_negatives` of them were settled by
    /// the filter alone.
    pub fn tables_probed_per_get(&self) -> f64 {
        per(self.get_tables_probed, self.gets)
    }

    /// Write amplification: (flush + compaction bytes written) / user bytes written.
    pub fn write_amplification(&self) -> f64 {
        if self.user_bytes_written == 0 {
            return 0.0;
        }
        (self.flush_bytes_written + self.compaction_bytes_written) as f64
            / self.user_bytes_written as f64
    }
}

fn per(n: u64, d: u64) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
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
        s.gets = g(&self.reads.gets);
        s.get_tables_probed = g(&self.reads.tables_probed);
        s.bloom_checks = g(&self.reads.bloom_checks);
        s.bloom_negatives = g(&self.reads.bloom_negatives);
        s.get_blocks_read = g(&self.reads.blocks_read);
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
        let hit_rate = self
            .block_cache_hit_rate()
            .map_or_else(|| "-".to_string(), |r| format!("{:.1}%", r * 100.0));
        writeln!(
            f,
            "block cache: {} bytes held, {} hits, {} misses (hit rate {}), {} bytes inserted",
            self.block_cache_bytes,
            self.block_cache_hits,
            self.block_cache_misses,
            hit_rate,
            self.block_cache_bytes_inserted
        )?;
        writeln!(
            f,
            "table cache: {} hits, {} misses (table opens)",
            self.table_cache_hits, self.table_cache_misses
        )?;
        writeln!(
            f,
            "gets: {}, {} tables probed ({:.2}/get), {} blocks read from disk ({:.2}/get); \
             bloom: {} checks, {} negatives",
            self.gets,
            self.get_tables_probed,
            self.tables_probed_per_get(),
            self.get_blocks_read,
            self.blocks_read_per_get(),
            self.bloom_checks,
            self.bloom_negatives
        )?;
        write!(
            f,
            "live snapshots: {}; last sequence: {}",
            self.live_snapshots, self.last_sequence
        )
    }
}
