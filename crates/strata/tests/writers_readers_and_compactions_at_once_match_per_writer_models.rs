//! Everything at once on small memtables: writers (puts, deletes, multi-key batches), readers
//! holding snapshots and iterators (forward and reverse scans, point reads), and a thread
//! forcing flushes and full compactions while leveled background compaction runs too.
//!
//! Each writer owns its keys and runs a seeded sequence of operations fixed in advance, so its
//! model after every prefix of that sequence is known up front. A reader reads how many
//! operations each writer had acknowledged, takes a snapshot (or an iterator), reads that count
//! again: what it sees of writer `w` must be the model after exactly `k` operations for some
//! `k` between the first count and the second plus one (the write in flight) — no lost
//! acknowledged write, no torn batch, nothing from the future; and the same view read again
//! later, after more flushes and compactions, must be identical. At the end the database (and
//! a reopen of it) must equal every writer's final model. Complements
//! concurrent_writers_and_readers.rs (fixed batches, no deletes, no compaction, no snapshots
//! held while writing). Smoke size by default; `STRATA_LONG=1` runs longer.

#[allow(clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{CompactionOptions, Db, LeveledOptions, Options, Result, WriteBatch};

const WRITERS: usize = 3;
const KEYS: u32 = 40;

type State = BTreeMap<Vec<u8>, Vec<u8>>;
/// A read view: key-value pairs in key order.
type View = Vec<(Vec<u8>, Vec<u8>)>;
/// One operation: `(key, Some(value) | None for a delete)`, applied as one batch.
type Op = Vec<(Vec<u8>, Option<Vec<u8>>)>;

fn key(w: usize, k: u32) -> Vec<u8> {
    format!("w{w}-k{k:03}").into_bytes()
}

/// Writer `w`'s operations and its visible state after each prefix (`states[0]` is empty).
fn plan(w: usize, ops: usize) -> (Vec<Op>, Vec<State>) {
    let mut rng = StdRng::seed_from_u64(0x5eed + w as u64);
    let mut states = vec![State::new()];
    let mut plan = Vec::with_capacity(ops);
    for n in 0..ops {
        let count = if rng.random_bool(0.3) {
            rng.random_range(2..=5)
        } else {
            1
        };
        let mut op: Op = Vec::new();
        while op.len() < count {
            let k = key(w, rng.random_range(0..KEYS));
            if op.iter().any(|(o, _)| *o == k) {
                continue;
            }
            let value = (!rng.random_bool(0.2)).then(|| {
                let pad = "x".repeat(rng.random_range(0..200));
                format!("w{w} op{n} {pad}").into_bytes()
            });
            op.push((k, value));
        }
        let mut next = states.last().cloned().unwrap_or_default();
        for (k, v) in &op {
            match v {
                Some(v) => next.insert(k.clone(), v.clone()),
                None => next.remove(k),
            };
        }
        states.push(next);
        plan.push(op);
    }
    (plan, states)
}

fn write(db: &Db, op: &Op) -> Result<()> {
    if let [(k, v)] = op.as_slice() {
        return match v {
            Some(v) => db.put(k, v),
            None => db.delete(k),
        };
    }
    let mut batch = WriteBatch::new();
    for (k, v) in op {
        match v {
            Some(v) => batch.put(k, v),
            None => batch.delete(k),
        }
    }
    db.write(batch)
}

/// Splits a full view by writer.
fn by_writer(view: &[(Vec<u8>, Vec<u8>)]) -> Vec<State> {
    let mut out = vec![State::new(); WRITERS];
    for (k, v) in view {
        let w = usize::from(k.get(1).copied().unwrap_or(b'?').wrapping_sub(b'0'));
        let slot = out
            .get_mut(w)
            .unwrap_or_else(|| panic!("a key no writer owns: {k:?}"));
        slot.insert(k.clone(), v.clone());
    }
    out
}

/// Panics unless writer `w`'s part of a view is its model after some `k` in `lo..=hi + 1`.
fn check_view(states: &[Vec<State>], lo: &[usize], hi: &[usize], view: &[State], what: &str) {
    for (w, seen) in view.iter().enumerate() {
        let last = states[w].len() - 1;
        let ok = (lo[w]..=(hi[w] + 1).min(last)).any(|k| states[w][k] == *seen);
        assert!(
            ok,
            "{what}: writer {w} shows a state after none of its operations {}..={} \
             (a lost write, a torn batch or a write from the future)",
            lo[w],
            hi[w] + 1
        );
    }
}

fn counts(acked: &[AtomicUsize]) -> Vec<usize> {
    acked.iter().map(|a| a.load(Ordering::SeqCst)).collect()
}

