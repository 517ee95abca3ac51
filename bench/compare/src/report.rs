//! One workload's results ([`WorkloadResult`]), their JSON form (child → parent), and the
//! median of several runs.
//!
//! Threading: plain data.

use serde_json::{Value, json};

use crate::workload::{Measured, Workload};

/// What one run of one workload on one engine measured.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadResult {
    /// The db_bench name.
    pub workload: String,
    /// Operations (scans: entries read).
    pub ops: u64,
    /// Wall-clock seconds of the timed part.
    pub seconds: f64,
    /// Operations per second.
    pub ops_per_sec: f64,
    /// Key + value MB (10^6 bytes) moved per second by the timed threads.
    pub mb_per_sec: f64,
    /// Latency percentiles in microseconds.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Reads that found their key (reading workloads).
    pub found: Option<u64>,
    /// Background writes of `readwhilewriting`.
    pub background_writes: Option<u64>,
    /// Bytes the process wrote during the timed part / user bytes written (writing workloads).
    pub write_amp: Option<f64>,
    /// `/proc/self/io` counter the written bytes came from.
    pub io_source: String,
    /// Bytes allocated under the database directory after the workload.
    pub disk_bytes: u64,
    /// Peak RSS during the workload (reset before it), if known.
    pub peak_rss_bytes: Option<u64>,
    /// Seconds of untimed preparation (fresh open, load, full compaction).
    pub setup_seconds: f64,
}

impl WorkloadResult {
    /// Builds the result of `workload` from its measurements and the outside readings.
    pub fn new(
        workload: Workload,
        m: &Measured,
        write_amp: Option<f64>,
        io_source: &str,
        disk_bytes: u64,
        peak_rss_bytes: Option<u64>,
        setup_seconds: f64,
    ) -> WorkloadResult {
        let seconds = m.elapsed.as_secs_f64();
        let per_sec = |x: f64| if seconds > 0.0 { x / seconds } else { 0.0 };
        let us = |q: f64| {
            if m.latency_ns.is_empty() {
                0.0
            } else {
                m.latency_ns.value_at_quantile(q) as f64 / 1000.0
            }
        };
        let reads = workload.needs_loaded();
        WorkloadResult {
            workload: workload.name(),
            ops: m.ops,
            seconds,
            ops_per_sec: per_sec(m.ops as f64),
            mb_per_sec: per_sec(m.bytes as f64 / 1e6),
            p50_us: us(0.5),
            p99_us: us(0.99),
            p999_us: us(0.999),
            found: reads.then_some(m.found),
            background_writes: (workload == Workload::Readwhilewriting)
                .then_some(m.background_writes),
            write_amp,
            io_source: io_source.to_string(),
            disk_bytes,
            peak_rss_bytes,
            setup_seconds,
        }
    }

    /// One human-readable line.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{:<16} {:>10.0} ops/s {:>7.1} MB/s  p50 {:.1} p99 {:.1} p99.9 {:.1} us",
            self.workload,
            self.ops_per_sec,
            self.mb_per_sec,
            self.p50_us,
            self.p99_us,
            self.p999_us
        );
        if let Some(found) = self.found {
            line.push_str(&format!("  found {found}/{}", self.ops));
        }
        if let Some(writes) = self.background_writes {
            line.push_str(&format!("  bg writes {writes}"));
        }
        if let Some(wa) = self.write_amp {
            line.push_str(&format!("  WA {wa:.2}x"));
        }
        line.push_str(&format!("  disk {}", mib(self.disk_bytes)));
        if let Some(rss) = self.peak_rss_bytes {
            line.push_str(&format!("  peak RSS {}", mib(rss)));
        }
        line.push_str(&format!("  (setup {:.1} s)", self.setup_seconds));
        line
    }

    /// The JSON object.
    pub fn json(&self) -> Value {
        json!({
            "workload": self.workload,
            "ops": self.ops,
            "seconds": self.seconds,
            "ops_per_sec": self.ops_per_sec,
            "mb_per_sec": self.mb_per_sec,
            "p50_us": self.p50_us,
            "p99_us": self.p99_us,
            "p999_us": self.p999_us,
            "found": self.found,
            "background_writes": self.background_writes,
            "write_amp": self.write_amp,
            "io_source": self.io_source,
            "disk_bytes": self.disk_bytes,
            "peak_rss_bytes": self.peak_rss_bytes,
            "setup_seconds": self.setup_seconds,
        })
    }

    /// Reads back [`json`](Self::json)'s output.
    pub fn from_json(v: &Value) -> Option<WorkloadResult> {
        let f = |name: &str| v.get(name).and_then(Value::as_f64);
        let u = |name: &str| v.get(name).and_then(Value::as_u64);
        Some(WorkloadResult {
            workload: v.get("workload")?.as_str()?.to_string(),
            ops: u("ops")?,
            seconds: f("seconds")?,
            ops_per_sec: f("ops_per_sec")?,
            mb_per_sec: f("mb_per_sec")?,
            p50_us: f("p50_us")?,
            p99_us: f("p99_us")?,
            p999_us: f("p999_us")?,
            found: u("found"),
            background_writes: u("background_writes"),
            write_amp: f("write_amp"),
            io_source: v.get("io_source")?.as_str()?.to_string(),
            disk_bytes: u("disk_bytes")?,
            peak_rss_bytes: u("peak_rss_bytes"),
            setup_seconds: f("setup_seconds")?,
        })
    }
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

/// The median of `values` (the mean of the middle two for an even count); `None` if empty.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// The median, field by field, of several runs of one workload (`runs` is not empty).
pub fn median_of(runs: &[WorkloadResult]) -> Option<WorkloadResult> {
    let first = runs.first()?;
    let mf = |get: &dyn Fn(&WorkloadResult) -> Option<f64>| -> Option<f64> {
        median(runs.iter().filter_map(get).collect())
    };
    let mu = |get: &dyn Fn(&WorkloadResult) -> Option<u64>| -> Option<u64> {
        mf(&|r| get(r).map(|x| x as f64)).map(|x| x.round() as u64)
    };
    Some(WorkloadResult {
        workload: first.workload.clone(),
        ops: mu(&|r| Some(r.ops))?,
        seconds: mf(&|r| Some(r.seconds))?,
        ops_per_sec: mf(&|r| Some(r.ops_per_sec))?,
        mb_per_sec: mf(&|r| Some(r.mb_per_sec))?,
        p50_us: mf(&|r| Some(r.p50_us))?,
        p99_us: mf(&|r| Some(r.p99_us))?,
        p999_us: mf(&|r| Some(r.p999_us))?,
        found: mu(&|r| r.found),
        background_writes: mu(&|r| r.background_writes),
        write_amp: mf(&|r| r.write_amp),
        io_source: first.io_source.clone(),
        disk_bytes: mu(&|r| Some(r.disk_bytes))?,
        peak_rss_bytes: mu(&|r| r.peak_rss_bytes),
        setup_seconds: mf(&|r| Some(r.setup_seconds))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }
}
