//! Tests of the log format against a `Vec<Vec<u8>>` model, for v2 (written by [`LogWriter`]) and
//! legacy v1 (written by the test-only [`super::v1_writer`]): round trips, truncation at every
//! offset, zero-filled tears at every offset, every byte flipped, zero tails, fragment sequence
//! errors.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::format::{END_BYTE, FragmentType, V1_HEADER_SIZE, file_header, header_crc};
use super::v1_writer::write_v1_log;
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

/// Writes `records` in v2 with the given block size; returns the bytes and each record's end
/// offset.
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

/// The two formats under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    V1,
    V2,
}

impl Format {
    fn write(self, records: &[Vec<u8>], block_size: usize) -> (Vec<u8>, Vec<u64>) {
        match self {
            Format::V1 => write_v1_log(records, block_size),
            Format::V2 => write_log(records, block_size),
        }
    }

    /// Bytes before the first fragment (the file header).
    fn start(self) -> u64 {
        match self {
            Format::V1 => 0,
            Format::V2 => FILE_HEADER_SIZE as u64,
        }
    }

    /// Framing bytes per fragment.
    fn overhead(self) -> usize {
        match self {
            Format::V1 => V1_HEADER_SIZE,
            Format::V2 => FRAGMENT_OVERHEAD,
        }
    }

    /// `valid_len` of a file of `len` bytes in which the records ending at `ends` are complete:
    /// the last complete record's end, else the file header's end once it is all there.
    fn valid_len(self, ends: &[u64], len: u64) -> u64 {
        match ends.iter().rev().find(|&&e| e <= len) {
            Some(&end) => end,
            None if len >= self.start() => self.start(),
            None => 0,
        }
    }
}

const FORMATS: [Format; 2] = [Format::V1, Format::V2];

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

fn assert_round_trip(format: Format, records: &[Vec<u8>], block_size: usize) {
    let (bytes, ends) = format.write(records, block_size);
    let bytes = Arc::new(bytes);
    let mut r = reader(&bytes, bytes.len(), block_size);
    let (got, err) = read_all(&mut r);
    assert!(err.is_none(), "{format:?}: {err:?}");
    assert_eq!(got.len(), records.len());
    assert!(got == records, "{format:?}: records differ");
    assert!(!r.tail_torn());
    assert_eq!(r.valid_len(), ends.last().copied().unwrap_or(0));
    assert_eq!(r.read_record().unwrap(), None, "the end is sticky");
}

#[test]
fn round_trips_edge_sizes() {
    let b = BLOCK_SIZE;
    let mut rng = StdRng::seed_from_u64(1);
    for format in FORMATS {
        let first_room = b - format.start() as usize - format.overhead();
        let sizes = [
            0,
            1,
            first_room,
            first_room - 1,
            first_room + 1,
            b - format.overhead(),
            b,
            100 << 10,
        ];
        let records: Vec<_> = sizes.iter().map(|&n| random_bytes(&mut rng, n)).collect();
        assert_round_trip(format, &records, BLOCK_SIZE);
        for r in &records {
            assert_round_trip(format, std::slice::from_ref(r), BLOCK_SIZE);
        }
        assert_round_trip(format, &[], BLOCK_SIZE);
        assert_round_trip(format, &[vec![], vec![], vec![]], BLOCK_SIZE);
    }
}

#[test]
fn a_new_log_starts_with_the_file_header_and_an_unused_log_stays_empty() {
    let (bytes, ends) = write_log(&[b"x".to_vec()], BLOCK_SIZE);
    assert_eq!(&bytes[..4], b"SLOG");
    assert_eq!(&bytes[4..8], &[0xff, 0xff, 2, 0]);
    assert_eq!(bytes.len(), FILE_HEADER_SIZE + FRAGMENT_OVERHEAD + 1);
    assert_eq!(ends, vec![bytes.len() as u64]);
    assert_eq!(bytes[bytes.len() - 1], END_BYTE);
    let (empty, _) = write_log(&[], BLOCK_SIZE);
    assert!(empty.is_empty(), "no record, no header");
}

