//! The log's fragment header: constants, fragment types and the masked CRC32C.
//!
//! ```text
//! +----------------+--------------+-----------+--------------------+
//! | masked crc u32 | length u16   | type u8   | payload[length]    |
//! | little-endian  | little-endian|           |                    |
//! +----------------+--------------+-----------+--------------------+
//!   crc = mask(crc32c(type ++ payload))
//! ```
//!
//! Pure functions, no I/O; shared by [`super::LogWriter`] and [`super::LogReader`].
//! Invariant: a valid header is never all zeros (every written type is non-zero), which is what
//! lets the reader treat a zeroed header as preallocated or unwritten space.

/// Size of a log block. Fragments never straddle a block boundary.
pub const BLOCK_SIZE: usize = 32 * 1024;

/// Bytes of a fragment header: masked CRC32C (4) + length (2) + type (1).
pub const HEADER_SIZE: usize = 4 + 2 + 1;

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

/// The stored (masked) checksum of a fragment: CRC32C over the type byte, then the payload.
#[inline]
pub fn fragment_crc(kind: u8, payload: &[u8]) -> u32 {
    mask_crc(crc32c::crc32c_append(crc32c::crc32c(&[kind]), payload))
}

/// Encodes a fragment header.
#[inline]
pub fn encode_header(kind: FragmentType, payload: &[u8]) -> [u8; HEADER_SIZE] {
    debug_assert!(payload.len() <= usize::from(u16::MAX));
    let crc = fragment_crc(kind as u8, payload).to_le_bytes();
    let len = (payload.len() as u16).to_le_bytes();
    [crc[0], crc[1], crc[2], crc[3], len[0], len[1], kind as u8]
}

/// A header's fields as stored (the type is not validated here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawHeader {
    /// The masked CRC.
    pub crc: u32,
    /// The payload length.
    pub length: u16,
    /// The type byte.
    pub kind: u8,
}

impl RawHeader {
    /// Reads a header from exactly [`HEADER_SIZE`] bytes.
    #[inline]
    pub fn decode(bytes: &[u8; HEADER_SIZE]) -> RawHeader {
        let [c0, c1, c2, c3, l0, l1, kind] = *bytes;
        RawHeader {
            crc: u32::from_le_bytes([c0, c1, c2, c3]),
            length: u16::from_le_bytes([l0, l1]),
            kind,
        }
    }

    /// True for a header of seven zero bytes (unwritten or preallocated space).
    #[inline]
    pub fn is_zero(&self) -> bool {
        self.crc == 0 && self.length == 0 && self.kind == 0
    }
}

// A block must hold a header plus at least one payload byte, and a fragment's length must fit
// the u16 length field.
const _: () = assert!(BLOCK_SIZE > HEADER_SIZE);
const _: () = assert!(BLOCK_SIZE - HEADER_SIZE <= u16::MAX as usize);

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
    fn header_round_trips() {
        let h = encode_header(FragmentType::Last, b"abc");
        let raw = RawHeader::decode(&h);
        assert_eq!(raw.length, 3);
        assert_eq!(FragmentType::from_u8(raw.kind), Some(FragmentType::Last));
        assert_eq!(raw.crc, fragment_crc(4, b"abc"));
        assert!(!raw.is_zero());
        assert!(RawHeader::decode(&[0; HEADER_SIZE]).is_zero());
        assert_eq!(FragmentType::from_u8(0), None);
        assert_eq!(FragmentType::from_u8(5), None);
    }
}
