//! Readahead against a model: every read returns exactly the file's bytes, whatever mix of
//! forward scans, backward scans and jumps the cursor makes, and long scans issue far fewer
//! file reads than blocks.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::error::Error;

/// An in-memory file that counts its reads.
struct CountingFile {
    bytes: Vec<u8>,
    reads: AtomicU64,
}

impl RandomAccessFile for CountingFile {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let start = usize::try_from(offset).unwrap();
        match self.bytes.get(start..start + buf.len()) {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(Error::io(
                Path::new("mem"),
                std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
            )),
        }
    }
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn path(&self) -> &Path {
        Path::new("mem")
    }
}

/// What a block read through `ahead` does (`format.rs`): the buffered bytes, or a read of
/// its own when the readahead has none.
fn read(ahead: &mut Readahead, file: &CountingFile, offset: u64, out: &mut [u8], limit: u64) {
    match ahead.fetch(file, offset, out.len(), limit).unwrap() {
        Some(bytes) => out.copy_from_slice(bytes),
        None => file.read_exact_at(out, offset).unwrap(),
    }
}

/// A file of random bytes cut into random "blocks" (start, len) back to back, the data region
/// ending before the file does (as tables end in index, filter and footer).
fn file_and_blocks(rng: &mut StdRng) -> (CountingFile, Vec<(u64, usize)>, u64) {
    let mut blocks = Vec::new();
    let mut at = 0u64;
    for _ in 0..rng.random_range(1..400) {
        let len = rng.random_range(1..9000);
        blocks.push((at, len));
        at += len as u64;
    }
    let limit = at;
    let mut bytes = vec![0u8; (limit + rng.random_range(0..5000)) as usize];
    rng.fill(&mut bytes[..]);
    let file = CountingFile {
        bytes,
        reads: AtomicU64::new(0),
    };
    (file, blocks, limit)
}

#[test]
fn every_read_returns_the_files_bytes_in_any_order() {
    for seed in 0..200u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let (file, blocks, limit) = file_and_blocks(&mut rng);
        let mut ahead = Readahead::new();
        let mut i = rng.random_range(0..blocks.len());
        for _ in 0..2000 {
            let (offset, len) = blocks[i];
            let mut out = vec![0u8; len];
            read(&mut ahead, &file, offset, &mut out, limit);
            let start = offset as usize;
            assert!(
                out == file.bytes[start..start + len],
                "seed {seed}, block {i}"
            );
            // Mostly walk on in the current direction, sometimes turn or jump.
            i = match rng.random_range(0..10) {
                0 => rng.random_range(0..blocks.len()),
                1..=5 => (i + 1).min(blocks.len() - 1),
                _ => i.saturating_sub(1),
            };
        }
    }
}

#[test]
fn long_scans_read_the_file_in_few_large_reads_both_ways() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut blocks = Vec::new();
    for i in 0..2000u64 {
        blocks.push((i * 4096, 4096usize));
    }
    let limit = 2000 * 4096;
    let mut bytes = vec![0u8; limit as usize + 100];
    rng.fill(&mut bytes[..]);
    let file = CountingFile {
        bytes,
        reads: AtomicU64::new(0),
    };
    let mut ahead = Readahead::new();
    let mut out = vec![0u8; 4096];
    for &(offset, _) in &blocks {
        read(&mut ahead, &file, offset, &mut out, limit);
    }
    let forward = file.reads.swap(0, Ordering::Relaxed);
    // 2 single reads, then 16, 32, 64, 128 KiB and 256 KiB reads: 8 MiB in ~40 reads.
    assert!(
        forward < 60,
        "forward scan: {forward} reads for 2000 blocks"
    );
    let mut ahead = Readahead::new();
    for &(offset, _) in blocks.iter().rev() {
        read(&mut ahead, &file, offset, &mut out, limit);
        let start = offset as usize;
        assert!(out == file.bytes[start..start + 4096]);
    }
    let backward = file.reads.load(Ordering::Relaxed);
    assert!(
        backward < 60,
        "backward scan: {backward} reads for 2000 blocks"
    );
}

#[test]
fn point_reads_never_read_ahead() {
    let mut rng = StdRng::seed_from_u64(8);
    let (file, blocks, limit) = file_and_blocks(&mut rng);
    let mut ahead = Readahead::new();
    // Every other block: never adjacent.
    for &(offset, len) in blocks.iter().step_by(2) {
        let mut out = vec![0u8; len];
        read(&mut ahead, &file, offset, &mut out, limit);
    }
    assert_eq!(ahead.buf.len(), 0, "no buffer allocated");
}
