//! Read-only access to a database's files for inspection tools (`strata verify|inspect|dump`).
//!
//! Job: expose what the MANIFEST, each SST and each WAL hold, without opening the database and
//! without exposing the engine's internal types: every summary here is a plain owned struct.
//!
//! Threading: every function is a free function over files on the real filesystem; none holds
//! state between calls, so they may run from any thread. They never write: a database open in
//! another process may be read, but what is read is then a snapshot of a moving target.
//!
//! Invariants: any inconsistency in bytes read from disk is returned as
//! [`Error::Corruption`] naming the file and offset, never a panic.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use crate::batch::decode_wal_record;
use crate::error::{Error, Result};
use crate::filename::{FileKind, parse_file_name};
use crate::fs::{FileSystem, RealFs};
use crate::iter::InternalIterator;
use crate::key::{SeqNum, ValueKind, parse_internal_key};
pub use crate::sstable::Properties;
use crate::sstable::Table;
use crate::version::manifest::{read_current, replay};
use crate::wal::LogReader;

mod history;
pub use history::{EditSummary, decompress_block, manifest_history};

/// One live SST as the MANIFEST records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    /// Level (0 for L0; a run's level or tier id otherwise).
    pub level: u32,
    /// File number (`NNNNNN.sst`).
    pub number: u64,
    /// Recorded size in bytes.
    pub size: u64,
    /// Smallest user key.
    pub smallest: Bytes,
    /// Largest user key.
    pub largest: Bytes,
    /// Smallest seq of any entry.
    pub smallest_seq: SeqNum,
    /// Largest seq of any entry.
    pub largest_seq: SeqNum,
    /// Entries (every version, tombstones included).
    pub num_entries: u64,
    /// Tombstones.
    pub num_deletions: u64,
}

/// What replaying the live MANIFEST yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestSummary {
    /// The number of the MANIFEST named by `CURRENT`.
    pub manifest_number: u64,
    /// WALs numbered below this are obsolete.
    pub log_number: u64,
    /// The next file number to allocate.
    pub next_file_number: u64,
    /// The last sequence number recorded.
    pub last_sequence: SeqNum,
    /// Edits replayed.
    pub edits: usize,
    /// Whether the MANIFEST ended in a torn (dropped) tail.
    pub torn_tail: bool,
    /// Live files: L0 newest first, then each run in key order.
    pub files: Vec<FileSummary>,
    /// The first broken invariant of the version (order, overlap, duplicates), if any.
    pub invariant_error: Option<String>,
}

fn file_summary(level: u32, f: &crate::version::FileMeta) -> FileSummary {
    FileSummary {
        level,
        number: f.number,
        size: f.size,
        smallest: Bytes::copy_from_slice(f.smallest_user_key()),
        largest: Bytes::copy_from_slice(f.largest_user_key()),
        smallest_seq: f.smallest_seq,
        largest_seq: f.largest_seq,
        num_entries: f.num_entries,
        num_deletions: f.num_deletions,
    }
}

/// Reads `dir/CURRENT` and replays the MANIFEST it names.
///
/// # Errors
/// `InvalidArgument` when there is no `CURRENT`; `Corruption` for a damaged `CURRENT` or
/// MANIFEST; I/O errors.
pub fn read_manifest(dir: &Path) -> Result<ManifestSummary> {
    let fs = RealFs;
    let number = read_current(&fs, dir)?
        .ok_or_else(|| Error::InvalidArgument(format!("{} has no CURRENT file", dir.display())))?;
    // Zero preset levels: replay creates every run the MANIFEST names, whatever the options.
    let state = replay(&fs, dir, number, 0)?;
    let files = state
        .version
        .all_files()
        .map(|(level, f)| file_summary(level, f))
        .collect();
    Ok(ManifestSummary {
        manifest_number: number,
        log_number: state.log_number,
        next_file_number: state.next_file_number,
        last_sequence: state.last_sequence,
        edits: state.edits,
        torn_tail: state.torn_tail,
        files,
        invariant_error: state.version.check_invariants().err(),
    })
}

/// A table's footer, layout, properties and index summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    /// File size in bytes.
    pub size: u64,
    /// Format version (footer).
    pub format_version: u32,
    /// Footer offset (= size - 48).
    pub footer_offset: u64,
    /// Meta-index block `(offset, size)`.
    pub meta_index: (u64, u64),
    /// Index block `(offset, size)`.
    pub index: (u64, u64),
    /// Properties block `(offset, size)`.
    pub properties: (u64, u64),
    /// Filter block `(offset, size)`, if any.
    pub filter: Option<(u64, u64)>,
    /// End of the data region.
    pub data_end: u64,
    /// Entries in the index (one per data block).
    pub index_entries: u64,
    /// Everything the properties block records (keys in it are encoded internal keys).
    pub props: Properties,
}

