//! Writes an SST, streaming: data blocks go to the file as they fill; only the current block,
//! the index block, the filter's key hashes and the counters stay in memory.
//!
//! ```text
//! [data block 0][data block 1]...[filter][properties][index][meta-index][footer]
//!  each block = payload | tag u8 | crc32c u32        footer = 48 bytes (see footer.rs)
//! ```
//!
//! Single owner. Invariants: keys are encoded internal keys added strictly increasing
//! (`debug_assert!`ed); a data block closes before an entry that would push it past
//! `block_size`, unless it is empty; each index entry's key is >= its block's last key and <
//! the next block's first key; `finish` writes every section, then fsyncs.

use std::cmp::Ordering;
use std::path::PathBuf;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::fs::WritableFile;
use crate::key::{
    KIND_SEEK, MAX_SEQUENCE, ValueKind, compare_internal_keys, parse_internal_key, user_key,
};

use super::block::{BlockBuilder, KeyOrder};
use super::compress::{BlockCompressor, BlockTag};
use super::filter::{BloomBuilder, FilterKind};
use super::footer::Footer;
use super::format::{BLOCK_TRAILER_LEN, BlockHandle, FORMAT_VERSION, block_trailer};
use super::properties::Properties;
use super::{
    FILTER_BLOCK_NAME, LEGACY_FILTER_BLOCK_NAME, PROPERTIES_BLOCK_NAME, TableBuilderOptions,
    TableInfo,
};

/// Largest `block_size` honoured (larger options are clamped).
const MAX_BLOCK_SIZE: usize = 128 << 20;

/// Largest key + value of one entry (far above the public limits).
const MAX_ENTRY_LEN: usize = 128 << 20;

/// Streams sorted internal entries into an SST file.
pub struct TableBuilder {
    file: Box<dyn WritableFile>,
    path: PathBuf,
    opts: TableBuilderOptions,
    data: BlockBuilder,
    index: BlockBuilder,
    compressor: BlockCompressor,
    filter: Option<BloomBuilder>,
    /// Format version written: [`FORMAT_VERSION`] (blocked filter), or 1 (legacy filter) in
    /// tests of the legacy read path.
    format_version: u32,
    /// A filter block payload written instead of the built one (tests of damaged filters).
    #[cfg(test)]
    filter_payload: Option<Vec<u8>>,
    /// Bytes written to the file so far.
    offset: u64,
    first_key: Vec<u8>,
    last_key: Vec<u8>,
    scratch: Vec<u8>,
    num_entries: u64,
    num_deletions: u64,
    num_distinct_keys: u64,
    raw_key_bytes: u64,
    raw_value_bytes: u64,
    num_data_blocks: u64,
    raw_data_bytes: u64,
    smallest_seq: u64,
    largest_seq: u64,
}

/// Writes `payload | trailer` at `*offset` and advances it.
fn write_block(
    file: &mut dyn WritableFile,
    offset: &mut u64,
    payload: &[u8],
    tag: BlockTag,
) -> Result<BlockHandle> {
    let handle = BlockHandle {
        offset: *offset,
        size: payload.len() as u64,
    };
    file.append(payload)?;
    file.append(&block_trailer(payload, tag))?;
    *offset += (payload.len() + BLOCK_TRAILER_LEN) as u64;
    Ok(handle)
}

/// Writes into `out` an internal key `s` with `last <= s < next` (requires `last < next`),
/// shorter than `last` when the user keys allow it, else `last` itself.
///
/// With `c` the length of the user keys' common prefix (and `a`, `b` the user keys): if
/// `a[c] + 1 < b[c]`, `s = a[..c] ++ [a[c] + 1]`; else `s = a[..i] ++ [a[i] + 1]` for the first
/// `i > c` with `a[i] < 0xFF`. Either way `a < s < b`; `s` is used only if shorter than `a`,
/// with the trailer `(MAX_SEQUENCE, KIND_SEEK)` (the first internal key of `s`).
pub(crate) fn shortest_separator(last: &[u8], next: &[u8], out: &mut Vec<u8>) {
    debug_assert_eq!(compare_internal_keys(last, next), Ordering::Less);
    out.clear();
    let (a, b) = (user_key(last), user_key(next));
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let bump_at = match (a.get(common), b.get(common)) {
        // a[common] < b[common] because a < b.
        (Some(&x), Some(&y)) if x < 0xFF && x + 1 < y => Some(common),
        (Some(_), Some(_)) => (common + 1..a.len()).find(|&i| a.get(i).is_some_and(|&x| x < 0xFF)),
        _ => None, // one user key is a prefix of the other
    };
    if let Some(i) = bump_at.filter(|&i| i + 1 < a.len()) {
        out.extend_from_slice(&a[..=i]);
        if let Some(byte) = out.last_mut() {
            *byte += 1;
        }
        let user_len = out.len();
        out.extend_from_slice(&crate::key::pack_trailer(MAX_SEQUENCE, KIND_SEEK).to_le_bytes());
        debug_assert_eq!(user_len, i + 1);
        debug_assert_eq!(compare_internal_keys(last, out), Ordering::Less);
        debug_assert_eq!(compare_internal_keys(out, next), Ordering::Less);
        return;
    }
    out.extend_from_slice(last);
}

