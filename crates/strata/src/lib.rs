//! # Strata
//!
//! An embeddable LSM-tree key-value storage engine.
//!
//! ```text
//!  put/delete/write ──► commit queue ──► WAL (group commit) ──► mutable memtable
//!                                                                   │ freeze
//!                                                                   ▼
//!  get/range ──► memtable ► frozen memtables ► L0 (newest first) ► L1 … Lmax
//!                                                 ▲ flush          ▲ compaction
//!                                   background threads, MANIFEST edits, versions
//! ```
//!
//! ```
//! # fn main() -> strata::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! use strata::{Db, Options};
//! let db = Db::open(dir.path(), Options::default())?;
//! db.put(b"user:1", b"ada")?;
//! db.put(b"user:2", b"")?; // an empty value is a real value
//! assert_eq!(db.get(b"user:1")?.as_deref(), Some(&b"ada"[..]));
//! let keys: Vec<_> = db.prefix(b"user:")?.map(|kv| kv.map(|(k, _)| k)).collect::<Result<_, _>>()?;
//! assert_eq!(keys.len(), 2);
//! db.close()?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![deny(clippy::unwrap_used)]
// `unsafe` is denied everywhere but `fs/mapped.rs` (the WAL's mapping; its module docs say why).
#![deny(unsafe_code)]

mod batch;
mod cache;
mod coding;
mod compaction;
mod db;
mod error;
pub mod filename;
pub mod fs;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod iter;
pub mod key;
mod memtable;
#[cfg(all(test, any(shuttle, loom)))]
mod model_checks;
mod mvcc;
mod options;
pub mod policy;
mod sstable;
mod sync;
pub mod tools;
mod version;
mod wal;

pub use batch::{MAX_BATCH_BYTES, MAX_KEY_LEN, MAX_VALUE_LEN, WriteBatch};
pub use bytes::Bytes;
pub use db::{Db, Stats, TreeShape};
pub use error::{ConflictKind, Error, Result};
pub use iter::Iter;
pub use key::MAX_SEQUENCE;
pub use mvcc::{CompactionFilter, Snapshot, Transaction};
pub use options::{
    CompactionOptions, Compression, Isolation, LeveledOptions, LeveledPicker, Options,
    SimpleOptions, TieredOptions,
};
