//! [`Table`]: an open SST. Opening reads and checks the footer, meta-index, index, properties
//! and filter, which stay in memory together with 8-byte summaries of the index keys that
//! narrow index seeks, and the data blocks' start offsets, with which a point lookup usually
//! finds its data block without reading the index block (`index_prefix.rs`); data blocks are
//! read on demand with positioned reads, verified, and shared through the block cache.
//!
//! Threading: a `Table` is immutable after `open` and shared as `Arc<Table>` by any number of
//! readers on any thread. Invariants established by `open`: the sections after the data region
//! tile `[data_end, footer)` exactly, the index is non-empty and its first and last handles
//! start the data region at 0 and end it at `data_end`, the properties are self-consistent.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use crate::cache::BlockCache;
use crate::error::{Error, Result};
use crate::fs::RandomAccessFile;
use crate::key::{self, KIND_SEEK, MAX_SEQUENCE, SeqNum, ValueKind, pack_trailer};

use super::block::{Block, BlockIter, KeyOrder, Point, seek_point};
use super::filter::{BloomFilter, FilterKind};
use super::footer::{FOOTER_LEN, Footer};
use super::format::{BlockHandle, block_error, read_block, read_block_ahead, read_block_bytes};
use super::index_prefix::{Located, RestartPrefixes};
use super::iter::TableIterator;
use super::properties::Properties;
use super::readahead::Readahead;
use super::{
    FILTER_BLOCK_NAME, LEGACY_FILTER_BLOCK_NAME, PROPERTIES_BLOCK_NAME, RANGE_DEL_BLOCK_NAME,
};

/// Where each section of a table lies (for inspection tools).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableLayout {
    /// End of the data region (data blocks tile `[0, data_end)`).
    pub data_end: u64,
    /// The filter block, if the table has one.
    pub filter: Option<BlockHandle>,
    /// The properties block.
    pub properties: BlockHandle,
    /// The index block.
    pub index: BlockHandle,
    /// The meta-index block.
    pub meta_index: BlockHandle,
    /// Offset of the footer (= file size - 48).
    pub footer_offset: u64,
    /// The format version from the footer.
    pub format_version: u32,
}

/// What point lookups did across the tables they probed (summed locally, then added to the
/// database's counters once per `get`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GetTrace {
    /// Tables asked (filter checked or, without a filter, searched).
    pub tables_probed: u32,
    /// Bloom filters consulted.
    pub bloom_checks: u32,
    /// Filters that proved the key absent (the table's blocks were not touched).
    pub bloom_negatives: u32,
    /// Data blocks read from the file (block cache misses, or no cache).
    pub blocks_read: u32,
}

