//! The annotated listing that `strata dump FILE` prints, and a bounds-checked byte cursor.
//!
//! Job: turn "this field, at this offset, holds these bytes and means this" into aligned lines
//! (`--hex` adds the raw bytes, 16 per line), and collect every problem found with its offset.
//! Single-threaded; builds the listing in memory so sections can be printed in file order
//! whatever order they were decoded in. Invariant: nothing here indexes out of bounds; every
//! read of decoded bytes goes through [`Cursor`], which answers `None` past the end.

use std::fmt::Write as _;

use strata::Bytes;

use crate::output::hex;

/// Bytes shown per hex line.
const HEX_PER_LINE: usize = 16;
/// Width of the hex column: `HEX_PER_LINE` bytes as `xx ` without the last space.
const HEX_WIDTH: usize = HEX_PER_LINE * 3 - 1;
/// Bytes of a key or value shown in a preview.
const PREVIEW: usize = 32;

/// Where a field lies: in the file, or inside a decompressed block (no file offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pos {
    /// A byte offset in the file.
    File(u64),
    /// An offset inside the decompressed contents of the block starting at the given file
    /// offset.
    Raw(u64),
}

impl Pos {
    /// The position `delta` bytes further.
    pub fn add(self, delta: usize) -> Pos {
        let d = delta as u64;
        match self {
            Pos::File(o) => Pos::File(o + d),
            Pos::Raw(o) => Pos::Raw(o + d),
        }
    }

    fn column(self) -> String {
        match self {
            Pos::File(o) => format!("{o:>8}"),
            Pos::Raw(o) => format!("{:>8}", format!("raw+{o}")),
        }
    }
}

/// A fault found while dumping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// File offset of the damaged structure.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

/// One section of the listing (a block, the footer, a log fragment…).
#[derive(Debug, Default)]
pub struct Section {
    /// File offset the section starts at (the listing is sorted by it).
    pub offset: u64,
    /// Its lines.
    pub lines: Vec<String>,
}

/// The listing under construction.
#[derive(Debug)]
pub struct Listing {
    hex: bool,
    sections: Vec<Section>,
    /// Faults, in the order found.
    pub problems: Vec<Problem>,
    /// Harmless findings (a torn log tail).
    pub notes: Vec<String>,
}

