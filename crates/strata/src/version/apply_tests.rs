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

#[test]
fn tier_order_places_runs_exactly() {
    let mut v = Version::new(0);
    // Flushes: each new tier goes in front.
    for n in [5u64, 8, 9] {
        let mut order = vec![n];
        order.extend(run_ids(&v));
        let edit = VersionEdit {
            new_files: vec![(n as u32, test_file(n, b"a", b"z", (n, n)))],
            tier_order: Some(order),
            ..VersionEdit::default()
        };
        v = v.apply(&edit).unwrap();
        v.check_invariants().unwrap();
    }
    assert_eq!(run_ids(&v), vec![9, 8, 5]);
    // A compaction of tiers 9 and 8 into tier 12, which takes 8's place.
    let edit = VersionEdit {
        deleted_files: vec![(9, 9), (8, 8)],
        new_files: vec![(12, test_file(12, b"a", b"z", (8, 9)))],
        tier_order: Some(vec![12, 5]),
        ..VersionEdit::default()
    };
    v = v.apply(&edit).unwrap();
    v.check_invariants().unwrap();
    assert_eq!(run_ids(&v), vec![12, 5]);
    // An order leaving out a run that holds files is refused; a duplicate id too.
    let bad = VersionEdit {
        tier_order: Some(vec![12]),
        ..VersionEdit::default()
    };
    assert!(v.apply(&bad).is_err());
    let bad = VersionEdit {
        tier_order: Some(vec![12, 5, 12]),
        ..VersionEdit::default()
    };
    assert!(v.apply(&bad).is_err());
    // The snapshot of an unsorted tier order replays to the same runs.
    let snap = v.snapshot_edit();
    assert_eq!(snap.tier_order, Some(vec![12, 5]));
    let mut buf = Vec::new();
    snap.encode(&mut buf);
    let replayed = Version::new(0)
        .apply(&VersionEdit::decode(&buf).unwrap())
        .unwrap();
    assert_eq!(run_ids(&replayed), vec![12, 5]);
    // Levels: no tier order in snapshots of sorted runs.
    assert_eq!(Version::new(3).snapshot_edit().tier_order, None);
}

/// Replaying the edits the db builds for tiered flushes and compactions (through their
/// encoding) gives the same tiers, in the same order, as the pure `compaction::apply`.
#[test]
fn replay_of_tiered_edits_reproduces_the_tier_order() {
    use crate::compaction::{TaskKind, apply, pick};
    use crate::options::{CompactionOptions, Options, TieredOptions};
    use std::sync::Arc;

    let roundtrip = |edit: &VersionEdit| {
        let mut buf = Vec::new();
        edit.encode(&mut buf);
        VersionEdit::decode(&buf).unwrap()
    };
    let mut rng = StdRng::seed_from_u64(11);
    for o in [
        TieredOptions {
            num_tiers: 3,
            ..TieredOptions::default()
        },
        TieredOptions {
            num_tiers: 4,
            max_size_amplification_percent: 100,
            size_ratio: 20,
            min_merge_width: 3,
            max_merge_width: Some(3),
        },
    ] {
        let opts = Options {
            compaction: CompactionOptions::Tiered(o),
            ..Options::default()
        };
        let mut model = Version::new(0);
        let mut replayed = Version::new(0);
        let mut edits = Vec::new();
        let mut next = 1u64;
        for _ in 0..200 {
            let n = next;
            next += 1;
            let mut order = vec![n];
            order.extend(run_ids(&replayed));
            let f = test_file(n, b"a", b"z", (n, n));
            let flush = VersionEdit {
                new_files: vec![(n as u32, f.clone())],
                tier_order: Some(order),
                ..VersionEdit::default()
            };
            model.levels.insert(
                0,
                crate::version::SortedRun {
                    id: n,
                    files: vec![Arc::new(f)],
                },
            );
            replayed = replayed.apply(&roundtrip(&flush)).unwrap();
            edits.push(flush);
            while let Some(task) = pick(&model, &opts, &[]) {
                assert!(matches!(task.kind, TaskKind::Tiered { .. }));
                let count = rng.random_range(0..3u64);
                let outputs: Vec<Arc<FileMeta>> = (0..count)
                    .map(|k| {
                        let lo = [b'a' + 2 * k as u8];
                        let hi = [b'b' + 2 * k as u8];
                        Arc::new(test_file(next + k, &lo, &hi, (1, 1)))
                    })
                    .collect();
                next += count;
                let (after, _) = apply(&model, &task, outputs.clone()).unwrap();
                let mut edit = VersionEdit::default();
                for (level, files) in &task.inputs {
                    edit.deleted_files
                        .extend(files.iter().map(|f| (*level, f.number)));
                }
                if let Some(first) = outputs.first() {
                    let id = first.number as u32;
                    edit.new_files
                        .extend(outputs.iter().map(|f| (id, FileMeta::clone(f))));
                }
                edit.tier_order = Some(run_ids(&after));
                replayed = replayed.apply(&roundtrip(&edit)).unwrap();
                replayed.check_invariants().unwrap();
                edits.push(edit);
                model = after;
                assert_eq!(run_ids(&replayed), run_ids(&model));
            }
        }
        // A fresh replay of every edit, and of a snapshot, lands on the same tiers.
        let mut fresh = Version::new(0);
        for edit in &edits {
            fresh = fresh.apply(&roundtrip(edit)).unwrap();
        }
        let files = |v: &Version| -> Vec<(u64, Vec<u64>)> {
            v.levels
                .iter()
                .map(|r| (r.id, r.files.iter().map(|f| f.number).collect()))
                .collect()
        };
        assert_eq!(files(&fresh), files(&model));
        let snap = Version::new(0)
            .apply(&roundtrip(&model.snapshot_edit()))
            .unwrap();
        assert_eq!(files(&snap), files(&model));
    }
}

/// A trivially moved file keeps its `Arc`: the database deletes a table when the obsolete
/// list holds its last reference, so a second `Arc` for a moved file would let a later
/// compaction delete it while a reader of the version before the move still reads it.
#[test]
fn a_moved_file_keeps_its_identity() {
    let v = Version::new(3)
        .apply(&add(vec![(0, test_file(7, b"a", b"c", (1, 5)))]))
        .unwrap();
    let before = std::sync::Arc::clone(&v.files_at(0)[0]);
    let moved = v
        .apply(&VersionEdit {
            deleted_files: vec![(0, 7)],
            new_files: vec![(2, test_file(7, b"a", b"c", (1, 5)))],
            ..VersionEdit::default()
        })
        .unwrap();
    assert!(numbers(&moved, 0).is_empty());
    assert!(std::sync::Arc::ptr_eq(&before, &moved.files_at(2)[0]));
    // The old version, the new one and `before`: three holders of one identity.
    assert_eq!(std::sync::Arc::strong_count(&before), 3);
    // A file that is only added is a new identity.
    let added = moved
        .apply(&add(vec![(1, test_file(8, b"x", b"y", (6, 6)))]))
        .unwrap();
    assert_eq!(std::sync::Arc::strong_count(&added.files_at(1)[0]), 1);
}
