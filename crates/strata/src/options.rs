//! The public knobs: [`Options`] and the compaction strategies' parameters.
//!
//! Every field is public and has a default, so callers write
//! `Options { memtable_size: 1 << 20, ..Default::default() }`. [`Options::validate`] runs at
//! open and rejects degenerate values with `Error::InvalidArgument`.

use crate::error::{Error, Result};

/// Block compression for new SST data blocks. Tables of any compression read correctly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Blocks are stored raw.
    None,
    /// LZ4 (fast; the default).
    #[default]
    Lz4,
    /// Zstd at level 3 (smaller, slower).
    Zstd,
}

/// Concurrency control for transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Isolation {
    /// Snapshot isolation: first committer wins on write-write conflicts; write skew allowed.
    #[default]
    Snapshot,
    /// Serializable: reads (points, misses and scanned ranges) are validated at commit.
    Serializable,
}

/// Simple leveled compaction (the course's `SimpleLeveledCompactionOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleOptions {
    /// Compact L(i) into L(i+1) when |L(i+1)| / |L(i)| < this / 100 (file counts).
    pub size_ratio_percent: usize,
    /// Compact L0 into L1 when L0 has this many files.
    pub level0_file_num_compaction_trigger: usize,
    /// Number of levels below L0.
    pub max_levels: usize,
}

impl Default for SimpleOptions {
    fn default() -> Self {
        SimpleOptions {
            size_ratio_percent: 200,
            level0_file_num_compaction_trigger: 2,
            max_levels: 4,
        }
    }
}

/// Tiered (universal) compaction (the course's `TieredCompactionOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TieredOptions {
    /// No compaction while there are fewer tiers than this.
    pub num_tiers: usize,
    /// Space-amplification trigger, in percent.
    pub max_size_amplification_percent: usize,
    /// Size-ratio trigger, in percent.
    pub size_ratio: usize,
    /// Fewest tiers a size-ratio compaction merges.
    pub min_merge_width: usize,
    /// Most tiers a sorted-run reduction merges (`None`: unbounded).
    pub max_merge_width: Option<usize>,
}

impl Default for TieredOptions {
    fn default() -> Self {
        TieredOptions {
            num_tiers: 3,
            max_size_amplification_percent: 200,
            size_ratio: 1,
            min_merge_width: 2,
            max_merge_width: None,
        }
    }
}

/// Leveled compaction with dynamic level targets (the course's `LeveledCompactionOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeveledOptions {
    /// Each level's target is this many times the one above.
    pub level_size_multiplier: usize,
    /// Compact L0 into the base level when L0 has this many files.
    pub level0_file_num_compaction_trigger: usize,
    /// Number of levels below L0.
    pub max_levels: usize,
    /// Target size of the base level, in MiB.
    pub base_level_size_mb: usize,
}

impl Default for LeveledOptions {
    fn default() -> Self {
        LeveledOptions {
            level_size_multiplier: 10,
            level0_file_num_compaction_trigger: 4,
            max_levels: 6,
            base_level_size_mb: 256,
        }
    }
}

/// How the leveled strategy chooses its next task (both use the same dynamic level targets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeveledPicker {
    /// RocksDB-style (the default): per-level scores, the file with the smallest overlap
    /// ratio below, intra-L0 merges while the base level is busy, trivial moves.
    #[default]
    Production,
    /// Exactly the course's rule (SPEC §5: L0 first, then the largest ratio's oldest file),
    /// as `strata simulate leveled` reproduces it.
    Course,
}

/// Which compaction strategy runs in the background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompactionOptions {
    /// Leveled with dynamic targets (the default).
    Leveled(LeveledOptions),
    /// Tiered / universal.
    Tiered(TieredOptions),
    /// Simple leveled.
    Simple(SimpleOptions),
    /// No background compaction; `Db::compact` still works.
    None,
}

impl Default for CompactionOptions {
    fn default() -> Self {
        CompactionOptions::Leveled(LeveledOptions::default())
    }
}

