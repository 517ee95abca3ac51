//! Throughput of `Table::get` on a 1M-entry table with a warm block cache.
//! Run: `cargo test -p strata --release --lib sstable::tests::perf -- --ignored --nocapture`.

use std::sync::Arc;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::cache::BlockCache;
use crate::fs::{FileSystem, RealFs};
use crate::iter::InternalIterator;
use crate::key::make_internal_key;
use crate::sstable::{Table, TableBuilder, TableBuilderOptions};

#[test]
#[ignore = "micro-benchmark; run with --release --ignored --nocapture"]
fn get_throughput_one_million_entries_warm_cache() {
    let n = 1_000_000u64;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("000001.sst");
    let fs = RealFs;
    let start = Instant::now();
    let mut b = TableBuilder::new(
        fs.create(&path).unwrap(),
        path.clone(),
        TableBuilderOptions::default(),
    );
    let value = [b'v'; 100];
    for i in 0..n {
        b.add(
            &make_internal_key(format!("user{i:012}").as_bytes(), i + 1, 1),
            &value,
        )
        .unwrap();
    }
    let info = b.finish().unwrap();
    let built = start.elapsed();
    let cache = Arc::new(BlockCache::new(512 << 20));
    let table =
        Arc::new(Table::open(1, fs.open_read(&path).unwrap(), Some(Arc::clone(&cache))).unwrap());
    // Warm the cache with a full scan.
    let start = Instant::now();
    let mut it = table.iter();
    it.seek_to_first().unwrap();
    let mut scanned = 0u64;
    while it.valid() {
        scanned += 1;
        it.next().unwrap();
    }
    let scan = start.elapsed();
    assert_eq!(scanned, n);
    let mut rng = StdRng::seed_from_u64(1);
    let keys: Vec<Vec<u8>> = (0..1_000_000)
        .map(|_| format!("user{:012}", rng.random_range(0..n)).into_bytes())
        .collect();
    let start = Instant::now();
    let mut found = 0u64;
    for k in &keys {
        found += u64::from(table.get(k, u64::MAX >> 8).unwrap().is_some());
    }
    let gets = start.elapsed();
    assert_eq!(found, keys.len() as u64);
    let absent: Vec<Vec<u8>> = (0..1_000_000)
        .map(|i| format!("user{i:012}x").into_bytes())
        .collect();
    let start = Instant::now();
    for k in &absent {
        assert!(table.get(k, u64::MAX >> 8).unwrap().is_none());
    }
    let misses = start.elapsed();
    println!(
        "1M entries, {} bytes, {} blocks; build {:?}; scan {:.2} M entries/s; get (hit, warm) {:.0} k/s; get (absent) {:.0} k/s; cache {} MiB",
        info.size,
        table.properties().num_data_blocks,
        built,
        n as f64 / scan.as_secs_f64() / 1e6,
        keys.len() as f64 / gets.as_secs_f64() / 1e3,
        absent.len() as f64 / misses.as_secs_f64() / 1e3,
        cache.usage() >> 20,
    );
}
