//! The log framing shared by WALs and MANIFESTs, annotated (docs/FORMAT.md, Part II §1).
//!
//! Job: walk a log's 32 KiB blocks fragment by fragment (masked CRC stored vs computed,
//! length, type), check the trailer and the First/Middle/Last chaining, reassemble each
//! logical record and hand it, with a map back to file offsets, to the payload's decoder.
//! Single-threaded, pure over the file's bytes. Damage is a problem at the fragment's offset
//! and the walk resumes at the next block; a cut-off or zeroed tail is a note (recovery drops
//! it), as the engine's reader treats it.

use super::annotate::{Cursor, Listing, Pos, crc_text};

/// Bytes in a log block.
const BLOCK: usize = 32 * 1024;
/// Bytes in a fragment header.
const HEADER: usize = 7;
/// LevelDB's CRC mask delta.
const MASK_DELTA: u32 = 0xa282_ead8;

/// One logical record and where its bytes lie in the file.
#[derive(Debug, Default)]
pub struct Record {
    /// The payload, fragments joined.
    pub bytes: Vec<u8>,
    /// `(offset in bytes, file offset)` of each fragment's payload.
    pieces: Vec<(usize, u64)>,
    /// File offset of the first fragment.
    pub offset: u64,
}

impl Record {
    /// The file position of payload byte `i`.
    pub fn pos(&self, i: usize) -> Pos {
        let piece = self.pieces.iter().rev().find(|(start, _)| *start <= i);
        Pos::File(piece.map_or(self.offset, |&(start, file)| file + (i - start) as u64))
    }

    fn push(&mut self, file_offset: u64, payload: &[u8]) {
        self.pieces.push((self.bytes.len(), file_offset));
        self.bytes.extend_from_slice(payload);
    }
}

fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

fn type_name(t: u8) -> &'static str {
    match t {
        1 => "Full",
        2 => "First",
        3 => "Middle",
        4 => "Last",
        0 => "zero (reserved)",
        5..=8 => "recyclable (reserved)",
        _ => "unknown",
    }
}

/// Walks the log in `file`, calling `on_record` for each complete record.
pub fn dump(l: &mut Listing, file: &[u8], on_record: &mut dyn FnMut(&mut Listing, &Record)) {
    let mut o = 0usize;
    let mut open: Option<Record> = None;
    let mut records = 0usize;
    while o < file.len() {
        let block_left = BLOCK - o % BLOCK;
        let next_block = o + block_left;
        if block_left < HEADER {
            let trailer = &file[o..next_block.min(file.len())];
            if trailer.iter().any(|&b| b != 0) {
                l.section(o as u64, format!("block trailer at {o}"));
                l.problem(o as u64, "block trailer bytes are not all zero");
            }
            o = next_block;
            continue;
        }
        let rest = &file[o..];
        if rest.len() < HEADER || rest[..HEADER].iter().all(|&b| b == 0) {
            if rest.iter().all(|&b| b == 0) || rest.len() < HEADER {
                l.section(o as u64, format!("tail at {o}"));
                l.note(
                    o as u64,
                    format!("torn tail: {} bytes after the last fragment", rest.len()),
                );
                break;
            }
            l.section(o as u64, format!("fragment at {o}"));
            l.problem(o as u64, "zero header followed by non-zero bytes");
            open = None;
            o = next_block;
            continue;
        }
        let mut c = Cursor::new(&rest[..HEADER]);
        let (stored, length, kind) = (
            c.u32().unwrap_or_default(),
            usize::from(c.u16().unwrap_or_default()),
            c.u8().unwrap_or_default(),
        );
        let at = Pos::File(o as u64);
        l.section(
            o as u64,
            format!(
                "fragment at {o}: {} ({length}-byte payload)",
                type_name(kind)
            ),
        );
        let fits = HEADER + length <= block_left;
        let payload = rest.get(HEADER..HEADER + length);
        let computed = payload.map(|p| mask(crc32c::crc32c_append(crc32c::crc32c(&[kind]), p)));
        match computed {
            Some(computed) => l.field(at, &rest[..4], 0, crc_text(stored, computed)),
            None => l.field(
                at,
                &rest[..4],
                0,
                format!("crc: 0x{stored:08x} stored (masked)"),
            ),
        }
        l.field(at.add(4), &rest[4..6], 0, format!("length: {length}"));
        l.field(
            at.add(6),
            &rest[6..7],
            0,
            format!("type: {kind} ({})", type_name(kind)),
        );
        if !fits {
            l.problem(
                o as u64,
                format!("length {length} overruns the block ({block_left} bytes left)"),
            );
            open = None;
            o = next_block;
            continue;
        }
        let (Some(payload), Some(computed)) = (payload, computed) else {
            l.note(
                o as u64,
                "torn tail: the payload is cut off by the end of the file",
            );
            open = None;
            break;
        };
        l.text(0, format!("payload: {length} bytes at {}", o + HEADER));
        let frag_end = o + HEADER + length;
        let file_payload = (o + HEADER) as u64;
        o = frag_end;
        if stored != computed {
            l.problem(file_payload - HEADER as u64, "fragment checksum mismatch");
            open = None;
            continue;
        }
        let fills_block = frag_end == next_block;
        let frag_at = file_payload - HEADER as u64;
        match kind {
            1 | 2 => {
                if open.take().is_some() {
                    l.problem(frag_at, "a new record starts inside an open one (dropped)");
                }
                let mut r = Record {
                    offset: frag_at,
                    ..Record::default()
                };
                r.push(file_payload, payload);
                if kind == 1 {
                    records += 1;
                    on_record(l, &r);
                } else if fills_block {
                    open = Some(r);
                } else {
                    l.problem(frag_at, "First fragment does not fill its block");
                }
            }
            3 | 4 => match open.take() {
                None => l.problem(
                    frag_at,
                    format!("{} fragment without a First", type_name(kind)),
                ),
                Some(mut r) => {
                    r.push(file_payload, payload);
                    if kind == 4 {
                        records += 1;
                        on_record(l, &r);
                    } else if fills_block {
                        open = Some(r);
                    } else {
                        l.problem(frag_at, "Middle fragment does not fill its block");
                    }
                }
            },
            other => l.problem(frag_at, format!("unknown fragment type {other}")),
        }
    }
    if let Some(r) = open {
        l.note(
            r.offset,
            format!("torn tail: record at {} is never completed", r.offset),
        );
    }
    l.section(file.len() as u64, "summary");
    l.text(0, format!("records: {records}"));
}
