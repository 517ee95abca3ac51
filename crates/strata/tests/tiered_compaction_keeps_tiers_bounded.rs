//! Tiered compaction end to end: many flushes leave no L0 files and a bounded number of
//! tiers, every key reads back, and the same holds after a reopen (the MANIFEST replays the
//! tier order).

use strata::{CompactionOptions, Db, Options, TieredOptions};

fn options() -> Options {
    Options {
        memtable_size: 4 << 10,
        block_size: 256,
        target_sst_size: 8 << 10,
        compaction: CompactionOptions::Tiered(TieredOptions {
            num_tiers: 3,
            max_size_amplification_percent: 200,
            size_ratio: 1,
            min_merge_width: 2,
            max_merge_width: None,
        }),
        ..Default::default()
    }
}

fn key(i: u32) -> String {
    format!("key{:06}", (i * 7919) % 100_000)
}

fn value(i: u32, round: u32) -> String {
    format!("value-{i}-{round}-{}", "x".repeat((i % 50) as usize))
}

/// Waits (bounded) until background compaction has brought the tiers below `num_tiers` (3),
/// where the picker stops, and the shape and compaction count stay put for a while (a job
/// finishing after the caller reads the shape would change it).
fn settle(db: &Db) -> strata::TreeShape {
    let mut last = (db.tree_shape(), db.stats().compactions);
    let mut stable = 0;
    for _ in 0..1000 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        let now = (db.tree_shape(), db.stats().compactions);
        if now == last && now.0.levels.len() < 3 {
            stable += 1;
            if stable >= 10 {
                break;
            }
        } else {
            stable = 0;
        }
        last = now;
    }
    last.0
}

fn check(db: &Db, n: u32, round: u32) {
    for i in 0..n {
        let got = db.get(key(i)).expect("get");
        assert_eq!(got.as_deref(), Some(value(i, round).as_bytes()), "key {i}");
    }
    assert_eq!(db.iter().expect("iter").count(), n as usize);
}

#[test]
fn many_flushes_keep_tiers_bounded_and_every_key_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 2000;
    let db = Db::open(dir.path(), options()).expect("open");
    let mut flushes = 0;
    for round in 0..3 {
        for i in 0..n {
            db.put(key(i), value(i, round)).expect("put");
            if i % 97 == 0 {
                db.flush().expect("flush");
                flushes += 1;
            }
        }
    }
    db.flush().expect("flush");
    assert!(flushes > 50);
    let shape = settle(&db);
    assert!(shape.l0.is_empty(), "L0 under tiered: {shape:?}");
    assert!(!shape.levels.is_empty());
    assert!(shape.levels.len() < 3, "too many tiers: {shape:?}");
    assert!(db.stats().compactions > 0);
    check(&db, n, 2);
    // Tier ids are file numbers of the tier's first file.
    for (id, files) in &shape.levels {
        assert!(!files.is_empty(), "empty tier {id}");
    }
    let before = db.tree_shape();
    db.close().expect("close");

    let db = Db::open(dir.path(), options()).expect("reopen");
    let after = db.tree_shape();
    assert!(after.l0.is_empty());
    assert_eq!(after.levels, before.levels, "reopen changed the tiers");
    check(&db, n, 2);

    // A full compaction leaves one tier.
    db.compact().expect("compact");
    let shape = db.tree_shape();
    assert!(shape.l0.is_empty());
    assert_eq!(shape.levels.len(), 1, "{shape:?}");
    check(&db, n, 2);
    db.close().expect("close");
    let db = Db::open(dir.path(), options()).expect("reopen");
    assert_eq!(db.tree_shape().levels, shape.levels);
    check(&db, n, 2);
    db.close().expect("close");
}

/// MANIFEST rotation snapshots the tier order (tag 6), and tight stall triggers counting tiers
/// beyond `num_tiers` neither deadlock nor lose writes.
#[test]
fn rotation_and_tight_stalls_keep_the_tiers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = Options {
        max_manifest_size: 2 << 10,
        l0_slowdown_trigger: Some(1),
        l0_stop_trigger: Some(2),
        ..options()
    };
    let n = 1500;
    let db = Db::open(dir.path(), opts.clone()).expect("open");
    for i in 0..n {
        db.put(key(i), value(i, 0)).expect("put");
        if i % 53 == 0 {
            db.flush().expect("flush");
        }
    }
    db.flush().expect("flush");
    let before = settle(&db);
    assert!(before.l0.is_empty());
    check(&db, n, 0);
    db.close().expect("close");
    // The live MANIFEST was started by a rotation (its number is a late file number).
    let manifest = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find_map(|name| name.strip_prefix("MANIFEST-")?.parse::<u64>().ok())
        .expect("a MANIFEST");
    assert!(manifest > 10, "no rotation happened (MANIFEST-{manifest})");
    let db = Db::open(dir.path(), opts).expect("reopen");
    assert_eq!(db.tree_shape().levels, before.levels);
    check(&db, n, 0);
    db.close().expect("close");
}
