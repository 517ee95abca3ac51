//! `strata dump CURRENT`: the live MANIFEST's name and its checksum line (docs/FORMAT.md,
//! Part II §4).
//!
//! Job: show both lines with their offsets and the CRC32C of the first line as stored vs
//! computed, and flag anything but the exact two-line form. Pure, single-threaded.

use super::annotate::{Listing, Pos, crc_text};

/// Longest CURRENT a reader accepts.
const MAX_LEN: usize = 128;

/// Dumps the CURRENT file held in `file`.
pub fn dump(l: &mut Listing, file: &[u8]) {
    l.section(0, "CURRENT");
    if file.len() > MAX_LEN {
        l.problem(0, format!("{} bytes: longer than {MAX_LEN}", file.len()));
        return;
    }
    let Some(first_end) = file.iter().position(|&b| b == b'\n').map(|i| i + 1) else {
        l.field(Pos::File(0), file, 0, "no complete first line");
        l.problem(0, "no newline: truncated");
        return;
    };
    let (first, rest) = file.split_at(first_end);
    let name = String::from_utf8_lossy(&first[..first.len() - 1]).into_owned();
    l.field(Pos::File(0), first, 0, format!("manifest: {name:?}"));
    let digits = name.strip_prefix("MANIFEST-").unwrap_or_default();
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        l.problem(
            0,
            format!("{name:?} is not a canonical MANIFEST-NNNNNN name"),
        );
    }
    let computed = crc32c::crc32c(first);
    let second = rest
        .strip_suffix(b"\n")
        .and_then(|line| line.strip_prefix(b"crc32c="))
        .filter(|hex| hex.len() == 8 && hex.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .and_then(|hex| u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
    let at = first_end as u64;
    match second {
        Some(stored) => {
            l.field(Pos::File(at), rest, 0, crc_text(stored, computed));
            if stored != computed {
                l.problem(at, "CURRENT checksum mismatch");
            }
        }
        None => {
            l.field(
                Pos::File(at),
                rest,
                0,
                format!("second line: {:?}", String::from_utf8_lossy(rest)),
            );
            l.problem(
                at,
                "second line is not exactly crc32c=XXXXXXXX (8 lowercase hex digits)",
            );
        }
    }
}
