//! Memtable tests: point reads and cursors against a sorted model, concurrency, and an
//! ignored throughput measurement.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::iter::InternalIterator;
use crate::iter::testing::{
    check_random_walk, collect_both_ways, encode_records, random_records, random_user_key,
    sort_entries, version_map,
};
use crate::key::{make_internal_key, seq_of, user_key};

fn kind_of(put: bool) -> ValueKind {
    if put {
        ValueKind::Put
    } else {
        ValueKind::Delete
    }
}

#[test]
fn get_returns_newest_version_at_or_below_seq() {
    let mem = MemTable::new(7);
    assert_eq!(mem.id(), 7);
    assert!(mem.is_empty());
    assert_eq!(mem.first_seq(), None);
    mem.add(3, ValueKind::Put, b"k", b"three").unwrap();
    mem.add(5, ValueKind::Delete, b"k", b"").unwrap();
    mem.add(8, ValueKind::Put, b"k", b"").unwrap();
    mem.add(4, ValueKind::Put, b"", b"empty key").unwrap();
    mem.add(6, ValueKind::Put, b"k\0", b"longer").unwrap();
    assert_eq!(mem.get(b"k", 2), None);
    assert_eq!(
        mem.get(b"k", 3),
        Some((ValueKind::Put, Bytes::from_static(b"three")))
    );
    assert_eq!(
        mem.get(b"k", 4),
        Some((ValueKind::Put, Bytes::from_static(b"three")))
    );
    assert_eq!(mem.get(b"k", 5), Some((ValueKind::Delete, Bytes::new())));
    assert_eq!(mem.get(b"k", 7), Some((ValueKind::Delete, Bytes::new())));
    // An empty value is a real value.
    assert_eq!(mem.get(b"k", 8), Some((ValueKind::Put, Bytes::new())));
    assert_eq!(
        mem.get(b"k", u64::MAX),
        Some((ValueKind::Put, Bytes::new()))
    );
    assert_eq!(
        mem.get(b"", 9),
        Some((ValueKind::Put, Bytes::from_static(b"empty key")))
    );
    assert_eq!(mem.get(b"", 3), None);
    assert_eq!(mem.get(b"j", 9), None);
    assert_eq!(mem.get(b"k\0", 5), None);
    assert_eq!(mem.get(b"l", 9), None);
    assert_eq!(mem.len(), 5);
    assert_eq!((mem.first_seq(), mem.max_seq()), (Some(3), 8));
    // Each record: a node of meta + trailer + key words + 1..=12 links + value address, and
    // its value's words in the value arena; both are charged.
    let words = |height: usize| -> usize {
        [(1usize, 5usize), (1, 0), (1, 0), (0, 9), (2, 6)]
            .iter()
            .map(|(k, v)| 2 + k.div_ceil(8) + height + 1 + v.div_ceil(8))
            .sum()
    };
    let size = mem.approximate_size();
    assert!(
        (words(1) * 8..=words(12) * 8).contains(&size),
        "{size} bytes"
    );
}

#[test]
fn values_of_any_size_across_chunks_read_back_and_are_charged() {
    // Values from empty to past the first 64 KiB chunk, enough of them to fill several chunks
    // of the value arena while the node arena stays in its first: every value must read back
    // through its node, by `get` and by a cursor, and both arenas must be charged.
    let mut rng = StdRng::seed_from_u64(23);
    let mem = Arc::new(MemTable::new(1));
    let mut model = std::collections::BTreeMap::new();
    let mut value_bytes = 0usize;
    for seq in 1..=300u64 {
        let len = match rng.random_range(0..10) {
            0 => 0,
            1 => rng.random_range(60_000..200_000),
            // Around the first word, which holds the length and the first 4 bytes.
            2..=4 => rng.random_range(1..=17),
            _ => rng.random_range(1..3000),
        };
        let value: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let key = format!("k{:04}", rng.random_range(0..10_000)).into_bytes();
        mem.add(seq, ValueKind::Put, &key, &value).unwrap();
        value_bytes += len;
        model.insert((key, std::cmp::Reverse(seq)), value);
    }
    for ((key, std::cmp::Reverse(seq)), value) in &model {
        // At its own seq, a version is the newest visible one.
        let got = mem.get(key, *seq).unwrap();
        assert_eq!((got.0, &got.1[..]), (ValueKind::Put, &value[..]));
    }
    let mut it = mem.iter();
    it.seek_to_first().unwrap();
    for ((key, std::cmp::Reverse(seq)), value) in &model {
        assert!(it.valid());
        assert_eq!((user_key(it.key()), seq_of(it.key())), (&key[..], *seq));
        assert_eq!(it.value(), &value[..]);
        it.next().unwrap();
    }
    assert!(!it.valid());
    // At least a 4-word node (meta, trailer, key, one link) and the value's length word.
    assert!(mem.approximate_size() >= value_bytes + 300 * 4 * 8);
}

#[test]
fn get_matches_model_at_random_seqs() {
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..20 {
        let records = random_records(&mut rng, 400);
        let mem = MemTable::new(1);
        for (k, seq, put, v) in &records {
            mem.add(*seq, kind_of(*put), k, v).unwrap();
        }
        let model = version_map(&records);
        for _ in 0..400 {
            let key = random_user_key(&mut rng);
            let seq = rng.random_range(0..=records.len() as u64 + 1);
            let expected = model.get(&key).and_then(|versions| {
                versions
                    .range(..=seq)
                    .next_back()
                    .map(|(_, (put, v))| (kind_of(*put), Bytes::from(v.clone())))
            });
            assert_eq!(mem.get(&key, seq), expected, "key {key:?} seq {seq}");
        }
    }
}

