//! The block cache and the table cache.
//!
//! - [`BlockCache`]: verified, decompressed data blocks keyed by (file number, block offset),
//!   weighted by their bytes, sharded (`quick_cache::sync::Cache`, CLOCK-Pro eviction).
//!   Concurrent misses on one block wait for a single read. Compaction reads bypass inserts
//!   (see `Table::iter_no_cache`).
//! - [`TableCache`]: up to `max_open_files` open [`Table`]s (file handle, index, filter,
//!   properties), keyed by file number; concurrent misses on one table open it once.
//!
//! Both are `Send + Sync` and shared by every reader thread. File numbers are never reused,
//! so an entry can never describe a different file; entries of deleted tables age out (the
//! table cache's is dropped by [`TableCache::evict`]).

// Hit/miss counters and sizes wait for the db's stats; drop this once they are wired.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::error::Result;
use crate::filename::table_path;
use crate::fs::FileSystem;
use crate::sstable::{Block, Table};

/// Bytes charged per cached block on top of its payload (key, `Bytes` header, bookkeeping).
const BLOCK_OVERHEAD: u64 = 96;

/// Typical block size, used to estimate how many entries the cache will hold.
const TYPICAL_BLOCK: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct BlockWeighter;

impl Weighter<(u64, u64), Block> for BlockWeighter {
    fn weight(&self, _key: &(u64, u64), block: &Block) -> u64 {
        block.len() as u64 + BLOCK_OVERHEAD
    }
}

/// A byte-weighted cache of decompressed, verified data blocks.
pub struct BlockCache {
    cache: Cache<(u64, u64), Block, BlockWeighter>,
    capacity: u64,
    lookups: AtomicU64,
    misses: AtomicU64,
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
            cache: Cache::with_weighter(items, capacity_bytes as u64, BlockWeighter),
            capacity: capacity_bytes as u64,
            lookups: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The block at (`file`, `offset`) if cached.
    pub(crate) fn get(&self, file: u64, offset: u64) -> Option<Block> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let block = self.cache.get(&(file, offset));
        if block.is_none() {
            self.misses.fetch_add(1, Ordering::Relaxed);
        }
        block
    }

    /// The cached block, or the result of `load` (inserted on success). Concurrent callers
    /// for the same block wait for one `load`.
    pub(crate) fn get_or_insert_with(
        &self,
        file: u64,
        offset: u64,
        load: impl FnOnce() -> Result<Block>,
    ) -> Result<Block> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        self.cache.get_or_insert_with(&(file, offset), || {
            self.misses.fetch_add(1, Ordering::Relaxed);
            load()
        })
    }

    /// Bytes currently charged.
    pub fn usage(&self) -> u64 {
        self.cache.weight()
    }

    /// The capacity in bytes.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Blocks currently cached.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Whether no block is cached.
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }

    /// Lookups so far (hits + misses).
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// Lookups that had to read the block.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// Lookups served from the cache.
    pub fn hits(&self) -> u64 {
        self.lookups().saturating_sub(self.misses())
    }
}

/// A bounded cache of open tables.
pub struct TableCache {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    tables: Cache<u64, Arc<Table>>,
    block_cache: Option<Arc<BlockCache>>,
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
        }
    }

    /// The open table `number`, opening `dir/NNNNNN.sst` on a miss (once for concurrent
    /// misses).
    ///
    /// # Errors
    /// Whatever [`Table::open`] or opening the file returns; nothing is cached then.
    pub fn get(&self, number: u64) -> Result<Arc<Table>> {
        self.tables.get_or_insert_with(&number, || {
            let path = table_path(&self.dir, number);
            let file = self.fs.open_read(&path)?;
            Ok(Arc::new(Table::open(
                number,
                file,
                self.block_cache.clone(),
            )?))
        })
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
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Whether no table is open in the cache.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}
