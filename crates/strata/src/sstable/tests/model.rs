//! Build, open, get and iterate tables against the sorted model, for every compression.

use std::cmp::Ordering;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{model_get, random_entries};
use crate::cache::BlockCache;
use crate::iter::InternalIterator;
use crate::key::{KIND_SEEK, ValueKind, compare_internal_keys, make_internal_key, seek_key};
use crate::options::Compression;
use crate::sstable::builder::shortest_separator;
use crate::sstable::format::read_block;
use crate::sstable::test_util::{Entry, build, open, small_opts, sort_entries};
use crate::sstable::{Table, TableBuilderOptions};

fn ikey(e: &Entry) -> Vec<u8> {
    make_internal_key(&e.0, e.1, e.2 as u8)
}

fn check_table(table: &Arc<Table>, entries: &[Entry], rng: &mut StdRng) {
    let keys: Vec<Vec<u8>> = entries.iter().map(ikey).collect();
    // Properties and verify.
    let p = table.properties();
    assert_eq!(p.num_entries, entries.len() as u64);
    assert_eq!(
        p.num_deletions,
        entries.iter().filter(|e| e.2 == ValueKind::Delete).count() as u64
    );
    assert_eq!(&p.smallest_key[..], &keys[0][..]);
    assert_eq!(&p.largest_key[..], &keys[keys.len() - 1][..]);
    assert_eq!(table.verify().unwrap(), entries.len() as u64);
    // Forward and backward scans.
    let mut it = table.iter();
    it.seek_to_first().unwrap();
    for (k, e) in keys.iter().zip(entries) {
        assert_eq!(it.key(), &k[..]);
        assert_eq!(it.value(), &e.3[..]);
        assert_eq!(it.value_bytes(), &e.3[..]);
        it.next().unwrap();
    }
    assert!(!it.valid());
    it.seek_to_last().unwrap();
    for k in keys.iter().rev() {
        assert_eq!(it.key(), &k[..]);
        it.prev().unwrap();
    }
    assert!(!it.valid());
    // Gets of present keys at several seqs, and absent keys.
    for e in entries.iter().step_by(3) {
        for seq in [e.1, e.1.saturating_sub(1), e.1 + 1, u64::MAX, 0] {
            let got = table.get(&e.0, seq).unwrap().map(|(k, v)| (k, v.to_vec()));
            assert_eq!(got, model_get(entries, &e.0, seq), "get({:?}, {seq})", e.0);
        }
    }
    for i in 0..300 {
        let absent = format!("key{:06}z{i}", rng.random_range(0..entries.len())).into_bytes();
        assert_eq!(table.get(&absent, u64::MAX).unwrap(), None);
    }
    // Random seeks with next/prev steps.
    for _ in 0..300 {
        let e = &entries[rng.random_range(0..entries.len())];
        let mut user = e.0.clone();
        if rng.random_bool(0.3) {
            user.push(b'!');
        }
        let target = make_internal_key(
            &user,
            rng.random_range(0..e.1 + 3),
            if rng.random_bool(0.5) { KIND_SEEK } else { 1 },
        );
        let ge = keys.partition_point(|k| compare_internal_keys(k, &target) == Ordering::Less);
        it.seek(&target).unwrap();
        walk(&mut it, &keys, ge, rng);
        let le = keys.partition_point(|k| compare_internal_keys(k, &target) != Ordering::Greater);
        it.seek_for_prev(&target).unwrap();
        if le == 0 {
            assert!(!it.valid());
        } else {
            walk(&mut it, &keys, le - 1, rng);
        }
    }
    // Seeks beyond both ends.
    it.seek(&seek_key(b"\xff\xff\xff", u64::MAX >> 8)).unwrap();
    assert!(!it.valid());
    it.seek_for_prev(&seek_key(b"", u64::MAX >> 8)).unwrap();
    assert!(!it.valid());
}

/// From position `at` (keys.len() = invalid), takes a few random next/prev steps.
fn walk(it: &mut crate::sstable::TableIterator, keys: &[Vec<u8>], mut at: usize, rng: &mut StdRng) {
    for _ in 0..6 {
        if at >= keys.len() {
            assert!(!it.valid());
            return;
        }
        assert_eq!(it.key(), &keys[at][..]);
        if rng.random_bool(0.5) {
            it.next().unwrap();
            at += 1;
        } else {
            it.prev().unwrap();
            if at == 0 {
                assert!(!it.valid());
                return;
            }
            at -= 1;
        }
    }
}