impl TableBuilder {
    /// A builder writing to `file` (at `path`, for error messages).
    pub fn new(
        file: Box<dyn WritableFile>,
        path: PathBuf,
        opts: TableBuilderOptions,
    ) -> TableBuilder {
        let mut opts = opts;
        opts.block_size = opts.block_size.clamp(1, MAX_BLOCK_SIZE);
        opts.restart_interval = opts.restart_interval.max(1);
        TableBuilder {
            file,
            path,
            data: BlockBuilder::new(opts.restart_interval, KeyOrder::Internal),
            index: BlockBuilder::new(1, KeyOrder::Internal),
            compressor: BlockCompressor::new(opts.compression),
            filter: (opts.bloom_bits_per_key > 0)
                .then(|| BloomBuilder::new(FilterKind::Blocked, opts.bloom_bits_per_key)),
            format_version: FORMAT_VERSION,
            #[cfg(test)]
            filter_payload: None,
            opts,
            offset: 0,
            first_key: Vec::new(),
            last_key: Vec::new(),
            scratch: Vec::new(),
            num_entries: 0,
            num_deletions: 0,
            num_distinct_keys: 0,
            raw_key_bytes: 0,
            raw_value_bytes: 0,
            num_data_blocks: 0,
            raw_data_bytes: 0,
            smallest_seq: u64::MAX,
            largest_seq: 0,
        }
    }

    /// Adds an entry: `ikey` an encoded internal key sorting after every key added before.
    ///
    /// # Errors
    /// `InvalidArgument` for a malformed internal key or an entry over 128 MiB; I/O errors of
    /// the file (the builder is then unusable).
    pub fn add(&mut self, ikey: &[u8], value: &[u8]) -> Result<()> {
        let Some(parsed) = parse_internal_key(ikey) else {
            return Err(Error::InvalidArgument(format!(
                "{}: malformed internal key",
                self.path.display()
            )));
        };
        if ikey.len().saturating_add(value.len()) > MAX_ENTRY_LEN {
            return Err(Error::InvalidArgument(format!(
                "table entry of {} bytes",
                ikey.len() + value.len()
            )));
        }
        debug_assert!(
            self.num_entries == 0 || compare_internal_keys(&self.last_key, ikey) == Ordering::Less,
            "table keys must be strictly increasing"
        );
        if !self.data.is_empty() && self.data.size_after(ikey, value.len()) > self.opts.block_size {
            self.flush_block(Some(ikey))?;
        }
        if self.num_entries == 0 {
            self.first_key.extend_from_slice(ikey);
        }
        if self.num_entries == 0 || user_key(&self.last_key) != parsed.user_key {
            self.num_distinct_keys += 1;
            if let Some(f) = self.filter.as_mut() {
                f.add_key(parsed.user_key);
            }
        }
        self.num_entries += 1;
        if parsed.kind == ValueKind::Delete {
            self.num_deletions += 1;
        }
        self.raw_key_bytes += ikey.len() as u64;
        self.raw_value_bytes += value.len() as u64;
        self.smallest_seq = self.smallest_seq.min(parsed.seq);
        self.largest_seq = self.largest_seq.max(parsed.seq);
        self.data.add(ikey, value);
        self.last_key.clear();
        self.last_key.extend_from_slice(ikey);
        Ok(())
    }

    /// Writes the current data block and its index entry (separating it from `next_key`).
    fn flush_block(&mut self, next_key: Option<&[u8]>) -> Result<()> {
        debug_assert!(!self.data.is_empty());
        let raw = self.data.finish();
        self.raw_data_bytes += raw.len() as u64;
        let (stored, tag) = self.compressor.compress(raw);
        let handle = write_block(self.file.as_mut(), &mut self.offset, stored, tag)?;
        self.num_data_blocks += 1;
        match next_key {
            Some(next) => shortest_separator(&self.last_key, next, &mut self.scratch),
            None => {
                self.scratch.clear();
                self.scratch.extend_from_slice(&self.last_key);
            }
        }
        let mut encoded = Vec::with_capacity(20);
        handle.encode_to(&mut encoded);
        self.index.add(&self.scratch, &encoded);
        self.data.reset();
        Ok(())
    }

