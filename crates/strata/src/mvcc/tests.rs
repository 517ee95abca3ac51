//! MVCC tests that look inside the engine: the exact versions compaction leaves as
//! snapshots are released, and the conflict log's life cycle.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::iter::InternalIterator;
use crate::key::{SeqNum, ValueKind};
use crate::{CompactionOptions, Db, Options, Snapshot};

/// (user key, seq, is_put)
type Version = (Vec<u8>, SeqNum, bool);

fn options() -> Options {
    Options {
        compaction: CompactionOptions::None,
        memtable_size: 1 << 20,
        ..Options::default()
    }
}

/// Every internal entry in the database's SSTs, sorted by key then seq descending.
fn sst_versions(db: &Db) -> Vec<Version> {
    let inner = db.inner();
    let version = std::sync::Arc::clone(&inner.current().version);
    let files = version
        .l0
        .iter()
        .chain(version.levels.iter().flat_map(|r| r.files.iter()));
    let mut out = Vec::new();
    for f in files {
        let table = inner.table_cache.get(f.number).unwrap();
        let mut it = table.iter();
        it.seek_to_first().unwrap();
        while it.valid() {
            let p = crate::key::parse_internal_key(it.key()).unwrap();
            out.push((p.user_key.to_vec(), p.seq, p.kind == ValueKind::Put));
            it.next().unwrap();
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    out
}

/// The model of a bottom compaction's GC: per key, newest first, all versions above the
/// watermark, plus the newest at or below it unless that one is a tombstone.
fn model_gc(all: &[Version], watermark: SeqNum) -> Vec<Version> {
    let mut by_key: BTreeMap<&[u8], Vec<&Version>> = BTreeMap::new();
    for v in all {
        by_key.entry(&v.0).or_default().push(v);
    }
    let mut out = Vec::new();
    for (_, mut versions) in by_key {
        versions.sort_by_key(|v| std::cmp::Reverse(v.1));
        out.extend(
            versions
                .iter()
                .filter(|v| v.1 > watermark)
                .map(|v| (*v).clone()),
        );
        if let Some(newest_below) = versions.iter().find(|v| v.1 <= watermark)
            && newest_below.2
        {
            out.push((*newest_below).clone());
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    out
}

/// What a reader at `seq` sees, from the full history.
fn model_view(
    all: &[Version],
    values: &BTreeMap<SeqNum, Vec<u8>>,
    seq: SeqNum,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut newest: BTreeMap<&[u8], &Version> = BTreeMap::new();
    for v in all.iter().filter(|v| v.1 <= seq) {
        let e = newest.entry(&v.0).or_insert(v);
        if v.1 > e.1 {
            *e = v;
        }
    }
    newest
        .into_iter()
        .filter(|(_, v)| v.2)
        .map(|(k, v)| (k.to_vec(), values[&v.1].clone()))
        .collect()
}

fn scan(snap: &Snapshot) -> Vec<(Vec<u8>, Vec<u8>)> {
    snap.iter()
        .unwrap()
        .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
        .collect()
}

#[test]
fn releasing_snapshots_one_by_one_leaves_exactly_the_expected_versions() {
    let mut rng = StdRng::seed_from_u64(11);
    for round in 0..6 {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), options()).unwrap();
        let mut all: Vec<Version> = Vec::new();
        let mut values: BTreeMap<SeqNum, Vec<u8>> = BTreeMap::new();
        let mut snaps: Vec<Snapshot> = Vec::new();
        for step in 0..300 {
            let key = format!("k{}", rng.random_range(0..12)).into_bytes();
            let seq = db.stats().last_sequence + 1;
            if rng.random_bool(0.25) {
                db.delete(&key).unwrap();
                all.push((key, seq, false));
            } else {
                let value = format!("v{seq}").into_bytes();
                db.put(&key, &value).unwrap();
                values.insert(seq, value);
                all.push((key, seq, true));
            }
            if rng.random_bool(0.05) {
                snaps.push(db.snapshot());
            }
            if step % 97 == 0 {
                db.flush().unwrap();
            }
        }
        db.flush().unwrap();
        snaps.shuffle(&mut rng);
        loop {
            db.compact().unwrap();
            let last = db.stats().last_sequence;
            let watermark = snaps.iter().map(Snapshot::seq).min().unwrap_or(last);
            assert_eq!(
                sst_versions(&db),
                model_gc(&all, watermark),
                "round {round}, {} snapshots left, watermark {watermark}",
                snaps.len()
            );
            for s in &snaps {
                assert_eq!(
                    scan(s),
                    model_view(&all, &values, s.seq()),
                    "snapshot {}",
                    s.seq()
                );
            }
            if snaps.pop().is_none() {
                break;
            }
        }
        // Nothing held: one version per live key, no tombstones.
        let live = model_view(&all, &values, db.stats().last_sequence);
        assert_eq!(sst_versions(&db).len(), live.len());
    }
}

#[test]
fn the_conflict_log_records_only_while_transactions_live() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options()).unwrap();
    let log_len = |db: &Db| db.inner().wal.lock().conflicts.len();
    db.put(b"a", b"1").unwrap();
    assert_eq!(log_len(&db), 0, "no transaction: nothing recorded");
    let t1 = db.transaction();
    db.put(b"a", b"2").unwrap();
    db.put(b"b", b"2").unwrap();
    assert_eq!(log_len(&db), 2);
    let t2 = db.transaction();
    db.put(b"c", b"3").unwrap();
    assert_eq!(log_len(&db), 3);
    drop(t1);
    db.put(b"d", b"4").unwrap();
    assert_eq!(log_len(&db), 2, "pruned to what t2 may conflict with");
    drop(t2);
    db.put(b"e", b"5").unwrap();
    assert_eq!(log_len(&db), 0);
    let floor = db.inner().wal.lock().conflicts.floor();
    assert_eq!(floor, db.stats().last_sequence);
}

#[test]
fn handles_iterators_and_transactions_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<crate::Transaction>();
    send_sync::<Snapshot>();
    send::<crate::Iter>();
}
