//! The `Db` handle. (being written)

use std::ops::RangeBounds;
use std::path::Path;

use bytes::Bytes;

use crate::batch::WriteBatch;
use crate::error::Result;
use crate::iter::Iter;
use crate::mvcc::{Snapshot, Transaction};
use crate::options::Options;

/// The shape of the LSM tree: file numbers per level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeShape {
    /// L0 file numbers, newest first.
    pub l0: Vec<u64>,
    /// (level number or tier id, file numbers in key order) for each run below L0.
    pub levels: Vec<(u64, Vec<u64>)>,
}

/// Counters about the engine's work.
#[derive(Debug, Clone, Default)]
pub struct Stats {}

/// A handle to an open database; cheap to clone and share across threads.
#[derive(Clone)]
pub struct Db {}

#[allow(missing_docs, unused_variables)]
impl Db {
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Db> {
        unimplemented!()
    }
    pub fn close(&self) -> Result<()> {
        unimplemented!()
    }
    pub fn put(&self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<()> {
        unimplemented!()
    }
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        unimplemented!()
    }
    pub fn delete(&self, key: impl AsRef<[u8]>) -> Result<()> {
        unimplemented!()
    }
    pub fn write(&self, batch: WriteBatch) -> Result<()> {
        unimplemented!()
    }
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> Result<Iter> {
        unimplemented!()
    }
    pub fn iter(&self) -> Result<Iter> {
        unimplemented!()
    }
    pub fn prefix(&self, prefix: impl AsRef<[u8]>) -> Result<Iter> {
        unimplemented!()
    }
    pub fn snapshot(&self) -> Snapshot {
        unimplemented!()
    }
    pub fn transaction(&self) -> Transaction {
        unimplemented!()
    }
    pub fn flush(&self) -> Result<()> {
        unimplemented!()
    }
    pub fn compact(&self) -> Result<()> {
        unimplemented!()
    }
    pub fn sync(&self) -> Result<()> {
        unimplemented!()
    }
    pub fn tree_shape(&self) -> TreeShape {
        unimplemented!()
    }
    pub fn stats(&self) -> Stats {
        unimplemented!()
    }
}
