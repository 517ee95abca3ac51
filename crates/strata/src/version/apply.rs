//! Building versions: [`Version::new`], [`Version::apply`] and the invariant check.
//!
//! Pure functions of a `Version` and a `VersionEdit`: no I/O, no locks, callable from any
//! thread (the MANIFEST replay, the db's install path and the simulator share them). `apply`
//! never mutates its input; it returns a new `Version` whose file handles are shared `Arc`s.
//!
//! Rules of `apply` (an edit breaking one → `Err(reason)`, nothing changed):
//! 1. Deletions first: each `(level, number)` must name a file of that level (a run with
//!    id = level for level >= 1), at most once per edit.
//! 2. Then additions: a number may not be live already (after the deletions, so a trivial move
//!    deletes `(1, n)` and adds `(2, n)` in one edit) nor added twice; keys must be well formed.
//!    Level 0: L0 is kept newest first, by `largest_seq` then number, both descending.
//!    Level n >= 1: into the run with id n (created if missing; runs stay sorted by id), which
//!    stays sorted by smallest internal key and must stay disjoint by user-key range.
//!    Runs emptied by deletions are kept (levels exist from the start).
//! 3. With `tier_order` (tiered, tag 6): the runs are then placed in exactly that order,
//!    newest first; an id with no run gets a new (possibly empty) run, a run whose id is
//!    absent must be empty and is dropped, and ids must be distinct. Without it runs stay
//!    sorted by id (levels).

#![allow(
    dead_code,
    unused_imports,
    reason = "used by the db layer, merged separately; remove at merge"
)]

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::edit::valid_file;
use super::{FileMeta, SortedRun, Version, VersionEdit};
use crate::key::compare_internal_keys;

impl Version {
    /// An empty version: no L0 files and empty runs with ids `1..=max_levels`.
    pub fn new(max_levels: usize) -> Version {
        let levels = (1..=max_levels as u64)
            .map(|id| SortedRun {
                id,
                files: Vec::new(),
            })
            .collect();
        Version {
            l0: Vec::new(),
            levels,
        }
    }

    /// The version with `edit` applied (rules in the module doc).
    ///
    /// # Errors
    /// A description of the first rule the edit breaks; `self` is unchanged either way.
    pub fn apply(&self, edit: &VersionEdit) -> std::result::Result<Version, String> {
        let mut next = self.clone();
        let removed = next.remove_files(&edit.deleted_files)?;
        next.add_files(&edit.new_files, &removed)?;
        if let Some(order) = &edit.tier_order {
            next.reorder_runs(order)?;
        }
        #[cfg(feature = "debug-invariants")]
        next.check_invariants()?;
        Ok(next)
    }

    /// Checks the invariants: L0 newest first (`largest_seq`, then number, strictly
    /// descending), run ids distinct and, when L0 holds files (levels), strictly increasing
    /// (tiers, which never share a version with L0 files, keep the order of their edits'
    /// `tier_order` instead), each run sorted by smallest key and
    /// disjoint by user-key range, every file's keys well formed, every number unique.
    ///
    /// # Errors
    /// A description of the first violation.
    pub fn check_invariants(&self) -> std::result::Result<(), String> {
        let mut numbers = HashSet::new();
        for (level, file) in self.all_files() {
            if !valid_file(file) {
                return Err(format!(
                    "L{level}: file {} has malformed metadata",
                    file.number
                ));
            }
            if !numbers.insert(file.number) {
                return Err(format!("file number {} appears twice", file.number));
            }
        }
        for pair in self.l0.windows(2) {
            if let [newer, older] = pair
                && newest_first(newer, older) != Ordering::Less
            {
                return Err(format!(
                    "L0: file {} is not newer than file {} after it",
                    newer.number, older.number
                ));
            }
        }
        if self.l0.is_empty() {
            let mut ids = HashSet::new();
            if let Some(run) = self.levels.iter().find(|run| !ids.insert(run.id)) {
                return Err(format!("run id {} appears twice", run.id));
            }
        } else {
            for pair in self.levels.windows(2) {
                if let [a, b] = pair
                    && a.id >= b.id
                {
                    return Err(format!("runs out of order: id {} before id {}", a.id, b.id));
                }
            }
        }
        self.levels.iter().try_for_each(check_run)
    }

