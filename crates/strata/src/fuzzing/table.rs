//! SST open, full iteration and point gets under fuzzing: raw files, tables built from sorted
//! entries (round trip against a model), and built tables with bytes overwritten and every
//! checksum recomputed (so the structural checks behind the checksums are what gets tested).

use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::Result;
use crate::iter::InternalIterator;
use crate::key::{MAX_SEQUENCE, ValueKind, make_internal_key, parse_internal_key};
use crate::options::Compression;
use crate::sstable::format::BlockHandle;
use crate::sstable::{FOOTER_LEN, Table, TableBuilder, TableBuilderOptions};

use super::{Input, MemFile, MemSink, expect_corruption};

/// Entries as (internal key, value).
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// What [`scan_table`] read from a table that opened and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedTable {
    /// The entries, scanning forward.
    pub forward: Entries,
    /// The entries, scanning backward, put back in forward order.
    pub backward: Entries,
}

/// One model entry: (user key, seq, kind, value).
type Entry = (Vec<u8>, u64, ValueKind, Vec<u8>);

const PATH: &str = "fuzz.sst";

fn open(bytes: &[u8]) -> Result<Arc<Table>> {
    Ok(Arc::new(Table::open(7, MemFile::new(bytes, PATH), None)?))
}

/// Opens `bytes` as an SST, iterates it forward and backward, looks up every user key it holds
/// (plus a missing one) and verifies it (`Table::verify`: checksums, key order, counts).
///
/// # Errors
/// `Corruption` / `UnsupportedFormat` for a damaged or foreign file.
pub fn scan_table(bytes: &[u8]) -> Result<ScannedTable> {
    let table = open(bytes)?;
    let mut it = table.iter();
    let mut forward = Vec::new();
    it.seek_to_first()?;
    while it.valid() {
        forward.push((it.key().to_vec(), it.value().to_vec()));
        it.next()?;
    }
    let mut backward = Vec::new();
    it.seek_to_last()?;
    while it.valid() && backward.len() <= forward.len() {
        backward.push((it.key().to_vec(), it.value().to_vec()));
        it.prev()?;
    }
    for (key, _) in forward.iter().take(256) {
        let user_key = parse_internal_key(key).map_or(&key[..], |p| p.user_key);
        table.get(user_key, MAX_SEQUENCE)?;
        it.seek(key)?;
        it.seek_for_prev(key)?;
    }
    table.get(b"\xff\xff\xff fuzz: absent", MAX_SEQUENCE)?;
    table.verify()?;
    backward.reverse();
    Ok(ScannedTable { forward, backward })
}

/// Scans and checks that a table that verifies scans the same both ways.
fn scan_and_check(bytes: &[u8], what: &str) -> Result<Entries> {
    let scanned = scan_table(bytes)?;
    assert_eq!(
        scanned.forward, scanned.backward,
        "{what}: backward scan differs from forward"
    );
    Ok(scanned.forward)
}

fn options(input: &mut Input<'_>) -> TableBuilderOptions {
    TableBuilderOptions {
        block_size: 32 + usize::from(input.u16() % 2048),
        restart_interval: usize::from(input.byte() % 16) + 1,
        bloom_bits_per_key: if input.byte() & 1 == 0 { 0 } else { 10 },
        compression: match input.byte() % 3 {
            0 => Compression::None,
            1 => Compression::Lz4,
            _ => Compression::Zstd,
        },
    }
}

/// Entries in internal-key order (user key ascending, seq descending), no duplicate pair.
fn entries(input: &mut Input<'_>) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    while !input.is_empty() && out.len() < 2048 {
        let key = input.bytes(16).to_vec();
        let seq = u64::from(input.u16()) + 1;
        let kind = if input.byte().is_multiple_of(4) {
            ValueKind::Delete
        } else {
            ValueKind::Put
        };
        let value = match kind {
            ValueKind::Put => input.bytes(64).to_vec(),
            ValueKind::Delete => Vec::new(),
        };
        out.push((key, seq, kind, value));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    out
}

/// Builds a table of `entries` in memory.
fn build(entries: &[Entry], opts: TableBuilderOptions) -> Vec<u8> {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let mut builder = TableBuilder::new(
        Box::new(MemSink(Arc::clone(&sink))),
        PathBuf::from(PATH),
        opts,
    );
    for (k, seq, kind, v) in entries {
        if let Err(e) = builder.add(&make_internal_key(k, *seq, *kind as u8), v) {
            panic!("building a table of sorted entries failed: {e}");
        }
    }
    if let Err(e) = builder.finish() {
        panic!("finishing a table failed: {e}");
    }
    sink.lock().clone()
}

