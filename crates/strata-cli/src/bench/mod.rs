//! `strata bench`: db_bench-style workloads against a real database.
//!
//! Runs the `--benchmarks` in order on one database and prints one line per workload on stdout
//! (or, with `--json`, one JSON document at the end): ops/s, MB/s, latency percentiles in µs,
//! found counts for reads, space on disk after the workload and the process's peak RSS. A
//! progress bar is drawn on stderr only when stderr is a terminal.
//!
//! Without `--path` the database lives in a temporary directory removed at the end. With
//! `--path`, a non-empty directory is used only with `--use-existing-db`: the bench never
//! deletes a user's data.
//!
//! Write amplification is the engine's cumulative figure (`Stats::write_amplification`) after
//! each workload; background compaction may still be catching up when it is read.
//!
//! Read figures are the workload's own: the difference of `Db::stats()` before and after it —
//! block cache hit rate (gets and iterators), and per get the SST data blocks read from disk
//! and the tables probed, of which the bloom filters settled some without touching a block.
//!
//! `--plot FILE.svg` draws each workload's throughput over time (`plot`), so stalls show.

mod keys;
mod plot;
mod report;
mod workload;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;
use strata::Options;

use crate::open::{Mode, open_db};
use crate::options::{CompactionArg, CompressionArg};
use keys::KeySpace;
use report::{ReadFigures, Report, Sizes, disk_usage, human_bytes, peak_rss};
pub use workload::Workload;

/// The default `--benchmarks`.
const DEFAULT_BENCHMARKS: &str = "fillseq,fillrandom,overwrite,readrandom,readmissing,seekrandom,\
readseq,readreverse,readwhilewriting,fillsync,deleterandom";

/// Flags of `strata bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Database directory (default: a temporary directory, removed at the end).
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// Run on the database already in a non-empty --path instead of refusing.
    #[arg(long)]
    pub use_existing_db: bool,
    /// Comma-separated workloads, run in order.
    #[arg(long, value_enum, value_delimiter = ',', default_value = DEFAULT_BENCHMARKS)]
    pub benchmarks: Vec<Workload>,
    /// Number of keys (and of operations per workload, split between threads).
    #[arg(long, default_value_t = 1_000_000)]
    pub num: u64,
    /// Key size in bytes (zero-padded decimal numbers).
    #[arg(long, default_value_t = 16)]
    pub key_size: usize,
    /// Value size in bytes (random, incompressible).
    #[arg(long, default_value_t = 100)]
    pub value_size: usize,
    /// Threads running each workload.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// fsync every write (Options::sync_writes).
    #[arg(long)]
    pub sync: bool,
    /// Turn the write-ahead log off.
    #[arg(long)]
    pub no_wal: bool,
    /// Block compression of new tables.
    #[arg(long, value_enum, default_value_t = CompressionArg::Lz4)]
    pub compression: CompressionArg,
    /// Block cache size in bytes (default: the engine's).
    #[arg(long)]
    pub cache_size: Option<usize>,
    /// Memtable size in bytes.
    #[arg(long, default_value_t = 64 << 20)]
    pub memtable_size: usize,
    /// Bloom filter bits per key (default: the engine's; 0 disables filters).
    #[arg(long)]
    pub bloom_bits: Option<usize>,
    /// Background compaction strategy (with the engine's default parameters).
    #[arg(long, value_enum, default_value_t = CompactionArg::Leveled)]
    pub compaction: CompactionArg,
    /// Seed of the key and value generators.
    #[arg(long, default_value_t = 301)]
    pub seed: u64,
    /// Print one JSON document with the configuration and every result instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Also write an SVG of each workload's throughput (ops/s) over time to this file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

impl BenchArgs {
    /// The engine options the bench opens with.
    pub fn options(&self) -> Options {
        let defaults = Options::default();
        Options {
            memtable_size: self.memtable_size,
            block_cache_size: self.cache_size.unwrap_or(defaults.block_cache_size),
            bloom_bits_per_key: self.bloom_bits.unwrap_or(defaults.bloom_bits_per_key),
            compaction: self.compaction.engine_options(),
            sync_writes: self.sync,
            compression: self.compression.into(),
            enable_wal: !self.no_wal,
            ..defaults
        }
    }

    fn config_json(&self, path: &std::path::Path) -> serde_json::Value {
        let options = self.options();
        json!({
            "path": path.display().to_string(),
            "num": self.num,
            "key_size": self.key_size,
            "value_size": self.value_size,
            "threads": self.threads,
            "sync": self.sync,
            "wal": !self.no_wal,
            "compression": arg_name(self.compression),
            "compaction": arg_name(self.compaction),
            "cache_size": options.block_cache_size,
            "memtable_size": options.memtable_size,
            "bloom_bits_per_key": options.bloom_bits_per_key,
            "seed": self.seed,
        })
    }