/// The table's number from its file name (`NNNNNN.sst`), or 0 for another name.
fn table_number(path: &Path) -> u64 {
    match path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(parse_file_name)
    {
        Some(FileKind::Table(n)) => n,
        _ => 0,
    }
}

fn open(path: &Path) -> Result<Arc<Table>> {
    let file = RealFs.open_read(path)?;
    Ok(Arc::new(Table::open(table_number(path), file, None)?))
}

fn handle(h: crate::sstable::BlockHandle) -> (u64, u64) {
    (h.offset, h.size)
}

/// Opens the SST at `path` (checking footer, meta-index, index, properties and filter) and
/// summarizes it.
///
/// # Errors
/// `Corruption` naming the file and offset; `UnsupportedFormat`; I/O errors.
pub fn open_table(path: &Path) -> Result<TableSummary> {
    let table = open(path)?;
    let mut index = table.index_iter();
    index.seek_to_first().map_err(|e| table.index_error(e))?;
    let mut index_entries = 0u64;
    while index.valid() {
        index_entries += 1;
        index.next().map_err(|e| table.index_error(e))?;
    }
    let layout = table.layout();
    Ok(TableSummary {
        size: table.size(),
        format_version: layout.format_version,
        footer_offset: layout.footer_offset,
        meta_index: handle(layout.meta_index),
        index: handle(layout.index),
        properties: handle(layout.properties),
        filter: layout.filter.map(handle),
        data_end: layout.data_end,
        index_entries,
        props: table.properties().clone(),
    })
}

/// Opens the SST at `path` and reads every block, checking every checksum, the key order, the
/// index, the filter and the properties' counts. Returns the number of entries.
///
/// # Errors
/// `Corruption` naming the file and the offset of the first fault; I/O errors.
pub fn verify_table(path: &Path) -> Result<u64> {
    open(path)?.verify()
}

/// One internal entry of a table, borrowed from the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEntry<'a> {
    /// The user key.
    pub key: &'a [u8],
    /// The sequence number.
    pub seq: SeqNum,
    /// Put or Delete.
    pub kind: ValueKind,
    /// The value (empty for deletes).
    pub value: &'a [u8],
}

/// Calls `visit` on every internal entry of the SST at `path`, in key order (user key
/// ascending, newest version first), with user key in `[from, to]` when those bounds are given.
///
/// # Errors
/// `Corruption` naming the file and offset; I/O errors; whatever `visit` returns.
pub fn table_entries(
    path: &Path,
    from: Option<&[u8]>,
    to: Option<&[u8]>,
    mut visit: impl FnMut(RawEntry<'_>) -> Result<()>,
) -> Result<()> {
    let table = open(path)?;
    let mut it = table.iter_no_cache();
    match from {
        Some(from) => it.seek(&crate::key::seek_key(from, crate::key::MAX_SEQUENCE))?,
        None => it.seek_to_first()?,
    }
    while it.valid() {
        let parsed = parse_internal_key(it.key())
            .ok_or_else(|| Error::corruption(path, 0, "entry with a malformed internal key"))?;
        if to.is_some_and(|to| parsed.user_key > to) {
            break;
        }
        visit(RawEntry {
            key: parsed.user_key,
            seq: parsed.seq,
            kind: parsed.kind,
            value: it.value(),
        })?;
        it.next()?;
    }
    Ok(())
}

/// What a WAL holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalSummary {
    /// Log records (write batches).
    pub records: u64,
    /// Puts and deletes over all records.
    pub entries: u64,
    /// Tombstones among them.
    pub deletions: u64,
    /// Smallest first seq of any record (0 if none).
    pub smallest_seq: SeqNum,
    /// Largest seq of any entry (0 if none).
    pub largest_seq: SeqNum,
    /// Bytes up to the end of the last complete record.
    pub valid_len: u64,
    /// The file's size.
    pub file_size: u64,
    /// Whether the log ends in a torn (incomplete) tail, as a crash mid-write leaves; recovery
    /// drops it, so it is not damage.
    pub tail_torn: bool,
}

