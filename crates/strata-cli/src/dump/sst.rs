//! `strata dump FILE.sst`: an annotated walk of one table (docs/FORMAT.md, Part I).
//!
//! Job: decode the footer, then the meta-index, index, properties, filter and every data
//! block it leads to, printing each field with its offset and decoded value and each checksum
//! as stored vs computed; then check that the sections tile the file and that the counts agree
//! with the properties. Pure over the file's bytes, single-threaded; a fault is recorded with
//! its file offset and the walk goes on with whatever can still be located.

use std::collections::BTreeMap;

use super::annotate::{Cursor, Listing, Pos, crc_text, preview};
use super::block::{Entry, TRAILER, dump_block, entries};

/// Bytes in the footer.
const FOOTER: usize = 48;
/// The footer's magic.
const MAGIC: &[u8; 8] = b"STRATSST";
/// Meta-index name of the blocked bloom filter (format version 2).
const FILTER: &str = "filter.bloom64.xxh3";
/// Meta-index name of the legacy bloom filter (format version 1).
const LEGACY_FILTER: &str = "filter.bloom.xxh3";
/// Newest format version this tool reads.
const NEWEST_VERSION: u32 = 2;

/// An internal key as `b"user" @seq Kind`.
pub fn internal_key(key: &[u8]) -> String {
    let Some(split) = key.len().checked_sub(8) else {
        return format!(
            "malformed internal key {} ({} bytes < 8)",
            preview(key),
            key.len()
        );
    };
    let mut t = [0u8; 8];
    t.copy_from_slice(&key[split..]);
    let trailer = u64::from_le_bytes(t);
    let kind = match trailer & 0xff {
        0 => "Delete".to_string(),
        1 => "Put".to_string(),
        0xff => "Seek".to_string(),
        k => format!("kind {k}"),
    };
    format!("{} @{} {kind}", preview(&key[..split]), trailer >> 8)
}

/// Decodes a handle (`offset varint | size varint`, nothing after).
fn handle(value: &[u8]) -> Option<(u64, u64)> {
    let mut c = Cursor::new(value);
    let h = (c.varint()?, c.varint()?);
    (c.remaining() == 0).then_some(h)
}

fn handle_text(value: &[u8]) -> String {
    handle(value).map_or_else(
        || format!("handle: malformed {}", preview(value)),
        |(o, s)| format!("handle: offset={o} size={s}"),
    )
}

/// Describes a name → handle or name → varint entry (meta-index, properties).
fn named(l: &mut Listing, e: &Entry, at: Pos, delta: &[u8], value: String) {
    l.field(
        at,
        delta,
        1,
        format!("name: {:?}", String::from_utf8_lossy(&e.key)),
    );
    l.field(e.value_at, &e.value, 1, value);
}

/// What the footer says.
struct Footer {
    meta_index: (u64, u64),
    index: (u64, u64),
    version: u32,
}

fn footer(l: &mut Listing, file: &[u8]) -> Option<Footer> {
    let at = file.len() - FOOTER;
    let bytes = &file[at..];
    let base = Pos::File(at as u64);
    l.section(at as u64, format!("footer [{at}, {})", file.len()));
    let mut c = Cursor::new(bytes);
    let u64_field = |l: &mut Listing, c: &mut Cursor<'_>, name: &str| {
        let start = c.pos();
        let v = c.u64().unwrap_or_default();
        l.field(base.add(start), c.since(start), 0, format!("{name}: {v}"));
        v
    };
    let mi = (
        u64_field(l, &mut c, "meta-index offset"),
        u64_field(l, &mut c, "meta-index size"),
    );
    let ix = (
        u64_field(l, &mut c, "index offset"),
        u64_field(l, &mut c, "index size"),
    );
    let stored = c.u32().unwrap_or_default();
    let computed = crc32c::crc32c_append(crc32c::crc32c(&bytes[..32]), &bytes[36..]);
    l.field(base.add(32), &bytes[32..36], 0, crc_text(stored, computed));
    let version = c.u32().unwrap_or_default();
    l.field(
        base.add(36),
        &bytes[36..40],
        0,
        format!("format version: {version}"),
    );
    let magic = &bytes[40..];
    l.field(
        base.add(40),
        magic,
        0,
        format!("magic: {:?}", String::from_utf8_lossy(magic)),
    );
    let mut sound = true;
    if magic != MAGIC {
        l.problem(
            at as u64 + 40,
            "bad magic (not an SST, expected \"STRATSST\")",
        );
        sound = false;
    }
    if stored != computed {
        l.problem(at as u64 + 32, "footer checksum mismatch");
        sound = false;
    }
    if version == 0 || version > NEWEST_VERSION {
        l.problem(
            at as u64 + 36,
            format!("format version {version}: this tool reads 1..={NEWEST_VERSION}"),
        );
        sound = false;
    }
    sound.then_some(Footer {
        meta_index: mi,
        index: ix,
        version,
    })
}