/// An open, verified SST.
pub struct Table {
    number: u64,
    file: Arc<dyn RandomAccessFile>,
    size: u64,
    layout: TableLayout,
    index: Block,
    /// Summaries of the index's restart keys that narrow index seeks (`None` if the index
    /// did not summarise; seeks then search the whole index).
    index_prefixes: Option<RestartPrefixes>,
    filter: Option<BloomFilter>,
    properties: Properties,
    cache: Option<Arc<BlockCache>>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("number", &self.number)
            .field("path", &self.file.path())
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// The sections named in the meta-index.
struct MetaSections {
    /// The filter of the table's version (legacy in version 1, blocked from version 2).
    filter: Option<BlockHandle>,
    properties: BlockHandle,
    /// Every named section (known or not), for the tiling check.
    all: Vec<BlockHandle>,
}

/// Reads the meta-index of a table of format `version`: its filter is the legacy one in
/// version 1 and the blocked one from version 2 (the other name is an unknown section).
fn read_meta_index(block: Block, path: &Path, at: u64, version: u32) -> Result<MetaSections> {
    let filter_name = if version == 1 {
        LEGACY_FILTER_BLOCK_NAME
    } else {
        FILTER_BLOCK_NAME
    };
    let bad = |reason: &str| Error::corruption(path, at, format!("meta-index: {reason}"));
    let mut it = BlockIter::new(block, KeyOrder::Bytewise);
    let (mut filter, mut properties, mut all) = (None, None, Vec::new());
    let mut previous: Option<Vec<u8>> = None;
    it.seek_to_first().map_err(|e| block_error(path, at, e))?;
    while it.valid() {
        let name = it.key();
        if previous.as_deref().is_some_and(|p| p >= name) {
            return Err(bad("names out of order"));
        }
        let handle =
            BlockHandle::decode_exact(it.value()).ok_or_else(|| bad("bad block handle"))?;
        match name {
            n if n == filter_name.as_bytes() => filter = Some(handle),
            n if n == PROPERTIES_BLOCK_NAME.as_bytes() => properties = Some(handle),
            n if n == RANGE_DEL_BLOCK_NAME.as_bytes() => {
                // Range tombstones change what entries mean; a format that writes them will
                // carry a newer version. In a version-1 or -2 table the name is an inconsistency.
                return Err(bad(
                    "range-del section in a table of a version without range deletes",
                ));
            }
            _ => {} // a section added by a later writer: covered by the tiling check only
        }
        all.push(handle);
        previous = Some(name.to_vec());
        it.next().map_err(|e| block_error(path, at, e))?;
    }
    let properties = properties.ok_or_else(|| bad("no properties block"))?;
    Ok(MetaSections {
        filter,
        properties,
        all,
    })
}

/// Checks that `sections` (plus the index) tile `[start, end)` with no gap or overlap and
/// returns `start` (the end of the data region).
fn tile(mut sections: Vec<BlockHandle>, end: u64, path: &Path) -> Result<u64> {
    sections.sort_by_key(|h| h.offset);
    let start = sections.first().map_or(end, |h| h.offset);
    let mut at = start;
    for h in &sections {
        if h.offset != at {
            return Err(Error::corruption(
                path,
                h.offset,
                "table sections overlap or leave a gap",
            ));
        }
        at = h
            .end()
            .ok_or_else(|| Error::corruption(path, h.offset, "section size overflows"))?;
    }
    if at != end {
        return Err(Error::corruption(
            path,
            at,
            "table sections do not end at the meta-index",
        ));
    }
    Ok(start)
}

impl Table {
    /// Opens table `number` from `file`: reads and verifies the footer, meta-index, index,
    /// properties and filter.
    ///
    /// # Errors
    /// `Corruption` for a truncated file, wrong magic, bad checksum or inconsistent structure;
    /// `UnsupportedFormat` for a newer format version; I/O errors.
    pub fn open(
        number: u64,
        file: Arc<dyn RandomAccessFile>,
        cache: Option<Arc<BlockCache>>,
    ) -> Result<Table> {
        let path = file.path().to_path_buf();
        let size = file.size();
        let Some(footer_offset) = size.checked_sub(FOOTER_LEN as u64) else {
            return Err(Error::corruption(
                &path,
                0,
                format!("{size} bytes is too short for a table"),
            ));
        };
        let mut footer_bytes = [0u8; FOOTER_LEN];
        file.read_exact_at(&mut footer_bytes, footer_offset)?;
        let footer = Footer::decode(&footer_bytes, &path, footer_offset)?;
        if footer.meta_index.end() != Some(footer_offset) {
            return Err(Error::corruption(
                &path,
                footer_offset,
                "meta-index does not end at the footer",
            ));
        }
        let meta_block = read_block(file.as_ref(), footer.meta_index, footer_offset)?;
        let meta = read_meta_index(meta_block, &path, footer.meta_index.offset, footer.version)?;
        let mut sections = meta.all.clone();
        sections.push(footer.index);
        let data_end = tile(sections, footer.meta_index.offset, &path)?;

        let props_block = read_block(file.as_ref(), meta.properties, footer.meta_index.offset)?;
        let properties = Properties::decode(props_block)
            .map_err(|reason| Error::corruption(&path, meta.properties.offset, reason))?;
        if properties.format_version != footer.version || properties.data_bytes != data_end {
            return Err(Error::corruption(
                &path,
                meta.properties.offset,
                "properties disagree with the footer or the table layout",
            ));
        }
        let kind = if footer.version == 1 {
            FilterKind::Legacy
        } else {
            FilterKind::Blocked
        };
        let filter = match meta.filter {
            Some(h) => {
                let bytes = read_block_bytes(file.as_ref(), h, footer.meta_index.offset)?;
                Some(
                    BloomFilter::decode(kind, bytes)
                        .map_err(|r| Error::corruption(&path, h.offset, r))?,
                )
            }
            None => None,
        };
        if filter.is_some() != (properties.bloom_bits_per_key > 0) {
            return Err(Error::corruption(
                &path,
                meta.properties.offset,
                "filter presence disagrees with properties",
            ));
        }
        let index = read_block(file.as_ref(), footer.index, footer.meta_index.offset)?;
        let layout = TableLayout {
            data_end,
            filter: meta.filter,
            properties: meta.properties,
            index: footer.index,
            meta_index: footer.meta_index,
            footer_offset,
            format_version: footer.version,
        };
        let index_prefixes = RestartPrefixes::build(&index);
        let table = Table {
            number,
            file,
            size,
            layout,
            index,
            index_prefixes,
            filter,
            properties,
            cache,
        };
        table.check_index_ends()?;
        Ok(table)
    }

