//! [`LogReader`]: reads back the records of a log, telling a torn tail from corruption.
//!
//! Threading: one thread at a time (`&mut self`); used at recovery and by tools.
//!
//! The file is read one block at a time with positioned reads (memory: one block plus the
//! record being assembled, which is bounded by the bytes actually present in the file).
//!
//! Versions: the first block decides. A valid v2 file header ("SLOG" ff ff, version 2, CRC)
//! selects the v2 rules (`reader/v2.rs`); a prefix of that header followed only by zeros is a log
//! torn before its header was complete (torn, no record); the magic with a bad CRC or another
//! version is `Corruption` at offset 0; anything else is a legacy v1 log (`reader/v1.rs`).
//!
//! Classification (SPEC §6, §8), for the fragment starting at offset `o`:
//! - **Torn tail** (`read_record` → `Ok(None)`, [`LogReader::tail_torn`] = true): the file ends
//!   inside a fragment whose length can be trusted, or inside a header; a damaged or zeroed
//!   header, or a complete v2 fragment whose end byte is 0, followed only by zeros to the end of
//!   the file (a torn write, preallocated or unwritten space); the file ends inside a block
//!   trailer or while a fragmented record is still open.
//! - **Corruption** (`Err(Error::Corruption { offset: o, .. })`, none of the record returned): a
//!   complete fragment with a bad checksum or end byte and data after it, a damaged header with
//!   data after it, a length running past its block, an unknown type, a `First`/`Middle`
//!   fragment not ending at its block's end, a broken sequence (`Middle`/`Last` without `First`,
//!   `Full`/`First` inside an open record), or a non-zero block trailer.
//!
//! Invariants: [`LogReader::valid_len`] is the end of the last complete record returned (the end
//! of the file header of a v2 log before any record, 0 before that); after a clean `Ok(None)`,
//! `tail_torn() == (valid_len() < file size)`. Errors are sticky: once `read_record` failed it
//! keeps returning the same error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::fs::{FileSystem, RandomAccessFile};
use crate::wal::format::{
    BLOCK_SIZE, FILE_HEADER_SIZE, FRAGMENT_OVERHEAD, FileStart, FragmentType, classify_file_start,
};

mod v1;
mod v2;

/// The framing rules a log is read by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// Legacy: 7-byte headers without their own checksum, no file header.
    V1,
    /// A file header, 11-byte headers with a header checksum, an end byte per fragment.
    V2,
}

/// What the next fragment turned out to be.
enum Fragment {
    /// A complete, verified fragment starting at file `offset`: payload at `block[start..end]`,
    /// the fragment's framing ends at `block[next]`.
    Data {
        kind: FragmentType,
        offset: u64,
        start: usize,
        end: usize,
        next: usize,
    },
    /// The file ended at a fragment boundary.
    End,
    /// The file ends in a cut-off fragment or zeros.
    Torn,
}

/// Reads framed records from a log (WAL or MANIFEST).
pub struct LogReader {
    file: Arc<dyn RandomAccessFile>,
    path: PathBuf,
    file_size: u64,
    block_size: usize,
    /// The current block's bytes present in the file (shorter than a block only at the end).
    block: Vec<u8>,
    /// File offset of `block[0]`.
    block_start: u64,
    /// Whether `block` holds a loaded block (false before the first read).
    loaded: bool,
    /// The log's version, known once the first block is read.
    version: Option<Version>,
    /// Next unread position in `block`.
    pos: usize,
    valid_len: u64,
    last_record_offset: u64,
    torn: bool,
    finished: bool,
    failure: Option<Error>,
}

impl LogReader {
    /// Opens the log at `path`.
    ///
    /// # Errors
    /// The I/O error opening the file.
    pub fn open(fs: &dyn FileSystem, path: &Path) -> Result<LogReader> {
        Ok(LogReader::from_file(fs.open_read(path)?))
    }

    /// Reads the log from an already opened file (its size as of opening is the end).
    pub fn from_file(file: Arc<dyn RandomAccessFile>) -> LogReader {
        LogReader::with_block_size(file, BLOCK_SIZE)
    }

