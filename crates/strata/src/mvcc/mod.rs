//! Snapshots, the watermark and transactions.

mod snapshot;
mod transaction;

pub use snapshot::Snapshot;
pub use transaction::Transaction;
