//! The grandparent rules against a model that recomputes each rule's quantities from the
//! whole file list for every key (boundaries between two keys, bytes meeting a key range,
//! whether a key lies in a file), instead of walking the files as the job does.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::compaction::picker::testutil::file;

/// A grandparent file: (first key, last key, bytes).
type Gp = (u64, u64, u64);

fn metas(files: &[Gp]) -> Vec<Arc<FileMeta>> {
    files
        .iter()
        .enumerate()
        .map(|(i, &(lo, hi, size))| file(i as u64 + 1, size, lo, hi))
        .collect()
}

/// The outputs (their keys) the job makes of `keys` ((key, bytes it adds), ascending) under
/// `rule` and `split_at`, driven as `write_outputs` drives the cut (every key kept).
fn run(files: &[Gp], rule: CutRule, split_at: u64, keys: &[(u64, u64)]) -> Vec<Vec<u64>> {
    let metas = metas(files);
    let mut cut = GrandparentCut::new(&metas, rule);
    let mut outputs: Vec<Vec<u64>> = Vec::new();
    let mut size: Option<u64> = None;
    for &(k, bytes) in keys {
        let grandparents = cut.should_cut_before(&k.to_be_bytes(), size);
        if size.is_some_and(|s| grandparents || s >= split_at) {
            cut.reset();
            size = None;
        }
        match size {
            None => outputs.push(vec![k]),
            Some(_) => outputs.last_mut().unwrap().push(k),
        }
        size = Some(size.unwrap_or(0) + bytes);
    }
    outputs
}

/// Boundaries (a file's first key, or the end of its last) passed going from key `a` to
/// key `b` > `a`.
fn crossings(files: &[Gp], a: u64, b: u64) -> u64 {
    files
        .iter()
        .map(|&(lo, hi, _)| u64::from(a < lo && lo <= b) + u64::from(a <= hi && hi < b))
        .sum()
}

/// Bytes of the files meeting [a, b].
fn meeting(files: &[Gp], a: u64, b: u64) -> u64 {
    files
        .iter()
        .filter(|&&(lo, hi, _)| lo <= b && hi >= a)
        .map(|f| f.2)
        .sum()
}

fn in_gap(files: &[Gp], k: u64) -> bool {
    !files.iter().any(|&(lo, hi, _)| lo <= k && k <= hi)
}

/// The aligned rule of the module doc, read literally for an output whose first key is
/// `first`, holding `size` bytes, whose last key is `prev`, at the next key `k`.
#[allow(clippy::too_many_arguments)]
fn aligned_model_cuts(
    files: &[Gp],
    target: u64,
    max_compaction_bytes: u64,
    first: u64,
    prev: u64,
    k: u64,
    size: u64,
) -> bool {
    let crossed = crossings(files, prev, k);
    if crossed == 0 {
        return false;
    }
    let overlap = meeting(files, first, k);
    let whole_file = if in_gap(files, k) { 2 } else { 3 };
    let percent = 50 + (5 * crossings(files, first, k)).min(40);
    overlap + size > max_compaction_bytes
        || (crossed >= whole_file && overlap - meeting(files, first, prev) > target / 8)
        || size >= target.div_ceil(100) * percent
}

/// The overlap rule: the files wholly passed since the output's first key hold > `limit`.
fn overlap_model_cuts(files: &[Gp], limit: u64, first: u64, k: u64) -> bool {
    let passed: u64 = files
        .iter()
        .filter(|&&(_, hi, _)| first <= hi && hi < k)
        .map(|f| f.2)
        .sum();
    passed > limit
}

/// The outputs the model makes: a new output wherever `cuts(first, prev, k, size)` or
/// `size >= split_at`.
fn model(
    keys: &[(u64, u64)],
    split_at: u64,
    cuts: impl Fn(u64, u64, u64, u64) -> bool,
) -> Vec<Vec<u64>> {
    let mut outputs: Vec<Vec<u64>> = Vec::new();
    let (mut first, mut prev, mut size) = (0, 0, 0);
    for &(k, bytes) in keys {
        let new = outputs.is_empty() || size >= split_at || cuts(first, prev, k, size);
        if new {
            outputs.push(vec![k]);
            first = k;
            size = 0;
        } else {
            outputs.last_mut().unwrap().push(k);
        }
        size += bytes;
        prev = k;
    }
    outputs
}

/// Sorted disjoint files over [0, 1000) and an ascending key stream over [0, 1100).
fn case(rng: &mut StdRng) -> (Vec<Gp>, Vec<(u64, u64)>) {
    let mut files = Vec::new();
    let mut at = rng.random_range(0..30);
    while at < 1000 {
        let len = rng.random_range(0..60);
        files.push((at, at + len, rng.random_range(1..40)));
        at += len + rng.random_range(1..40);
    }
    let density = rng.random_range(1..10);
    let mut keys = Vec::new();
    for k in 0..1100 {
        if rng.random_range(0..10) < density {
            keys.push((k, rng.random_range(1..10)));
        }
    }
    (files, keys)
}

