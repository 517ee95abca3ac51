//! Snapshots, the watermark and transactions.

mod snapshot;
mod transaction;
pub(crate) mod watermark;

pub use snapshot::Snapshot;
pub use transaction::Transaction;