#[test]
fn tables_match_the_model_for_every_compression() {
    let entries = random_entries(11, 3000, 120);
    for compression in [Compression::None, Compression::Lz4, Compression::Zstd] {
        for (block_size, restart_interval) in [(4096, 16), (300, 1), (1, 3)] {
            let opts = TableBuilderOptions {
                block_size,
                restart_interval,
                bloom_bits_per_key: 10,
                compression,
            };
            let (bytes, info) = build(&entries, opts.clone());
            assert_eq!(info.num_entries, entries.len() as u64);
            assert_eq!(
                info.smallest_seq,
                entries.iter().map(|e| e.1).min().unwrap()
            );
            assert_eq!(info.largest_seq, entries.iter().map(|e| e.1).max().unwrap());
            let mut rng = StdRng::seed_from_u64(block_size as u64);
            let cache = Arc::new(BlockCache::new(1 << 20));
            let table = open(bytes.clone(), Some(Arc::clone(&cache))).unwrap();
            assert_eq!(table.properties().compression, compression);
            if compression != Compression::None && block_size == 4096 {
                assert!(table.properties().data_bytes < table.properties().raw_data_bytes * 7 / 8);
            }
            check_table(&table, &entries, &mut rng);
            check_table(&open(bytes, None).unwrap(), &entries, &mut rng);
        }
    }
}

#[test]
fn blocks_respect_block_size_unless_single_entry() {
    let mut entries = random_entries(3, 400, 60);
    entries.push((b"zzz-big".to_vec(), 1, ValueKind::Put, vec![1u8; 5000]));
    let opts = TableBuilderOptions {
        block_size: 512,
        restart_interval: 4,
        bloom_bits_per_key: 0,
        compression: Compression::None,
    };
    let (bytes, _) = build(&entries, opts);
    let table = open(bytes, None).unwrap();
    assert!(
        table.may_contain(b"anything"),
        "no filter: may_contain is always true"
    );
    let mut index = table.index_iter();
    index.seek_to_first().unwrap();
    let mut blocks = 0;
    while index.valid() {
        let handle = table.index_handle(&index).unwrap();
        let block = read_block(table.file(), handle, table.layout().data_end).unwrap();
        let mut it = crate::sstable::block::BlockIter::new(
            block.clone(),
            crate::sstable::block::KeyOrder::Internal,
        );
        it.seek_to_first().unwrap();
        let mut n = 0;
        while it.valid() {
            n += 1;
            it.next().unwrap();
        }
        assert!(
            block.len() <= 512 || n == 1,
            "block of {} bytes holds {n} entries",
            block.len()
        );
        blocks += 1;
        index.next().unwrap();
    }
    assert_eq!(blocks, table.properties().num_data_blocks);
    assert!(blocks > 10);
}

#[test]
fn separators_are_short_and_between_their_neighbours() {
    let cases: &[(&[u8], &[u8], &[u8])] = &[
        (b"abcdef", b"abzz", b"abd"),
        (b"key000123", b"key000124", b"key000123"), // no shorter separator: last key
        (b"key0001239", b"key000124", b"key0001239"), // same length: last key
        (b"key00012399", b"key000124", b"key000123:"),
        (b"a\xff\xffq", b"b", b"a\xff\xffq"),
        (b"ab", b"abc", b"ab"), // prefix: last key
        (b"", b"a", b""),
    ];
    let mut out = Vec::new();
    for &(a, b, want) in cases {
        let last = make_internal_key(a, 5, 1);
        let next = make_internal_key(b, 9, 1);
        shortest_separator(&last, &next, &mut out);
        assert_eq!(crate::key::user_key(&out), want, "{a:?} {b:?}");
        assert_ne!(compare_internal_keys(&out, &last), Ordering::Less);
        assert_eq!(compare_internal_keys(&out, &next), Ordering::Less);
    }
    // Same user key across blocks: the last key itself.
    let (last, next) = (make_internal_key(b"k", 5, 1), make_internal_key(b"k", 3, 1));
    shortest_separator(&last, &next, &mut out);
    assert_eq!(out, last);
}

#[test]
fn many_versions_of_one_key_span_blocks() {
    let entries: Vec<Entry> = (1..=500u64)
        .rev()
        .map(|s| (b"hot".to_vec(), s, ValueKind::Put, s.to_le_bytes().to_vec()))
        .collect();
    let (bytes, _) = build(&entries, small_opts(Compression::Lz4));
    let table = open(bytes, None).unwrap();
    assert!(table.properties().num_data_blocks > 5);
    assert_eq!(table.properties().num_distinct_keys, 1);
    for s in 0..=501u64 {
        let want = (s >= 1).then(|| (ValueKind::Put, s.min(500).to_le_bytes().to_vec()));
        assert_eq!(
            table.get(b"hot", s).unwrap().map(|(k, v)| (k, v.to_vec())),
            want
        );
    }
    check_table(&table, &entries, &mut StdRng::seed_from_u64(5));
}

