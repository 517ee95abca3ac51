//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer). Not a public API:
//! compiled only with the `fuzzing` feature and hidden from the docs.
//!
//! Job: let code outside the crate drive the engine's private decoders (blocks, tables, the
//! log reader, WAL and MANIFEST replay) with arbitrary bytes, through the same functions the
//! engine itself uses; nothing here changes how the engine behaves.
//!
//! Two kinds of functions per decoder:
//! - `decode_*` / `replay_*` take `&[u8]` and return `Result` with what was decoded: the
//!   regression tests feed them crashing inputs and expect `Err(Error::Corruption)`;
//! - [`block`], [`table`], [`wal`] and [`manifest`] are the fuzz oracles. They take one fuzz
//!   input (its first byte picks a mode), never return an error, and panic only when the
//!   engine breaks its contract: a panic inside a decoder, an error that is not a typed
//!   corruption error, or a round trip (build → decode) that does not give back what was
//!   built. These panics are the point of a fuzz oracle, which is why this module exists
//!   only behind the feature.
//!
//! Threading: plain functions over in-memory files; no state is shared between calls.

#![allow(
    clippy::panic,
    reason = "the oracles report broken contracts by panicking"
)]

mod block;
mod input;
mod log;
mod manifest;
mod table;

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::fs::{RandomAccessFile, WritableFile};

pub use block::{block, decode_block, read_stored_block};
pub use input::Input;
pub use log::{ReplayedWal, replay_wal, wal};
pub use manifest::{ReplayedManifest, decode_edit, manifest, replay_manifest};
pub use table::{ScannedTable, scan_table, table};

/// A read-only file over bytes in memory (reads past the end are `UnexpectedEof` I/O errors,
/// as on a real file).
pub(crate) struct MemFile {
    data: Vec<u8>,
    path: PathBuf,
}

impl MemFile {
    pub(crate) fn new(data: &[u8], name: &str) -> Arc<MemFile> {
        Arc::new(MemFile {
            data: data.to_vec(),
            path: PathBuf::from(name),
        })
    }
}

impl RandomAccessFile for MemFile {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        let src = usize::try_from(offset)
            .ok()
            .and_then(|start| self.data.get(start..start.checked_add(buf.len())?));
        match src {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(Error::io(
                &self.path,
                std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "read past end"),
            )),
        }
    }
    fn size(&self) -> u64 {
        self.data.len() as u64
    }
    fn path(&self) -> &Path {
        &self.path
    }
}

/// A writable file appending to a shared buffer.
pub(crate) struct MemSink(pub(crate) Arc<Mutex<Vec<u8>>>);

impl WritableFile for MemSink {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.0.lock().extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
    fn size(&self) -> u64 {
        self.0.lock().len() as u64
    }
}

/// Panics unless `e` is a typed corruption error (`Corruption` or `UnsupportedFormat`): bytes
/// read from memory can never legitimately fail with anything else.
#[track_caller]
pub(crate) fn expect_corruption(e: &Error, what: &str) {
    if !e.is_corruption() {
        panic!("{what}: expected a corruption error, got {e:?}");
    }
}
