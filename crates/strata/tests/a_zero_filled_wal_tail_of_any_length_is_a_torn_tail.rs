//! SPEC §6: a log that ends in zeros (preallocated or never-written space after the last
//! complete record) has a torn tail: recovery drops the zeros and keeps every record before
//! them. For the WAL this must hold for a zero tail of any length: shorter than a fragment
//! header, ending in the middle of a 32 KiB block, ending exactly at the block's end, running
//! into the next block's first bytes, or filling a whole block. (A *complete* record with a
//! bad checksum stays `Corruption`: a_complete_log_record_with_a_bad_checksum_is_corruption.rs.)

use std::path::PathBuf;
use std::sync::Arc;

use strata::fs::SimFs;
use strata::fs::sim::CrashMode;
use strata::{Db, Error, Options, Result};

/// The log block size (docs/FORMAT.md, "Log framing").
const BLOCK: usize = 32 * 1024;
const KEYS: usize = 40;

fn open(fs: &SimFs) -> Result<Db> {
    Db::open_with_fs("/db", Options::default(), Arc::new(fs.clone()))
}

fn value(i: usize) -> String {
    format!("value-{i}-{}", "v".repeat(100))
}

/// A database whose WAL holds `KEYS` synced puts, left by a process crash; the WAL's path.
fn crashed_with_a_wal() -> Result<(SimFs, PathBuf)> {
    let fs = SimFs::new();
    let db = open(&fs)?;
    for i in 0..KEYS {
        db.put(format!("k{i:03}"), value(i))?;
    }
    db.sync()?;
    let fs = fs.crash(CrashMode::ProcessCrash);
    drop(db);
    let wal = fs
        .files()
        .into_iter()
        .filter(|(p, size)| p.to_string_lossy().ends_with(".wal") && *size > 0)
        .map(|(p, _)| p)
        .max()
        .ok_or_else(|| Error::InvalidArgument("no WAL with data after the crash".into()))?;
    Ok((fs, wal))
}

fn check_all(db: &Db, extra: Option<(&str, &str)>) -> Result<()> {
    for i in 0..KEYS {
        let got = db.get(format!("k{i:03}"))?;
        assert_eq!(got.as_deref(), Some(value(i).as_bytes()), "key {i}");
    }
    if let Some((k, v)) = extra {
        assert_eq!(db.get(k)?.as_deref(), Some(v.as_bytes()));
    }
    Ok(())
}

#[test]
fn a_zero_filled_wal_tail_of_any_length_is_a_torn_tail() -> Result<()> {
    let (probe_fs, probe) = crashed_with_a_wal()?;
    let len = probe_fs.read_file(&probe).map_or(0, |b| b.len());
    assert!(
        len > 8 && len + 8 < BLOCK,
        "the WAL ({len} bytes) ends inside its first block"
    );
    let to_block_end = BLOCK - len;
    for zeros in [
        1,                    // less than a header
        10,                   // a header but one byte (11-byte v2 headers)
        11,                   // exactly a header
        12,                   // a fragment's framing (header and end byte)
        13,                   // a fragment's framing and one byte
        100,                  // ends in the middle of the block
        to_block_end - 3,     // leaves less than a fragment before the block's end
        to_block_end,         // exactly to the block's end
        to_block_end + 3,     // into the next block, inside its first header
        to_block_end + BLOCK, // a whole zero block at the end
    ] {
        let (fs, wal) = crashed_with_a_wal()?;
        let mut bytes = fs.read_file(&wal).unwrap_or_default();
        bytes.resize(bytes.len() + zeros, 0);
        fs.write_file(&wal, &bytes);
        let db = open(&fs).unwrap_or_else(|e| panic!("{zeros} zeros: open failed: {e}"));
        check_all(&db, None)?;
        // New writes after the recovery survive the next reopen (nothing is appended
        // after the zeros).
        db.put("after", "recovery")?;
        db.close()?;
        let db = open(&fs)?;
        check_all(&db, Some(("after", "recovery")))?;
        db.close()?;
    }
    Ok(())
}
