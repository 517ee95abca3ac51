//! A history checker over thousands of randomized concurrent transactions (gets, forward and
//! reverse partial scans, puts, deletes) on a small key space:
//! - every transaction, committed or not, saw exactly its snapshot plus its own writes;
//! - `Serializable`: replaying the committed transactions one by one in commit-seq order
//!   against a model reproduces every value each one read (read-only ones at their read
//!   seq), so the commit order is a serial order: no dependency cycle;
//! - `Snapshot`: no two committed transactions with overlapping write sets overlap in time
//!   (first committer wins);
//! - the final database equals the model.

use std::collections::BTreeMap;
use std::ops::Bound;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{Db, Error, Isolation, Options, Result};

type Key = Vec<u8>;
type State = BTreeMap<Key, Key>;

#[derive(Debug, Clone)]
enum Op {
    Get(Key, Option<Key>),
    /// Bounds, reverse, the pairs returned, and whether the scan ran to its end.
    Scan(Bound<Key>, Bound<Key>, bool, Vec<(Key, Key)>, bool),
    Put(Key, Key),
    Delete(Key),
}

#[derive(Debug)]
struct Record {
    read_seq: u64,
    /// `Some(seq)` committed with writes; `None` read-only or aborted.
    commit_seq: Option<u64>,
    aborted: bool,
    ops: Vec<Op>,
}

const KEYS: u32 = 10;

fn key(rng: &mut StdRng) -> Key {
    format!("k{}", rng.random_range(0..KEYS)).into_bytes()
}

fn bound(rng: &mut StdRng) -> Bound<Key> {
    match rng.random_range(0..4) {
        0 => Bound::Unbounded,
        1 => Bound::Excluded(key(rng)),
        _ => Bound::Included(key(rng)),
    }
}

fn in_bounds(k: &[u8], lo: &Bound<Key>, hi: &Bound<Key>) -> bool {
    let above = match lo {
        Bound::Included(x) => k >= &x[..],
        Bound::Excluded(x) => k > &x[..],
        Bound::Unbounded => true,
    };
    let below = match hi {
        Bound::Included(y) => k <= &y[..],
        Bound::Excluded(y) => k < &y[..],
        Bound::Unbounded => true,
    };
    above && below
}

