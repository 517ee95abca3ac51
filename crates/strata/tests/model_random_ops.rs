//! Random operations against a `BTreeMap` model, with flushes, full compactions and reopens
//! at random points; every read is compared with the model.

use std::collections::BTreeMap;
use std::ops::Bound;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{Bytes, CompactionOptions, Db, Options, Result, WriteBatch};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn small_options(compaction: CompactionOptions) -> Options {
    Options {
        memtable_size: 4 << 10,
        block_size: 256,
        target_sst_size: 8 << 10,
        block_cache_size: 64 << 10,
        compaction,
        ..Default::default()
    }
}

fn random_key(rng: &mut StdRng) -> Vec<u8> {
    // A small key space so overwrites, deletes of live keys and prefixes all happen.
    let n: u32 = rng.random_range(0..400);
    let mut k = format!("k{n:03}").into_bytes();
    if rng.random_bool(0.05) {
        k.truncate(rng.random_range(0..k.len()));
    }
    k
}

fn random_value(rng: &mut StdRng) -> Vec<u8> {
    let len = if rng.random_bool(0.1) {
        0
    } else {
        rng.random_range(1..64)
    };
    (0..len).map(|_| rng.random()).collect()
}

fn random_bound(rng: &mut StdRng) -> Bound<Vec<u8>> {
    match rng.random_range(0..3) {
        0 => Bound::Unbounded,
        1 => Bound::Included(random_key(rng)),
        _ => Bound::Excluded(random_key(rng)),
    }
}

fn model_range(model: &Model, lo: &Bound<Vec<u8>>, hi: &Bound<Vec<u8>>) -> Vec<(Vec<u8>, Vec<u8>)> {
    model
        .iter()
        .filter(|(k, _)| match lo {
            Bound::Included(l) => *k >= l,
            Bound::Excluded(l) => *k > l,
            Bound::Unbounded => true,
        })
        .filter(|(k, _)| match hi {
            Bound::Included(h) => *k <= h,
            Bound::Excluded(h) => *k < h,
            Bound::Unbounded => true,
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn collect(iter: impl Iterator<Item = Result<(Bytes, Bytes)>>) -> Vec<(Vec<u8>, Vec<u8>)> {
    iter.map(|r| {
        let (k, v) = r.expect("iteration failed");
        (k.to_vec(), v.to_vec())
    })
    .collect()
}

fn run(seed: u64, steps: usize, compaction: CompactionOptions) {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = small_options(compaction);
    let mut db = Db::open(dir.path(), opts.clone()).expect("open");
    let mut model = Model::new();
    let mut rng = StdRng::seed_from_u64(seed);
    for step in 0..steps {
        let ctx = || format!("seed {seed} step {step}");
        match rng.random_range(0..100) {
            0..=34 => {
                let (k, v) = (random_key(&mut rng), random_value(&mut rng));
                db.put(&k, &v).expect("put");
                model.insert(k, v);
            }
            35..=44 => {
                let k = random_key(&mut rng);
                db.delete(&k).expect("delete");
                model.remove(&k);
            }
            45..=52 => {
                let mut batch = WriteBatch::new();
                for _ in 0..rng.random_range(1..8) {
                    let k = random_key(&mut rng);
                    if rng.random_bool(0.7) {
                        let v = random_value(&mut rng);
                        batch.put(&k, &v);
                        model.insert(k, v);
                    } else {
                        batch.delete(&k);
                        model.remove(&k);
                    }
                }
                db.write(batch).expect("write");
            }
            53..=72 => {
                let k = random_key(&mut rng);
                let got = db.get(&k).expect("get").map(|b| b.to_vec());
                assert_eq!(got, model.get(&k).cloned(), "get {k:?} at {}", ctx());
            }
            73..=82 => {
                let (lo, hi) = (random_bound(&mut rng), random_bound(&mut rng));
                let want = model_range(&model, &lo, &hi);
                let it = db.range((lo.clone(), hi.clone())).expect("range");
                if rng.random_bool(0.5) {
                    assert_eq!(collect(it), want, "range {lo:?}..{hi:?} at {}", ctx());
                } else {
                    let mut want = want;
                    want.reverse();
                    assert_eq!(
                        collect(it.rev()),
                        want,
                        "rev range {lo:?}..{hi:?} at {}",
                        ctx()
                    );
                }
            }
            83..=86 => {
                let p = random_key(&mut rng);
                let p = &p[..p.len().min(rng.random_range(0..4))];
                let want: Vec<_> = model
                    .iter()
                    .filter(|(k, _)| k.starts_with(p))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                assert_eq!(
                    collect(db.prefix(p).expect("prefix")),
                    want,
                    "prefix at {}",
                    ctx()
                );
            }
            87..=89 => {
                // Mixed next / next_back never repeat an entry and stop where they meet.
                let mut it = db.iter().expect("iter");
                let mut front = Vec::new();
                let mut back = Vec::new();
                loop {
                    let from_front = rng.random_bool(0.5);
                    let item = if from_front {
                        it.next()
                    } else {
                        it.next_back()
                    };
                    let Some(r) = item else { break };
                    let (k, v) = r.expect("iter");
                    let pair = (k.to_vec(), v.to_vec());
                    if from_front {
                        front.push(pair)
                    } else {
                        back.push(pair)
                    }
                }
                back.reverse();
                front.extend(back);
                let want: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                assert_eq!(front, want, "mixed iteration at {}", ctx());
            }
            90..=93 => db.flush().expect("flush"),
            94..=95 => db.compact().expect("compact"),
            _ => {
                db.close().expect("close");
                drop(db);
                db = Db::open(dir.path(), opts.clone()).expect("reopen");
            }
        }
    }
    let all = collect(db.iter().expect("iter"));
    let want: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(all, want, "final scan, seed {seed}");
    if let CompactionOptions::Tiered(_) = opts.compaction {
        let shape = db.tree_shape();
        assert!(shape.l0.is_empty(), "L0 files under tiered: {shape:?}");
        assert!(!shape.levels.is_empty(), "no tier after {steps} steps");
    }
    db.close().expect("close");
}

/// Seeds to run: `STRATA_SEEDS=N` for a long run (default: a few, for CI).
fn seeds(default: u64) -> std::ops::Range<u64> {
    let n = std::env::var("STRATA_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    0..n
}

#[test]
fn random_ops_match_a_btreemap_without_background_compaction() {
    for seed in seeds(4) {
        run(seed, 3000, CompactionOptions::None);
    }
}

#[test]
fn random_ops_match_a_btreemap_with_the_default_strategy() {
    for seed in seeds(3) {
        run(1000 + seed, 3000, CompactionOptions::default());
    }
}

#[test]
fn random_ops_match_a_btreemap_with_tiered_compaction() {
    for seed in seeds(3) {
        run(
            2000 + seed,
            3000,
            CompactionOptions::Tiered(strata::TieredOptions {
                num_tiers: 3,
                ..Default::default()
            }),
        );
    }
}
