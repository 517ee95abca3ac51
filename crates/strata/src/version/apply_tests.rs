//! Tests of `Version::apply` against a model (a map of live files), and of its error rules.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::test_file;
use crate::version::{FileMeta, Version, VersionEdit};

fn add(files: Vec<(u32, FileMeta)>) -> VersionEdit {
    VersionEdit {
        new_files: files,
        ..VersionEdit::default()
    }
}

fn numbers(version: &Version, level: u32) -> Vec<u64> {
    version.files_at(level).iter().map(|f| f.number).collect()
}

fn run_ids(version: &Version) -> Vec<u64> {
    version.levels.iter().map(|run| run.id).collect()
}

#[test]
fn new_version_has_empty_levels() {
    let v = Version::new(3);
    assert!(v.l0.is_empty());
    assert_eq!(run_ids(&v), vec![1, 2, 3]);
    assert_eq!(v.num_files(), 0);
    v.check_invariants().unwrap();
    assert!(Version::new(0).levels.is_empty());
}

#[test]
fn l0_is_kept_newest_first_by_largest_seq_then_number() {
    let v = Version::new(2);
    let v = v
        .apply(&add(vec![
            (0, test_file(5, b"a", b"z", (1, 10))),
            (0, test_file(6, b"a", b"z", (11, 20))),
            (0, test_file(3, b"a", b"z", (5, 20))),
        ]))
        .unwrap();
    assert_eq!(numbers(&v, 0), vec![6, 3, 5]);
    let v = v
        .apply(&add(vec![(0, test_file(9, b"b", b"c", (21, 30)))]))
        .unwrap();
    assert_eq!(numbers(&v, 0), vec![9, 6, 3, 5]);
    v.check_invariants().unwrap();
}

#[test]
fn runs_are_sorted_by_smallest_key_and_created_on_demand() {
    let v = Version::new(2);
    let v = v
        .apply(&add(vec![
            (1, test_file(1, b"m", b"n", (1, 1))),
            (1, test_file(2, b"a", b"b", (2, 2))),
        ]))
        .unwrap();
    let v = v
        .apply(&add(vec![(1, test_file(3, b"x", b"z", (3, 3)))]))
        .unwrap();
    let v = v
        .apply(&add(vec![(1, test_file(4, b"c", b"d", (4, 4)))]))
        .unwrap();
    assert_eq!(numbers(&v, 1), vec![2, 4, 1, 3]);
    let v = v
        .apply(&add(vec![(5, test_file(7, b"a", b"b", (1, 1)))]))
        .unwrap();
    let v = v
        .apply(&add(vec![(4, test_file(8, b"a", b"b", (1, 1)))]))
        .unwrap();
    assert_eq!(run_ids(&v), vec![1, 2, 4, 5]);
    assert_eq!(v.num_files(), 6);
    let all: Vec<_> = v.all_files().map(|(level, f)| (level, f.number)).collect();
    assert_eq!(all, vec![(1, 2), (1, 4), (1, 1), (1, 3), (4, 8), (5, 7)]);
    v.check_invariants().unwrap();
}

#[test]
fn edits_breaking_the_rules_are_rejected_and_change_nothing() {
    let base = Version::new(2)
        .apply(&add(vec![
            (0, test_file(1, b"a", b"z", (1, 5))),
            (1, test_file(2, b"a", b"c", (1, 1))),
            (1, test_file(3, b"e", b"g", (1, 1))),
        ]))
        .unwrap();
    let del = |files: Vec<(u32, u64)>| VersionEdit {
        deleted_files: files,
        ..VersionEdit::default()
    };
    let cases = vec![
        ("absent file", del(vec![(1, 99)])),
        ("wrong level", del(vec![(2, 2)])),
        ("missing level", del(vec![(7, 2)])),
        ("deleted twice", del(vec![(1, 2), (1, 2)])),
        (
            "duplicate of a live file",
            add(vec![(2, test_file(3, b"x", b"y", (1, 1)))]),
        ),
        (
            "duplicate within the edit",
            add(vec![
                (0, test_file(9, b"x", b"y", (1, 1))),
                (2, test_file(9, b"a", b"b", (1, 1))),
            ]),
        ),
        ("overlap", add(vec![(1, test_file(4, b"c", b"d", (1, 1)))])),
        (
            "touching user keys",
            add(vec![(1, test_file(4, b"g", b"h", (1, 1)))]),
        ),
        (
            "overlap within the edit",
            add(vec![
                (2, test_file(4, b"a", b"d", (1, 1))),
                (2, test_file(5, b"b", b"c", (1, 1))),
            ]),
        ),
        ("short key", {
            let mut f = test_file(4, b"x", b"y", (1, 1));
            f.smallest = bytes::Bytes::from_static(b"abc");
            add(vec![(2, f)])
        }),
        (
            "smallest after largest",
            add(vec![(2, test_file(4, b"y", b"x", (1, 1)))]),
        ),
    ];
    for (what, edit) in cases {
        let err = base.apply(&edit);
        assert!(err.is_err(), "{what} accepted");
        assert_eq!(base.num_files(), 3, "{what}: input changed");
    }
    base.check_invariants().unwrap();
}

