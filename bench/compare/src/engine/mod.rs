//! The [`Engine`] trait every compared store is driven through, the matched [`Settings`], and
//! one adapter per engine (Strata, RocksDB, fjall, sled).
//!
//! Threading: an opened engine is `Send + Sync`; workload threads share it by reference, as
//! they would share the real handle. `close` consumes the box, so no call can follow it.
//!
//! Matching: every adapter maps the same [`Settings`] onto its engine's own knobs. Where an
//! engine has no equivalent, [`EngineKind::mismatches`] says so; the harness prints those notes
//! and writes them into the markdown section, so a reader never has to guess.

mod fjall_engine;
#[cfg(feature = "rocksdb")]
mod rocksdb_engine;
mod sled_engine;
mod strata_engine;

use std::path::Path;

/// Errors of any engine, boxed (the harness only reports them).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Result of an engine call.
pub type Result<T> = std::result::Result<T, BoxError>;

/// Block compression of the on-disk tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    /// Blocks stored raw.
    None,
    /// LZ4.
    Lz4,
}

/// The settings every engine is opened with, matched as closely as each engine allows.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Bytes a memtable / write buffer holds before it is flushed.
    pub memtable_size: usize,
    /// Target size of a data block.
    pub block_size: usize,
    /// Bloom filter bits per key.
    pub bloom_bits: u32,
    /// Bytes of the block cache (sled: its page cache).
    pub cache_size: usize,
    /// Table block compression.
    pub compression: Compression,
    /// Every write is durable (fsynced) before it returns.
    pub sync: bool,
}

/// The engines the harness knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// This project.
    Strata,
    /// RocksDB through the `rocksdb` crate (C++).
    Rocksdb,
    /// fjall 2 (LSM-tree in Rust).
    Fjall,
    /// sled 0.34 (Bw-tree-like page store in Rust).
    Sled,
}

impl EngineKind {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Strata => "strata",
            EngineKind::Rocksdb => "rocksdb",
            EngineKind::Fjall => "fjall",
            EngineKind::Sled => "sled",
        }
    }

    /// Opens (creating if missing) the engine's database in `dir`.
    pub fn open(self, dir: &Path, settings: &Settings) -> Result<Box<dyn Engine>> {
        match self {
            EngineKind::Strata => strata_engine::open(dir, settings),
            #[cfg(feature = "rocksdb")]
            EngineKind::Rocksdb => rocksdb_engine::open(dir, settings),
            #[cfg(not(feature = "rocksdb"))]
            EngineKind::Rocksdb => {
                let _ = (dir, settings);
                Err("built without the `rocksdb` feature".into())
            }
            EngineKind::Fjall => fjall_engine::open(dir, settings),
            EngineKind::Sled => sled_engine::open(dir, settings),
        }
    }

    /// How the engine is configured, and where it cannot match the settings.
    pub fn mismatches(self) -> &'static [&'static str] {
        match self {
            EngineKind::Strata => strata_engine::NOTES,
            #[cfg(feature = "rocksdb")]
            EngineKind::Rocksdb => rocksdb_engine::NOTES,
            #[cfg(not(feature = "rocksdb"))]
            EngineKind::Rocksdb => &["not built (feature `rocksdb` off)"],
            EngineKind::Fjall => fjall_engine::NOTES,
            EngineKind::Sled => sled_engine::NOTES,
        }
    }

    /// What one acknowledged write (without sync) has reached when `put` returns.
    pub fn durability(self) -> &'static str {
        match self {
            EngineKind::Strata => {
                "WAL record copied into the WAL file's page cache through a shared mapping of \
                 preallocated space (Options::wal_mmap, no system call) per commit group before \
                 `put` returns: survives a process crash, not a power loss"
            }
            EngineKind::Rocksdb => {
                "WAL record written to the OS (write(2)) before `put` returns \
                 (manual_wal_flush off): survives a process crash, not a power loss"
            }
            EngineKind::Fjall => {
                "journal entry flushed from fjall's buffer to the OS before `insert` returns \
                 (PersistMode::Buffer, manual_journal_persist off): survives a process crash, \
                 not a power loss"
            }
            EngineKind::Sled => {
                "write buffered in sled's user-space IO buffers; written to the OS by the \
                 flusher every 500 ms (flush_every_ms default): a process crash loses up to \
                 ~500 ms of acknowledged writes"
            }
        }
    }
}

/// One open database, driven by the workloads.
pub trait Engine: Send + Sync {
    /// Inserts or overwrites `key` (durably first if opened with `sync`).
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()>;
    /// Writes all pairs atomically.
    fn write_batch(&self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<()>;
    /// The length of `key`'s value, if present (adapters avoid copying the value).
    fn get(&self, key: &[u8]) -> Result<Option<usize>>;
    /// Removes `key`.
    fn delete(&self, key: &[u8]) -> Result<()>;
    /// Seeks to the first key `>= key` and reads up to `count` entries forward; returns
    /// (entries read, their key + value bytes, whether the first entry's key equals `key`).
    fn seek(&self, key: &[u8], count: usize) -> Result<(usize, usize, bool)>;
    /// Scans every entry, forward or in reverse, calling `visit(key, value)` for each.
    fn scan(&self, reverse: bool, visit: &mut dyn FnMut(&[u8], &[u8])) -> Result<()>;
    /// Writes every memtable to disk.
    fn flush(&self) -> Result<()>;
    /// Flushes, then compacts the whole key space (sled: flush only).
    fn compact_all(&self) -> Result<()>;
    /// Closes the database (waits for what the engine's close waits for).
    fn close(self: Box<Self>) -> Result<()>;
    /// Flushes every memtable, then waits until the engine has no flush or compaction running
    /// or pending (`--settle`: the bytes of that work count in the workload's write
    /// amplification). Engines with no way to wait for their compactions (fjall, sled) only
    /// flush.
    fn settle(&self) -> Result<()> {
        self.flush()
    }
    /// The engine's own statistics as text (flushes, per-level compaction bytes), printed
    /// after each workload when `STRATA_COMPARE_STATS` is set; empty if the engine has none.
    fn stats_text(&self) -> String {
        String::new()
    }
}

/// The summed sizes of every file under `dir` (apparent sizes: space an engine reserved ahead,
/// such as RocksDB's fallocated WAL tail, is not counted).
pub fn disk_usage(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => disk_usage(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}