    /// The first data block starts at 0 and the last ends at `data_end`.
    fn check_index_ends(&self) -> Result<()> {
        let mut it = self.index_iter();
        it.seek_to_first().map_err(|e| self.index_error(e))?;
        let first = self.index_handle(&it)?;
        it.seek_to_last().map_err(|e| self.index_error(e))?;
        let last = self.index_handle(&it)?;
        if first.offset != 0 || last.end() != Some(self.layout.data_end) {
            return Err(Error::corruption(
                self.path(),
                self.layout.index.offset,
                "index does not span the data region",
            ));
        }
        Ok(())
    }

    pub(crate) fn index_iter(&self) -> BlockIter {
        BlockIter::new(self.index.clone(), KeyOrder::Internal)
    }

    /// The restart range of the index that a seek for `user_key` must search (see
    /// [`BlockIter::seek_by_within`]).
    #[inline]
    pub(crate) fn index_bounds(&self, user_key: &[u8]) -> (usize, usize) {
        self.index_prefixes
            .as_ref()
            .map_or((0, usize::MAX), |p| p.bounds(user_key))
    }

    pub(crate) fn index_error(&self, e: super::block::BlockCorruption) -> Error {
        block_error(self.path(), self.layout.index.offset, e)
    }

    /// Decodes the handle under a valid index cursor.
    pub(crate) fn index_handle<B: Borrow<Block>>(&self, it: &BlockIter<B>) -> Result<BlockHandle> {
        if !it.valid() {
            return Err(Error::corruption(
                self.path(),
                self.layout.index.offset,
                "index block is empty",
            ));
        }
        BlockHandle::decode_exact(it.value()).ok_or_else(|| {
            Error::corruption(
                self.path(),
                self.layout.index.offset,
                "bad block handle in index",
            )
        })
    }

    /// Reads data block `handle` through the block cache (inserting it on a miss only when
    /// `fill_cache`), setting `*from_disk` when the block was read from the file.
    fn data_block_counted(
        &self,
        handle: BlockHandle,
        fill_cache: bool,
        from_disk: &mut bool,
    ) -> Result<Block> {
        self.cached_block(handle, fill_cache, || {
            *from_disk = true;
            read_block(self.file.as_ref(), handle, self.layout.data_end)
        })
    }

    /// The data block at `handle` from the block cache, or `load`ed (and inserted when
    /// `fill_cache`; concurrent misses of one block share one load).
    fn cached_block(
        &self,
        handle: BlockHandle,
        fill_cache: bool,
        load: impl FnOnce() -> Result<Block>,
    ) -> Result<Block> {
        match &self.cache {
            Some(cache) if fill_cache => cache.get_or_insert_with(self.number, handle.offset, load),
            Some(cache) => match cache.probe(self.number, handle.offset) {
                Some(block) => Ok(block),
                None => load(),
            },
            None => load(),
        }
    }

    /// A data block for a cursor, through the block cache as for a get; a block read from
    /// the file goes through the cursor's readahead (see `readahead.rs`).
    pub(crate) fn data_block_ahead(
        &self,
        handle: BlockHandle,
        fill_cache: bool,
        ahead: &mut Readahead,
    ) -> Result<Block> {
        self.cached_block(handle, fill_cache, || {
            read_block_ahead(
                self.file.as_ref(),
                handle,
                self.layout.data_end,
                Some(ahead),
            )
        })
    }

    /// The table's file number.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The table's properties.
    pub fn properties(&self) -> &Properties {
        &self.properties
    }

    /// Where each section lies.
    pub fn layout(&self) -> &TableLayout {
        &self.layout
    }

    pub(crate) fn file(&self) -> &dyn RandomAccessFile {
        self.file.as_ref()
    }

    /// False if the bloom filter proves `user_key` absent; true when there is no filter.
    pub fn may_contain(&self, user_key: &[u8]) -> bool {
        self.filter.as_ref().is_none_or(|f| f.may_contain(user_key))
    }

