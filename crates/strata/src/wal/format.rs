//! The log's byte layout: the file header, the fragment headers of v2 and legacy v1, fragment
//! types and the masked CRC32C.
//!
//! Version 2 (written by [`super::LogWriter`]; docs/FORMAT.md, Part II §1):
//!
//! ```text
//! file header (12 bytes, at offset 0 of block 0):
//! +--------+-------+----------------+---------------------------------+
//! | "SLOG" | ff ff | version u16 =2 | masked crc32c(bytes 0..8) u32   |
//! +--------+-------+----------------+---------------------------------+
//!
//! fragment (12 bytes of framing + payload):
//! +-----------------+------------+---------+-----------------+-----------------+----------+
//! | payload_crc u32 | length u16 | type u8 | header_crc u32  | payload[length] | end 0xA5 |
//! +-----------------+------------+---------+-----------------+-----------------+----------+
//!   payload_crc = mask(crc32c(type ++ payload)); header_crc = mask(crc32c(the 7 bytes before))
//! ```
//!
//! Legacy version 1 (read only): no file header; a fragment is `crc u32 | length u16 | type u8 |
//! payload`, crc = mask(crc32c(type ++ payload)).
//!
//! Pure functions, no I/O; shared by [`super::LogWriter`] and [`super::LogReader`].
//!
//! Invariants:
//! - A valid fragment header is never all zeros: every written type is non-zero, and in v2 the
//!   header CRC of seven zero bytes is not zero either. That is what lets the reader treat zeros
//!   as preallocated or unwritten space.
//! - A v2 fragment's last byte is [`END_BYTE`], never 0: a write cut short and filled with zeros
//!   leaves it 0, and no single bit flip turns `0xA5` into `0x00`.
//! - A v1 reader (an older binary) reads the v2 file header's bytes 4..6 as a fragment length
//!   of 0xffff, which no block can hold, so it refuses a v2 log as corruption.

/// Size of a log block. Fragments never straddle a block boundary.
pub const BLOCK_SIZE: usize = 32 * 1024;

/// Bytes of a v2 fragment header: payload CRC (4) + length (2) + type (1) + header CRC (4).
pub const HEADER_SIZE: usize = 4 + 2 + 1 + 4;

/// Framing bytes of a v2 fragment: the header plus the end byte.
pub const FRAGMENT_OVERHEAD: usize = HEADER_SIZE + 1;

/// The last byte of every v2 fragment.
pub const END_BYTE: u8 = 0xa5;

/// Bytes of a legacy v1 fragment header: CRC (4) + length (2) + type (1).
pub const V1_HEADER_SIZE: usize = 4 + 2 + 1;

/// Bytes of the v2 file header at offset 0.
pub const FILE_HEADER_SIZE: usize = 12;

/// The file header's magic, then the two bytes a v1 reader takes for an impossible length.
const FILE_MAGIC: [u8; 6] = *b"SLOG\xff\xff";

/// The log format version this code writes.
pub const LOG_VERSION: u16 = 2;

/// Added to the rotated CRC by [`mask_crc`] (LevelDB's constant).
const MASK_DELTA: u32 = 0xa282_ead8;

/// The type byte of a fragment. On disk: never renumber; retired numbers stay reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FragmentType {
    // 0: reserved for zeroed (preallocated, never written) space; never written.
    /// A whole record in one fragment.
    Full = 1,
    /// The first fragment of a record that continues in the next block.
    First = 2,
    /// A fragment that neither starts nor ends its record.
    Middle = 3,
    /// The fragment that ends a record.
    Last = 4,
    // 5..=8: reserved for "recyclable" variants carrying the log number (RocksDB style).
}

impl FragmentType {
    /// Decodes a type byte; `None` for 0, reserved and unknown numbers.
    pub fn from_u8(byte: u8) -> Option<FragmentType> {
        match byte {
            1 => Some(FragmentType::Full),
            2 => Some(FragmentType::First),
            3 => Some(FragmentType::Middle),
            4 => Some(FragmentType::Last),
            _ => None,
        }
    }
}