#[test]
fn trivial_move_and_compaction_edits_apply() {
    let base = Version::new(3)
        .apply(&add(vec![
            (0, test_file(1, b"a", b"k", (1, 5))),
            (1, test_file(2, b"a", b"c", (1, 1))),
            (1, test_file(3, b"e", b"g", (1, 1))),
        ]))
        .unwrap();
    // Trivial move of file 3 from L1 to L2.
    let moved = base
        .apply(&VersionEdit {
            deleted_files: vec![(1, 3)],
            new_files: vec![(2, base.files_at(1)[1].as_ref().clone())],
            ..VersionEdit::default()
        })
        .unwrap();
    assert_eq!((numbers(&moved, 1), numbers(&moved, 2)), (vec![2], vec![3]));
    // L0 + L1 compacted into two new L1 files; L1 stays as a (now empty then refilled) level.
    let compacted = moved
        .apply(&VersionEdit {
            deleted_files: vec![(0, 1), (1, 2)],
            new_files: vec![
                (1, test_file(11, b"f", b"k", (1, 5))),
                (1, test_file(10, b"a", b"e", (1, 5))),
            ],
            ..VersionEdit::default()
        })
        .unwrap();
    assert_eq!(numbers(&compacted, 0), Vec::<u64>::new());
    assert_eq!(numbers(&compacted, 1), vec![10, 11]);
    let emptied = compacted
        .apply(&VersionEdit {
            deleted_files: vec![(1, 10), (1, 11)],
            ..VersionEdit::default()
        })
        .unwrap();
    assert_eq!(run_ids(&emptied), vec![1, 2, 3], "emptied levels remain");
    compacted.check_invariants().unwrap();
}

#[test]
fn snapshot_edit_rebuilds_the_same_version() {
    let v = Version::new(3)
        .apply(&add(vec![
            (0, test_file(1, b"a", b"k", (1, 5))),
            (0, test_file(4, b"a", b"k", (6, 9))),
            (1, test_file(2, b"a", b"c", (1, 1))),
            (3, test_file(3, b"e", b"g", (1, 1))),
        ]))
        .unwrap();
    let snap = v.snapshot_edit();
    assert_eq!(snap.new_files.len(), 4);
    assert!(snap.deleted_files.is_empty() && snap.log_number.is_none());
    let rebuilt = Version::new(3).apply(&snap).unwrap();
    assert_eq!(rebuilt.l0, v.l0);
    assert_eq!(rebuilt.levels, v.levels);
}

#[test]
fn random_edits_match_a_model() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut version = Version::new(3);
    // number -> (level, file); key ranges come from unique slots, so they never overlap.
    let mut model: BTreeMap<u64, (u32, FileMeta)> = BTreeMap::new();
    let mut next_number = 1u64;
    for step in 0..500 {
        let mut edit = VersionEdit::default();
        let live: Vec<u64> = model.keys().copied().collect();
        for &n in &live {
            if rng.random_bool(0.15) {
                edit.deleted_files.push((model[&n].0, n));
            }
        }
        for _ in 0..rng.random_range(0..4) {
            let slot = next_number * 10;
            let (lo, hi) = (
                format!("{slot:08}"),
                format!("{:08}", slot + rng.random_range(0..9)),
            );
            let seq = rng.random_range(0..1000);
            let file = test_file(next_number, lo.as_bytes(), hi.as_bytes(), (seq, seq + 5));
            edit.new_files.push((rng.random_range(0..5), file));
            next_number += 1;
        }
        let bad = rng.random_bool(0.1);
        if bad {
            edit.deleted_files.push((1, next_number + 1000));
        }
        match version.apply(&edit) {
            Ok(v) => {
                assert!(!bad, "step {step}: bad edit accepted");
                version = v;
                for (_, n) in &edit.deleted_files {
                    model.remove(n);
                }
                for (level, f) in &edit.new_files {
                    model.insert(f.number, (*level, f.clone()));
                }
            }
            Err(e) => assert!(bad, "step {step}: {e}"),
        }
        version.check_invariants().unwrap();
        let mut expected_l0: Vec<_> = model
            .values()
            .filter(|(l, _)| *l == 0)
            .map(|(_, f)| f)
            .collect();
        expected_l0.sort_by_key(|f| std::cmp::Reverse((f.largest_seq, f.number)));
        let got_l0: Vec<_> = version.l0.iter().map(|f| f.as_ref()).collect();
        assert_eq!(got_l0, expected_l0);
        for level in 1..5 {
            let mut expected: Vec<_> = model
                .values()
                .filter(|(l, _)| *l == level)
                .map(|(_, f)| f.number)
                .collect();
            expected.sort_unstable(); // slots grow with the number, so key order = number order
            assert_eq!(numbers(&version, level), expected, "step {step} L{level}");
        }
        assert_eq!(version.num_files(), model.len());
    }
}