    fn header(&self, path: &std::path::Path) -> [String; 3] {
        let options = self.options();
        [
            format!(
                "strata bench: {} entries, keys {} bytes, values {} bytes, {} thread(s)",
                self.num, self.key_size, self.value_size, self.threads
            ),
            format!(
                "options: compaction {}, compression {}, block cache {}, memtable {}, \
                 bloom {} bits/key, wal {}, sync {}",
                arg_name(self.compaction),
                arg_name(self.compression),
                human_bytes(options.block_cache_size as u64),
                human_bytes(options.memtable_size as u64),
                options.bloom_bits_per_key,
                if self.no_wal { "off" } else { "on" },
                if self.sync { "on" } else { "off" },
            ),
            format!("path: {}", path.display()),
        ]
    }
}

/// The command-line spelling of a flag value.
fn arg_name(value: impl ValueEnum) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// Where the database lives for this run; a temporary directory is removed on drop.
enum Location {
    Given(PathBuf),
    Temporary(tempfile::TempDir),
}

impl Location {
    fn path(&self) -> &std::path::Path {
        match self {
            Location::Given(path) => path,
            Location::Temporary(dir) => dir.path(),
        }
    }
}

fn location(args: &BenchArgs) -> Result<Location> {
    let Some(path) = &args.path else {
        let dir = tempfile::Builder::new().prefix("strata-bench-").tempdir()?;
        return Ok(Location::Temporary(dir));
    };
    let non_empty = std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_some());
    if non_empty && !args.use_existing_db {
        bail!(
            "{} is not empty: pass --use-existing-db to bench the database in it, or choose a \
             new --path",
            path.display()
        );
    }
    Ok(Location::Given(path.clone()))
}

fn progress_bar(workload: Workload, total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total).with_prefix(workload.name());
    if let Ok(style) =
        ProgressStyle::with_template("{prefix:>16} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Runs the bench.
///
/// # Errors
/// Bad flags, a non-empty `--path` without `--use-existing-db`, or an engine error.
pub fn run(args: &BenchArgs) -> Result<ExitCode> {
    if args.threads == 0 {
        bail!("--threads must be at least 1");
    }
    if args.value_size > strata::MAX_VALUE_LEN {
        bail!(
            "--value-size {} is over the engine's limit of {}",
            args.value_size,
            strata::MAX_VALUE_LEN
        );
    }
    let keys = KeySpace::new(args.key_size, args.num)?;
    let location = location(args)?;
    let path = location.path();
    let db = open_db(path, args.options(), Mode::CreateIfMissing)?;
    let value_pool = keys::value_pool(args.value_size, &mut StdRng::seed_from_u64(args.seed));
    if !args.json {
        for line in args.header(path) {
            println!("{line}");
        }
    }
    let mut reports = Vec::with_capacity(args.benchmarks.len());
    let mut series = Vec::new();
    for &workload in &args.benchmarks {
        let progress = progress_bar(workload, workload.planned_ops(args.num));
        let before = db.stats();
        let context = workload::Context {
            db: &db,
            keys,
            value_pool: &value_pool,
            value_size: args.value_size,
            threads: args.threads,
            seed: args.seed,
            progress: &progress,
        };
        let measured = context.run(workload);
        progress.finish_and_clear();
        let mut measured = match measured {
            Ok(measured) => measured,
            Err(error) => {
                let _ = db.close();
                return Err(error);
            }
        };
        let after = db.stats();
        let sizes = Sizes {
            disk_bytes: disk_usage(path),
            write_amplification: after.write_amplification(),
            peak_rss_bytes: peak_rss(),
            reads: ReadFigures::between(&before, &after),
        };
        let report = Report::new(workload, &measured, sizes);
        if args.plot.is_some() {
            series.push(plot::Series {
                name: workload.name(),
                timeline: std::mem::take(&mut measured.timeline),
                elapsed: measured.elapsed,
            });
        }
        if !args.json {
            println!("{}", report.line());
        }
        reports.push(report);
    }
    db.close().context("close")?;
    if let Some(file) = &args.plot {
        plot::draw(file, &series).with_context(|| format!("--plot {}", file.display()))?;
    }
    if args.json {
        let results: Vec<_> = reports.iter().map(Report::json).collect();
        println!(
            "{}",
            json!({ "config": args.config_json(path), "results": results })
        );
    }
    Ok(ExitCode::SUCCESS)
}
