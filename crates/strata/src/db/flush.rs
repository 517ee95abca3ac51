//! Flush: the oldest frozen memtable becomes one L0 SST (tiered: one new tier at the front,
//! id = the file's number, the edit carrying the new tier order; no file → no tier).
//!
//! Strictly oldest first, one at a time. Durable order: the SST is written and fsynced, the
//! directory fsynced, the edit (new L0 file, `log_number` = the oldest WAL still needed)
//! appended to the MANIFEST and fsynced, the memtable leaves the super version in the same
//! swap that adds the file, and only then is the memtable's WAL deleted.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::compaction::job::{JobSpec, write_outputs};
use crate::db::state::DbInner;
use crate::error::{Error, Result};
use crate::filename;
use crate::iter::InternalIterator;
use crate::options::CompactionOptions;
use crate::version::VersionEdit;

impl DbInner {
    /// Flushes the oldest frozen memtable, if any. Returns whether one was flushed.
    /// Only the flush thread (or `Db::flush` through it) calls this.
    pub(crate) fn flush_oldest(&self) -> Result<bool> {
        let sv = self.current();
        let Some(imm) = sv.imms.last().cloned() else {
            return Ok(false);
        };
        drop(sv);
        let watermark = self.read_points.watermark(&self.last_visible);
        let mut iter = imm.iter();
        iter.seek_to_first()?;
        let spec = JobSpec::simple(watermark, false, u64::MAX, false);
        let outputs = write_outputs(self, &mut iter, &spec)?;
        drop(iter);
        if !outputs.is_empty() {
            // The new file's directory entry is durable before the MANIFEST names it.
            self.fs.sync_dir(&self.dir)?;
        }
        let written: u64 = outputs.iter().map(|f| f.size).sum();
        // Held until the flushed WAL is deleted: whoever sees the memtable gone and then
        // purges (`Db::wait_for_compactions`) finds the WAL gone too.
        let _purge = self.purge.lock();
        {
            let mut versions = self.versions.lock();
            let mut edit = VersionEdit::default();
            let cur = self.current();
            if let CompactionOptions::Tiered(_) = self.opts.compaction
                && let Some(first) = outputs.first()
            {
                let id = first.number;
                let level = u32::try_from(id).map_err(|_| {
                    Error::InvalidArgument(format!("file number {id} too large for a tier id"))
                })?;
                let mut order = Vec::with_capacity(cur.version.levels.len() + 1);
                order.push(id);
                order.extend(
                    cur.version
                        .levels
                        .iter()
                        .filter(|run| !run.files.is_empty())
                        .map(|run| run.id),
                );
                edit.tier_order = Some(order);
                for f in outputs {
                    edit.new_files.push((level, f));
                }
            } else {
                for f in outputs {
                    edit.new_files.push((0, f));
                }
            }
            // The oldest WAL still needed once `imm` is gone: the next frozen memtable's, or
            // the mutable one's.
            let next_live = cur
                .imms
                .iter()
                .rev()
                .find(|m| m.id() != imm.id())
                .map_or(cur.mem.id(), |m| m.id());
            edit.log_number = Some(next_live);
            self.log_and_apply(&mut versions, edit, Some(imm.id()))?;
            // Counted before `flush()` callers can observe the new version.
            self.stats.flushes.fetch_add(1, Ordering::Relaxed);
            self.stats
                .flush_bytes_written
                .fetch_add(written, Ordering::Relaxed);
        }
        if self.opts.enable_wal {
            let path = filename::wal_path(&self.dir, imm.id());
            if let Err(e) = self.fs.remove(&path) {
                tracing::warn!(error = %e, "could not delete a flushed WAL");
            } else if let Err(e) = self.fs.sync_dir(&self.dir) {
                tracing::warn!(error = %e, "could not sync the directory");
            }
        }
        Ok(true)
    }

    /// Flushes every frozen memtable (used by close without a WAL, and recovery).
    pub(crate) fn flush_all_frozen(&self) -> Result<()> {
        while self.flush_oldest()? {}
        Ok(())
    }
}

/// Waits helper: whether memtable `id` is still unflushed in the current super version.
pub(crate) fn is_unflushed(inner: &DbInner, id: u64) -> bool {
    let sv: Arc<_> = inner.current();
    sv.imms.iter().any(|m| m.id() <= id)
}
