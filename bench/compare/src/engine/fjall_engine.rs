//! The fjall 2 adapter: one keyspace holding one partition.
//!
//! Threading: `Keyspace` and `PartitionHandle` are `Send + Sync` handles; threads share them.

use std::path::Path;

use fjall::{
    CompressionType, Config, Keyspace, PartitionCreateOptions, PartitionHandle, PersistMode,
};

use super::{Compression, Engine, Result, Settings};

/// How fjall is configured, and where it differs.
pub const NOTES: &[&str] = &[
    "partition max_memtable_size = --memtable-size and keyspace max_write_buffer_size = the \
     same (fjall flushes when either the partition's memtable or the sum of all memtables \
     passes its limit); the journal (fjall's WAL) rotates by its own rules (512 MiB cap)",
    "block_size, bloom_filter_bits, cache_size (one cache for blocks and blobs), compression: \
     matched; leveled compaction with fjall's defaults (L0 trigger 4, 64 MiB tables, x10)",
    "sync: keyspace.persist(PersistMode::SyncData) after every insert; no group commit, \
     concurrent writers each fsync",
    "compact_all = rotate_memtable_and_wait + major_compact (a #[doc(hidden)] call)",
    "close = drop (fjall has no close call; its background threads stop asynchronously)",
];

struct FjallEngine {
    keyspace: Keyspace,
    partition: PartitionHandle,
    sync: bool,
}

/// Opens fjall in `dir`.
pub fn open(dir: &Path, s: &Settings) -> Result<Box<dyn Engine>> {
    let keyspace = Config::new(dir)
        .cache_size(s.cache_size as u64)
        .max_write_buffer_size((s.memtable_size as u64).max(1 << 20))
        .open()?;
    let options = PartitionCreateOptions::default()
        .max_memtable_size(u32::try_from(s.memtable_size).unwrap_or(u32::MAX))
        .block_size(
            u32::try_from(s.block_size)
                .unwrap_or(4096)
                .clamp(1024, 512 * 1024),
        )
        .bloom_filter_bits(Some(u8::try_from(s.bloom_bits).unwrap_or(20).min(20)))
        .compression(match s.compression {
            Compression::None => CompressionType::None,
            Compression::Lz4 => CompressionType::Lz4,
        });
    let partition = keyspace.open_partition("bench", options)?;
    Ok(Box::new(FjallEngine {
        keyspace,
        partition,
        sync: s.sync,
    }))
}

impl FjallEngine {
    fn persist(&self) -> Result<()> {
        if self.sync {
            self.keyspace.persist(PersistMode::SyncData)?;
        }
        Ok(())
    }
}

impl Engine for FjallEngine {
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.partition.insert(key, value)?;
        self.persist()
    }

    fn write_batch(&self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<()> {
        let mut batch = self.keyspace.batch();
        for (key, value) in pairs {
            batch.insert(&self.partition, key.as_slice(), value.as_slice());
        }
        batch.commit()?;
        self.persist()
    }

    fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        Ok(self.partition.get(key)?.map(|v| v.len()))
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        self.partition.remove(key)?;
        self.persist()
    }

    fn seek(&self, key: &[u8], count: usize) -> Result<(usize, usize, bool)> {
        let (mut entries, mut bytes, mut exact) = (0, 0, false);
        for pair in self.partition.range(key..).take(count) {
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
        let iter = self.partition.iter();
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
        Ok(self.partition.rotate_memtable_and_wait()?)
    }

    fn compact_all(&self) -> Result<()> {
        self.partition.rotate_memtable_and_wait()?;
        Ok(self.partition.major_compact()?)
    }

    fn close(self: Box<Self>) -> Result<()> {
        self.keyspace.persist(PersistMode::Buffer)?;
        drop(self);
        Ok(())
    }
}
