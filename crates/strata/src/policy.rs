//! The compaction policy as a public, I/O-free API: the pickers and `apply` that the engine
//! runs, exposed so tools (the `strata simulate` command) can replay a strategy on mock
//! versions with exactly the engine's code.
//!
//! Everything here is pure: a [`Version`] in, a [`Task`] or a new [`Version`] out. No file is
//! opened, no lock taken; callable from any thread.
//!
//! ```
//! use std::sync::Arc;
//! use strata::policy::{pick, apply, CompactionOptions, Options, SimpleOptions, Version};
//! # use strata::policy::FileMeta;
//! # fn file(n: u64) -> Arc<FileMeta> {
//! #     let k = strata::key::make_internal_key(b"k", n, 1);
//! #     Arc::new(FileMeta { number: n, size: 1, smallest: k.clone().into(), largest: k.into(),
//! #         smallest_seq: n, largest_seq: n, num_entries: 1, num_deletions: 0 })
//! # }
//! let opts = Options {
//!     compaction: CompactionOptions::Simple(SimpleOptions::default()),
//!     ..Default::default()
//! };
//! let version = Version { l0: vec![file(2), file(1)], levels: Vec::new() };
//! let task = pick(&version, &opts, &[]).expect("two L0 files reach the trigger");
//! let (after, removed) = apply(&version, &task, vec![file(3)]).expect("task is fresh");
//! assert!(after.l0.is_empty());
//! assert_eq!(removed, vec![2, 1]);
//! ```

pub use crate::compaction::{ApplyError, Task, TaskKind, apply, edit_for, is_trivial_move, pick};
pub use crate::options::{
    CompactionOptions, LeveledOptions, LeveledPicker, Options, SimpleOptions, TieredOptions,
};
pub use crate::version::{FileMeta, SortedRun, Version, VersionEdit};
