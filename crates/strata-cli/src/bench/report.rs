//! What a workload reports, as one human-readable line or a JSON object, plus the two
//! measurements taken from outside the engine: space on disk and peak RSS, and the read
//! figures taken from the difference of the engine's `Stats` before and after the workload.

use std::path::Path;

use serde_json::{Value, json};
use strata::Stats;

use super::workload::{Measured, Workload};

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Slowest operation.
    pub max: f64,
}

/// What is measured outside the workload's threads once it ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizes {
    /// Bytes under the database directory.
    pub disk_bytes: u64,
    /// The engine's cumulative write amplification.
    pub write_amplification: f64,
    /// The process's peak RSS, if known.
    pub peak_rss_bytes: Option<u64>,
    /// Block cache and read-amplification figures of this workload alone.
    pub reads: ReadFigures,
}

/// What one workload's reads did in the engine (differences of [`Stats`] counters).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReadFigures {
    /// Block cache lookups served from the cache (gets and iterators).
    pub block_cache_hits: u64,
    /// Block cache lookups that read the block from disk.
    pub block_cache_misses: u64,
    /// Point lookups.
    pub gets: u64,
    /// SST data blocks the gets read from disk.
    pub get_blocks_read: u64,
    /// Tables the gets probed.
    pub get_tables_probed: u64,
    /// Probes settled by a bloom filter alone (blocks not touched).
    pub bloom_negatives: u64,
}

impl ReadFigures {
    /// The figures of the work done between the two snapshots.
    pub fn between(before: &Stats, after: &Stats) -> ReadFigures {
        ReadFigures {
            block_cache_hits: after
                .block_cache_hits
                .saturating_sub(before.block_cache_hits),
            block_cache_misses: after
                .block_cache_misses
                .saturating_sub(before.block_cache_misses),
            gets: after.gets.saturating_sub(before.gets),
            get_blocks_read: after.get_blocks_read.saturating_sub(before.get_blocks_read),
            get_tables_probed: after
                .get_tables_probed
                .saturating_sub(before.get_tables_probed),
            bloom_negatives: after.bloom_negatives.saturating_sub(before.bloom_negatives),
        }
    }

    /// Hits / lookups; `None` without lookups.
    pub fn hit_rate(&self) -> Option<f64> {
        let lookups = self.block_cache_hits + self.block_cache_misses;
        (lookups > 0).then(|| self.block_cache_hits as f64 / lookups as f64)
    }

    fn per_get(&self, n: u64) -> Option<f64> {
        (self.gets > 0).then(|| n as f64 / self.gets as f64)
    }

    /// SST data blocks read from disk per get; `None` without gets.
    pub fn blocks_read_per_get(&self) -> Option<f64> {
        self.per_get(self.get_blocks_read)
    }

    /// Tables probed per get; `None` without gets.
    pub fn tables_probed_per_get(&self) -> Option<f64> {
        self.per_get(self.get_tables_probed)
    }

    /// Probes per get that the bloom filters settled; `None` without gets.
    pub fn bloom_negatives_per_get(&self) -> Option<f64> {
        self.per_get(self.bloom_negatives)
    }

    /// `; cache hit 97.5%; per get: 0.03 blocks read, 1.20 tables probed (0.20 bloom-skipped)`,
    /// with `-` for figures the workload has no operations for.
    fn text(&self) -> String {
        let fixed = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |x| format!("{x:.2}"));
        let hit = self
            .hit_rate()
            .map_or_else(|| "-".to_string(), |r| format!("{:.1}%", r * 100.0));
        format!(
            "; cache hit {hit}; per get: {} blocks read, {} tables probed ({} bloom-skipped)",
            fixed(self.blocks_read_per_get()),
            fixed(self.tables_probed_per_get()),
            fixed(self.bloom_negatives_per_get()),
        )
    }

    fn json(&self) -> Value {
        json!({
            "block_cache": {
                "hits": self.block_cache_hits,
                "misses": self.block_cache_misses,
                "hit_rate": self.hit_rate(),
            },
            "read_amplification": {
                "gets": self.gets,
                "blocks_read": self.get_blocks_read,
                "tables_probed": self.get_tables_probed,
                "bloom_negatives": self.bloom_negatives,
                "blocks_read_per_get": self.blocks_read_per_get(),
                "tables_probed_per_get": self.tables_probed_per_get(),
                "bloom_negatives_per_get": self.bloom_negatives_per_get(),
            },
        })
    }
}

