//! A MANIFEST rotation that fails after `CURRENT` was renamed must not lose later edits.
//!
//! Rotation writes `MANIFEST-new`, then `set_current` writes `CURRENT.tmp`, renames it over
//! `CURRENT` and syncs the directory. If only that last `sync_dir` fails,
//! `ManifestWriter::create` returns an error and `rotate_manifest` keeps appending to the old
//! MANIFEST, though `CURRENT` already names the new one (and the next successful `sync_dir`
//! makes that durable). Every later edit then goes to a MANIFEST no reopen reads: a flush's
//! table is dropped as an orphan after its WAL was deleted (lost writes), a compaction's
//! deleted inputs are "missing". The sweep in io_errors_poison_and_recover.rs finds this with
//! persistent `sync_dir` faults; here it is step by step.
//!
//! Expected: once the rename may have happened, either poison the database or switch to the
//! new MANIFEST; never append to a MANIFEST `CURRENT` may not name.

use std::sync::Arc;

use strata::fs::SimFs;
use strata::fs::sim::{Fault, FaultError, FsOp};
use strata::{CompactionOptions, Db, Options, Result};

fn opts() -> Options {
    Options {
        compaction: CompactionOptions::None,
        max_manifest_size: 1, // every edit rotates the MANIFEST
        ..Default::default()
    }
}

/// The scenario; with `fail`, the directory sync right after `CURRENT.tmp` is renamed over
/// `CURRENT` during the rotation that follows b's flush fails. Returns `c` after a reopen.
fn scenario(fs: &SimFs, fail: bool) -> Result<Option<strata::Bytes>> {
    let db = Db::open_with_fs("/db", opts(), Arc::new(fs.clone()))?;
    db.put("a", "1")?;
    db.flush()?;
    db.put("b", "2")?;
    if fail {
        fs.inject(
            Fault::new(FsOp::SyncDir, 0, FaultError::Io).after_a(FsOp::Rename, "CURRENT.tmp"),
        );
    }
    db.flush()?; // the rotation after its edit fails after the rename of CURRENT
    // Later rotations fail too (so nothing repairs CURRENT by chance).
    fs.inject(
        Fault::new(FsOp::Create, 0, FaultError::NoSpace)
            .persistent()
            .on_paths_containing("MANIFEST-"),
    );
    // After the failed rotation the database is poisoned, so `c` is either refused (then it
    // was never acknowledged) or, if written, must survive the reopen.
    let acknowledged = db.put("c", "3").and_then(|()| db.flush()).is_ok();
    if fail {
        assert!(
            !acknowledged,
            "a failed MANIFEST rotation poisons the database"
        );
        assert!(matches!(db.put("d", "4"), Err(strata::Error::Poisoned(_))));
    }
    let _ = db.close();
    fs.clear_faults();
    let db = Db::open_with_fs("/db", opts(), Arc::new(fs.clone()))?;
    assert_eq!(db.get("a")?.as_deref(), Some(&b"1"[..]), "a survives");
    assert_eq!(db.get("b")?.as_deref(), Some(&b"2"[..]), "b survives");
    let c = db.get("c")?;
    db.close()?;
    Ok(if acknowledged {
        c
    } else {
        Some(strata::Bytes::from_static(b"3"))
    })
}

#[test]
fn a_failed_manifest_rotation_loses_no_edit() -> Result<()> {
    let fs = SimFs::new();
    let c = scenario(&fs, true)?;
    assert_eq!(c.as_deref(), Some(&b"3"[..]), "c was refused or kept");
    Ok(())
}

/// Without the failure the same steps keep `c`.
#[test]
fn a_manifest_rotation_without_failures_keeps_every_edit() -> Result<()> {
    let fs = SimFs::new();
    assert_eq!(scenario(&fs, false)?.as_deref(), Some(&b"3"[..]));
    Ok(())
}
