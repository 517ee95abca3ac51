//! A seeded random workload (puts, deletes, batches, flushes, compactions, syncs, reads) and
//! random small-engine options, run against a `Db` while recording the history.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{
    CompactionOptions, Compression, Db, Error, LeveledOptions, Options, SimpleOptions,
    TieredOptions, WriteBatch,
};

use super::model::{Batch, History, Map, apply};

/// One step of a workload.
#[derive(Debug, Clone)]
pub enum Step {
    /// A batch (a single put or delete goes through `put` / `delete`).
    Write(Batch),
    /// `db.flush()`.
    Flush,
    /// `db.compact()`.
    Compact,
    /// `db.sync()`.
    Sync,
    /// `db.get(key)`, compared with the model.
    Get(Vec<u8>),
}

/// The key space: `key000`..`keyNNN`.
pub fn key(i: usize) -> Vec<u8> {
    format!("key{i:03}").into_bytes()
}

/// Every key the workload may touch.
pub fn all_keys(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(key).collect()
}

/// Small-engine options drawn from `rng`, and a one-line description.
pub fn random_options(rng: &mut StdRng) -> (Options, String) {
    let compaction = match rng.random_range(0..4) {
        0 => CompactionOptions::Simple(SimpleOptions {
            size_ratio_percent: 200,
            level0_file_num_compaction_trigger: 2,
            max_levels: 3,
        }),
        1 => CompactionOptions::Tiered(TieredOptions {
            num_tiers: 3,
            ..Default::default()
        }),
        2 => CompactionOptions::Leveled(LeveledOptions {
            level_size_multiplier: 2,
            level0_file_num_compaction_trigger: 2,
            max_levels: 3,
            base_level_size_mb: 1,
        }),
        _ => CompactionOptions::None,
    };
    let opts = Options {
        memtable_size: [2 << 10, 8 << 10, 1 << 20][rng.random_range(0..3)],
        block_size: 256,
        target_sst_size: 4 << 10,
        block_cache_size: if rng.random_bool(0.5) { 32 << 10 } else { 0 },
        compaction,
        sync_writes: rng.random_bool(0.5),
        compression: if rng.random_bool(0.5) {
            Compression::None
        } else {
            Compression::Lz4
        },
        enable_wal: rng.random_bool(0.9),
        max_manifest_size: if rng.random_bool(0.5) {
            1 << 10
        } else {
            1 << 20
        },
        ..Default::default()
    };
    let desc = format!(
        "compaction={:?} memtable={} sync_writes={} wal={} manifest_max={} cache={} {:?}",
        opts.compaction,
        opts.memtable_size,
        opts.sync_writes,
        opts.enable_wal,
        opts.max_manifest_size,
        opts.block_cache_size,
        opts.compression
    );
    (opts, desc)
}

/// `n` random steps over `keys` keys; values are unique (batch number and position) so a
/// recovered value names the write it came from.
pub fn random_steps(seed: u64, n: usize, keys: usize) -> Vec<Step> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut steps = Vec::with_capacity(n);
    let mut writes = 0usize;
    let value = |rng: &mut StdRng, w: usize, j: usize| -> Vec<u8> {
        let pad = if rng.random_bool(0.1) {
            0
        } else {
            rng.random_range(0..120)
        };
        let mut v = if pad == 0 && rng.random_bool(0.5) {
            Vec::new() // an empty value is a real value
        } else {
            format!("v{w}.{j}").into_bytes()
        };
        v.extend(std::iter::repeat_n(b'a' + (w % 26) as u8, pad));
        v
    };
    for _ in 0..n {
        let r = rng.random_range(0..100);
        let step = if r < 50 {
            let k = key(rng.random_range(0..keys));
            let v = value(&mut rng, writes, 0);
            writes += 1;
            Step::Write(vec![(k, Some(v))])
        } else if r < 62 {
            writes += 1;
            Step::Write(vec![(key(rng.random_range(0..keys)), None)])
        } else if r < 82 {
            let len = rng.random_range(2..8);
            let mut b = Batch::new();
            for j in 0..len {
                let k = key(rng.random_range(0..keys));
                if rng.random_bool(0.25) {
                    b.push((k, None));
                } else {
                    b.push((k, Some(value(&mut rng, writes, j))));
                }
            }
            writes += 1;
            Step::Write(b)
        } else if r < 86 {
            Step::Flush
        } else if r < 88 {
            Step::Compact
        } else if r < 93 {
            Step::Sync
        } else {
            Step::Get(key(rng.random_range(0..keys)))
        };
        steps.push(step);
    }
    steps
}

/// Writes one batch through the public API.
pub fn write(db: &Db, batch: &Batch) -> strata::Result<()> {
    match batch.as_slice() {
        [(k, Some(v))] => db.put(k, v),
        [(k, None)] => db.delete(k),
        _ => {
            let mut wb = WriteBatch::new();
            for (k, v) in batch {
                match v {
                    Some(v) => wb.put(k, v),
                    None => wb.delete(k),
                }
            }
            db.write(wb)
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub enum Stop {
    /// Every step ran.
    Done,
    /// Step `at` failed with this error (nothing after it ran).
    Failed { at: usize, error: Error },
    /// A read returned a value the model says is wrong.
    WrongRead { at: usize, detail: String },
}

/// Runs `steps` against `db`, recording writes in `history` (whose `acked`/`durable` follow
/// `opts`: a synced write is durable; `sync()` and `flush()` make every acknowledged write
/// durable; without a WAL only `flush()`/`sync()` do). `live` is the model of the
/// acknowledged state, kept for read checks. Stops at the first error.
pub fn run(db: &Db, opts: &Options, steps: &[Step], history: &mut History, live: &mut Map) -> Stop {
    run_tolerant(db, opts, steps, history, live, None)
}

/// As [`run`], but with `tolerated` a failed `get` or `compact` that did not poison the
/// database (its error is neither `Poisoned` nor `Closed`) is recorded there and the run
/// goes on: later reads must still be right.
pub fn run_tolerant(
    db: &Db,
    opts: &Options,
    steps: &[Step],
    history: &mut History,
    live: &mut Map,
    mut tolerated: Option<&mut Vec<Error>>,
) -> Stop {
    for (at, step) in steps.iter().enumerate() {
        let result = match step {
            Step::Write(batch) => {
                history.batches.push(batch.clone());
                let r = write(db, batch);
                if r.is_ok() {
                    history.acked = history.batches.len();
                    apply(live, batch);
                    if opts.sync_writes && opts.enable_wal {
                        history.durable = history.acked;
                    }
                }
                r
            }
            Step::Flush => db.flush().map(|()| history.durable = history.acked),
            Step::Sync => db.sync().map(|()| history.durable = history.acked),
            Step::Compact => db.compact(),
            Step::Get(k) => match db.get(k) {
                Ok(got) => {
                    if got.as_deref() != live.get(k).map(Vec::as_slice) {
                        return Stop::WrongRead {
                            at,
                            detail: format!(
                                "get({}) = {:?}, model {:?}",
                                String::from_utf8_lossy(k),
                                got,
                                live.get(k)
                            ),
                        };
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            },
        };
        if let Err(error) = result {
            let harmless = matches!(step, Step::Get(_) | Step::Compact)
                && !matches!(error, Error::Poisoned(_) | Error::Closed);
            match tolerated.as_deref_mut() {
                Some(list) if harmless => list.push(error),
                _ => return Stop::Failed { at, error },
            }
        }
    }
    Stop::Done
}
