//! Snapshots taken between writes, flushes and compactions keep their exact view; GC frees
//! versions as snapshots go; all versions of one key share one file; compaction filters;
//! the sequence high-water mark survives a compaction that removes everything.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{
    Bytes, CompactionFilter, CompactionOptions, Compression, Db, Options, Result, Snapshot,
};

type View = BTreeMap<Vec<u8>, Vec<u8>>;

fn options() -> Options {
    Options {
        memtable_size: 64 << 10,
        target_sst_size: 32 << 10,
        compaction: CompactionOptions::None,
        ..Options::default()
    }
}

fn scan(snap: &Snapshot) -> Result<View> {
    snap.iter()?
        .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())))
        .collect()
}

fn sst_bytes(db: &Db) -> u64 {
    db.stats().levels.iter().map(|l| l.bytes).sum()
}

#[test]
fn snapshots_between_writes_flushes_and_compactions_keep_their_exact_view() -> Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), options())?;
    let mut rng = StdRng::seed_from_u64(5);
    let mut model: View = BTreeMap::new();
    let mut snaps: Vec<(Snapshot, View)> = Vec::new();
    for step in 0..4000u32 {
        let key = format!("key{:03}", rng.random_range(0..300)).into_bytes();
        match rng.random_range(0..100) {
            0..60 => {
                let value = format!("v{step}-{}", "x".repeat(rng.random_range(0..40)));
                db.put(&key, &value)?;
                model.insert(key, value.into_bytes());
            }
            60..80 => {
                db.delete(&key)?;
                model.remove(&key);
            }
            80..84 => snaps.push((db.snapshot(), model.clone())),
            84..87 if !snaps.is_empty() => {
                let i = rng.random_range(0..snaps.len());
                snaps.swap_remove(i);
            }
            87..89 => db.flush()?,
            89 => db.compact()?,
            _ => {
                // Point reads through a random live snapshot.
                if let Some((snap, view)) = snaps.get(rng.random_range(0..snaps.len().max(1))) {
                    assert_eq!(snap.get(&key)?.map(|v| v.to_vec()), view.get(&key).cloned());
                }
            }
        }
        if step % 500 == 499 {
            for (snap, view) in &snaps {
                assert_eq!(&scan(snap)?, view, "snapshot at seq {}", snap.seq());
            }
        }
    }
    db.flush()?;
    db.compact()?;
    for (snap, view) in &snaps {
        assert_eq!(&scan(snap)?, view);
        let mut rev: Vec<_> = snap
            .iter()?
            .rev()
            .map(|r| r.map(|(k, _)| k.to_vec()))
            .collect::<Result<_>>()?;
        rev.reverse();
        assert_eq!(rev, view.keys().cloned().collect::<Vec<_>>());
    }
    Ok(())
}

#[test]
fn compaction_frees_versions_as_snapshots_are_released_one_by_one() -> Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(
        dir.path(),
        Options {
            compression: Compression::None,
            ..options()
        },
    )?;
    let value = "v".repeat(100);
    let mut snaps = Vec::new();
    for round in 0..4 {
        for i in 0..300 {
            db.put(format!("k{i:03}"), format!("{round}{value}"))?;
        }
        snaps.push(db.snapshot());
    }
    db.flush()?;
    db.compact()?;
    let mut sizes = vec![sst_bytes(&db)];
    // Release the oldest first: each release lets compaction drop one version per key.
    while !snaps.is_empty() {
        let first = snaps.remove(0);
        drop(first);
        db.compact()?;
        sizes.push(sst_bytes(&db));
        for (i, s) in snaps.iter().enumerate() {
            let round = 4 - snaps.len() + i;
            assert_eq!(
                s.get("k007")?.map(|v| v[0]),
                Some(b'0' + round as u8),
                "a live snapshot still reads its version"
            );
        }
    }
    // Four versions per key, then three, two, one; the newest snapshot sits at the last
    // seq, so releasing it frees nothing more.
    assert!(
        sizes[..4].windows(2).all(|w| w[1] < w[0]),
        "each release shrinks the tree: {sizes:?}"
    );
    assert_eq!(sizes[3], sizes[4]);
    assert!(
        sizes[3] * 3 < sizes[0],
        "one version left of four: {sizes:?}"
    );
    Ok(())
}

