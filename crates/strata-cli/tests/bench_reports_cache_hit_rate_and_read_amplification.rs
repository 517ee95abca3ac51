//! `strata bench --num 200` on two flushed L0 tables (a sequential fill, then random
//! overwrites; no compaction) reports, per workload, the block cache hit rate and the read
//! amplification of its gets, as text and in `--json`, with figures a model of the tree
//! bounds: a random read probes one or two tables, a missing key (above every table's range)
//! none, and a workload without gets or block lookups has no figure.
#![allow(clippy::unwrap_used)]

mod common;

use common::{stderr, strata};
use serde_json::Value;

const BENCHMARKS: &str = "fillseq,flush,overwrite,flush,readrandom,readmissing,readseq";

fn bench(json: bool) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = strata();
    command
        .args(["bench", "--num", "200", "--compaction", "none"])
        .args(["--benchmarks", BENCHMARKS, "--path"])
        .arg(dir.path().join("bench.db"));
    if json {
        command.arg("--json");
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    output
}

#[test]
fn every_line_has_the_cache_and_read_amplification_fields() {
    let output = bench(false);
    let text = String::from_utf8(output.stdout).unwrap();
    let line = |workload: &str| -> &str {
        text.lines()
            .find(|l| l.starts_with(&format!("{workload} ")))
            .unwrap_or_else(|| panic!("no line for {workload} in\n{text}"))
    };
    for workload in [
        "fillseq",
        "overwrite",
        "readrandom",
        "readmissing",
        "readseq",
    ] {
        let l = line(workload);
        for field in [
            "; cache hit ",
            "; per get: ",
            " blocks read, ",
            " tables probed (",
            " bloom-skipped)",
        ] {
            assert!(l.contains(field), "{workload}: {field:?} missing in {l}");
        }
    }
    // No reads at all: no figures.
    assert!(
        line("fillseq").contains("cache hit -; per get: - blocks read, - tables probed (- bloom"),
        "{}",
        line("fillseq")
    );
    // Every random read looks up at least one block; a hit rate is printed.
    assert!(line("readrandom").contains("cache hit "));
    assert!(
        !line("readrandom").contains("cache hit -"),
        "{}",
        line("readrandom")
    );
    // Missing keys lie above both tables' ranges: gets, but no table probed.
    assert!(
        line("readmissing").contains("per get: 0.00 blocks read, 0.00 tables probed"),
        "{}",
        line("readmissing")
    );
    // A scan reads blocks but does no get.
    assert!(
        line("readseq").contains("per get: - blocks read"),
        "{}",
        line("readseq")
    );
}

#[test]
fn json_has_the_cache_and_read_amplification_objects() {
    let output = bench(true);
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = doc["results"].as_array().unwrap();
    let result = |name: &str| -> &Value {
        results
            .iter()
            .find(|r| r["benchmark"] == name)
            .unwrap_or_else(|| panic!("no {name} in {doc}"))
    };
    for r in results {
        for field in ["hits", "misses", "hit_rate"] {
            assert!(r["block_cache"].get(field).is_some(), "{field} in {r}");
        }
        for field in [
            "gets",
            "blocks_read",
            "tables_probed",
            "bloom_negatives",
            "blocks_read_per_get",
            "tables_probed_per_get",
            "bloom_negatives_per_get",
        ] {
            assert!(
                r["read_amplification"].get(field).is_some(),
                "{field} in {r}"
            );
        }
    }
    let fill = result("fillseq");
    assert_eq!(fill["read_amplification"]["gets"], 0);
    assert!(fill["block_cache"]["hit_rate"].is_null());
    assert!(fill["read_amplification"]["blocks_read_per_get"].is_null());

    // Two L0 tables: the overwrites' (newest) is probed first, the fill's holds every key.
    let read = &result("readrandom")["read_amplification"];
    assert_eq!(read["gets"], 200);
    let probed = read["tables_probed_per_get"].as_f64().unwrap();
    assert!((1.0..=2.0).contains(&probed), "{read}");
    let skipped = read["bloom_negatives_per_get"].as_f64().unwrap();
    assert!(skipped <= probed - 1.0, "{read}");
    // The cache holds both tables: each data block is read from disk at most once.
    let blocks_read = read["blocks_read"].as_u64().unwrap();
    assert!(blocks_read <= 200, "{read}");
    let cache = &result("readrandom")["block_cache"];
    let hit_rate = cache["hit_rate"].as_f64().unwrap();
    assert!(hit_rate > 0.0 && hit_rate <= 1.0, "{cache}");
    assert_eq!(cache["misses"].as_u64().unwrap(), blocks_read);

    let missing = &result("readmissing")["read_amplification"];
    assert_eq!(missing["gets"], 200);
    assert_eq!(missing["tables_probed"], 0);
    assert_eq!(missing["blocks_read_per_get"], 0.0);

    let scan = result("readseq");
    assert_eq!(scan["read_amplification"]["gets"], 0);
    let lookups = scan["block_cache"]["hits"].as_u64().unwrap()
        + scan["block_cache"]["misses"].as_u64().unwrap();
    assert!(lookups > 0, "{scan}");
}
