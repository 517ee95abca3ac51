//! `strata dump FILE` on damaged bytes prints what decodes, names the damaged structure's
//! offset on stderr and exits 1, never panicking (exit 101): a flipped byte in an SST's data
//! block, in its footer magic, in a WAL fragment, and truncations of each file.
#![allow(clippy::unwrap_used)]

mod common;

use std::error::Error;
use std::path::Path;

use common::files::{only, run, small_db};
use common::stderr;

fn flip(path: &Path, at: u64) -> std::io::Result<()> {
    let mut bytes = std::fs::read(path)?;
    bytes[at as usize] ^= 0x20;
    std::fs::write(path, bytes)
}

#[test]
fn dump_of_a_damaged_file_names_the_offset_and_fails() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("db");
    small_db(&db);
    let sst = only(&db, |n| n.ends_with(".sst"));
    let wal = only(&db, |n| n.ends_with(".wal"));
    let manifest = only(&db, |n| n.starts_with("MANIFEST-"));
    let originals: Vec<_> = [&sst, &wal, &manifest]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();

    // A data-block byte (the first entry's key): the block at offset 0 fails its checksum.
    flip(&sst, 5)?;
    let out = run(&["dump"], &sst);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("at offset 0: data block 0: block checksum mismatch"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("(BAD)"));
    std::fs::write(&sst, &originals[0])?;

    // The footer's magic (the file's last 8 bytes).
    let size = originals[0].len() as u64;
    flip(&sst, size - 3)?;
    let out = run(&["dump"], &sst);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("at offset {}: bad magic", size - 8)),
        "{}",
        stderr(&out)
    );
    std::fs::write(&sst, &originals[0])?;

    // The WAL's only fragment (after the 12-byte file header, an 11-byte fragment header):
    // its payload fails the fragment checksum at offset 12.
    flip(&wal, 25)?;
    let out = run(&["dump"], &wal);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("at offset 12: fragment checksum mismatch"),
        "{}",
        stderr(&out)
    );
    std::fs::write(&wal, &originals[1])?;

    // Its length field fails the fragment header checksum.
    flip(&wal, 16)?;
    let out = run(&["dump"], &wal);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("at offset 12: fragment header checksum mismatch"),
        "{}",
        stderr(&out)
    );

    // Truncations never panic; an SST cut anywhere is damaged.
    for (path, bytes) in [&sst, &wal, &manifest].iter().zip(&originals) {
        for cut in (0..bytes.len()).step_by(7) {
            std::fs::write(path, &bytes[..cut])?;
            let out = run(&["dump"], path);
            let code = out.status.code();
            assert!(
                code == Some(0) || code == Some(1),
                "{path:?} cut at {cut}: {}",
                stderr(&out)
            );
            if *path == &sst {
                assert_eq!(code, Some(1), "SST cut at {cut}");
            }
        }
    }
    Ok(())
}
