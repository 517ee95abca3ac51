//! Tests of the log format against a `Vec<Vec<u8>>` model: round trips, truncation at every
//! offset, every byte flipped, zero tails, fragment sequence errors, and a golden byte dump.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::format::{FragmentType, encode_header};
use super::*;
use crate::error::{Error, Result};
use crate::fs::{RandomAccessFile, WritableFile};

/// A writable file appending to a shared vector.
struct VecFile(Arc<Mutex<Vec<u8>>>);

impl WritableFile for VecFile {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
    fn size(&self) -> u64 {
        self.0.lock().unwrap().len() as u64
    }
}

/// A read-only file over a prefix of shared bytes.
struct SliceFile {
    data: Arc<Vec<u8>>,
    len: usize,
    path: PathBuf,
}

impl RandomAccessFile for SliceFile {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        let start = offset as usize;
        match self
            .data
            .get(start..start + buf.len())
            .filter(|_| start + buf.len() <= self.len)
        {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(Error::io(
                &self.path,
                std::io::ErrorKind::UnexpectedEof.into(),
            )),
        }
    }
    fn size(&self) -> u64 {
        self.len as u64
    }
    fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes `records` with the given block size; returns the bytes and each record's end offset.
pub(super) fn write_log(records: &[Vec<u8>], block_size: usize) -> (Vec<u8>, Vec<u64>) {
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let mut w = LogWriter::with_block_size(
        Box::new(VecFile(bytes.clone())),
        PathBuf::from("test.log"),
        block_size,
    );
    let mut ends = Vec::new();
    for r in records {
        w.add_record(r).unwrap();
        ends.push(w.size());
    }
    w.sync().unwrap();
    let out = bytes.lock().unwrap().clone();
    assert_eq!(out.len() as u64, w.size());
    (out, ends)
}

fn reader(data: &Arc<Vec<u8>>, len: usize, block_size: usize) -> LogReader {
    let file = SliceFile {
        data: data.clone(),
        len,
        path: PathBuf::from("test.log"),
    };
    LogReader::with_block_size(Arc::new(file), block_size)
}

