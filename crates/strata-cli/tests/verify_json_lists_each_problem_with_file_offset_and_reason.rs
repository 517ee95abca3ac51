//! `strata verify --json`: a sound database is `{"sound": true, "problems": []}` with exit 0;
//! a flipped SST byte is a problem naming that SST, a numeric offset and a reason, exit 1 as in
//! the text form.
#![allow(clippy::unwrap_used)]

mod common;

use std::error::Error;

use common::files::{only, run, small_db};
use serde_json::Value;

#[test]
fn verify_json_lists_each_problem_with_file_offset_and_reason() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("db");
    small_db(&db);
    let out = run(&["verify", "--json"], &db);
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(doc["sound"], true);
    assert_eq!(doc["problems"].as_array().map(Vec::len), Some(0));
    assert!(doc["ok"].as_array().unwrap().len() >= 3, "{doc}");

    let sst = only(&db, |n| n.ends_with(".sst"));
    let mut bytes = std::fs::read(&sst)?;
    bytes[4] ^= 0x10;
    std::fs::write(&sst, bytes)?;
    let out = run(&["verify", "--json"], &db);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(doc["sound"], false);
    let problems = doc["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{doc}");
    assert_eq!(problems[0]["file"].as_str(), sst.to_str());
    // The flipped byte lies in the first data block, which starts at offset 0.
    assert_eq!(problems[0]["offset"].as_u64(), Some(0));
    assert!(!problems[0]["reason"].as_str().unwrap().is_empty());
    Ok(())
}
