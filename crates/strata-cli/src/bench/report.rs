//! What a workload reports, as one human-readable line or a JSON object, plus the two
//! measurements taken from outside the engine: space on disk and peak RSS.

use std::path::Path;

use serde_json::{Value, json};

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
        }
    }

    /// One line: `name : ops/s; MB/s; ops in s; latency; [found]; disk; peak RSS`.
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
        match self.peak_rss_bytes {
            Some(rss) => line.push_str(&format!("; peak RSS {}", human_bytes(rss))),
            None => line.push_str("; peak RSS n/a"),
        }
        line
    }

    /// The JSON object (every field present; unknown ones are `null`).
    pub fn json(&self) -> Value {
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
            "peak RSS 1.0 MiB",
        ] {
            assert!(line.contains(field), "{field} missing in {line}");
        }
        let json = report.json();
        assert_eq!(json["benchmark"], "readrandom");
        assert_eq!(json["found"], 600);
        assert_eq!(json["disk_bytes"], 4096);
        assert!(json["latency_us"]["p99.9"].as_f64().unwrap() > 0.0);
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