/// Masks a CRC (rotate right by 15, add a constant) so that a CRC computed over data that itself
/// contains CRCs stays strong. This is LevelDB's `crc32c::Mask`.
#[inline]
pub fn mask_crc(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Inverse of [`mask_crc`].
#[inline]
pub fn unmask_crc(masked: u32) -> u32 {
    masked.wrapping_sub(MASK_DELTA).rotate_left(15)
}

/// The stored (masked) payload checksum of a fragment: CRC32C over the type byte, then the
/// payload (the same in v1 and v2).
#[inline]
pub fn fragment_crc(kind: u8, payload: &[u8]) -> u32 {
    mask_crc(crc32c::crc32c_append(crc32c::crc32c(&[kind]), payload))
}

/// The stored (masked) v2 header checksum over the header's first seven bytes.
#[inline]
pub fn header_crc(first_seven: &[u8]) -> u32 {
    mask_crc(crc32c::crc32c(first_seven))
}

/// The v2 file header.
pub fn file_header() -> [u8; FILE_HEADER_SIZE] {
    let mut h = [0u8; FILE_HEADER_SIZE];
    h[..6].copy_from_slice(&FILE_MAGIC);
    h[6..8].copy_from_slice(&LOG_VERSION.to_le_bytes());
    let crc = mask_crc(crc32c::crc32c(&h[..8])).to_le_bytes();
    h[8..].copy_from_slice(&crc);
    h
}

/// How a log's first bytes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStart {
    /// A valid v2 file header: fragments start at [`FILE_HEADER_SIZE`].
    V2,
    /// No v2 magic: a legacy v1 log (fragments start at 0).
    V1,
    /// A prefix of the v2 file header followed only by zeros (or nothing): a log torn before
    /// its header was complete, which holds no record.
    TornHeader,
    /// The v2 magic with a bad header CRC or an unknown version.
    BadHeader,
}

/// Classifies a log by its first bytes: `start` is the file's first block (or all of the file
/// if shorter); `rest_is_zero` tells whether every byte of the file after `start` is zero.
pub fn classify_file_start(start: &[u8], rest_is_zero: bool) -> FileStart {
    let expected = file_header();
    let matching = start
        .iter()
        .zip(expected.iter())
        .take_while(|(a, b)| a == b)
        .count();
    if matching == FILE_HEADER_SIZE {
        return FileStart::V2;
    }
    let after = start.get(matching..).unwrap_or_default();
    if after.iter().all(|&b| b == 0) && rest_is_zero {
        return FileStart::TornHeader;
    }
    if start.get(..FILE_MAGIC.len()) == Some(&FILE_MAGIC[..]) {
        FileStart::BadHeader
    } else {
        FileStart::V1
    }
}

/// Encodes a v2 fragment header.
#[inline]
pub fn encode_header(kind: FragmentType, payload: &[u8]) -> [u8; HEADER_SIZE] {
    debug_assert!(payload.len() <= usize::from(u16::MAX));
    let crc = fragment_crc(kind as u8, payload).to_le_bytes();
    let len = (payload.len() as u16).to_le_bytes();
    let first = [crc[0], crc[1], crc[2], crc[3], len[0], len[1], kind as u8];
    let h = header_crc(&first).to_le_bytes();
    [
        first[0], first[1], first[2], first[3], first[4], first[5], first[6], h[0], h[1], h[2],
        h[3],
    ]
}

/// A fragment header's fields as stored (nothing validated here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawHeader {
    /// The masked payload CRC.
    pub crc: u32,
    /// The payload length.
    pub length: u16,
    /// The type byte.
    pub kind: u8,
    /// v2 only: whether the stored header CRC matches the first seven bytes.
    pub header_ok: bool,
}

impl RawHeader {
    /// Reads a v1 header from exactly [`V1_HEADER_SIZE`] bytes.
    #[inline]
    pub fn decode_v1(bytes: &[u8; V1_HEADER_SIZE]) -> RawHeader {
        let [c0, c1, c2, c3, l0, l1, kind] = *bytes;
        RawHeader {
            crc: u32::from_le_bytes([c0, c1, c2, c3]),
            length: u16::from_le_bytes([l0, l1]),
            kind,
            header_ok: true,
        }
    }