#[test]
fn exact_fill_leaves_no_trailer_and_small_leftover_is_zero_padded() {
    let b = BLOCK_SIZE;
    let (h, o) = (FILE_HEADER_SIZE, FRAGMENT_OVERHEAD);
    // A record filling block 0 exactly: the next record starts at the next block.
    let (bytes, ends) = write_log(&[vec![7; b - h - o], vec![8; 3]], b);
    assert_eq!(ends, vec![b as u64, (b + o + 3) as u64]);
    assert_eq!(bytes[b - 1], END_BYTE);
    assert_eq!(bytes[b + 6], FragmentType::Full as u8);
    // Three bytes left in the block: padded with zeros, then the record in the next block.
    let (bytes, ends) = write_log(&[vec![7; b - h - o - 3], vec![9; 1]], b);
    assert_eq!(ends[0], (b - 3) as u64);
    assert_eq!(&bytes[b - 3..b], &[0, 0, 0]);
    assert_eq!(ends[1], (b + o + 1) as u64);
    // Eleven bytes left (one short of a fragment): all trailer.
    let (bytes, ends) = write_log(&[vec![7; b - h - o - 11], vec![9; 1]], b);
    assert_eq!(&bytes[b - 11..b], &[0; 11]);
    assert_eq!(ends[1], (b + o + 1) as u64);
    // Exactly a fragment's framing left: a zero-length First, then a Last with the payload.
    let (bytes, _) = write_log(&[vec![7; b - h - 2 * o], vec![5; 10]], b);
    assert_eq!(bytes[b - o + 6], FragmentType::First as u8);
    assert_eq!(&bytes[b - o + 4..b - o + 6], &[0, 0]);
    assert_eq!(bytes[b - 1], END_BYTE);
    assert_eq!(bytes[b + 6], FragmentType::Last as u8);
    assert_round_trip(Format::V2, &[vec![7; b - h - 2 * o], vec![5; 10]], b);
}

#[test]
fn random_sizes_match_the_model() {
    let mut rng = StdRng::seed_from_u64(2);
    for format in FORMATS {
        for &block_size in &[BLOCK_SIZE, 64, MIN_BLOCK, 1000] {
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
                assert_round_trip(format, &records, block_size);
            }
        }
    }
}

/// The smallest block size readers and writers accept.
const MIN_BLOCK: usize = FILE_HEADER_SIZE + FRAGMENT_OVERHEAD + 1;

/// Reads `bytes` and checks the result against the model: exactly the records that end at or
/// before `intact` (their bytes are as written), no error, `valid_len` at the last one's end,
/// torn iff bytes follow it.
fn expect_prefix(
    format: Format,
    what: &str,
    bytes: Vec<u8>,
    intact: usize,
    records: &[Vec<u8>],
    ends: &[u64],
    block_size: usize,
) {
    let len = bytes.len();
    let bytes = Arc::new(bytes);
    let mut r = reader(&bytes, len, block_size);
    let (got, err) = read_all(&mut r);
    assert!(err.is_none(), "{format:?} {what}: {err:?}");
    let complete = ends.iter().filter(|&&e| e <= intact as u64).count();
    assert_eq!(got.len(), complete, "{format:?} {what}");
    assert!(
        got[..] == records[..complete],
        "{format:?} {what}: contents differ"
    );
    let last_end = format.valid_len(ends, intact as u64);
    assert_eq!(r.valid_len(), last_end, "{format:?} {what}");
    assert_eq!(r.tail_torn(), (len as u64) > last_end, "{format:?} {what}");
}

/// Cuts `records`' log at every offset: exactly the complete records before the cut.
fn check_every_truncation(format: Format, records: &[Vec<u8>], block_size: usize) {
    let (bytes, ends) = format.write(records, block_size);
    for cut in 0..=bytes.len() {
        let what = format!("cut {cut}");
        let prefix = bytes[..cut].to_vec();
        expect_prefix(format, &what, prefix, cut, records, &ends, block_size);
    }
}

/// Tears the last write at every offset the way a power loss can on XFS or ext4
/// `data=writeback`: the file keeps its size (or more) but everything from the cut reads as
/// zeros. Exactly the records before the cut come back, as a torn tail, never `Corruption`.
fn check_every_zero_filled_tear(records: &[Vec<u8>], block_size: usize) {
    let (bytes, ends) = write_log(records, block_size);
    for cut in 0..bytes.len() {
        for extra in [0, 1, block_size] {
            let mut torn = bytes[..cut].to_vec();
            torn.resize(bytes.len() + extra, 0);
            let what = format!("zeros from {cut} (+{extra})");
            expect_prefix(Format::V2, &what, torn, cut, records, &ends, block_size);
        }
    }
}

