//! Block round trips against a sorted-Vec model, and malformed blocks.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::key::make_internal_key;

fn build(entries: &[(Vec<u8>, Vec<u8>)], interval: usize, order: KeyOrder) -> Block {
    let mut b = BlockBuilder::new(interval, order);
    let mut expected = 0;
    for (k, v) in entries {
        expected = b.size_after(k, v.len());
        b.add(k, v);
        assert_eq!(b.current_size(), expected, "size_after is exact");
    }
    let data = b.finish().to_vec();
    assert_eq!(data.len(), expected);
    Block::new(Bytes::from(data)).unwrap()
}

fn random_internal_entries(rng: &mut StdRng, n: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for _ in 0..n {
        let len = rng.random_range(0..12);
        let uk: Vec<u8> = (0..len).map(|_| rng.random_range(b'a'..b'e')).collect();
        let seq = rng.random_range(0..50u64);
        let kind = rng.random_range(0..2u8);
        keys.push(make_internal_key(&uk, seq, kind));
    }
    keys.sort_by(|a, b| compare_internal_keys(a, b));
    keys.dedup_by(|a, b| {
        crate::key::user_key(a) == crate::key::user_key(b)
            && crate::key::seq_of(a) == crate::key::seq_of(b)
    });
    keys.into_iter()
        .map(|k| {
            let vlen = if rng.random_bool(0.2) {
                0
            } else {
                rng.random_range(0..40)
            };
            (k, (0..vlen).map(|_| rng.random()).collect())
        })
        .collect()
}

/// Checks seek, seek_for_prev, prev and next against the model at `target`.
fn check_target(it: &mut BlockIter, model: &[(Vec<u8>, Vec<u8>)], target: &[u8]) {
    let order = KeyOrder::Internal;
    let ge = model
        .iter()
        .position(|(k, _)| order.compare(k, target) != std::cmp::Ordering::Less);
    it.seek(target).unwrap();
    match ge {
        Some(i) => {
            assert!(it.valid());
            assert_eq!((it.key(), it.value()), (&model[i].0[..], &model[i].1[..]));
            assert_eq!(it.value_bytes(), Bytes::copy_from_slice(&model[i].1));
            it.prev().unwrap();
            if i == 0 {
                assert!(!it.valid());
            } else {
                assert_eq!(it.key(), &model[i - 1].0[..]);
                it.next().unwrap();
                assert_eq!(it.key(), &model[i].0[..]);
            }
        }
        None => assert!(!it.valid()),
    }
    let le = model
        .iter()
        .rposition(|(k, _)| order.compare(k, target) != std::cmp::Ordering::Greater);
    it.seek_for_prev(target).unwrap();
    match le {
        Some(i) => assert_eq!(it.key(), &model[i].0[..]),
        None => assert!(!it.valid()),
    }
}

#[test]
fn random_blocks_match_a_sorted_vec_model() {
    let mut rng = StdRng::seed_from_u64(1);
    for round in 0..60 {
        let model = random_internal_entries(&mut rng, 1 + round * 5);
        for interval in [1, 2, 3, 16] {
            let block = build(&model, interval, KeyOrder::Internal);
            assert_eq!(block.num_restarts(), model.len().div_ceil(interval));
            let mut it = BlockIter::new(block, KeyOrder::Internal);
            // Forward and backward scans.
            it.seek_to_first().unwrap();
            for (k, v) in &model {
                assert_eq!((it.key(), it.value()), (&k[..], &v[..]));
                it.next().unwrap();
            }
            assert!(!it.valid());
            it.seek_to_last().unwrap();
            for (k, _) in model.iter().rev() {
                assert_eq!(it.key(), &k[..]);
                it.prev().unwrap();
            }
            assert!(!it.valid());
            // Every key, and random targets.
            for (k, _) in &model {
                check_target(&mut it, &model, k);
            }
            for _ in 0..40 {
                let (k, _) = &model[rng.random_range(0..model.len())];
                let mut t = crate::key::user_key(k).to_vec();
                if rng.random_bool(0.3) {
                    t.push(rng.random_range(b'a'..b'f'));
                }
                let kind = if rng.random_bool(0.5) {
                    crate::key::KIND_SEEK
                } else {
                    1
                };
                check_target(
                    &mut it,
                    &model,
                    &make_internal_key(&t, rng.random_range(0..60), kind),
                );
            }
        }
    }
}

#[test]
fn empty_user_key_empty_values_and_bytewise_order() {
    let model = vec![
        (make_internal_key(b"", 9, 1), Vec::new()),
        (make_internal_key(b"", 3, 0), Vec::new()),
        (make_internal_key(b"a", 1, 1), b"x".to_vec()),
    ];
    let mut it = BlockIter::new(build(&model, 16, KeyOrder::Internal), KeyOrder::Internal);
    for (k, _) in &model {
        check_target(&mut it, &model, k);
    }
    let names = vec![
        (Vec::new(), b"e".to_vec()),
        (b"a".to_vec(), Vec::new()),
        (b"ab".to_vec(), b"v".to_vec()),
    ];
    let mut it = BlockIter::new(build(&names, 1, KeyOrder::Bytewise), KeyOrder::Bytewise);
    it.seek(b"aa").unwrap();
    assert_eq!(it.key(), b"ab");
    it.seek(b"").unwrap();
    assert_eq!((it.key(), it.value()), (&b""[..], &b"e"[..]));
}

