//! The MANIFEST log (a log of encoded [`VersionEdit`]s in WAL framing) and the `CURRENT`
//! pointer naming the live MANIFEST.
//!
//! Threading: a [`ManifestWriter`] is owned by whoever installs versions (one at a time, under
//! the db's install lock); [`replay`] and [`read_current`] run at open, single-threaded.
//!
//! Invariants:
//! - a MANIFEST named by `CURRENT` starts with a complete, durable snapshot record: it is
//!   synced, and its directory entry synced, before `CURRENT` points at it;
//! - `CURRENT` changes only by an atomic rename of a synced temporary, so after a crash it
//!   names either the old or the new MANIFEST, never a torn name;
//! - [`ManifestWriter::append`] returns only once the edit is durable, so the caller may then
//!   publish the new version in memory and delete the files the edit retired.
//!
//! `CURRENT` holds two lines, `MANIFEST-NNNNNN\n` then `crc32c=XXXXXXXX\n`, where `XXXXXXXX`
//! is the plain (unmasked) CRC32C of the first line including its `\n`, as 8 lowercase hex
//! digits. Anything else is `Corruption`.

#![allow(
    dead_code,
    unused_imports,
    reason = "used by the db layer, merged separately; remove at merge"
)]

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::filename::{CURRENT, FileKind, manifest_name, manifest_path, parse_file_name};
use crate::fs::FileSystem;
use crate::version::Version;
use crate::version::edit::{EDIT_FORMAT_VERSION, VersionEdit};
use crate::wal::{LogReader, LogWriter};

/// Name of the temporary `CURRENT` is written to before being renamed over it.
pub const CURRENT_TEMP: &str = "CURRENT.tmp";

/// `CURRENT` is never longer than this (a name, a checksum line); a longer one is corrupt.
const MAX_CURRENT_LEN: u64 = 128;

/// Appends edits to a live MANIFEST.
pub struct ManifestWriter {
    log: LogWriter,
    number: u64,
    scratch: Vec<u8>,
}

impl ManifestWriter {
    /// Creates `MANIFEST-<number>` whose first record is `snapshot`, makes it durable, then
    /// points `CURRENT` at it. Deleting the previous MANIFEST is the caller's job, afterwards.
    ///
    /// # Errors
    /// I/O errors. On error `CURRENT` still names the previous MANIFEST (or nothing), and the
    /// new file, if any, is an orphan for recovery to delete.
    pub fn create(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        number: u64,
        snapshot: &VersionEdit,
    ) -> Result<ManifestWriter> {
        let path = manifest_path(dir, number);
        let mut writer = ManifestWriter {
            log: LogWriter::new(fs.create(&path)?, path),
            number,
            scratch: Vec::new(),
        };
        // Durable order: (1) the snapshot record, fsynced; (2) the directory, so the new
        // MANIFEST's name survives; only then (3) CURRENT is switched to it (see set_current).
        writer.append(snapshot)?;
        fs.sync_dir(dir)?;
        set_current(fs.as_ref(), dir, number)?;
        Ok(writer)
    }

    /// Appends one edit and fsyncs: the edit is durable when this returns.
    ///
    /// # Errors
    /// I/O errors; after one, the writer refuses every later call (the db poisons itself).
    pub fn append(&mut self, edit: &VersionEdit) -> Result<()> {
        self.scratch.clear();
        edit.encode(&mut self.scratch);
        debug_assert_eq!(VersionEdit::decode(&self.scratch).as_ref(), Some(edit));
        self.log.add_record(&self.scratch)?;
        self.log.sync()
    }

    /// Bytes written to this MANIFEST so far (compare with `Options::max_manifest_size`).
    pub fn size(&self) -> u64 {
        self.log.size()
    }

    /// This MANIFEST's file number.
    pub fn number(&self) -> u64 {
        self.number
    }
}

/// Points `CURRENT` at `MANIFEST-<number>`, durably and atomically.
///
/// # Errors
/// I/O errors; `CURRENT` then names the previous MANIFEST (a `CURRENT.tmp` may remain).
pub fn set_current(fs: &dyn FileSystem, dir: &Path, number: u64) -> Result<()> {
    // Durable order: write CURRENT.tmp, fsync it, rename it over CURRENT (atomic), fsync the
    // directory so the rename itself survives a power loss.
    let temp = dir.join(CURRENT_TEMP);
    let mut file = fs.create(&temp)?;
    file.append(current_contents(number).as_bytes())?;
    file.sync()?;
    drop(file);
    fs.rename(&temp, &dir.join(CURRENT))?;
    fs.sync_dir(dir)
}

/// The bytes of a `CURRENT` naming `MANIFEST-<number>`.
pub fn current_contents(number: u64) -> String {
    let line = format!("{}\n", manifest_name(number));
    format!("{line}crc32c={:08x}\n", crc32c::crc32c(line.as_bytes()))
}