    /// Reads a v2 header from exactly [`HEADER_SIZE`] bytes, checking its header CRC.
    #[inline]
    pub fn decode_v2(bytes: &[u8; HEADER_SIZE]) -> RawHeader {
        let [c0, c1, c2, c3, l0, l1, kind, h0, h1, h2, h3] = *bytes;
        let stored = u32::from_le_bytes([h0, h1, h2, h3]);
        RawHeader {
            crc: u32::from_le_bytes([c0, c1, c2, c3]),
            length: u16::from_le_bytes([l0, l1]),
            kind,
            header_ok: header_crc(&[c0, c1, c2, c3, l0, l1, kind]) == stored,
        }
    }

    /// True for a v1 header of seven zero bytes (unwritten or preallocated space).
    #[inline]
    pub fn is_zero(&self) -> bool {
        self.crc == 0 && self.length == 0 && self.kind == 0
    }
}

// A block must hold a fragment with at least one payload byte (block 0 also the file header),
// and a fragment's length must fit the u16 length field.
const _: () = assert!(BLOCK_SIZE > FILE_HEADER_SIZE + FRAGMENT_OVERHEAD);
const _: () = assert!(BLOCK_SIZE - V1_HEADER_SIZE <= u16::MAX as usize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_round_trips_and_changes_value() {
        for crc in [0u32, 1, 0xdead_beef, u32::MAX] {
            assert_eq!(unmask_crc(mask_crc(crc)), crc);
            assert_ne!(mask_crc(crc), crc);
        }
    }

    #[test]
    fn headers_round_trip() {
        let h = encode_header(FragmentType::Last, b"abc");
        let raw = RawHeader::decode_v2(&h);
        assert_eq!(raw.length, 3);
        assert!(raw.header_ok);
        assert_eq!(FragmentType::from_u8(raw.kind), Some(FragmentType::Last));
        assert_eq!(raw.crc, fragment_crc(4, b"abc"));
        let mut flipped = h;
        flipped[4] ^= 1;
        assert!(!RawHeader::decode_v2(&flipped).header_ok);
        assert!(RawHeader::decode_v1(&[0; V1_HEADER_SIZE]).is_zero());
        assert_eq!(FragmentType::from_u8(0), None);
        assert_eq!(FragmentType::from_u8(5), None);
    }

    #[test]
    fn an_all_zero_v2_header_is_never_valid() {
        assert_ne!(header_crc(&[0; 7]), 0);
        assert!(!RawHeader::decode_v2(&[0; HEADER_SIZE]).header_ok);
    }

    #[test]
    fn file_starts_are_classified() {
        let h = file_header();
        assert_eq!(&h[..8], b"SLOG\xff\xff\x02\x00");
        assert_eq!(classify_file_start(&h, true), FileStart::V2);
        assert_eq!(
            classify_file_start(&[h.as_slice(), b"x"].concat(), false),
            FileStart::V2
        );
        for n in 0..FILE_HEADER_SIZE {
            let mut torn = h[..n].to_vec();
            assert_eq!(
                classify_file_start(&torn, true),
                FileStart::TornHeader,
                "{n}"
            );
            torn.resize(40, 0);
            assert_eq!(
                classify_file_start(&torn, true),
                FileStart::TornHeader,
                "{n}"
            );
            assert_ne!(
                classify_file_start(&torn, false),
                FileStart::TornHeader,
                "{n}"
            );
        }
        let mut bad = h;
        bad[9] ^= 4;
        assert_eq!(classify_file_start(&bad, true), FileStart::BadHeader);
        let mut v3 = h;
        v3[6] = 3;
        assert_eq!(classify_file_start(&v3, true), FileStart::BadHeader);
        assert_eq!(
            classify_file_start(b"\x01\x02\x03\x04\x05\x06\x07", true),
            FileStart::V1
        );
    }
}
