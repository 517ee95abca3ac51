//! Block cache hits, cache bypass, single reads under concurrent misses, table cache eviction.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::random_entries;
use crate::cache::{BlockCache, TableCache};
use crate::error::Result;
use crate::filename::table_path;
use crate::fs::{FileSystem, RandomAccessFile, RealFs};
use crate::iter::InternalIterator;
use crate::key::make_internal_key;
use crate::options::Compression;
use crate::sstable::test_util::{MemReader, build, small_opts};
use crate::sstable::{Table, TableBuilder};

/// Counts reads below `data_end` (data blocks).
struct Counting {
    inner: MemReader,
    data_end: u64,
    reads: AtomicU64,
}

impl RandomAccessFile for Counting {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        if offset < self.data_end {
            self.reads.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(5)); // widen the race
        }
        self.inner.read_exact_at(buf, offset)
    }
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn path(&self) -> &Path {
        self.inner.path()
    }
}

fn counting_table(
    cache: Option<Arc<BlockCache>>,
) -> (
    Arc<Table>,
    Arc<Counting>,
    Vec<crate::sstable::test_util::Entry>,
) {
    let entries = random_entries(5, 300, 50);
    let (bytes, _) = build(&entries, small_opts(Compression::Lz4));
    let probe = crate::sstable::test_util::open(bytes.clone(), None).unwrap();
    let file = Arc::new(Counting {
        inner: MemReader {
            data: bytes,
            path: PathBuf::from("c.sst"),
        },
        data_end: probe.layout().data_end,
        reads: AtomicU64::new(0),
    });
    let table = Arc::new(Table::open(3, file.clone(), cache).unwrap());
    (table, file, entries)
}

#[test]
fn block_cache_serves_repeat_reads_and_compaction_reads_bypass_it() {
    let cache = Arc::new(BlockCache::new(1 << 20));
    let (table, file, entries) = counting_table(Some(Arc::clone(&cache)));
    let key = &entries[100].0;
    table.get(key, u64::MAX).unwrap();
    assert_eq!(
        (
            cache.misses(),
            cache.hits(),
            file.reads.load(Ordering::SeqCst)
        ),
        (1, 0, 1)
    );
    table.get(key, u64::MAX).unwrap();
    assert_eq!(
        (
            cache.misses(),
            cache.hits(),
            file.reads.load(Ordering::SeqCst)
        ),
        (1, 1, 1)
    );
    assert_eq!(cache.len(), 1);
    assert!(cache.usage() > 0 && cache.usage() <= cache.capacity());

    let mut it = table.iter_no_cache();
    it.seek_to_first().unwrap();
    let mut n = 0;
    while it.valid() {
        n += 1;
        it.next().unwrap();
    }
    assert_eq!(n, entries.len());
    assert_eq!(cache.len(), 1, "iter_no_cache inserted blocks");
    let blocks = table.properties().num_data_blocks as usize;
    let mut it = table.iter();
    it.seek_to_first().unwrap();
    while it.valid() {
        it.next().unwrap();
    }
    assert_eq!(cache.len(), blocks);
}

#[test]
fn concurrent_misses_on_one_block_read_it_once() {
    let cache = Arc::new(BlockCache::new(1 << 20));
    let (table, file, entries) = counting_table(Some(cache));
    let key = entries[150].0.clone();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| table.get(&key, u64::MAX).unwrap());
        }
    });
    assert_eq!(file.reads.load(Ordering::SeqCst), 1);
}

#[test]
fn block_cache_stays_within_capacity() {
    let cache = Arc::new(BlockCache::new(8 << 10));
    let (table, _, _) = counting_table(Some(Arc::clone(&cache)));
    let mut it = table.iter();
    it.seek_to_first().unwrap();
    while it.valid() {
        it.next().unwrap();
    }
    assert!(
        cache.usage() <= cache.capacity(),
        "{} > {}",
        cache.usage(),
        cache.capacity()
    );
    assert!(!cache.is_empty());
}

#[test]
fn table_cache_opens_once_evicts_and_bounds_open_tables() {
    let dir = tempfile::tempdir().unwrap();
    let fs: Arc<dyn FileSystem> = Arc::new(RealFs);
    for number in 1..=6u64 {
        let path = table_path(dir.path(), number);
        let mut b = TableBuilder::new(
            fs.create(&path).unwrap(),
            path.clone(),
            small_opts(Compression::None),
        );
        for i in 0..50u64 {
            b.add(
                &make_internal_key(format!("k{i:03}").as_bytes(), number * 100 + i, 1),
                b"v",
            )
            .unwrap();
        }
        b.finish().unwrap();
    }
    let block_cache = Arc::new(BlockCache::new(1 << 20));
    let tc = TableCache::new(
        Arc::clone(&fs),
        dir.path().to_path_buf(),
        3,
        Some(block_cache),
    );
    assert!(tc.block_cache().is_some());
    let t1 = tc.get(1).unwrap();
    assert!(
        Arc::ptr_eq(&t1, &tc.get(1).unwrap()),
        "a hit returns the same table"
    );
    assert_eq!(t1.number(), 1);
    let (_, v) = t1.get(b"k007", u64::MAX).unwrap().unwrap();
    assert_eq!(&v[..], b"v");
    for n in 1..=6 {
        tc.get(n).unwrap();
        assert!(tc.len() <= 3);
    }
    // Evicted tables are reopened from disk; a deleted file then fails.
    tc.get(2).unwrap();
    tc.evict(2);
    fs.remove(&table_path(dir.path(), 2)).unwrap();
    assert!(tc.get(2).is_err());
    // A table held by a reader outlives its eviction.
    let t5 = tc.get(5).unwrap();
    tc.evict(5);
    assert_eq!(t5.verify().unwrap(), 50);
    assert!(tc.get(99).is_err());
}
