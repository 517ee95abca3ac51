//! Concatenating cursor over one sorted run of tables. (STUB: helper fills in.)

use std::sync::Arc;

use crate::error::Result;
use crate::iter::{BoxedIterator, InternalIterator};
use crate::version::FileMeta;

/// Opens a cursor over one table of the run.
pub type TableOpener = Arc<dyn Fn(&FileMeta) -> Result<BoxedIterator> + Send + Sync>;

/// A cursor over sorted, disjoint tables; opens only the current table, lazily.
pub struct ConcatIterator {
    _files: Vec<Arc<FileMeta>>,
    _opener: TableOpener,
}

impl ConcatIterator {
    /// `files` sorted by key, pairwise disjoint.
    pub fn new(files: Vec<Arc<FileMeta>>, opener: TableOpener) -> ConcatIterator {
        ConcatIterator {
            _files: files,
            _opener: opener,
        }
    }
}

impl InternalIterator for ConcatIterator {
    fn valid(&self) -> bool {
        unimplemented!()
    }
    fn key(&self) -> &[u8] {
        unimplemented!()
    }
    fn value(&self) -> &[u8] {
        unimplemented!()
    }
    fn seek_to_first(&mut self) -> Result<()> {
        unimplemented!()
    }
    fn seek_to_last(&mut self) -> Result<()> {
        unimplemented!()
    }
    fn seek(&mut self, _target: &[u8]) -> Result<()> {
        unimplemented!()
    }
    fn seek_for_prev(&mut self, _target: &[u8]) -> Result<()> {
        unimplemented!()
    }
    fn next(&mut self) -> Result<()> {
        unimplemented!()
    }
    fn prev(&mut self) -> Result<()> {
        unimplemented!()
    }
}