#[test]
fn empty_tables_are_refused_and_bad_keys_rejected() {
    let data = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let w = crate::sstable::test_util::MemWriter {
        data,
        synced: Arc::default(),
    };
    let mut b = crate::sstable::TableBuilder::new(
        Box::new(w),
        "e.sst".into(),
        TableBuilderOptions::default(),
    );
    assert!(matches!(
        b.add(b"short", b""),
        Err(crate::Error::InvalidArgument(_))
    ));
    assert!(matches!(
        b.add(&make_internal_key(b"k", 1, 9), b""),
        Err(crate::Error::InvalidArgument(_))
    ));
    assert_eq!(b.num_entries(), 0);
    assert!(matches!(b.finish(), Err(crate::Error::InvalidArgument(_))));
}

/// Keys that share a long prefix and agree in the 8 bytes after it in groups of 300 (ties in
/// the index's restart-key summaries, resolved by full comparisons), and keys absent below,
/// between and above them: gets and seeks still match the model.
#[test]
fn index_summaries_with_long_shared_prefixes_and_ties() {
    let mut rng = StdRng::seed_from_u64(23);
    let mut entries = Vec::new();
    let mut seq = 1;
    for i in 0..1500u32 {
        let key = format!("tenant/{:02}/same-bytes/{i:05}", i / 300).into_bytes();
        for _ in 0..rng.random_range(1..=3) {
            seq += 1;
            entries.push((key.clone(), seq, ValueKind::Put, vec![b'v'; 20]));
        }
    }
    sort_entries(&mut entries);
    for (block_size, restart_interval) in [(1, 1), (200, 2), (4096, 16)] {
        let opts = TableBuilderOptions {
            block_size,
            restart_interval,
            bloom_bits_per_key: 0,
            compression: Compression::None,
        };
        let (bytes, _) = build(&entries, opts);
        let table = open(bytes, None).unwrap();
        check_table(&table, &entries, &mut rng);
        for probe in [
            &b"tenant/"[..],
            b"tenant/0",
            b"tenant/02/same-bytes/",
            b"tenant/02/same-bytes/00700x",
            b"tenant/02/same-bytes/99999",
            b"tenant/04/same-bytes/01499\0",
            b"tenant/05",
            b"tenant0",
            b"a",
            b"",
        ] {
            for seq in [0, 5, u64::MAX] {
                let got = table.get(probe, seq).unwrap().map(|(k, v)| (k, v.to_vec()));
                assert_eq!(
                    got,
                    model_get(&entries, probe, seq),
                    "get({probe:?}, {seq})"
                );
            }
        }
    }
}

/// User keys over 0x00, 0x01, 0x02 and `a` with seqs near multiples of 256: a key that extends
/// the previous one with that key's trailer bytes (kind, low seq bytes) shares part of its own
/// trailer with it, which `Table::get` answers with a cursor instead of in place. Every get
/// (present keys at several seqs, absent keys) matches the model.
#[test]
fn gets_of_keys_continuing_the_previous_keys_trailer_match_the_model() {
    let mut rng = StdRng::seed_from_u64(31);
    for round in 0..20 {
        let mut entries: Vec<Entry> = Vec::new();
        for _ in 0..300 {
            let len = rng.random_range(0..4);
            let key: Vec<u8> = (0..len)
                .map(|_| [0u8, 1, 2, b'a'][rng.random_range(0..4)])
                .collect();
            let seq = 256 * rng.random_range(0..4u64) + rng.random_range(0..3);
            let kind = if rng.random_bool(0.3) {
                ValueKind::Delete
            } else {
                ValueKind::Put
            };
            let value = match kind {
                ValueKind::Put => vec![rng.random(); rng.random_range(0..8)],
                ValueKind::Delete => Vec::new(),
            };
            entries.push((key, seq, kind, value));
        }
        sort_entries(&mut entries);
        entries.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        let mut opts = small_opts(Compression::None);
        opts.restart_interval = 1 + round % 8;
        let (bytes, _) = build(&entries, opts);
        let table = open(bytes, Some(Arc::new(BlockCache::new(1 << 20)))).unwrap();
        let mut probes: Vec<Vec<u8>> = entries.iter().map(|e| e.0.clone()).collect();
        probes.extend([vec![0, 0, 0, 0], vec![b'a'; 5], vec![3]]);
        for probe in &probes {
            for seq in [0, 1, 2, 255, 256, 257, 511, 512, 770, u64::MAX >> 8] {
                let got = table
                    .get(probe, seq)
                    .unwrap()
                    .map(|(kind, v)| (kind, v.to_vec()));
                assert_eq!(got, model_get(&entries, probe, seq), "{probe:?} at {seq}");
            }
        }
    }
}
