//! SPEC §6/§8: only a record cut off by the end of the file, or zeros, is a torn tail. A
//! *complete* last record whose checksum does not match is damage, not an interrupted write:
//! `Db::open` fails with `Corruption` naming the log, for the WAL and for the MANIFEST alike,
//! whether or not zeros follow the record (the zero-tail rule must not swallow it).

use std::sync::Arc;

use strata::fs::SimFs;
use strata::fs::sim::CrashMode;
use strata::{CompactionOptions, Db, Error, Options, Result};

const BLOCK: usize = 32 * 1024;

fn open(fs: &SimFs) -> Result<Db> {
    let opts = Options {
        compaction: CompactionOptions::None,
        ..Default::default()
    };
    Db::open_with_fs("/db", opts, Arc::new(fs.clone()))
}

/// A database with flushed tables (MANIFEST edits) and synced puts in a WAL, left by a
/// process crash.
fn crashed() -> Result<SimFs> {
    let fs = SimFs::new();
    let db = open(&fs)?;
    for round in 0..3 {
        db.put(format!("flushed{round}"), "x")?;
        db.flush()?;
    }
    for i in 0..10 {
        db.put(format!("k{i}"), format!("value {i}"))?;
    }
    db.sync()?;
    let fs = fs.crash(CrashMode::ProcessCrash);
    drop(db);
    Ok(fs)
}

#[test]
fn a_complete_log_record_with_a_bad_checksum_is_corruption() -> Result<()> {
    for log in [".wal", "MANIFEST-"] {
        for zeros in [0, 7, 11, 12, 100, BLOCK] {
            let fs = crashed()?;
            let path = fs
                .files()
                .into_iter()
                .filter(|(p, size)| p.to_string_lossy().contains(log) && *size > 0)
                .map(|(p, _)| p)
                .max()
                .ok_or_else(|| Error::InvalidArgument(format!("no {log} file")))?;
            let mut bytes = fs.read_file(&path).unwrap_or_default();
            // The file's last byte is the end byte (0xA5) of its last (complete) record; the
            // byte before it is the record's last payload byte (docs/FORMAT.md, Part II §1).
            assert_eq!(bytes.last(), Some(&0xa5), "{log} ends in a v2 fragment");
            let n = bytes.len();
            if let Some(b) = n.checked_sub(2).and_then(|i| bytes.get_mut(i)) {
                *b ^= 0x01;
            }
            bytes.resize(bytes.len() + zeros, 0);
            fs.write_file(&path, &bytes);
            match open(&fs) {
                Err(e @ Error::Corruption { .. }) => {
                    assert!(e.to_string().contains(log), "{log}: names the log: {e}");
                }
                other => panic!("{log}, {zeros} zeros after a damaged record: {other:?}"),
            }
        }
    }
    Ok(())
}
