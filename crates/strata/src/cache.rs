//! The block cache and the table cache.
//!
//! - [`BlockCache`]: verified, decompressed data blocks keyed by (file number, block offset),
//!   weighted by their bytes, sharded (`quick_cache::sync::Cache`, CLOCK-Pro eviction).
//!   Concurrent misses on one block wait for a single read. Compaction reads bypass inserts
//!   (see `Table::iter_no_cache`). An evicted block is kept as the evicting thread's spare
//!   read buffer (`sstable/spare.rs`).
//! - [`TableCache`]: up to `max_open_files` open [`Table`]s (file handle, index, filter,
//!   properties), keyed by file number; concurrent misses on one table open it once.
//!
//! Both are `Send + Sync` and shared by every reader thread. File numbers are never reused,
//! so an entry can never describe a different file; entries of deleted tables age out (the
//! table cache's is dropped by [`TableCache::evict`]).
//!
//! Counters (for `Db::stats`): relaxed atomics, one `fetch_add` per event outside the caches'
//! shard locks: block cache hits, misses and bytes inserted; table cache hits and misses
//! (= table opens). A caller that waited for another thread's load of the same entry counts a
//! hit. Lookups that do not fill the cache (compaction reads) are not counted.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quick_cache::sync::{Cache, GuardResult};
use quick_cache::{DefaultHashBuilder, Lifecycle, Weighter};

use crate::error::Result;
use crate::filename::table_path;
use crate::fs::FileSystem;
use crate::sstable::spare;
use crate::sstable::{Block, Table};

/// Bytes charged per cached block on top of its payload (key, `Bytes` header, bookkeeping).
const BLOCK_OVERHEAD: u64 = 96;

/// Typical block size, used to estimate how many entries the cache will hold.
const TYPICAL_BLOCK: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct BlockWeighter;

/// Keeps (up to two of) the blocks an insert evicts, so they are dropped after the shard lock
/// is released and the first one's buffer can become this thread's spare read buffer.
#[derive(Debug, Clone, Copy, Default)]
struct ReclaimEvicted;

impl Lifecycle<(u64, u64), Block> for ReclaimEvicted {
    type RequestState = [Option<Block>; 2];

    fn begin_request(&self) -> Self::RequestState {
        [None, None]
    }

    fn on_evict(&self, state: &mut Self::RequestState, _key: (u64, u64), block: Block) {
        if let Some(slot) = state.iter_mut().find(|s| s.is_none()) {
            *slot = Some(block);
        }
    }
}

impl Weighter<(u64, u64), Block> for BlockWeighter {
    fn weight(&self, _key: &(u64, u64), block: &Block) -> u64 {
        block.len() as u64 + BLOCK_OVERHEAD
    }
}

/// A byte-weighted cache of decompressed, verified data blocks.
pub struct BlockCache {
    cache: Cache<(u64, u64), Block, BlockWeighter, DefaultHashBuilder, ReclaimEvicted>,
    capacity: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    bytes_inserted: AtomicU64,
}

impl std::fmt::Debug for BlockCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockCache")
            .field("capacity", &self.capacity)
            .field("usage", &self.usage())
            .finish_non_exhaustive()
    }
}

impl BlockCache {
    /// A cache holding up to `capacity_bytes` of blocks (payload + a small per-block charge).
    pub fn new(capacity_bytes: usize) -> BlockCache {
        let items = (capacity_bytes / TYPICAL_BLOCK).max(1);
        BlockCache {
            cache: Cache::with(
                items,
                capacity_bytes as u64,
                BlockWeighter,
                DefaultHashBuilder::default(),
                ReclaimEvicted,
            ),
            capacity: capacity_bytes as u64,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            bytes_inserted: AtomicU64::new(0),
        }
    }

    /// The block at (`file`, `offset`) if cached, without counting a hit or a miss (reads
    /// that do not fill the cache, i.e. compaction's).
    pub(crate) fn probe(&self, file: u64, offset: u64) -> Option<Block> {
        self.cache.get(&(file, offset))
    }

