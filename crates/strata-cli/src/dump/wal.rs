//! `strata dump NNNNNN.wal`: each fragment, then each write batch (docs/FORMAT.md, Part II §2).
//!
//! Job: decode one WAL record's payload (version 2, or legacy 1: version, first seq, count,
//! then each op with kind, keyspace if present, key and value) as annotated fields, checking
//! what replay checks (known kind and keyspace, lengths inside the record, count matching,
//! nothing left over; the `first_seq + count - 1 <= MAX_SEQUENCE` check is left to replay). Single-threaded and pure;
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
    let legacy = match version {
        2 => false,
        1 => true,
        _ => return bad(l, &format!("version {version}, expected 2 (or legacy 1)")),
    };
    let at = c.pos();
    let Some(first_seq) = (if legacy { c.u64() } else { c.varint() }) else {
        return bad(l, "record ends inside the header");
    };
    field(l, &c, at, 1, format!("first_seq: {first_seq}"));
    let at = c.pos();
    let count = if legacy {
        c.u32()
    } else {
        c.varint().and_then(|n| u32::try_from(n).ok())
    };
    let Some(count) = count else {
        return bad(l, "bad count");
    };
    field(l, &c, at, 1, format!("count: {count}"));
    if count == 0 {
        return bad(l, "count 0");
    }
    for i in 0..u64::from(count) {
        let start = c.pos();
        let Some(tag) = c.u8() else {
            return bad(l, &format!("ends after {i} of {count} ops"));
        };
        // v1: the byte is the kind; v2: bit 7 announces a keyspace varint.
        let keyspace_follows = legacy || tag & 0x80 != 0;
        let kind = if legacy { tag } else { tag & 0x7f };
        let name = match kind {
            0 => "Delete",
            1 => "Put",
            _ => "unknown",
        };
        let seq = first_seq.saturating_add(i);
        let ks_note = if !legacy && keyspace_follows {
            ", keyspace follows"
        } else {
            ""
        };
        field(
            l,
            &c,
            start,
            1,
            format!("op {i} (seq {seq}): kind {kind} ({name}){ks_note}"),
        );
        if kind > 1 {
            return bad(l, &format!("op {i}: unknown kind {kind}"));
        }
        if keyspace_follows {
            let ks = c.pos();
            let Some(keyspace) = c.varint() else {
                return bad(l, &format!("op {i}: bad keyspace varint"));
            };
            field(l, &c, ks, 2, format!("keyspace: {keyspace}"));
            if !legacy && keyspace != 0 {
                return bad(l, &format!("op {i}: unknown keyspace {keyspace}"));
            }
        }
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