/// Runs one random transaction and records what it saw.
fn run_one(db: &Db, rng: &mut StdRng, tag: &str) -> Result<Record> {
    let mut txn = db.transaction();
    let mut ops = Vec::new();
    for i in 0..rng.random_range(1..6) {
        match rng.random_range(0..10) {
            0..4 => {
                let k = key(rng);
                let got = txn.get(&k)?.map(|v| v.to_vec());
                ops.push(Op::Get(k, got));
            }
            4..6 => {
                let (lo, hi) = (bound(rng), bound(rng));
                let reverse = rng.random_bool(0.4);
                let want = rng.random_range(0..5);
                let mut it = txn.range((lo.clone(), hi.clone()))?;
                let mut got = Vec::new();
                let mut finished = false;
                while got.len() < want {
                    let item = if reverse { it.next_back() } else { it.next() };
                    match item {
                        Some(r) => {
                            let (k, v) = r?;
                            got.push((k.to_vec(), v.to_vec()));
                        }
                        None => {
                            finished = true;
                            break;
                        }
                    }
                }
                ops.push(Op::Scan(lo, hi, reverse, got, finished));
            }
            6..9 => {
                let (k, v) = (key(rng), format!("{tag}.{i}").into_bytes());
                txn.put(&k, &v)?;
                ops.push(Op::Put(k, v));
            }
            _ => {
                let k = key(rng);
                txn.delete(&k)?;
                ops.push(Op::Delete(k));
            }
        }
        if rng.random_bool(0.05) {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
    let read_seq = txn.read_seq();
    let (commit_seq, aborted) = match txn.commit_with_seq() {
        Ok(seq) => (seq, false),
        Err(Error::Conflict { .. }) => (None, true),
        Err(e) => return Err(e),
    };
    Ok(Record {
        read_seq,
        commit_seq,
        aborted,
        ops,
    })
}

/// Replays a transaction's operations against `base`; `Err` names the first mismatch.
/// Returns the state after its writes.
fn replay(ops: &[Op], base: &State) -> std::result::Result<State, String> {
    let mut state = base.clone();
    for op in ops {
        match op {
            Op::Get(k, got) => {
                if state.get(k) != got.as_ref() {
                    return Err(format!("get {k:?}: saw {got:?}, model {:?}", state.get(k)));
                }
            }
            Op::Scan(lo, hi, reverse, got, finished) => {
                let mut all: Vec<(Key, Key)> = state
                    .iter()
                    .filter(|(k, _)| in_bounds(k, lo, hi))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if *reverse {
                    all.reverse();
                }
                let ok = if *finished {
                    &all == got
                } else {
                    all.len() >= got.len() && all[..got.len()] == got[..]
                };
                if !ok {
                    return Err(format!(
                        "scan {lo:?}..{hi:?} rev={reverse}: {got:?} vs {all:?}"
                    ));
                }
            }
            Op::Put(k, v) => {
                state.insert(k.clone(), v.clone());
            }
            Op::Delete(k) => {
                state.remove(k);
            }
        }
    }
    Ok(state)
}

fn run_history(isolation: Isolation, seed: u64) -> Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(
        dir.path(),
        Options {
            isolation,
            memtable_size: 16 << 10,
            ..Options::default()
        },
    )?;
    let mut initial = State::new();
    for i in 0..KEYS {
        if i % 2 == 0 {
            let (k, v) = (format!("k{i}").into_bytes(), b"init".to_vec());
            db.put(&k, &v)?;
            initial.insert(k, v);
        }
    }
    let start_seq = db.stats().last_sequence;
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || -> Result<Vec<Record>> {
                let mut rng = StdRng::seed_from_u64(seed * 10 + t);
                (0..800)
                    .map(|n| run_one(&db, &mut rng, &format!("t{t}.{n}")))
                    .collect()
            })
        })
        .collect();
    let mut records = Vec::new();
    for t in threads {
        records.extend(t.join().expect("thread")?);
    }
    // The committed writers, in commit order, and the state after each.
    let mut commits: Vec<&Record> = records.iter().filter(|r| r.commit_seq.is_some()).collect();
    commits.sort_by_key(|r| r.commit_seq);
    let mut states: Vec<(u64, State)> = vec![(start_seq, initial)];
    for c in &commits {
        let before = &states[states.len() - 1].1;
        let after = match isolation {
            // Serializable: each commit's reads are those of the serial order.
            Isolation::Serializable => {
                replay(&c.ops, before).map_err(|e| format!("commit at seq {:?}: {e}", c.commit_seq))
            }
            _ => {
                // Snapshot: apply the writes only; reads are checked at the snapshot below.
                let writes: Vec<Op> = c
                    .ops
                    .iter()
                    .filter(|o| matches!(o, Op::Put(..) | Op::Delete(..)))
                    .cloned()
                    .collect();
                replay(&writes, before)
            }
        }
        .expect("serial replay");
        states.push((c.commit_seq.expect("committed"), after));
    }
    // Every transaction saw its snapshot (plus its own writes).
    for r in &records {
        let i = states.partition_point(|(s, _)| *s <= r.read_seq);
        let snapshot = &states[i - 1].1;
        if let Err(e) = replay(&r.ops, snapshot) {
            panic!(
                "transaction at read seq {} (aborted={}): {e}",
                r.read_seq, r.aborted
            );
        }
    }
    if isolation == Isolation::Snapshot {
        // First committer wins: committed writers with a common key never overlap in time.
        let write_set = |r: &Record| -> std::collections::BTreeSet<Key> {
            r.ops
                .iter()
                .filter_map(|o| match o {
                    Op::Put(k, _) | Op::Delete(k) => Some(k.clone()),
                    _ => None,
                })
                .collect()
        };
        let sets: Vec<_> = commits.iter().map(|c| write_set(c)).collect();
        for (i, a) in commits.iter().enumerate() {
            for (j, b) in commits.iter().enumerate().skip(i + 1) {
                let (ac, bc) = (a.commit_seq.unwrap_or(0), b.commit_seq.unwrap_or(0));
                let overlap = a.read_seq < bc && b.read_seq < ac;
                if overlap && !sets[i].is_disjoint(&sets[j]) {
                    panic!("write-write overlap: commits {ac} and {bc}");
                }
            }
        }
    }
    let finalstate: State = db
        .iter()?
        .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())))
        .collect::<Result<_>>()?;
    assert_eq!(finalstate, states[states.len() - 1].1);
    let aborted = records.iter().filter(|r| r.aborted).count();
    eprintln!(
        "{isolation:?}: {} transactions, {} committed writers, {aborted} aborted",
        records.len(),
        commits.len()
    );
    assert!(aborted > 0, "the workload should produce conflicts");
    Ok(())
}

#[test]
fn serializable_histories_replay_in_commit_order() -> Result<()> {
    run_history(Isolation::Serializable, 1)
}

#[test]
fn snapshot_histories_have_no_write_write_overlap() -> Result<()> {
    run_history(Isolation::Snapshot, 2)
}
