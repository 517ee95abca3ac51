//! A database written before log format v2 still opens: its WAL and MANIFEST, rewritten here
//! in the legacy v1 framing (docs/FORMAT.md, Part II, "Legacy v1") with the WAL's batches in
//! the legacy WAL record payload version 1 (Part II §2), replay to the same contents, and the
//! logs recovery writes afterwards are v2. A torn v1 WAL tail is still dropped, and a damaged
//! complete v1 record is still `Corruption`. A WAL in log format v2 holding version 1 payloads
//! (what the binary before payload version 2 wrote) also replays.
//!
//! The conversion is written from the format document (a small v2 parser for the one-block
//! logs of this test, and v1 writers), not with the engine's log or batch code.

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

/// Reads a LEB128 varint at `*at`.
fn varint(b: &[u8], at: &mut usize) -> u64 {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = b[*at];
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    v
}

/// A WAL record payload version 2 rewritten as version 1 (same batch).
fn v1_payload(v2: &[u8]) -> Vec<u8> {
    assert_eq!(v2[0], 2, "a version 2 payload");
    let mut at = 1;
    let first_seq = varint(v2, &mut at);
    let count = varint(v2, &mut at);
    let mut out = vec![1];
    out.extend_from_slice(&first_seq.to_le_bytes());
    out.extend_from_slice(&u32::try_from(count).unwrap_or(u32::MAX).to_le_bytes());
    for _ in 0..count {
        let tag = v2[at];
        assert!(tag <= 1, "Delete or Put, default keyspace");
        at += 1;
        let start = at;
        let key_len = varint(v2, &mut at) as usize;
        at += key_len;
        if tag == 1 {
            let value_len = varint(v2, &mut at) as usize;
            at += value_len;
        }
        out.extend_from_slice(&[tag, 0]); // kind, keyspace 0
        out.extend_from_slice(&v2[start..at]); // key_len, key, [value_len, value]: unchanged
    }
    assert_eq!(at, v2.len(), "nothing left over");
    out
}

/// `records` as a v2 log (each fits in the first block: Full fragments only).
fn v2_log(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"SLOG\xff\xff\x02\x00".to_vec();
    out.extend_from_slice(&mask(crc32c::crc32c(&out)).to_le_bytes());
    for r in records {
        let crc = mask(crc32c::crc32c_append(crc32c::crc32c(&[1]), r));
        let mut header = crc.to_le_bytes().to_vec();
        header.extend_from_slice(&(r.len() as u16).to_le_bytes());
        header.push(1);
        out.extend_from_slice(&header);
        out.extend_from_slice(&mask(crc32c::crc32c(&header)).to_le_bytes());
        out.extend_from_slice(r);
        out.push(0xa5);
    }
    assert!(out.len() < 32 * 1024, "one block");
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
    legacy_database_in(Framing::V1)
}

/// The framing a legacy database's logs are rewritten in.
#[derive(Clone, Copy, PartialEq)]
enum Framing {
    /// Log format v1 (binaries before log format v2).
    V1,
    /// Log format v2, WAL payloads still version 1 (binaries before payload version 2).
    V2,
}

fn legacy_database_in(framing: Framing) -> Result<(SimFs, PathBuf)> {
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
        let is_wal = path.to_string_lossy().ends_with(".wal");
        let mut records = v2_records(&bytes);
        if is_wal {
            records = records.iter().map(|r| v1_payload(r)).collect();
        }
        let rewritten = match framing {
            Framing::V1 => v1_log(&records),
            Framing::V2 => v2_log(&records),
        };
        if framing == Framing::V2 && !is_wal {
            assert_eq!(rewritten, bytes, "the test's v2 framing is the engine's");
        }
        fs.write_file(&path, &rewritten);
        if is_wal {
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

#[test]
fn a_v2_log_of_version_1_wal_payloads_still_replays() -> Result<()> {
    let (fs, wal) = legacy_database_in(Framing::V2)?;
    let bytes = fs.read_file(&wal).unwrap_or_default();
    assert_eq!(bytes[12 + 11], 1, "the first payload is version 1");
    let db = open(&fs)?;
    check(&db, 20)?;
    db.put("new", "write")?;
    db.close()?;
    let db = open(&fs)?;
    check(&db, 20)?;
    assert_eq!(db.get("new")?.as_deref(), Some(&b"write"[..]));
    db.close()
}