fn mixed_records(rng: &mut StdRng, block_size: usize, overhead: usize) -> Vec<Vec<u8>> {
    let sizes = [
        5,
        0,
        block_size / 3,
        2 * block_size + 100,
        1,
        block_size.saturating_sub(2 * overhead),
        17,
        3,
    ];
    sizes.iter().map(|&n| random_bytes(rng, n)).collect()
}

#[test]
fn truncation_at_every_offset_small_blocks() {
    let mut rng = StdRng::seed_from_u64(3);
    for format in FORMATS {
        for block_size in [MIN_BLOCK, 32, 50, 101] {
            let records = mixed_records(&mut rng, block_size, format.overhead());
            check_every_truncation(format, &records, block_size);
        }
    }
}

#[test]
fn truncation_at_every_offset_real_blocks() {
    let mut rng = StdRng::seed_from_u64(4);
    let records: Vec<_> = [5, 0, 1000, 70_000, 17, 3]
        .iter()
        .map(|&n| random_bytes(&mut rng, n))
        .collect();
    for format in FORMATS {
        check_every_truncation(format, &records, BLOCK_SIZE);
    }
}

#[test]
fn zero_filled_tears_at_every_offset_small_blocks() {
    let mut rng = StdRng::seed_from_u64(13);
    for block_size in [MIN_BLOCK, 32, 50, 101] {
        let records = mixed_records(&mut rng, block_size, FRAGMENT_OVERHEAD);
        check_every_zero_filled_tear(&records, block_size);
    }
}

#[test]
fn zero_filled_tears_at_every_offset_real_blocks() {
    let mut rng = StdRng::seed_from_u64(14);
    // Records with zero bytes inside, so a tear can fall among zeros that were written.
    let records: Vec<_> = [5, 0, 1000, 40_000, 17]
        .iter()
        .map(|&n| {
            let mut r = random_bytes(&mut rng, n);
            r.iter_mut().step_by(3).for_each(|b| *b = 0);
            r
        })
        .collect();
    check_every_zero_filled_tear(&records, BLOCK_SIZE);
}

/// Flips one byte at every offset: a clean prefix (exactly the records before the damaged one)
/// and then a `Corruption` at or before the flip; in v1 a torn tail is also accepted (a flipped
/// length in the last record reads as one), in v2 never.
fn check_every_flip(format: Format, records: &[Vec<u8>], block_size: usize, masks: &[u8]) {
    let (original, ends) = format.write(records, block_size);
    for pos in 0..original.len() {
        for &mask in masks {
            let mut bytes = original.clone();
            bytes[pos] ^= mask;
            let bytes = Arc::new(bytes);
            let mut r = reader(&bytes, bytes.len(), block_size);
            let (got, err) = read_all(&mut r);
            let intact = ends.iter().filter(|&&e| e <= pos as u64).count();
            let what = format!("{format:?} flip {pos}^{mask:#x}");
            assert_eq!(got.len(), intact, "{what}: {err:?}");
            assert!(got[..] == records[..intact], "{what}: contents differ");
            match err {
                Some(Error::Corruption { offset, .. }) => {
                    assert!(offset <= pos as u64 && offset >= r.valid_len(), "{what}");
                    let again = r.read_record();
                    assert!(
                        matches!(again, Err(Error::Corruption { .. })),
                        "sticky error"
                    );
                }
                Some(other) => panic!("{what}: unexpected error {other}"),
                None => {
                    assert!(format == Format::V1, "{what}: torn, not corruption");
                    assert!(r.tail_torn(), "{what}: neither error nor torn");
                }
            }
        }
    }
}

#[test]
fn every_byte_flipped_small_blocks() {
    let mut rng = StdRng::seed_from_u64(5);
    for format in FORMATS {
        for block_size in [32, 50] {
            check_every_flip(
                format,
                &mixed_records(&mut rng, block_size, format.overhead()),
                block_size,
                &[0x01, 0x80, 0xFF],
            );
        }
    }
}

#[test]
fn every_byte_flipped_real_blocks() {
    let mut rng = StdRng::seed_from_u64(6);
    let records: Vec<_> = [5, 0, 1000, 70_000, 17, 3]
        .iter()
        .map(|&n| random_bytes(&mut rng, n))
        .collect();
    for format in FORMATS {
        check_every_flip(format, &records, BLOCK_SIZE, &[0x10]);
    }
}

