//! Snapshots, the watermark, transactions and compaction filters.
//!
//! - `watermark.rs`: registered read points (snapshots, transactions) and the watermark;
//! - `snapshot.rs`: [`Snapshot`], a registered read-only view;
//! - `transaction.rs`: [`Transaction`], workspace + read set, committed through the commit
//!   queue with a `TxnCheck`;
//! - `readset.rs`: a serializable transaction's points and scanned intervals;
//! - `conflict.rs`: the commit leader's log of recently committed keys, which validation
//!   compares against (full keys, bounded memory);
//! - `filter.rs`: [`CompactionFilter`].
//!
//! The GC rule itself is in `compaction/job/gc.rs`; the validation hook in `db/write.rs`.

pub(crate) mod conflict;
pub(crate) mod filter;
pub(crate) mod readset;
mod snapshot;
mod transaction;
pub(crate) mod watermark;

pub use filter::CompactionFilter;
pub use snapshot::Snapshot;
pub use transaction::Transaction;

#[cfg(test)]
mod tests;
