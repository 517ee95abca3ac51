//! Shared pieces of the SST format: block handles, the block trailer, format constants, and the
//! checked read of one block (pread → CRC32C → decompress → restart-array validation).
//!
//! Every block on disk is `payload | tag: u8 | crc32c: u32 LE`, the CRC covering payload and
//! tag. The CRC is verified before anything in the block is interpreted. Stateless and
//! thread-safe; the full byte layout is in `docs/FORMAT.md (Part I)`.

use super::readahead::Readahead;
use std::path::Path;

use bytes::Bytes;

use crate::coding::{Decoder, get_u32_at, put_varint};
use crate::error::{Error, Result};
use crate::fs::RandomAccessFile;

use super::block::{Block, BlockCorruption};
use super::compress::{BlockTag, decompress};
use super::spare;

/// The format version this build writes, and the newest it reads.
///
/// Version 2 replaced the legacy bloom filter (`filter.bloom.xxh3`) with the blocked one
/// (`filter.bloom64.xxh3`); version 1 tables are still read.
pub const FORMAT_VERSION: u32 = 2;

/// The last 8 bytes of every SST: `b"STRATSST"` read as a little-endian u64.
pub const MAGIC: u64 = u64::from_le_bytes(*b"STRATSST");

/// Bytes after each block's payload: compression tag (1) + CRC32C (4).
pub const BLOCK_TRAILER_LEN: usize = 5;

/// Largest decompressed payload a compressed block may declare (the builder never compresses
/// larger blocks); bounds the allocation a decoder makes.
pub const MAX_BLOCK_LEN: usize = 256 << 20;

/// Where a block lies in the file: `offset` of its payload and the payload's `size` on disk
/// (the trailer follows). Encoded as two varints in index and meta-index values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockHandle {
    /// File offset of the payload.
    pub offset: u64,
    /// Payload bytes on disk (compressed size when compressed), trailer excluded.
    pub size: u64,
}

impl BlockHandle {
    /// Appends the varint encoding.
    pub(crate) fn encode_to(&self, buf: &mut Vec<u8>) {
        put_varint(buf, self.offset);
        put_varint(buf, self.size);
    }

    /// Decodes a value that must be exactly one handle.
    pub(crate) fn decode_exact(bytes: &[u8]) -> Option<BlockHandle> {
        let mut d = Decoder::new(bytes);
        let handle = BlockHandle {
            offset: d.varint()?,
            size: d.varint()?,
        };
        d.is_empty().then_some(handle)
    }

    /// The offset just past the block's trailer (checked).
    pub fn end(&self) -> Option<u64> {
        self.offset
            .checked_add(self.size)?
            .checked_add(BLOCK_TRAILER_LEN as u64)
    }
}

/// The trailer for `payload` stored with `tag`.
pub(crate) fn block_trailer(payload: &[u8], tag: BlockTag) -> [u8; BLOCK_TRAILER_LEN] {
    let crc = crc32c::crc32c_append(crc32c::crc32c(payload), &[tag as u8]);
    let c = crc.to_le_bytes();
    [tag as u8, c[0], c[1], c[2], c[3]]
}

/// Maps a block-level decoding error to `Error::Corruption` for the block at `block_offset`.
pub(crate) fn block_error(path: &Path, block_offset: u64, e: BlockCorruption) -> Error {
    Error::corruption(
        path,
        block_offset,
        format!(
            "{} (byte {} of the block's decompressed payload)",
            e.reason, e.offset
        ),
    )
}

/// Reads the block at `handle` and validates its restart array (see [`read_block_bytes`]).
pub(crate) fn read_block(
    file: &dyn RandomAccessFile,
    handle: BlockHandle,
    limit: u64,
) -> Result<Block> {
    read_block_ahead(file, handle, limit, None)
}