#[test]
fn zero_tails_are_torn_and_zeros_before_data_are_corrupt() {
    let records = vec![b"alpha".to_vec(), vec![1; 3000], b"omega".to_vec()];
    for format in FORMATS {
        let (bytes, ends) = format.write(&records, BLOCK_SIZE);
        let end = *ends.last().unwrap();
        for zeros in [1, 6, 7, 8, 11, 12, 13, 100, BLOCK_SIZE, 2 * BLOCK_SIZE + 5] {
            let mut padded = bytes.clone();
            padded.resize(padded.len() + zeros, 0);
            let padded = Arc::new(padded);
            let mut r = reader(&padded, padded.len(), BLOCK_SIZE);
            let (got, err) = read_all(&mut r);
            assert!(err.is_none() && got == records, "{format:?} {zeros} zeros");
            assert!(r.tail_torn());
            assert_eq!(r.valid_len(), end);
            // Zeros followed by anything non-zero are not a tail.
            let mut garbage = padded.to_vec();
            garbage.push(1);
            let garbage = Arc::new(garbage);
            let (got, err) = read_all(&mut reader(&garbage, garbage.len(), BLOCK_SIZE));
            assert_eq!(got.len(), 3);
            if zeros >= format.overhead() {
                let offset = matches!(err, Some(Error::Corruption { offset, .. }) if offset == end);
                assert!(offset, "{format:?} {zeros} zeros then data: {err:?}");
            }
        }
    }
    // A preallocated file of zeros only.
    let zeros = Arc::new(vec![0u8; 3 * BLOCK_SIZE]);
    let mut r = reader(&zeros, zeros.len(), BLOCK_SIZE);
    assert_eq!(r.read_record().unwrap(), None);
    assert!(r.tail_torn());
    assert_eq!(r.valid_len(), 0);
}

/// A v1 fragment.
fn fragment_v1(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = super::format::fragment_crc(kind, payload)
        .to_le_bytes()
        .to_vec();
    v.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    v.push(kind);
    v.extend_from_slice(payload);
    v
}

/// A v2 fragment with a given length field (valid header CRC) and end byte.
fn fragment_v2_raw(kind: u8, length: u16, payload: &[u8], end: u8) -> Vec<u8> {
    let mut v = super::format::fragment_crc(kind, payload)
        .to_le_bytes()
        .to_vec();
    v.extend_from_slice(&length.to_le_bytes());
    v.push(kind);
    let h = header_crc(&v);
    v.extend_from_slice(&h.to_le_bytes());
    v.extend_from_slice(payload);
    v.push(end);
    v
}

/// A well-formed v2 fragment.
fn fragment_v2(kind: u8, payload: &[u8]) -> Vec<u8> {
    fragment_v2_raw(kind, payload.len() as u16, payload, END_BYTE)
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

fn expect_torn(bytes: Vec<u8>, block_size: usize, records: usize, valid_len: u64) {
    let bytes = Arc::new(bytes);
    let mut r = reader(&bytes, bytes.len(), block_size);
    let (got, err) = read_all(&mut r);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), records);
    assert!(r.tail_torn());
    assert_eq!(r.valid_len(), valid_len);
}

