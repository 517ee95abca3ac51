//! Per-block compression: the on-disk tags and the codecs.
//!
//! A compressed payload is `raw_len: varint | codec stream`; `raw_len` is checked against
//! [`MAX_BLOCK_LEN`] before anything is allocated and must equal the decompressed length. A
//! block is stored compressed only if that saves at least 1/8 of its raw size.
//!
//! Threading: a [`BlockCompressor`] belongs to one table builder; [`decompress`] may run on any
//! thread (Zstd keeps one decompression context per thread).

use std::cell::RefCell;

use crate::coding::{Decoder, put_varint};
use crate::options::Compression;

use super::block::{BlockResult, corrupt};
use super::format::MAX_BLOCK_LEN;

/// The compression tag in a block trailer. On disk: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum BlockTag {
    /// Stored raw.
    None = 0,
    /// LZ4 block format (`lz4_flex::block`), after a varint raw length.
    Lz4 = 1,
    /// A Zstd frame, after a varint raw length.
    Zstd = 2,
}

impl BlockTag {
    /// Decodes a tag byte; `None` for unknown values.
    pub fn from_u8(byte: u8) -> Option<BlockTag> {
        match byte {
            0 => Some(BlockTag::None),
            1 => Some(BlockTag::Lz4),
            2 => Some(BlockTag::Zstd),
            _ => None,
        }
    }
}

/// The tag recorded in properties for a table's compression option. On disk: never renumber.
pub(crate) fn compression_tag(c: Compression) -> u8 {
    match c {
        Compression::None => BlockTag::None as u8,
        Compression::Lz4 => BlockTag::Lz4 as u8,
        Compression::Zstd => BlockTag::Zstd as u8,
    }
}

/// Inverse of [`compression_tag`].
pub(crate) fn compression_from_tag(tag: u64) -> Option<Compression> {
    match u8::try_from(tag).ok().and_then(BlockTag::from_u8)? {
        BlockTag::None => Some(Compression::None),
        BlockTag::Lz4 => Some(Compression::Lz4),
        BlockTag::Zstd => Some(Compression::Zstd),
    }
}

/// Zstd level used for new blocks.
const ZSTD_LEVEL: i32 = 3;

/// Compresses blocks for one table builder, reusing its buffers and Zstd context.
pub(crate) struct BlockCompressor {
    kind: Compression,
    zstd: Option<zstd::bulk::Compressor<'static>>,
    buf: Vec<u8>,
    /// Zstd writes from the start of its output buffer, so it gets its own.
    zstd_buf: Vec<u8>,
}

impl BlockCompressor {
    /// A compressor for `kind`.
    pub(crate) fn new(kind: Compression) -> BlockCompressor {
        BlockCompressor {
            kind,
            zstd: None,
            buf: Vec::new(),
            zstd_buf: Vec::new(),
        }
    }

    /// Returns the bytes to store and their tag: the compressed form if it saves >= 1/8,
    /// else `raw` itself.
    pub(crate) fn compress<'a>(&'a mut self, raw: &'a [u8]) -> (&'a [u8], BlockTag) {
        if self.kind == Compression::None || raw.len() > MAX_BLOCK_LEN {
            return (raw, BlockTag::None);
        }
        self.buf.clear();
        put_varint(&mut self.buf, raw.len() as u64);
        let header = self.buf.len();
        let tag = match self.kind {
            Compression::Lz4 => {
                self.buf.resize(
                    header + lz4_flex::block::get_maximum_output_size(raw.len()),
                    0,
                );
                match lz4_flex::block::compress_into(raw, &mut self.buf[header..]) {
                    Ok(n) => {
                        self.buf.truncate(header + n);
                        BlockTag::Lz4
                    }
                    Err(_) => return (raw, BlockTag::None),
                }
            }
            Compression::Zstd => {
                if self.zstd.is_none() {
                    self.zstd = zstd::bulk::Compressor::new(ZSTD_LEVEL).ok();
                }
                let Some(z) = self.zstd.as_mut() else {
                    return (raw, BlockTag::None);
                };
                self.zstd_buf.clear();
                self.zstd_buf
                    .reserve(zstd::zstd_safe::compress_bound(raw.len()));
                if z.compress_to_buffer(raw, &mut self.zstd_buf).is_err() {
                    return (raw, BlockTag::None);
                }
                self.buf.extend_from_slice(&self.zstd_buf);
                BlockTag::Zstd
            }
            Compression::None => return (raw, BlockTag::None),
        };
        if self.buf.len() <= raw.len() - raw.len() / 8 {
            (&self.buf, tag)
        } else {
            (raw, BlockTag::None)
        }
    }
}

thread_local! {
    static ZSTD_DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// Decompresses a payload stored with `tag` (not `None`).
pub(crate) fn decompress(tag: BlockTag, payload: &[u8]) -> BlockResult<Vec<u8>> {
    if tag == BlockTag::None {
        return Ok(payload.to_vec());
    }
    let mut d = Decoder::new(payload);
    let Some(raw_len) = d.varint_usize(MAX_BLOCK_LEN) else {
        return corrupt(0, "bad or oversized decompressed length");
    };
    let stream = payload.get(d.position()..).unwrap_or_default();
    match tag {
        BlockTag::None => Ok(payload.to_vec()), // handled above
        BlockTag::Lz4 => {
            let mut out = vec![0u8; raw_len];
            match lz4_flex::block::decompress_into(stream, &mut out) {
                Ok(n) if n == raw_len => Ok(out),
                _ => corrupt(0, "lz4 stream does not decode to its declared length"),
            }
        }
        BlockTag::Zstd => ZSTD_DECOMPRESSOR.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                *slot = zstd::bulk::Decompressor::new().ok();
            }
            let Some(z) = slot.as_mut() else {
                return corrupt(0, "cannot create a zstd decompression context");
            };
            let mut out = Vec::with_capacity(raw_len);
            match z.decompress_to_buffer(stream, &mut out) {
                Ok(n) if n == raw_len && out.len() == raw_len => Ok(out),
                _ => corrupt(0, "zstd stream does not decode to its declared length"),
            }
        }),
    }
}
