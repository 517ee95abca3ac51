//! [`TableIterator`]: a cursor over every entry of one table, forward and backward.
//!
//! It walks the in-memory index with one block cursor and holds only the current data block
//! (a shared `Bytes`, from the block cache or read directly). A seek that runs off a block's
//! end moves to the next block. Owned by one thread (it is `Send`); after an error it is
//! invalid until the next successful positioning call. Every key it exposes parsed as an
//! internal key with a known kind.

use super::readahead::Readahead;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::iter::InternalIterator;
use crate::key::{self, parse_internal_key};

use super::block::{Block, BlockCorruption, BlockIter, KeyOrder};
use super::format::block_error;
use super::reader::Table;

/// A cursor over one table's entries (see the module doc).
pub struct TableIterator {
    table: Arc<Table>,
    index: BlockIter,
    data: BlockIter,
    /// File offset of the block loaded into `data`.
    data_offset: Option<u64>,
    fill_cache: bool,
    /// Reads ahead once the cursor walks adjacent blocks (scans, compaction).
    readahead: Readahead,
}

impl TableIterator {
    pub(crate) fn new(table: Arc<Table>, fill_cache: bool) -> TableIterator {
        let index = table.index_iter();
        TableIterator {
            table,
            index,
            data: BlockIter::new(Block::empty(), KeyOrder::Internal),
            data_offset: None,
            fill_cache,
            readahead: Readahead::new(),
        }
    }

    /// The table this cursor reads.
    pub fn table(&self) -> &Arc<Table> {
        &self.table
    }

    fn clear(&mut self) {
        self.data.reset(Block::empty());
        self.data_offset = None;
    }

    fn fail<T>(&mut self, e: Error) -> Result<T> {
        self.clear();
        Err(e)
    }

    fn index_op(
        &mut self,
        op: impl FnOnce(&mut BlockIter) -> Result<(), BlockCorruption>,
    ) -> Result<()> {
        match op(&mut self.index) {
            Ok(()) => Ok(()),
            Err(e) => {
                let err = self.table.index_error(e);
                self.fail(err)
            }
        }
    }

    fn data_op(
        &mut self,
        op: impl FnOnce(&mut BlockIter) -> Result<(), BlockCorruption>,
    ) -> Result<()> {
        match op(&mut self.data) {
            Ok(()) => self.check_key(),
            Err(e) => {
                let err = block_error(self.table.path(), self.data_offset.unwrap_or_default(), e);
                self.fail(err)
            }
        }
    }

    /// Rejects a key whose kind is unknown.
    fn check_key(&mut self) -> Result<()> {
        if self.data.valid() && parse_internal_key(self.data.key()).is_none() {
            let err = Error::corruption(
                self.table.path(),
                self.data_offset.unwrap_or_default(),
                format!(
                    "entry at byte {} has an unknown kind",
                    self.data.entry_offset()
                ),
            );
            return self.fail(err);
        }
        Ok(())
    }

    /// Loads the block the index cursor points at (or clears when the index is exhausted).
    fn load_block(&mut self) -> Result<()> {
        if !self.index.valid() {
            self.clear();
            return Ok(());
        }
        let handle = match self.table.index_handle(&self.index) {
            Ok(h) => h,
            Err(e) => return self.fail(e),
        };
        if self.data_offset == Some(handle.offset) {
            return Ok(());
        }
        match self
            .table
            .data_block_ahead(handle, self.fill_cache, &mut self.readahead)
        {
            Ok(block) => {
                self.data.reset(block);
                self.data_offset = Some(handle.offset);
                Ok(())
            }
            Err(e) => self.fail(e),
        }
    }

    /// While the data cursor is exhausted, moves to the first entry of the next block.
    fn skip_forward(&mut self) -> Result<()> {
        while !self.data.valid() && self.index.valid() {
            self.index_op(BlockIter::next)?;
            self.load_block()?;
            if self.index.valid() {
                self.data_op(BlockIter::seek_to_first)?;
            }
        }
        Ok(())
    }

    /// While the data cursor is exhausted, moves to the last entry of the previous block.
    fn skip_backward(&mut self) -> Result<()> {
        while !self.data.valid() && self.index.valid() {
            self.index_op(BlockIter::prev)?;
            self.load_block()?;
            if self.index.valid() {
                self.data_op(BlockIter::seek_to_last)?;
            }
        }
        Ok(())
    }
}

impl InternalIterator for TableIterator {
    fn valid(&self) -> bool {
        self.data.valid()
    }

    fn key(&self) -> &[u8] {
        self.data.key()
    }

    fn value(&self) -> &[u8] {
        self.data.value()
    }

    fn value_bytes(&self) -> Bytes {
        self.data.value_bytes()
    }

    fn seek_to_first(&mut self) -> Result<()> {
        self.index_op(BlockIter::seek_to_first)?;
        self.load_block()?;
        self.data_op(BlockIter::seek_to_first)?;
        self.skip_forward()
    }

    fn seek_to_last(&mut self) -> Result<()> {
        self.index_op(BlockIter::seek_to_last)?;
        self.load_block()?;
        self.data_op(BlockIter::seek_to_last)?;
        self.skip_backward()
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        let bounds = self.table.index_bounds(key::user_key(target));
        self.index_op(|it| it.seek_within(target, bounds))?;
        self.load_block()?;
        self.data_op(|it| it.seek(target))?;
        self.skip_forward()
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        // The first block whose separator is >= target holds the answer, unless all its
        // entries are > target: then it is the previous block's last entry.
        let bounds = self.table.index_bounds(key::user_key(target));
        self.index_op(|it| it.seek_within(target, bounds))?;
        if !self.index.valid() {
            return self.seek_to_last();
        }
        self.load_block()?;
        self.data_op(|it| it.seek_for_prev(target))?;
        self.skip_backward()
    }

    fn next(&mut self) -> Result<()> {
        debug_assert!(self.valid());
        self.data_op(BlockIter::next)?;
        self.skip_forward()
    }

    fn prev(&mut self) -> Result<()> {
        debug_assert!(self.valid());
        self.data_op(BlockIter::prev)?;
        self.skip_backward()
    }
}