/// Reads every record until the end or an error.
fn read_all(r: &mut LogReader) -> (Vec<Vec<u8>>, Option<Error>) {
    let mut out = Vec::new();
    loop {
        match r.read_record() {
            Ok(Some(rec)) => out.push(rec),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

fn random_bytes(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill(&mut v[..]);
    v
}

fn assert_round_trip(records: &[Vec<u8>], block_size: usize) {
    let (bytes, ends) = write_log(records, block_size);
    let bytes = Arc::new(bytes);
    let mut r = reader(&bytes, bytes.len(), block_size);
    let (got, err) = read_all(&mut r);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), records.len());
    assert!(got == records, "records differ");
    assert!(!r.tail_torn());
    assert_eq!(r.valid_len(), ends.last().copied().unwrap_or(0));
    assert_eq!(r.read_record().unwrap(), None, "the end is sticky");
}

#[test]
fn round_trips_edge_sizes() {
    let b = BLOCK_SIZE;
    let mut rng = StdRng::seed_from_u64(1);
    let sizes = [
        0,
        1,
        b - HEADER_SIZE,
        b - HEADER_SIZE - 1,
        b - HEADER_SIZE + 1,
        b,
        100 << 10,
    ];
    let records: Vec<_> = sizes.iter().map(|&n| random_bytes(&mut rng, n)).collect();
    assert_round_trip(&records, BLOCK_SIZE);
    for r in &records {
        assert_round_trip(std::slice::from_ref(r), BLOCK_SIZE);
    }
    assert_round_trip(&[], BLOCK_SIZE);
    assert_round_trip(&[vec![], vec![], vec![]], BLOCK_SIZE);
}

#[test]
fn exact_fill_leaves_no_trailer_and_small_leftover_is_zero_padded() {
    let b = BLOCK_SIZE;
    // A record filling the block exactly: the next record starts at the next block.
    let (bytes, ends) = write_log(&[vec![7; b - HEADER_SIZE], vec![8; 3]], b);
    assert_eq!(ends, vec![b as u64, (b + HEADER_SIZE + 3) as u64]);
    assert_eq!(bytes[b + 6], FragmentType::Full as u8);
    // Three bytes left in the block: padded with zeros, then the record in the next block.
    let (bytes, ends) = write_log(&[vec![7; b - HEADER_SIZE - 3], vec![9; 1]], b);
    assert_eq!(ends[0], (b - 3) as u64);
    assert_eq!(&bytes[b - 3..b], &[0, 0, 0]);
    assert_eq!(ends[1], (b + HEADER_SIZE + 1) as u64);
    // Exactly a header's room left: a zero-length First, then a Last with the payload.
    let (bytes, _) = write_log(&[vec![7; b - 2 * HEADER_SIZE], vec![5; 10]], b);
    assert_eq!(bytes[b - 1], FragmentType::First as u8);
    assert_eq!(&bytes[b - 3..b - 1], &[0, 0]);
    assert_eq!(bytes[b + 6], FragmentType::Last as u8);
    assert_round_trip(&[vec![7; b - 2 * HEADER_SIZE], vec![5; 10]], b);
}

#[test]
fn random_sizes_match_the_model() {
    let mut rng = StdRng::seed_from_u64(2);
    for &block_size in &[BLOCK_SIZE, 64, HEADER_SIZE + 1, 1000] {
        for _ in 0..20 {
            let n = rng.random_range(0..40);
            let max = if rng.random_bool(0.2) {
                3 * block_size
            } else {
                block_size / 2
            };
            let records: Vec<_> = (0..n)
                .map(|_| {
                    let len = rng.random_range(0..=max);
                    random_bytes(&mut rng, len)
                })
                .collect();
            assert_round_trip(&records, block_size);
        }
    }
}

/// Cuts `records`' log at every offset: exactly the complete records before the cut.
fn check_every_truncation(records: &[Vec<u8>], block_size: usize) {
    let (bytes, ends) = write_log(records, block_size);
    let bytes = Arc::new(bytes);
    for cut in 0..=bytes.len() {
        let mut r = reader(&bytes, cut, block_size);
        let (got, err) = read_all(&mut r);
        assert!(err.is_none(), "cut {cut}: {err:?}");
        let complete = ends.iter().filter(|&&e| e <= cut as u64).count();
        assert_eq!(got.len(), complete, "cut {cut}");
        assert!(got[..] == records[..complete], "cut {cut}: contents differ");
        let last_end = if complete == 0 { 0 } else { ends[complete - 1] };
        assert_eq!(r.valid_len(), last_end, "cut {cut}");
        assert_eq!(r.tail_torn(), (cut as u64) > last_end, "cut {cut}");
    }
}

fn mixed_records(rng: &mut StdRng, block_size: usize) -> Vec<Vec<u8>> {
    let sizes = [
        5,
        0,
        block_size / 3,
        2 * block_size + 100,
        1,
        block_size.saturating_sub(2 * HEADER_SIZE),
        17,
        3,
    ];
    sizes.iter().map(|&n| random_bytes(rng, n)).collect()
}

#[test]
fn truncation_at_every_offset_small_blocks() {
    let mut rng = StdRng::seed_from_u64(3);
    for block_size in [HEADER_SIZE + 1, 16, 50, 101] {
        check_every_truncation(&mixed_records(&mut rng, block_size), block_size);
    }
}

#[test]
fn truncation_at_every_offset_real_blocks() {
    let mut rng = StdRng::seed_from_u64(4);
    let records: Vec<_> = [5, 0, 1000, 70_000, 17, 3]
        .iter()
        .map(|&n| random_bytes(&mut rng, n))
        .collect();
    check_every_truncation(&records, BLOCK_SIZE);
}

/// Flips one byte at every offset: a clean prefix (exactly the records before the damaged one)
/// and then a `Corruption` at or before the flip, or a torn tail; never other contents.
fn check_every_flip(records: &[Vec<u8>], block_size: usize, masks: &[u8]) {
    let (original, ends) = write_log(records, block_size);
    for pos in 0..original.len() {
        for &mask in masks {
            let mut bytes = original.clone();
            bytes[pos] ^= mask;
            let bytes = Arc::new(bytes);
            let mut r = reader(&bytes, bytes.len(), block_size);
            let (got, err) = read_all(&mut r);
            let intact = ends.iter().filter(|&&e| e <= pos as u64).count();
            assert_eq!(got.len(), intact, "flip {pos}^{mask:#x}: {err:?}");
            assert!(got[..] == records[..intact], "flip {pos}: contents differ");
            match err {
                Some(Error::Corruption { offset, .. }) => {
                    assert!(
                        offset <= pos as u64 && offset >= r.valid_len(),
                        "flip {pos}"
                    );
                    let again = r.read_record();
                    assert!(
                        matches!(again, Err(Error::Corruption { .. })),
                        "sticky error"
                    );
                }
                Some(other) => panic!("flip {pos}: unexpected error {other}"),
                None => assert!(
                    r.tail_torn(),
                    "flip {pos}^{mask:#x}: neither error nor torn"
                ),
            }
        }
    }
}

#[test]
fn every_byte_flipped_small_blocks() {
    let mut rng = StdRng::seed_from_u64(5);
    for block_size in [16, 50] {
        check_every_flip(
            &mixed_records(&mut rng, block_size),
            block_size,
            &[0x01, 0x80, 0xFF],
        );
    }
}

#[test]
fn every_byte_flipped_real_blocks() {
    let mut rng = StdRng::seed_from_u64(6);
    let records: Vec<_> = [5, 0, 1000, 70_000, 17, 3]
        .iter()
        .map(|&n| random_bytes(&mut rng, n))
        .collect();
    check_every_flip(&records, BLOCK_SIZE, &[0x10]);
}

#[test]
fn zero_tails_are_torn_and_zeros_before_data_are_corrupt() {
    let records = vec![b"alpha".to_vec(), vec![1; 3000], b"omega".to_vec()];
    let (bytes, ends) = write_log(&records, BLOCK_SIZE);
    let end = *ends.last().unwrap();
    for zeros in [1, 6, 7, 8, 100, BLOCK_SIZE, 2 * BLOCK_SIZE + 5] {
        let mut padded = bytes.clone();
        padded.resize(padded.len() + zeros, 0);
        let padded = Arc::new(padded);
        let mut r = reader(&padded, padded.len(), BLOCK_SIZE);
        let (got, err) = read_all(&mut r);
        assert!(err.is_none() && got == records, "{zeros} zeros");
        assert!(r.tail_torn());
        assert_eq!(r.valid_len(), end);
        // Zeros followed by anything non-zero are not a tail.
        let mut garbage = padded.to_vec();
        garbage.push(1);
        let garbage = Arc::new(garbage);
        let (got, err) = read_all(&mut reader(&garbage, garbage.len(), BLOCK_SIZE));
        assert_eq!(got.len(), 3);
        if zeros >= HEADER_SIZE {
            let offset = matches!(err, Some(Error::Corruption { offset, .. }) if offset == end);
            assert!(offset, "{zeros} zeros then data: {err:?}");
        }
    }
    // A preallocated file of zeros only.
    let zeros = Arc::new(vec![0u8; 3 * BLOCK_SIZE]);
    let mut r = reader(&zeros, zeros.len(), BLOCK_SIZE);
    assert_eq!(r.read_record().unwrap(), None);
    assert!(r.tail_torn());
    assert_eq!(r.valid_len(), 0);
}

fn fragment(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = super::format::fragment_crc(kind, payload)
        .to_le_bytes()
        .to_vec();
    v.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    v.push(kind);
    v.extend_from_slice(payload);
    v
}

fn expect_corruption(bytes: Vec<u8>, block_size: usize, records: usize, at: u64, reason: &str) {
    let bytes = Arc::new(bytes);
    let (got, err) = read_all(&mut reader(&bytes, bytes.len(), block_size));
    assert_eq!(got.len(), records, "{reason}");
    match err {
        Some(Error::Corruption {
            offset, reason: r, ..
        }) => {
            assert_eq!(offset, at, "{r}");
            assert!(r.contains(reason), "{r} does not mention {reason}");
        }
        other => panic!("expected corruption ({reason}), got {other:?}"),
    }
}

#[test]
fn bad_fragment_sequences_are_corruption() {
    // Block size 32: a First/Middle payload of 25 bytes fills its block.
    let (full, first, middle, last) = (1, 2, 3, 4);
    let p25 = [7u8; 25];
    let ok = fragment(full, b"ok");
    let pad = |mut v: Vec<u8>| {
        v.resize(32, 0);
        v
    };
    let filler = fragment(full, &p25);
    expect_corruption(
        [filler, fragment(middle, &p25)].concat(),
        32,
        1,
        32,
        "without First",
    );
    expect_corruption(
        [ok.clone(), fragment(last, b"x")].concat(),
        32,
        1,
        9,
        "without First",
    );
    let begun = fragment(first, &p25);
    expect_corruption(
        [begun.clone(), fragment(full, b"x")].concat(),
        32,
        0,
        32,
        "inside the record",
    );
    expect_corruption(
        [begun.clone(), fragment(first, &p25)].concat(),
        32,
        0,
        32,
        "inside the record",
    );
    // First fragment that does not fill its block.
    expect_corruption(fragment(first, b"short"), 32, 0, 0, "ends inside its block");
    // Unknown type with a valid checksum, and a length running past the block.
    expect_corruption(
        [ok.clone(), fragment(9, b"x")].concat(),
        32,
        1,
        9,
        "unknown fragment type",
    );
    let mut long = fragment(full, b"abc");
    long[4] = 30;
    expect_corruption([ok.clone(), long].concat(), 32, 1, 9, "runs past its block");
    // Non-zero trailer.
    let mut trailer = pad(fragment(full, &[1; 22]));
    trailer[30] = 1;
    trailer.extend_from_slice(&ok);
    expect_corruption(trailer, 32, 1, 29, "trailer");
    // First + Middle + Last across three blocks is fine, even with an empty Last.
    let good = [begun.clone(), fragment(middle, &p25), fragment(last, b"")].concat();
    let good = Arc::new(good);
    let (got, err) = read_all(&mut reader(&good, good.len(), 32));
    assert!(err.is_none());
    assert_eq!(got, vec![[p25, p25].concat()]);
}

#[test]
fn writer_refuses_work_after_a_failure() {
    struct Failing;
    impl WritableFile for Failing {
        fn append(&mut self, _: &[u8]) -> Result<()> {
            Err(Error::io("f", std::io::Error::other("disk full")))
        }
        fn flush(&mut self) -> Result<()> {
            Ok(())
        }
        fn sync(&mut self) -> Result<()> {
            Ok(())
        }
        fn size(&self) -> u64 {
            0
        }
    }
    let mut w = LogWriter::new(Box::new(Failing), PathBuf::from("f"));
    assert!(w.add_record(b"x").is_err());
    assert!(w.sync().is_err(), "a failed writer stays failed");
    assert!(w.flush().is_err());
}

#[test]
fn real_filesystem_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let fs = crate::fs::RealFs;
    let path = dir.path().join("000001.wal");
    let mut w = LogWriter::new(
        crate::fs::FileSystem::create(&fs, &path).unwrap(),
        path.clone(),
    );
    let mut rng = StdRng::seed_from_u64(7);
    let records: Vec<_> = (0..50).map(|i| random_bytes(&mut rng, i * 997)).collect();
    for r in &records {
        w.add_record(r).unwrap();
    }
    w.flush().unwrap();
    let mut r = LogReader::open(&fs, &path).unwrap();
    let (got, err) = read_all(&mut r);
    assert!(err.is_none() && got == records);
    assert_eq!(r.valid_len(), w.size());
}
