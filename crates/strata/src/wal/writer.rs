//! [`LogWriter`]: appends records to a log file, fragmenting them into 32 KiB blocks.
//!
//! Threading: a `LogWriter` is owned by one thread at a time (`&mut self`); the write path
//! serializes appends (group commit) above it.
//!
//! Writes format v2 (`format.rs`): a new log starts with the 12-byte file header (appended with
//! the first record, so a log that never took a record stays empty). A record is cut into
//! fragments so that no fragment straddles a block boundary: a record that fits in the rest of
//! the current block is one `Full` fragment; otherwise `First`, zero or more `Middle`, then
//! `Last`, where every `First`/`Middle` fragment fills its block to the end. Each fragment is its
//! header, its payload and the end byte. When fewer than [`FRAGMENT_OVERHEAD`] bytes are left in
//! a block they are written as zeros (the block trailer) before the next record. A zero-length
//! `Full` or `First` fragment is legal (an empty record, or a record starting with exactly a
//! fragment's framing room left in the block).
//!
//! Invariant: the writer never appends to a log it did not create (recovery writes fresh logs),
//! so a file that already holds bytes is taken to be a v2 log this writer's layout continues.
//!
//! Failure contract: after any error the file's tail is unknown, so the writer refuses every
//! later call; the caller poisons the database and recovery reads the file back.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fs::WritableFile;
use crate::wal::format::{
    BLOCK_SIZE, END_BYTE, FILE_HEADER_SIZE, FRAGMENT_OVERHEAD, FragmentType, encode_header,
    file_header,
};

/// Zeros for block trailers (fewer than a fragment's framing).
const ZEROS: [u8; FRAGMENT_OVERHEAD] = [0; FRAGMENT_OVERHEAD];

/// Appends framed records to a log (WAL or MANIFEST).
pub struct LogWriter {
    file: Box<dyn WritableFile>,
    path: PathBuf,
    /// Offset within the current block of the next byte to write.
    block_offset: usize,
    block_size: usize,
    /// True until the file header is appended (a new, empty file).
    needs_file_header: bool,
    failed: bool,
}

impl LogWriter {
    /// A writer appending to `file` (normally new and empty; if it already holds bytes, they
    /// must be a v2 log and the writer continues its block layout from `file.size()`). `path`
    /// is for error messages.
    pub fn new(file: Box<dyn WritableFile>, path: PathBuf) -> LogWriter {
        LogWriter::with_block_size(file, path, BLOCK_SIZE)
    }

    /// A writer with a non-standard block size (tests exercise many block boundaries).
    pub(crate) fn with_block_size(
        file: Box<dyn WritableFile>,
        path: PathBuf,
        block_size: usize,
    ) -> LogWriter {
        assert!(
            block_size > FILE_HEADER_SIZE + FRAGMENT_OVERHEAD && block_size <= BLOCK_SIZE,
            "bad log block size"
        );
        // The remainder is < block_size <= BLOCK_SIZE, so it fits in usize.
        let block_offset = (file.size() % block_size as u64) as usize;
        LogWriter {
            needs_file_header: file.size() == 0,
            file,
            path,
            block_offset,
            block_size,
            failed: false,
        }
    }

    /// Appends one record (any length, including 0). The bytes may stay buffered in user space
    /// until [`LogWriter::flush`] or [`LogWriter::sync`].
    ///
    /// # Errors
    /// The file's I/O error; after any error every later call fails.
    pub fn add_record(&mut self, payload: &[u8]) -> Result<()> {
        self.check_usable()?;
        let result = self.emit_record(payload);
        self.failed = result.is_err();
        result
    }

    /// Hands every appended byte to the operating system (survives a process crash).
    ///
    /// # Errors
    /// The file's I/O error; after any error every later call fails.
    pub fn flush(&mut self) -> Result<()> {
        self.check_usable()?;
        let result = self.file.flush();
        self.failed = result.is_err();
        result
    }

    /// Flushes, then makes every appended byte durable (`fdatasync`).
    ///
    /// # Errors
    /// The file's I/O error; after any error every later call fails.
    pub fn sync(&mut self) -> Result<()> {
        self.check_usable()?;
        let result = self.file.sync();
        self.failed = result.is_err();
        result
    }

    /// Bytes appended to the file so far (framing included).
    pub fn size(&self) -> u64 {
        self.file.size()
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check_usable(&self) -> Result<()> {
        if self.failed {
            return Err(Error::io(
                &self.path,
                std::io::Error::other("log writer failed earlier; its tail is unknown"),
            ));
        }
        Ok(())
    }

    fn emit_record(&mut self, payload: &[u8]) -> Result<()> {
        if self.needs_file_header {
            self.file.append(&file_header())?;
            self.block_offset = FILE_HEADER_SIZE;
            self.needs_file_header = false;
        }
        let mut left = payload;
        let mut first = true;
        loop {
            let leftover = self.block_size - self.block_offset;
            if leftover < FRAGMENT_OVERHEAD {
                // Block trailer: too small for a header, filled with zeros.
                if let Some(zeros) = ZEROS.get(..leftover) {
                    self.file.append(zeros)?;
                }
                self.block_offset = 0;
            }
            let room = self.block_size - self.block_offset - FRAGMENT_OVERHEAD;
            let take = left.len().min(room);
            let (fragment, rest) = left.split_at(take);
            let last = rest.is_empty();
            let kind = match (first, last) {
                (true, true) => FragmentType::Full,
                (true, false) => FragmentType::First,
                (false, true) => FragmentType::Last,
                (false, false) => FragmentType::Middle,
            };
            self.file.append(&encode_header(kind, fragment))?;
            self.file.append(fragment)?;
            self.file.append(&[END_BYTE])?;
            self.block_offset += FRAGMENT_OVERHEAD + take;
            debug_assert!(self.block_offset <= self.block_size);
            debug_assert!(last || self.block_offset == self.block_size);
            left = rest;
            first = false;
            if last {
                return Ok(());
            }
        }
    }
}
