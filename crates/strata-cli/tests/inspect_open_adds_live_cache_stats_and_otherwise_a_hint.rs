//! `strata inspect DIR` ends with a one-line hint that cache statistics need `--open` (or the
//! shell's `stats`); `inspect DIR --open` instead appends the engine's live stats, cache
//! section included, counted from that open (so no gets yet), and `--json --open` adds a
//! `live_stats` object; `--open` on a single file is refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{shell, stderr, stdout_lines, strata};

const HINT: &str = "cache statistics: none on disk; pass --open to open the database and print \
                    its live stats, or run `stats` in `strata shell`";

/// A database with one flushed table of 100 keys.
fn db(path: &Path) {
    let output = shell(path, &[], "fill 1 100\nflush\nget 5\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn inspect_open_adds_live_cache_stats_and_otherwise_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    db(&path);

    let offline = strata().arg("inspect").arg(&path).output().unwrap();
    assert_eq!(offline.status.code(), Some(0), "{}", stderr(&offline));
    let offline = stdout_lines(&offline);
    assert_eq!(
        offline.last().map(String::as_str),
        Some(HINT),
        "{offline:?}"
    );
    assert!(!offline.iter().any(|l| l.starts_with("block cache:")));
    let report = &offline[..offline.len() - 1];

    let open = strata()
        .args(["inspect", "--open"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(open.status.code(), Some(0), "{}", stderr(&open));
    let lines = stdout_lines(&open);
    // The offline report comes first, unchanged but for the hint.
    assert!(lines.len() > report.len());
    assert_eq!(&lines[..report.len()], report);
    assert!(!lines.iter().any(|l| l == HINT), "{lines:?}");
    let at = lines
        .iter()
        .position(|l| l.starts_with("live stats "))
        .unwrap_or_else(|| panic!("no live stats in {lines:?}"));
    let live = &lines[at..];
    let with = |prefix: &str| -> &str {
        live.iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {live:?}"))
    };
    // One table of 100 entries in L0, nothing read since the open.
    assert!(
        with("L0 ").split_whitespace().nth(1) == Some("1"),
        "{live:?}"
    );
    assert!(
        with("block cache: ").contains(" 0 hits, 0 misses (hit rate -), 0 bytes inserted"),
        "{live:?}"
    );
    assert!(with("table cache: ").contains(" misses (table opens)"));
    assert!(
        with("gets: ").starts_with("gets: 0, 0 tables probed (0.00/get), 0 blocks read"),
        "{live:?}"
    );
    assert!(with("gets: ").ends_with("bloom: 0 checks, 0 negatives"));

    let json = strata()
        .args(["inspect", "--open", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let live = &doc["live_stats"];
    assert_eq!(live["block_cache"]["hits"], 0);
    assert_eq!(live["block_cache"]["misses"], 0);
    assert!(live["block_cache"]["hit_rate"].is_null());
    assert_eq!(live["gets"]["count"], 0);
    assert_eq!(live["levels"][0]["files"], 1);
    assert_eq!(live["last_sequence"], 100);
    let plain = strata()
        .args(["inspect", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(doc.get("live_stats").is_none());

    let sst = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "sst"))
        .unwrap();
    let refused = strata()
        .args(["inspect", "--open"])
        .arg(&sst)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("--open needs a database directory"),
        "{}",
        stderr(&refused)
    );
}
