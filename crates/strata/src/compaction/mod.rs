//! Compaction: pickers per strategy and the compaction job.
