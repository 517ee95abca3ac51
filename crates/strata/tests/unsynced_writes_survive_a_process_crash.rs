//! Writes acknowledged without sync survive the death of the process: a copy of the database
//! directory taken while the database is open (what the files hold when a process is killed:
//! the page cache) reopens to exactly the acknowledged writes, with the WAL written through
//! its mapping (the default) and with `write(2)` (`wal_mmap: false`). Checked against a
//! `BTreeMap` model under random puts and deletes, with memtables small enough that WALs
//! rotate and flushes run between the copies.

use std::collections::BTreeMap;
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{Db, Options};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Copies every file of `from` into `to` (a fresh directory); the lock file comes along as a
/// plain file, as a crash leaves it.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

fn contents(db: &Db) -> Model {
    db.iter()
        .expect("iter")
        .map(|kv| {
            let (k, v) = kv.expect("entry");
            (k.to_vec(), v.to_vec())
        })
        .collect()
}

fn run(seed: u64, wal_mmap: bool) {
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = Options {
        memtable_size: 64 << 10,
        wal_mmap,
        ..Default::default()
    };
    let db = Db::open(dir.path(), opts.clone()).expect("open");
    let mut model = Model::new();
    for round in 0..6 {
        for _ in 0..rng.random_range(1..1500) {
            let key = format!("key{:05}", rng.random_range(0..3000)).into_bytes();
            if rng.random_bool(0.2) {
                db.delete(&key).expect("delete");
                model.remove(&key);
            } else {
                let mut value = vec![0u8; rng.random_range(0..200)];
                rng.fill(&mut value[..]);
                db.put(&key, &value).expect("put");
                model.insert(key, value);
            }
        }
        // Background flushes and compactions finish first, so the copy is one instant of the
        // files (this test is about the WAL, not about copying a directory under compaction).
        db.wait_for_compactions().expect("wait");
        let image = dir.path().with_extension(format!("crash{round}"));
        copy_dir(dir.path(), &image);
        {
            let recovered = Db::open(&image, opts.clone()).expect("reopen the crash image");
            assert!(
                contents(&recovered) == model,
                "seed {seed}, wal_mmap {wal_mmap}, round {round}: recovered state differs from the acknowledged writes"
            );
        }
        std::fs::remove_dir_all(&image).expect("rm");
    }
    drop(db);
    let reopened = Db::open(dir.path(), opts).expect("reopen");
    assert!(
        contents(&reopened) == model,
        "seed {seed}, wal_mmap {wal_mmap}: after close"
    );
}

#[test]
fn a_crash_image_holds_every_acknowledged_write_with_the_mapped_wal() {
    for seed in 0..3 {
        run(seed, true);
    }
}

#[test]
fn a_crash_image_holds_every_acknowledged_write_with_write_calls() {
    for seed in 10..12 {
        run(seed, false);
    }
}
