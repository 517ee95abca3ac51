//! A compaction whose MANIFEST fsync fails must leave a database that reopens.
//!
//! The edit's bytes reached the file (only the fsync failed), and Linux keeps them in the
//! page cache, so a restart without a power loss replays the edit, which names the
//! compaction's outputs. Today the failed compaction deletes those outputs, so the reopen
//! fails with "the MANIFEST names this table but it is missing" and the data (still in the
//! inputs) is out of reach. Like a failed WAL write, a failed MANIFEST append leaves the
//! file's tail unknown: the outputs must stay (recovery deletes them as orphans if the edit
//! did not land).

use std::sync::Arc;

use strata::fs::SimFs;
use strata::fs::sim::{CrashMode, Fault, FaultError, FsOp};
use strata::{CompactionOptions, Db, Error, Options, Result};

fn opts() -> Options {
    Options {
        compaction: CompactionOptions::None,
        ..Default::default()
    }
}

fn db_with_one_table(fs: &SimFs) -> Result<Db> {
    let db = Db::open_with_fs("/db", opts(), Arc::new(fs.clone()))?;
    db.put("a", "1")?;
    db.flush()?;
    Ok(db)
}

#[test]
fn a_failed_manifest_sync_in_compaction_still_reopens() -> Result<()> {
    let fs = SimFs::new();
    let db = db_with_one_table(&fs)?;
    fs.inject(Fault::new(FsOp::Sync, 0, FaultError::NoSpace).on_paths_containing("MANIFEST-"));
    assert!(db.compact().is_err());
    assert!(matches!(db.put("b", "2"), Err(Error::Poisoned(_))));
    drop(db);
    // The process restarts; the machine did not lose power; the disk has space again.
    fs.clear_faults();
    let fs = fs.crash(CrashMode::ProcessCrash);
    let db = Db::open_with_fs("/db", opts(), Arc::new(fs))?;
    assert_eq!(db.get("a")?.as_deref(), Some(&b"1"[..]));
    db.close()
}

/// After a power loss the failed edit is gone with the page cache, and the reopen works.
#[test]
fn a_failed_manifest_sync_in_compaction_then_power_loss_reopens() -> Result<()> {
    for seed in 0..8 {
        let fs = SimFs::new();
        let db = db_with_one_table(&fs)?;
        fs.inject(Fault::new(FsOp::Sync, 0, FaultError::Io).on_paths_containing("MANIFEST-"));
        assert!(db.compact().is_err());
        fs.clear_faults();
        let fs = fs.power_loss(seed);
        drop(db);
        let db = Db::open_with_fs("/db", opts(), Arc::new(fs))?;
        assert_eq!(db.get("a")?.as_deref(), Some(&b"1"[..]));
        db.close()?;
    }
    Ok(())
}
