//! The fixed-size footer at the end of every SST.
//!
//! ```text
//! offset  size  field
//!      0     8  meta-index handle: offset (u64 LE)
//!      8     8  meta-index handle: size   (u64 LE)
//!     16     8  index handle: offset      (u64 LE)
//!     24     8  index handle: size        (u64 LE)
//!     32     4  crc32c (u32 LE) of bytes 0..32 followed by bytes 36..48
//!     36     4  format version (u32 LE)
//!     40     8  magic (u64 LE) = b"STRATSST"
//! ```
//!
//! The footer's size and layout are frozen for every format version (later versions add
//! sections through the meta-index), so a reader can always check the magic, then the CRC, then
//! the version. Stateless.

use std::path::Path;

use crate::coding::{get_u32_at, get_u64_at, put_u32, put_u64};
use crate::error::{Error, Result};

use super::format::{BlockHandle, FORMAT_VERSION, MAGIC};

/// Bytes of the footer.
pub const FOOTER_LEN: usize = 48;

/// The decoded footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// The meta-index block.
    pub meta_index: BlockHandle,
    /// The index block.
    pub index: BlockHandle,
    /// The table's format version.
    pub version: u32,
}

fn footer_crc(bytes: &[u8; FOOTER_LEN]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&bytes[..32]), &bytes[36..])
}

impl Footer {
    /// The footer bytes of a table of format `version` (the builder writes [`FORMAT_VERSION`];
    /// tests also write 1).
    pub(crate) fn encode(
        meta_index: BlockHandle,
        index: BlockHandle,
        version: u32,
    ) -> [u8; FOOTER_LEN] {
        debug_assert!((1..=FORMAT_VERSION).contains(&version));
        let mut v = Vec::with_capacity(FOOTER_LEN);
        put_u64(&mut v, meta_index.offset);
        put_u64(&mut v, meta_index.size);
        put_u64(&mut v, index.offset);
        put_u64(&mut v, index.size);
        put_u32(&mut v, 0);
        put_u32(&mut v, version);
        put_u64(&mut v, MAGIC);
        let mut out = [0u8; FOOTER_LEN];
        out.copy_from_slice(&v);
        let crc = footer_crc(&out).to_le_bytes();
        out[32..36].copy_from_slice(&crc);
        out
    }

    /// Decodes the footer found at `offset` of `path`: magic, then CRC, then version.
    ///
    /// # Errors
    /// `Corruption` for a wrong magic or CRC or version 0; `UnsupportedFormat` for a version
    /// newer than this build reads.
    pub(crate) fn decode(bytes: &[u8; FOOTER_LEN], path: &Path, offset: u64) -> Result<Footer> {
        let field = |at: usize| get_u64_at(bytes, at).unwrap_or_default();
        let magic = field(40);
        if magic != MAGIC {
            return Err(Error::corruption(
                path,
                offset,
                format!("bad magic {magic:#018x}"),
            ));
        }
        let stored = get_u32_at(bytes, 32).unwrap_or_default();
        if stored != footer_crc(bytes) {
            return Err(Error::corruption(path, offset, "footer checksum mismatch"));
        }
        let version = get_u32_at(bytes, 36).unwrap_or_default();
        if version == 0 {
            return Err(Error::corruption(path, offset, "format version 0"));
        }
        if version > FORMAT_VERSION {
            return Err(Error::UnsupportedFormat {
                file: path.to_path_buf(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        Ok(Footer {
            meta_index: BlockHandle {
                offset: field(0),
                size: field(8),
            },
            index: BlockHandle {
                offset: field(16),
                size: field(24),
            },
            version,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_flip_is_caught() {
        let m = BlockHandle {
            offset: 1000,
            size: 40,
        };
        let i = BlockHandle {
            offset: 900,
            size: 95,
        };
        let bytes = Footer::encode(m, i, FORMAT_VERSION);
        let p = Path::new("t.sst");
        let f = Footer::decode(&bytes, p, 7).unwrap();
        assert_eq!((f.meta_index, f.index, f.version), (m, i, FORMAT_VERSION));
        assert_eq!(&bytes[40..], b"STRATSST");
        for at in 0..FOOTER_LEN {
            for mask in [1u8, 0x80, 0xFF] {
                let mut b = bytes;
                b[at] ^= mask;
                let e = Footer::decode(&b, p, 7).unwrap_err();
                assert!(
                    matches!(e, Error::Corruption { offset: 7, .. }),
                    "{at}: {e}"
                );
            }
        }
    }

    #[test]
    fn newer_version_is_unsupported() {
        let mut b = Footer::encode(
            BlockHandle::default(),
            BlockHandle::default(),
            FORMAT_VERSION,
        );
        b[36..40].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        let crc = footer_crc(&b).to_le_bytes();
        b[32..36].copy_from_slice(&crc);
        let e = Footer::decode(&b, Path::new("t"), 0).unwrap_err();
        assert!(matches!(
            e,
            Error::UnsupportedFormat {
                found: 3,
                supported: 2,
                ..
            }
        ));
    }
}
