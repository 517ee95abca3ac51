//! The RocksDB adapter (the `rocksdb` crate, C++ RocksDB underneath).
//!
//! Threading: `rocksdb::DB` is `Send + Sync`; workload threads share it.

use std::path::Path;

use rocksdb::{
    BlockBasedOptions, Cache, DB, DBCompactionStyle, DBCompressionType, Options, WriteBatch,
    WriteOptions,
};

use super::{Compression, Engine, Result, Settings};

/// How RocksDB is configured.
pub const NOTES: &[&str] = &[
    "write_buffer_size, block_size, full bloom filter (10 bits, not block-based), LRU block \
     cache of --cache-size, compression: matched; level compaction with RocksDB's defaults \
     (64 MiB target files, 256 MiB L1, x10, the file with the least overlap below first \
     (kMinOverlappingRatio); level targets static in 7.8.3, dynamic by default from 8.4)",
    "index and filter blocks live outside the block cache (RocksDB's default), like Strata's",
    "sync: WriteOptions::set_sync(true) (fdatasync of the WAL, group commit across threads)",
    "compact_all = compact_range(None, None) (flushes first; bottommost level kept if no filter)",
];

struct RocksEngine {
    db: DB,
    write: WriteOptions,
}

/// Opens RocksDB in `dir`.
pub fn open(dir: &Path, s: &Settings) -> Result<Box<dyn Engine>> {
    let mut options = Options::default();
    options.create_if_missing(true);
    options.set_write_buffer_size(s.memtable_size);
    options.set_compaction_style(DBCompactionStyle::Level);
    options.set_compression_type(match s.compression {
        Compression::None => DBCompressionType::None,
        Compression::Lz4 => DBCompressionType::Lz4,
    });
    let mut table = BlockBasedOptions::default();
    table.set_block_size(s.block_size);
    table.set_bloom_filter(f64::from(s.bloom_bits), false);
    let cache = Cache::new_lru_cache(s.cache_size);
    table.set_block_cache(&cache);
    options.set_block_based_table_factory(&table);
    let mut write = WriteOptions::default();
    write.set_sync(s.sync);
    Ok(Box::new(RocksEngine {
        db: DB::open(&options, dir)?,
        write,
    }))
}

impl Engine for RocksEngine {
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        Ok(self.db.put_opt(key, value, &self.write)?)
    }

    fn write_batch(&self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<()> {
        let mut batch = WriteBatch::default();
        for (key, value) in pairs {
            batch.put(key, value);
        }
        Ok(self.db.write_opt(batch, &self.write)?)
    }

    fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        Ok(self.db.get_pinned(key)?.map(|v| v.len()))
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        Ok(self.db.delete_opt(key, &self.write)?)
    }

    fn seek(&self, key: &[u8], count: usize) -> Result<(usize, usize, bool)> {
        let mut iter = self.db.raw_iterator();
        iter.seek(key);
        let (mut entries, mut bytes, mut exact) = (0, 0, false);
        while entries < count {
            let (Some(k), Some(v)) = (iter.key(), iter.value()) else {
                break;
            };
            if entries == 0 {
                exact = k == key;
            }
            entries += 1;
            bytes += k.len() + v.len();
            iter.next();
        }
        iter.status()?;
        Ok((entries, bytes, exact))
    }

    fn scan(&self, reverse: bool, visit: &mut dyn FnMut(&[u8], &[u8])) -> Result<()> {
        let mut iter = self.db.raw_iterator();
        if reverse {
            iter.seek_to_last();
        } else {
            iter.seek_to_first();
        }
        while let (Some(k), Some(v)) = (iter.key(), iter.value()) {
            visit(k, v);
            if reverse {
                iter.prev();
            } else {
                iter.next();
            }
        }
        iter.status()?;
        Ok(())
    }

    fn settle(&self) -> Result<()> {
        self.db.flush()?;
        // Polls the properties rather than calling `WaitForCompact`, which RocksDB 7.8 (the
        // system library build) lacks.
        let busy =
            |name: &str| -> Result<bool> { Ok(self.db.property_int_value(name)?.unwrap_or(0) > 0) };
        while busy("rocksdb.num-running-compactions")?
            || busy("rocksdb.compaction-pending")?
            || busy("rocksdb.num-running-flushes")?
            || busy("rocksdb.mem-table-flush-pending")?
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(())
    }

    fn stats_text(&self) -> String {
        self.db
            .property_value("rocksdb.stats")
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn flush(&self) -> Result<()> {
        Ok(self.db.flush()?)
    }

    fn compact_all(&self) -> Result<()> {
        self.db.flush()?;
        self.db.compact_range(None::<&[u8]>, None::<&[u8]>);
        Ok(())
    }

    fn close(self: Box<Self>) -> Result<()> {
        self.db.cancel_all_background_work(true);
        drop(self);
        Ok(())
    }
}

/// RocksDB 7.8's C API (Debian's `librocksdb-dev`) has no write-buffer-manager calls, but the
/// `rocksdb` crate links their destructor; the adapter never creates a write buffer manager,
/// so this stand-in is never called. Built only against a system library.
#[cfg(system_rocksdb)]
#[unsafe(no_mangle)]
pub extern "C" fn rocksdb_write_buffer_manager_destroy(_manager: *mut std::ffi::c_void) {}