/// The number of the MANIFEST named by `dir/CURRENT`; `None` if there is no `CURRENT`.
///
/// # Errors
/// `Corruption` (naming `CURRENT`) for an empty, truncated, oversized or garbled file or a bad
/// checksum; I/O errors.
pub fn read_current(fs: &dyn FileSystem, dir: &Path) -> Result<Option<u64>> {
    let path = dir.join(CURRENT);
    if !fs.exists(&path) {
        return Ok(None);
    }
    let size = fs.file_size(&path)?;
    if size > MAX_CURRENT_LEN {
        return Err(Error::corruption(
            path,
            0,
            format!("CURRENT is {size} bytes long"),
        ));
    }
    let data = fs.read_all(&path)?;
    parse_current(&data)
        .map(Some)
        .map_err(|(offset, reason)| Error::corruption(&path, offset, reason))
}

/// Parses `CURRENT`'s bytes; `Err((offset, reason))` if they are not exactly what
/// [`current_contents`] writes.
fn parse_current(data: &[u8]) -> std::result::Result<u64, (u64, String)> {
    let text = std::str::from_utf8(data)
        .map_err(|e| (e.valid_up_to() as u64, "CURRENT is not text".to_string()))?;
    let Some((name, rest)) = text.split_once('\n') else {
        return Err((
            0,
            "CURRENT is empty or truncated (no complete line)".to_string(),
        ));
    };
    let number = match parse_file_name(name) {
        Some(FileKind::Manifest(n)) if manifest_name(n) == name => n,
        _ => return Err((0, format!("CURRENT names {name:?}, not a MANIFEST"))),
    };
    let crc_offset = name.len() as u64 + 1;
    let hex = rest
        .strip_prefix("crc32c=")
        .and_then(|r| r.strip_suffix('\n'));
    let Some(hex) = hex.filter(|h| h.len() == 8 && h.bytes().all(|b| b.is_ascii_hexdigit())) else {
        return Err((
            crc_offset,
            "CURRENT's checksum line is missing or malformed".to_string(),
        ));
    };
    let stored = u32::from_str_radix(hex, 16).map_err(|e| (crc_offset, e.to_string()))?;
    let actual = crc32c::crc32c(text.get(..name.len() + 1).unwrap_or_default().as_bytes());
    if stored != actual {
        return Err((
            0,
            format!("CURRENT checksum mismatch: stored {stored:08x}, actual {actual:08x}"),
        ));
    }
    Ok(number)
}

/// What replaying a MANIFEST yields.
#[derive(Debug, Clone)]
pub struct ManifestState {
    /// The version after every edit.
    pub version: Version,
    /// The last `log_number` seen (0 if none): WALs below it are obsolete.
    pub log_number: u64,
    /// The last `next_file_number` seen (0 if none).
    pub next_file_number: u64,
    /// The largest `last_sequence` seen (0 if none).
    pub last_sequence: u64,
    /// Number of edits applied (>= 1).
    pub edits: usize,
    /// Whether the MANIFEST ended in a torn tail (dropped; a warning was logged).
    pub torn_tail: bool,
}

/// Replays `dir/MANIFEST-<number>` onto `Version::new(max_levels)`.
///
/// Does not modify the file: the caller continues in a fresh MANIFEST (created from
/// `version.snapshot_edit()` plus the scalars), which also drops a torn tail.
///
/// # Errors
/// `Corruption` naming the MANIFEST and the record's offset for a damaged record, an
/// undecodable edit or one that does not apply, or when no complete edit exists;
/// `UnsupportedFormat` for an edit of a newer format; I/O errors.
pub fn replay(
    fs: &dyn FileSystem,
    dir: &Path,
    number: u64,
    max_levels: usize,
) -> Result<ManifestState> {
    let path = manifest_path(dir, number);
    let mut reader = LogReader::open(fs, &path)?;
    let mut state = ManifestState {
        version: Version::new(max_levels),
        log_number: 0,
        next_file_number: 0,
        last_sequence: 0,
        edits: 0,
        torn_tail: false,
    };
    let mut record = Vec::new();
    while reader.read_record_into(&mut record)? {
        let offset = reader.last_record_offset();
        if let Some(&found) = record.first().filter(|&&v| v > EDIT_FORMAT_VERSION) {
            let supported = u32::from(EDIT_FORMAT_VERSION);
            return Err(Error::UnsupportedFormat {
                file: path,
                found: u32::from(found),
                supported,
            });
        }
        let edit = VersionEdit::decode(&record)
            .ok_or_else(|| Error::corruption(&path, offset, "undecodable VersionEdit"))?;
        state.version = state.version.apply(&edit).map_err(|reason| {
            Error::corruption(
                &path,
                offset,
                format!("VersionEdit does not apply: {reason}"),
            )
        })?;
        state.log_number = edit.log_number.unwrap_or(state.log_number);
        state.next_file_number = edit.next_file_number.unwrap_or(state.next_file_number);
        state.last_sequence = state.last_sequence.max(edit.last_sequence.unwrap_or(0));
        state.edits += 1;
    }
    if state.edits == 0 {
        return Err(Error::corruption(
            &path,
            0,
            "MANIFEST holds no complete edit",
        ));
    }
    state.torn_tail = reader.tail_torn();
    if state.torn_tail {
        tracing::warn!(
            manifest = %path.display(),
            valid_len = reader.valid_len(),
            file_size = reader.file_size(),
            "MANIFEST ends in a torn tail; dropped"
        );
    }
    Ok(state)
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
