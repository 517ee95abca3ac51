//! `strata bench --num 2000` runs every workload and reports every field, as lines and as JSON.
#![allow(clippy::unwrap_used)]

mod common;

use common::{stderr, strata};

const ALL: &str = "fillseq,fillrandom,overwrite,readrandom,readmissing,seekrandom,readseq,\
readreverse,deleterandom,fillsync,readwhilewriting,flush,compact";

#[test]
fn every_workload_prints_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let output = strata()
        .args(["bench", "--num", "2000", "--benchmarks", ALL, "--path"])
        .arg(dir.path().join("bench.db"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    for workload in ALL.split(',') {
        let line = text
            .lines()
            .find(|l| l.split(':').next().map(str::trim) == Some(workload))
            .unwrap_or_else(|| panic!("no line for {workload} in\n{text}"));
        for field in [
            "ops/s", "MB/s", "ops in", "p50", "p99", "p99.9", "max", "disk", "peak RSS",
        ] {
            assert!(
                line.contains(field),
                "{workload}: {field} missing in {line}"
            );
        }
        let reads = [
            "readrandom",
            "readmissing",
            "seekrandom",
            "readseq",
            "readreverse",
            "readwhilewriting",
        ];
        assert_eq!(line.contains("found"), reads.contains(&workload), "{line}");
    }
    let found = |workload: &str| -> String {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{workload} ")))
            .unwrap();
        line.split("; ")
            .find(|f| f.starts_with("found"))
            .unwrap()
            .to_string()
    };
    // After fillseq every key exists; missing keys never do; a scan reads every key.
    assert_eq!(found("readrandom"), "found 2000 of 2000");
    assert_eq!(found("readmissing"), "found 0 of 2000");
    assert_eq!(found("seekrandom"), "found 2000 of 2000");
    assert_eq!(found("readseq"), "found 2000 of 2000");
    assert_eq!(found("readreverse"), "found 2000 of 2000");
    assert!(text.contains("background writes"), "{text}");
    // Progress bars only on a terminal: stderr stays empty when captured.
    assert!(stderr(&output).trim().is_empty(), "{}", stderr(&output));
}

#[test]
fn json_output_with_threads() {
    let dir = tempfile::tempdir().unwrap();
    let output = strata()
        .args([
            "bench",
            "--num",
            "2000",
            "--threads",
            "2",
            "--json",
            "--compression",
            "zstd",
        ])
        .args([
            "--benchmarks",
            "fillrandom,readrandom,readmissing,readseq,readwhilewriting",
        ])
        .arg("--path")
        .arg(dir.path().join("bench.db"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["config"]["threads"], 2);
    assert_eq!(doc["config"]["compression"], "zstd");
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for result in results {
        for field in [
            "benchmark",
            "ops",
            "seconds",
            "ops_per_sec",
            "mb_per_sec",
            "disk_bytes",
            "peak_rss_bytes",
        ] {
            assert!(!result[field].is_null(), "{field} in {result}");
        }
        for quantile in ["p50", "p99", "p99.9", "max"] {
            assert!(
                result["latency_us"][quantile].as_f64().unwrap() >= 0.0,
                "{result}"
            );
        }
    }
    assert_eq!(results[0]["ops"], 2000);
    assert!(results[0]["found"].is_null());
    // fillrandom draws keys with repeats: some, not all, exist.
    let found = results[1]["found"].as_u64().unwrap();
    assert!(found > 0 && found < 2000, "{found}");
    assert_eq!(results[2]["found"], 0);
    assert!(results[4]["background_writes"].as_u64().is_some());
}

#[test]
fn bench_refuses_a_non_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("precious.txt"), b"keep me").unwrap();
    let output = strata()
        .args(["bench", "--num", "10", "--benchmarks", "fillseq", "--path"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--use-existing-db"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(dir.path().join("precious.txt")).unwrap(),
        b"keep me"
    );
}

#[test]
fn bench_in_a_temporary_directory_by_default() {
    let output = strata()
        .args([
            "bench",
            "--num",
            "100",
            "--benchmarks",
            "fillseq,readrandom",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    let path = text.lines().find_map(|l| l.strip_prefix("path: ")).unwrap();
    assert!(
        !std::path::Path::new(path).exists(),
        "temporary directory left behind: {path}"
    );
}