/// Options for [`crate::Db::open`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Bytes a memtable holds before it is frozen and flushed.
    pub memtable_size: usize,
    /// Target size of an SST data block (uncompressed).
    pub block_size: usize,
    /// A full key is stored every this many entries of a data block.
    pub block_restart_interval: usize,
    /// Size at which compaction splits its output files.
    pub target_sst_size: usize,
    /// Bytes of the block cache (0 disables it).
    pub block_cache_size: usize,
    /// Bloom filter bits per key (0 disables filters).
    pub bloom_bits_per_key: usize,
    /// The compaction strategy.
    pub compaction: CompactionOptions,
    /// When true every write is fsynced (group-committed) before it returns.
    pub sync_writes: bool,
    /// Transaction isolation level.
    pub isolation: Isolation,
    /// Compression of new SST blocks.
    pub compression: Compression,
    /// Write-ahead log on (default). Off: writes live only in memtables until flushed.
    pub enable_wal: bool,
    /// Write the WAL through a shared memory mapping of preallocated file space (Linux; the
    /// default), which hands each commit group's bytes to the operating system with a memory
    /// copy instead of a `write(2)` call: the same durability (the bytes survive a process
    /// crash at once, a power loss once synced), ~1 µs less per group. The WAL file then holds
    /// zeros past its end until it is closed. Off: one `write(2)` per commit group.
    pub wal_mmap: bool,
    /// Writers wait for flushes when this many memtables are frozen.
    pub max_frozen_memtables: usize,
    /// Each write is delayed ~1 ms while L0 holds at least this many files (`None`: never).
    pub l0_slowdown_trigger: Option<usize>,
    /// Writers wait for compaction while L0 holds at least this many files (`None`: never).
    pub l0_stop_trigger: Option<usize>,
    /// Most table files kept open (with their index and filter) at once.
    pub max_open_files: usize,
    /// Background compaction threads (>= 1).
    pub compaction_threads: usize,
    /// The MANIFEST is rewritten as a snapshot once it grows past this many bytes.
    pub max_manifest_size: u64,
    /// Memory for the keys committed while transactions are live (commit-time validation).
    /// Past it the oldest records are forgotten and transactions older than them fail to
    /// commit with `Conflict { kind: TooOld }`.
    pub max_conflict_log_bytes: usize,
    /// How the leveled strategy picks tasks (ignored by the other strategies).
    pub leveled_picker: LeveledPicker,
    /// Leveled: each write is delayed while compaction has at least this many bytes to
    /// rewrite to bring the tree back to its targets (`None`: never).
    pub pending_compaction_bytes_slowdown: Option<u64>,
    /// Leveled: writers wait for compaction while it has at least this many bytes pending
    /// (`None`: never).
    pub pending_compaction_bytes_stop: Option<u64>,
    /// Most threads one compaction job is split across, by key range (>= 1; 1: no split).
    pub max_subcompactions: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            memtable_size: 64 << 20,
            block_size: 4096,
            block_restart_interval: 16,
            target_sst_size: 64 << 20,
            block_cache_size: 64 << 20,
            bloom_bits_per_key: 10,
            compaction: CompactionOptions::default(),
            sync_writes: false,
            isolation: Isolation::Snapshot,
            compression: Compression::Lz4,
            enable_wal: true,
            wal_mmap: true,
            max_frozen_memtables: 4,
            l0_slowdown_trigger: Some(20),
            l0_stop_trigger: Some(36),
            max_open_files: 1000,
            compaction_threads: 1,
            max_manifest_size: 64 << 20,
            max_conflict_log_bytes: 64 << 20,
            leveled_picker: LeveledPicker::Production,
            // RocksDB's defaults (soft 64 GiB, hard 256 GiB).
            pending_compaction_bytes_slowdown: Some(64 << 30),
            pending_compaction_bytes_stop: Some(256 << 30),
            max_subcompactions: 2,
        }
    }
}

fn require(cond: bool, what: &str) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!("options: {what}")))
    }
}

impl Options {
    /// Checks the options for values the engine cannot work with.
    ///
    /// # Errors
    /// `Error::InvalidArgument` naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        require(self.memtable_size > 0, "memtable_size must be > 0")?;
        require(self.block_size > 0, "block_size must be > 0")?;
        require(
            self.block_restart_interval > 0,
            "block_restart_interval must be > 0",
        )?;
        require(self.target_sst_size > 0, "target_sst_size must be > 0")?;
        require(
            self.max_frozen_memtables > 0,
            "max_frozen_memtables must be > 0",
        )?;
        require(self.max_open_files > 0, "max_open_files must be > 0")?;
        require(
            self.compaction_threads > 0,
            "compaction_threads must be > 0",
        )?;
        require(
            self.max_subcompactions > 0,
            "max_subcompactions must be > 0",
        )?;
        if let (Some(slow), Some(stop)) = (
            self.pending_compaction_bytes_slowdown,
            self.pending_compaction_bytes_stop,
        ) {
            require(
                slow <= stop,
                "pending_compaction_bytes_slowdown must be <= pending_compaction_bytes_stop",
            )?;
        }
        require(
            self.bloom_bits_per_key <= 64,
            "bloom_bits_per_key must be <= 64",
        )?;
        if let (Some(slow), Some(stop)) = (self.l0_slowdown_trigger, self.l0_stop_trigger) {
            require(
                slow <= stop,
                "l0_slowdown_trigger must be <= l0_stop_trigger",
            )?;
        }
        match &self.compaction {
            CompactionOptions::Simple(o) => {
                require(o.max_levels > 0, "simple max_levels must be > 0")?;
                require(
                    o.level0_file_num_compaction_trigger > 0,
                    "level0 trigger must be > 0",
                )?;
            }
            CompactionOptions::Tiered(o) => {
                require(o.num_tiers >= 2, "tiered num_tiers must be >= 2")?;
                require(
                    o.min_merge_width >= 2,
                    "tiered min_merge_width must be >= 2",
                )?;
                require(
                    o.max_merge_width.is_none_or(|w| w >= 2),
                    "tiered max_merge_width must be >= 2",
                )?;
            }
            CompactionOptions::Leveled(o) => {
                require(o.max_levels > 0, "leveled max_levels must be > 0")?;
                require(
                    o.level_size_multiplier > 0,
                    "level_size_multiplier must be > 0",
                )?;
                require(
                    o.level0_file_num_compaction_trigger > 0,
                    "level0 trigger must be > 0",
                )?;
            }
            CompactionOptions::None => {}
        }
        Ok(())
    }

    /// Number of levels below L0 under the configured strategy (tiered: 0, tiers are dynamic;
    /// none: 1).
    pub fn max_levels(&self) -> usize {
        match &self.compaction {
            CompactionOptions::Simple(o) => o.max_levels,
            CompactionOptions::Leveled(o) => o.max_levels,
            CompactionOptions::Tiered(_) => 0,
            CompactionOptions::None => 1,
        }
    }
}