#[test]
fn twenty_thousand_versions_of_one_key_held_by_a_snapshot_compact_into_one_file() -> Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(
        dir.path(),
        Options {
            memtable_size: 256 << 10,
            target_sst_size: 16 << 10,
            ..options()
        },
    )?;
    db.put("hot", "v0")?;
    let snap = db.snapshot();
    for i in 1..=20_000u32 {
        db.put("hot", format!("v{i}"))?;
    }
    db.flush()?;
    db.compact()?;
    let shape = db.tree_shape();
    let files: usize = shape.l0.len() + shape.levels.iter().map(|l| l.1.len()).sum::<usize>();
    assert_eq!(files, 1, "{shape:?}");
    assert_eq!(snap.get("hot")?, Some(Bytes::from("v0")));
    assert_eq!(db.get("hot")?, Some(Bytes::from("v20000")));
    drop(snap);
    let held = sst_bytes(&db);
    db.compact()?;
    assert!(sst_bytes(&db) * 100 < held, "one version left");
    Ok(())
}

#[test]
fn a_prefix_compaction_filter_drops_old_versions_but_not_what_snapshots_read() -> Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), options())?;
    db.put("tmp:a", "old")?;
    db.put("user:a", "keep")?;
    db.flush()?;
    let snap = db.snapshot();
    db.put("tmp:b", "new")?;
    db.flush()?;
    db.compact()?; // before the filter: nothing dropped
    assert_eq!(db.get("tmp:a")?, Some(Bytes::from("old")));
    db.add_compaction_filter(CompactionFilter::Prefix(b"tmp:".to_vec()))?;
    db.compact()?;
    // tmp:a is at or below the watermark (the snapshot): dropped. tmp:b is above it: kept.
    assert_eq!(db.get("tmp:a")?, None);
    assert_eq!(db.get("tmp:b")?, Some(Bytes::from("new")));
    assert_eq!(db.get("user:a")?, Some(Bytes::from("keep")));
    drop(snap);
    db.compact()?;
    assert_eq!(db.get("tmp:b")?, None);
    assert_eq!(db.get("user:a")?, Some(Bytes::from("keep")));
    // Filters live in memory only.
    db.close()?;
    let db = Db::open(dir.path(), options())?;
    db.put("tmp:c", "after reopen")?;
    db.flush()?;
    db.compact()?;
    assert_eq!(db.get("tmp:c")?, Some(Bytes::from("after reopen")));
    Ok(())
}

#[test]
fn sequence_numbers_keep_rising_after_everything_is_compacted_away_and_reopened() -> Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let last = {
        let db = Db::open(dir.path(), options())?;
        for i in 0..100 {
            db.put(format!("k{i}"), "v")?;
        }
        for i in 0..100 {
            db.delete(format!("k{i}"))?;
        }
        db.flush()?;
        db.compact()?;
        assert_eq!(sst_bytes(&db), 0, "everything compacted away");
        let last = db.stats().last_sequence;
        assert_eq!(last, 200);
        db.close()?;
        last
    };
    // Remove the WALs too: only the MANIFEST's high-water mark remains.
    for e in std::fs::read_dir(dir.path()).expect("read_dir") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "wal") {
            std::fs::remove_file(&p).expect("remove");
        }
    }
    let db = Db::open(dir.path(), options())?;
    assert_eq!(db.stats().last_sequence, last);
    let mut t = db.transaction();
    t.put("k", "v")?;
    assert_eq!(t.commit_with_seq()?, Some(last + 1));
    Ok(())
}