/// One workload's results.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The db_bench name.
    pub name: String,
    /// Operations done (scans: entries read).
    pub ops: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Operations per second.
    pub ops_per_sec: f64,
    /// Key and value bytes moved per second, in MB (10^6 bytes).
    pub mb_per_sec: f64,
    /// Per-operation latency.
    pub latency_us: Latency,
    /// Reads that found their key, for reading workloads.
    pub found: Option<u64>,
    /// Writes done beside the measured reads (`readwhilewriting`).
    pub background_writes: Option<u64>,
    /// Bytes of all files under the database directory after the workload.
    pub disk_bytes: u64,
    /// Engine bytes written (flushes + compactions) / user bytes written, since the bench began.
    pub write_amplification: f64,
    /// Peak resident set size of the process so far (Linux `VmHWM`), if known.
    pub peak_rss_bytes: Option<u64>,
    /// Block cache hit rate and read amplification of this workload.
    pub reads: ReadFigures,
}

impl Report {
    /// Builds the report of `workload` from its measurements.
    pub fn new(workload: Workload, measured: &Measured, sizes: Sizes) -> Report {
        let seconds = measured.elapsed.as_secs_f64();
        let per_sec = |x: f64| if seconds > 0.0 { x / seconds } else { 0.0 };
        let us = |quantile: f64| measured.latency_ns.value_at_quantile(quantile) as f64 / 1000.0;
        let latency_us = if measured.latency_ns.is_empty() {
            Latency {
                p50: 0.0,
                p99: 0.0,
                p999: 0.0,
                max: 0.0,
            }
        } else {
            Latency {
                p50: us(0.5),
                p99: us(0.99),
                p999: us(0.999),
                max: measured.latency_ns.max() as f64 / 1000.0,
            }
        };
        Report {
            name: workload.name(),
            ops: measured.ops,
            seconds,
            ops_per_sec: per_sec(measured.ops as f64),
            mb_per_sec: per_sec(measured.bytes as f64 / 1e6),
            latency_us,
            found: workload.reads().then_some(measured.found),
            background_writes: measured.background_writes,
            disk_bytes: sizes.disk_bytes,
            write_amplification: sizes.write_amplification,
            peak_rss_bytes: sizes.peak_rss_bytes,
            reads: sizes.reads,
        }
    }

    /// One line: `name : ops/s; MB/s; ops in s; latency; [found]; disk; write amp; cache hit;
    /// per get; peak RSS`.
    pub fn line(&self) -> String {
        let l = &self.latency_us;
        let mut line = format!(
            "{:<16}: {:>10.0} ops/s; {:>8.1} MB/s; {} ops in {:.3} s; latency us: p50 {:.1}, \
             p99 {:.1}, p99.9 {:.1}, max {:.1}",
            self.name,
            self.ops_per_sec,
            self.mb_per_sec,
            self.ops,
            self.seconds,
            l.p50,
            l.p99,
            l.p999,
            l.max
        );
        if let Some(found) = self.found {
            line.push_str(&format!("; found {found} of {}", self.ops));
        }
        if let Some(writes) = self.background_writes {
            line.push_str(&format!("; background writes {writes}"));
        }
        line.push_str(&format!("; disk {}", human_bytes(self.disk_bytes)));
        line.push_str(&format!("; write amp {:.2}x", self.write_amplification));
        line.push_str(&self.reads.text());
        match self.peak_rss_bytes {
            Some(rss) => line.push_str(&format!("; peak RSS {}", human_bytes(rss))),
            None => line.push_str("; peak RSS n/a"),
        }
        line
    }

    /// The JSON object (every field present; unknown ones are `null`).
    pub fn json(&self) -> Value {
        let reads = self.reads.json();
        json!({
            "benchmark": self.name,
            "ops": self.ops,
            "seconds": self.seconds,
            "ops_per_sec": self.ops_per_sec,
            "mb_per_sec": self.mb_per_sec,
            "latency_us": {
                "p50": self.latency_us.p50,
                "p99": self.latency_us.p99,
                "p99.9": self.latency_us.p999,
                "max": self.latency_us.max,
            },
            "found": self.found,
            "background_writes": self.background_writes,
            "disk_bytes": self.disk_bytes,
            "write_amplification": self.write_amplification,
            "peak_rss_bytes": self.peak_rss_bytes,
            "block_cache": reads["block_cache"],
            "read_amplification": reads["read_amplification"],
        })
    }
}

/// `1.5 MiB`-style sizes.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Total size of the regular files under `dir` (recursively); unreadable entries count 0, since
/// files come and go while compaction runs.
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

/// The `VmHWM` value of a `/proc/<pid>/status` text, in bytes.
pub fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let mut fields = line.split_whitespace().skip(1);
    let amount: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") | None => amount.checked_mul(1024),
        Some(_) => None,
    }
}