    /// Bytes written so far plus the pending data block.
    pub fn estimated_size(&self) -> u64 {
        let pending = if self.data.is_empty() {
            0
        } else {
            self.data.current_size()
        };
        self.offset + pending as u64
    }

    /// Entries added so far.
    pub fn num_entries(&self) -> u64 {
        self.num_entries
    }

    /// Writes a format version 1 table with the legacy filter instead (for tests of the legacy
    /// read path; call before adding entries).
    #[cfg(test)]
    pub(crate) fn legacy_v1(mut self) -> TableBuilder {
        debug_assert_eq!(self.num_entries, 0);
        self.format_version = 1;
        self.filter = (self.opts.bloom_bits_per_key > 0)
            .then(|| BloomBuilder::new(FilterKind::Legacy, self.opts.bloom_bits_per_key));
        self
    }

    /// Writes `payload` as the filter block instead of the built filter (for tests of damaged
    /// filters; the table must have a filter).
    #[cfg(test)]
    pub(crate) fn with_filter_payload(mut self, payload: Vec<u8>) -> TableBuilder {
        self.filter_payload = Some(payload);
        self
    }

    /// Writes the last data block, filter, properties, index, meta-index and footer, then
    /// fsyncs the file.
    ///
    /// # Errors
    /// `InvalidArgument` if no entry was added (the file then holds nothing useful; the caller
    /// deletes it); I/O errors of the file.
    pub fn finish(mut self) -> Result<TableInfo> {
        if self.num_entries == 0 {
            return Err(Error::InvalidArgument(format!(
                "{}: refusing to write an empty table",
                self.path.display()
            )));
        }
        if !self.data.is_empty() {
            self.flush_block(None)?;
        }
        let data_end = self.offset;
        let file = self.file.as_mut();
        let filter = match &self.filter {
            Some(f) => {
                let name = match f.kind() {
                    FilterKind::Blocked => FILTER_BLOCK_NAME,
                    FilterKind::Legacy => LEGACY_FILTER_BLOCK_NAME,
                };
                #[cfg(not(test))]
                let payload = f.finish();
                #[cfg(test)]
                let payload = self.filter_payload.take().unwrap_or_else(|| f.finish());
                let h = write_block(file, &mut self.offset, &payload, BlockTag::None)?;
                Some((name, h))
            }
            None => None,
        };
        let properties = Properties {
            format_version: self.format_version,
            num_entries: self.num_entries,
            num_deletions: self.num_deletions,
            num_distinct_keys: self.num_distinct_keys,
            raw_key_bytes: self.raw_key_bytes,
            raw_value_bytes: self.raw_value_bytes,
            num_data_blocks: self.num_data_blocks,
            data_bytes: data_end,
            raw_data_bytes: self.raw_data_bytes,
            smallest_key: Bytes::from(std::mem::take(&mut self.first_key)),
            largest_key: Bytes::from(std::mem::take(&mut self.last_key)),
            smallest_seq: self.smallest_seq,
            largest_seq: self.largest_seq,
            compression: self.opts.compression,
            block_size: self.opts.block_size as u64,
            restart_interval: self.opts.restart_interval as u64,
            bloom_bits_per_key: if filter.is_some() {
                self.opts.bloom_bits_per_key as u64
            } else {
                0
            },
        };
        let props = write_block(file, &mut self.offset, &properties.encode(), BlockTag::None)?;
        let index = write_block(file, &mut self.offset, self.index.finish(), BlockTag::None)?;
        // Meta-index: names in bytewise order ("filter.bloom..." < "properties").
        let mut meta = BlockBuilder::new(1, KeyOrder::Bytewise);
        let mut value = Vec::new();
        if let Some((name, h)) = filter {
            h.encode_to(&mut value);
            meta.add(name.as_bytes(), &value);
        }
        value.clear();
        props.encode_to(&mut value);
        meta.add(PROPERTIES_BLOCK_NAME.as_bytes(), &value);
        let meta_index = write_block(file, &mut self.offset, meta.finish(), BlockTag::None)?;
        let footer = Footer::encode(meta_index, index, self.format_version);
        file.append(&footer)?;
        self.offset += footer.len() as u64;
        file.sync()?;
        debug_assert_eq!(file.size(), self.offset);
        Ok(TableInfo {
            size: self.offset,
            smallest: properties.smallest_key,
            largest: properties.largest_key,
            smallest_seq: properties.smallest_seq,
            largest_seq: properties.largest_seq,
            num_entries: properties.num_entries,
            num_deletions: properties.num_deletions,
        })
    }
}
