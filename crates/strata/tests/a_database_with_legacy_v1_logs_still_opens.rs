//! A database written before log format v2 still opens: its WAL and MANIFEST, rewritten here
//! in the legacy v1 framing (docs/FORMAT.md, Part II, "Legacy v1"), replay to the same
//! contents, and the logs recovery writes afterwards are v2. A torn v1 WAL tail is still
//! dropped, and a damaged complete v1 record is still `Corruption`.
//!
//! The conversion is written from the format document (a small v2 parser for the one-block
//! logs of this test, and a v1 writer), not with the engine's log code.

use std::path::PathBuf;
use std::sync::Arc;

use strata::fs::SimFs;
use strata::fs::sim::CrashMode;
use strata::{CompactionOptions, Db, Options, Result};

const MASK_DELTA: u32 = 0xa282_ead8;

fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

fn opts() -> Options {
    Options {
        compaction: CompactionOptions::None,
        ..Default::default()
    }
}

fn open(fs: &SimFs) -> Result<Db> {
    Db::open_with_fs("/db", opts(), Arc::new(fs.clone()))
}

/// The records of a v2 log that fits in one block and holds only Full fragments.
fn v2_records(log: &[u8]) -> Vec<Vec<u8>> {
    assert_eq!(log.get(..8), Some(&b"SLOG\xff\xff\x02\x00"[..]), "a v2 log");
    let mut out = Vec::new();
    let mut at = 12;
    while at < log.len() {
        let len = usize::from(u16::from_le_bytes([log[at + 4], log[at + 5]]));
        assert_eq!(log[at + 6], 1, "a Full fragment");
        out.push(log[at + 11..at + 11 + len].to_vec());
        assert_eq!(log[at + 11 + len], 0xa5, "the end byte");
        at += 12 + len;
    }
    out
}

/// `records` as a v1 log (each fits in the first block: Full fragments only).
fn v1_log(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        let crc = mask(crc32c::crc32c_append(crc32c::crc32c(&[1]), r));
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(r.len() as u16).to_le_bytes());
        out.push(1);
        out.extend_from_slice(r);
    }
    assert!(out.len() < 32 * 1024 - 7, "one block");
    out
}

fn logs(fs: &SimFs) -> Vec<PathBuf> {
    fs.files()
        .into_iter()
        .filter(|(p, len)| {
            let name = p.to_string_lossy();
            *len > 0 && (name.ends_with(".wal") || name.contains("MANIFEST-"))
        })
        .map(|(p, _)| p)
        .collect()
}

/// A database with flushed tables (MANIFEST edits) and synced writes in its WAL, left by a
/// process crash, with both logs rewritten as v1. Returns the filesystem and the v1 WAL.
fn legacy_database() -> Result<(SimFs, PathBuf)> {
    let fs = SimFs::new();
    let db = open(&fs)?;
    db.put("flushed", "table")?;
    db.delete("gone")?;
    db.flush()?;
    for i in 0..20 {
        db.put(format!("k{i:02}"), format!("value {i}"))?;
    }
    db.delete("k05")?;
    db.sync()?;
    let fs = fs.crash(CrashMode::ProcessCrash);
    drop(db);
    let mut wal = None;
    for path in logs(&fs) {
        let bytes = fs.read_file(&path).unwrap_or_default();
        fs.write_file(&path, &v1_log(&v2_records(&bytes)));
        if path.to_string_lossy().ends_with(".wal") {
            wal = Some(path);
        }
    }
    let wal = wal.ok_or_else(|| strata::Error::InvalidArgument("no WAL".into()))?;
    Ok((fs, wal))
}

fn check(db: &Db, upto: usize) -> Result<()> {
    assert_eq!(db.get("flushed")?.as_deref(), Some(&b"table"[..]));
    for i in 0..20 {
        let want = (i != 5 && i < upto).then(|| format!("value {i}").into_bytes());
        let got = db.get(format!("k{i:02}"))?.map(|v| v.to_vec());
        assert_eq!(got, want, "k{i:02}");
    }
    Ok(())
}

#[test]
fn a_database_with_legacy_v1_logs_still_opens() -> Result<()> {
    let (fs, _) = legacy_database()?;
    let db = open(&fs)?;
    check(&db, 20)?;
    db.put("new", "write")?;
    db.close()?;
    // Recovery wrote fresh logs, in v2.
    for path in logs(&fs) {
        let bytes = fs.read_file(&path).unwrap_or_default();
        assert_eq!(bytes.get(..4), Some(&b"SLOG"[..]), "{path:?} is v2");
    }
    let db = open(&fs)?;
    check(&db, 20)?;
    assert_eq!(db.get("new")?.as_deref(), Some(&b"write"[..]));
    db.close()
}

#[test]
fn a_torn_v1_wal_tail_is_dropped_and_a_damaged_v1_record_is_corruption() -> Result<()> {
    // Cut inside the last record (k05's delete): everything before it stays.
    let (fs, wal) = legacy_database()?;
    let bytes = fs.read_file(&wal).unwrap_or_default();
    fs.write_file(&wal, &bytes[..bytes.len() - 3]);
    let db = open(&fs)?;
    for i in 0..20 {
        let got = db.get(format!("k{i:02}"))?.map(|v| v.to_vec());
        assert_eq!(got, Some(format!("value {i}").into_bytes()), "k{i:02}");
    }
    db.close()?;
    // A flipped payload byte in a complete v1 record.
    let (fs, wal) = legacy_database()?;
    let mut bytes = fs.read_file(&wal).unwrap_or_default();
    bytes[10] ^= 0x01;
    fs.write_file(&wal, &bytes);
    match open(&fs) {
        Err(e) => assert!(e.is_corruption(), "{e}"),
        Ok(_) => panic!("a damaged v1 record was accepted"),
    }
    Ok(())
}
