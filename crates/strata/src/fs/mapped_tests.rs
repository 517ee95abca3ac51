//! The mapped log file against a model of its bytes (a `Vec<u8>`), and logs written through it
//! and left unclosed (a crash) read back by the log reader.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::fs::{FileSystem, RealFs};
use crate::wal::{LogReader, LogWriter};

/// Appends of random sizes (empty, tiny, and long enough to cross several windows at once)
/// read back exactly; the file holds zeros past the appended bytes while it is open and is cut
/// to them when the writer is dropped.
#[test]
fn appends_read_back_as_written_with_zeros_after_them_until_dropped() {
    for seed in 0..4u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut model: Vec<u8> = Vec::new();
        let mut log = MappedLog::create(&path)
            .unwrap()
            .expect("ext4/tmpfs preallocate");
        let total = 20 << 20;
        while model.len() < total {
            let len = match rng.random_range(0..10) {
                0 => 0,
                1..=6 => rng.random_range(1..300),
                7 | 8 => rng.random_range(300..100_000),
                _ => rng.random_range(100_000..3_000_000),
            };
            let mut data = vec![0u8; len];
            rng.fill(&mut data[..]);
            log.append(&data).unwrap();
            model.extend_from_slice(&data);
            assert_eq!(log.size(), model.len() as u64);
            if rng.random_bool(0.05) {
                log.flush().unwrap();
            }
            if rng.random_bool(0.02) {
                log.sync().unwrap();
            }
            if rng.random_bool(0.05) {
                // What another reader of the file (or a crash now) sees.
                let on_disk = std::fs::read(&path).unwrap();
                assert!(on_disk.len() >= model.len(), "seed {seed}");
                assert!(
                    on_disk.len() <= model.len() + MAX_WINDOW,
                    "seed {seed}: at most one window of zeros past the end"
                );
                assert!(
                    on_disk[..model.len()] == model[..],
                    "seed {seed}: appended bytes"
                );
                assert!(
                    on_disk[model.len()..].iter().all(|&b| b == 0),
                    "seed {seed}: preallocated tail is zeros"
                );
            }
        }
        drop(log);
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(
            on_disk.len(),
            model.len(),
            "seed {seed}: cut to size on drop"
        );
        assert!(on_disk == model, "seed {seed}");
    }
}

/// A log written through the mapping and never closed (the process "dies": the writer is
/// leaked, so the preallocated zeros stay) reads back every record, and its tail is zeros, not
/// a torn write.
#[test]
fn an_unclosed_mapped_log_reads_back_every_record() {
    for seed in 0..4u64 {
        let mut rng = StdRng::seed_from_u64(100 + seed);
        let dir = tempfile::tempdir().unwrap();
        let path: PathBuf = dir.path().join("000001.wal");
        let mut writer = LogWriter::new(RealFs.create_log(&path).unwrap(), path.clone());
        let mut records: Vec<Vec<u8>> = Vec::new();
        for _ in 0..rng.random_range(0..3000) {
            let len = if rng.random_bool(0.02) {
                rng.random_range(30_000..200_000) // spans log blocks
            } else {
                rng.random_range(0..300)
            };
            let mut record = vec![0u8; len];
            rng.fill(&mut record[..]);
            writer.add_record(&record).unwrap();
            writer.flush().unwrap();
            records.push(record);
        }
        let file_len = std::fs::metadata(&path).unwrap().len();
        assert!(file_len >= writer.size(), "seed {seed}");
        std::mem::forget(writer); // a crash: nothing cuts the file
        let mut reader = LogReader::open(&RealFs, &path).unwrap();
        let mut read = Vec::new();
        while let Some(record) = reader.read_record().unwrap() {
            read.push(record);
        }
        assert!(
            read == records,
            "seed {seed}: {} records read of {}",
            read.len(),
            records.len()
        );
        assert_eq!(
            reader.tail_torn(),
            reader.valid_len() < file_len,
            "seed {seed}"
        );
        assert!(reader.tail_is_zeros().unwrap(), "seed {seed}");
    }
}

/// A log that takes no record (the fresh WAL a flush leaves behind) is an empty file, open or
/// closed.
#[test]
fn a_log_without_records_is_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let log = RealFs.create_log(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    drop(log);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}
