//! Table properties: counts, sizes, key and seq ranges, the options a table was built with.
//!
//! Stored as a block (layout in [`super::block`], bytewise key order, restart interval 1)
//! mapping property names to values: unsigned integers as varints, keys as raw bytes. Readers
//! ignore names they do not know (later versions may add some) and reject a table missing a
//! required one. Names are listed in [`names`]; on disk: never rename.
//!
//! Immutable once built; shared read-only by every reader of the table.

use bytes::Bytes;

use crate::coding::{Decoder, put_varint};
use crate::key::{SeqNum, parse_internal_key};
use crate::options::Compression;

use super::block::{Block, BlockBuilder, BlockIter, KeyOrder};
use super::compress::{compression_from_tag, compression_tag};

/// Property names. On disk: never rename.
pub mod names {
    /// Block size option the table was built with (varint).
    pub const BLOCK_SIZE: &str = "strata.block_size";
    /// Bloom bits per key (0 = no filter) (varint).
    pub const BLOOM_BITS_PER_KEY: &str = "strata.bloom_bits_per_key";
    /// Compression option (block tag number) (varint).
    pub const COMPRESSION: &str = "strata.compression";
    /// Data blocks (varint).
    pub const DATA_BLOCKS: &str = "strata.data_blocks";
    /// Bytes of the data region on disk, trailers included (varint).
    pub const DATA_BYTES: &str = "strata.data_bytes";
    /// Tombstones (varint).
    pub const DELETIONS: &str = "strata.deletions";
    /// Distinct user keys (varint).
    pub const DISTINCT_KEYS: &str = "strata.distinct_keys";
    /// Entries (varint).
    pub const ENTRIES: &str = "strata.entries";
    /// Format version (varint).
    pub const FORMAT_VERSION: &str = "strata.format_version";
    /// Largest encoded internal key (bytes).
    pub const LARGEST_KEY: &str = "strata.largest_key";
    /// Largest seq (varint).
    pub const LARGEST_SEQ: &str = "strata.largest_seq";
    /// Sum of uncompressed data-block payloads (varint).
    pub const RAW_DATA_BYTES: &str = "strata.raw_data_bytes";
    /// Sum of encoded internal key lengths (varint).
    pub const RAW_KEY_BYTES: &str = "strata.raw_key_bytes";
    /// Sum of value lengths (varint).
    pub const RAW_VALUE_BYTES: &str = "strata.raw_value_bytes";
    /// Restart interval of data blocks (varint).
    pub const RESTART_INTERVAL: &str = "strata.restart_interval";
    /// Smallest encoded internal key (bytes).
    pub const SMALLEST_KEY: &str = "strata.smallest_key";
    /// Smallest seq (varint).
    pub const SMALLEST_SEQ: &str = "strata.smallest_seq";
}

/// What a table holds and how it was built (all counts are exact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Properties {
    /// The table's format version.
    pub format_version: u32,
    /// Entries (every version of every key, tombstones included).
    pub num_entries: u64,
    /// Tombstones among the entries.
    pub num_deletions: u64,
    /// Distinct user keys (what the bloom filter holds).
    pub num_distinct_keys: u64,
    /// Sum of the encoded internal keys' lengths.
    pub raw_key_bytes: u64,
    /// Sum of the values' lengths.
    pub raw_value_bytes: u64,
    /// Number of data blocks.
    pub num_data_blocks: u64,
    /// Bytes of data blocks on disk, trailers included (the data region `[0, data_bytes)`).
    pub data_bytes: u64,
    /// Sum of the data blocks' uncompressed payloads.
    pub raw_data_bytes: u64,
    /// Smallest encoded internal key.
    pub smallest_key: Bytes,
    /// Largest encoded internal key.
    pub largest_key: Bytes,
    /// Smallest seq of any entry.
    pub smallest_seq: SeqNum,
    /// Largest seq of any entry.
    pub largest_seq: SeqNum,
    /// The compression option data blocks were written with (a block may still be raw).
    pub compression: Compression,
    /// The block size option.
    pub block_size: u64,
    /// The restart interval of data blocks.
    pub restart_interval: u64,
    /// Bloom bits per key (0: no filter).
    pub bloom_bits_per_key: u64,
}

