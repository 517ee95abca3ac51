//! Measurements taken from outside the engines: bytes the process wrote to storage and its
//! peak resident memory (Linux `/proc/self`).
//!
//! Threading: plain reads of `/proc/self/*`; the kernel sums every thread of the process
//! (background flush and compaction threads included).

/// The I/O counters of `/proc/self/io` at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IoCounters {
    /// Bytes of pages the process dirtied for storage (`write_bytes`), counted when dirtied.
    pub write_bytes: u64,
    /// Bytes passed to write-like syscalls (`wchar`).
    pub wchar: u64,
}

fn proc_field(file: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// The process's I/O counters (zeros without `/proc/self/io`).
pub fn io_counters() -> IoCounters {
    IoCounters {
        write_bytes: proc_field("/proc/self/io", "write_bytes").unwrap_or(0),
        wchar: proc_field("/proc/self/io", "wchar").unwrap_or(0),
    }
}

/// Bytes written between two readings, and the counter they came from: `write_bytes` when the
/// kernel accounted any, else `wchar` (which misses mmap writes and counts page-cache-only
/// rewrites).
pub fn written_between(before: IoCounters, after: IoCounters) -> (u64, &'static str) {
    let bytes = after.write_bytes.saturating_sub(before.write_bytes);
    if bytes > 0 {
        (bytes, "write_bytes")
    } else {
        (after.wchar.saturating_sub(before.wchar), "wchar")
    }
}

/// The process's peak resident set size so far (`VmHWM`), in bytes.
pub fn peak_rss() -> Option<u64> {
    proc_field("/proc/self/status", "VmHWM").map(|kib| kib * 1024)
}
