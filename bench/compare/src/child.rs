//! `run-one`: one engine, one run, every benchmark in order, in a process of its own (so peak
//! memory and I/O counters belong to that engine alone). Prints one JSON object on stdout.
//!
//! Database states between workloads (db_bench semantics where it has them):
//! - `fillseq`, `fillrandom`, `fillsync`, `fillsync8` start on a fresh, empty database in a
//!   new subdirectory (the fillsync ones opened with sync on);
//! - `overwrite` writes over whatever the previous workload left (after `fillrandom`: ~63% of
//!   the keys, as in db_bench);
//! - the reading workloads first (untimed) write every key `0..num` if some may be missing,
//!   then flush and compact everything, so all engines read the same fully compacted tree.
//!
//! Per workload, the process's peak RSS is reset (`/proc/self/clear_refs` ← 5) before it and
//! read (`VmHWM`) after it; written bytes are `/proc/self/io` deltas over the timed part.
//!
//! Threading: the main thread drives; workload threads are scoped inside `Context::run`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cli::Common;
use crate::engine::{Engine, EngineKind, Result, disk_usage};
use crate::keys::{KeySpace, value_pool};
use crate::measure::{io_counters, peak_rss, written_between};
use crate::report::WorkloadResult;
use crate::workload::{Context, Workload};

/// The open database and what it holds.
struct State {
    engine: Option<Box<dyn Engine>>,
    dir: PathBuf,
    generation: u32,
    sync: bool,
    /// Every key `0..num` is present.
    loaded: bool,
    /// Nothing was written since the last full compaction.
    compacted: bool,
}

impl State {
    /// Closes the current database and opens a new, empty one in a fresh subdirectory (the old
    /// one is removed; fjall's threads may still hold it briefly, so failures are ignored).
    fn fresh(&mut self, kind: EngineKind, root: &Path, common: &Common, sync: bool) -> Result<()> {
        if let Some(engine) = self.engine.take() {
            engine.close()?;
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        self.generation += 1;
        self.dir = root.join(format!("db-{}", self.generation));
        self.engine = Some(kind.open(&self.dir, &common.settings(sync))?);
        self.sync = sync;
        self.loaded = false;
        self.compacted = true;
        Ok(())
    }
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Runs every benchmark on `kind` under `root` and returns one result per benchmark.
pub fn run_one(kind: EngineKind, root: &Path, common: &Common) -> Result<Vec<WorkloadResult>> {
    let keys = KeySpace::new(common.key_size, common.num)?;
    if common.threads == 0 {
        return Err("--threads must be at least 1".into());
    }
    std::fs::create_dir_all(root)?;
    let pool = value_pool(common.value_size, common.seed);
    let mut state = State {
        engine: None,
        dir: root.join("db-0"),
        generation: 0,
        sync: false,
        loaded: false,
        compacted: true,
    };
    let mut results = Vec::with_capacity(common.benchmarks.len());
    for &workload in &common.benchmarks {
        let setup = Instant::now();
        if workload.fresh() || state.engine.is_none() || state.sync {
            state.fresh(kind, root, common, workload.sync())?;
        }
        let engine: &dyn Engine = state.engine.as_deref().ok_or("no open database")?;
        let context = Context {
            engine,
            keys,
            value_pool: &pool,
            value_size: common.value_size,
            threads: common.threads,
            sync_num: common.sync_ops(),
            write_rate: common.write_rate,
            seed: common.seed,
        };
        if workload.needs_loaded() {
            if !state.loaded {
                context.load()?;
                state.loaded = true;
                state.compacted = false;
            }
            if !state.compacted {
                context.engine.compact_all()?;
                state.compacted = true;
            }
        }
        let setup_seconds = setup.elapsed().as_secs_f64();
        reset_peak_rss();
        let before = io_counters();
        let measured = context
            .run(workload)
            .map_err(|e| format!("{} on {}: {e}", workload.name(), kind.name()))?;
        let (window, io_source) = written_between(before, io_counters());
        let written = if common.settle && workload.writes() {
            engine.settle()?;
            written_between(before, io_counters()).0
        } else {
            window
        };
        if std::env::var_os("STRATA_COMPARE_STATS").is_some() {
            eprintln!(
                "--- {} after {} ({window} bytes written in the timed part, {written} counted)\n{}",
                kind.name(),
                workload.name(),
                engine.stats_text()
            );
        }
        let record_bytes = (common.key_size + common.value_size) as u64;
        let user_bytes = if workload == Workload::Readwhilewriting {
            measured.background_writes * record_bytes
        } else if workload == Workload::Deleterandom {
            measured.ops * common.key_size as u64
        } else if workload.writes() {
            measured.ops * record_bytes
        } else {
            0
        };
        results.push(WorkloadResult::new(
            workload,
            &measured,
            (user_bytes > 0).then(|| written as f64 / user_bytes as f64),
            io_source,
            disk_usage(&state.dir),
            peak_rss(),
            setup_seconds,
        ));
        if workload.fresh() || workload == Workload::Deleterandom {
            state.loaded = workload == Workload::Fillseq;
        }
        if workload.writes() {
            state.compacted = false;
        }
        eprintln!(
            "  {:>8} {}",
            kind.name(),
            results.last().map(WorkloadResult::line).unwrap_or_default()
        );
    }
    if let Some(engine) = state.engine.take() {
        engine.close()?;
    }
    Ok(results)
}
