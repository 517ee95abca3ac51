//! Installing a compaction's result (see `run.rs` for running it); deleting obsolete files.
//!
//! Durable order (SPEC §6): outputs are written and fsynced by the job → the directory is
//! fsynced → the edit is appended to the MANIFEST and fsynced → the new version is published
//! in memory → inputs are deleted once no version or iterator refers to them → the directory
//! is fsynced. So the MANIFEST never names a file that is not durable, and memory never runs
//! ahead of disk.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::compaction::{Task, TaskKind};
use crate::db::state::{DbInner, SuperVersion, VersionsState};
use crate::error::{Error, Result};
use crate::filename;
use crate::version::{FileMeta, Version, VersionEdit};

impl DbInner {
    /// Installs `outputs` of `task` (moved files included: a trivially moved file is both an
    /// input and an output, and is not deleted).
    pub(crate) fn install_compaction(&self, task: &Task, outputs: Vec<FileMeta>) -> Result<()> {
        // The outputs' directory entries must be durable before the MANIFEST names them.
        if !outputs.is_empty() {
            self.fs.sync_dir(&self.dir)?;
        }
        let mut versions = self.versions.lock();
        let current = Arc::clone(&self.current().version);
        for (level, files) in &task.inputs {
            for f in files {
                if !version_has(&current, *level, f.number) {
                    return Err(Error::InvalidArgument(format!(
                        "compaction input {} left L{level} during the job",
                        f.number
                    )));
                }
            }
        }
        let mut edit = VersionEdit::default();
        for (level, files) in &task.inputs {
            for f in files {
                edit.deleted_files.push((*level, f.number));
            }
        }
        if let TaskKind::Tiered { .. } = task.kind {
            tiered_edit(&current, task, outputs, &mut edit)?;
        } else {
            for f in outputs {
                edit.new_files.push((task.output_level, f));
            }
        }
        let removed = obsolete_inputs(&task.inputs, &edit);
        self.log_and_apply(&mut versions, edit, None)?;
        versions.obsolete_files.extend(removed);
        drop(versions);
        self.purge_obsolete_files();
        Ok(())
    }

    /// Appends `edit` to the MANIFEST (durably), then publishes the new version. With
    /// `flushed = Some(id)`, the frozen memtable `id` leaves the super version in the same
    /// swap. Requires the `versions` lock. A MANIFEST failure poisons the database.
    ///
    /// A poisoned database takes no edit: after a failed rotation `CURRENT` may name the new
    /// MANIFEST while `versions.manifest` is still the old one, so an edit appended now (a
    /// flush or compaction that was already running when another job poisoned the database)
    /// could be in no MANIFEST a reopen reads, while its WAL or input tables are deleted.
    /// Poison is set under the `versions` lock whenever it comes from here, so every later
    /// call sees it.
    pub(crate) fn log_and_apply(
        &self,
        versions: &mut VersionsState,
        mut edit: VersionEdit,
        flushed: Option<u64>,
    ) -> Result<()> {
        self.check_not_poisoned()?;
        let current = self.current();
        edit.next_file_number = Some(self.next_file_number.load(Ordering::SeqCst));
        edit.last_sequence = Some(self.last_visible.load(Ordering::Acquire));
        let new_version = current
            .version
            .apply(&edit)
            .map_err(|reason| Error::corruption(&self.dir, 0, format!("bad edit: {reason}")))?;
        #[cfg(any(debug_assertions, feature = "debug-invariants"))]
        if let Err(reason) = new_version.check_invariants() {
            debug_assert!(false, "version invariant broken: {reason}");
        }
        let Some(manifest) = versions.manifest.as_mut() else {
            return Err(Error::Closed);
        };
        if let Err(e) = manifest.append(&edit) {
            self.poison(&e);
            return Err(e);
        }
        let rotate = manifest.size() > self.opts.max_manifest_size;
        self.stats.pending_compaction_bytes.store(
            crate::compaction::pending_compaction_bytes(&new_version, &self.opts),
            Ordering::Relaxed,
        );
        let new_version = Arc::new(new_version);
        {
            let mut guard = self.super_version.write();
            let cur = Arc::clone(&guard);
            let imms = match flushed {
                Some(id) => cur.imms.iter().filter(|m| m.id() != id).cloned().collect(),
                None => cur.imms.clone(),
            };
            *guard = Arc::new(SuperVersion {
                mem: Arc::clone(&cur.mem),
                imms,
                version: Arc::clone(&new_version),
            });
        }
        if rotate && let Err(e) = self.rotate_manifest(versions, &new_version) {
            // CURRENT may already name the new MANIFEST while later edits would go to the old
            // one: refuse further changes. A reopen recovers from whichever MANIFEST CURRENT
            // names (both hold every acknowledged edit).
            tracing::error!(error = %e, "MANIFEST rotation failed");
            self.poison(&e);
        }
        self.bg_cv.notify_all();
        Ok(())
    }

