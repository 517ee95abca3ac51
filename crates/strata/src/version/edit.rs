//! `VersionEdit`: one change to the set of live files. (STUB: helper fills in.)

use crate::version::FileMeta;

/// A change to the version, logged to the MANIFEST.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionEdit {
    /// WALs numbered below this are obsolete (flushed).
    pub log_number: Option<u64>,
    /// The next unused file number.
    pub next_file_number: Option<u64>,
    /// The last sequence number issued.
    pub last_sequence: Option<u64>,
    /// Files removed: (level, number). Level 0 is L0.
    pub deleted_files: Vec<(u32, u64)>,
    /// Files added: (level, file).
    pub new_files: Vec<(u32, FileMeta)>,
}
