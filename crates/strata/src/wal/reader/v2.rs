//! Version 2 fragments: a header with its own checksum, and an end byte.
//!
//! Rules (docs/FORMAT.md, Part II §1, the reader table), for the fragment at offset `o`:
//! - Fewer than [`HEADER_SIZE`] bytes to the end of the file: torn.
//! - Header CRC bad: torn if every byte from `o + HEADER_SIZE` to the end of the file is zero (a
//!   header cut short or zeroed by a torn write, or preallocated space), else `Corruption` at `o`.
//! - Header CRC valid: the length is trusted. A fragment longer than its block's room is
//!   `Corruption`; one running past the end of the file is a real tear (torn).
//! - Complete fragment with a bad payload CRC or an end byte other than [`END_BYTE`]: torn if the
//!   end byte is 0 and every byte after the fragment is zero (a zero-filled torn write: the end
//!   byte is the last byte written), else `Corruption` at `o`.
//!
//! Invariant: a single flipped bit anywhere in a log is never read as a torn tail, since every
//! complete fragment ends in a non-zero byte that a tear leaves zero and a bit flip cannot.

use super::{Fragment, LogReader};
use crate::error::Result;
use crate::wal::format::{
    END_BYTE, FRAGMENT_OVERHEAD, FragmentType, HEADER_SIZE, RawHeader, fragment_crc,
};

impl LogReader {
    /// The next fragment of a v2 log (the first block is loaded, `pos` past the file header).
    pub(super) fn next_fragment_v2(&mut self) -> Result<Fragment> {
        let (offset, header) = match self.next_header::<HEADER_SIZE>(FRAGMENT_OVERHEAD)? {
            Ok(found) => found,
            Err(done) => return Ok(done),
        };
        let header = RawHeader::decode_v2(&header);
        let space = self.block_size - self.pos;
        let present = self.block.len() - self.pos;
        if !header.header_ok {
            return match self.first_nonzero_after(offset + HEADER_SIZE as u64)? {
                None => Ok(Fragment::Torn),
                Some(at) => Err(self.corrupt(
                    offset,
                    format!("fragment header checksum mismatch (non-zero data at offset {at})"),
                )),
            };
        }
        let length = usize::from(header.length);
        if FRAGMENT_OVERHEAD + length > space {
            return Err(self.corrupt(
                offset,
                format!("fragment length {length} runs past its block ({space} bytes left)"),
            ));
        }
        if FRAGMENT_OVERHEAD + length > present {
            // The header is valid, so the length is true: the last write was cut off.
            return Ok(Fragment::Torn);
        }
        let start = self.pos + HEADER_SIZE;
        let end = start + length;
        let payload = self.block.get(start..end).unwrap_or_default();
        let end_byte = self.block.get(end).copied().unwrap_or_default();
        let crc_ok = fragment_crc(header.kind, payload) == header.crc;
        if !crc_ok || end_byte != END_BYTE {
            let after = self.block_start + (end + 1) as u64;
            if end_byte == 0 && self.first_nonzero_after(after)?.is_none() {
                return Ok(Fragment::Torn); // a torn write filled with zeros
            }
            let reason = if crc_ok {
                format!("fragment end byte is {end_byte:#04x}, not {END_BYTE:#04x}")
            } else {
                "fragment checksum mismatch".to_owned()
            };
            return Err(self.corrupt(offset, reason));
        }
        let Some(kind) = FragmentType::from_u8(header.kind) else {
            let reason = format!("unknown fragment type {}", header.kind);
            return Err(self.corrupt(offset, reason));
        };
        let next = end + 1;
        if matches!(kind, FragmentType::First | FragmentType::Middle) && next != self.block_size {
            return Err(self.corrupt(offset, format!("{kind:?} fragment ends inside its block")));
        }
        debug_assert!(next <= self.block.len());
        self.pos = next;
        Ok(Fragment::Data {
            kind,
            offset,
            start,
            end,
            next,
        })
    }
}