    /// The newest version of `user_key` with seq <= `seq` in this table, as (kind, value) (the
    /// value is empty for a tombstone); `None` if the table has none. Asks the bloom filter
    /// first; reads at most one data block.
    ///
    /// # Errors
    /// `Corruption` if the index or the data block is damaged; I/O errors.
    pub fn get(&self, user_key: &[u8], seq: SeqNum) -> Result<Option<(ValueKind, Bytes)>> {
        self.get_traced(user_key, seq, &mut GetTrace::default())
    }

    /// [`Table::get`], adding this probe's filter check and disk read to `trace`.
    pub(crate) fn get_traced(
        &self,
        user_key: &[u8],
        seq: SeqNum,
        trace: &mut GetTrace,
    ) -> Result<Option<(ValueKind, Bytes)>> {
        trace.tables_probed += 1;
        if let Some(filter) = &self.filter {
            trace.bloom_checks += 1;
            if !filter.may_contain(user_key) {
                trace.bloom_negatives += 1;
                return Ok(None);
            }
        }
        // Orders an entry against the seek target `user_key ++ trailer(seq, KIND_SEEK)`
        // without building it.
        let target = pack_trailer(seq.min(MAX_SEQUENCE), KIND_SEEK);
        let cmp = |k: &[u8]| match key::user_key(k).cmp(user_key) {
            Ordering::Equal => target.cmp(&key::trailer(k)),
            other => other,
        };
        // The index entry at or above the target names the block; the summaries usually tell
        // which one without reading the index block.
        let located = self
            .index_prefixes
            .as_ref()
            .and_then(|p| p.locate(user_key));
        let handle = match located {
            Some(Located::PastEnd) => return Ok(None),
            Some(Located::Block(handle)) => handle,
            None => {
                let mut index = BlockIter::new(&self.index, KeyOrder::Internal);
                index
                    .seek_by_within(cmp, self.index_bounds(user_key))
                    .map_err(|e| self.index_error(e))?;
                if !index.valid() {
                    return Ok(None); // past the table's last key
                }
                self.index_handle(&index)?
            }
        };
        let mut from_disk = false;
        let block = self.data_block_counted(handle, true, &mut from_disk);
        trace.blocks_read += u32::from(from_disk);
        let block = block?;
        // Ran off the block (`Absent`): the target lies in (last key, separator]; separators
        // are shortened only when their user key differs from the next block's first, so no
        // entry of `user_key` follows either.
        let bad_block = |e| block_error(self.path(), handle.offset, e);
        let (entry_trailer, value) =
            match seek_point(&block, user_key, target).map_err(bad_block)? {
                Point::Absent => return Ok(None),
                Point::Found { trailer, value } => (trailer, value),
                Point::NeedsCursor => return self.get_with_cursor(block, handle, user_key, cmp),
            };
        let Some(kind) = ValueKind::from_u8((entry_trailer & 0xFF) as u8) else {
            return Err(Error::corruption(
                self.path(),
                handle.offset,
                "entry key with unknown kind",
            ));
        };
        let value = match kind {
            ValueKind::Put => block.data().slice(value),
            ValueKind::Delete => Bytes::new(),
        };
        Ok(Some((kind, value)))
    }

    /// The end of [`Table::get_traced`] with a cursor over the data block, which rebuilds its
    /// keys (for a block where `seek_point` cannot read the entry's trailer in place).
    fn get_with_cursor(
        &self,
        block: Block,
        handle: BlockHandle,
        user_key: &[u8],
        cmp: impl Fn(&[u8]) -> Ordering,
    ) -> Result<Option<(ValueKind, Bytes)>> {
        let mut it = BlockIter::new(block, KeyOrder::Internal);
        it.seek_by(cmp)
            .map_err(|e| block_error(self.path(), handle.offset, e))?;
        if !it.valid() {
            return Ok(None);
        }
        let Some(parsed) = key::parse_internal_key(it.key()) else {
            return Err(Error::corruption(
                self.path(),
                handle.offset,
                "entry key with unknown kind",
            ));
        };
        if parsed.user_key != user_key {
            return Ok(None);
        }
        let value = match parsed.kind {
            ValueKind::Put => it.value_bytes(),
            ValueKind::Delete => Bytes::new(),
        };
        Ok(Some((parsed.kind, value)))
    }

    /// An unpositioned cursor over every entry, filling the block cache.
    pub fn iter(self: &Arc<Self>) -> TableIterator {
        TableIterator::new(Arc::clone(self), true)
    }

    /// An unpositioned cursor that never inserts into the block cache (compaction reads).
    pub fn iter_no_cache(self: &Arc<Self>) -> TableIterator {
        TableIterator::new(Arc::clone(self), false)
    }
}
