//! Background threads: one flush thread and `compaction_threads` compaction threads.
//!
//! Both wait on `bg_cv` (under the `versions` lock) with a 50 ms tick. A flush or compaction
//! error is persistent for now: it poisons the database (writes fail with the cause, reads go
//! on, reopening recovers from the MANIFEST and WALs).

use std::sync::Arc;
use std::time::Duration;

use crate::compaction;
use crate::db::state::DbInner;
use crate::error::Error;

const TICK: Duration = Duration::from_millis(50);

impl DbInner {
    /// Wakes the background threads.
    pub(crate) fn wake_background(&self) {
        self.bg_cv.notify_all();
    }

    pub(crate) fn flush_thread(self: Arc<Self>) {
        loop {
            {
                let mut versions = self.versions.lock();
                loop {
                    if versions.shutting_down {
                        return;
                    }
                    if !self.current().imms.is_empty() && !self.is_poisoned() {
                        break;
                    }
                    self.bg_cv.wait_for(&mut versions, TICK);
                }
            }
            let result = self.flush_oldest();
            // Poison before waking waiters: whoever sees the flush done sees its failure too.
            if let Err(e) = &result
                && !matches!(e, Error::Closed)
            {
                tracing::error!(error = %e, "flush failed");
                self.poison(e);
            }
            {
                let _versions = self.versions.lock();
                self.bg_cv.notify_all();
            }
            if matches!(result, Err(Error::Closed)) {
                return;
            }
            self.purge_obsolete_files();
        }
    }

    pub(crate) fn compaction_thread(self: Arc<Self>) {
        loop {
            let task = {
                let mut versions = self.versions.lock();
                loop {
                    if versions.shutting_down {
                        return;
                    }
                    if !versions.manual_compaction && !self.is_poisoned() {
                        let version = Arc::clone(&self.current().version);
                        if let Some(task) =
                            compaction::pick(&version, &self.opts, &versions.compacting)
                        {
                            versions.compacting.extend(task.input_numbers());
                            versions.running_compactions += 1;
                            break task;
                        }
                    }
                    self.bg_cv.wait_for(&mut versions, TICK);
                    drop(versions);
                    self.purge_obsolete_files();
                    versions = self.versions.lock();
                }
            };
            let result = self.run_compaction(&task);
            // Poison before the compaction counts as finished (see the flush thread).
            if let Err(e) = &result
                && !matches!(e, Error::Closed)
            {
                tracing::error!(error = %e, "compaction failed");
                self.poison(e);
            }
            // The task holds the last references to its inputs besides the obsolete list: it
            // goes before the compaction counts as finished, so whoever sees it finished
            // (`Db::wait_for_compactions`) can purge the inputs.
            let numbers: Vec<u64> = task.input_numbers().collect();
            drop(task);
            {
                let mut versions = self.versions.lock();
                versions.compacting.retain(|n| !numbers.contains(n));
                versions.running_compactions -= 1;
                self.bg_cv.notify_all();
            }
            if matches!(result, Err(Error::Closed)) {
                return;
            }
            self.purge_obsolete_files();
        }
    }
}
