//! SPEC §6 for the MANIFEST: zeros after its last complete edit (preallocated or
//! never-written space) are a torn tail of any length (shorter than a fragment header, ending
//! in the middle of a 32 KiB block, exactly at its end, a few bytes into the next block, or a
//! whole zero block): recovery drops them with a warning and keeps every edit before them, and
//! later edits and reopens are unaffected (recovery starts a fresh MANIFEST, so nothing is
//! ever appended after the zeros).

use std::path::PathBuf;
use std::sync::Arc;

use strata::fs::SimFs;
use strata::{CompactionOptions, Db, Error, Options, Result};

/// The log block size (docs/FORMAT.md, "Log framing").
const BLOCK: usize = 32 * 1024;
const ROUNDS: usize = 4;

fn open(fs: &SimFs) -> Result<Db> {
    let opts = Options {
        compaction: CompactionOptions::None,
        ..Default::default()
    };
    Db::open_with_fs("/db", opts, Arc::new(fs.clone()))
}

/// A cleanly closed database with `ROUNDS` flushed tables (one MANIFEST edit each); the
/// MANIFEST `CURRENT` names.
fn closed_with_flushes() -> Result<(SimFs, PathBuf)> {
    let fs = SimFs::new();
    let db = open(&fs)?;
    for round in 0..ROUNDS {
        db.put(format!("k{round}"), format!("v{round}"))?;
        db.flush()?;
    }
    db.close()?;
    let current = fs.read_file("/db/CURRENT").unwrap_or_default();
    let name = String::from_utf8_lossy(&current)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    if !name.starts_with("MANIFEST-") {
        return Err(Error::InvalidArgument(format!("CURRENT names {name:?}")));
    }
    Ok((fs, PathBuf::from("/db").join(name)))
}

fn check_all(db: &Db, extra: Option<(&str, &str)>) -> Result<()> {
    for round in 0..ROUNDS {
        let got = db.get(format!("k{round}"))?;
        assert_eq!(got.as_deref(), Some(format!("v{round}").as_bytes()));
    }
    if let Some((k, v)) = extra {
        assert_eq!(db.get(k)?.as_deref(), Some(v.as_bytes()));
    }
    Ok(())
}

#[test]
fn a_zero_filled_manifest_tail_of_any_length_is_a_torn_tail() -> Result<()> {
    let (probe_fs, probe) = closed_with_flushes()?;
    let len = probe_fs.read_file(&probe).map_or(0, |b| b.len());
    assert!(
        len > 8 && len + 8 < BLOCK,
        "the MANIFEST ({len} bytes) ends in its first block"
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
        let (fs, manifest) = closed_with_flushes()?;
        let mut bytes = fs.read_file(&manifest).unwrap_or_default();
        bytes.resize(bytes.len() + zeros, 0);
        fs.write_file(&manifest, &bytes);
        let db = open(&fs).unwrap_or_else(|e| panic!("{zeros} zeros: open failed: {e}"));
        check_all(&db, None)?;
        // A flush after the recovery adds an edit; the next reopen reads it.
        db.put("after", "recovery")?;
        db.flush()?;
        db.close()?;
        let db = open(&fs)?;
        check_all(&db, Some(("after", "recovery")))?;
        db.close()?;
    }
    Ok(())
}
