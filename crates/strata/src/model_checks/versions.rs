//! Version refcounts and the obsolete-file purge under shuttle: the real [`Version::apply`],
//! [`obsolete_inputs`] and [`VersionsState::take_unreferenced`], with the database's locking
//! (`versions` mutex around install and purge decisions, the current version behind a
//! `RwLock`, files deleted after the decision) and a model disk.
//!
//! Threads: an installer runs a trivial move (file 1 from L1 to L2), then a compaction of
//! files 2 (L1) and 1 (L2) into file 3 (L2), then a flush adding file 4 to L0, purging after
//! each as the compaction thread does; two readers each pin the current version twice and
//! read every file it names; a background thread purges on its own. Checked against the
//! model:
//! - no file is deleted while a pinned version names it (every file a reader's version
//!   names is on the model disk when the reader reads it);
//! - every obsolete file is deleted once unpinned: at the end the disk holds exactly the
//!   current version's files and the obsolete list is empty.
//!
//! The trivial move is what a real bug got wrong (the moved file got a second `Arc`, so the
//! later compaction's purge deleted it under a reader of the first version).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::compaction::install::obsolete_inputs;
use crate::db::state::VersionsState;
use crate::key::{ValueKind, make_internal_key};
use crate::sync::{Mutex, RwLock};
use crate::version::{FileMeta, Version, VersionEdit};

struct Harness {
    current: RwLock<Arc<Version>>,
    versions: Mutex<VersionsState>,
    /// The model disk: numbers of the table files that exist.
    disk: Mutex<BTreeSet<u64>>,
}

fn file(number: u64, smallest: &[u8], largest: &[u8]) -> FileMeta {
    FileMeta {
        number,
        size: 100,
        smallest: make_internal_key(smallest, number * 10 + 1, ValueKind::Put as u8).into(),
        largest: make_internal_key(largest, number * 10, ValueKind::Put as u8).into(),
        smallest_seq: number * 10,
        largest_seq: number * 10 + 1,
        num_entries: 2,
        num_deletions: 0,
    }
}

impl Harness {
    /// Installs `edit` of a job whose inputs are `levels` of the current version (picked
    /// under the `versions` lock, as the picker does), as `install_compaction` does.
    fn run_job(&self, levels: &[(u32, u64)], edit: VersionEdit) {
        let inputs: Vec<(u32, Vec<Arc<FileMeta>>)> = {
            let _versions = self.versions.lock();
            let cur = Arc::clone(&self.current.read());
            levels
                .iter()
                .map(|&(level, number)| {
                    let f = cur.files_at(level).iter().find(|f| f.number == number);
                    match f {
                        Some(f) => (level, vec![Arc::clone(f)]),
                        None => panic!("file {number} is not in L{level}"),
                    }
                })
                .collect()
        };
        // The job writes its outputs.
        self.disk
            .lock()
            .extend(edit.new_files.iter().map(|(_, f)| f.number));
        {
            let mut versions = self.versions.lock();
            let cur = Arc::clone(&self.current.read());
            let next = match cur.apply(&edit) {
                Ok(v) => v,
                Err(e) => panic!("edit refused: {e}"),
            };
            let removed = obsolete_inputs(&inputs, &edit);
            *self.current.write() = Arc::new(next);
            versions.obsolete_files.extend(removed);
        }
        // The task held the last references to its inputs besides the obsolete list.
        drop(inputs);
        self.purge();
    }

    /// As `DbInner::purge_obsolete_files`: decide under the lock, delete after.
    fn purge(&self) {
        let dead = self.versions.lock().take_unreferenced();
        let mut disk = self.disk.lock();
        for number in dead {
            assert!(disk.remove(&number), "file {number} deleted twice");
        }
    }
}

fn refcounts() {
    let mut start = Version::new(3);
    let mut seed = VersionEdit::default();
    seed.new_files.push((1, file(1, b"a", b"b")));
    seed.new_files.push((1, file(2, b"c", b"d")));
    start = match start.apply(&seed) {
        Ok(v) => v,
        Err(e) => panic!("seed edit refused: {e}"),
    };
    let h = Arc::new(Harness {
        current: RwLock::new(Arc::new(start)),
        versions: Mutex::new(VersionsState {
            manifest: None,
            obsolete_files: Vec::new(),
            compacting: Vec::new(),
            manual_compaction: false,
            running_compactions: 0,
            shutting_down: false,
        }),
        disk: Mutex::new([1, 2].into_iter().collect()),
    });
    let installer = {
        let h = Arc::clone(&h);
        shuttle::thread::spawn(move || {
            let mut moved = VersionEdit::default();
            moved.deleted_files.push((1, 1));
            moved.new_files.push((2, file(1, b"a", b"b")));
            h.run_job(&[(1, 1)], moved);

            let mut merged = VersionEdit::default();
            merged.deleted_files.extend([(1, 2), (2, 1)]);
            merged.new_files.push((2, file(3, b"a", b"d")));
            h.run_job(&[(1, 2), (2, 1)], merged);

            let mut flushed = VersionEdit::default();
            flushed.new_files.push((0, file(4, b"b", b"c")));
            h.run_job(&[], flushed);
        })
    };
    let mut readers = Vec::new();
    for _ in 0..2 {
        let h = Arc::clone(&h);
        readers.push(shuttle::thread::spawn(move || {
            for _ in 0..2 {
                let pinned = Arc::clone(&h.current.read());
                shuttle::thread::yield_now();
                for (level, f) in pinned.all_files() {
                    assert!(
                        h.disk.lock().contains(&f.number),
                        "file {} (L{level}) deleted while a pinned version names it",
                        f.number
                    );
                }
            }
        }));
    }
    let background = {
        let h = Arc::clone(&h);
        shuttle::thread::spawn(move || {
            h.purge();
            h.purge();
        })
    };
    #[allow(clippy::unwrap_used, reason = "a thread's panic fails the check")]
    {
        installer.join().unwrap();
        for r in readers {
            r.join().unwrap();
        }
        background.join().unwrap();
    }
    h.purge();
    let live: BTreeSet<u64> = h
        .current
        .read()
        .all_files()
        .map(|(_, f)| f.number)
        .collect();
    assert_eq!(live, [3, 4].into_iter().collect::<BTreeSet<u64>>());
    assert_eq!(*h.disk.lock(), live, "an obsolete file was never deleted");
    assert!(h.versions.lock().obsolete_files.is_empty());
}

#[test]
fn shuttle_version_refcounts_and_purge() {
    super::explore("version refcounts", 2000, 2000, refcounts);
}
