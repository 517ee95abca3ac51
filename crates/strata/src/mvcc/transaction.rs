//! Transactions.

/// A transaction.
pub struct Transaction {}
