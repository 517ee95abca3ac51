//! `seek_point` against a sorted-Vec model of the block's entries (random probes between,
//! before and after the entries, on keys sharing long prefixes), and against the cursor on
//! damaged blocks.
#![allow(clippy::unwrap_used)]

use std::cmp::Ordering;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::super::{Block, BlockBuilder, BlockIter, KeyOrder};
use super::{Point, common_prefix_len, seek_point};
use crate::key::{
    KIND_SEEK, MAX_SEQUENCE, compare_internal_keys, make_internal_key, pack_trailer, trailer,
    user_key,
};

type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// A user key: a long shared prefix (or none), then a short tail over a small alphabet, so
/// that keys share long prefixes and some are prefixes of others.
fn random_user_key(rng: &mut StdRng, prefix: &[u8]) -> Vec<u8> {
    let mut k = prefix[..rng.random_range(0..=prefix.len())].to_vec();
    if rng.random_bool(0.7) {
        k = prefix.to_vec();
    }
    let tail = rng.random_range(0..5);
    // Bytes 0x00-0x02 too: a user key that extends the previous key with its trailer's bytes
    // (kind, low seq bytes) shares part of its own trailer with that key.
    let binary = rng.random_bool(0.3);
    k.extend((0..tail).map(|_| {
        if binary {
            rng.random_range(0..3u8)
        } else {
            rng.random_range(b'a'..b'd')
        }
    }));
    k
}

/// Sorted internal-key entries; with `versions`, several seqs per user key (trailers that
/// share leading bytes: same kind, nearby seqs).
fn random_entries(rng: &mut StdRng, n: usize, prefix: &[u8], versions: bool) -> Entries {
    let mut keys = Vec::new();
    for _ in 0..n {
        let uk = random_user_key(rng, prefix);
        let copies = if versions { rng.random_range(1..4) } else { 1 };
        for _ in 0..copies {
            let seq = match rng.random_range(0..10) {
                0 => MAX_SEQUENCE - rng.random_range(0..3),
                1 => 256 * rng.random_range(0..3) + rng.random_range(0..3),
                _ => rng.random_range(0..600u64),
            };
            keys.push(make_internal_key(&uk, seq, rng.random_range(0..2u8)));
        }
    }
    keys.sort_by(|a, b| compare_internal_keys(a, b));
    keys.dedup_by(|a, b| user_key(a) == user_key(b) && trailer(a) >> 8 == trailer(b) >> 8);
    if !versions {
        keys.dedup_by(|a, b| user_key(a) == user_key(b));
    }
    keys.into_iter()
        .map(|k| {
            let vlen = rng.random_range(0..20);
            (k, (0..vlen).map(|_| rng.random()).collect())
        })
        .collect()
}

fn build(entries: &Entries, interval: usize) -> Block {
    let mut b = BlockBuilder::new(interval, KeyOrder::Internal);
    for (k, v) in entries {
        b.add(k, v);
    }
    Block::new(Bytes::from(b.finish().to_vec())).unwrap()
}

/// `NeedsCursor` is allowed only at the first version of the probe, when the key before it is
/// shorter and that key's trailer bytes continue into the probe's trailer.
fn check_needs_cursor(model: &Entries, probe: &[u8], needs_cursor: &std::cell::Cell<usize>) {
    let first = model.iter().position(|(k, _)| user_key(k) == probe);
    assert!(
        first.is_some_and(|f| f > 0 && model[f - 1].0.len() < model[f].0.len()),
        "probe {probe:?}: no answer in place"
    );
    needs_cursor.set(needs_cursor.get() + 1);
}

/// Checks one probe `(probe, seq)` against the model: the first entry at or after the target,
/// found iff it has the probe's user key.
fn check_probe(
    block: &Block,
    model: &Entries,
    probe: &[u8],
    seq: u64,
    needs_cursor: &std::cell::Cell<usize>,
) -> Point {
    let t = pack_trailer(seq, KIND_SEEK);
    let target = make_internal_key(probe, seq, KIND_SEEK);
    let ge = model
        .iter()
        .position(|(k, _)| compare_internal_keys(k, &target) != Ordering::Less);
    let got = seek_point(block, probe, t).unwrap();
    match ge {
        Some(i) if user_key(&model[i].0) == probe => match &got {
            Point::Found { trailer: tr, value } => {
                assert_eq!(*tr, trailer(&model[i].0), "probe {probe:?} seq {seq}");
                assert_eq!(&block.data()[value.clone()], &model[i].1[..]);
            }
            Point::Absent => panic!("probe {probe:?} seq {seq}: missed entry {i}"),
            Point::NeedsCursor => check_needs_cursor(model, probe, needs_cursor),
        },
        _ if got == Point::NeedsCursor => check_needs_cursor(model, probe, needs_cursor),
        _ => assert_eq!(got, Point::Absent, "probe {probe:?} seq {seq}"),
    }
    got
}

#[test]
fn common_prefix_len_matches_a_byte_loop() {
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..2000 {
        let a: Vec<u8> = (0..rng.random_range(0..30))
            .map(|_| rng.random_range(0..3))
            .collect();
        let mut b = a[..rng.random_range(0..=a.len())].to_vec();
        b.extend((0..rng.random_range(0..12)).map(|_| rng.random_range(0..3u8)));
        let expected = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        assert_eq!(common_prefix_len(&a, &b), expected);
        assert_eq!(common_prefix_len(&b, &a), expected);
    }
}