#[test]
fn cursor_matches_sorted_model() {
    let mut rng = StdRng::seed_from_u64(2);
    for n in [0, 1, 2, 7, 9, 17, 300, 2000] {
        let records = random_records(&mut rng, n);
        let mem = Arc::new(MemTable::new(1));
        for (k, seq, put, v) in &records {
            mem.add(*seq, kind_of(*put), k, v).unwrap();
        }
        let mut model = encode_records(&records);
        sort_entries(&mut model);
        let mut it = mem.iter();
        assert!(!it.valid(), "a new cursor is unpositioned");
        assert_eq!(collect_both_ways(&mut it).unwrap(), model);
        check_random_walk(&mut it, &model, &mut rng, 3000);
    }
}

#[test]
fn cursor_keeps_memtable_alive() {
    let mem = Arc::new(MemTable::new(1));
    mem.add(1, ValueKind::Put, b"a", b"1").unwrap();
    let mut it = mem.iter();
    drop(mem);
    it.seek_to_first().unwrap();
    assert_eq!(it.key(), &make_internal_key(b"a", 1, 1)[..]);
    assert_eq!(it.value_bytes(), Bytes::from_static(b"1"));
}

#[test]
fn concurrent_writers_and_readers() {
    const WRITERS: u64 = 4;
    const PER_WRITER: u64 = 5_000;
    let mem = Arc::new(MemTable::new(1));
    let done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let mem = Arc::clone(&mem);
            std::thread::spawn(move || {
                for i in 0..PER_WRITER {
                    // Seqs are distinct across writers; keys collide across writers.
                    let seq = i * WRITERS + w + 1;
                    let key = format!("key{:05}", i % 1000);
                    mem.add(seq, ValueKind::Put, key.as_bytes(), &seq.to_le_bytes())
                        .unwrap();
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let mem = Arc::clone(&mem);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut rng = StdRng::seed_from_u64(r);
                while !done.load(Ordering::Relaxed) {
                    let key = format!("key{:05}", rng.random_range(0..1000));
                    let seq = rng.random_range(0..WRITERS * PER_WRITER);
                    if let Some((kind, value)) = mem.get(key.as_bytes(), seq) {
                        assert_eq!(kind, ValueKind::Put);
                        let found = u64::from_le_bytes(value[..].try_into().unwrap());
                        assert!(found <= seq);
                    }
                    // A scan sees strictly increasing keys whatever the writers do.
                    let mut it = mem.iter();
                    if r == 0 {
                        it.seek_to_first()
                    } else {
                        it.seek_to_last()
                    }
                    .unwrap();
                    let mut last: Option<Vec<u8>> = None;
                    let mut steps = 0;
                    while it.valid() && steps < 500 {
                        let key = it.key().to_vec();
                        assert_eq!(it.value(), &seq_of(&key).to_le_bytes()[..]);
                        if let Some(last) = &last {
                            let order = crate::key::compare_internal_keys(last, &key);
                            let expected = if r == 0 {
                                std::cmp::Ordering::Less
                            } else {
                                std::cmp::Ordering::Greater
                            };
                            assert_eq!(order, expected);
                        }
                        last = Some(key);
                        if r == 0 { it.next() } else { it.prev() }.unwrap();
                        steps += 1;
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(mem.len() as u64, WRITERS * PER_WRITER);
    assert_eq!(mem.max_seq(), WRITERS * PER_WRITER);
    assert_eq!(mem.first_seq(), Some(1));
    let all = collect_both_ways(&mut mem.iter()).unwrap();
    assert_eq!(all.len() as u64, WRITERS * PER_WRITER);
    for i in 0..1000u64 {
        let key = format!("key{i:05}");
        let (_, value) = mem.get(key.as_bytes(), u64::MAX).unwrap();
        let newest = all
            .iter()
            .filter(|(k, _)| user_key(k) == key.as_bytes())
            .map(|(k, _)| seq_of(k))
            .max()
            .unwrap();
        assert_eq!(u64::from_le_bytes(value[..].try_into().unwrap()), newest);
    }
}

/// Throughput of `add`, `get` and a full scan on one thread:
/// `cargo test --release -p strata --lib memtable::tests::throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    const N: u64 = 1_000_000;
    let mut rng = StdRng::seed_from_u64(3);
    let keys: Vec<Vec<u8>> = (0..N)
        .map(|_| format!("user{:016}", rng.random::<u64>()).into_bytes())
        .collect();
    let value = vec![b'x'; 100];
    let mem = Arc::new(MemTable::new(1));
    let start = std::time::Instant::now();
    for (i, k) in keys.iter().enumerate() {
        mem.add(i as u64 + 1, ValueKind::Put, k, &value).unwrap();
    }
    let add = start.elapsed();
    let start = std::time::Instant::now();
    let mut found = 0;
    for k in keys.iter().rev() {
        found += usize::from(mem.get(k, N).is_some());
    }
    let get = start.elapsed();
    assert_eq!(found as u64, N);
    let start = std::time::Instant::now();
    let mut it = mem.iter();
    it.seek_to_first().unwrap();
    let mut scanned = 0u64;
    while it.valid() {
        scanned += 1;
        it.next().unwrap();
    }
    let scan = start.elapsed();
    assert_eq!(scanned, N);
    let rate = |d: std::time::Duration| N as f64 / d.as_secs_f64();
    println!(
        "memtable of {N}: add {:.0}/s, get {:.0}/s, scan {:.0}/s, size {} MiB",
        rate(add),
        rate(get),
        rate(scan),
        mem.approximate_size() >> 20
    );
}
