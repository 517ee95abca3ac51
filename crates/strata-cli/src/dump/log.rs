//! The log framing shared by WALs and MANIFESTs, annotated (docs/FORMAT.md, Part II §1).
//!
//! Job: show the v2 file header (magic, version, CRC), then walk the log's 32 KiB blocks
//! fragment by fragment (masked payload CRC stored vs computed, length, type, header CRC, end
//! byte; legacy v1 logs have no file header, header CRC or end byte), check the trailer and
//! the First/Middle/Last chaining, reassemble each
//! logical record and hand it, with a map back to file offsets, to the payload's decoder.
//! Single-threaded, pure over the file's bytes. Damage is a problem at the fragment's offset
//! and the walk resumes at the next block; a cut-off or zeroed tail, or a torn write filled
//! with zeros, is a note (recovery drops it), as the engine's reader treats it.

use super::annotate::{Cursor, Listing, Pos, crc_text};

/// Bytes in a log block.
const BLOCK: usize = 32 * 1024;
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

/// The framing of one log version.
#[derive(Debug, Clone, Copy)]
struct Framing {
    /// Bytes of a fragment header.
    header: usize,
    /// Whether fragments carry a header CRC (v2).
    header_crc: bool,
    /// Bytes after the payload (the v2 end byte).
    tail: usize,
    /// Where the first fragment starts (after the v2 file header).
    start: usize,
}

const V1: Framing = Framing {
    header: 7,
    header_crc: false,
    tail: 0,
    start: 0,
};

const V2: Framing = Framing {
    header: 11,
    header_crc: true,
    tail: 1,
    start: FILE_HEADER,
};

/// Bytes of the v2 file header.
const FILE_HEADER: usize = 12;
/// The last byte of every v2 fragment.
const END_BYTE: u8 = 0xa5;

/// Annotates the v2 file header; its framing, or `None` when the log cannot be walked (a torn
/// or damaged header). A file without the v2 magic is a legacy v1 log.
fn file_header(l: &mut Listing, file: &[u8]) -> Option<Framing> {
    let expected_start = b"SLOG\xff\xff\x02\x00";
    let mut sound = expected_start.to_vec();
    sound.extend_from_slice(&mask(crc32c::crc32c(expected_start)).to_le_bytes());
    let matching = file
        .iter()
        .zip(sound.iter())
        .take_while(|(a, b)| a == b)
        .count();
    let magic = file.get(..6) == Some(&b"SLOG\xff\xff"[..]);
    if file.is_empty() {
        l.section(0, "empty log");
        return None;
    }
    if matching < 6 && !magic {
        let torn = file
            .get(matching..)
            .unwrap_or_default()
            .iter()
            .all(|&b| b == 0);
        if matching > 0 && torn {
            l.section(0, "file header");
            l.note(
                0,
                "torn tail: the log ends inside its file header (no record)",
            );
            return None;
        }
        l.section(0, "legacy v1 log (no file header)");
        return Some(V1);
    }
    l.section(0, "file header (log format v2)");
    let at = Pos::File(0);
    l.field(at, &file[..6], 0, "magic: \"SLOG\" ff ff");
    let Some(header) = file.get(..FILE_HEADER) else {
        let rest = file.get(6..).unwrap_or_default();
        if rest.iter().all(|&b| b == 0) || matching == file.len() {
            l.note(
                0,
                "torn tail: the log ends inside its file header (no record)",
            );
        } else {
            l.problem(0, "file header cut short by non-zero bytes");
        }
        return None;
    };
    let version = u16::from_le_bytes([header[6], header[7]]);
    l.field(at.add(6), &header[6..8], 0, format!("version: {version}"));
    let stored = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    let computed = mask(crc32c::crc32c(&header[..8]));
    l.field(at.add(8), &header[8..12], 0, crc_text(stored, computed));
    if matching == FILE_HEADER {
        return Some(V2);
    }
    if file
        .get(matching..)
        .unwrap_or_default()
        .iter()
        .all(|&b| b == 0)
    {
        l.note(
            0,
            "torn tail: the file header is cut short by zeros (no record)",
        );
    } else if stored != computed {
        l.problem(0, "file header checksum mismatch");
    } else {
        l.problem(0, format!("unknown log version {version}"));
    }
    None
}

/// Walks the log in `file` (format v2, or legacy v1), calling `on_record` for each complete
/// record.
pub fn dump(l: &mut Listing, file: &[u8], on_record: &mut dyn FnMut(&mut Listing, &Record)) {
    let records = match file_header(l, file) {
        Some(framing) => fragments(l, file, framing, on_record),
        None => 0,
    };
    l.section(file.len() as u64, "summary");
    l.text(0, format!("records: {records}"));
}

