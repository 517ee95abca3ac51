//! Writers, readers and iterators at once on small memtables: batches are atomic to readers,
//! every acknowledged write is readable, iterators see a consistent snapshot.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use strata::{CompactionOptions, Db, Options, WriteBatch};

#[test]
fn readers_never_see_a_partial_batch_while_writers_flush() -> strata::Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = Options {
        memtable_size: 32 << 10,
        compaction: CompactionOptions::None,
        ..Default::default()
    };
    let db = Db::open(dir.path(), opts)?;
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4u32 {
        let db = db.clone();
        writers.push(std::thread::spawn(move || -> strata::Result<()> {
            // Each batch writes the same round number to all of writer w's 5 keys.
            for round in 0..400u32 {
                let mut batch = WriteBatch::new();
                for k in 0..5 {
                    batch.put(format!("w{w}-k{k}"), round.to_be_bytes());
                }
                db.write(batch)?;
                db.put(format!("log-w{w}-{round:05}"), b"x")?;
            }
            Ok(())
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..2 {
        let db = db.clone();
        let stop = Arc::clone(&stop);
        readers.push(std::thread::spawn(move || -> strata::Result<u64> {
            let mut checks = 0;
            while !stop.load(Ordering::Relaxed) {
                // An iterator is one snapshot: all 5 keys of a writer carry one round.
                for w in 0..4u32 {
                    let prefix = format!("w{w}-");
                    let values: Vec<_> = db
                        .prefix(prefix.as_bytes())?
                        .map(|r| r.map(|(_, v)| v))
                        .collect::<Result<_, _>>()?;
                    if !values.is_empty() {
                        assert_eq!(values.len(), 5, "a batch is visible whole");
                        assert!(values.iter().all(|v| *v == values[0]), "torn batch seen");
                    }
                    checks += 1;
                }
            }
            Ok(checks)
        }));
    }
    for w in writers {
        w.join().expect("writer panicked")?;
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().expect("reader panicked")? > 0);
    }
    for w in 0..4u32 {
        for round in (0..400u32).step_by(37) {
            assert!(db.get(format!("log-w{w}-{round:05}"))?.is_some());
        }
        assert_eq!(
            db.get(format!("w{w}-k3"))?.as_deref(),
            Some(&399u32.to_be_bytes()[..])
        );
    }
    assert!(db.stats().flushes > 0, "the test exercised flushes");
    db.close()
}

#[test]
fn snapshots_keep_their_view_across_flush_and_compaction() -> strata::Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = Options {
        memtable_size: 16 << 10,
        ..Default::default()
    };
    let db = Db::open(dir.path(), opts)?;
    for i in 0..500u32 {
        db.put(format!("k{i:04}"), "v1")?;
    }
    let s1 = db.snapshot();
    for i in 0..500u32 {
        if i % 2 == 0 {
            db.delete(format!("k{i:04}"))?;
        } else {
            db.put(format!("k{i:04}"), "v2")?;
        }
    }
    let s2 = db.snapshot();
    db.flush()?;
    db.compact()?;
    for i in (0..500u32).step_by(7) {
        let k = format!("k{i:04}");
        assert_eq!(s1.get(&k)?.as_deref(), Some(&b"v1"[..]));
        let want: Option<&[u8]> = if i % 2 == 0 { None } else { Some(b"v2") };
        assert_eq!(s2.get(&k)?.as_deref(), want);
        assert_eq!(db.get(&k)?.as_deref(), want);
    }
    assert_eq!(s1.iter()?.count(), 500);
    assert_eq!(s2.iter()?.count(), 250);
    drop(s1);
    drop(s2);
    db.compact()?;
    assert_eq!(db.iter()?.count(), 250);
    db.close()
}

#[test]
fn an_iterator_keeps_its_snapshot_while_files_are_compacted_away() -> strata::Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = Options {
        memtable_size: 8 << 10,
        ..Default::default()
    };
    let db = Db::open(dir.path(), opts)?;
    for i in 0..300u32 {
        db.put(format!("k{i:04}"), format!("a{i}"))?;
    }
    db.flush()?;
    let mut it = db.iter()?;
    let first = it.next().expect("one")?;
    for i in 0..300u32 {
        db.put(format!("k{i:04}"), format!("b{i}"))?;
    }
    db.flush()?;
    db.compact()?;
    assert_eq!(first.1.as_ref(), b"a0");
    let rest: Vec<_> = it.collect::<Result<_, _>>()?;
    assert_eq!(rest.len(), 299);
    assert!(rest.iter().all(|(_, v)| v.starts_with(b"a")));
    assert_eq!(db.get("k0005")?.as_deref(), Some(&b"b5"[..]));
    db.close()
}
