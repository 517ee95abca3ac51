//! `strata inspect DIR` after two flushes and a full compaction lists each VersionEdit (the
//! snapshot, two flushes adding L0 files, the compaction removing both and adding the file now
//! on disk) and compaction statistics; `--json` says the same and parses with serde_json.
#![allow(clippy::unwrap_used)]

mod common;

use std::error::Error;

use common::files::{files, line_with, only, run, stdout};
use common::{shell, stderr};
use serde_json::Value;

#[test]
fn inspect_shows_the_manifest_history_after_a_flush_and_a_compaction() -> Result<(), Box<dyn Error>>
{
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("db");
    let script = "fill 1 100\nflush\nfill 50 150\nflush\nfull_compaction\n";
    let out = shell(&db, &["--compaction", "none"], script);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sst = only(&db, |n| n.ends_with(".sst"));
    let live: u64 = sst.file_stem().unwrap().to_str().unwrap().parse()?;
    let live_size = std::fs::metadata(&sst)?.len();

    let out = run(&["inspect"], &db);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    line_with(&text, "history: 4 edits");
    line_with(&text, "#0 @12 snapshot:"); // after the 12-byte log file header
    let flushes: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" flush: +L0 "))
        .collect();
    assert_eq!(flushes.len(), 2, "{text}");
    let compaction = line_with(&text, " compaction: ");
    assert_eq!(compaction.matches("-L0 ").count(), 2, "{compaction}");
    assert!(
        compaction.contains(&format!("{live:06}.sst ({live_size} B)")),
        "{compaction}"
    );
    line_with(&text, "2 flushes");
    assert!(line_with(&text, "compactions=1").contains("in=2 files/"));
    assert!(line_with(&text, "compactions=1").contains(&format!("out=1 files/{live_size} B")));

    let out = run(&["inspect", "--json"], &db);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout)?;
    let kinds: Vec<&str> = doc["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["snapshot", "flush", "flush", "compaction"]);
    // 100 + 101 writes.
    assert_eq!(doc["manifest"]["last_sequence"], 201);
    assert_eq!(doc["compaction_stats"]["flushes"], 2);
    let level = &doc["compaction_stats"]["levels"][0];
    assert_eq!(
        (level["compactions"].as_u64(), level["files_in"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(level["bytes_out"].as_u64(), Some(live_size));
    let file = &doc["levels"][0]["files"][0];
    assert_eq!(file["number"].as_u64(), Some(live));
    // 150 distinct keys, smallest and largest in bytewise order.
    assert_eq!(file["entries"].as_u64(), Some(150));
    assert_eq!(
        (file["smallest"].as_str(), file["largest"].as_str()),
        (Some("1"), Some("99"))
    );

    let out = run(&["inspect", "--json"], &sst);
    let table: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(table["size"].as_u64(), Some(live_size));
    assert_eq!(table["format_version"], 2);
    assert_eq!(table["properties"]["entries"], 150);
    assert_eq!(files(&db, |n| n.ends_with(".sst")).len(), 1);
    Ok(())
}
