//! `strata dump NNNNNN.wal` shows the file header (magic, version, crc), each fragment (crc,
//! length, type, header crc, end byte) and each write batch
//! (first seq, count, ops) of the live WAL, with `--hex` bytes laid out as docs/FORMAT.md says.
#![allow(clippy::unwrap_used)]

mod common;

use std::error::Error;

use common::files::{line_with, only, run, small_db, stdout};

#[test]
fn dump_of_a_wal_shows_each_fragment_and_batch() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("db");
    small_db(&db);
    let wal = only(&db, |n| n.ends_with(".wal"));
    let out = run(&["dump", "--hex"], &wal);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let text = stdout(&out);
    // After the flush only `put k3 v3` (the fourth write: seq 4) is in the live WAL.
    line_with(&text, "file header (log format v2)");
    assert!(line_with(&text, "magic: \"SLOG\" ff ff").contains("53 4c 4f 47 ff ff"));
    assert!(line_with(&text, "version: 2").contains("02 00"));
    line_with(&text, "fragment at 12: Full");
    assert!(line_with(&text, "crc: 0x").ends_with("(ok)"));
    assert!(line_with(&text, "header crc: 0x").ends_with("(ok)"));
    assert!(line_with(&text, "end byte: 0xa5 (ok)").contains("  a5  "));
    assert!(line_with(&text, "type: 1 (Full)").contains("  01  "));
    assert!(
        text.lines()
            .any(|l| l.ends_with("version: 2") && l.contains(" 02 ") && !l.contains("02 00")),
        "the batch's version byte: {text}"
    );
    assert!(
        line_with(&text, "first_seq: 4").contains("  04  "),
        "{text}"
    );
    assert!(line_with(&text, "count: 1").contains("  01  "), "{text}");
    line_with(&text, "op 0 (seq 4): kind 1 (Put)");
    assert!(
        line_with(&text, "key: b\"k3\"").contains("02 6b 33"),
        "{text}"
    );
    assert!(
        line_with(&text, "value: b\"v3\"").contains("02 76 33"),
        "{text}"
    );
    line_with(&text, "records: 1");
    Ok(())
}
