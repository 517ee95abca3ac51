//! `Db::wait_for_compactions`: after many small flushes under leveled compaction, `flush` then
//! `wait_for_compactions` return with no frozen memtable, L0 below its trigger, nothing left
//! for the background to do (the shape and the counters stay put afterwards), no SST on disk
//! but the tree's and no WAL but the live memtable's; every key reads back as a `BTreeMap`
//! model says.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use strata::{CompactionOptions, Db, LeveledOptions, Options, TreeShape};

const TRIGGER: usize = 4;

fn options() -> Options {
    Options {
        memtable_size: 4 << 10,
        block_size: 256,
        target_sst_size: 8 << 10,
        compaction: CompactionOptions::Leveled(LeveledOptions {
            level_size_multiplier: 4,
            level0_file_num_compaction_trigger: TRIGGER,
            max_levels: 4,
            base_level_size_mb: 1,
        }),
        ..Default::default()
    }
}

/// Numbers of the `NNNNNN.sst` files in `dir`, sorted.
fn ssts_on_disk(dir: &Path) -> Vec<u64> {
    let mut out: Vec<u64> = std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| {
            let name = e.expect("entry").file_name().into_string().ok()?;
            name.strip_suffix(".sst")?.parse().ok()
        })
        .collect();
    out.sort_unstable();
    out
}

/// Number of `NNNNNN.wal` files in `dir`.
fn wals_on_disk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .filter(|e| {
            e.as_ref()
                .ok()
                .and_then(|e| e.file_name().into_string().ok())
                .is_some_and(|n| n.ends_with(".wal"))
        })
        .count()
}

/// Numbers of every file in the tree, sorted.
fn tree_files(shape: &TreeShape) -> Vec<u64> {
    let mut out: Vec<u64> = shape
        .l0
        .iter()
        .chain(shape.levels.iter().flat_map(|(_, files)| files))
        .copied()
        .collect();
    out.sort_unstable();
    out
}

#[test]
fn the_tree_is_at_rest_when_it_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), options()).expect("open");
    let mut model = BTreeMap::new();
    for round in 0..3u32 {
        for i in 0..2000u32 {
            let key = format!("key{:06}", (i * 7919 + round) % 5000);
            let value = format!("value-{i}-{round}-{}", "x".repeat((i % 40) as usize));
            db.put(&key, &value).expect("put");
            model.insert(key, value);
        }
        db.flush().expect("flush");
        db.wait_for_compactions().expect("wait");
        let stats = db.stats();
        assert_eq!(stats.frozen_memtables, 0);
        let shape = db.tree_shape();
        assert!(shape.l0.len() < TRIGGER, "L0 at rest: {shape:?}");
        assert!(stats.flushes > 0 && stats.compactions + stats.trivial_moves > 0);
        let on_disk = ssts_on_disk(dir.path());
        // Every memtable flushed: only the live (empty) memtable's WAL is left.
        assert_eq!(wals_on_disk(dir.path()), 1, "flushed WALs left");
        // Nothing starts afterwards: the background had nothing left to pick.
        std::thread::sleep(Duration::from_millis(300));
        let later = db.stats();
        assert_eq!(db.tree_shape(), shape);
        assert_eq!(
            ssts_on_disk(dir.path()),
            tree_files(&shape),
            "obsolete SSTs left later"
        );
        assert_eq!(on_disk, tree_files(&shape), "obsolete SSTs left");
        assert_eq!(
            (later.compactions, later.trivial_moves, later.flushes),
            (stats.compactions, stats.trivial_moves, stats.flushes)
        );
    }
    for (key, value) in &model {
        let got = db.get(key).expect("get");
        assert_eq!(got.as_deref(), Some(value.as_bytes()), "{key}");
    }
    assert_eq!(db.iter().expect("iter").count(), model.len());
}
