//! `strata dump MANIFEST-NNNNNN`: each fragment, then each VersionEdit with its tagged fields
//! (docs/FORMAT.md, Part II §3).
//!
//! Job: decode one MANIFEST record (format version, then `tag | length | payload` fields up to
//! End) as annotated fields: scalars, deleted files, new files with their keys and counts, tier
//! orders, and unknown fields (skipped when tagged safe to ignore, a problem otherwise).
//! Single-threaded and pure; a malformed edit is a problem at the record's offset.

use super::annotate::{Cursor, Listing};
use super::log::{self, Record};
use super::sst::internal_key;

/// Tag bit marking a field a reader may skip.
const SAFE_TO_IGNORE: u64 = 0x40;

/// Dumps the MANIFEST held in `file`.
pub fn dump(l: &mut Listing, file: &[u8]) {
    let mut n = 0usize;
    log::dump(l, file, &mut |l, r| {
        edit(l, r, n);
        n += 1;
    });
}

fn tag_name(tag: u64) -> &'static str {
    match tag {
        0 => "End",
        1 => "LogNumber",
        2 => "NextFileNumber",
        3 => "LastSequence",
        4 => "DeletedFile",
        5 => "NewFile",
        6 => "TierOrder",
        t if t & SAFE_TO_IGNORE != 0 => "unknown (safe to ignore)",
        _ => "unknown (required)",
    }
}

fn edit(l: &mut Listing, r: &Record, n: usize) {
    let b = &r.bytes;
    l.text(
        0,
        format!(
            "record at {}: VersionEdit #{n}, {} bytes",
            r.offset,
            b.len()
        ),
    );
    let bad = |l: &mut Listing, reason: String| {
        l.problem(r.offset, format!("VersionEdit #{n}: {reason}"))
    };
    let mut c = Cursor::new(b);
    let Some(version) = c.u8() else {
        return bad(l, "empty record".into());
    };
    l.field(r.pos(0), &b[..1], 1, format!("format version: {version}"));
    if version != 1 {
        return bad(l, format!("format version {version}, this tool reads 1"));
    }
    loop {
        let start = c.pos();
        let Some(tag) = c.varint() else {
            return bad(l, "ends before its End tag".into());
        };
        if tag == 0 {
            l.field(r.pos(start), c.since(start), 1, "End");
            if c.remaining() > 0 {
                bad(l, format!("{} bytes after End", c.remaining()));
            }
            return;
        }
        let Some(len) = c.varint().and_then(|n| usize::try_from(n).ok()) else {
            return bad(l, format!("field tag {tag}: bad length"));
        };
        let payload_at = c.pos();
        let Some(payload) = c.bytes(len) else {
            return bad(
                l,
                format!("field tag {tag}: {len} bytes run past the record"),
            );
        };
        let name = tag_name(tag);
        l.field(
            r.pos(start),
            &b[start..payload_at],
            1,
            format!("tag {tag} ({name}), length {len}"),
        );
        let mut p = Cursor::new(payload);
        let sub = |l: &mut Listing, p: &Cursor<'_>, from: usize, text: String| {
            l.field(r.pos(payload_at + from), p.since(from), 2, text);
        };
        let ok = match tag {
            1..=3 => p.varint().map(|v| {
                sub(l, &p, 0, format!("{name}: {v}"));
            }),
            4 => (|| {
                let (ks, level, number) = (p.varint()?, p.varint()?, p.varint()?);
                sub(
                    l,
                    &p,
                    0,
                    format!("keyspace {ks}, level {level}, file {number:06}.sst"),
                );
                Some(())
            })(),
            5 => new_file(l, r, payload_at, &mut p),
            6 => (|| {
                let count = p.varint()?;
                let ids: Option<Vec<u64>> = (0..count.min(payload.len() as u64))
                    .map(|_| p.varint())
                    .collect();
                let ids = ids.filter(|ids| ids.len() as u64 == count)?;
                sub(l, &p, 0, format!("{count} runs, newest first: {ids:?}"));
                Some(())
            })(),
            t if t & SAFE_TO_IGNORE != 0 => {
                p.bytes(len);
                sub(l, &p, 0, "skipped".to_string());
                Some(())
            }
            _ => {
                bad(l, format!("unknown required field tag {tag}"));
                return;
            }
        };
        if ok.is_none() {
            return bad(l, format!("{name} field does not decode"));
        }
        if tag != 5 && p.remaining() > 0 {
            return bad(
                l,
                format!("{} bytes left inside the {name} field", p.remaining()),
            );
        }
    }
}

/// A NewFile payload: fixed fields, then sub-fields to the end.
fn new_file(l: &mut Listing, r: &Record, at: usize, p: &mut Cursor<'_>) -> Option<()> {
    let field = |l: &mut Listing, p: &Cursor<'_>, from: usize, text: String| {
        l.field(r.pos(at + from), p.since(from), 2, text);
    };
    let (ks, level, number, size) = (p.varint()?, p.varint()?, p.varint()?, p.varint()?);
    field(
        l,
        p,
        0,
        format!("keyspace {ks}, level {level}, file {number:06}.sst, size {size}"),
    );
    for name in ["smallest", "largest"] {
        let from = p.pos();
        let n = usize::try_from(p.varint()?).ok()?;
        let key = p.bytes(n)?;
        field(l, p, from, format!("{name}: {}", internal_key(key)));
    }
    let from = p.pos();
    let (s, lg, e, d) = (p.varint()?, p.varint()?, p.varint()?, p.varint()?);
    field(
        l,
        p,
        from,
        format!("seqs {s}..={lg}, entries {e}, deletions {d}"),
    );
    while p.remaining() > 0 {
        let from = p.pos();
        let tag = p.varint()?;
        let n = usize::try_from(p.varint()?).ok()?;
        p.bytes(n)?;
        field(
            l,
            p,
            from,
            format!("sub-field tag {tag}, {n} bytes ({})", tag_name(tag | 0x80)),
        );
        if tag & SAFE_TO_IGNORE == 0 {
            return None;
        }
    }
    Some(())
}
