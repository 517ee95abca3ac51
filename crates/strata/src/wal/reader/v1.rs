//! Legacy v1 fragments (read only): a 7-byte header without a checksum of its own.
//!
//! Rules as before v2 (docs/FORMAT.md, Part II, "Legacy v1"): a fragment running past the end of
//! the file is a torn tail unless a complete, checksum-valid fragment follows it in the last
//! block (then its length field is damaged: `Corruption`); a zeroed header followed only by
//! zeros is a torn tail.

use super::{Fragment, LogReader};
use crate::error::Result;
use crate::wal::format::{FragmentType, RawHeader, V1_HEADER_SIZE, fragment_crc};

impl LogReader {
    /// The next fragment of a v1 log (the first block is loaded).
    pub(super) fn next_fragment_v1(&mut self) -> Result<Fragment> {
        let (offset, header) = match self.next_header::<V1_HEADER_SIZE>(V1_HEADER_SIZE)? {
            Ok(found) => found,
            Err(done) => return Ok(done),
        };
        let header = RawHeader::decode_v1(&header);
        let space = self.block_size - self.pos;
        let present = self.block.len() - self.pos;
        if header.is_zero() {
            return self.zero_header_at(offset);
        }
        let length = usize::from(header.length);
        if V1_HEADER_SIZE + length > space {
            return Err(self.corrupt(
                offset,
                format!("fragment length {length} runs past its block ({space} bytes left)"),
            ));
        }
        if V1_HEADER_SIZE + length > present {
            // The file ends inside the payload: a torn last write, unless a complete,
            // checksum-valid fragment follows (then the length field itself is damaged
            // and records after it would be lost silently).
            if self.complete_fragment_after(self.pos + V1_HEADER_SIZE) {
                return Err(self.corrupt(
                    offset,
                    format!("fragment length {length} runs past the end of the file, yet complete fragments follow"),
                ));
            }
            return Ok(Fragment::Torn);
        }
        let start = self.pos + V1_HEADER_SIZE;
        let end = start + length;
        let payload = self.block.get(start..end).unwrap_or_default();
        if fragment_crc(header.kind, payload) != header.crc {
            return Err(self.corrupt(offset, "fragment checksum mismatch"));
        }
        let Some(kind) = FragmentType::from_u8(header.kind) else {
            let reason = format!("unknown fragment type {}", header.kind);
            return Err(self.corrupt(offset, reason));
        };
        if matches!(kind, FragmentType::First | FragmentType::Middle) && end != self.block_size {
            return Err(self.corrupt(offset, format!("{kind:?} fragment ends inside its block")));
        }
        self.pos = end;
        Ok(Fragment::Data {
            kind,
            offset,
            start,
            end,
            next: end,
        })
    }

    /// Whether a complete fragment with a valid checksum starts anywhere in the loaded
    /// (last) block at or after `from`. Used only when the file seems to end inside a
    /// fragment; a false match needs a CRC32C collision.
    fn complete_fragment_after(&self, from: usize) -> bool {
        let mut p = from;
        while p + V1_HEADER_SIZE <= self.block.len() {
            let header = self
                .block
                .get(p..p + V1_HEADER_SIZE)
                .and_then(|h| <&[u8; V1_HEADER_SIZE]>::try_from(h).ok())
                .map(RawHeader::decode_v1);
            if let Some(header) = header.filter(|h| !h.is_zero()) {
                let end = p + V1_HEADER_SIZE + usize::from(header.length);
                if FragmentType::from_u8(header.kind).is_some() && end <= self.block.len() {
                    let payload = self.block.get(p + V1_HEADER_SIZE..end).unwrap_or_default();
                    if fragment_crc(header.kind, payload) == header.crc {
                        return true;
                    }
                }
            }
            p += 1;
        }
        false
    }

    /// A zeroed header at `offset`: a torn tail if everything to the end of the file is zero.
    pub(super) fn zero_header_at(&mut self, offset: u64) -> Result<Fragment> {
        loop {
            let rest = self.block.get(self.pos..).unwrap_or_default();
            if let Some(nonzero) = rest.iter().position(|&b| b != 0) {
                let at = self.block_start + (self.pos + nonzero) as u64;
                let reason = format!("zeroed fragment header followed by data at offset {at}");
                return Err(self.corrupt(offset, reason));
            }
            if !self.load_next_block()? {
                return Ok(Fragment::Torn);
            }
        }
    }
}