/// Walks the fragments after the file header; the number of complete records.
fn fragments(
    l: &mut Listing,
    file: &[u8],
    f: Framing,
    on_record: &mut dyn FnMut(&mut Listing, &Record),
) -> usize {
    let overhead = f.header + f.tail;
    let mut o = f.start;
    let mut open: Option<Record> = None;
    let mut records = 0usize;
    while o < file.len() {
        let block_left = BLOCK - o % BLOCK;
        let next_block = o + block_left;
        if block_left < overhead {
            let trailer = &file[o..next_block.min(file.len())];
            if trailer.iter().any(|&b| b != 0) {
                l.section(o as u64, format!("block trailer at {o}"));
                l.problem(o as u64, "block trailer bytes are not all zero");
            }
            o = next_block;
            continue;
        }
        let rest = &file[o..];
        let zero_after = |from: usize| rest.get(from..).unwrap_or_default().iter().all(|&b| b == 0);
        if rest.len() < f.header {
            l.section(o as u64, format!("tail at {o}"));
            l.note(
                o as u64,
                format!("torn tail: {} bytes after the last fragment", rest.len()),
            );
            break;
        }
        if !f.header_crc && rest[..f.header].iter().all(|&b| b == 0) {
            if zero_after(0) {
                l.section(o as u64, format!("tail at {o}"));
                l.note(
                    o as u64,
                    format!(
                        "torn tail: {} zero bytes after the last fragment",
                        rest.len()
                    ),
                );
                break;
            }
            l.section(o as u64, format!("fragment at {o}"));
            l.problem(o as u64, "zero header followed by non-zero bytes");
            open = None;
            o = next_block;
            continue;
        }
        let mut c = Cursor::new(&rest[..f.header]);
        let (stored, length, kind) = (
            c.u32().unwrap_or_default(),
            usize::from(c.u16().unwrap_or_default()),
            c.u8().unwrap_or_default(),
        );
        let at = Pos::File(o as u64);
        let header_ok = if f.header_crc {
            let stored_h = c.u32().unwrap_or_default();
            let computed_h = mask(crc32c::crc32c(&rest[..7]));
            if stored_h != computed_h && zero_after(f.header) {
                l.section(o as u64, format!("tail at {o}"));
                l.note(
                    o as u64,
                    format!(
                        "torn tail: a damaged or zeroed fragment header, then only zeros ({} bytes)",
                        rest.len()
                    ),
                );
                break;
            }
            Some((stored_h, computed_h))
        } else {
            None
        };
        l.section(
            o as u64,
            format!(
                "fragment at {o}: {} ({length}-byte payload)",
                type_name(kind)
            ),
        );
        let fits = overhead + length <= block_left;
        let payload = rest.get(f.header..f.header + length);
        let complete = rest.len() >= overhead + length;
        let computed = payload
            .filter(|_| complete)
            .map(|p| mask(crc32c::crc32c_append(crc32c::crc32c(&[kind]), p)));
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
        if let Some((stored_h, computed_h)) = header_ok {
            let text = crc_text(stored_h, computed_h).replacen("crc", "header crc", 1);
            l.field(at.add(7), &rest[7..11], 0, text);
            if stored_h != computed_h {
                l.problem(o as u64, "fragment header checksum mismatch");
                open = None;
                o = next_block;
                continue;
            }
        }
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
                "torn tail: the fragment is cut off by the end of the file",
            );
            open = None;
            break;
        };
        l.text(0, format!("payload: {length} bytes at {}", o + f.header));
        let file_payload = (o + f.header) as u64;
        let frag_at = o as u64;
        let mut end_ok = true;
        if f.tail > 0 {
            let end = rest[f.header + length];
            end_ok = end == END_BYTE;
            let verdict = if end_ok { "ok" } else { "BAD" };
            l.field(
                at.add(f.header + length),
                &rest[f.header + length..overhead + length],
                0,
                format!("end byte: 0x{end:02x} ({verdict})"),
            );
            if (stored != computed || !end_ok) && end == 0 && zero_after(overhead + length) {
                l.note(
                    frag_at,
                    "torn tail: a torn write filled with zeros (end byte 0, only zeros after)",
                );
                open = None;
                break;
            }
        }
        let frag_end = o + overhead + length;
        o = frag_end;
        if stored != computed {
            l.problem(frag_at, "fragment checksum mismatch");
            open = None;
            continue;
        }
        if !end_ok {
            l.problem(frag_at, "fragment end byte is not 0xa5");
            open = None;
            continue;
        }
        let fills_block = frag_end == next_block;
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
    records
}