#[test]
fn writers_readers_and_compactions_at_once_match_per_writer_models() -> Result<()> {
    let ops = if support::long_run() { 6000 } else { 500 };
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = Options {
        memtable_size: 16 << 10,
        target_sst_size: 16 << 10,
        block_size: 512,
        compaction_threads: 2,
        compaction: CompactionOptions::Leveled(LeveledOptions {
            level_size_multiplier: 2,
            level0_file_num_compaction_trigger: 2,
            max_levels: 3,
            base_level_size_mb: 1,
        }),
        ..Default::default()
    };
    let db = Db::open(dir.path(), opts.clone())?;
    let plans: Vec<(Vec<Op>, Vec<State>)> = (0..WRITERS).map(|w| plan(w, ops)).collect();
    let states: Arc<Vec<Vec<State>>> = Arc::new(plans.iter().map(|p| p.1.clone()).collect());
    let acked: Arc<Vec<AtomicUsize>> =
        Arc::new((0..WRITERS).map(|_| AtomicUsize::new(0)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (w, (ops, _)) in plans.into_iter().enumerate() {
        let (db, acked) = (db.clone(), Arc::clone(&acked));
        writers.push(std::thread::spawn(move || -> Result<()> {
            for op in &ops {
                write(&db, op)?;
                acked[w].fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        }));
    }
    let mut readers = Vec::new();
    for r in 0..2u64 {
        let (db, acked, states, stop) = (
            db.clone(),
            Arc::clone(&acked),
            Arc::clone(&states),
            Arc::clone(&stop),
        );
        readers.push(std::thread::spawn(move || -> Result<u64> {
            let mut rng = StdRng::seed_from_u64(r);
            let mut held: Vec<(strata::Snapshot, View)> = Vec::new();
            let mut checks = 0;
            // At least one view even if the writers finish first (a loaded machine).
            while checks == 0 || !stop.load(Ordering::SeqCst) {
                let lo = counts(&acked);
                let snap = db.snapshot();
                let it = db.iter()?;
                let hi = counts(&acked);
                let view: View = match rng.random_range(0..3) {
                    0 => snap
                        .iter()?
                        .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())))
                        .collect::<Result<_>>()?,
                    1 => {
                        let mut v: Vec<_> = snap
                            .iter()?
                            .rev()
                            .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())))
                            .collect::<Result<_>>()?;
                        v.reverse();
                        v
                    }
                    _ => {
                        let mut v = Vec::new();
                        for w in 0..WRITERS {
                            for k in 0..KEYS {
                                if let Some(val) = snap.get(key(w, k))? {
                                    v.push((key(w, k), val.to_vec()));
                                }
                            }
                        }
                        v
                    }
                };
                check_view(&states, &lo, &hi, &by_writer(&view), "snapshot");
                let iter_view: View = it
                    .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())))
                    .collect::<Result<_>>()?;
                check_view(&states, &lo, &hi, &by_writer(&iter_view), "iterator");
                checks += 1;
                // Hold a few snapshots and read each again later: the view must not move.
                held.push((snap, view));
                if held.len() > 3 {
                    let (old, view) = held.remove(0);
                    let again: View = old
                        .iter()?
                        .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())))
                        .collect::<Result<_>>()?;
                    assert_eq!(again, view, "a held snapshot's view changed");
                }
            }
            Ok(checks)
        }));
    }
    let maintenance = {
        let (db, stop) = (db.clone(), Arc::clone(&stop));
        std::thread::spawn(move || -> Result<u64> {
            let mut rounds = 0;
            // At least one round even if the writers finish first (a loaded machine).
            while rounds == 0 || !stop.load(Ordering::SeqCst) {
                db.flush()?;
                if rounds % 4 == 3 {
                    db.compact()?;
                }
                rounds += 1;
                std::thread::yield_now();
            }
            Ok(rounds)
        })
    };
    for w in writers {
        w.join().expect("writer panicked")?;
    }
    stop.store(true, Ordering::SeqCst);
    let mut views = 0;
    for r in readers {
        let checks = r.join().expect("reader panicked")?;
        assert!(checks > 0, "a reader checked nothing");
        views += checks;
    }
    let rounds = maintenance.join().expect("maintenance panicked")?;
    assert!(rounds > 0);
    let finals: Vec<usize> = vec![ops; WRITERS];
    let end = |db: &Db| -> Result<()> {
        let view: View = db
            .iter()?
            .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())))
            .collect::<Result<_>>()?;
        let view = by_writer(&view);
        for (w, seen) in view.iter().enumerate() {
            assert_eq!(*seen, states[w][finals[w]], "writer {w}'s final state");
        }
        Ok(())
    };
    end(&db)?;
    let stats = db.stats();
    assert!(
        stats.flushes > 0 && stats.compactions > 0,
        "flushes and compactions ran"
    );
    support::report(
        "writers_readers_and_compactions_at_once_match_per_writer_models",
        &format!(
            "{WRITERS} writers x {ops} operations, {views} snapshot + iterator views checked \
             against the models, {rounds} forced flushes, {} flushes and {} compactions in all",
            stats.flushes, stats.compactions
        ),
    );
    db.close()?;
    drop(db);
    let db = Db::open(dir.path(), opts)?;
    end(&db)?;
    db.close()
}
