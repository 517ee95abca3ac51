//! Read-only point-in-time views.

/// A consistent read view at one sequence number.
pub struct Snapshot {}