/// The model's answer to `get(user_key, seq)`: the newest entry with seq <= `seq`.
fn model_get(entries: &[Entry], user_key: &[u8], seq: u64) -> Option<(ValueKind, Vec<u8>)> {
    entries
        .iter()
        .find(|e| e.0 == user_key && e.1 <= seq)
        .map(|e| (e.2, e.3.clone()))
}

/// Build → open → scan and get: exactly the model's entries and answers.
fn round_trip(input: &mut Input<'_>) -> Option<(Vec<u8>, Vec<BlockHandle>)> {
    let opts = options(input);
    let entries = entries(input);
    if entries.is_empty() {
        return None;
    }
    let bytes = build(&entries, opts.clone());
    let expected: Entries = entries
        .iter()
        .map(|(k, seq, kind, v)| (make_internal_key(k, *seq, *kind as u8), v.clone()))
        .collect();
    match scan_and_check(&bytes, "built table") {
        Ok(scanned) => assert_eq!(scanned, expected, "table scan differs from what was built"),
        Err(e) => panic!("a built table ({opts:?}) does not scan: {e}"),
    }
    let Ok(table) = open(&bytes) else {
        panic!("a built table does not open");
    };
    for (i, (key, seq, _, _)) in entries.iter().enumerate().take(256) {
        for probe in [MAX_SEQUENCE, *seq, seq - 1, seq + u64::from(i % 3 == 0)] {
            let got = match table.get(key, probe) {
                Ok(got) => got.map(|(kind, v)| (kind, v.to_vec())),
                Err(e) => panic!("get on a built table failed: {e}"),
            };
            assert_eq!(
                got,
                model_get(&entries, key, probe),
                "get({key:?}, {probe}) is wrong"
            );
        }
    }
    Some((bytes, block_handles(&table)))
}

/// Every block of an open table: data blocks, then filter, properties, index, meta-index.
fn block_handles(table: &Table) -> Vec<BlockHandle> {
    let layout = *table.layout();
    let mut handles = Vec::new();
    let mut index = table.index_iter();
    let _ = index.seek_to_first();
    while index.valid() {
        if let Ok(h) = table.index_handle(&index) {
            handles.push(h);
        }
        if index.next().is_err() {
            break;
        }
    }
    handles.extend(layout.filter);
    handles.extend([layout.properties, layout.index, layout.meta_index]);
    handles
}

/// Rewrites every block's CRC32C and the footer's so they match the (changed) bytes.
fn fix_checksums(bytes: &mut [u8], handles: &[BlockHandle]) {
    for h in handles {
        let (Ok(start), Ok(size)) = (usize::try_from(h.offset), usize::try_from(h.size)) else {
            continue;
        };
        let tag_end = start + size + 1;
        if let Some(covered) = bytes.get(start..tag_end) {
            let crc = crc32c::crc32c(covered).to_le_bytes();
            if let Some(slot) = bytes.get_mut(tag_end..tag_end + 4) {
                slot.copy_from_slice(&crc);
            }
        }
    }
    if let Some(at) = bytes.len().checked_sub(FOOTER_LEN) {
        let footer = &bytes[at..];
        let crc = crc32c::crc32c_append(crc32c::crc32c(&footer[..32]), &footer[36..]);
        bytes[at + 32..at + 36].copy_from_slice(&crc.to_le_bytes());
    }
}

/// A built table with bytes overwritten and checksums fixed: a typed error or a clean scan.
fn mutated(input: &mut Input<'_>) {
    let edits: Vec<(u16, u8)> = (0..input.byte() % 8 + 1)
        .map(|_| (input.u16(), input.byte()))
        .collect();
    let Some((mut bytes, handles)) = round_trip(input) else {
        return;
    };
    for (at, value) in edits {
        let len = bytes.len();
        bytes[usize::from(at) % len] = value;
    }
    fix_checksums(&mut bytes, &handles);
    if let Err(e) = scan_and_check(&bytes, "edited table") {
        expect_corruption(&e, "scan_table (checksums fixed)");
    }
}

/// Fuzz oracle for SSTs. First byte: raw file / built table / built table with edits.
pub fn table(data: &[u8]) {
    let mut input = Input::new(data);
    match input.byte() % 3 {
        0 => {
            if let Err(e) = scan_and_check(input.rest(), "raw table") {
                expect_corruption(&e, "scan_table");
            }
        }
        1 => {
            round_trip(&mut input);
        }
        _ => mutated(&mut input),
    }
}