#[test]
fn bad_fragment_sequences_are_corruption_v1() {
    // Block size 32: a First/Middle payload of 25 bytes fills its block.
    let (full, first, middle, last) = (1, 2, 3, 4);
    let fragment = fragment_v1;
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
fn bad_fragment_sequences_are_corruption_v2() {
    // Block size 64: block 0 holds the file header and then a First payload of 40 bytes fills
    // it; a First/Middle payload of 52 bytes fills a later block.
    let (full, first, middle, last) = (1, 2, 3, 4);
    let fragment = fragment_v2;
    let hdr = file_header().to_vec();
    let (p40, p52) = ([7u8; 40], [8u8; 52]);
    let ok = fragment(full, b"ok"); // 14 bytes at 12: the next fragment is at 26
    expect_corruption(
        [hdr.clone(), fragment(full, &p40), fragment(middle, &p52)].concat(),
        64,
        1,
        64,
        "without First",
    );
    expect_corruption(
        [hdr.clone(), ok.clone(), fragment(last, b"x")].concat(),
        64,
        1,
        26,
        "without First",
    );
    let begun = fragment(first, &p40);
    expect_corruption(
        [hdr.clone(), begun.clone(), fragment(full, b"x")].concat(),
        64,
        0,
        64,
        "inside the record",
    );
    expect_corruption(
        [hdr.clone(), begun.clone(), fragment(first, &p52)].concat(),
        64,
        0,
        64,
        "inside the record",
    );
    expect_corruption(
        [hdr.clone(), fragment(first, b"short")].concat(),
        64,
        0,
        12,
        "ends inside its block",
    );
    expect_corruption(
        [hdr.clone(), ok.clone(), fragment(9, b"x")].concat(),
        64,
        1,
        26,
        "unknown fragment type",
    );
    // A length past the block with a valid header CRC (a writer bug or a CRC collision).
    let long = fragment_v2_raw(full, 30, b"abc", END_BYTE);
    expect_corruption(
        [hdr.clone(), ok.clone(), long].concat(),
        64,
        1,
        26,
        "runs past its block",
    );
    // Non-zero trailer: a 30-byte payload leaves 10 bytes of block 0.
    let mut trailer = [hdr.clone(), fragment(full, &[1; 30])].concat();
    trailer.resize(64, 0);
    trailer[60] = 1;
    trailer.extend_from_slice(&ok);
    expect_corruption(trailer, 64, 1, 54, "trailer");
    // First + Middle + Last across three blocks is fine, even with an empty Last.
    let good = [
        hdr.clone(),
        begun.clone(),
        fragment(middle, &p52),
        fragment(last, b""),
    ]
    .concat();
    let good = Arc::new(good);
    let (got, err) = read_all(&mut reader(&good, good.len(), 64));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, vec![[&p40[..], &p52[..]].concat()]);
}

#[test]
fn v2_damage_and_tears_are_told_apart() {
    let hdr = file_header().to_vec();
    let ok = fragment_v2(1, b"ok");
    let b = BLOCK_SIZE;
    // A damaged file header is corruption at 0, whatever follows.
    let mut bad = [hdr.clone(), ok.clone()].concat();
    bad[8] ^= 1;
    expect_corruption(bad, b, 0, 0, "file header");
    let mut v3 = [hdr.clone(), ok.clone()].concat();
    v3[6] = 3;
    expect_corruption(v3, b, 0, 0, "file header");
    // A file header cut short, or zero-filled, holds no record.
    for n in 0..FILE_HEADER_SIZE {
        let mut torn = hdr[..n].to_vec();
        torn.resize(n + 30, 0);
        expect_torn(torn, b, 0, 0);
    }
    // A bad end byte is corruption; a zero end byte is torn only with zeros after it.
    let mut end = [hdr.clone(), ok.clone(), ok.clone()].concat();
    end[25] = 0xa4;
    expect_corruption(end.clone(), b, 0, 12, "end byte");
    end[25] = 0;
    expect_corruption(end.clone(), b, 0, 12, "end byte");
    end.truncate(26);
    expect_torn(end.clone(), b, 0, 12);
    end.resize(100, 0);
    expect_torn(end, b, 0, 12);
    // A bad payload CRC with a zero end byte and zeros after it: a zero-filled tear.
    let mut payload = [hdr.clone(), ok.clone(), fragment_v2(1, b"xyz")].concat();
    let n = payload.len();
    payload[n - 4..].fill(0);
    expect_torn(payload.clone(), b, 1, 26);
    // ... but with the end byte intact it is a flipped bit: corruption, even at the tail.
    payload[n - 1] = END_BYTE;
    expect_corruption(payload, b, 1, 26, "checksum mismatch");
    // A damaged header: torn if only zeros follow it, else corruption.
    let mut header = [hdr.clone(), ok.clone(), fragment_v2(1, b"xyz")].concat();
    header[26 + 5] ^= 1;
    expect_corruption(header.clone(), b, 1, 26, "header checksum");
    let mut zeroed = header[..26 + 7].to_vec();
    zeroed.resize(26 + 40, 0);
    expect_torn(zeroed.clone(), b, 1, 26);
    zeroed.push(1);
    expect_corruption(zeroed, b, 1, 26, "header checksum");
    // A valid header whose fragment runs past the end of the file is a real tear.
    let full = [hdr.clone(), ok.clone(), fragment_v2(1, &[9; 100])].concat();
    for cut in 27..full.len() {
        expect_torn(full[..cut].to_vec(), b, 1, 26);
    }
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