    /// A reader with a non-standard block size (tests exercise many block boundaries).
    pub(crate) fn with_block_size(file: Arc<dyn RandomAccessFile>, block_size: usize) -> LogReader {
        assert!(
            block_size > FILE_HEADER_SIZE + FRAGMENT_OVERHEAD && block_size <= BLOCK_SIZE,
            "bad log block size"
        );
        LogReader {
            path: file.path().to_path_buf(),
            file_size: file.size(),
            file,
            block_size,
            block: Vec::new(),
            block_start: 0,
            loaded: false,
            version: None,
            pos: 0,
            valid_len: 0,
            last_record_offset: 0,
            torn: false,
            finished: false,
            failure: None,
        }
    }

    /// The next complete record; `Ok(None)` at the clean end or at a torn tail (see
    /// [`LogReader::tail_torn`]).
    ///
    /// # Errors
    /// `Error::Corruption` naming the log and the bad fragment's offset; `Error::Io`.
    pub fn read_record(&mut self) -> Result<Option<Vec<u8>>> {
        let mut record = Vec::new();
        Ok(self.read_record_into(&mut record)?.then_some(record))
    }

    /// Like [`LogReader::read_record`], reusing `record`'s allocation: returns `Ok(true)` with
    /// the record in `record`, or `Ok(false)` at the end (then `record` is empty).
    ///
    /// # Errors
    /// As [`LogReader::read_record`].
    pub fn read_record_into(&mut self, record: &mut Vec<u8>) -> Result<bool> {
        record.clear();
        if let Some(failure) = &self.failure {
            return Err(failure.duplicate());
        }
        if self.finished {
            return Ok(false);
        }
        match self.assemble(record) {
            Ok(found) => Ok(found),
            Err(e) => {
                record.clear();
                self.failure = Some(e.duplicate());
                Err(e)
            }
        }
    }

    /// Offset just past the last complete record returned: where to cut a torn tail.
    pub fn valid_len(&self) -> u64 {
        self.valid_len
    }

    /// File offset of the first fragment of the last record returned.
    pub fn last_record_offset(&self) -> u64 {
        self.last_record_offset
    }

    /// True once `read_record` returned `None` with bytes left after [`LogReader::valid_len`]
    /// (a cut-off record, a partial block trailer, or an all-zero tail).
    pub fn tail_torn(&self) -> bool {
        self.torn
    }

