//! [`Table::verify`]: a full pass over a table that reads every data block from disk (never
//! from the cache) and checks every checksum, every entry's kind and order, the index's
//! separators and handles, the filter (no false negatives) and the properties' counts.
//!
//! Read-only; may run concurrently with other readers of the same table.

use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::key::{ValueKind, compare_internal_keys, parse_internal_key};

use super::block::{BlockIter, KeyOrder};
use super::format::{block_error, read_block};
use super::reader::Table;

/// Counters gathered by the pass, compared with the properties at the end.
#[derive(Default)]
struct Tally {
    entries: u64,
    deletions: u64,
    distinct: u64,
    raw_keys: u64,
    raw_values: u64,
    raw_data: u64,
    blocks: u64,
    smallest_seq: u64,
    largest_seq: u64,
}

impl Table {
    /// Reads and checks every block and entry; returns the number of entries.
    ///
    /// # Errors
    /// `Corruption` naming the first fault found; I/O errors.
    pub fn verify(&self) -> Result<u64> {
        let path = self.path();
        let data_end = self.layout().data_end;
        let mut index = self.index_iter();
        index.seek_to_first().map_err(|e| self.index_error(e))?;
        let mut tally = Tally {
            smallest_seq: u64::MAX,
            ..Tally::default()
        };
        let mut expected_offset = 0u64;
        let mut previous_separator: Option<Vec<u8>> = None;
        let mut last_key: Option<Vec<u8>> = None;
        let mut first_key: Option<Vec<u8>> = None;
        while index.valid() {
            let separator = index.key().to_vec();
            let handle = self.index_handle(&index)?;
            let index_bad = |reason: &str| {
                Error::corruption(path, self.layout().index.offset, reason.to_string())
            };
            if previous_separator
                .as_deref()
                .is_some_and(|p| compare_internal_keys(p, &separator) != Ordering::Less)
            {
                return Err(index_bad("index keys out of order"));
            }
            if handle.offset != expected_offset {
                return Err(index_bad("data blocks overlap or leave a gap"));
            }
            expected_offset = handle
                .end()
                .filter(|&e| e <= data_end)
                .ok_or_else(|| index_bad("block past the data region"))?;
            let block = read_block(self.file(), handle, data_end)?;
            tally.raw_data += block.len() as u64;
            tally.blocks += 1;
            let bad = |reason: String| Error::corruption(path, handle.offset, reason);
            let mut it = BlockIter::new(block, KeyOrder::Internal);
            it.seek_to_first()
                .map_err(|e| block_error(path, handle.offset, e))?;
            let mut first_in_block = true;
            while it.valid() {
                let key = it.key();
                let parsed = parse_internal_key(key).ok_or_else(|| {
                    bad(format!(
                        "entry at byte {} has an unknown kind",
                        it.entry_offset()
                    ))
                })?;
                if let Some(prev) = &last_key {
                    if compare_internal_keys(prev, key) != Ordering::Less {
                        return Err(bad(format!(
                            "entry at byte {} out of order",
                            it.entry_offset()
                        )));
                    }
                    if crate::key::user_key(prev) != parsed.user_key {
                        tally.distinct += 1;
                    }
                } else {
                    tally.distinct += 1;
                }
                if first_in_block
                    && previous_separator
                        .as_deref()
                        .is_some_and(|p| compare_internal_keys(p, key) != Ordering::Less)
                {
                    return Err(bad(
                        "first key not above the previous block's separator".into()
                    ));
                }
                if compare_internal_keys(key, &separator) == Ordering::Greater {
                    return Err(bad("key above its block's separator".into()));
                }
                if !self.may_contain(parsed.user_key) {
                    return Err(Error::corruption(
                        path,
                        handle.offset,
                        "bloom filter misses a key",
                    ));
                }
                tally.entries += 1;
                tally.deletions += u64::from(parsed.kind == ValueKind::Delete);
                tally.raw_keys += key.len() as u64;
                tally.raw_values += it.value().len() as u64;
                tally.smallest_seq = tally.smallest_seq.min(parsed.seq);
                tally.largest_seq = tally.largest_seq.max(parsed.seq);
                if first_key.is_none() {
                    first_key = Some(key.to_vec());
                }
                last_key = Some(key.to_vec());
                first_in_block = false;
                it.next().map_err(|e| block_error(path, handle.offset, e))?;
            }
            previous_separator = Some(separator);
            index.next().map_err(|e| self.index_error(e))?;
        }
        if expected_offset != data_end {
            return Err(Error::corruption(
                path,
                expected_offset,
                "data blocks end before the data region does",
            ));
        }
        self.check_tally(&tally, first_key.as_deref(), last_key.as_deref())?;
        Ok(tally.entries)
    }

    fn check_tally(&self, t: &Tally, first: Option<&[u8]>, last: Option<&[u8]>) -> Result<()> {
        let p = self.properties();
        let agree = t.entries == p.num_entries
            && t.deletions == p.num_deletions
            && t.distinct == p.num_distinct_keys
            && t.raw_keys == p.raw_key_bytes
            && t.raw_values == p.raw_value_bytes
            && t.raw_data == p.raw_data_bytes
            && t.blocks == p.num_data_blocks
            && t.smallest_seq == p.smallest_seq
            && t.largest_seq == p.largest_seq
            && first == Some(&p.smallest_key[..])
            && last == Some(&p.largest_key[..]);
        if agree {
            Ok(())
        } else {
            Err(Error::corruption(
                self.path(),
                self.layout().properties.offset,
                "properties disagree with the table's contents",
            ))
        }
    }
}
