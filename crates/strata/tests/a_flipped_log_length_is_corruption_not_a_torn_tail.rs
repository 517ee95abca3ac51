//! One flipped bit in the length field of a log record must not silently drop synced data.
//!
//! The log reader calls a fragment whose length runs past the end of the file a torn tail
//! and drops it with everything after it. That is right for a crash in the middle of the last
//! write, but in log format v1 a flipped length byte looked the same: in the WAL it dropped
//! every later record, all of them synced; in the MANIFEST it dropped the last edit, and
//! recovery then deleted the table that edit added as an orphan (its WAL was already deleted),
//! so the flush's writes were gone for good. Found by bit_flips_never_give_wrong_answers.rs
//! (bug 5 of docs/TESTING.md).
//!
//! Fixed by log format v2: every fragment header carries a CRC of its own, so a damaged length
//! is `Corruption` wherever the record is, the last one included.

use std::path::PathBuf;
use std::sync::Arc;

use strata::fs::SimFs;
use strata::{CompactionOptions, Db, Options, Result};

fn opts() -> Options {
    Options {
        compaction: CompactionOptions::None,
        ..Default::default()
    }
}

fn open(fs: &SimFs) -> Result<Db> {
    Db::open_with_fs("/db", opts(), Arc::new(fs.clone()))
}

/// The offsets of the records of a one-block v2 log (docs/FORMAT.md, Part II §1): a 12-byte
/// file header, then fragments of an 11-byte header, the payload and an end byte.
fn record_offsets(log: &[u8]) -> Vec<usize> {
    assert_eq!(log.get(..4), Some(&b"SLOG"[..]), "a v2 log");
    let mut out = Vec::new();
    let mut at = 12;
    while let Some(len) = log.get(at + 4..at + 6) {
        out.push(at);
        at += 12 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    out
}

fn file(fs: &SimFs, suffix: &str) -> PathBuf {
    fs.files()
        .into_iter()
        .map(|(p, _)| p)
        .find(|p| p.to_string_lossy().ends_with(suffix) || p.to_string_lossy().contains(suffix))
        .expect("file")
}

/// Sets bit 0 of a record's length high byte: the record now runs past the end of the file.
fn flip_length(fs: &SimFs, path: &PathBuf, record: usize) {
    let mut bytes = fs.read_file(path).expect("file");
    let at = record_offsets(&bytes)[record];
    bytes[at + 5] ^= 0x01;
    fs.write_file(path, &bytes);
}

fn wal_with_four_records() -> Result<(SimFs, PathBuf)> {
    let fs = SimFs::new();
    let db = open(&fs)?;
    for k in ["a", "b", "c", "d"] {
        db.put(k, "v")?;
    }
    db.close()?; // syncs the WAL: all four are durable
    let wal = file(&fs, ".wal");
    Ok((fs, wal))
}

#[test]
fn a_flipped_length_in_the_first_wal_record_is_corruption() -> Result<()> {
    let (fs, wal) = wal_with_four_records()?;
    flip_length(&fs, &wal, 0);
    match open(&fs) {
        Err(e) => assert!(e.is_corruption(), "{e}"),
        Ok(db) => {
            let got: Vec<_> = db.iter()?.collect::<Result<_>>()?;
            panic!("opened with {} of the 4 synced records", got.len());
        }
    }
    Ok(())
}

/// The final record was synced too: its damaged length is corruption, not a torn tail.
#[test]
fn a_flipped_length_in_the_final_wal_record_is_corruption() -> Result<()> {
    let (fs, wal) = wal_with_four_records()?;
    flip_length(&fs, &wal, 3);
    match open(&fs) {
        Err(e) => assert!(e.is_corruption(), "{e}"),
        Ok(db) => {
            let got: Vec<_> = db.iter()?.collect::<Result<_>>()?;
            panic!("opened with {} of the 4 synced records", got.len());
        }
    }
    Ok(())
}

#[test]
fn a_flipped_length_in_the_last_manifest_edit_loses_nothing_silently() -> Result<()> {
    let fs = SimFs::new();
    let db = open(&fs)?;
    db.put("a", "1")?;
    db.flush()?;
    db.put("b", "2")?;
    db.flush()?; // the last edit adds b's table; b's WAL is deleted
    db.close()?;
    let manifest = file(&fs, "MANIFEST-");
    let edits = record_offsets(&fs.read_file(&manifest).expect("manifest")).len();
    flip_length(&fs, &manifest, edits - 1);
    match open(&fs) {
        Err(e) => assert!(e.is_corruption(), "{e}"),
        Ok(db) => assert_eq!(
            db.get("b")?.as_deref(),
            Some(&b"2"[..]),
            "b was lost silently"
        ),
    }
    Ok(())
}