    /// Whether every byte after [`LogReader::valid_len`] is zero: unwritten space (a log written
    /// through a mapping of preallocated space, `FileSystem::create_log`, ends so after a
    /// crash), as opposed to a write cut short. Reads the tail of the file.
    ///
    /// # Errors
    /// I/O errors.
    pub fn tail_is_zeros(&self) -> Result<bool> {
        Ok(self.first_nonzero_after(self.valid_len)?.is_none())
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's size when it was opened.
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    fn assemble(&mut self, record: &mut Vec<u8>) -> Result<bool> {
        // File offset of the open fragmented record's `First` fragment.
        let mut open_record: Option<u64> = None;
        loop {
            let (kind, offset, start, end, next) = match self.next_fragment()? {
                Fragment::Data {
                    kind,
                    offset,
                    start,
                    end,
                    next,
                } => (kind, offset, start, end, next),
                Fragment::End => {
                    self.finished = true;
                    self.torn = self.valid_len < self.file_size;
                    return Ok(false);
                }
                Fragment::Torn => {
                    self.finished = true;
                    self.torn = true;
                    return Ok(false);
                }
            };
            let payload = self.block.get(start..end).unwrap_or_default();
            let record_start = match (kind, open_record) {
                (FragmentType::Full, None) => Some(offset),
                (FragmentType::First, None) => {
                    open_record = Some(offset);
                    None
                }
                (FragmentType::Middle, Some(_)) => None,
                (FragmentType::Last, Some(first)) => Some(first),
                (FragmentType::Full | FragmentType::First, Some(first)) => {
                    return Err(self.corrupt(
                        offset,
                        format!("{kind:?} fragment inside the record begun at offset {first}"),
                    ));
                }
                (FragmentType::Middle | FragmentType::Last, None) => {
                    return Err(self.corrupt(offset, format!("{kind:?} fragment without First")));
                }
            };
            record.extend_from_slice(payload);
            if let Some(first) = record_start {
                self.last_record_offset = first;
                self.valid_len = self.block_start + next as u64;
                return Ok(true);
            }
        }
    }

    /// Loads the block after the current one; false at the end of the file.
    fn load_next_block(&mut self) -> Result<bool> {
        let start = if self.loaded {
            self.block_start + self.block_size as u64
        } else {
            0
        };
        if start >= self.file_size {
            return Ok(false);
        }
        // Bounded by the block size, so it fits in usize.
        let len = (self.file_size - start).min(self.block_size as u64) as usize;
        self.block.resize(len, 0);
        self.file.read_exact_at(&mut self.block, start)?;
        self.block_start = start;
        self.loaded = true;
        self.pos = 0;
        Ok(true)
    }

    /// The next fragment, by the rules of the log's version (found from the first block).
    /// Moves past block trailers to where the next fragment's header starts (both versions
    /// share this): `Ok((offset, header))` with the `N` header bytes at file `offset`
    /// (`self.pos` stays at them), or `Err(End)` at the end of the file at a fragment
    /// boundary, `Err(Torn)` when the file ends inside the header. A block with fewer than
    /// `overhead` bytes left ends in a trailer, which must be zeros (else `Corruption`).
    fn next_header<const N: usize>(
        &mut self,
        overhead: usize,
    ) -> Result<std::result::Result<(u64, [u8; N]), Fragment>> {
        loop {
            if self.block_size - self.pos < overhead {
                // Block trailer: the writer filled it with zeros.
                let trailer = self.block.get(self.pos..).unwrap_or_default();
                if trailer.iter().any(|&b| b != 0) {
                    let offset = self.block_start + self.pos as u64;
                    return Err(self.corrupt(offset, "non-zero bytes in a block trailer"));
                }
                if !self.load_next_block()? {
                    return Ok(Err(Fragment::End));
                }
                continue;
            }
            if self.block.len() == self.pos {
                // Only the last (short) block can run out before its trailer.
                return Ok(Err(Fragment::End));
            }
            let offset = self.block_start + self.pos as u64;
            return Ok(self
                .block
                .get(self.pos..self.pos + N)
                .and_then(|h| <[u8; N]>::try_from(h).ok())
                .map(|h| (offset, h))
                .ok_or(Fragment::Torn)); // the file ends inside the header
        }
    }

    fn next_fragment(&mut self) -> Result<Fragment> {
        let version = match self.version {
            Some(version) => version,
            None => {
                if !self.load_next_block()? {
                    return Ok(Fragment::End);
                }
                match self.read_file_header()? {
                    Some(version) => version,
                    None => return Ok(Fragment::Torn),
                }
            }
        };
        match version {
            Version::V1 => self.next_fragment_v1(),
            Version::V2 => self.next_fragment_v2(),
        }
    }

    /// Reads the file header in the just loaded first block: the log's version, with `pos` and
    /// `valid_len` past the header, or `None` for a log torn inside its header.
    fn read_file_header(&mut self) -> Result<Option<Version>> {
        let mut start = classify_file_start(&self.block, true);
        if start == FileStart::TornHeader && self.file_size > self.block.len() as u64 {
            // Only zeros count as a torn header; look at the rest of the file too.
            if self.first_nonzero_after(self.block.len() as u64)?.is_some() {
                start = classify_file_start(&self.block, false);
            }
        }
        let version = match start {
            FileStart::V2 => {
                self.pos = FILE_HEADER_SIZE;
                self.valid_len = FILE_HEADER_SIZE as u64;
                Version::V2
            }
            FileStart::V1 => Version::V1,
            FileStart::TornHeader => return Ok(None),
            FileStart::BadHeader => {
                return Err(self.corrupt(0, "bad log file header (checksum or version)"));
            }
        };
        self.version = Some(version);
        Ok(Some(version))
    }

    /// The offset of the first non-zero byte at or after file offset `from`, reading the file
    /// directly (the loaded block is left as it is).
    fn first_nonzero_after(&self, from: u64) -> Result<Option<u64>> {
        let mut buf = vec![0u8; self.block_size];
        let mut at = from;
        while at < self.file_size {
            // Bounded by the block size, so it fits in usize.
            let len = (self.file_size - at).min(self.block_size as u64) as usize;
            let chunk = buf.get_mut(..len).unwrap_or_default();
            self.file.read_exact_at(chunk, at)?;
            if let Some(i) = chunk.iter().position(|&b| b != 0) {
                return Ok(Some(at + i as u64));
            }
            at += len as u64;
        }
        Ok(None)
    }

    fn corrupt(&self, offset: u64, reason: impl Into<String>) -> Error {
        Error::corruption(&self.path, offset, reason)
    }
}
