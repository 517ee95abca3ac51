//! The parent: runs each engine `--runs` times, each run in a child process of this binary
//! (`run-one`) on a fresh directory, collects the children's JSON and takes medians.
//!
//! Runs are interleaved (run 1 of every engine, then run 2, ...) so slow drifts of a shared
//! machine spread over all engines. Child stderr (progress lines) passes through.
//!
//! Threading: single-threaded; children run one at a time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::cli::{Cli, value_name};
use crate::engine::{EngineKind, Result};
use crate::report::{WorkloadResult, median_of};

/// Every run's results, and the medians, per engine name.
pub struct Outcome {
    /// `runs[engine][run]` = that run's results in benchmark order.
    pub runs: BTreeMap<&'static str, Vec<Vec<WorkloadResult>>>,
    /// `medians[engine]` = the median result of each benchmark, in benchmark order.
    pub medians: BTreeMap<&'static str, Vec<WorkloadResult>>,
}

impl Outcome {
    /// Runs finished by every engine so far.
    pub fn runs_done(&self) -> usize {
        self.runs.values().map(Vec::len).min().unwrap_or(0)
    }
}

/// Where the databases go: `--dir`, else a temporary directory that is not on a tmpfs.
pub fn base_dir(cli: &Cli) -> Result<(PathBuf, Option<tempfile::TempDir>)> {
    if let Some(dir) = &cli.dir {
        std::fs::create_dir_all(dir)?;
        return Ok((dir.clone(), None));
    }
    let temp = std::env::temp_dir();
    let parent = if is_tmpfs(&temp) {
        std::env::current_dir()?
    } else {
        temp
    };
    let dir = tempfile::Builder::new()
        .prefix("strata-compare-")
        .tempdir_in(parent)?;
    Ok((dir.path().to_path_buf(), Some(dir)))
}

/// Whether `path` lies on a memory file system (by the longest matching mount point).
fn is_tmpfs(path: &Path) -> bool {
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return false;
    };
    let path = path.to_string_lossy();
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let _source = fields.next()?;
            let point = fields.next()?;
            let fstype = fields.next()?;
            let inside = path == point
                || point == "/"
                || path.starts_with(&format!("{}/", point.trim_end_matches('/')));
            inside.then_some((point.len(), fstype == "tmpfs" || fstype == "ramfs"))
        })
        .max_by_key(|(len, _)| *len)
        .is_some_and(|(_, memory)| memory)
}

/// Spawns `run-one` for `engine` in `dir` and parses its results.
fn run_child(cli: &Cli, engine: EngineKind, dir: &Path) -> Result<Vec<WorkloadResult>> {
    let exe = std::env::current_exe()?;
    let output = Command::new(exe)
        .arg("run-one")
        .arg(format!("--engine={}", value_name(&engine)))
        .arg(format!("--dir={}", dir.display()))
        .args(cli.common.to_args())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(format!("{} child failed: {}", engine.name(), output.status).into());
    }
    let doc: Value = serde_json::from_slice(&output.stdout)?;
    doc.get("results")
        .and_then(Value::as_array)
        .ok_or("child printed no results")?
        .iter()
        .map(|v| WorkloadResult::from_json(v).ok_or_else(|| "malformed child result".into()))
        .collect()
}

/// The median of each benchmark over an engine's runs so far.
fn medians(
    runs: &BTreeMap<&'static str, Vec<Vec<WorkloadResult>>>,
    benchmarks: usize,
) -> BTreeMap<&'static str, Vec<WorkloadResult>> {
    runs.iter()
        .map(|(&engine, engine_runs)| {
            let per_workload = (0..benchmarks)
                .filter_map(|i| {
                    let samples: Vec<WorkloadResult> = engine_runs
                        .iter()
                        .filter_map(|r| r.get(i).cloned())
                        .collect();
                    median_of(&samples)
                })
                .collect();
            (engine, per_workload)
        })
        .collect()
}

/// Runs everything and takes the medians; `after_round` sees the outcome so far after each
/// round of runs (so a long comparison cut short still leaves its finished rounds behind).
pub fn run_all(
    cli: &Cli,
    base: &Path,
    after_round: &mut dyn FnMut(&Outcome) -> Result<()>,
) -> Result<Outcome> {
    let mut outcome = Outcome {
        runs: BTreeMap::new(),
        medians: BTreeMap::new(),
    };
    for run in 0..cli.runs {
        for &engine in &cli.engines {
            eprintln!("run {}/{}: {}", run + 1, cli.runs, engine.name());
            let dir = base.join(format!("{}-run{}", engine.name(), run + 1));
            let results = run_child(cli, engine, &dir);
            let _ = std::fs::remove_dir_all(&dir);
            outcome
                .runs
                .entry(engine.name())
                .or_default()
                .push(results?);
        }
        outcome.medians = medians(&outcome.runs, cli.common.benchmarks.len());
        after_round(&outcome)?;
    }
    Ok(outcome)
}

/// The `--json` document.
pub fn outcome_json(cli: &Cli, outcome: &Outcome, machine: &Value) -> Value {
    let results = |map: &BTreeMap<&'static str, Vec<WorkloadResult>>| -> Value {
        map.iter()
            .map(|(engine, rs)| {
                (
                    engine.to_string(),
                    Value::Array(rs.iter().map(WorkloadResult::json).collect()),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let runs: serde_json::Map<String, Value> = outcome
        .runs
        .iter()
        .map(|(engine, engine_runs)| {
            let list = engine_runs
                .iter()
                .map(|rs| Value::Array(rs.iter().map(WorkloadResult::json).collect()))
                .collect();
            (engine.to_string(), Value::Array(list))
        })
        .collect();
    let c = &cli.common;
    json!({
        "settings": {
            "engines": cli.engines.iter().map(|e| e.name()).collect::<Vec<_>>(),
            "runs": cli.runs,
            "benchmarks": c.benchmarks.iter().map(value_name).collect::<Vec<_>>(),
            "num": c.num,
            "key_size": c.key_size,
            "value_size": c.value_size,
            "threads": c.threads,
            "sync_num": c.sync_ops(),
            "write_rate": c.write_rate,
            "cache_size": c.cache_size,
            "memtable_size": c.memtable_size,
            "block_size": c.block_size,
            "bloom_bits": c.bloom_bits,
            "compression": value_name(&c.compression),
            "seed": c.seed,
            "settle": c.settle,
        },
        "machine": machine,
        "medians": results(&outcome.medians),
        "runs": runs,
    })
}
