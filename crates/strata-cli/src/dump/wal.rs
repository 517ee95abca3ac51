//! `strata dump NNNNNN.wal`: each fragment, then each write batch (docs/FORMAT.md, Part II §2).
//!
//! Job: decode one WAL record's payload (version, first seq, count, then each op with kind,
//! keyspace, key and value) as annotated fields, checking what replay checks (known kind,
//! lengths inside the record, count matching, nothing left over). Single-threaded and pure;
//! a malformed payload is a problem at the record's offset.

use super::annotate::{Cursor, Listing, preview};
use super::log::{self, Record};

/// Dumps the WAL held in `file`.
pub fn dump(l: &mut Listing, file: &[u8]) {
    log::dump(l, file, &mut batch);
}

fn batch(l: &mut Listing, r: &Record) {
    let mut c = Cursor::new(&r.bytes);
    l.text(
        0,
        format!(
            "record at {}: write batch, {} bytes",
            r.offset,
            r.bytes.len()
        ),
    );
    let field = |l: &mut Listing, c: &Cursor<'_>, start: usize, depth: usize, text: String| {
        l.field(r.pos(start), c.since(start), depth, text);
    };
    let bad = |l: &mut Listing, reason: &str| l.problem(r.offset, format!("write batch: {reason}"));
    let Some(version) = c.u8() else {
        return bad(l, "empty record");
    };
    field(l, &c, 0, 1, format!("version: {version}"));
    if version != 1 {
        return bad(l, &format!("version {version}, expected 1"));
    }
    let Some(first_seq) = c.u64() else {
        return bad(l, "record ends inside the header");
    };
    field(l, &c, 1, 1, format!("first_seq: {first_seq}"));
    let Some(count) = c.u32() else {
        return bad(l, "record ends inside the header");
    };
    field(l, &c, 9, 1, format!("count: {count}"));
    for i in 0..u64::from(count) {
        let start = c.pos();
        let Some(kind) = c.u8() else {
            return bad(l, &format!("ends after {i} of {count} ops"));
        };
        let name = match kind {
            0 => "Delete",
            1 => "Put",
            _ => "unknown",
        };
        let seq = first_seq.saturating_add(i);
        field(
            l,
            &c,
            start,
            1,
            format!("op {i} (seq {seq}): kind {kind} ({name})"),
        );
        if kind > 1 {
            return bad(l, &format!("op {i}: unknown kind {kind}"));
        }
        let ks = c.pos();
        let Some(keyspace) = c.varint() else {
            return bad(l, &format!("op {i}: bad keyspace varint"));
        };
        field(l, &c, ks, 2, format!("keyspace: {keyspace}"));
        let kstart = c.pos();
        let Some(key) = lenbytes(&mut c) else {
            return bad(l, &format!("op {i}: key runs past the record"));
        };
        field(l, &c, kstart, 2, format!("key: {}", preview(key)));
        if kind == 1 {
            let vs = c.pos();
            let Some(value) = lenbytes(&mut c) else {
                return bad(l, &format!("op {i}: value runs past the record"));
            };
            field(l, &c, vs, 2, format!("value: {}", preview(value)));
        }
    }
    if c.remaining() > 0 {
        let at = c.pos();
        l.field(
            r.pos(at),
            &r.bytes[at..],
            1,
            format!("{} bytes left over", c.remaining()),
        );
        bad(l, "bytes left after the last op");
    }
}

/// A `len varint | bytes` field.
fn lenbytes<'a>(c: &mut Cursor<'a>) -> Option<&'a [u8]> {
    let n = usize::try_from(c.varint()?).ok()?;
    c.bytes(n)
}
