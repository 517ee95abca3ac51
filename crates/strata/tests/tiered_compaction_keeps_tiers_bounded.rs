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

/// Waits (bounded) until background compaction brings the tiers down to `num_tiers` or fewer.
fn settle(db: &Db) -> strata::TreeShape {
    for _ in 0..500 {
        let shape = db.tree_shape();
        if shape.levels.len() <= 3 {
            return shape;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    db.tree_shape()
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
    assert!(shape.levels.len() <= 3, "too many tiers: {shape:?}");
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
