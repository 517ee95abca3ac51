//! Names of the files in a database directory.
//!
//! `NNNNNN.sst` tables, `NNNNNN.wal` write-ahead logs, `MANIFEST-NNNNNN`, `CURRENT`, `LOCK`,
//! and `*.tmp` temporaries. File numbers come from one counter and are never reused.

use std::path::{Path, PathBuf};

/// The kinds of files the engine creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An SST (`NNNNNN.sst`).
    Table(u64),
    /// A write-ahead log (`NNNNNN.wal`).
    Wal(u64),
    /// A MANIFEST (`MANIFEST-NNNNNN`).
    Manifest(u64),
    /// `CURRENT`.
    Current,
    /// `LOCK`.
    Lock,
    /// A temporary (`*.tmp`).
    Temp,
}

/// The lock file's name.
pub const LOCK: &str = "LOCK";
/// The name of the file naming the live MANIFEST.
pub const CURRENT: &str = "CURRENT";

/// `dir/NNNNNN.sst`.
pub fn table_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:06}.sst"))
}

/// `dir/NNNNNN.wal`.
pub fn wal_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:06}.wal"))
}

/// The MANIFEST's file name (without directory).
pub fn manifest_name(number: u64) -> String {
    format!("MANIFEST-{number:06}")
}

/// `dir/MANIFEST-NNNNNN`.
pub fn manifest_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(manifest_name(number))
}

/// Classifies a directory entry; `None` for files the engine did not create.
pub fn parse_file_name(name: &str) -> Option<FileKind> {
    if name == CURRENT {
        return Some(FileKind::Current);
    }
    if name == LOCK {
        return Some(FileKind::Lock);
    }
    if name.ends_with(".tmp") {
        return Some(FileKind::Temp);
    }
    if let Some(n) = name.strip_prefix("MANIFEST-") {
        return parse_number(n).map(FileKind::Manifest);
    }
    if let Some(n) = name.strip_suffix(".sst") {
        return parse_number(n).map(FileKind::Table);
    }
    if let Some(n) = name.strip_suffix(".wal") {
        return parse_number(n).map(FileKind::Wal);
    }
    None
}

fn parse_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let d = Path::new("/x");
        let t = table_path(d, 7);
        assert_eq!(t.file_name().unwrap().to_str().unwrap(), "000007.sst");
        assert_eq!(parse_file_name("000007.sst"), Some(FileKind::Table(7)));
        assert_eq!(parse_file_name("1234567.wal"), Some(FileKind::Wal(1234567)));
        assert_eq!(
            parse_file_name("MANIFEST-000003"),
            Some(FileKind::Manifest(3))
        );
        assert_eq!(parse_file_name("CURRENT"), Some(FileKind::Current));
        assert_eq!(parse_file_name("CURRENT.tmp"), Some(FileKind::Temp));
        assert_eq!(parse_file_name("notes.txt"), None);
        assert_eq!(parse_file_name("x.sst"), None);
    }
}
