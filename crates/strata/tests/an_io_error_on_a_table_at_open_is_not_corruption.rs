//! An I/O error while `Db::open` checks a table's size must come back as `Error::Io`.
//!
//! Today any `file_size` failure becomes `Corruption { reason: "the MANIFEST names this table
//! but it is missing" }`, which tells an operator the database is damaged when the disk only
//! had a transient error. Only `NotFound` means missing.

use std::sync::Arc;

use strata::fs::SimFs;
use strata::fs::sim::{Fault, FaultError, FsOp};
use strata::{Db, Error, Options, Result};

#[test]
fn an_io_error_on_a_table_at_open_is_not_corruption() -> Result<()> {
    let fs = SimFs::new();
    let db = Db::open_with_fs("/db", Options::default(), Arc::new(fs.clone()))?;
    db.put("a", "1")?;
    db.flush()?;
    db.close()?;
    fs.inject(Fault::new(FsOp::Metadata, 0, FaultError::Io).on_paths_containing(".sst"));
    match Db::open_with_fs("/db", Options::default(), Arc::new(fs.clone())) {
        Err(Error::Io { .. }) => {}
        other => panic!("expected Io, got {other:?}"),
    }
    fs.clear_faults();
    let db = Db::open_with_fs("/db", Options::default(), Arc::new(fs))?;
    assert_eq!(db.get("a")?.as_deref(), Some(&b"1"[..]));
    db.close()
}