    /// Every file as a new file: the first record of a fresh MANIFEST. Scalars are `None`; the
    /// caller sets `log_number`, `next_file_number` and `last_sequence`. Runs not sorted by id
    /// (tiers) also give the edit a `tier_order`, so replay restores their order.
    pub fn snapshot_edit(&self) -> VersionEdit {
        let sorted = self
            .levels
            .windows(2)
            .all(|pair| matches!(pair, [a, b] if a.id < b.id));
        VersionEdit {
            new_files: self
                .all_files()
                .map(|(level, file)| (level, FileMeta::clone(file)))
                .collect(),
            tier_order: (!sorted).then(|| self.run_ids()),
            ..VersionEdit::default()
        }
    }

    /// The ids of the runs, in order (tiered: newest first).
    pub fn run_ids(&self) -> Vec<u64> {
        self.levels.iter().map(|run| run.id).collect()
    }

    /// Every file with its level: L0 (level 0) newest first, then each run in key order.
    pub fn all_files(&self) -> impl Iterator<Item = (u32, &Arc<FileMeta>)> {
        let l0 = self.l0.iter().map(|file| (0, file));
        let runs = self.levels.iter().flat_map(|run| {
            let level = run_level(run.id);
            run.files.iter().map(move |file| (level, file))
        });
        l0.chain(runs)
    }

    /// Number of live files.
    pub fn num_files(&self) -> usize {
        self.l0.len() + self.levels.iter().map(|run| run.files.len()).sum::<usize>()
    }

    /// The files of a level (0 = L0; n >= 1 = the run with id n), empty if it does not exist.
    pub fn files_at(&self, level: u32) -> &[Arc<FileMeta>] {
        if level == 0 {
            return &self.l0;
        }
        self.levels
            .iter()
            .find(|run| run.id == u64::from(level))
            .map_or(&[], |run| &run.files)
    }

    /// Removes the files; returns them by number.
    fn remove_files(
        &mut self,
        deleted: &[(u32, u64)],
    ) -> std::result::Result<HashMap<u64, Arc<FileMeta>>, String> {
        let mut removed = HashMap::new();
        let mut by_level: HashMap<u32, HashSet<u64>> = HashMap::new();
        for &(level, number) in deleted {
            if !by_level.entry(level).or_default().insert(number) {
                return Err(format!("file {number} deleted twice from L{level}"));
            }
        }
        for (level, numbers) in by_level {
            let files = if level == 0 {
                &mut self.l0
            } else {
                match self
                    .levels
                    .iter_mut()
                    .find(|run| run.id == u64::from(level))
                {
                    Some(run) => &mut run.files,
                    None => return Err(absent(level, &numbers)),
                }
            };
            let present = files.iter().filter(|f| numbers.contains(&f.number)).count();
            if present != numbers.len() {
                let live: HashSet<u64> = files.iter().map(|f| f.number).collect();
                let missing: HashSet<u64> = numbers.difference(&live).copied().collect();
                return Err(absent(level, &missing));
            }
            files.retain(|f| {
                let keep = !numbers.contains(&f.number);
                if !keep {
                    removed.insert(f.number, Arc::clone(f));
                }
                keep
            });
        }
        Ok(removed)
    }

    /// Adds the files. A file this edit also removed (a trivial move) keeps its `Arc`: the
    /// `Arc` is the file's identity for deletion (the database deletes a table once the
    /// obsolete list holds its last reference), so a moved file must not get a second one
    /// that a reader of an older version would not be counted in.
    fn add_files(
        &mut self,
        added: &[(u32, FileMeta)],
        removed: &HashMap<u64, Arc<FileMeta>>,
    ) -> std::result::Result<(), String> {
        if added.is_empty() {
            return Ok(());
        }
        let mut live: HashSet<u64> = self.all_files().map(|(_, file)| file.number).collect();
        let mut touched_runs = Vec::new();
        let mut touched_l0 = false;
        for (level, file) in added {
            if !valid_file(file) {
                return Err(format!("new file {} has malformed metadata", file.number));
            }
            if !live.insert(file.number) {
                return Err(format!(
                    "file number {} added to L{level} is already live",
                    file.number
                ));
            }
            let file = match removed.get(&file.number) {
                Some(moved) => Arc::clone(moved),
                None => Arc::new(file.clone()),
            };
            if *level == 0 {
                self.l0.push(file);
                touched_l0 = true;
            } else {
                self.run_mut_or_create(u64::from(*level)).files.push(file);
                touched_runs.push(u64::from(*level));
            }
        }
        if touched_l0 {
            self.l0.sort_by(|a, b| newest_first(a, b));
        }
        touched_runs.sort_unstable();
        touched_runs.dedup();
        for run in self
            .levels
            .iter_mut()
            .filter(|run| touched_runs.contains(&run.id))
        {
            // Stable and linear on the already sorted run plus the appended files.
            run.files
                .sort_by(|a, b| compare_internal_keys(&a.smallest, &b.smallest));
            check_run(run)?;
        }
        Ok(())
    }