impl Properties {
    /// The properties block payload.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let int = |v: u64| {
            let mut b = Vec::with_capacity(10);
            put_varint(&mut b, v);
            b
        };
        let mut pairs: Vec<(&str, Vec<u8>)> = vec![
            (names::BLOCK_SIZE, int(self.block_size)),
            (names::BLOOM_BITS_PER_KEY, int(self.bloom_bits_per_key)),
            (
                names::COMPRESSION,
                int(u64::from(compression_tag(self.compression))),
            ),
            (names::DATA_BLOCKS, int(self.num_data_blocks)),
            (names::DATA_BYTES, int(self.data_bytes)),
            (names::DELETIONS, int(self.num_deletions)),
            (names::DISTINCT_KEYS, int(self.num_distinct_keys)),
            (names::ENTRIES, int(self.num_entries)),
            (names::FORMAT_VERSION, int(u64::from(self.format_version))),
            (names::LARGEST_KEY, self.largest_key.to_vec()),
            (names::LARGEST_SEQ, int(self.largest_seq)),
            (names::RAW_DATA_BYTES, int(self.raw_data_bytes)),
            (names::RAW_KEY_BYTES, int(self.raw_key_bytes)),
            (names::RAW_VALUE_BYTES, int(self.raw_value_bytes)),
            (names::RESTART_INTERVAL, int(self.restart_interval)),
            (names::SMALLEST_KEY, self.smallest_key.to_vec()),
            (names::SMALLEST_SEQ, int(self.smallest_seq)),
        ];
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        let mut block = BlockBuilder::new(1, KeyOrder::Bytewise);
        for (name, value) in &pairs {
            block.add(name.as_bytes(), value);
        }
        block.finish().to_vec()
    }

    /// Decodes and sanity-checks a properties block; `Err` names what is wrong.
    pub(crate) fn decode(block: Block) -> Result<Properties, String> {
        let mut p = Properties {
            format_version: 0,
            num_entries: 0,
            num_deletions: 0,
            num_distinct_keys: 0,
            raw_key_bytes: 0,
            raw_value_bytes: 0,
            num_data_blocks: 0,
            data_bytes: 0,
            raw_data_bytes: 0,
            smallest_key: Bytes::new(),
            largest_key: Bytes::new(),
            smallest_seq: 0,
            largest_seq: 0,
            compression: Compression::None,
            block_size: 0,
            restart_interval: 0,
            bloom_bits_per_key: 0,
        };
        let mut seen: Vec<&'static str> = Vec::new();
        let mut it = BlockIter::new(block, KeyOrder::Bytewise);
        let mut previous: Option<Vec<u8>> = None;
        it.seek_to_first()
            .map_err(|e| format!("properties: {}", e.reason))?;
        while it.valid() {
            let name = it.key();
            if previous.as_deref().is_some_and(|p| p >= name) {
                return Err("properties: names out of order".into());
            }
            previous = Some(name.to_vec());
            let value = it.value();
            if let Some(known) = p.apply(name, value)? {
                seen.push(known);
            }
            it.next().map_err(|e| format!("properties: {}", e.reason))?;
        }
        for required in REQUIRED {
            if !seen.contains(required) {
                return Err(format!("properties: missing {required}"));
            }
        }
        p.check()?;
        Ok(p)
    }

    /// Stores one named value; returns the name if it is known.
    fn apply(&mut self, name: &[u8], value: &[u8]) -> Result<Option<&'static str>, String> {
        let Some(&known) = REQUIRED.iter().find(|n| n.as_bytes() == name) else {
            return Ok(None);
        };
        let int = || -> Result<u64, String> {
            let mut d = Decoder::new(value);
            match d.varint() {
                Some(v) if d.is_empty() => Ok(v),
                _ => Err(format!("properties: {known} is not a varint")),
            }
        };
        match known {
            names::BLOCK_SIZE => self.block_size = int()?,
            names::BLOOM_BITS_PER_KEY => self.bloom_bits_per_key = int()?,
            names::COMPRESSION => {
                self.compression = compression_from_tag(int()?)
                    .ok_or_else(|| "properties: unknown compression".to_string())?;
            }
            names::DATA_BLOCKS => self.num_data_blocks = int()?,
            names::DATA_BYTES => self.data_bytes = int()?,
            names::DELETIONS => self.num_deletions = int()?,
            names::DISTINCT_KEYS => self.num_distinct_keys = int()?,
            names::ENTRIES => self.num_entries = int()?,
            names::FORMAT_VERSION => {
                self.format_version = u32::try_from(int()?)
                    .map_err(|_| "properties: format version overflows u32".to_string())?;
            }
            names::LARGEST_KEY => self.largest_key = Bytes::copy_from_slice(value),
            names::LARGEST_SEQ => self.largest_seq = int()?,
            names::RAW_DATA_BYTES => self.raw_data_bytes = int()?,
            names::RAW_KEY_BYTES => self.raw_key_bytes = int()?,
            names::RAW_VALUE_BYTES => self.raw_value_bytes = int()?,
            names::RESTART_INTERVAL => self.restart_interval = int()?,
            names::SMALLEST_KEY => self.smallest_key = Bytes::copy_from_slice(value),
            names::SMALLEST_SEQ => self.smallest_seq = int()?,
            _ => return Ok(None),
        }
        Ok(Some(known))
    }

    /// Relations every table satisfies.
    fn check(&self) -> Result<(), String> {
        let smallest = parse_internal_key(&self.smallest_key)
            .ok_or("properties: smallest key is not an internal key")?;
        let largest = parse_internal_key(&self.largest_key)
            .ok_or("properties: largest key is not an internal key")?;
        let ok = self.num_entries > 0
            && self.num_deletions <= self.num_entries
            && self.num_distinct_keys >= 1
            && self.num_distinct_keys <= self.num_entries
            && self.num_data_blocks >= 1
            && self.num_data_blocks <= self.num_entries
            && self.smallest_seq <= self.largest_seq
            && smallest.seq >= self.smallest_seq
            && smallest.seq <= self.largest_seq
            && largest.seq >= self.smallest_seq
            && largest.seq <= self.largest_seq
            && crate::key::compare_internal_keys(&self.smallest_key, &self.largest_key)
                != std::cmp::Ordering::Greater;
        if ok {
            Ok(())
        } else {
            Err("properties: inconsistent counts or ranges".into())
        }
    }
}

/// Every property this version writes; all are required when reading.
const REQUIRED: &[&str] = &[
    names::BLOCK_SIZE,
    names::BLOOM_BITS_PER_KEY,
    names::COMPRESSION,
    names::DATA_BLOCKS,
    names::DATA_BYTES,
    names::DELETIONS,
    names::DISTINCT_KEYS,
    names::ENTRIES,
    names::FORMAT_VERSION,
    names::LARGEST_KEY,
    names::LARGEST_SEQ,
    names::RAW_DATA_BYTES,
    names::RAW_KEY_BYTES,
    names::RAW_VALUE_BYTES,
    names::RESTART_INTERVAL,
    names::SMALLEST_KEY,
    names::SMALLEST_SEQ,
];