impl Listing {
    /// An empty listing; `hex` shows each field's bytes.
    pub fn new(hex: bool) -> Listing {
        Listing {
            hex,
            sections: Vec::new(),
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Starts a section at file offset `offset` with a title line.
    pub fn section(&mut self, offset: u64, title: impl Into<String>) {
        self.sections.push(Section {
            offset,
            lines: vec![title.into()],
        });
    }

    fn push(&mut self, line: String) {
        match self.sections.last_mut() {
            Some(s) => s.lines.push(line),
            None => self.sections.push(Section {
                offset: 0,
                lines: vec![line],
            }),
        }
    }

    /// A field at `at` made of `bytes`, described by `text`, indented `depth` steps.
    pub fn field(&mut self, at: Pos, bytes: &[u8], depth: usize, text: impl AsRef<str>) {
        let indent = "  ".repeat(depth + 1);
        let text = text.as_ref();
        if !self.hex {
            self.push(format!("{}{indent}{text}", at.column()));
            return;
        }
        let mut chunks = bytes.chunks(HEX_PER_LINE);
        let first = chunks.next().map(spaced_hex).unwrap_or_default();
        self.push(format!(
            "{}  {first:<HEX_WIDTH$}{indent}{text}",
            at.column()
        ));
        for (i, chunk) in chunks.enumerate() {
            let line = format!(
                "{}  {}",
                at.add((i + 1) * HEX_PER_LINE).column(),
                spaced_hex(chunk)
            );
            self.push(line);
        }
    }

    /// A line of text without bytes.
    pub fn text(&mut self, depth: usize, text: impl AsRef<str>) {
        let pad = if self.hex { HEX_WIDTH + 2 } else { 0 };
        let indent = "  ".repeat(depth + 1);
        self.push(format!("{:8}{:pad$}{indent}{}", "", "", text.as_ref()));
    }

    /// Records a fault at file offset `offset` and marks it in the listing.
    pub fn problem(&mut self, offset: u64, reason: impl Into<String>) {
        let reason = reason.into();
        self.push(format!("{offset:>8}  !! BAD: {reason}"));
        self.problems.push(Problem { offset, reason });
    }

    /// Records a harmless finding and shows it in the listing.
    pub fn note(&mut self, offset: u64, note: impl Into<String>) {
        let note = note.into();
        self.push(format!("{offset:>8}  note: {note}"));
        self.notes.push(note);
    }

    /// The listing's lines, sections in file order (stable for equal offsets).
    pub fn lines(mut self) -> (Vec<String>, Vec<Problem>, Vec<String>) {
        self.sections.sort_by_key(|s| s.offset);
        let mut lines = Vec::new();
        for s in self.sections {
            lines.extend(s.lines);
        }
        (lines, self.problems, self.notes)
    }
}

fn spaced_hex(bytes: &[u8]) -> String {
    let h = hex(bytes);
    let mut out = String::with_capacity(h.len() * 3 / 2);
    for (i, pair) in h.as_bytes().chunks(2).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(std::str::from_utf8(pair).unwrap_or("??"));
    }
    out
}

/// A stored vs computed checksum: `crc 0x… stored, 0x… computed (ok|BAD)`.
pub fn crc_text(stored: u32, computed: u32) -> String {
    let verdict = if stored == computed { "ok" } else { "BAD" };
    format!("crc: 0x{stored:08x} stored, 0x{computed:08x} computed ({verdict})")
}

/// A byte string as the shell shows it, cut to a preview with the full length when long.
pub fn preview(bytes: &[u8]) -> String {
    let shown = Bytes::copy_from_slice(&bytes[..bytes.len().min(PREVIEW)]);
    let mut text = format!("{shown:?}");
    if bytes.len() > PREVIEW {
        let _ = write!(text, "… ({} bytes)", bytes.len());
    }
    text
}

/// A bounds-checked reader over decoded bytes; every read answers `None` past the end.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Cursor<'a> {
        Cursor { buf, pos: 0 }
    }

    /// Bytes read so far.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The bytes from `start` to the current position.
    pub fn since(&self, start: usize) -> &'a [u8] {
        self.buf.get(start..self.pos).unwrap_or_default()
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    /// One byte.
    pub fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> Option<u16> {
        self.bytes(2)?.try_into().ok().map(u16::from_le_bytes)
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> Option<u32> {
        self.bytes(4)?.try_into().ok().map(u32::from_le_bytes)
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> Option<u64> {
        self.bytes(8)?.try_into().ok().map(u64::from_le_bytes)
    }

    /// An unsigned LEB128 varint of at most 10 bytes that fits in u64.
    pub fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if i == 9 && byte > 1 {
                return None;
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn varints_follow_leb128_and_stop_at_the_end() {
        assert_eq!(Cursor::new(&[0x80, 0x20]).varint(), Some(4096));
        assert_eq!(Cursor::new(&[0xac, 0x02]).varint(), Some(300));
        assert_eq!(Cursor::new(&[0x80]).varint(), None);
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Cursor::new(&max).varint(), Some(u64::MAX));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(Cursor::new(&over).varint(), None);
    }

    #[test]
    fn hex_lines_wrap_at_sixteen_bytes() {
        let mut l = Listing::new(true);
        l.section(0, "s");
        l.field(Pos::File(100), &[7; 20], 0, "twenty");
        let (lines, _, _) = l.lines();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].starts_with("     100  07 07"));
        assert!(lines[1].ends_with("  twenty"));
        assert_eq!(lines[2], "     116  07 07 07 07");
    }
}
