//! Versions: the immutable set of live SSTs, edits to it, and the MANIFEST that logs them.
//!
//! A [`Version`] is never mutated once published: flush and compaction build a new one by
//! applying a [`VersionEdit`] and swap it in; readers hold an `Arc<Version>` (and through it
//! `Arc<FileMeta>`s) for as long as they read, which is what keeps files from being deleted
//! under them.
//!
//! Invariants (checked by `Version::check_invariants` in debug builds):
//! - `l0` is newest first (by largest seq, then file number, descending);
//! - every run in `levels` holds files sorted by smallest key, pairwise disjoint;
//! - a file number appears at most once in the whole version;
//! - run ids are distinct: sorted by increasing id for levels; tiers (tiered compaction, no
//!   L0 files) stay in the order their edits' `tier_order` gives, newest first.

mod apply;
pub mod edit;
pub mod manifest;

pub(crate) use apply::newest_first;
pub use edit::VersionEdit;

use std::sync::Arc;

use bytes::Bytes;

use crate::key::SeqNum;

/// What the version knows about one SST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// File number (`NNNNNN.sst`).
    pub number: u64,
    /// Size in bytes.
    pub size: u64,
    /// Smallest encoded internal key.
    pub smallest: Bytes,
    /// Largest encoded internal key.
    pub largest: Bytes,
    /// Smallest seq of any entry.
    pub smallest_seq: SeqNum,
    /// Largest seq of any entry.
    pub largest_seq: SeqNum,
    /// Number of entries.
    pub num_entries: u64,
    /// Number of tombstones.
    pub num_deletions: u64,
}

impl FileMeta {
    /// The smallest user key.
    pub fn smallest_user_key(&self) -> &[u8] {
        crate::key::user_key(&self.smallest)
    }
    /// The largest user key.
    pub fn largest_user_key(&self) -> &[u8] {
        crate::key::user_key(&self.largest)
    }
}

/// One sorted run below L0: a level (`id` = level number) or a tier (`id` = tier id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SortedRun {
    /// Level number (leveled, simple) or tier id (tiered).
    pub id: u64,
    /// Files sorted by smallest key, disjoint.
    pub files: Vec<Arc<FileMeta>>,
}

/// The live SSTs.
#[derive(Debug, Clone, Default)]
pub struct Version {
    /// L0, newest first; files may overlap.
    pub l0: Vec<Arc<FileMeta>>,
    /// L1..Lmax (or tiers, newest first).
    pub levels: Vec<SortedRun>,
}
