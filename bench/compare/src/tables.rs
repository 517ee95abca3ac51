//! The printed tables (markdown, so the terminal output and the docs section are one text):
//! medians per engine, ratios against RocksDB, the machine, the settings and the notes.
//!
//! Threading: plain functions of finished results.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::cli::{Cli, value_name};
use crate::engine::EngineKind;
use crate::parent::Outcome;
use crate::report::{WorkloadResult, mib};

/// Facts about the machine and the build, as JSON (also used by the markdown).
pub fn machine() -> Value {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let meminfo = read("/proc/meminfo");
    let ram_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    let manifest = env!("CARGO_MANIFEST_DIR");
    let lock = read(&format!("{manifest}/Cargo.lock"));
    let mut versions = serde_json::Map::new();
    let mut name = None;
    const SHOWN: [&str; 6] = [
        "strata",
        "rocksdb",
        "librocksdb-sys",
        "fjall",
        "lsm-tree",
        "sled",
    ];
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take())
            && SHOWN.contains(&n.as_str())
        {
            versions.insert(n, json!(v.trim_matches('"')));
        }
    }
    let commit = std::process::Command::new("git")
        .args(["-C", manifest, "rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let loadavg: Vec<String> = read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .map(str::to_string)
        .collect();
    let loadavg = loadavg.join(" ");
    json!({
        "rocksdb_library": rocksdb_library(),
        "loadavg_at_start": loadavg,
        "nproc": std::thread::available_parallelism().map(usize::from).unwrap_or(0),
        "cpu": cpu,
        "ram_gib": ram_kib as f64 / f64::from(1u32 << 20),
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
        "crates": versions,
        "strata_commit": commit,
    })
}

/// The directory of a system RocksDB library this binary was built against, if any.
pub const ROCKSDB_LIB_DIR: Option<&str> = option_env!("ROCKSDB_LIB_DIR");

/// Which RocksDB library is linked: the one the `librocksdb-sys` crate compiles from its
/// bundled source, or a system library (`ROCKSDB_LIB_DIR` at build time, version read from the
/// `librocksdb.so.X.Y.Z` file name).
fn rocksdb_library() -> String {
    let Some(dir) = ROCKSDB_LIB_DIR else {
        return "bundled with librocksdb-sys (compiled from source)".into();
    };
    let version = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_prefix("librocksdb.so.").map(str::to_string)
        })
        .max_by_key(String::len)
        .unwrap_or_else(|| "?".into());
    format!("system library {version} (ROCKSDB_LIB_DIR={dir})")
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() {
        format!("{:.2}", a / b)
    } else {
        "—".into()
    }
}

fn opt_ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => ratio(a, b),
        _ => "—".into(),
    }
}

fn wa(r: &WorkloadResult) -> String {
    r.write_amp.map_or("—".into(), |w| format!("{w:.2}"))
}

/// Median results: one row per workload and engine.
pub fn medians_table(cli: &Cli, outcome: &Outcome) -> String {
    let mut out = String::from(
        "| workload | engine | ops/s | MB/s | p50 µs | p99 µs | p99.9 µs | write amp | disk after | peak RSS |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (i, workload) in cli.common.benchmarks.iter().enumerate() {
        for engine in &cli.engines {
            let Some(r) = outcome.medians.get(engine.name()).and_then(|rs| rs.get(i)) else {
                continue;
            };
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {} |",
                value_name(workload),
                engine.name(),
                r.ops_per_sec,
                r.mb_per_sec,
                r.p50_us,
                r.p99_us,
                r.p999_us,
                wa(r),
                mib(r.disk_bytes),
                r.peak_rss_bytes.map_or("—".into(), mib),
            );
        }
    }
    out
}

/// Ratios of each engine against the reference (RocksDB if it ran, else the first engine).
pub fn ratios_table(cli: &Cli, outcome: &Outcome) -> String {
    let reference = if cli.engines.contains(&EngineKind::Rocksdb) {
        EngineKind::Rocksdb
    } else {
        cli.engines.first().copied().unwrap_or(EngineKind::Rocksdb)
    };
    let mut out = format!(
        "Ratios against {r} (throughput: >1 is faster than {r}; p99, space, memory: >1 is \
         more than {r}; write amp: both values, engine / {r}):\n\n\
         | workload | engine | throughput | p99 | write amp | space | peak mem |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
        r = reference.name()
    );
    let Some(base) = outcome.medians.get(reference.name()) else {
        return out;
    };
    for (i, workload) in cli.common.benchmarks.iter().enumerate() {
        let Some(b) = base.get(i) else { continue };
        for engine in cli.engines.iter().filter(|e| **e != reference) {
            let Some(r) = outcome.medians.get(engine.name()).and_then(|rs| rs.get(i)) else {
                continue;
            };
            let write_amp = match (r.write_amp, b.write_amp) {
                (Some(x), Some(y)) => format!("{x:.2} / {y:.2}"),
                _ => "—".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                value_name(workload),
                engine.name(),
                ratio(r.ops_per_sec, b.ops_per_sec),
                ratio(r.p99_us, b.p99_us),
                write_amp,
                ratio(r.disk_bytes as f64, b.disk_bytes as f64),
                opt_ratio(
                    r.peak_rss_bytes.map(|x| x as f64),
                    b.peak_rss_bytes.map(|x| x as f64)
                ),
            );
        }
    }
    out
}