    /// Puts the runs in exactly `order` (rule 3 of the module doc).
    fn reorder_runs(&mut self, order: &[u64]) -> std::result::Result<(), String> {
        let mut runs: HashMap<u64, SortedRun> = HashMap::with_capacity(self.levels.len());
        for run in self.levels.drain(..) {
            runs.insert(run.id, run);
        }
        let mut levels = Vec::with_capacity(order.len());
        for &id in order {
            match runs.remove(&id) {
                Some(run) => levels.push(run),
                None if levels.iter().any(|run: &SortedRun| run.id == id) => {
                    return Err(format!("run id {id} appears twice in the tier order"));
                }
                None => levels.push(SortedRun {
                    id,
                    files: Vec::new(),
                }),
            }
        }
        if let Some(run) = runs.values().find(|run| !run.files.is_empty()) {
            return Err(format!(
                "run {} holds files but is missing from the tier order",
                run.id
            ));
        }
        self.levels = levels;
        Ok(())
    }

    fn run_mut_or_create(&mut self, id: u64) -> &mut SortedRun {
        // Tiers are not sorted by id: look for the exact id first.
        if let Some(i) = self.levels.iter().position(|run| run.id == id) {
            return &mut self.levels[i];
        }
        let index = match self.levels.iter().position(|run| run.id >= id) {
            Some(i) if self.levels.get(i).is_some_and(|run| run.id == id) => i,
            Some(i) => {
                self.levels.insert(
                    i,
                    SortedRun {
                        id,
                        files: Vec::new(),
                    },
                );
                i
            }
            None => {
                self.levels.push(SortedRun {
                    id,
                    files: Vec::new(),
                });
                self.levels.len() - 1
            }
        };
        &mut self.levels[index]
    }
}

/// L0 order: `Less` when `a` is newer than `b` (larger `largest_seq`, then larger number).
/// L0's order: newest first by (largest seq, number).
pub(crate) fn newest_first(a: &FileMeta, b: &FileMeta) -> Ordering {
    (b.largest_seq, b.number).cmp(&(a.largest_seq, a.number))
}

/// A run must be sorted by smallest key with pairwise disjoint user-key ranges.
fn check_run(run: &SortedRun) -> std::result::Result<(), String> {
    for pair in run.files.windows(2) {
        if let [a, b] = pair
            && a.largest_user_key() >= b.smallest_user_key()
        {
            return Err(format!(
                "L{}: files {} and {} overlap or are out of key order",
                run.id, a.number, b.number
            ));
        }
    }
    Ok(())
}

/// The level number of a run id (levels are small; tier ids above u32 are not yet supported).
fn run_level(id: u64) -> u32 {
    debug_assert!(
        u32::try_from(id).is_ok(),
        "run id {id} does not fit a level number"
    );
    u32::try_from(id).unwrap_or(u32::MAX)
}

fn absent(level: u32, numbers: &HashSet<u64>) -> String {
    let mut numbers: Vec<_> = numbers.iter().copied().collect();
    numbers.sort_unstable();
    format!("deleted file(s) {numbers:?} not in L{level}")
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;

/// A file covering user keys `smallest..=largest` with seqs `seqs` (for tests).
#[cfg(test)]
pub(crate) fn test_file(
    number: u64,
    smallest: &[u8],
    largest: &[u8],
    seqs: (u64, u64),
) -> FileMeta {
    use crate::key::{ValueKind, make_internal_key};
    FileMeta {
        number,
        size: 1000u64.wrapping_add(number),
        smallest: make_internal_key(smallest, seqs.1, ValueKind::Put as u8).into(),
        largest: make_internal_key(largest, seqs.0, ValueKind::Put as u8).into(),
        smallest_seq: seqs.0,
        largest_seq: seqs.1,
        num_entries: 10,
        num_deletions: 2,
    }
}
