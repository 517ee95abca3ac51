//! [`LogReader`]: reads back the records of a log, telling a torn tail from corruption.
//!
//! Threading: one thread at a time (`&mut self`); used at recovery and by tools.
//!
//! The file is read one block at a time with positioned reads (memory: one block plus the
//! record being assembled, which is bounded by the bytes actually present in the file).
//!
//! Classification (SPEC §6, §8), for the fragment starting at offset `o`:
//! - **Torn tail** (`read_record` → `Ok(None)`, [`LogReader::tail_torn`] = true): the file ends
//!   inside the header or the payload of the fragment, or the header is seven zero bytes and
//!   every byte from there to the end of the file is zero (preallocated or unwritten space), or
//!   the file ends inside a block trailer or while a fragmented record is still open.
//! - **Corruption** (`Err(Error::Corruption { offset: o, .. })`, none of the record returned): a
//!   complete fragment with a bad checksum, a length running past its block, an unknown type, a
//!   `First`/`Middle` fragment not ending at its block's end, a broken sequence (`Middle`/`Last`
//!   without `First`, `Full`/`First` inside an open record), a zeroed header followed by
//!   non-zero bytes, or a non-zero block trailer.
//!
//! Invariants: [`LogReader::valid_len`] is the end of the last complete record returned (0 at
//! first); after a clean `Ok(None)`, `tail_torn() == (valid_len() < file size)`. Errors are
//! sticky: once `read_record` failed it keeps returning the same error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::fs::{FileSystem, RandomAccessFile};
use crate::wal::format::{BLOCK_SIZE, FragmentType, HEADER_SIZE, RawHeader, fragment_crc};

/// What the next fragment turned out to be.
enum Fragment {
    /// A complete, verified fragment: payload at `block[start..end]`, starting at file `offset`.
    Data {
        kind: FragmentType,
        offset: u64,
        start: usize,
        end: usize,
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
            block_size > HEADER_SIZE && block_size <= BLOCK_SIZE,
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
            let (kind, offset, start, end) = match self.next_fragment()? {
                Fragment::Data {
                    kind,
                    offset,
                    start,
                    end,
                } => (kind, offset, start, end),
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
                self.valid_len = self.block_start + end as u64;
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

    fn next_fragment(&mut self) -> Result<Fragment> {
        if !self.loaded && !self.load_next_block()? {
            return Ok(Fragment::End);
        }
        loop {
            let space = self.block_size - self.pos;
            if space < HEADER_SIZE {
                // Block trailer: the writer filled it with zeros.
                let trailer = self.block.get(self.pos..).unwrap_or_default();
                if trailer.iter().any(|&b| b != 0) {
                    let offset = self.block_start + self.pos as u64;
                    return Err(self.corrupt(offset, "non-zero bytes in a block trailer"));
                }
                if !self.load_next_block()? {
                    return Ok(Fragment::End);
                }
                continue;
            }
            let present = self.block.len() - self.pos;
            let offset = self.block_start + self.pos as u64;
            if present == 0 {
                // Only the last (short) block can run out before its trailer.
                return Ok(Fragment::End);
            }
            let Some(header) = self
                .block
                .get(self.pos..self.pos + HEADER_SIZE)
                .and_then(|h| <&[u8; HEADER_SIZE]>::try_from(h).ok())
            else {
                return Ok(Fragment::Torn); // the file ends inside the header
            };
            let header = RawHeader::decode(header);
            if header.is_zero() {
                return self.zero_header_at(offset);
            }
            let length = usize::from(header.length);
            if HEADER_SIZE + length > space {
                return Err(self.corrupt(
                    offset,
                    format!("fragment length {length} runs past its block ({space} bytes left)"),
                ));
            }
            if HEADER_SIZE + length > present {
                // The file ends inside the payload: a torn last write, unless a complete,
                // checksum-valid fragment follows (then the length field itself is damaged
                // and records after it would be lost silently).
                if self.complete_fragment_after(self.pos + HEADER_SIZE) {
                    return Err(self.corrupt(
                        offset,
                        format!("fragment length {length} runs past the end of the file, yet complete fragments follow"),
                    ));
                }
                return Ok(Fragment::Torn);
            }
            let start = self.pos + HEADER_SIZE;
            let end = start + length;
            let payload = self.block.get(start..end).unwrap_or_default();
            if fragment_crc(header.kind, payload) != header.crc {
                return Err(self.corrupt(offset, "fragment checksum mismatch"));
            }
            let Some(kind) = FragmentType::from_u8(header.kind) else {
                let reason = format!("unknown fragment type {}", header.kind);
                return Err(self.corrupt(offset, reason));
            };
            if matches!(kind, FragmentType::First | FragmentType::Middle) && end != self.block_size
            {
                return Err(
                    self.corrupt(offset, format!("{kind:?} fragment ends inside its block"))
                );
            }
            self.pos = end;
            return Ok(Fragment::Data {
                kind,
                offset,
                start,
                end,
            });
        }
    }

    /// Whether a complete fragment with a valid checksum starts anywhere in the loaded
    /// (last) block at or after `from`. Used only when the file seems to end inside a
    /// fragment; a false match needs a CRC32C collision.
    fn complete_fragment_after(&self, from: usize) -> bool {
        let mut p = from;
        while p + HEADER_SIZE <= self.block.len() {
            let header = self
                .block
                .get(p..p + HEADER_SIZE)
                .and_then(|h| <&[u8; HEADER_SIZE]>::try_from(h).ok())
                .map(RawHeader::decode);
            if let Some(header) = header.filter(|h| !h.is_zero()) {
                let end = p + HEADER_SIZE + usize::from(header.length);
                if FragmentType::from_u8(header.kind).is_some() && end <= self.block.len() {
                    let payload = self.block.get(p + HEADER_SIZE..end).unwrap_or_default();
                    if fragment_crc(header.kind, payload) == header.crc {
                        return true;
                    }
                }
            }
            p += 1;
        }
        false
    }

    /// A zeroed header at `offset`: a torn tail if everything to the end of the file is zero.
    fn zero_header_at(&mut self, offset: u64) -> Result<Fragment> {
        loop {
            let rest = self.block.get(self.pos..).unwrap_or_default();
            if let Some(nonzero) = rest.iter().position(|&b| b != 0) {
                let at = self.block_start + (self.pos + nonzero) as u64;
                let reason = format!("zeroed fragment header followed by data at offset {at}");
                return Err(self.corrupt(offset, reason));
            }
            if !self.load_next_block()? {
                return Ok(Fragment::Torn);
            }
        }
    }

    fn corrupt(&self, offset: u64, reason: impl Into<String>) -> Error {
        Error::corruption(&self.path, offset, reason)
    }
}
