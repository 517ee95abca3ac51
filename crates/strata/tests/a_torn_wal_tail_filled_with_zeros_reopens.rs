//! A power loss can leave the last write of a log torn with zeros after the part that made
//! it (the file size reached the disk, the data did not: XFS, ext4 `data=writeback`,
//! preallocated space). That record was never synced, so recovery should drop it as a torn
//! tail, keep everything synced before it, and open.
//!
//! In log format v1 the WAL reader saw a complete fragment with a bad checksum and `Db::open`
//! failed with `Corruption`, so the synced writes before it were out of reach (bug 6 of
//! docs/TESTING.md). Format v2 ends every fragment with a non-zero end byte, the last byte
//! written: a fragment whose end byte is zero and which only zeros follow is a torn write.

use std::sync::Arc;

use strata::fs::SimFs;
use strata::fs::sim::CrashMode;
use strata::{Db, Options, Result};

#[test]
fn a_torn_wal_tail_filled_with_zeros_reopens() -> Result<()> {
    for seed in 0..20 {
        a_torn_wal_tail_filled_with_zeros_reopens_with_seed(seed)?;
    }
    Ok(())
}

fn a_torn_wal_tail_filled_with_zeros_reopens_with_seed(seed: u64) -> Result<()> {
    let fs = SimFs::new();
    let db = Db::open_with_fs("/db", Options::default(), Arc::new(fs.clone()))?;
    db.put("a", "1")?;
    db.sync()?;
    db.put("b", "2222222222222222")?; // reached the OS, never synced
    let fs = fs.crash(CrashMode::TearLastWrite {
        seed,
        zero_fill: true,
    });
    drop(db);
    // The WAL now ends in b's record: its header and a few payload bytes, then zeros.
    let db = Db::open_with_fs("/db", Options::default(), Arc::new(fs))?;
    assert_eq!(db.get("a")?.as_deref(), Some(&b"1"[..]), "a was synced");
    assert_eq!(db.get("b")?, None, "b's record was torn");
    db.close()
}

/// The same tear without zeros (the file ends inside the record).
#[test]
fn a_torn_wal_tail_without_zeros_reopens() -> Result<()> {
    for seed in 0..20 {
        let fs = SimFs::new();
        let db = Db::open_with_fs("/db", Options::default(), Arc::new(fs.clone()))?;
        db.put("a", "1")?;
        db.sync()?;
        db.put("b", "2222222222222222")?;
        let fs = fs.crash(CrashMode::TearLastWrite {
            seed,
            zero_fill: false,
        });
        drop(db);
        let db = Db::open_with_fs("/db", Options::default(), Arc::new(fs))?;
        assert_eq!(db.get("a")?.as_deref(), Some(&b"1"[..]));
        assert_eq!(db.get("b")?, None);
        db.close()?;
    }
    Ok(())
}
