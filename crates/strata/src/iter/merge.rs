//! K-way heap merge of internal cursors. (STUB: helper fills in.)

use crate::error::Result;
use crate::iter::{BoxedIterator, InternalIterator};

/// Merges children; on equal keys the lower-index (newer) child wins.
pub struct MergeIterator {
    _children: Vec<BoxedIterator>,
}

impl MergeIterator {
    /// Merges `children`, index 0 the newest source.
    pub fn new(children: Vec<BoxedIterator>) -> MergeIterator {
        MergeIterator {
            _children: children,
        }
    }
}

impl InternalIterator for MergeIterator {
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
