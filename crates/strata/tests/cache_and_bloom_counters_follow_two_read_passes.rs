//! `Db::stats()`'s read counters against a model of the reads: 4,000 keys written round-robin
//! into four flushed L0 tables (each spanning almost the whole key range), the database
//! reopened (empty caches, counters from zero), every key read twice and 1,000 absent keys once.
//! The first pass misses the block cache and reads each data block from disk at most once; the
//! second is served by the cache alone; the tables probed per get equal the count the model
//! derives from the tables' key ranges; the filters skip nearly every probe of a table that
//! lacks the key, and nearly every probe of an absent key.

use std::collections::BTreeMap;
use std::error::Error;

use strata::{CompactionOptions, Db, Options, Stats, tools};

const N: usize = 4_000;
const TABLES: usize = 4;
const MISSING: usize = 1_000;

fn key(i: usize) -> String {
    format!("key{i:06}")
}

fn options() -> Options {
    Options {
        compaction: CompactionOptions::None,
        block_size: 1024,
        bloom_bits_per_key: 10,
        block_cache_size: 16 << 20,
        ..Options::default()
    }
}

/// Which table (0 = oldest) holds key `i`.
fn table_of(i: usize) -> usize {
    i % TABLES
}

/// The user-key range `[smallest, largest]` of table `t`.
fn range_of(t: usize) -> (String, String) {
    let last = (0..N).rev().find(|&i| table_of(i) == t).unwrap_or(t);
    (key(t), key(last))
}

/// Tables a get of `k` probes: L0 newest first, skipping tables whose range misses `k`,
/// stopping at `holder` (the table with the key) or after the oldest.
fn expected_probes(k: &str, holder: Option<usize>) -> u64 {
    let stop = holder.unwrap_or(0);
    (stop..TABLES)
        .rev()
        .filter(|&t| {
            let (lo, hi) = range_of(t);
            lo.as_str() <= k && k <= hi.as_str()
        })
        .count() as u64
}

/// Counters moved between two snapshots.
struct Delta {
    gets: u64,
    probes: u64,
    bloom_checks: u64,
    bloom_negatives: u64,
    blocks_read: u64,
    hits: u64,
    misses: u64,
    table_misses: u64,
}

fn delta(a: &Stats, b: &Stats) -> Delta {
    Delta {
        gets: b.gets - a.gets,
        probes: b.get_tables_probed - a.get_tables_probed,
        bloom_checks: b.bloom_checks - a.bloom_checks,
        bloom_negatives: b.bloom_negatives - a.bloom_negatives,
        blocks_read: b.get_blocks_read - a.get_blocks_read,
        hits: b.block_cache_hits - a.block_cache_hits,
        misses: b.block_cache_misses - a.block_cache_misses,
        table_misses: b.table_cache_misses - a.table_cache_misses,
    }
}

/// Reads every model key, checking each value; returns the model's probe count.
fn read_all(db: &Db, model: &BTreeMap<String, Vec<u8>>) -> strata::Result<u64> {
    let mut probes = 0;
    for (i, (k, v)) in model.iter().enumerate() {
        let got = db.get(k)?;
        assert_eq!(got.as_deref(), Some(v.as_slice()), "get {k}");
        probes += expected_probes(k, Some(table_of(i)));
    }
    Ok(probes)
}

#[test]
fn cache_and_bloom_counters_follow_two_read_passes() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let mut model = BTreeMap::new();
    {
        let db = Db::open(dir.path(), options())?;
        for t in 0..TABLES {
            for i in (t..N).step_by(TABLES) {
                let value = format!("value-{i}-{}", "x".repeat(80)).into_bytes();
                db.put(key(i), &value)?;
                model.insert(key(i), value);
            }
            db.flush()?;
        }
        db.close()?;
    }
    let mut data_blocks = 0;
    for entry in std::fs::read_dir(dir.path())? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "sst") {
            data_blocks += tools::open_table(&path)?.props.num_data_blocks;
        }
    }

    let db = Db::open(dir.path(), options())?;
    let start = db.stats();
    assert_eq!(start.levels[0].files, TABLES, "four L0 tables");
    assert_eq!((start.gets, start.block_cache_hits), (0, 0));

    let expected = read_all(&db, &model)?;
    let first_stats = db.stats();
    let first = delta(&start, &first_stats);
    assert_eq!(first.gets, N as u64);
    assert_eq!(first.probes, expected);
    assert_eq!(first.bloom_checks, first.probes, "every table has a filter");
    // Probes of tables without the key: the filter says no to nearly all (10 bits/key:
    // about 1% false positives), and never to the table holding the key.
    let foreign = expected - N as u64;
    assert!(
        foreign > N as u64,
        "the model has probes to skip: {foreign}"
    );
    assert!(first.bloom_negatives <= foreign);
    assert!(
        first.bloom_negatives * 100 >= foreign * 95,
        "{} of {foreign}",
        first.bloom_negatives
    );
    // A cold cache: gets are the only readers, so every miss is a block read from disk, and
    // each block is read at most once (the cache holds them all).
    assert!(first.misses > 0);
    assert_eq!(first.misses, first.blocks_read);
    assert!(
        first.blocks_read <= data_blocks,
        "{} > {data_blocks}",
        first.blocks_read
    );
    assert!(first_stats.blocks_read_per_get() <= 1.0);
    assert!(first.table_misses <= TABLES as u64);
    assert!(first_stats.block_cache_bytes_inserted > 0);

    let expected = read_all(&db, &model)?;
    let second_stats = db.stats();
    let second = delta(&first_stats, &second_stats);
    assert_eq!(second.gets, N as u64);
    assert_eq!(second.probes, expected);
    assert_eq!(
        (second.misses, second.blocks_read, second.table_misses),
        (0, 0, 0)
    );
    // One lookup per get that passed its filters: the key's own block, plus false positives.
    assert!(second.hits >= N as u64);
    assert_eq!(second.hits, first.hits + first.misses);
    assert!(second_stats.block_cache_hits > first_stats.block_cache_hits);
    assert!(second_stats.block_cache_hit_rate().unwrap_or(0.0) >= 0.5);

    // Absent keys between two present ones fall inside every table's range.
    let mut expected = 0;
    for j in 0..MISSING {
        let absent = format!("{}m", key(TABLES + j * (N - 2 * TABLES) / MISSING));
        assert_eq!(db.get(&absent)?, None, "get {absent}");
        assert!(!model.contains_key(&absent));
        expected += expected_probes(&absent, None);
    }
    let third = delta(&second_stats, &db.stats());
    assert_eq!(third.gets, MISSING as u64);
    assert_eq!(third.probes, expected);
    assert_eq!(expected, (MISSING * TABLES) as u64);
    assert!(third.bloom_negatives > 0);
    assert!(
        third.bloom_negatives * 100 >= expected * 95,
        "{} of {expected}",
        third.bloom_negatives
    );
    // Only false positives touch a block.
    assert!(third.hits + third.misses <= expected - third.bloom_negatives);
    db.close()?;
    Ok(())
}