/// [`read_block`], its bytes read through a cursor's [`Readahead`] when given.
pub(crate) fn read_block_ahead(
    file: &dyn RandomAccessFile,
    handle: BlockHandle,
    limit: u64,
    ahead: Option<&mut Readahead>,
) -> Result<Block> {
    let data = read_block_bytes_ahead(file, handle, limit, ahead)?;
    Block::new(data).map_err(|e| block_error(file.path(), handle.offset, e))
}

/// Reads the block at `handle`, which must end by `limit` (the end of the region it belongs
/// to, checked here): verifies the CRC and returns the decompressed payload.
pub(crate) fn read_block_bytes(
    file: &dyn RandomAccessFile,
    handle: BlockHandle,
    limit: u64,
) -> Result<Bytes> {
    read_block_bytes_ahead(file, handle, limit, None)
}

fn read_block_bytes_ahead(
    file: &dyn RandomAccessFile,
    handle: BlockHandle,
    limit: u64,
    ahead: Option<&mut Readahead>,
) -> Result<Bytes> {
    let path = file.path();
    let bad = |reason: String| Error::corruption(path, handle.offset, reason);
    let in_bounds = handle.end().is_some_and(|end| end <= limit);
    let total = usize::try_from(handle.size)
        .ok()
        .and_then(|s| s.checked_add(BLOCK_TRAILER_LEN))
        .filter(|_| in_bounds)
        .ok_or_else(|| {
            bad(format!(
                "block handle {handle:?} outside its region (ends by {limit})"
            ))
        })?;
    let payload_len = total - BLOCK_TRAILER_LEN;
    // A cursor's readahead buffer may hold the block: checked and unpacked where it lies, so
    // a compressed block is decompressed straight from it and only a stored one is copied.
    if let Some(raw) = match ahead {
        Some(ahead) => ahead.fetch(file, handle.offset, total, limit)?,
        None => None,
    } {
        return match unpack(path, handle.offset, raw)? {
            Some(decompressed) => Ok(decompressed),
            None => {
                let mut buf = spare::take(payload_len);
                buf.copy_from_slice(raw.get(..payload_len).unwrap_or_default());
                Ok(buf.freeze())
            }
        };
    }
    // The spare of a block the cache evicted on this thread, if any: no zeroing, no `malloc`.
    let mut buf = spare::take(total);
    file.read_exact_at(&mut buf, handle.offset)?;
    match unpack(path, handle.offset, &buf)? {
        Some(decompressed) => {
            spare::give(buf.freeze());
            Ok(decompressed)
        }
        None => {
            buf.truncate(payload_len);
            Ok(buf.freeze())
        }
    }
}

/// Checks the trailer of `raw` (a block's payload and trailer, read from file offset
/// `offset`): the CRC, then the compression tag. `Ok(None)` when the payload is stored as is
/// (it is `raw` without the trailer), `Ok(Some(payload))` when it was decompressed.
fn unpack(path: &Path, offset: u64, raw: &[u8]) -> Result<Option<Bytes>> {
    let bad = |reason: String| Error::corruption(path, offset, reason);
    let payload_len = raw.len().saturating_sub(BLOCK_TRAILER_LEN);
    let stored = get_u32_at(raw, payload_len + 1).unwrap_or_default();
    let actual = crc32c::crc32c(raw.get(..=payload_len).unwrap_or_default());
    if stored != actual {
        return Err(bad(format!(
            "block checksum mismatch: stored {stored:#010x}, computed {actual:#010x}"
        )));
    }
    let tag = raw.get(payload_len).copied().unwrap_or_default();
    match BlockTag::from_u8(tag) {
        Some(BlockTag::None) => Ok(None),
        Some(tag) => {
            let payload = raw.get(..payload_len).unwrap_or_default();
            let decompressed =
                decompress(tag, payload).map_err(|e| block_error(path, offset, e))?;
            Ok(Some(Bytes::from(decompressed)))
        }
        None => Err(bad(format!("unknown block compression tag {tag}"))),
    }
}
