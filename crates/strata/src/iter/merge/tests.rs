//! MergeIterator tests against the sorted union of random sources.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::iter::testing::{
    Entry, FailingIter, VecIter, check_random_walk, collect_both_ways, random_entries,
    scripted_workload, sort_entries,
};

/// Splits `entries` at random among `k` sources; some entries are copied into a second,
/// higher-index source with a different value (the lower index must win). Returns the
/// sources and the expected merge.
fn random_sources(rng: &mut StdRng, entries: &[Entry], k: usize) -> (Vec<Vec<Entry>>, Vec<Entry>) {
    let mut sources = vec![Vec::new(); k];
    let mut expected = Vec::new();
    if k == 0 {
        return (sources, expected);
    }
    for (key, value) in entries {
        let first = rng.random_range(0..k);
        sources[first].push((key.clone(), value.clone()));
        if first + 1 < k && rng.random_bool(0.1) {
            let second = rng.random_range(first + 1..k);
            sources[second].push((key.clone(), b"shadowed".to_vec()));
        }
        expected.push((key.clone(), value.clone()));
    }
    for source in &mut sources {
        sort_entries(source);
    }
    (sources, expected)
}

fn merge_of(sources: &[Vec<Entry>]) -> MergeIterator {
    MergeIterator::new(sources.iter().map(|s| VecIter::boxed(s.clone())).collect())
}

#[test]
fn merges_random_sources_both_ways() {
    let mut rng = StdRng::seed_from_u64(10);
    for round in 0..200 {
        let k = rng.random_range(0..7);
        let n = rng.random_range(0..200);
        let entries = random_entries(&mut rng, n);
        let (sources, expected) = random_sources(&mut rng, &entries, k);
        let mut merge = merge_of(&sources);
        assert_eq!(merge.num_children(), k);
        assert!(!merge.valid());
        assert_eq!(
            collect_both_ways(&mut merge).unwrap(),
            expected,
            "round {round}"
        );
        check_random_walk(&mut merge, &expected, &mut rng, 400);
    }
}

#[test]
fn equal_keys_lower_index_wins_and_all_advance() {
    let key = |k: &[u8], seq| crate::key::make_internal_key(k, seq, 1);
    let sources = vec![
        vec![(key(b"b", 2), b"new".to_vec())],
        vec![
            (key(b"a", 1), b"a".to_vec()),
            (key(b"b", 2), b"old".to_vec()),
        ],
        vec![
            (key(b"b", 2), b"older".to_vec()),
            (key(b"c", 3), b"c".to_vec()),
        ],
    ];
    let mut merge = merge_of(&sources);
    merge.seek(&key(b"b", 2)).unwrap();
    assert_eq!(
        (merge.value(), merge.current_child()),
        (&b"new"[..], Some(0))
    );
    merge.next().unwrap();
    assert_eq!(merge.key(), &key(b"c", 3)[..]);
    merge.prev().unwrap();
    assert_eq!(
        (merge.value(), merge.current_child()),
        (&b"new"[..], Some(0))
    );
    merge.prev().unwrap();
    assert_eq!(merge.key(), &key(b"a", 1)[..]);
    merge.next().unwrap();
    assert_eq!(merge.value(), b"new");
    assert_eq!(collect_both_ways(&mut merge).unwrap().len(), 3);
}

#[test]
fn no_children_is_always_invalid() {
    let mut merge = MergeIterator::new(Vec::new());
    merge.seek_to_first().unwrap();
    assert!(!merge.valid());
    merge.seek_to_last().unwrap();
    assert!(!merge.valid());
    merge.seek(b"anything").unwrap();
    assert!(!merge.valid());
    merge.seek_for_prev(b"anything").unwrap();
    assert!(!merge.valid());
    assert_eq!(merge.current_child(), None);
}

#[test]
fn child_error_surfaces_once_then_merge_stays_failed() {
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..20 {
        let k = rng.random_range(1..5);
        let n = rng.random_range(0..60);
        let entries = random_entries(&mut rng, n);
        let (sources, _) = random_sources(&mut rng, &entries, k);
        let targets: Vec<Vec<u8>> = (0..5)
            .map(|_| crate::iter::testing::random_target(&mut rng, &entries))
            .collect();
        let reference = scripted_workload(&mut merge_of(&sources), &targets).unwrap();
        let failing = rng.random_range(0..k);
        for fail_at in 1.. {
            let mut probe = None;
            let children: Vec<BoxedIterator> = sources
                .iter()
                .enumerate()
                .map(|(i, s)| -> BoxedIterator {
                    if i == failing {
                        let (it, p) = FailingIter::new(VecIter::new(s.clone()), fail_at);
                        probe = Some(p);
                        Box::new(it)
                    } else {
                        VecIter::boxed(s.clone())
                    }
                })
                .collect();
            let probe = probe.unwrap();
            let mut merge = MergeIterator::new(children);
            let result = scripted_workload(&mut merge, &targets);
            let failed = probe.failed.load(std::sync::atomic::Ordering::SeqCst);
            if !failed {
                assert_eq!(result.unwrap(), reference);
                break;
            }
            assert!(result.is_err(), "the failing call must return the error");
            assert!(!merge.valid());
            assert!(merge.seek_to_first().is_err());
            assert!(merge.seek(b"x").is_err());
            assert!(merge.seek_for_prev(b"x").is_err());
            assert!(merge.seek_to_last().is_err());
            assert!(!merge.valid());
            let touched = probe
                .touched_after_failure
                .load(std::sync::atomic::Ordering::SeqCst);
            assert!(!touched, "a failed child must never be touched again");
        }
    }
}
