//! `strata dump FILE.sst` walks data blocks, filter, properties, index, meta-index and footer,
//! with the values written (expected values derived from what the test wrote and from
//! docs/FORMAT.md, not from the tool), and `--hex` shows the bytes of each field.
#![allow(clippy::unwrap_used)]

mod common;

use std::error::Error;

use common::files::{line_with, only, run, small_db, stdout};

#[test]
fn dump_of_an_sst_shows_every_section_field_by_field() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("db");
    small_db(&db);
    let sst = only(&db, |n| n.ends_with(".sst"));
    let size = std::fs::metadata(&sst)?.len();
    let out = run(&["dump"], &sst);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let text = stdout(&out);
    // The flush keeps the newest version of each key: k1's tombstone and k2's value.
    assert!(
        line_with(&text, "key: b\"k1\"").ends_with(" Delete"),
        "{text}"
    );
    assert!(line_with(&text, "key: b\"k2\"").ends_with(" Put"), "{text}");
    line_with(&text, "value: b\"v2\"");
    for section in [
        "data block 0 [0, ",
        "filter [",
        "properties [",
        "index [",
        "meta-index [",
    ] {
        line_with(&text, section);
    }
    let footer_at = size - 48;
    assert!(line_with(&text, "footer [").starts_with(&format!("footer [{footer_at}, {size})")));
    assert!(
        line_with(&text, "magic: ")
            .trim_start()
            .starts_with(&format!("{} ", footer_at + 40))
    );
    line_with(&text, "magic: \"STRATSST\"");
    line_with(&text, "format version: 2");
    line_with(&text, "blocks of 64 bytes");
    line_with(&text, "entries: 2 (1 tombstones)");
    // Property values follow their names.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.ends_with("name: \"strata.entries\""))
        .unwrap();
    assert!(lines[at + 1].ends_with("value: 2"), "{}", lines[at + 1]);
    let crcs: Vec<&&str> = lines.iter().filter(|l| l.contains("crc: 0x")).collect();
    assert_eq!(crcs.len(), 6, "five blocks and the footer: {crcs:?}");
    assert!(crcs.iter().all(|l| l.ends_with("(ok)")), "{crcs:?}");

    let hex = stdout(&run(&["dump", "--hex"], &sst));
    // The magic's bytes; k2 shares "k" with k1, so its key delta is "2" (32) and the trailer
    // of seq 2, Put: (2 << 8 | 1) as u64 LE.
    assert!(
        line_with(&hex, "magic: ").contains("53 54 52 41 54 53 53 54"),
        "{hex}"
    );
    assert!(line_with(&hex, "format version: 2").contains("02 00 00 00"));
    assert!(
        line_with(&hex, "key: b\"k2\"").contains("32 01 02 00 00 00 00 00 00"),
        "{hex}"
    );
    Ok(())
}
