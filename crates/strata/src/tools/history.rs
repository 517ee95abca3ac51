//! The MANIFEST's history, edit by edit, and block decompression for byte-level dumps.
//!
//! Job: let `strata inspect` show every `VersionEdit` of the live MANIFEST (not only the
//! version they add up to), and let `strata dump` decode compressed SST blocks with the
//! engine's own codecs. Read-only free functions, callable from any thread; damaged bytes are
//! `Error::Corruption` naming the file and offset, never a panic.

use std::path::Path;

use crate::error::{Error, Result};
use crate::filename::manifest_path;
use crate::fs::RealFs;
use crate::sstable::BlockTag;
use crate::version::VersionEdit;
use crate::version::edit::EDIT_FORMAT_VERSION;
use crate::version::manifest::read_current;
use crate::wal::LogReader;

use super::FileSummary;

/// One `VersionEdit` of a MANIFEST, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditSummary {
    /// File offset of the record holding the edit.
    pub offset: u64,
    /// `LogNumber`, if the edit sets it.
    pub log_number: Option<u64>,
    /// `NextFileNumber`, if the edit sets it.
    pub next_file_number: Option<u64>,
    /// `LastSequence`, if the edit sets it.
    pub last_sequence: Option<u64>,
    /// Files removed, as `(level, number)`.
    pub deleted: Vec<(u32, u64)>,
    /// Files added.
    pub added: Vec<FileSummary>,
    /// The tiered run order after the edit, if it records one.
    pub tier_order: Option<Vec<u64>>,
}

/// Every edit of the MANIFEST named by `dir/CURRENT`, in file order, and whether the log
/// ended in a torn tail (dropped, as recovery does).
///
/// # Errors
/// `InvalidArgument` when there is no `CURRENT`; `Corruption` naming the MANIFEST and the
/// record's offset for a damaged record or an undecodable edit; `UnsupportedFormat` for an
/// edit of a newer format; I/O errors. Edits before the damage are not returned.
pub fn manifest_history(dir: &Path) -> Result<(Vec<EditSummary>, bool)> {
    let number = read_current(&RealFs, dir)?
        .ok_or_else(|| Error::InvalidArgument(format!("{} has no CURRENT file", dir.display())))?;
    let path = manifest_path(dir, number);
    let mut reader = LogReader::open(&RealFs, &path)?;
    let mut edits = Vec::new();
    let mut record = Vec::new();
    while reader.read_record_into(&mut record)? {
        let offset = reader.last_record_offset();
        if let Some(&found) = record.first().filter(|&&v| v > EDIT_FORMAT_VERSION) {
            return Err(Error::UnsupportedFormat {
                file: path,
                found: u32::from(found),
                supported: u32::from(EDIT_FORMAT_VERSION),
            });
        }
        let edit = VersionEdit::decode(&record)
            .ok_or_else(|| Error::corruption(&path, offset, "undecodable VersionEdit"))?;
        edits.push(EditSummary {
            offset,
            log_number: edit.log_number,
            next_file_number: edit.next_file_number,
            last_sequence: edit.last_sequence,
            deleted: edit.deleted_files.clone(),
            added: edit
                .new_files
                .iter()
                .map(|(level, f)| super::file_summary(*level, f))
                .collect(),
            tier_order: edit.tier_order.clone(),
        });
    }
    Ok((edits, reader.tail_torn()))
}

/// Decodes one SST block payload stored with trailer tag `tag` (0 raw, 1 LZ4, 2 Zstd), as the
/// engine does; `block_offset` only names the block in the error.
///
/// # Errors
/// `Corruption` naming `path` and `block_offset` for an unknown tag, a bad declared length or
/// a stream that does not decode to it.
pub fn decompress_block(
    path: &Path,
    block_offset: u64,
    tag: u8,
    payload: &[u8],
) -> Result<Vec<u8>> {
    let tag = BlockTag::from_u8(tag)
        .ok_or_else(|| Error::corruption(path, block_offset, format!("unknown block tag {tag}")))?;
    crate::sstable::decompress(tag, payload)
        .map_err(|e| Error::corruption(path, block_offset, e.reason))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{CompactionOptions, Db, Options};

    #[test]
    fn history_records_each_flush_and_the_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            compaction: CompactionOptions::None,
            ..Options::default()
        };
        let db = Db::open(dir.path(), options).unwrap();
        db.put("a", "1").unwrap();
        db.flush().unwrap();
        db.put("b", "2").unwrap();
        db.flush().unwrap();
        db.compact().unwrap();
        db.close().unwrap();
        let (edits, torn) = manifest_history(dir.path()).unwrap();
        assert!(!torn);
        let added: usize = edits.iter().map(|e| e.added.len()).sum();
        let deleted: usize = edits.iter().map(|e| e.deleted.len()).sum();
        // Two flushes add one L0 file each; the compaction removes both and adds one.
        assert!(added >= 3, "{edits:?}");
        assert!(deleted >= 2, "{edits:?}");
        assert!(edits.windows(2).all(|w| w[0].offset < w[1].offset));
    }

    #[test]
    fn decompress_rejects_unknown_tags_and_bad_streams() {
        let p = Path::new("x.sst");
        assert_eq!(decompress_block(p, 0, 0, b"abc").unwrap(), b"abc");
        assert!(decompress_block(p, 7, 9, b"abc").is_err());
        assert!(decompress_block(p, 7, 1, b"\x05zz").is_err());
        assert!(decompress_block(p, 7, 2, b"\xff").is_err());
    }
}
