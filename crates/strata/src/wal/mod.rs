//! The log format shared by the write-ahead log and the MANIFEST (LevelDB-style framing).
//!
//! A log (format v2) is a 12-byte file header followed by a sequence of 32 KiB blocks
//! ([`BLOCK_SIZE`], the header taking the start of block 0); each record is stored as one or
//! more fragments, each framed by an 11-byte header (masked CRC32C of type + payload, u16
//! length, u8 type, masked CRC32C of those seven bytes) and an end byte `0xA5`, and never
//! straddling a block boundary:
//!
//! ```text
//! block 0                                            block 1
//! +------+---------+---------+----------------+  +----------------+---------+---------+
//! | SLOG | FULL r0 | FULL r1 | FIRST r2 ...   |  | LAST r2 (rest) | FULL r3 | 0 0 0 0 |  <- trailer
//! +------+---------+---------+----------------+  +----------------+---------+---------+   (< 12 B)
//! ```
//!
//! Legacy v1 logs (no file header, 7-byte headers without a header checksum, no end byte) are
//! still read, by the old rules; only v2 is written.
//!
//! The byte layout is in `docs/FORMAT.md` ("Log framing"). The record payloads are opaque here:
//! WAL records are write batches (`crate::batch`), MANIFEST records are `VersionEdit`s.
//!
//! Threading: [`LogWriter`] and [`LogReader`] are single-owner values (`&mut self`), `Send`.
//! Durability: [`LogWriter::add_record`] may leave bytes in a user-space buffer; `flush` hands
//! them to the OS (process-crash safe), `sync` makes them durable (power-loss safe).
//! Recovery: [`LogReader`] returns exactly the complete records of any prefix of a log, reports
//! a cut-off or zeroed tail as torn (`Ok(None)` + [`LogReader::tail_torn`]) and damaged complete
//! fragments as `Error::Corruption` with their offset.

#![allow(
    dead_code,
    unused_imports,
    reason = "used by the db layer, merged separately; remove at merge"
)]

mod format;
mod reader;
mod writer;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod v1_writer;

pub use format::{BLOCK_SIZE, FILE_HEADER_SIZE, FRAGMENT_OVERHEAD, HEADER_SIZE};
pub use reader::LogReader;
pub use writer::LogWriter;
