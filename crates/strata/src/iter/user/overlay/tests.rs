//! The workspace overlay against a model: snapshot pairs with the workspace applied on top,
//! forward, reverse and alternating ends, plus errors from the snapshot side.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::iter::Iter;
use crate::iter::testing::{
    FailingIter, VecIter, encode_records, random_records, random_user_key, sort_entries,
    version_map,
};

type Pair = (Vec<u8>, Vec<u8>);

fn in_bounds(k: &[u8], lower: &Bound<Bytes>, upper: &Bound<Bytes>) -> bool {
    let above = match lower {
        Bound::Included(x) => k >= &x[..],
        Bound::Excluded(x) => k > &x[..],
        Bound::Unbounded => true,
    };
    let below = match upper {
        Bound::Included(y) => k <= &y[..],
        Bound::Excluded(y) => k < &y[..],
        Bound::Unbounded => true,
    };
    above && below
}

fn random_bound(rng: &mut StdRng) -> Bound<Bytes> {
    match rng.random_range(0..4) {
        0 => Bound::Unbounded,
        1 => Bound::Excluded(Bytes::from(random_user_key(rng))),
        _ => Bound::Included(Bytes::from(random_user_key(rng))),
    }
}

struct Case {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    seq: u64,
    workspace: Vec<(Bytes, Option<Bytes>)>,
    lower: Bound<Bytes>,
    upper: Bound<Bytes>,
    expected: Vec<Pair>,
}

fn random_case(rng: &mut StdRng) -> Case {
    let n = rng.random_range(0..120);
    let records = random_records(rng, n);
    let seq = rng.random_range(0..=n as u64 + 1);
    let versions = version_map(&records);
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = versions
        .iter()
        .filter_map(|(k, vs)| match vs.range(..=seq).next_back() {
            Some((_, (true, v))) => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect();
    let mut ws: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
    for i in 0..rng.random_range(0..12) {
        let k = random_user_key(rng);
        let v = rng.random_bool(0.6).then(|| format!("w{i}").into_bytes());
        ws.insert(k, v);
    }
    for (k, v) in &ws {
        match v {
            Some(v) => model.insert(k.clone(), v.clone()),
            None => model.remove(k),
        };
    }
    let (lower, upper) = (random_bound(rng), random_bound(rng));
    let expected = model
        .into_iter()
        .filter(|(k, _)| in_bounds(k, &lower, &upper))
        .collect();
    let workspace = if crate::db::bounds_empty(&lower, &upper) {
        Vec::new()
    } else {
        ws.into_iter()
            .filter(|(k, _)| in_bounds(k, &lower, &upper))
            .map(|(k, v)| (Bytes::from(k), v.map(Bytes::from)))
            .collect()
    };
    let mut entries = encode_records(&records);
    sort_entries(&mut entries);
    Case {
        entries,
        seq,
        workspace,
        lower,
        upper,
        expected,
    }
}

fn make(case: &Case) -> Iter {
    Iter::new(
        VecIter::boxed(case.entries.clone()),
        case.seq,
        case.lower.clone(),
        case.upper.clone(),
        Box::new(()),
    )
    .with_overlay(case.workspace.clone())
}

fn owned(r: crate::error::Result<(Bytes, Bytes)>) -> Pair {
    let (k, v) = r.unwrap();
    (k.to_vec(), v.to_vec())
}

#[test]
fn workspace_over_snapshot_matches_the_model_both_ways() {
    let mut rng = StdRng::seed_from_u64(77);
    for round in 0..1500 {
        let case = random_case(&mut rng);
        let what = format!("round {round} {:?}..{:?}", case.lower, case.upper);
        let forward: Vec<Pair> = make(&case).map(owned).collect();
        assert_eq!(forward, case.expected, "forward, {what}");
        let mut reverse: Vec<Pair> = make(&case).rev().map(owned).collect();
        reverse.reverse();
        assert_eq!(reverse, case.expected, "reverse, {what}");
        let mut it = make(&case);
        let mut remaining: VecDeque<Pair> = case.expected.iter().cloned().collect();
        loop {
            let front = rng.random_bool(0.5);
            let (got, want) = if front {
                (it.next().map(owned), remaining.pop_front())
            } else {
                (it.next_back().map(owned), remaining.pop_back())
            };
            assert_eq!(got, want, "alternating (front={front}), {what}");
            if want.is_none() {
                assert!(it.is_finished() && it.next().is_none() && it.next_back().is_none());
                break;
            }
        }
    }
}

#[test]
fn a_snapshot_error_is_yielded_once_then_none() {
    let mut rng = StdRng::seed_from_u64(78);
    for _ in 0..200 {
        let case = random_case(&mut rng);
        let fail_at = rng.random_range(1..20);
        let (inner, _probe) = FailingIter::new(VecIter::new(case.entries.clone()), fail_at);
        let mut it = Iter::new(
            Box::new(inner),
            case.seq,
            case.lower.clone(),
            case.upper.clone(),
            Box::new(()),
        )
        .with_overlay(case.workspace.clone());
        let mut errors = 0;
        for step in 0..400 {
            let got = if step % 3 == 0 {
                it.next_back()
            } else {
                it.next()
            };
            match got {
                Some(Err(_)) => errors += 1,
                Some(Ok(_)) => assert_eq!(errors, 0, "nothing after an error"),
                None => break,
            }
        }
        assert!(errors <= 1);
        assert!(it.next().is_none() && it.next_back().is_none());
    }
}