/// Reads every record of the WAL at `path` and decodes every batch in it.
///
/// # Errors
/// `Corruption` naming the file and the record's offset for a bad checksum or an undecodable
/// batch; I/O errors.
pub fn read_wal(path: &Path) -> Result<WalSummary> {
    let mut reader = LogReader::open(&RealFs, path)?;
    let mut summary = WalSummary::default();
    let mut record = Vec::new();
    while reader.read_record_into(&mut record)? {
        let offset = reader.last_record_offset();
        let bad = |reason: &str| Error::corruption(path, offset, reason.to_string());
        let mut decoded = decode_wal_record(&record).ok_or_else(|| bad("undecodable batch"))?;
        let mut count = 0u64;
        for r in decoded.records.by_ref() {
            count += 1;
            if r.kind == ValueKind::Delete {
                summary.deletions += 1;
            }
        }
        if !decoded.records.finished_cleanly() || count != u64::from(decoded.count) {
            return Err(bad("batch records do not match its count"));
        }
        if summary.records == 0 || decoded.first_seq < summary.smallest_seq {
            summary.smallest_seq = decoded.first_seq;
        }
        summary.largest_seq = summary.largest_seq.max(decoded.last_seq);
        summary.records += 1;
        summary.entries += count;
    }
    summary.valid_len = reader.valid_len();
    summary.file_size = reader.file_size();
    summary.tail_torn = reader.tail_torn();
    Ok(summary)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{CompactionOptions, Db, Options};

    fn tiny_db(dir: &Path) {
        let db = Db::open(
            dir,
            Options {
                compaction: CompactionOptions::None,
                ..Options::default()
            },
        )
        .unwrap();
        db.put("a", "1").unwrap();
        db.put("b", "2").unwrap();
        db.delete("a").unwrap();
        db.flush().unwrap();
        db.put("c", "3").unwrap();
        db.close().unwrap();
    }

    #[test]
    fn summaries_match_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        tiny_db(dir.path());
        let m = read_manifest(dir.path()).unwrap();
        assert_eq!(m.invariant_error, None);
        assert_eq!(m.files.len(), 1);
        let f = &m.files[0];
        // Flush keeps only the newest version of `a` (no snapshot needs the older one).
        assert_eq!((f.num_entries, f.num_deletions), (2, 1));
        assert_eq!((&f.smallest[..], &f.largest[..]), (&b"a"[..], &b"b"[..]));
        let path = crate::filename::table_path(dir.path(), f.number);
        let t = open_table(&path).unwrap();
        assert_eq!((t.props.num_entries, t.size), (2, f.size));
        assert_eq!(verify_table(&path).unwrap(), 2);
        let mut rows = Vec::new();
        table_entries(&path, None, None, |e| {
            rows.push((e.key.to_vec(), e.seq, e.kind, e.value.to_vec()));
            Ok(())
        })
        .unwrap();
        let wal = crate::filename::wal_path(dir.path(), m.log_number);
        let w = read_wal(&wal).unwrap();
        assert_eq!((w.records, w.entries, w.deletions), (1, 1, 0));
        let kinds: Vec<_> = rows.iter().map(|r| (r.0.clone(), r.2)).collect();
        assert_eq!(
            kinds,
            vec![
                (b"a".to_vec(), ValueKind::Delete),
                (b"b".to_vec(), ValueKind::Put)
            ]
        );
    }

    #[test]
    fn a_flipped_byte_is_reported_with_file_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        tiny_db(dir.path());
        let m = read_manifest(dir.path()).unwrap();
        let path = crate::filename::table_path(dir.path(), m.files[0].number);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[3] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        let err = verify_table(&path).unwrap_err();
        assert!(matches!(err, Error::Corruption { ref file, .. } if *file == path));
    }

    #[test]
    fn every_flip_and_truncation_of_an_sst_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        tiny_db(dir.path());
        let m = read_manifest(dir.path()).unwrap();
        let path = crate::filename::table_path(dir.path(), m.files[0].number);
        let good = std::fs::read(&path).unwrap();
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            std::fs::write(&path, &bad).unwrap();
            assert!(verify_table(&path).is_err(), "flip at {at}");
            std::fs::write(&path, &good[..at]).unwrap();
            assert!(verify_table(&path).is_err(), "truncation to {at}");
            assert!(open_table(&path).is_err(), "truncation to {at}");
        }
    }

    #[test]
    fn a_damaged_wal_never_panics_nor_invents_records() {
        let dir = tempfile::tempdir().unwrap();
        tiny_db(dir.path());
        let m = read_manifest(dir.path()).unwrap();
        let path = crate::filename::wal_path(dir.path(), m.log_number);
        let good = std::fs::read(&path).unwrap();
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            std::fs::write(&path, &bad).unwrap();
            assert!(
                read_wal(&path).map_or(true, |w| w.records == 0),
                "flip at {at}"
            );
            std::fs::write(&path, &good[..at]).unwrap();
            assert!(
                read_wal(&path).map_or(true, |w| w.records == 0),
                "cut at {at}"
            );
        }
    }
}
