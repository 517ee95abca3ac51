//! A WAL failure while `Db::flush` freezes the memtable (creating the next WAL, syncing the
//! directory, or fsyncing the old WAL) must poison the database at once, with that error as
//! the reason.
//!
//! Today the freeze path returns the error without poisoning: the next write fails with a
//! secondary `Io("log writer failed earlier; its tail is unknown")`, and only that poisons,
//! so the poison reason names the secondary error instead of the EIO. No write is
//! acknowledged in between, so nothing is lost.

use std::sync::Arc;

use strata::fs::SimFs;
use strata::fs::sim::{Fault, FaultError, FsOp};
use strata::{Db, Error, Options, Result};

#[test]
fn a_failed_wal_sync_in_flush_poisons_at_once() -> Result<()> {
    let fs = SimFs::new();
    let db = Db::open_with_fs("/db", Options::default(), Arc::new(fs.clone()))?;
    db.put("a", "1")?;
    fs.inject(Fault::new(FsOp::Sync, 0, FaultError::Io).on_paths_containing(".wal"));
    assert!(matches!(db.flush(), Err(Error::Io { .. })));
    match db.put("b", "2") {
        Err(Error::Poisoned(reason)) => assert!(reason.contains("os error 5"), "{reason}"),
        other => panic!("expected Poisoned naming the EIO, got {other:?}"),
    }
    Ok(())
}

/// What holds today: writes are refused from the first one after the failure.
#[test]
fn a_failed_wal_sync_in_flush_refuses_later_writes() -> Result<()> {
    let fs = SimFs::new();
    let db = Db::open_with_fs("/db", Options::default(), Arc::new(fs.clone()))?;
    db.put("a", "1")?;
    fs.inject(Fault::new(FsOp::Sync, 0, FaultError::Io).on_paths_containing(".wal"));
    assert!(db.flush().is_err());
    assert!(db.put("b", "2").is_err());
    assert!(matches!(db.put("c", "3"), Err(Error::Poisoned(_))));
    assert_eq!(db.get("a")?.as_deref(), Some(&b"1"[..]));
    Ok(())
}