/// How each engine was set up, what it could not match, and what a write has reached.
pub fn notes(cli: &Cli) -> String {
    let mut out = String::new();
    for engine in &cli.engines {
        let _ = writeln!(out, "- **{}**", engine.name());
        for note in engine.mismatches() {
            let _ = writeln!(out, "  - {note}");
        }
        let _ = writeln!(out, "  - durability without sync: {}", engine.durability());
    }
    out
}

/// The settings line; `runs_done` is how many runs each median is over.
pub fn settings(cli: &Cli, runs_done: usize) -> String {
    let c = &cli.common;
    format!(
        "{} keys of {} bytes, values of {} bytes (random, incompressible); WAL on, no fsync per \
         write except fillsync/fillsync8 ({} writes, sync every write); memtable {}, blocks {} \
         bytes, bloom {} bits/key, block cache {}, compression {}, leveled compaction; \
         readwhilewriting: {} reader thread(s) + 1 writer{}; median of {} run(s) per engine, \
         each run a child process on a fresh directory",
        c.num,
        c.key_size,
        c.value_size,
        c.sync_ops(),
        mib(c.memtable_size as u64),
        c.block_size,
        c.bloom_bits,
        mib(c.cache_size as u64),
        value_name(&c.compression),
        c.threads,
        if c.write_rate > 0 {
            format!(" at {} writes/s", c.write_rate)
        } else {
            String::new()
        },
        runs_done,
    )
}

/// How the columns are measured.
pub const METHOD: &str = "\
- ops/s and MB/s (key + value bytes) over the timed part only; latency: every operation timed \
on its own (scans: each entry), hdrhistogram, 3 significant digits; each column is the median \
of the runs on its own.\n\
- write amp: bytes the process wrote to storage during the timed part (`/proc/self/io` \
`write_bytes`: pages dirtied for storage, counted when dirtied, every thread of the process) / \
key + value bytes the workload wrote; compaction still pending when the workload ends is not \
counted. fillsync rewrites the same WAL page on every write, so its figure counts one 4 KiB \
page per sync.\n\
- disk after: summed file sizes under the database directory right after the workload \
(apparent sizes: RocksDB's fallocated WAL tail, up to ~70 MiB here, is not counted).\n\
- peak RSS: each engine runs in its own child process; the high-water mark is reset before \
each workload (`/proc/self/clear_refs` ← 5) and `VmHWM` read after it.\n\
- reading workloads run on a database holding every key, flushed and fully compacted first \
(untimed); `overwrite` runs on what `fillrandom` left (~63% of the keys), as in db_bench.\n";

/// What `--settle` changes in [`METHOD`].
pub const SETTLED: &str = "\
- **`--settle`**: after each writing workload's timed part the engine flushes its memtables \
and the harness waits until no flush or compaction runs or is pending (Strata \
`Db::wait_for_compactions`, RocksDB's `num-running-compactions`, `compaction-pending`, \
`num-running-flushes` and `mem-table-flush-pending` properties all 0); write amp then counts \
every byte written from the start of the timed part until then (so pending compaction *is* \
counted, and the figure no longer depends on where background work stood when the timed part \
ended), and disk after is read after it.\n";

/// The whole markdown section for docs/BENCHMARKS.md.
pub fn markdown(
    cli: &Cli,
    outcome: &Outcome,
    machine: &Value,
    command: &str,
    date: &str,
) -> String {
    let crates = machine
        .get("crates")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or("?")))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let get = |k: &str| machine.get(k).cloned().unwrap_or(Value::Null);
    format!(
        "## Peers: Strata vs RocksDB, fjall and sled ({date})\n\n\
         ```sh\n{command}\n```\n\n\
         Machine: {nproc} cores ({cpu}), {ram:.1} GiB RAM, Linux {kernel}, load average {load} at the start (other sessions' builds share the cores); \
         Strata commit {commit}; \
         crates: {crates}; RocksDB linked: {rocks}.\n\n\
         Settings: {settings}.\n\n\
         {medians}\n{ratios}\n\
         How it is measured:\n\n{METHOD}{settle}\n\
         Engine setup, settings that could not be matched, and the durability of an \
         acknowledged write without sync:\n\n{notes}",
        nproc = get("nproc"),
        cpu = get("cpu").as_str().unwrap_or("?"),
        ram = get("ram_gib").as_f64().unwrap_or(0.0),
        kernel = get("kernel").as_str().unwrap_or("?"),
        commit = get("strata_commit").as_str().unwrap_or("?"),
        load = get("loadavg_at_start").as_str().unwrap_or("?"),
        rocks = get("rocksdb_library").as_str().unwrap_or("?"),
        settings = settings(cli, outcome.runs_done()),
        settle = if cli.common.settle { SETTLED } else { "" },
        medians = medians_table(cli, outcome),
        ratios = ratios_table(cli, outcome),
        notes = notes(cli),
    )
}