/// Dumps the table held in `file`.
pub fn dump(l: &mut Listing, file: &[u8]) {
    if file.len() < FOOTER {
        l.section(0, format!("{} bytes", file.len()));
        l.problem(
            0,
            format!(
                "file of {} bytes is shorter than the 48-byte footer",
                file.len()
            ),
        );
        return;
    }
    let Some(f) = footer(l, file) else { return };
    let footer_at = (file.len() - FOOTER) as u64;
    let meta = dump_block(l, file, f.meta_index, "meta-index", |l, raw, base| {
        entries(
            l,
            raw,
            base,
            f.meta_index.0,
            "meta-index",
            &mut |l, e, at, d| {
                named(l, e, at, d, handle_text(&e.value));
            },
        )
    });
    if f.meta_index.0 + f.meta_index.1 + TRAILER != footer_at {
        l.problem(
            f.meta_index.0,
            "meta-index does not end where the footer starts",
        );
    }
    let mut sections: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for e in meta.unwrap_or_default() {
        let name = String::from_utf8_lossy(&e.key).into_owned();
        match handle(&e.value) {
            Some(h) => {
                sections.insert(name, h);
            }
            None => l.problem(
                f.meta_index.0,
                format!("meta-index entry {name:?}: bad handle"),
            ),
        }
    }
    let index = dump_block(l, file, f.index, "index", |l, raw, base| {
        entries(l, raw, base, f.index.0, "index", &mut |l, e, at, d| {
            l.field(at, d, 1, format!("separator: {}", internal_key(&e.key)));
            l.field(e.value_at, &e.value, 1, handle_text(&e.value));
        })
    });
    let props = properties(l, file, sections.get("properties").copied(), f.version);
    // The filter of the table's version; the other name would be an unknown section.
    let filter_name = if f.version == 1 {
        LEGACY_FILTER
    } else {
        FILTER
    };
    if let Some(&h) = sections.get(filter_name) {
        filter(l, file, h, filter_name == FILTER);
    }
    for (name, &(offset, _)) in &sections {
        if name != "properties" && name != filter_name {
            l.section(
                offset,
                format!("section {name:?} at {offset}: unknown to this tool"),
            );
        }
    }
    let handles: Vec<(u64, u64)> = index
        .unwrap_or_default()
        .iter()
        .filter_map(|e| handle(&e.value))
        .collect();
    data(l, file, &handles, &props);
}

/// Dumps the properties block; returns name → varint value (keys are left out).
fn properties(
    l: &mut Listing,
    file: &[u8],
    h: Option<(u64, u64)>,
    version: u32,
) -> BTreeMap<String, u64> {
    let mut values = BTreeMap::new();
    let Some(h) = h else {
        l.problem(0, "the meta-index names no properties block");
        return values;
    };
    let decoded = dump_block(l, file, h, "properties", |l, raw, base| {
        entries(l, raw, base, h.0, "properties", &mut |l, e, at, d| {
            let text = if e.key == b"strata.smallest_key" || e.key == b"strata.largest_key" {
                format!("value: {}", internal_key(&e.value))
            } else {
                let mut c = Cursor::new(&e.value);
                match c.varint().filter(|_| c.remaining() == 0) {
                    Some(v) => format!("value: {v}"),
                    None => format!("value: malformed varint {}", preview(&e.value)),
                }
            };
            named(l, e, at, d, text);
        })
    });
    for e in decoded.unwrap_or_default() {
        let mut c = Cursor::new(&e.value);
        if let Some(v) = c.varint().filter(|_| c.remaining() == 0) {
            values.insert(String::from_utf8_lossy(&e.key).into_owned(), v);
        }
    }
    if let Some(&v) = values.get("strata.format_version")
        && v != u64::from(version)
    {
        l.problem(
            h.0,
            format!("properties say format version {v}, the footer {version}"),
        );
    }
    values
}

