//! Golden byte dumps: the worked examples of docs/FORMAT.md, checked byte for byte, so a
//! format change shows up here as a diff. The expected bytes were computed independently of
//! this crate (a bitwise CRC32C written from the Castagnoli polynomial, in Python).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::BLOCK_SIZE;
use super::format::{FragmentType, encode_header, file_header};
use super::tests::write_log;
use super::v1_writer::write_v1_log;
use crate::batch::{WriteBatch, decode_wal_record};
use crate::error::{Error, Result};
use crate::fs::RandomAccessFile;
use crate::key::ValueKind;
use crate::wal::LogReader;

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn unhex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// The v2 worked example of docs/FORMAT.md ("Log framing"), byte for byte.
#[test]
fn golden_bytes_of_the_worked_example() {
    let (bytes, ends) = write_log(&[b"hi".to_vec(), Vec::new()], BLOCK_SIZE);
    assert_eq!(
        hex(&bytes),
        "53 4c 4f 47 ff ff 02 00 77 4d d8 62 \
         8b 6e ac e0 02 00 01 c9 de d4 f2 68 69 a5 \
         05 2b 28 43 00 00 01 3f 70 d1 fc a5"
    );
    assert_eq!(ends, vec![26, 38]);
    assert_eq!(file_header().to_vec(), bytes[..12].to_vec());
    assert_eq!(
        encode_header(FragmentType::Full, b"hi").to_vec(),
        bytes[12..23].to_vec()
    );
}

/// The WAL record example: `put("k", "v")`, `delete("x")` at first seq 5, as one log record
/// (payload version 2).
#[test]
fn golden_bytes_of_a_wal_record() {
    let mut batch = WriteBatch::new();
    batch.put(b"k", b"v");
    batch.delete(b"x");
    let mut payload = Vec::new();
    batch.encode_wal_record(5, &mut payload);
    assert_eq!(hex(&payload), "02 05 02 01 01 6b 01 76 00 01 78");
    let (bytes, _) = write_log(&[payload], BLOCK_SIZE);
    assert_eq!(hex(&bytes[12..23]), "fb 81 d9 82 0b 00 01 de d7 d9 68");
    assert_eq!(bytes[bytes.len() - 1], 0xa5);
}

/// The legacy (version 1) payload of the same batch, as docs/FORMAT.md shows it, still
/// decodes to the same records.
#[test]
fn the_legacy_v1_wal_record_example_still_decodes() {
    let v1 = unhex("01 05 00 00 00 00 00 00 00 02 00 00 00 01 00 01 6b 01 76 00 00 01 78");
    let rec = decode_wal_record(&v1).unwrap();
    assert_eq!((rec.first_seq, rec.count, rec.last_seq), (5, 2, 6));
    let mut records = rec.records;
    let got: Vec<_> = records
        .by_ref()
        .map(|r| (r.kind, r.key.to_vec(), r.value.to_vec()))
        .collect();
    assert!(records.finished_cleanly());
    assert_eq!(
        got,
        vec![
            (ValueKind::Put, b"k".to_vec(), b"v".to_vec()),
            (ValueKind::Delete, b"x".to_vec(), Vec::new()),
        ]
    );
    let (bytes, _) = write_log(&[v1], BLOCK_SIZE);
    assert_eq!(hex(&bytes[12..23]), "e4 84 46 9b 17 00 01 f1 e2 2d ef");
}

/// A read-only file over fixed bytes.
struct Bytes(Vec<u8>);

impl RandomAccessFile for Bytes {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        let start = usize::try_from(offset).unwrap();
        let src = self
            .0
            .get(start..start + buf.len())
            .ok_or_else(|| Error::io("v1.log", std::io::ErrorKind::UnexpectedEof.into()))?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn path(&self) -> &Path {
        Path::new("v1.log")
    }
}

/// The legacy v1 worked example (what the engine wrote before format v2) still reads back.
#[test]
fn a_legacy_v1_log_still_reads_back() {
    let v1 = unhex("8b 6e ac e0 02 00 01 68 69 05 2b 28 43 00 00 01");
    let (written, _) = write_v1_log(&[b"hi".to_vec(), Vec::new()], BLOCK_SIZE);
    assert_eq!(
        written, v1,
        "the test-only v1 writer matches the golden bytes"
    );
    let mut r = LogReader::from_file(Arc::new(Bytes(v1)));
    assert_eq!(r.read_record().unwrap(), Some(b"hi".to_vec()));
    assert_eq!(r.read_record().unwrap(), Some(Vec::new()));
    assert_eq!(r.read_record().unwrap(), None);
    assert!(!r.tail_torn());
    assert_eq!(r.valid_len(), 16);
    assert_eq!(r.path(), PathBuf::from("v1.log"));
}
