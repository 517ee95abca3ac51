//! A legacy v1 log writer, kept for tests only: it writes what the engine wrote before format v2
//! (no file header; `crc u32 | length u16 | type u8 | payload` fragments; a zero trailer when
//! fewer than 7 bytes are left in a block), written from docs/FORMAT.md, not from the reader.

use super::format::{FragmentType, V1_HEADER_SIZE, fragment_crc};

/// Writes `records` as a v1 log with the given block size; returns the bytes and each record's
/// end offset.
pub(super) fn write_v1_log(records: &[Vec<u8>], block_size: usize) -> (Vec<u8>, Vec<u64>) {
    let mut out = Vec::new();
    let mut ends = Vec::new();
    for record in records {
        let mut left = &record[..];
        let mut first = true;
        loop {
            let leftover = block_size - out.len() % block_size;
            if leftover < V1_HEADER_SIZE {
                out.resize(out.len() + leftover, 0);
            }
            let room = block_size - out.len() % block_size - V1_HEADER_SIZE;
            let (piece, rest) = left.split_at(left.len().min(room));
            let kind = match (first, rest.is_empty()) {
                (true, true) => FragmentType::Full,
                (true, false) => FragmentType::First,
                (false, true) => FragmentType::Last,
                (false, false) => FragmentType::Middle,
            } as u8;
            out.extend_from_slice(&fragment_crc(kind, piece).to_le_bytes());
            out.extend_from_slice(&(piece.len() as u16).to_le_bytes());
            out.push(kind);
            out.extend_from_slice(piece);
            left = rest;
            first = false;
            if left.is_empty() {
                break;
            }
        }
        ends.push(out.len() as u64);
    }
    (out, ends)
}