#[test]
fn random_probes_match_a_sorted_vec_model() {
    let mut rng = StdRng::seed_from_u64(12);
    let (mut found, mut absent) = (0, 0);
    let needs_cursor = std::cell::Cell::new(0);
    for round in 0..300 {
        let prefix: Vec<u8> = match round % 3 {
            0 => Vec::new(),
            1 => b"0000000000".to_vec(),
            _ => (0..rng.random_range(1..40)).map(|_| b'k').collect(),
        };
        let versions = round % 2 == 1;
        let n = rng.random_range(1..80);
        let model = random_entries(&mut rng, n, &prefix, versions);
        let interval = rng.random_range(1..=16);
        let block = build(&model, interval);
        let mut probes: Vec<Vec<u8>> = model.iter().map(|(k, _)| user_key(k).to_vec()).collect();
        for _ in 0..60 {
            // Keys between, before and after the entries, prefixes and extensions of them.
            let mut p = random_user_key(&mut rng, &prefix);
            match rng.random_range(0..4) {
                0 => p.push(rng.random_range(0..=255)),
                1 => p.truncate(rng.random_range(0..=p.len())),
                2 => p.insert(0, if rng.random_bool(0.5) { 0 } else { 0xFF }),
                _ => {}
            }
            probes.push(p);
        }
        for probe in &probes {
            for seq in [0, 1, rng.random_range(0..600), 599, MAX_SEQUENCE] {
                match check_probe(&block, &model, probe, seq, &needs_cursor) {
                    Point::Found { .. } => found += 1,
                    _ => absent += 1,
                }
            }
        }
    }
    assert!(
        found > 1000 && absent > 1000 && needs_cursor.get() < found / 100,
        "{found} {absent} {}",
        needs_cursor.get()
    );
}

/// The cursor's seek and `seek_point` on the same block: the same entry, the same error.
fn agree_with_cursor(block: &Block, probe: &[u8], seq: u64) {
    let t = pack_trailer(seq, KIND_SEEK);
    let target = make_internal_key(probe, seq, KIND_SEEK);
    let mut it = BlockIter::new(block.clone(), KeyOrder::Internal);
    let cursor = it.seek(&target);
    match (seek_point(block, probe, t), cursor) {
        (Err(a), Err(b)) => assert_eq!(a, b),
        (Ok(Point::NeedsCursor), _) => {} // the caller asks the cursor
        (Ok(Point::Absent), Ok(())) => {
            assert!(!it.valid() || user_key(it.key()) != probe);
        }
        (Ok(Point::Found { trailer: tr, value }), Ok(())) => {
            assert!(it.valid() && user_key(it.key()) == probe);
            assert_eq!(tr, trailer(it.key()));
            assert_eq!(&block.data()[value], it.value());
        }
        (a, b) => panic!("seek_point {a:?}, cursor {b:?}"),
    }
}

#[test]
fn damaged_blocks_give_the_cursors_errors_and_never_panic() {
    let mut rng = StdRng::seed_from_u64(13);
    let model = random_entries(&mut rng, 40, b"0000000000", true);
    let mut b = BlockBuilder::new(4, KeyOrder::Internal);
    for (k, v) in &model {
        b.add(k, v);
    }
    let good = b.finish().to_vec();
    let probes: Vec<Vec<u8>> = model
        .iter()
        .step_by(3)
        .map(|(k, _)| user_key(k).to_vec())
        .chain([Vec::new(), b"0000000000zz".to_vec()])
        .collect();
    crate::sstable::block::tests::each_flipped_block(&good, |block| {
        for p in &probes {
            agree_with_cursor(&block, p, 300);
            agree_with_cursor(&block, p, MAX_SEQUENCE);
        }
    });
    for _ in 0..2000 {
        let n = rng.random_range(1..60);
        let mut bytes: Vec<u8> = (0..n).map(|_| rng.random_range(0..40)).collect();
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        let block = Block::new(Bytes::from(bytes)).unwrap();
        for p in &probes {
            agree_with_cursor(&block, p, 300);
        }
    }
}

/// A user key that extends the previous key with that key's trailer bytes shares part of its
/// own trailer with it: `seek_point` hands the lookup to the cursor, which finds the entry.
#[test]
fn a_trailer_shared_with_a_shorter_previous_key_goes_to_the_cursor() {
    // "a" at seq 256 (trailer bytes 01 00 01 00 ..), then "a\x01" at seq 2, a tombstone
    // (trailer bytes 00 02 00 ..): the second key shares "a", 0x01, 0x00 with the first.
    let model: Entries = vec![
        (make_internal_key(b"a", 256, 1), b"x".to_vec()),
        (make_internal_key(b"a\x01", 2, 0), Vec::new()),
    ];
    let block = build(&model, 16);
    let t = pack_trailer(5, KIND_SEEK);
    assert_eq!(seek_point(&block, b"a\x01", t).unwrap(), Point::NeedsCursor);
    let mut it = BlockIter::new(block.clone(), KeyOrder::Internal);
    it.seek(&make_internal_key(b"a\x01", 5, KIND_SEEK)).unwrap();
    assert!(it.valid() && it.key() == &model[1].0[..]);
    // The first key and an absent one are answered in place.
    assert!(matches!(
        seek_point(&block, b"a", t).unwrap(),
        Point::Absent
    ));
    assert!(matches!(
        seek_point(&block, b"a", pack_trailer(300, KIND_SEEK)).unwrap(),
        Point::Found { .. }
    ));
}
