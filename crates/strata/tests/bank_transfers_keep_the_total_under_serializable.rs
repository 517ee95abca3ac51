//! A bank: threads move random amounts between random accounts in transactions, retrying on
//! conflict, while auditors sum every balance in read-only transactions and flushes run.
//! Under `Serializable` every audit and the final state see the same total.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{Db, Error, Isolation, Options, Result, Transaction};

const ACCOUNTS: u32 = 8;
const INITIAL: i64 = 1000;

fn account(i: u32) -> String {
    format!("acct:{i:02}")
}

fn balance(txn: &Transaction, key: &str) -> Result<i64> {
    let v = txn.get(key)?.expect("every account exists");
    Ok(std::str::from_utf8(&v)
        .expect("utf8")
        .parse()
        .expect("a number"))
}

fn total(txn: &Transaction) -> Result<i64> {
    let mut sum = 0;
    for item in txn.prefix("acct:")? {
        let (_, v) = item?;
        sum += std::str::from_utf8(&v)
            .expect("utf8")
            .parse::<i64>()
            .expect("a number");
    }
    Ok(sum)
}

/// One transfer attempt; `Ok(false)` on conflict.
fn transfer(db: &Db, rng: &mut StdRng) -> Result<bool> {
    let from = rng.random_range(0..ACCOUNTS);
    let to = (from + rng.random_range(1..ACCOUNTS)) % ACCOUNTS;
    let mut txn = db.transaction();
    let (a, b) = (balance(&txn, &account(from))?, balance(&txn, &account(to))?);
    let amount = rng.random_range(0..=a.min(100));
    if rng.random_bool(0.1) {
        // Widen the window between read and commit so transfers overlap often.
        std::thread::sleep(std::time::Duration::from_micros(300));
    }
    txn.put(account(from), (a - amount).to_string())?;
    txn.put(account(to), (b + amount).to_string())?;
    match txn.commit() {
        Ok(()) => Ok(true),
        Err(Error::Conflict { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

#[test]
fn concurrent_transfers_with_retries_keep_the_total_constant() -> Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(
        dir.path(),
        Options {
            isolation: Isolation::Serializable,
            memtable_size: 32 << 10,
            ..Options::default()
        },
    )?;
    for i in 0..ACCOUNTS {
        db.put(account(i), INITIAL.to_string())?;
    }
    let expected = INITIAL * i64::from(ACCOUNTS);
    let stop = Arc::new(AtomicBool::new(false));
    let conflicts = Arc::new(AtomicU64::new(0));
    let audits = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for t in 0..4u64 {
        let (db, conflicts) = (db.clone(), Arc::clone(&conflicts));
        workers.push(std::thread::spawn(move || -> Result<()> {
            let mut rng = StdRng::seed_from_u64(t);
            for _ in 0..400 {
                while !transfer(&db, &mut rng)? {
                    conflicts.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(())
        }));
    }
    let mut background = Vec::new();
    {
        let (db, stop, audits) = (db.clone(), Arc::clone(&stop), Arc::clone(&audits));
        background.push(std::thread::spawn(move || -> Result<()> {
            while !stop.load(Ordering::Relaxed) {
                let txn = db.transaction();
                assert_eq!(
                    total(&txn)?,
                    expected,
                    "an audit saw money appear or vanish"
                );
                txn.commit()?; // read-only: always commits
                audits.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        }));
    }
    {
        let (db, stop) = (db.clone(), Arc::clone(&stop));
        background.push(std::thread::spawn(move || -> Result<()> {
            while !stop.load(Ordering::Relaxed) {
                db.flush()?;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Ok(())
        }));
    }
    for w in workers {
        w.join().expect("worker")?;
    }
    stop.store(true, Ordering::Relaxed);
    for b in background {
        b.join().expect("background")?;
    }
    let txn = db.transaction();
    assert_eq!(total(&txn)?, expected);
    eprintln!(
        "{} conflicts retried, {} audits",
        conflicts.load(Ordering::Relaxed),
        audits.load(Ordering::Relaxed)
    );
    assert!(audits.load(Ordering::Relaxed) > 0);
    assert_eq!(
        db.stats().transaction_conflicts,
        conflicts.load(Ordering::Relaxed)
    );
    drop(txn);
    db.compact()?;
    assert_eq!(total(&db.transaction())?, expected);
    Ok(())
}