#[test]
fn aligned_cuts_match_the_model() {
    let mut rng = StdRng::seed_from_u64(14);
    for _ in 0..3000 {
        let (files, keys) = case(&mut rng);
        let target = rng.random_range(8..200);
        let max_compaction_bytes = rng.random_range(20..600);
        let rule = CutRule::Aligned {
            target,
            max_compaction_bytes,
        };
        let want = model(&keys, target, |first, prev, k, size| {
            aligned_model_cuts(&files, target, max_compaction_bytes, first, prev, k, size)
        });
        assert_eq!(
            run(&files, rule, target, &keys),
            want,
            "files {files:?} target {target} max {max_compaction_bytes}"
        );
    }
}

#[test]
fn overlap_cuts_match_the_model() {
    let mut rng = StdRng::seed_from_u64(15);
    for _ in 0..3000 {
        let (files, keys) = case(&mut rng);
        let limit = rng.random_range(0..300);
        let split_at = rng.random_range(8..400);
        let want = model(&keys, split_at, |first, _, k, _| {
            overlap_model_cuts(&files, limit, first, k)
        });
        let got = run(&files, CutRule::Overlap { limit }, split_at, &keys);
        assert_eq!(got, want, "files {files:?} limit {limit}");
    }
}

#[test]
fn aligned_outputs_end_at_grandparent_boundaries() {
    // Ten grandparent files of 100 bytes over 0..=9, 10..=19, ...; one key per integer,
    // 4 bytes each, target 100. An output may end early only where the next key starts a
    // new file; each holds at least half the target.
    let files: Vec<Gp> = (0..10).map(|i| (i * 10, i * 10 + 9, 100)).collect();
    let keys: Vec<(u64, u64)> = (0..100).map(|k| (k, 4)).collect();
    let rule = CutRule::Aligned {
        target: 100,
        max_compaction_bytes: 10_000,
    };
    let outputs = run(&files, rule, 100, &keys);
    for w in outputs.windows(2) {
        assert_eq!(w[1][0] % 10, 0, "{outputs:?}");
        assert!(w[0].len() * 4 >= 50, "{outputs:?}");
    }
    // At key 10 the output holds 40 bytes, under 60% (two boundaries crossed); at key 20,
    // 80 bytes, over 70% (four): it ends there, and so does each next one, 20 keys later.
    assert_eq!(outputs[0], (0..20).collect::<Vec<_>>());
    assert!(outputs.iter().all(|o| o.len() == 20), "{outputs:?}");
}

#[test]
fn aligned_cut_skips_a_whole_grandparent_file_between_two_keys() {
    // RocksDB's example: inputs over 1, 3, 21, 23; grandparents [2, 4] [11, 15] [22, 24].
    // Going from 3 to 21 passes all of [11, 15] (more than target / 8): end the output
    // there, so a later compaction of either output leaves [11, 15] alone.
    let files = [(2, 4, 5), (11, 15, 20), (22, 24, 5)];
    let keys = [(1, 1), (3, 1), (21, 1), (23, 1)];
    let rule = CutRule::Aligned {
        target: 64,
        max_compaction_bytes: 10_000,
    };
    assert_eq!(run(&files, rule, 64, &keys), vec![vec![1, 3], vec![21, 23]]);
    // A file of at most target / 8 bytes is not worth the cut.
    let files = [(2, 4, 5), (11, 15, 8), (22, 24, 5)];
    assert_eq!(run(&files, rule, 64, &keys), vec![vec![1, 3, 21, 23]]);
}

#[test]
fn aligned_cut_bounds_output_plus_overlap_by_max_compaction_bytes() {
    // Files of 50 bytes; an output of tiny keys may overlap at most 120 bytes with itself.
    let files: Vec<Gp> = (0..10).map(|i| (i * 10, i * 10 + 9, 50)).collect();
    let keys: Vec<(u64, u64)> = (0..100).map(|k| (k, 1)).collect();
    let rule = CutRule::Aligned {
        target: 1000,
        max_compaction_bytes: 120,
    };
    let outputs = run(&files, rule, 1000, &keys);
    // Each output meets two files (100 bytes + its own 20 keys); a third would exceed 120.
    assert!(outputs.iter().all(|o| o.len() == 20), "{outputs:?}");
}

#[test]
fn aligned_bounds_move_to_the_next_grandparent_start() {
    let files = [(10, 19, 1), (20, 29, 1), (40, 49, 1), (60, 69, 1)];
    let gp = metas(&files);
    let k = |v: u64| v.to_be_bytes().to_vec();
    let bounds = |bs: &[u64], last: u64| {
        let got = aligned_bounds(bs.iter().map(|&b| k(b)).collect(), &gp, &k(last));
        got.iter()
            .map(|b| u64::from_be_bytes(b.as_slice().try_into().unwrap()))
            .collect::<Vec<_>>()
    };
    // 15 -> 20 (the next start), 20 stays, 30 -> 40; 41 and 45 both -> 60 (kept once).
    assert_eq!(bounds(&[15, 30], 100), vec![20, 40]);
    assert_eq!(bounds(&[20], 100), vec![20]);
    assert_eq!(bounds(&[41, 45], 100), vec![60]);
    // No start at or after the bound, or one past the inputs' last key: dropped.
    assert_eq!(bounds(&[15, 61], 100), vec![20]);
    assert_eq!(bounds(&[30], 55), vec![40]);
    assert_eq!(bounds(&[50], 55), Vec::<u64>::new());
}
