//! [`MappedLog`]: a log file written through a shared memory mapping of preallocated space
//! (Linux), so that an append hands its bytes to the operating system without a system call.
//!
//! Why: a WAL append with `write(2)` costs ~1 µs in the kernel (measured on the project's
//! machine: 0.9–1.2 µs for 136 bytes, a third of a random put's time), where a copy into a
//! page of the file's page cache costs ~40–250 ns including the page faults (one per 4 KiB).
//! Bytes copied into a `MAP_SHARED` mapping *are* the file's page cache: they survive the
//! death of the process exactly as bytes handed over by `write(2)` do, so [`WritableFile::flush`]
//! has nothing left to do, and the durability contract of [`crate::fs`] is unchanged.
//!
//! Layout: the file is grown ahead of the writer in windows (64 KiB at the first append,
//! doubling up to [`MAX_WINDOW`]) with `fallocate` (mode 0: blocks reserved, size extended, contents zeros),
//! and the current window is mapped. So:
//! - the file is longer than what was appended, by zeros, until the writer is dropped, which
//!   unmaps and cuts the file to its appended size; after a crash the zeros stay, and the log
//!   reader reads zeros as unwritten space (docs/FORMAT.md, Part II: a zero fragment header is
//!   never written);
//! - a write never faults on a hole: `fallocate` reserved the blocks, so a full disk is an
//!   `ENOSPC` error from `fallocate` (a typed `Io` error), never a `SIGBUS` in a page fault.
//!   A filesystem without `fallocate` gets a plain file (see [`MappedLog::create`]).
//!
//! Durability order: [`WritableFile::sync`] is `fdatasync` on the file, which on Linux writes
//! back every dirty page of the file, those dirtied through any mapping included (the kernel
//! tracks them by write-protecting clean pages), and the size and extents the preallocation
//! changed. Windows already unmapped need no `msync`: their dirty pages stay in the page cache
//! until written back. The directory entry is the caller's (`FileSystem::sync_dir`).
//!
//! Invariants: `window_start` is a multiple of the page size (every window length is a
//! multiple of 64 KiB); `window_start <= size <= window_start + window.len() <= reserved`;
//! bytes of the file past `size` are zeros.
//!
//! Safety: this is the one module of the engine with `unsafe` code (the crate denies it
//! elsewhere): `mmap` of the file. It pays (see above and docs/BENCHMARKS.md); the argument
//! is at the one call.
#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use memmap2::{MmapMut, MmapOptions};
use rustix::fs::{FallocateFlags, fallocate};

use crate::error::{Error, Result};
use crate::fs::WritableFile;

/// The first window's length.
const FIRST_WINDOW: usize = 64 << 10;
/// The largest window (and preallocation step). Mapped pages the writer touched count in the
/// process's resident size while mapped, so the window is small; moving to the next one
/// (`fallocate`, `mmap`, `munmap`: tens of µs) every 1 MiB is ~5 ns per 136-byte record.
/// It also bounds the zeros an open log holds past its end (space on disk).
const MAX_WINDOW: usize = 1 << 20;

/// A log file written through a mapping of its preallocated tail.
pub(super) struct MappedLog {
    file: File,
    path: PathBuf,
    /// The mapped window: file bytes `window_start .. window_start + window.len()` (`None`
    /// only while dropping).
    window: Option<MmapMut>,
    window_start: u64,
    /// Bytes appended.
    size: u64,
    /// The file's length: appended bytes plus preallocated zeros.
    reserved: u64,
}

