//! The Strata adapter: `Options` built from [`Settings`], everything else is the public API.
//!
//! Threading: `strata::Db` is `Clone + Send + Sync`; workload threads share one handle.

use std::path::Path;

use strata::{CompactionOptions, Db, Options, WriteBatch};

use super::{Compression, Engine, Result, Settings};

/// How Strata is configured.
pub const NOTES: &[&str] = &[
    "all settings matched: memtable_size, block_size, bloom_bits_per_key, block_cache_size, \
     compression; leveled compaction with the engine's defaults (x10, base 256 MiB, 64 MiB SSTs)",
    "sync: Options::sync_writes (fsync per commit group, group commit across threads)",
    "an iterator per seek: the API positions iterators by range bounds, there is no re-seek",
];

struct StrataEngine {
    db: Db,
}

/// Opens Strata in `dir`.
pub fn open(dir: &Path, s: &Settings) -> Result<Box<dyn Engine>> {
    let options = Options {
        memtable_size: s.memtable_size,
        block_size: s.block_size,
        block_cache_size: s.cache_size,
        bloom_bits_per_key: s.bloom_bits as usize,
        compaction: CompactionOptions::default(),
        sync_writes: s.sync,
        compression: match s.compression {
            Compression::None => strata::Compression::None,
            Compression::Lz4 => strata::Compression::Lz4,
        },
        enable_wal: true,
        ..Options::default()
    };
    Ok(Box::new(StrataEngine {
        db: Db::open(dir, options)?,
    }))
}

impl Engine for StrataEngine {
    fn settle(&self) -> Result<()> {
        self.db.flush()?;
        Ok(self.db.wait_for_compactions()?)
    }

    fn stats_text(&self) -> String {
        self.db.stats().to_string()
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        Ok(self.db.put(key, value)?)
    }

    fn write_batch(&self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<()> {
        let mut batch = WriteBatch::new();
        for (key, value) in pairs {
            batch.put(key, value);
        }
        Ok(self.db.write(batch)?)
    }

    fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        Ok(self.db.get(key)?.map(|v| v.len()))
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        Ok(self.db.delete(key)?)
    }

    fn seek(&self, key: &[u8], count: usize) -> Result<(usize, usize, bool)> {
        let (mut entries, mut bytes, mut exact) = (0, 0, false);
        for pair in self.db.range(key..)?.take(count) {
            let (k, v) = pair?;
            if entries == 0 {
                exact = k.as_ref() == key;
            }
            entries += 1;
            bytes += k.len() + v.len();
        }
        Ok((entries, bytes, exact))
    }

    fn scan(&self, reverse: bool, visit: &mut dyn FnMut(&[u8], &[u8])) -> Result<()> {
        let iter = self.db.iter()?;
        if reverse {
            for pair in iter.rev() {
                let (k, v) = pair?;
                visit(&k, &v);
            }
        } else {
            for pair in iter {
                let (k, v) = pair?;
                visit(&k, &v);
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        Ok(self.db.flush()?)
    }

    fn compact_all(&self) -> Result<()> {
        self.db.flush()?;
        Ok(self.db.compact()?)
    }

    fn close(self: Box<Self>) -> Result<()> {
        Ok(self.db.close()?)
    }
}
