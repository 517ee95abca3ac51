//! Conflict log tests against a brute-force model: every commit ever made, checked key by key.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::ops::Bound;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

fn key(rng: &mut StdRng) -> Bytes {
    // A small key space with shared prefixes, so points, ranges and commits meet often.
    let len = rng.random_range(1..=2);
    Bytes::from(
        (0..len)
            .map(|_| rng.random_range(b'a'..=b'f'))
            .collect::<Vec<u8>>(),
    )
}

fn bound(rng: &mut StdRng) -> Bound<Bytes> {
    match rng.random_range(0..4) {
        0 => Bound::Unbounded,
        1 | 2 => Bound::Included(key(rng)),
        _ => Bound::Excluded(key(rng)),
    }
}

fn in_bounds(k: &[u8], lo: &Bound<Bytes>, hi: &Bound<Bytes>) -> bool {
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

struct Case {
    check: TxnCheck,
    raw_ranges: Vec<(Bound<Bytes>, Bound<Bytes>)>,
}

fn random_check(rng: &mut StdRng, read_seq: SeqNum) -> Case {
    let isolation = if rng.random_bool(0.5) {
        Isolation::Snapshot
    } else {
        Isolation::Serializable
    };
    let mut writes: Vec<Bytes> = (0..rng.random_range(0..4)).map(|_| key(rng)).collect();
    writes.sort();
    writes.dedup();
    let mut points: Vec<Bytes> = (0..rng.random_range(0..4)).map(|_| key(rng)).collect();
    points.sort();
    points.dedup();
    let mut ranges = KeyRanges::default();
    let mut raw_ranges = Vec::new();
    for _ in 0..rng.random_range(0..3) {
        let (lo, hi) = (bound(rng), bound(rng));
        raw_ranges.push((lo.clone(), hi.clone()));
        ranges.push(lo, hi);
    }
    ranges.build();
    Case {
        check: TxnCheck {
            read_seq,
            isolation,
            writes,
            points,
            ranges,
        },
        raw_ranges,
    }
}

/// The model's verdict: whether some commit above the read seq conflicts.
fn model_conflicts(case: &Case, commits: &[(SeqNum, Bytes)]) -> bool {
    let c = &case.check;
    commits
        .iter()
        .filter(|(s, _)| *s > c.read_seq)
        .any(|(_, k)| match c.isolation {
            Isolation::Snapshot => c.writes.contains(k),
            Isolation::Serializable => {
                c.points.contains(k)
                    || case
                        .raw_ranges
                        .iter()
                        .any(|(lo, hi)| !crate::db::bounds_empty(lo, hi) && in_bounds(k, lo, hi))
            }
        })
}

#[test]
fn validation_matches_a_brute_force_model() {
    let mut rng = StdRng::seed_from_u64(42);
    for round in 0..300 {
        let mut log = ConflictLog::new(0, usize::MAX);
        let mut commits: Vec<(SeqNum, Bytes)> = Vec::new();
        let mut seq: SeqNum = 0;
        let mut read_points: Vec<SeqNum> = vec![0];
        for _ in 0..rng.random_range(1..40) {
            let mut batch = WriteBatch::new();
            let n = rng.random_range(1..4);
            for _ in 0..n {
                let k = key(&mut rng);
                if rng.random_bool(0.7) {
                    batch.put(&k, b"v");
                } else {
                    batch.delete(&k);
                }
            }
            let first = seq + 1;
            for rec in batch.records() {
                seq += 1;
                commits.push((seq, Bytes::copy_from_slice(rec.key)));
            }
            log.record(&batch, first);
            read_points.push(seq);
        }
        // Prune below a random live transaction; checks at or above it stay exact.
        let oldest = read_points[rng.random_range(0..read_points.len())];
        if round % 2 == 0 {
            log.prune(oldest);
        }
        for _ in 0..50 {
            let r = read_points[rng.random_range(0..read_points.len())];
            let case = random_check(&mut rng, r);
            let got = log.validate(&case.check);
            if r < log.floor() && case.check.validates_anything() {
                assert!(matches!(
                    got,
                    Err(Error::Conflict {
                        kind: ConflictKind::TooOld,
                        ..
                    })
                ));
                continue;
            }
            let expect = model_conflicts(&case, &commits);
            assert_eq!(got.is_err(), expect, "read seq {r}: {:?}", case.check);
            if let Err(Error::Conflict { key, kind }) = got {
                // The named key really was committed after the snapshot.
                assert!(commits.iter().any(|(s, k)| *s > r && *k == key), "{kind}");
            }
        }
    }
}

#[test]
fn prune_and_reset_keep_memory_to_live_transactions() {
    let mut log = ConflictLog::new(10, usize::MAX);
    let mut b = WriteBatch::new();
    b.put(b"a", b"1");
    b.put(b"b", b"2");
    log.record(&b, 11);
    log.record(&b, 13);
    assert_eq!(log.len(), 4);
    log.prune(12);
    assert_eq!((log.len(), log.floor()), (2, 12));
    assert_eq!(log.latest.len(), 2, "the newer versions of a and b stay");
    log.reset(14);
    assert_eq!((log.len(), log.bytes(), log.floor()), (0, 0, 14));
}

#[test]
fn past_the_memory_bound_the_oldest_transactions_fail_too_old() {
    let mut log = ConflictLog::new(0, 10 * (ENTRY_OVERHEAD + 3));
    let mut seq = 0;
    for i in 0..100u32 {
        let mut b = WriteBatch::new();
        b.put(format!("{i:03}"), b"v");
        seq += 1;
        log.record(&b, seq);
        assert!(log.bytes() <= 10 * (ENTRY_OVERHEAD + 3));
    }
    assert_eq!(log.len(), 10);
    assert_eq!(log.floor(), 90);
    let check = |read_seq| TxnCheck {
        read_seq,
        isolation: Isolation::Snapshot,
        writes: vec![Bytes::from_static(b"zzz")],
        points: Vec::new(),
        ranges: KeyRanges::default(),
    };
    assert!(matches!(
        log.validate(&check(89)),
        Err(Error::Conflict {
            kind: ConflictKind::TooOld,
            ..
        })
    ));
    assert!(log.validate(&check(90)).is_ok());
    // A check with nothing to validate (read-only serializable) never fails, however old.
    let mut ro = check(0);
    ro.isolation = Isolation::Serializable;
    assert!(log.validate(&ro).is_ok());
}