impl MappedLog {
    /// Creates (or truncates) `path`; the first window is preallocated and mapped by the first
    /// append, so a log that takes no record (the fresh WAL a flush leaves behind) is an empty
    /// file. `Ok(None)` when the filesystem cannot preallocate (`EOPNOTSUPP`, e.g. some
    /// network filesystems): the caller then writes the log with plain `write(2)` calls.
    pub(super) fn create(path: &Path) -> Result<Option<MappedLog>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        // Probe: can this filesystem preallocate? `KEEP_SIZE` leaves the file's size at 0; the
        // block it reserves is inside the first window.
        match fallocate(&file, FallocateFlags::KEEP_SIZE, 0, 1) {
            Ok(()) => {}
            Err(e) if e == rustix::io::Errno::OPNOTSUPP => return Ok(None),
            Err(e) => return Err(Error::io(path, e.into())),
        }
        Ok(Some(MappedLog {
            file,
            path: path.to_path_buf(),
            window: None,
            window_start: 0,
            size: 0,
            reserved: 0,
        }))
    }

    /// Unmaps the full window, preallocates the next one ([`FIRST_WINDOW`] at first, then twice
    /// the last, up to [`MAX_WINDOW`]) and maps it.
    fn advance(&mut self) -> Result<()> {
        let old = self.window_len();
        debug_assert_eq!(self.size, self.window_start + old as u64);
        let len = (old * 2).clamp(FIRST_WINDOW, MAX_WINDOW);
        let start = self.size;
        fallocate(&self.file, FallocateFlags::empty(), start, len as u64)
            .map_err(|e| Error::io(&self.path, e.into()))?;
        self.reserved = self.reserved.max(start + len as u64);
        // The old mapping is unmapped first; its dirty pages stay in the page cache, and `sync`
        // writes them back with the rest of the file.
        self.window = None;
        self.window = Some(map(&self.file, &self.path, start, len)?);
        self.window_start = start;
        Ok(())
    }

    fn window_len(&self) -> usize {
        self.window.as_ref().map_or(0, |w| w.len())
    }
}

/// Maps `len` bytes of `file` from `offset` for writing.
fn map(file: &File, path: &Path, offset: u64, len: usize) -> Result<MmapMut> {
    // SAFETY: the mapping is of a file this process just created (or truncated) and owns: the
    // database's lock file keeps other Strata processes out of the directory, and the engine
    // never truncates or writes the file through another handle while it is mapped (the
    // writer cuts it only after unmapping, in `Drop`). The range lies inside the file, which
    // `fallocate` extended before this call, so no access through the mapping faults past the
    // end of the file. The engine only ever writes through the mapping, never reads from it,
    // so a foreign process modifying the file could change what the file holds (as it could
    // with `write(2)`) but not what this process computes.
    unsafe { MmapOptions::new().offset(offset).len(len).map_mut(file) }
        .map_err(|e| Error::io(path, e))
}

impl WritableFile for MappedLog {
    fn append(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            // In bounds: window_start <= size <= window_start + window length.
            let at = (self.size - self.window_start) as usize;
            let room = self.window_len().saturating_sub(at);
            if room == 0 {
                self.advance()?;
                continue;
            }
            let take = room.min(data.len());
            let (now, rest) = data.split_at(take);
            let dst = self
                .window
                .as_mut()
                .and_then(|w| w.get_mut(at..at + take))
                .ok_or_else(|| {
                    Error::io(
                        &self.path,
                        std::io::Error::other("log mapping out of range"),
                    )
                })?;
            dst.copy_from_slice(now);
            self.size += take as u64;
            data = rest;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        // The bytes are in the page cache already (the mapping is the file's page cache).
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        self.file.sync_data().map_err(|e| Error::io(&self.path, e))
    }

    fn size(&self) -> u64 {
        self.size
    }
}

impl Drop for MappedLog {
    fn drop(&mut self) {
        // Cut the preallocated zeros off (after unmapping: the mapping must never reach past the
        // end of the file). Best effort: a log left longer only has zeros at its end, which the
        // reader takes for unwritten space. The cut is not synced; after a crash either length
        // reads the same.
        self.window = None;
        if self.reserved > self.size
            && let Err(e) = self.file.set_len(self.size)
        {
            tracing::debug!(path = %self.path.display(), error = %e, "could not cut a log's preallocated tail");
        }
    }
}

#[cfg(test)]
#[path = "mapped_tests.rs"]
mod tests;
