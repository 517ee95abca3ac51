//! WAL replay under fuzzing: the engine's own `replay_wal` over arbitrary bytes, the log reader
//! at small block sizes (many block boundaries), and logs written by the log writer then cut
//! at an arbitrary length, optionally followed by zeros (a torn write; every such prefix must
//! read back as a prefix of the records, without error).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::batch::{WriteBatch, decode_wal_record};
use crate::error::Result;
use crate::fs::SimFs;
use crate::iter::InternalIterator;
use crate::key::{ValueKind, compare_internal_keys, make_internal_key};
use crate::memtable::MemTable;
use crate::wal::{BLOCK_SIZE, FILE_HEADER_SIZE, FRAGMENT_OVERHEAD, LogReader, LogWriter};

use super::{Input, MemFile, MemSink, expect_corruption};

/// What the engine's WAL replay recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayedWal {
    /// The largest seq replayed (0 if none).
    pub max_seq: u64,
    /// The memtable's entries after replay, as (internal key, value) in key order.
    pub entries: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Replays `bytes` as WAL `000001.log` into an empty memtable with the engine's recovery code.
///
/// # Errors
/// `Corruption` for a damaged record or batch (a torn tail is dropped, not an error).
pub fn replay_wal(bytes: &[u8]) -> Result<ReplayedWal> {
    let fs = SimFs::new();
    let dir = Path::new("/fuzz");
    fs.write_file(crate::filename::wal_path(dir, 1), bytes);
    let mem = Arc::new(MemTable::new(1));
    let max_seq = crate::db::replay_wal(&fs, dir, 1, &mem)?;
    let mut it = mem.iter();
    let mut entries = Vec::new();
    it.seek_to_first()?;
    while it.valid() {
        entries.push((it.key().to_vec(), it.value().to_vec()));
        it.next()?;
    }
    Ok(ReplayedWal { max_seq, entries })
}

/// Reads every record of `bytes` with a `block_size` log reader, decoding each batch; checks
/// the reader's end-of-log invariants. `Err` only as the reader or batch decoding reports.
fn read_log(bytes: &[u8], block_size: usize) -> Result<Vec<Vec<u8>>> {
    let mut reader = LogReader::with_block_size(MemFile::new(bytes, "fuzz.log"), block_size);
    let mut records = Vec::new();
    loop {
        match reader.read_record() {
            Ok(Some(record)) => {
                if let Some(mut batch) = decode_wal_record(&record) {
                    batch.records.by_ref().for_each(drop);
                    let _ = batch.records.finished_cleanly();
                }
                assert!(
                    reader.valid_len() <= bytes.len() as u64,
                    "valid_len past the end"
                );
                records.push(record);
            }
            Ok(None) => {
                let torn = reader.valid_len() < bytes.len() as u64;
                assert_eq!(
                    reader.tail_torn(),
                    torn,
                    "tail_torn disagrees with valid_len"
                );
                return Ok(records);
            }
            Err(e) => {
                expect_corruption(&e, "LogReader::read_record");
                assert!(
                    reader.read_record().is_err(),
                    "a log reader error is not sticky"
                );
                return Err(e);
            }
        }
    }
}

/// A block size from one byte: the real one, or a small one (block 0 holds the file header
/// and a fragment with one payload byte).
fn block_size(choice: u8) -> usize {
    match choice {
        0..=127 => BLOCK_SIZE,
        small => FILE_HEADER_SIZE + FRAGMENT_OVERHEAD + 1 + usize::from(small - 128),
    }
}

/// Arbitrary bytes: typed errors only, and the reader's invariants hold.
fn raw(input: &mut Input<'_>) {
    let size = block_size(input.byte());
    let bytes = input.clone().rest();
    if let Err(e) = replay_wal(bytes) {
        expect_corruption(&e, "replay_wal");
    }
    let _ = read_log(bytes, size);
}

/// Batches written with the log writer read back exactly; a cut-off log, with or without zeros
/// after the cut (a torn write, zero-filled as XFS or ext4 `data=writeback` can leave it),
/// reads back the records that ended before the cut, with no error.
fn round_trip(input: &mut Input<'_>) {
    let size = block_size(input.byte());
    let cut = input.u16();
    let zeros = usize::from(input.byte() % 64);
    let sink = Arc::new(Mutex::new(Vec::new()));
    let mut writer = LogWriter::with_block_size(
        Box::new(MemSink(Arc::clone(&sink))),
        PathBuf::from("fuzz.log"),
        size,
    );
    let (mut payloads, mut ends, mut model) = (Vec::new(), Vec::new(), Vec::new());
    let mut seq = 1u64;
    while !input.is_empty() && payloads.len() < 64 {
        let mut batch = WriteBatch::new();
        let first_seq = seq;
        for _ in 0..input.byte() % 8 + 1 {
            let key = input.bytes(16).to_vec();
            if input.byte().is_multiple_of(4) {
                batch.delete(&key);
                model.push((
                    make_internal_key(&key, seq, ValueKind::Delete as u8),
                    Vec::new(),
                ));
            } else {
                let value = input.bytes(200).to_vec();
                batch.put(&key, &value);
                model.push((make_internal_key(&key, seq, ValueKind::Put as u8), value));
            }
            seq += 1;
        }
        let mut payload = Vec::new();
        batch.encode_wal_record(first_seq, &mut payload);
        if let Err(e) = writer.add_record(&payload) {
            panic!("writing to memory failed: {e}");
        }
        payloads.push(payload);
        ends.push(writer.size());
    }
    let full = sink.lock().clone();
    match read_log(&full, size) {
        Ok(records) => assert_eq!(records, payloads, "records differ from what was written"),
        Err(e) => panic!("a whole log does not read back: {e}"),
    }
    if size == BLOCK_SIZE {
        model.sort_by(|a, b| compare_internal_keys(&a.0, &b.0));
        match replay_wal(&full) {
            Ok(replayed) => assert_eq!(replayed.entries, model, "replay differs from the batches"),
            Err(e) => panic!("a whole WAL does not replay: {e}"),
        }
    }
    let cut = usize::from(cut) % (full.len() + 1);
    let mut prefix = full[..cut].to_vec();
    let complete = ends.iter().filter(|&&end| end <= cut as u64).count();
    prefix.resize(cut + zeros, 0);
    match read_log(&prefix, size) {
        Ok(records) => assert_eq!(
            records,
            payloads[..complete],
            "a log cut at {cut} (+{zeros} zeros) does not read back the records before the cut"
        ),
        Err(e) => panic!(
            "a log cut at {cut} (+{zeros} zeros) of {} is reported corrupt: {e}",
            full.len()
        ),
    }
}

/// Fuzz oracle for the WAL. First byte: raw bytes / round trip.
pub fn wal(data: &[u8]) {
    let mut input = Input::new(data);
    match input.byte() % 2 {
        0 => raw(&mut input),
        _ => round_trip(&mut input),
    }
}
