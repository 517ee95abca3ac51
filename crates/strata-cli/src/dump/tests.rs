//! Every flipped byte and every truncation of a small database's files: the dumpers never
//! panic, and since every byte of an SST is under a checksum, every SST flip is a problem.

use std::path::Path;

use strata::{CompactionOptions, Db, Options};

use super::annotate::Listing;
use super::{manifest, sst, wal};

type Dumper = fn(&mut Listing, &[u8]);

fn problems(dump: Dumper, bytes: &[u8]) -> usize {
    let mut l = Listing::new(true);
    dump(&mut l, bytes);
    l.lines().1.len()
}

fn files(dir: &Path) -> Vec<(Dumper, Vec<u8>)> {
    let mut out: Vec<(Dumper, Vec<u8>)> = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let dumper: Dumper = if name.ends_with(".sst") {
            sst::dump
        } else if name.ends_with(".wal") {
            wal::dump
        } else if name.starts_with("MANIFEST-") {
            manifest::dump
        } else {
            continue;
        };
        out.push((dumper, std::fs::read(entry.path()).unwrap_or_default()));
    }
    out
}

#[test]
fn damaged_bytes_never_panic_and_sst_flips_are_always_found()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let options = Options {
        compaction: CompactionOptions::None,
        ..Options::default()
    };
    let db = Db::open(dir.path(), options)?;
    db.put("alpha", "1")?;
    db.put("beta", "two")?;
    db.delete("alpha")?;
    db.flush()?;
    db.put("gamma", "3")?;
    db.close()?;
    let files = files(dir.path());
    assert_eq!(files.len(), 3);
    for (dump, good) in &files {
        assert_eq!(problems(*dump, good), 0);
        let is_sst = *dump as usize == sst::dump as Dumper as usize;
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            let found = problems(*dump, &bad);
            assert!(!is_sst || found > 0, "SST flip at {at} not found");
            problems(*dump, &good[..at]);
        }
    }
    Ok(())
}
