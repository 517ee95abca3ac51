//! Command-line flags: the parent's (`strata-compare [flags]`) and the child's
//! (`strata-compare run-one --engine X --dir D [flags]`), which share [`Common`].
//!
//! Threading: parsed once on the main thread; plain data afterwards.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::engine::{Compression, EngineKind, Settings};
use crate::workload::Workload;

/// The default `--benchmarks`.
pub const DEFAULT_BENCHMARKS: &str = "fillseq,fillrandom,overwrite,readrandom,readmissing,\
seekrandom,readseq,readreverse,readwhilewriting,fillsync,fillsync8";

/// Side-by-side db_bench workloads: Strata vs RocksDB, fjall and sled.
#[derive(Debug, Parser)]
#[command(name = "strata-compare")]
pub struct Cli {
    /// Internal: run one engine once and print its results as JSON (spawned by the parent).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Engines, run one after another (each run in a child process of its own).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "strata,rocksdb,fjall,sled"
    )]
    pub engines: Vec<EngineKind>,
    /// Runs per engine; tables show the median of the runs.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Parent directory of the databases (default: a temporary directory, on the current
    /// directory's file system when the system temp dir is a tmpfs).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print one JSON document (settings, every run, medians) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Also write the markdown section for docs/BENCHMARKS.md to this file.
    #[arg(long)]
    pub write_md: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

/// The internal subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every benchmark on one engine in `--dir` and print one JSON object on stdout.
    #[command(hide = true)]
    RunOne {
        /// The engine.
        #[arg(long, value_enum)]
        engine: EngineKind,
        /// Directory for this run's databases (created; must be new or empty).
        #[arg(long)]
        dir: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

/// Flags shared by the parent and its children.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Comma-separated workloads, run in order.
    #[arg(long, value_enum, value_delimiter = ',', default_value = DEFAULT_BENCHMARKS)]
    pub benchmarks: Vec<Workload>,
    /// Number of keys, and of operations per workload.
    #[arg(long, default_value_t = 1_000_000)]
    pub num: u64,
    /// Key size in bytes (zero-padded decimal numbers).
    #[arg(long, default_value_t = 16)]
    pub key_size: usize,
    /// Value size in bytes (random, incompressible).
    #[arg(long, default_value_t = 100)]
    pub value_size: usize,
    /// Reader threads of readwhilewriting (plus one writer).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Writes of fillsync and fillsync8 (default: num / 100, at least 1).
    #[arg(long)]
    pub sync_num: Option<u64>,
    /// Writes per second of readwhilewriting's writer (db_bench's
    /// `--benchmark_write_rate_limit`, in writes); 0: as fast as it can. With a rate both
    /// engines sustain, both write the same keys, so their space and memory compare.
    #[arg(long, default_value_t = 0)]
    pub write_rate: u64,
    /// Block cache bytes (sled: page cache). 8 MiB keeps 1M keys (~116 MB) larger than it.
    #[arg(long, default_value_t = 8 << 20)]
    pub cache_size: usize,
    /// Memtable / write buffer bytes.
    #[arg(long, default_value_t = 64 << 20)]
    pub memtable_size: usize,
    /// Data block bytes.
    #[arg(long, default_value_t = 4096)]
    pub block_size: usize,
    /// Bloom filter bits per key.
    #[arg(long, default_value_t = 10)]
    pub bloom_bits: u32,
    /// Table block compression.
    #[arg(long, value_enum, default_value_t = Compression::Lz4)]
    pub compression: Compression,
    /// Seed of the key and value generators.
    #[arg(long, default_value_t = 301)]
    pub seed: u64,
    /// After each writing workload's timed part, flush and wait for the engine's flushes and
    /// compactions to finish, and count their bytes in its write amplification (without it,
    /// only the bytes written during the timed part count, so work still running at its end
    /// is cut off wherever it happens to be). Space on disk is then read after settling.
    #[arg(long)]
    pub settle: bool,
}

/// The command-line spelling of a value-enum value.
pub fn value_name(value: &impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

impl Common {
    /// The engine settings, with `sync` as given.
    pub fn settings(&self, sync: bool) -> Settings {
        Settings {
            memtable_size: self.memtable_size,
            block_size: self.block_size,
            bloom_bits: self.bloom_bits,
            cache_size: self.cache_size,
            compression: self.compression,
            sync,
        }
    }

    /// Operations of the fillsync workloads.
    pub fn sync_ops(&self) -> u64 {
        self.sync_num.unwrap_or(self.num / 100).max(1)
    }

    /// The flags that reproduce `self` on a child's command line.
    pub fn to_args(&self) -> Vec<String> {
        let benchmarks: Vec<String> = self.benchmarks.iter().map(value_name).collect();
        let mut args = vec![
            format!("--benchmarks={}", benchmarks.join(",")),
            format!("--num={}", self.num),
            format!("--key-size={}", self.key_size),
            format!("--value-size={}", self.value_size),
            format!("--threads={}", self.threads),
            format!("--sync-num={}", self.sync_ops()),
            format!("--write-rate={}", self.write_rate),
            format!("--cache-size={}", self.cache_size),
            format!("--memtable-size={}", self.memtable_size),
            format!("--block-size={}", self.block_size),
            format!("--bloom-bits={}", self.bloom_bits),
            format!("--compression={}", value_name(&self.compression)),
            format!("--seed={}", self.seed),
        ];
        if self.settle {
            args.push("--settle".to_string());
        }
        args
    }
}