    /// Starts a new MANIFEST holding a snapshot of `version` and retires the old one.
    pub(crate) fn rotate_manifest(
        &self,
        versions: &mut VersionsState,
        version: &Version,
    ) -> Result<()> {
        let number = self.new_file_number();
        let mut snapshot = version.snapshot_edit();
        snapshot.log_number = Some(self.min_live_wal());
        snapshot.next_file_number = Some(self.next_file_number.load(Ordering::SeqCst));
        snapshot.last_sequence = Some(self.last_visible.load(Ordering::Acquire));
        let writer = crate::version::manifest::ManifestWriter::create(
            Arc::clone(&self.fs),
            &self.dir,
            number,
            &snapshot,
        )?;
        let old = versions.manifest.replace(writer).map(|m| m.number());
        if let Some(old) = old {
            let _ = self.fs.remove(&filename::manifest_path(&self.dir, old));
        }
        Ok(())
    }

    /// The number of the oldest WAL still needed: the oldest unflushed memtable's.
    pub(crate) fn min_live_wal(&self) -> u64 {
        let sv = self.current();
        sv.imms.last().map_or(sv.mem.id(), |m| m.id())
    }

    /// Deletes obsolete SSTs that no version or iterator refers to any more. Purges run one
    /// at a time (`purge` lock), so when this returns, the files any purge chose are gone.
    pub(crate) fn purge_obsolete_files(&self) {
        let _purge = self.purge.lock();
        let deletable: Vec<u64> = {
            let mut versions = self.versions.lock();
            versions.take_unreferenced()
        };
        if deletable.is_empty() {
            return;
        }
        for number in &deletable {
            self.table_cache.evict(*number);
            if let Err(e) = self.fs.remove(&filename::table_path(&self.dir, *number)) {
                tracing::warn!(error = %e, number, "could not delete an obsolete table");
            }
        }
        if let Err(e) = self.fs.sync_dir(&self.dir) {
            tracing::warn!(error = %e, "could not sync the directory after deletions");
        }
    }
}

/// The inputs of a compaction that its `edit` makes obsolete: every input but those the edit
/// adds back (trivial moves). The `Arc`s are the versions' own, so the purge can tell when the
/// last reader of an older version let go.
pub(crate) fn obsolete_inputs(
    inputs: &[(u32, Vec<Arc<FileMeta>>)],
    edit: &VersionEdit,
) -> Vec<Arc<FileMeta>> {
    let kept: Vec<u64> = edit.new_files.iter().map(|(_, f)| f.number).collect();
    inputs
        .iter()
        .flat_map(|(_, fs)| fs.iter().cloned())
        .filter(|f| !kept.contains(&f.number))
        .collect()
}

/// Completes a tiered task's `edit` (inputs already deleted): the outputs as one tier (id =
/// the first output's number) and the tier order of the version the pure
/// [`crate::compaction::apply`] gives, which also checks every captured tier is unchanged.
fn tiered_edit(
    current: &Version,
    task: &Task,
    outputs: Vec<FileMeta>,
    edit: &mut VersionEdit,
) -> Result<()> {
    let outputs: Vec<Arc<FileMeta>> = outputs.into_iter().map(Arc::new).collect();
    let (after, _) = crate::compaction::apply(current, task, outputs.clone())
        .map_err(|e| Error::InvalidArgument(e.to_string()))?;
    if let Some(first) = outputs.first() {
        let level = u32::try_from(first.number).map_err(|_| {
            Error::InvalidArgument(format!(
                "file number {} too large for a tier id",
                first.number
            ))
        })?;
        edit.new_files
            .extend(outputs.iter().map(|f| (level, FileMeta::clone(f))));
    }
    edit.tier_order = Some(after.run_ids());
    Ok(())
}

fn version_has(v: &Version, level: u32, number: u64) -> bool {
    if level == 0 {
        return v.l0.iter().any(|f| f.number == number);
    }
    v.levels
        .iter()
        .filter(|r| r.id == u64::from(level))
        .any(|r| r.files.iter().any(|f| f.number == number))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use crate::error::Error;
    use crate::fs::SimFs;
    use crate::version::VersionEdit;
    use crate::{CompactionOptions, Db, Options};

    /// A flush or compaction that was already running when another job poisoned the
    /// database must not append its edit: the MANIFEST `versions` holds may not be the one
    /// `CURRENT` names after a failed rotation.
    #[test]
    fn a_poisoned_database_appends_no_edit_and_close_reports_the_poison() {
        let fs = SimFs::new();
        let opts = Options {
            compaction: CompactionOptions::None,
            ..Options::default()
        };
        let db = Db::open_with_fs("/db", opts.clone(), Arc::new(fs.clone())).unwrap();
        db.put("a", "1").unwrap();
        db.flush().unwrap();
        let inner = Arc::clone(db.inner());
        inner.poison(&Error::InvalidArgument("injected by the test".into()));
        {
            let mut versions = inner.versions.lock();
            let before = versions.manifest.as_ref().map(|m| m.size());
            let r = inner.log_and_apply(&mut versions, VersionEdit::default(), None);
            assert!(matches!(r, Err(Error::Poisoned(ref why)) if why.contains("injected")));
            assert_eq!(versions.manifest.as_ref().map(|m| m.size()), before);
        }
        assert!(matches!(db.close(), Err(Error::Poisoned(_))));
        assert!(db.close().is_ok(), "only the first close reports");
        let db = Db::open_with_fs("/db", opts, Arc::new(fs)).unwrap();
        assert_eq!(db.get("a").unwrap().as_deref(), Some(&b"1"[..]));
        db.close().unwrap();
    }
}