/// Dumps the filter block: blocked (64-byte blocks) or legacy.
fn filter(l: &mut Listing, file: &[u8], h: (u64, u64), blocked: bool) {
    dump_block(l, file, h, "filter", |l, raw, base| {
        let Some((&k, bitmap)) = raw.split_last() else {
            l.problem(h.0, "filter: empty block");
            return None;
        };
        let set: u32 = bitmap.iter().map(|b| b.count_ones()).sum();
        let blocks = if blocked {
            format!(", {} blocks of 64 bytes", bitmap.len() / 64)
        } else {
            String::new()
        };
        l.field(
            base,
            bitmap,
            0,
            format!(
                "bitmap: {} bytes{blocks}, {} bits, {set} set",
                bitmap.len(),
                bitmap.len() * 8
            ),
        );
        l.field(base.add(bitmap.len()), &[k], 0, format!("k (probes): {k}"));
        let bad_size = if blocked {
            bitmap.is_empty() || !bitmap.len().is_multiple_of(64)
        } else {
            bitmap.len() < 8
        };
        if !(1..=30).contains(&k) || bad_size {
            l.problem(
                h.0,
                format!("filter: k {k} or {}-byte bitmap out of range", bitmap.len()),
            );
        }
        Some(())
    });
}

/// Dumps every data block named by the index and checks them against the properties.
fn data(l: &mut Listing, file: &[u8], handles: &[(u64, u64)], props: &BTreeMap<String, u64>) {
    let (mut entries_seen, mut deletions, mut expected_at) = (0u64, 0u64, 0u64);
    let mut last_key: Option<Vec<u8>> = None;
    let mut damaged = false;
    for (i, &h) in handles.iter().enumerate() {
        if h.0 != expected_at {
            l.problem(
                h.0,
                format!("data block {i} starts at {}, expected {expected_at}", h.0),
            );
        }
        expected_at = h.0.saturating_add(h.1).saturating_add(TRAILER);
        let title = format!("data block {i}");
        let block = dump_block(l, file, h, &title, |l, raw, base| {
            entries(l, raw, base, h.0, &title, &mut |l, e, at, d| {
                l.field(at, d, 1, format!("key: {}", internal_key(&e.key)));
                l.field(
                    e.value_at,
                    &e.value,
                    1,
                    format!("value: {}", preview(&e.value)),
                );
            })
        });
        let Some(block) = block else {
            damaged = true;
            continue;
        };
        for e in block {
            entries_seen += 1;
            if e.key.len() >= 8 && e.key[e.key.len() - 8] == 0 {
                deletions += 1;
            }
            if let Some(prev) = &last_key
                && !internal_less(prev, &e.key)
            {
                l.problem(
                    h.0,
                    format!(
                        "data block {i}: keys out of order at {}",
                        internal_key(&e.key)
                    ),
                );
            }
            last_key = Some(e.key);
        }
    }
    l.section(file.len() as u64, "summary");
    l.text(0, format!("data blocks: {} (index entries)", handles.len()));
    l.text(
        0,
        format!("entries: {entries_seen} ({deletions} tombstones)"),
    );
    let check = |l: &mut Listing, name: &str, seen: u64| match props.get(name) {
        Some(&p) if p != seen && !damaged => {
            l.problem(0, format!("{name} is {p}, the data blocks hold {seen}"))
        }
        _ => {}
    };
    check(l, "strata.entries", entries_seen);
    check(l, "strata.deletions", deletions);
    check(l, "strata.data_blocks", handles.len() as u64);
    check(l, "strata.data_bytes", expected_at);
}

/// Internal-key order: user key ascending, then trailer descending.
fn internal_less(a: &[u8], b: &[u8]) -> bool {
    let split = |k: &[u8]| {
        let n = k.len().saturating_sub(8);
        let mut t = [0u8; 8];
        t[..k.len() - n].copy_from_slice(&k[n..]);
        (k[..n].to_vec(), u64::from_le_bytes(t))
    };
    let ((ua, ta), (ub, tb)) = (split(a), split(b));
    ua < ub || (ua == ub && ta > tb)
}