#[test]
fn oversized_single_entry_is_one_block() {
    let big = vec![7u8; 1 << 20];
    let model = vec![(make_internal_key(b"k", 1, 1), big.clone())];
    let block = build(&model, 16, KeyOrder::Internal);
    let mut it = BlockIter::new(block, KeyOrder::Internal);
    it.seek_to_first().unwrap();
    assert_eq!(it.value().len(), big.len());
    it.next().unwrap();
    assert!(!it.valid());
}

#[test]
fn malformed_blocks_never_panic() {
    assert!(Block::new(Bytes::new()).is_err());
    assert!(Block::new(Bytes::from_static(&[0, 0, 0, 0])).is_err()); // no restarts
    assert!(Block::new(Bytes::from_static(&[0, 0, 0, 0, 1, 0, 0, 0])).is_err()); // no entries
    assert!(Block::new(Bytes::from_static(&[9, 1, 0, 0, 0, 1, 0, 0, 0])).is_err()); // restart 0 != 0
    assert!(Block::new(Bytes::from_static(&[0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])).is_err());
    // Valid restart arrays over garbage entries, and every flip of a real block: decoding may
    // fail but never panics, and iteration terminates.
    let mut rng = StdRng::seed_from_u64(2);
    let model = random_internal_entries(&mut rng, 40);
    let mut b = BlockBuilder::new(4, KeyOrder::Internal);
    for (k, v) in &model {
        b.add(k, v);
    }
    let good = b.finish().to_vec();
    each_flipped_block(&good, |block| exercise(block, &model));
    for _ in 0..2000 {
        let n = rng.random_range(1..60);
        let mut bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        exercise(Block::new(Bytes::from(bytes)).unwrap(), &model);
    }
}

fn exercise(block: Block, model: &[(Vec<u8>, Vec<u8>)]) {
    for order in [KeyOrder::Internal, KeyOrder::Bytewise] {
        let mut it = BlockIter::new(block.clone(), order);
        let mut steps = 0;
        if it.seek_to_first().is_ok() {
            while it.valid() && it.next().is_ok() {
                steps += 1;
                assert!(steps < 10_000);
            }
        }
        if it.seek_to_last().is_ok() {
            while it.valid() && it.prev().is_ok() {
                steps += 1;
                assert!(steps < 20_000);
            }
        }
        for (k, _) in model.iter().step_by(7) {
            let _ = it.seek(k);
            let _ = it.seek_for_prev(k);
        }
    }
}

/// Random walks of `next`, `prev`, seeks and block switches against the model's position:
/// the entries a backward re-scan records must never outlive their block or their position.
#[test]
fn random_walks_mixing_directions_match_the_model() {
    let mut rng = StdRng::seed_from_u64(3);
    for round in 0..40 {
        let models: Vec<_> = (0..2)
            .map(|_| random_internal_entries(&mut rng, 1 + round * 4))
            .collect();
        for interval in [1, 3, 16] {
            let blocks: Vec<_> = models
                .iter()
                .map(|m| build(m, interval, KeyOrder::Internal))
                .collect();
            let mut which = 0;
            let mut it = BlockIter::new(blocks[0].clone(), KeyOrder::Internal);
            // The model's position: None = not on an entry.
            let mut pos: Option<usize> = None;
            for _ in 0..300 {
                let model = &models[which];
                match rng.random_range(0..10) {
                    0 => {
                        which = rng.random_range(0..2);
                        it.reset(blocks[which].clone());
                        pos = None;
                    }
                    1 => {
                        it.seek_to_last().unwrap();
                        pos = model.len().checked_sub(1);
                    }
                    2 => {
                        let i = rng.random_range(0..model.len());
                        it.seek(&model[i].0).unwrap();
                        pos = Some(i);
                    }
                    3..=5 if pos.is_some() => {
                        it.next().unwrap();
                        pos = pos.map(|p| p + 1).filter(|&p| p < model.len());
                    }
                    _ if pos.is_some() => {
                        it.prev().unwrap();
                        pos = pos.and_then(|p| p.checked_sub(1));
                    }
                    _ => {
                        it.seek_to_first().unwrap();
                        pos = Some(0);
                    }
                }
                match pos {
                    Some(p) => {
                        assert!(it.valid());
                        assert_eq!((it.key(), it.value()), (&model[p].0[..], &model[p].1[..]));
                    }
                    None => assert!(!it.valid()),
                }
            }
        }
    }
}

/// Calls `f` with every block that opens after one byte of `good` is flipped by one of a few
/// masks (low bit, high bit, all bits).
pub(in crate::sstable::block) fn each_flipped_block(good: &[u8], mut f: impl FnMut(Block)) {
    for at in 0..good.len() {
        for mask in [0x01u8, 0x80, 0xFF] {
            let mut bad = good.to_vec();
            bad[at] ^= mask;
            if let Ok(block) = Block::new(Bytes::from(bad)) {
                f(block);
            }
        }
    }
}
