//! The sled 0.34 adapter: one `sled::Db` (its default tree).
//!
//! Threading: `sled::Db` is `Send + Sync`; threads share it.

use std::path::Path;

use super::{Engine, Result, Settings};

/// How sled is configured, and what it cannot match.
pub const NOTES: &[&str] = &[
    "sled is not an LSM-tree: no memtable, no blocks, no bloom filters, no leveled \
     compaction (a log-structured page store with segment cleaning); --memtable-size, \
     --block-size and --bloom-bits do not apply",
    "cache_capacity = --cache-size (sled's page cache, which also holds the tree's nodes)",
    "no compression: sled's zstd needs the `compression` feature, not built here",
    "default flush_every_ms (500 ms): acknowledged writes sit in user space until then",
    "sync: Db::flush() after every insert; compact_all = flush() (no compaction call)",
];

struct SledEngine {
    db: sled::Db,
    sync: bool,
}

/// Opens sled in `dir`.
pub fn open(dir: &Path, s: &Settings) -> Result<Box<dyn Engine>> {
    let db = sled::Config::new()
        .path(dir)
        .cache_capacity(s.cache_size as u64)
        .open()?;
    Ok(Box::new(SledEngine { db, sync: s.sync }))
}

impl SledEngine {
    fn persist(&self) -> Result<()> {
        if self.sync {
            self.db.flush()?;
        }
        Ok(())
    }
}

impl Engine for SledEngine {
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.db.insert(key, value)?;
        self.persist()
    }

    fn write_batch(&self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (key, value) in pairs {
            batch.insert(key.as_slice(), value.as_slice());
        }
        self.db.apply_batch(batch)?;
        self.persist()
    }

    fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        Ok(self.db.get(key)?.map(|v| v.len()))
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        self.db.remove(key)?;
        self.persist()
    }

    fn seek(&self, key: &[u8], count: usize) -> Result<(usize, usize, bool)> {
        let (mut entries, mut bytes, mut exact) = (0, 0, false);
        for pair in self.db.range(key..).take(count) {
            let (k, v) = pair?;
            if entries == 0 {
                exact = &*k == key;
            }
            entries += 1;
            bytes += k.len() + v.len();
        }
        Ok((entries, bytes, exact))
    }

    fn scan(&self, reverse: bool, visit: &mut dyn FnMut(&[u8], &[u8])) -> Result<()> {
        let iter = self.db.iter();
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
        self.db.flush()?;
        Ok(())
    }

    fn compact_all(&self) -> Result<()> {
        self.flush()
    }

    fn close(self: Box<Self>) -> Result<()> {
        self.db.flush()?;
        drop(self);
        Ok(())
    }
}
