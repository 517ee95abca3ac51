//! Sorted string tables (SSTs): immutable files of internal entries in key order.
//!
//! ```text
//! +--------------+-----+--------------+--------+------------+-------+------------+--------+
//! | data block 0 | ... | data block n | filter | properties | index | meta-index | footer |
//! +--------------+-----+--------------+--------+------------+-------+------------+--------+
//!   every block: payload | compression tag u8 | crc32c u32 (payload + tag)
//!   footer (48 bytes): meta-index handle | index handle | crc32c | version u32 | magic u64
//! ```
//!
//! - [`TableBuilder`] streams entries into a new file (one block + index + filter in memory);
//! - [`Table`] is an open file: footer, index, filter and properties in memory, data blocks
//!   read with positioned reads and shared through the block cache ([`crate::cache`]);
//! - [`TableIterator`] walks a table forward and backward, holding one data block.
//!
//! The byte layout is documented in `docs/FORMAT.md (Part I)` and at the top of each encoder.
//! Invariants: every byte of a table lies under a CRC32C or a structural check (sections tile
//! the file exactly), so truncation or any flipped byte surfaces as `Error::Corruption`, never
//! a panic or a wrong answer. Tables are immutable once finished and `Send + Sync`.

// Inspection items (layout, properties, verify, stats) wait for the CLI's inspect/verify and
// the db's stats; narrow or drop this once they are wired.
#![allow(dead_code, unused_imports)]

// `pub(crate)` only so that `crate::fuzzing` can reach the block codec.
pub(crate) mod block;
mod builder;
pub(crate) mod compress;
mod filter;
mod footer;
pub(crate) mod format;
mod index_prefix;
mod iter;
mod properties;
pub(crate) mod readahead;
mod reader;
pub(crate) mod spare;
mod verify;

#[cfg(test)]
mod test_util;
#[cfg(test)]
mod tests;

pub(crate) use block::Block;
pub use builder::TableBuilder;
pub use compress::BlockTag;
pub(crate) use compress::decompress;
pub use footer::{FOOTER_LEN, Footer};
pub use format::{BLOCK_TRAILER_LEN, BlockHandle, FORMAT_VERSION, MAGIC};
pub use iter::TableIterator;
pub use properties::Properties;
pub(crate) use reader::GetTrace;
pub use reader::{Table, TableLayout};

use bytes::Bytes;

use crate::key::SeqNum;
use crate::options::{Compression, Options};

/// Meta-index name of the blocked (cache-local) bloom filter block of format version 2 tables
/// (names the hash: XXH3-64, unseeded; "64": all probes of a key in one 64-byte block).
pub const FILTER_BLOCK_NAME: &str = "filter.bloom64.xxh3";
/// Meta-index name of the legacy bloom filter block of format version 1 tables (read, not
/// written).
pub const LEGACY_FILTER_BLOCK_NAME: &str = "filter.bloom.xxh3";
/// Meta-index name of the properties block.
pub const PROPERTIES_BLOCK_NAME: &str = "properties";
/// Meta-index name reserved for a future range-tombstone block (which will come with a new
/// format version). A version-1 or -2 table naming it is refused as corrupt.
pub const RANGE_DEL_BLOCK_NAME: &str = "range-del";

/// How a [`TableBuilder`] lays out a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableBuilderOptions {
    /// Target uncompressed size of a data block (clamped to 1..=128 MiB).
    pub block_size: usize,
    /// A full key every this many entries of a data block (>= 1).
    pub restart_interval: usize,
    /// Bloom filter bits per distinct user key; 0 writes no filter.
    pub bloom_bits_per_key: usize,
    /// Compression of data blocks.
    pub compression: Compression,
}

impl TableBuilderOptions {
    /// The table options of the database options.
    pub fn from_options(o: &Options) -> Self {
        TableBuilderOptions {
            block_size: o.block_size,
            restart_interval: o.block_restart_interval,
            bloom_bits_per_key: o.bloom_bits_per_key,
            compression: o.compression,
        }
    }
}

impl Default for TableBuilderOptions {
    fn default() -> Self {
        TableBuilderOptions::from_options(&Options::default())
    }
}

/// What [`TableBuilder::finish`] reports about the table it wrote (the version's `FileMeta`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    /// File size in bytes.
    pub size: u64,
    /// Smallest encoded internal key.
    pub smallest: Bytes,
    /// Largest encoded internal key.
    pub largest: Bytes,
    /// Smallest seq of any entry.
    pub smallest_seq: SeqNum,
    /// Largest seq of any entry.
    pub largest_seq: SeqNum,
    /// Entries written.
    pub num_entries: u64,
    /// Tombstones written.
    pub num_deletions: u64,
}
