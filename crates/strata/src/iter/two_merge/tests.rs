//! TwoMergeIterator tests against the sorted union of two random sources.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::atomic::Ordering as AtomicOrdering;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::iter::testing::{
    Entry, FailingIter, VecIter, check_random_walk, collect_both_ways, random_entries,
    random_target, scripted_workload, sort_entries,
};

/// Splits entries between A and B; some of A's entries also appear in B with another value.
fn split(rng: &mut StdRng, entries: &[Entry]) -> (Vec<Entry>, Vec<Entry>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (key, value) in entries {
        if rng.random_bool(0.5) {
            a.push((key.clone(), value.clone()));
            if rng.random_bool(0.2) {
                b.push((key.clone(), b"shadowed".to_vec()));
            }
        } else {
            b.push((key.clone(), value.clone()));
        }
    }
    sort_entries(&mut a);
    sort_entries(&mut b);
    (a, b)
}

#[test]
fn merges_a_over_b_both_ways() {
    let mut rng = StdRng::seed_from_u64(20);
    for round in 0..200 {
        let n = rng.random_range(0..150);
        let entries = random_entries(&mut rng, n);
        let (a, b) = split(&mut rng, &entries);
        let mut it = TwoMergeIterator::new(VecIter::new(a), VecIter::new(b));
        assert!(!it.valid());
        assert_eq!(
            collect_both_ways(&mut it).unwrap(),
            entries,
            "round {round}"
        );
        check_random_walk(&mut it, &entries, &mut rng, 400);
    }
}

#[test]
fn a_wins_ties_in_both_directions() {
    let key = |k: &[u8]| crate::key::make_internal_key(k, 5, 1);
    let a = vec![(key(b"b"), b"A".to_vec())];
    let b = vec![
        (key(b"a"), b"a".to_vec()),
        (key(b"b"), b"B".to_vec()),
        (key(b"c"), b"c".to_vec()),
    ];
    let mut it = TwoMergeIterator::new(VecIter::new(a), VecIter::new(b));
    it.seek_to_first().unwrap();
    assert!(!it.is_a());
    it.next().unwrap();
    assert_eq!((it.value(), it.is_a()), (&b"A"[..], true));
    it.next().unwrap();
    assert_eq!(it.value(), b"c");
    it.prev().unwrap();
    assert_eq!(it.value(), b"A");
    it.prev().unwrap();
    assert_eq!(it.value(), b"a");
    it.seek_for_prev(&key(b"b")).unwrap();
    assert_eq!(it.value(), b"A");
    it.prev().unwrap();
    assert_eq!(it.value(), b"a");
    it.prev().unwrap();
    assert!(!it.valid());
}

#[test]
fn child_error_surfaces_then_cursor_stays_failed() {
    let mut rng = StdRng::seed_from_u64(21);
    for _ in 0..20 {
        let n = rng.random_range(0..50);
        let entries = random_entries(&mut rng, n);
        let (a, b) = split(&mut rng, &entries);
        let targets: Vec<Vec<u8>> = (0..5).map(|_| random_target(&mut rng, &entries)).collect();
        let mut reference = TwoMergeIterator::new(VecIter::new(a.clone()), VecIter::new(b.clone()));
        let reference = scripted_workload(&mut reference, &targets).unwrap();
        for fail_in_a in [true, false] {
            for fail_at in 1.. {
                let (fa, pa) =
                    FailingIter::new(VecIter::new(a.clone()), if fail_in_a { fail_at } else { 0 });
                let (fb, pb) =
                    FailingIter::new(VecIter::new(b.clone()), if fail_in_a { 0 } else { fail_at });
                let probe = if fail_in_a { pa } else { pb };
                let mut it = TwoMergeIterator::new(fa, fb);
                let result = scripted_workload(&mut it, &targets);
                if !probe.failed.load(AtomicOrdering::SeqCst) {
                    assert_eq!(result.unwrap(), reference);
                    break;
                }
                assert!(result.is_err());
                assert!(!it.valid());
                assert!(it.seek_to_first().is_err());
                assert!(it.seek_for_prev(b"zzzzzzzzz").is_err());
                assert!(!it.valid());
                assert!(!probe.touched_after_failure.load(AtomicOrdering::SeqCst));
            }
        }
    }
}