    /// The cached block, or the result of `load` (inserted on success). Concurrent callers
    /// for the same block wait for one `load`.
    pub(crate) fn get_or_insert_with(
        &self,
        file: u64,
        offset: u64,
        load: impl FnOnce() -> Result<Block>,
    ) -> Result<Block> {
        match self.cache.get_value_or_guard(&(file, offset), None) {
            GuardResult::Value(block) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Ok(block)
            }
            GuardResult::Guard(guard) => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                let block = load()?;
                if let Ok([first, _]) = guard.insert_with_lifecycle(block.clone()) {
                    self.bytes_inserted
                        .fetch_add(block.len() as u64, Ordering::Relaxed);
                    // The first evicted block may serve this thread's next read as its buffer
                    // (see `sstable::spare`); the rest drop here, outside the shard lock.
                    if let Some(evicted) = first {
                        spare::give(evicted.into_data());
                    }
                }
                Ok(block)
            }
            // Only returned with a timeout, which is never given; load without caching.
            GuardResult::Timeout => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                load()
            }
        }
    }

    /// Bytes currently charged.
    pub fn usage(&self) -> u64 {
        self.cache.weight()
    }

    /// The capacity in bytes.
    #[cfg_attr(not(test), allow(dead_code))] // used by the cache tests
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Blocks currently cached.
    #[cfg_attr(not(test), allow(dead_code))] // used by the cache tests
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Whether no block is cached.
    #[cfg_attr(not(test), allow(dead_code))] // used by the cache tests
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }

    /// Lookups that had to read the block.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// Lookups served from the cache (or by another reader's concurrent load).
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Payload bytes of the blocks inserted so far (evicted ones included).
    pub fn bytes_inserted(&self) -> u64 {
        self.bytes_inserted.load(Ordering::Relaxed)
    }
}

/// A bounded cache of open tables.
pub struct TableCache {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    tables: Cache<u64, Arc<Table>>,
    block_cache: Option<Arc<BlockCache>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for TableCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableCache")
            .field("dir", &self.dir)
            .field("open", &self.tables.len())
            .finish_non_exhaustive()
    }
}

impl TableCache {
    /// A cache keeping at most `max_open_files` tables of `dir` open.
    pub fn new(
        fs: Arc<dyn FileSystem>,
        dir: PathBuf,
        max_open_files: usize,
        block_cache: Option<Arc<BlockCache>>,
    ) -> TableCache {
        TableCache {
            fs,
            dir,
            tables: Cache::new(max_open_files.max(1)),
            block_cache,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The open table `number`, opening `dir/NNNNNN.sst` on a miss (once for concurrent
    /// misses).
    ///
    /// # Errors
    /// Whatever [`Table::open`] or opening the file returns; nothing is cached then.
    pub fn get(&self, number: u64) -> Result<Arc<Table>> {
        let open = || -> Result<Arc<Table>> {
            let path = table_path(&self.dir, number);
            let file = self.fs.open_read(&path)?;
            Ok(Arc::new(Table::open(
                number,
                file,
                self.block_cache.clone(),
            )?))
        };
        match self.tables.get_value_or_guard(&number, None) {
            GuardResult::Value(table) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Ok(table)
            }
            GuardResult::Guard(guard) => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                let table = open()?;
                let _ = guard.insert(Arc::clone(&table));
                Ok(table)
            }
            // Only returned with a timeout, which is never given; open without caching.
            GuardResult::Timeout => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                open()
            }
        }
    }

    /// Lookups served by an open table.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Lookups that opened the table (or tried to).
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// Drops table `number` (its file is about to be deleted); readers holding it keep it.
    pub fn evict(&self, number: u64) {
        self.tables.remove(&number);
    }

    /// The block cache tables read through.
    pub fn block_cache(&self) -> Option<&Arc<BlockCache>> {
        self.block_cache.as_ref()
    }

    /// Tables currently open in the cache.
    #[cfg_attr(not(test), allow(dead_code))] // used by the cache tests
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Whether no table is open in the cache.
    #[allow(dead_code)] // the pair of `len` (clippy::len_without_is_empty)
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}
