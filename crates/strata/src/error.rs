//! The engine's error type.
//!
//! One `#[non_exhaustive]` enum with structured variants. Bytes read from disk are input: any
//! inconsistency becomes [`Error::Corruption`] naming the file and offset, never a panic.

use std::path::PathBuf;

/// `std::result::Result` with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of conflict aborted a transaction (see [`Error::Conflict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// Another writer committed a version of a key this transaction writes.
    WriteWrite,
    /// Another writer committed a version of a key this transaction read.
    ReadWrite,
    /// Another writer inserted or deleted a key inside a range this transaction scanned.
    Phantom,
    /// The conflict-tracking window overflowed; the transaction is too old to validate.
    TooOld,
}

impl std::fmt::Display for ConflictKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConflictKind::WriteWrite => "write-write",
            ConflictKind::ReadWrite => "read-write",
            ConflictKind::Phantom => "phantom",
            ConflictKind::TooOld => "too old",
        })
    }
}

/// Every error the engine returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system I/O error on `path`.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory the operation was on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Bytes on disk are inconsistent: a checksum, length, count or offset is wrong.
    #[error("corruption in {file} at offset {offset}: {reason}")]
    Corruption {
        /// The file holding the bad bytes.
        file: PathBuf,
        /// The byte offset of the bad structure within the file.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// A file was written by a newer, incompatible format version.
    #[error("{file}: unsupported format version {found} (this build reads up to {supported})")]
    UnsupportedFormat {
        /// The file.
        file: PathBuf,
        /// The version found on disk.
        found: u32,
        /// The newest version this build understands.
        supported: u32,
    },
    /// The caller passed something out of bounds (a key or value too long, a bad option).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A transaction failed validation at commit; nothing was written.
    #[error("transaction conflict ({kind}) on key {key:?}")]
    Conflict {
        /// The key that conflicted.
        key: bytes::Bytes,
        /// Which rule was violated.
        kind: ConflictKind,
    },
    /// The database refuses writes after a failed WAL/MANIFEST write or fsync, or a persistent
    /// background error. Reads go on; reopening recovers.
    #[error("database is poisoned by an earlier failure: {0}")]
    Poisoned(String),
    /// The database (or this transaction) was closed.
    #[error("database is closed")]
    Closed,
    /// Another process or handle holds the database's lock.
    #[error("database at {0} is locked by another process or handle")]
    Locked(PathBuf),
}

impl Error {
    /// Wraps an `io::Error` with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A corruption error at `file`:`offset`.
    pub(crate) fn corruption(
        file: impl Into<PathBuf>,
        offset: u64,
        reason: impl Into<String>,
    ) -> Error {
        Error::Corruption {
            file: file.into(),
            offset,
            reason: reason.into(),
        }
    }

    /// True for [`Error::Corruption`] and [`Error::UnsupportedFormat`].
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            Error::Corruption { .. } | Error::UnsupportedFormat { .. }
        )
    }

    /// A copy of this error for a second receiver (the `io::Error` source is re-created from its
    /// kind and message, since `io::Error` is not `Clone`).
    pub(crate) fn duplicate(&self) -> Error {
        match self {
            Error::Io { path, source } => Error::Io {
                path: path.clone(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            },
            Error::Corruption {
                file,
                offset,
                reason,
            } => Error::Corruption {
                file: file.clone(),
                offset: *offset,
                reason: reason.clone(),
            },
            Error::UnsupportedFormat {
                file,
                found,
                supported,
            } => Error::UnsupportedFormat {
                file: file.clone(),
                found: *found,
                supported: *supported,
            },
            Error::InvalidArgument(s) => Error::InvalidArgument(s.clone()),
            Error::Conflict { key, kind } => Error::Conflict {
                key: key.clone(),
                kind: *kind,
            },
            Error::Poisoned(s) => Error::Poisoned(s.clone()),
            Error::Closed => Error::Closed,
            Error::Locked(p) => Error::Locked(p.clone()),
        }
    }
}
