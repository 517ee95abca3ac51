//! `strata dump MANIFEST-NNNNNN` shows each VersionEdit with its tagged fields: the flush's
//! NewFile names the SST on disk with its level, size, keys and counts.
#![allow(clippy::unwrap_used)]

mod common;

use std::error::Error;

use common::files::{line_with, only, run, small_db, stdout};

#[test]
fn dump_of_a_manifest_shows_each_version_edit() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("db");
    small_db(&db);
    let manifest = only(&db, |n| n.starts_with("MANIFEST-"));
    let sst = only(&db, |n| n.ends_with(".sst"));
    let name = sst.file_name().unwrap().to_str().unwrap().to_string();
    let size = std::fs::metadata(&sst)?.len();
    let out = run(&["dump"], &manifest);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let text = stdout(&out);
    line_with(&text, "VersionEdit #0");
    line_with(&text, "format version: 1");
    line_with(&text, "(NextFileNumber)");
    line_with(&text, "(LogNumber)");
    line_with(&text, "tag 5 (NewFile)");
    line_with(&text, &format!("level 0, file {name}, size {size}"));
    line_with(&text, "smallest: b\"k1\" @");
    line_with(&text, "largest: b\"k2\" @");
    // k1's tombstone and k2's value, written as seqs 3 and 2.
    line_with(&text, "seqs 2..=3, entries 2, deletions 1");
    line_with(&text, "End");

    let hex = stdout(&run(&["dump", "--hex"], &manifest));
    // The record starts with format version 1, then tag 1 or 2 with a 1-byte length.
    assert!(
        line_with(&hex, "format version: 1").contains("  01  "),
        "{hex}"
    );
    Ok(())
}
