//! In-memory files and table helpers for the sstable tests.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::cache::BlockCache;
use crate::error::{Error, Result};
use crate::fs::{RandomAccessFile, WritableFile};
use crate::key::{ValueKind, make_internal_key};

use super::{Table, TableBuilder, TableBuilderOptions, TableInfo};

/// A writable file appending to a shared buffer.
pub(crate) struct MemWriter {
    pub(crate) data: Arc<Mutex<Vec<u8>>>,
    pub(crate) synced: Arc<Mutex<bool>>,
}

impl WritableFile for MemWriter {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.data.lock().extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        *self.synced.lock() = true;
        Ok(())
    }
    fn size(&self) -> u64 {
        self.data.lock().len() as u64
    }
}

/// A read-only in-memory file.
pub(crate) struct MemReader {
    pub(crate) data: Vec<u8>,
    pub(crate) path: PathBuf,
}

impl RandomAccessFile for MemReader {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        match start
            .checked_add(buf.len())
            .and_then(|end| self.data.get(start..end))
        {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(Error::io(
                &self.path,
                std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "read past end"),
            )),
        }
    }
    fn size(&self) -> u64 {
        self.data.len() as u64
    }
    fn path(&self) -> &Path {
        &self.path
    }
}

/// One model entry: (user key, seq, kind, value).
pub(crate) type Entry = (Vec<u8>, u64, ValueKind, Vec<u8>);

/// Sorts entries in internal-key order (user key ascending, seq descending).
pub(crate) fn sort_entries(entries: &mut [Entry]) {
    entries.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
}

/// Builds a table of `entries` (already in internal-key order) in memory.
pub(crate) fn build(entries: &[Entry], opts: TableBuilderOptions) -> (Vec<u8>, TableInfo) {
    build_with(entries, opts, |b| b)
}

/// [`build`], with `setup` applied to the fresh builder (e.g. [`TableBuilder::legacy_v1`]).
pub(crate) fn build_with(
    entries: &[Entry],
    opts: TableBuilderOptions,
    setup: impl FnOnce(TableBuilder) -> TableBuilder,
) -> (Vec<u8>, TableInfo) {
    let data = Arc::new(Mutex::new(Vec::new()));
    let synced = Arc::new(Mutex::new(false));
    let writer = MemWriter {
        data: Arc::clone(&data),
        synced: Arc::clone(&synced),
    };
    let mut b = setup(TableBuilder::new(
        Box::new(writer),
        PathBuf::from("mem.sst"),
        opts,
    ));
    for (k, seq, kind, v) in entries {
        b.add(&make_internal_key(k, *seq, *kind as u8), v).unwrap();
    }
    let info = b.finish().unwrap();
    assert!(*synced.lock(), "finish must sync");
    let bytes = data.lock().clone();
    assert_eq!(info.size, bytes.len() as u64);
    (bytes, info)
}

/// Opens table bytes as table 7.
pub(crate) fn open(bytes: Vec<u8>, cache: Option<Arc<BlockCache>>) -> Result<Arc<Table>> {
    let file = Arc::new(MemReader {
        data: bytes,
        path: PathBuf::from("mem.sst"),
    });
    Table::open(7, file, cache).map(Arc::new)
}

/// Options with small blocks so a few hundred entries span many blocks.
pub(crate) fn small_opts(compression: crate::options::Compression) -> TableBuilderOptions {
    TableBuilderOptions {
        block_size: 256,
        restart_interval: 4,
        bloom_bits_per_key: 10,
        compression,
    }
}
