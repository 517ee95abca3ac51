//! Benchmark (ignored by default): short read-modify-write transactions per second at 1, 2
//! and 8 threads, and the cost of a transactional commit against a plain `put`.
//!
//! Run: `cargo test --release -p strata --test transaction_throughput_benchmark -- --ignored
//! --nocapture`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{Db, Error, Isolation, Options, Result};

const KEYS: u64 = 100_000;

fn open(isolation: Isolation) -> Result<(tempfile::TempDir, Db)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(
        dir.path(),
        Options {
            isolation,
            ..Options::default()
        },
    )?;
    Ok((dir, db))
}

fn key(i: u64) -> String {
    format!("key{i:08}")
}

/// One read-modify-write of a random key; returns the number of conflicts retried.
fn rmw(db: &Db, rng: &mut StdRng) -> Result<u64> {
    let k = key(rng.random_range(0..KEYS));
    let mut retries = 0;
    loop {
        let mut txn = db.transaction();
        let n = txn.get(&k)?.map_or(0, |v| v.len());
        txn.put(&k, vec![b'x'; 16 + n % 16])?;
        match txn.commit() {
            Ok(()) => return Ok(retries),
            Err(Error::Conflict { .. }) => retries += 1,
            Err(e) => return Err(e),
        }
    }
}

fn per_op_ns(ops: u64, start: Instant) -> f64 {
    start.elapsed().as_nanos() as f64 / ops as f64
}

#[test]
#[ignore = "benchmark: run with --release --ignored --nocapture"]
fn transaction_throughput() -> Result<()> {
    const OPS: u64 = 200_000;
    // Plain put vs a serializable single-key read-modify-write, single thread.
    let (_d, db) = open(Isolation::Serializable)?;
    let mut rng = StdRng::seed_from_u64(1);
    let start = Instant::now();
    for _ in 0..OPS {
        db.put(key(rng.random_range(0..KEYS)), [b'x'; 16])?;
    }
    let put_ns = per_op_ns(OPS, start);
    let start = Instant::now();
    for _ in 0..OPS {
        let k = key(rng.random_range(0..KEYS));
        let _ = db.get(&k)?;
        db.put(&k, [b'y'; 16])?;
    }
    let plain_rmw_ns = per_op_ns(OPS, start);
    for isolation in [Isolation::Snapshot, Isolation::Serializable] {
        let (_d, db) = open(isolation)?;
        for i in 0..KEYS {
            db.put(key(i), [b'x'; 16])?;
        }
        let start = Instant::now();
        for _ in 0..OPS {
            rmw(&db, &mut rng)?;
        }
        let txn_ns = per_op_ns(OPS, start);
        println!(
            "{isolation:?}: plain put {put_ns:.0} ns, plain get+put {plain_rmw_ns:.0} ns, \
             transactional RMW {txn_ns:.0} ns ({:.2}x a plain put)",
            txn_ns / put_ns
        );
    }
    // Throughput at 1, 2 and 8 threads (low contention: random keys of 100k); `None` is the
    // baseline: plain puts of random keys.
    for isolation in [
        None,
        Some(Isolation::Snapshot),
        Some(Isolation::Serializable),
    ] {
        for threads in [1u64, 2, 8] {
            let (_d, db) = open(isolation.unwrap_or(Isolation::Snapshot))?;
            for i in 0..KEYS {
                db.put(key(i), [b'x'; 16])?;
            }
            let retries = Arc::new(AtomicU64::new(0));
            let per_thread = OPS / threads;
            let start = Instant::now();
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (db, retries) = (db.clone(), Arc::clone(&retries));
                    std::thread::spawn(move || -> Result<()> {
                        let mut rng = StdRng::seed_from_u64(t + 10);
                        for _ in 0..per_thread {
                            if isolation.is_none() {
                                db.put(key(rng.random_range(0..KEYS)), [b'z'; 16])?;
                            } else {
                                retries.fetch_add(rmw(&db, &mut rng)?, Ordering::Relaxed);
                            }
                        }
                        Ok(())
                    })
                })
                .collect();
            for h in handles {
                h.join().expect("thread")?;
            }
            let secs = start.elapsed().as_secs_f64();
            let what = isolation.map_or("plain put".to_string(), |i| format!("{i:?} RMW txn"));
            println!(
                "{what}, {threads} thread(s): {:.0} ops/s, {} conflicts retried",
                (per_thread * threads) as f64 / secs,
                retries.load(Ordering::Relaxed)
            );
        }
    }
    Ok(())
}