/// Peak resident set size of this process (Linux only).
pub fn peak_rss() -> Option<u64> {
    parse_vm_hwm(&std::fs::read_to_string("/proc/self/status").ok()?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn measured() -> Measured {
        let mut latency_ns =
            hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000_000, 3).unwrap();
        for nanos in 1..=1000u64 {
            latency_ns.record(nanos * 1000).unwrap();
        }
        Measured {
            ops: 1000,
            bytes: 116_000,
            found: 600,
            background_writes: None,
            elapsed: Duration::from_millis(500),
            latency_ns,
            timeline: vec![1000],
        }
    }

    fn sizes(disk_bytes: u64, peak_rss_bytes: Option<u64>) -> Sizes {
        Sizes {
            disk_bytes,
            write_amplification: 1.5,
            peak_rss_bytes,
            reads: ReadFigures {
                block_cache_hits: 300,
                block_cache_misses: 100,
                gets: 1000,
                get_blocks_read: 100,
                get_tables_probed: 2500,
                bloom_negatives: 1500,
            },
        }
    }

    #[test]
    fn report_computes_rates_and_percentiles() {
        let report = Report::new(
            Workload::Readrandom,
            &measured(),
            sizes(4096, Some(1 << 20)),
        );
        assert_eq!(report.ops_per_sec, 2000.0);
        assert!((report.mb_per_sec - 0.232).abs() < 1e-9);
        assert!((report.latency_us.p50 - 500.0).abs() < 1.0);
        assert!((report.latency_us.p99 - 990.0).abs() < 1.0);
        assert!((report.latency_us.p999 - 999.0).abs() < 1.0);
        assert!((report.latency_us.max - 1000.0).abs() < 1.0);
        assert_eq!(report.found, Some(600));
        let line = report.line();
        for field in [
            "readrandom",
            "ops/s",
            "MB/s",
            "p50",
            "p99",
            "p99.9",
            "max",
            "found 600 of 1000",
            "disk 4.0 KiB",
            "write amp 1.50x",
            "cache hit 75.0%",
            "per get: 0.10 blocks read, 2.50 tables probed (1.50 bloom-skipped)",
            "peak RSS 1.0 MiB",
        ] {
            assert!(line.contains(field), "{field} missing in {line}");
        }
        let json = report.json();
        assert_eq!(json["benchmark"], "readrandom");
        assert_eq!(json["found"], 600);
        assert_eq!(json["disk_bytes"], 4096);
        assert!(json["latency_us"]["p99.9"].as_f64().unwrap() > 0.0);
        assert_eq!(json["block_cache"]["hit_rate"], 0.75);
        assert_eq!(json["read_amplification"]["blocks_read_per_get"], 0.1);
        assert_eq!(json["read_amplification"]["tables_probed_per_get"], 2.5);
    }

    #[test]
    fn read_figures_are_differences_and_absent_without_operations() {
        let before = Stats {
            block_cache_hits: 10,
            block_cache_misses: 5,
            gets: 7,
            get_blocks_read: 3,
            ..Stats::default()
        };
        let after = Stats {
            block_cache_hits: 10,
            block_cache_misses: 5,
            gets: 7,
            get_blocks_read: 3,
            ..Stats::default()
        };
        let none = ReadFigures::between(&before, &after);
        assert_eq!(none, ReadFigures::default());
        assert_eq!(none.hit_rate(), None);
        assert_eq!(none.blocks_read_per_get(), None);
        assert!(none.text().contains("cache hit -; per get: - blocks read"));
        let json = none.json();
        assert_eq!(json["block_cache"]["hit_rate"], Value::Null);
        let later = Stats {
            block_cache_hits: 13,
            block_cache_misses: 6,
            gets: 11,
            get_blocks_read: 4,
            get_tables_probed: 8,
            bloom_negatives: 4,
            ..Stats::default()
        };
        let some = ReadFigures::between(&after, &later);
        assert_eq!(some.hit_rate(), Some(0.75));
        assert_eq!(some.blocks_read_per_get(), Some(0.25));
        assert_eq!(some.tables_probed_per_get(), Some(2.0));
        assert_eq!(some.bloom_negatives_per_get(), Some(1.0));
    }

    #[test]
    fn writes_have_no_found_count() {
        let report = Report::new(Workload::Fillseq, &measured(), sizes(0, None));
        assert_eq!(report.found, None);
        assert!(!report.line().contains("found"));
        assert!(report.line().contains("peak RSS n/a"));
        assert_eq!(report.json()["found"], Value::Null);
    }

    #[test]
    fn vm_hwm_parses() {
        let status = "Name:\tstrata\nVmPeak:\t  9000 kB\nVmHWM:\t    1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(1234 * 1024));
        assert_eq!(parse_vm_hwm("VmRSS: 1 kB"), None);
        assert_eq!(parse_vm_hwm("VmHWM: x kB"), None);
        if cfg!(target_os = "linux") {
            assert!(peak_rss().unwrap() > 0);
        }
    }

    #[test]
    fn sizes_and_usage() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), [0u8; 100]).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b"), [0u8; 23]).unwrap();
        assert_eq!(disk_usage(dir.path()), 123);
        assert_eq!(disk_usage(&dir.path().join("missing")), 0);
    }
}
