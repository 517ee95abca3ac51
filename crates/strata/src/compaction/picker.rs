//! What the pickers share: level lookup, key-range overlap, busy checks, and the pure
//! [`apply`] that installs a task's outputs into a version, plus [`is_trivial_move`].
//!
//! Everything here is a pure function of its arguments (no I/O, no locks), callable from any
//! thread; the engine calls it under its `versions` lock and the simulator on mock versions.
//!
//! Invariants kept by [`apply`]: a file number appears at most once in the result; every
//! level below L0 it touches stays sorted by smallest key; files it did not capture (flushes
//! and other jobs' outputs that landed meanwhile) keep their place and order.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use crate::compaction::{Task, TaskKind, leveled, simple, tiered};
use crate::version::{FileMeta, SortedRun, Version, VersionEdit};

/// A task no longer matches the version it is applied to (a captured input left, or a level
/// the task took whole changed). The version is left untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    /// What did not match.
    pub reason: String,
}

impl ApplyError {
    pub(crate) fn new(reason: impl Into<String>) -> ApplyError {
        ApplyError {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stale compaction task: {}", self.reason)
    }
}

impl std::error::Error for ApplyError {}

/// Installs the outputs of `task` into `version`: returns the new version and the numbers of
/// the files it no longer holds (captured inputs, in task order; a file that is also an
/// output, i.e. trivially moved, is not listed).
///
/// Rules per strategy (SPEC §5): simple — L0 loses exactly the captured files (later flushes
/// keep their order) or the captured upper level, unchanged, is cleared, and the lower level,
/// unchanged, becomes the outputs; tiered — the captured tiers, unchanged, are removed and one
/// output tier (id = first output's number) takes the place of the oldest of them, behind
/// tiers flushed meanwhile (no tier if no outputs); leveled and full — the captured files are
/// removed, the outputs added to the output level, which is re-sorted by smallest key.
///
/// # Errors
/// [`ApplyError`] when the task does not match `version` (see the rules).
pub fn apply(
    version: &Version,
    task: &Task,
    outputs: Vec<Arc<FileMeta>>,
) -> Result<(Version, Vec<u64>), ApplyError> {
    let (new_version, mut removed) = match &task.kind {
        TaskKind::Simple => simple::apply(version, task, outputs.clone())?,
        TaskKind::Tiered { tiers } => tiered::apply(version, task, tiers, outputs.clone())?,
        TaskKind::Leveled | TaskKind::Full => leveled::apply(version, task, outputs.clone())?,
    };
    if !outputs.is_empty() {
        let kept: HashSet<u64> = outputs.iter().map(|f| f.number).collect();
        removed.retain(|n| !kept.contains(n));
    }
    debug_assert!(
        numbers_unique(&new_version),
        "apply duplicated a file number"
    );
    Ok((new_version, removed))
}

/// The MANIFEST edit that turns the version a simple, leveled or full `task` was applied to
/// into the result of [`apply`]: every captured input deleted from its level, every output
/// added to the output level (a trivially moved file is deleted and re-added in the same
/// edit). `None` for tiered tasks: their edit also carries the order of the runs after the
/// task (`tier_order`, tag 6), which depends on the version it is applied to; the install path
/// builds it from [`apply`]'s result.
pub fn edit_for(task: &Task, outputs: &[Arc<FileMeta>]) -> Option<VersionEdit> {
    if matches!(task.kind, TaskKind::Tiered { .. }) {
        return None;
    }
    let mut edit = VersionEdit::default();
    for (level, files) in &task.inputs {
        edit.deleted_files
            .extend(files.iter().map(|f| (*level, f.number)));
    }
    edit.new_files.extend(
        outputs
            .iter()
            .map(|f| (task.output_level, FileMeta::clone(f))),
    );
    Some(edit)
}

/// Whether `task` can be done by relinking its upper files into the output level, with no
/// rewrite: a simple or leveled task (or a full one) with no input already in the output
/// level, whose upper files are pairwise disjoint and overlap no file left in the output
/// level. Tiered tasks never are.
pub fn is_trivial_move(task: &Task, version: &Version) -> bool {
    if matches!(task.kind, TaskKind::Tiered { .. }) {
        return false;
    }
    let out = task.output_level;
    if task
        .inputs
        .iter()
        .any(|(l, fs)| *l == out && !fs.is_empty())
    {
        return false;
    }
    let mut upper: Vec<&Arc<FileMeta>> = task.inputs.iter().flat_map(|(_, fs)| fs.iter()).collect();
    if upper.is_empty() {
        return false;
    }
    upper.sort_by(|a, b| a.smallest_user_key().cmp(b.smallest_user_key()));
    let disjoint = upper
        .windows(2)
        .all(|w| matches!(w, [a, b] if a.largest_user_key() < b.smallest_user_key()));
    if !disjoint {
        return false;
    }
    let target = level_files(version, u64::from(out));
    !target.iter().any(|t| {
        upper
            .iter()
            .any(|u| ranges_meet(t, u.smallest_user_key(), u.largest_user_key()))
    })
}

/// The files of level `id` (`id` >= 1), empty if the version has no such run.
pub(crate) fn level_files(version: &Version, id: u64) -> &[Arc<FileMeta>] {
    version
        .levels
        .iter()
        .find(|r| r.id == id)
        .map_or(&[], |r| r.files.as_slice())
}

/// Whether any of `files` is in `busy`.
pub(crate) fn any_busy<'a>(
    files: impl IntoIterator<Item = &'a Arc<FileMeta>>,
    busy: &[u64],
) -> bool {
    !busy.is_empty() && files.into_iter().any(|f| busy.contains(&f.number))
}

/// Whether `f`'s user-key range meets `[lo, hi]` (both inclusive).
pub(crate) fn ranges_meet(f: &FileMeta, lo: &[u8], hi: &[u8]) -> bool {
    !(f.largest_user_key() < lo || f.smallest_user_key() > hi)
}

/// The user-key range `[min smallest, max largest]` covering `files` (`None` if empty).
pub(crate) fn user_key_range<'a>(
    files: impl IntoIterator<Item = &'a Arc<FileMeta>>,
) -> Option<(&'a [u8], &'a [u8])> {
    let mut range: Option<(&[u8], &[u8])> = None;
    for f in files {
        let (lo, hi) = (f.smallest_user_key(), f.largest_user_key());
        range = Some(match range {
            None => (lo, hi),
            Some((l, h)) => (l.min(lo), h.max(hi)),
        });
    }
    range
}

/// The files of `run` whose range meets `[lo, hi]`, in run order.
pub(crate) fn overlapping(run: &[Arc<FileMeta>], lo: &[u8], hi: &[u8]) -> Vec<Arc<FileMeta>> {
    run.iter()
        .filter(|f| ranges_meet(f, lo, hi))
        .cloned()
        .collect()
}

/// Orders files by smallest user key (stable: files starting at the same user key keep their
/// order; in a valid level no two do).
pub(crate) fn sort_by_smallest(files: &mut [Arc<FileMeta>]) {
    files.sort_by(|a, b| a.smallest_user_key().cmp(b.smallest_user_key()));
}

/// The run with id `id`, created empty (in id order) if missing. Simple and leveled only.
pub(crate) fn level_mut(version: &mut Version, id: u64) -> &mut SortedRun {
    let pos = match version.levels.iter().position(|r| r.id == id) {
        Some(pos) => pos,
        None => {
            let at = version
                .levels
                .iter()
                .position(|r| r.id > id)
                .unwrap_or(version.levels.len());
            version.levels.insert(
                at,
                SortedRun {
                    id,
                    files: Vec::new(),
                },
            );
            at
        }
    };
    &mut version.levels[pos]
}

/// Whether two file lists hold the same numbers in the same order.
pub(crate) fn same_numbers(a: &[Arc<FileMeta>], b: &[Arc<FileMeta>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.number == y.number)
}

fn numbers_unique(v: &Version) -> bool {
    let mut seen = HashSet::new();
    v.l0.iter()
        .chain(v.levels.iter().flat_map(|r| r.files.iter()))
        .all(|f| seen.insert(f.number))
}

/// Compares two f64 priorities for a descending sort (NaN never reaches it).
pub(crate) fn desc(a: &(f64, usize), b: &(f64, usize)) -> Ordering {
    b.partial_cmp(a).unwrap_or(Ordering::Equal)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod testutil {
    //! Hand-built versions for the pickers' tests.

    use std::sync::Arc;

    use crate::key;
    use crate::version::{FileMeta, SortedRun, Version};

    /// A file `number` of `size` bytes over user keys `lo..=hi` (8-byte big-endian).
    pub(crate) fn file(number: u64, size: u64, lo: u64, hi: u64) -> Arc<FileMeta> {
        Arc::new(FileMeta {
            number,
            size,
            smallest: key::make_internal_key(&lo.to_be_bytes(), number, 1).into(),
            largest: key::make_internal_key(&hi.to_be_bytes(), number, 1).into(),
            smallest_seq: number,
            largest_seq: number,
            num_entries: 1,
            num_deletions: 0,
        })
    }

    /// A file over the whole key space (simple and tiered tests ignore keys).
    pub(crate) fn any(number: u64) -> Arc<FileMeta> {
        file(number, 1, 0, u64::MAX)
    }

    /// A version with `l0` (newest first) and runs `(id, files)`.
    pub(crate) fn version(l0: Vec<Arc<FileMeta>>, runs: Vec<(u64, Vec<Arc<FileMeta>>)>) -> Version {
        Version {
            l0,
            levels: runs
                .into_iter()
                .map(|(id, files)| SortedRun { id, files })
                .collect(),
        }
    }

    /// Numbers of `files`.
    pub(crate) fn nums(files: &[Arc<FileMeta>]) -> Vec<u64> {
        files.iter().map(|f| f.number).collect()
    }

    /// (id, numbers) of every run.
    pub(crate) fn shape(v: &Version) -> Vec<(u64, Vec<u64>)> {
        v.levels.iter().map(|r| (r.id, nums(&r.files))).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::testutil::*;
    use super::*;

    fn leveled_task(inputs: Vec<(u32, Vec<Arc<FileMeta>>)>, out: u32) -> Task {
        Task {
            inputs,
            output_level: out,
            bottom: false,
            reason: String::new(),
            kind: TaskKind::Leveled,
        }
    }

    #[test]
    fn trivial_move_needs_disjoint_uppers_and_a_free_target_range() {
        let v = version(
            vec![file(4, 1, 50, 60), file(3, 1, 10, 20)],
            vec![
                (1, vec![file(1, 1, 0, 5), file(2, 1, 100, 200)]),
                (2, vec![]),
            ],
        );
        let t = leveled_task(
            vec![(0, vec![file(4, 1, 50, 60)]), (0, vec![file(3, 1, 10, 20)])],
            1,
        );
        assert!(is_trivial_move(&t, &v));
        // An upper overlapping a target file left in place: not a move.
        let t = leveled_task(vec![(0, vec![file(5, 1, 4, 8)])], 1);
        assert!(!is_trivial_move(&t, &v));
        // Overlapping uppers: not a move.
        let t = leveled_task(
            vec![(0, vec![file(4, 1, 50, 60)]), (0, vec![file(6, 1, 55, 58)])],
            1,
        );
        assert!(!is_trivial_move(&t, &v));
        // A task that already takes target files merges them: not a move.
        let t = leveled_task(
            vec![
                (0, vec![file(4, 1, 50, 60)]),
                (1, vec![file(2, 1, 100, 200)]),
            ],
            1,
        );
        assert!(!is_trivial_move(&t, &v));
        // Empty target level.
        let t = leveled_task(vec![(1, vec![file(1, 1, 0, 5)])], 2);
        assert!(is_trivial_move(&t, &v));
    }

    #[test]
    fn trivial_move_applies_without_removing_the_moved_files() {
        let v = version(vec![file(3, 1, 10, 20)], vec![(1, vec![file(1, 1, 0, 5)])]);
        let t = leveled_task(vec![(0, vec![file(3, 1, 10, 20)])], 1);
        assert!(is_trivial_move(&t, &v));
        let (nv, removed) = apply(&v, &t, vec![file(3, 1, 10, 20)]).unwrap();
        assert!(removed.is_empty());
        assert!(nv.l0.is_empty());
        assert_eq!(shape(&nv), vec![(1, vec![1, 3])]);
    }

    /// `Version::apply(edit_for(..))` (what MANIFEST replay does) rebuilds exactly what
    /// `apply` returns, for simple and leveled tasks, moves included.
    #[test]
    fn edits_replay_to_the_applied_version() {
        use crate::options::{CompactionOptions, LeveledOptions, Options, SimpleOptions};
        let leveled = LeveledOptions {
            level_size_multiplier: 2,
            level0_file_num_compaction_trigger: 2,
            max_levels: 4,
            base_level_size_mb: 1,
        };
        let simple = SimpleOptions::default();
        for (compaction, moves) in [
            (CompactionOptions::Leveled(leveled.clone()), false),
            (CompactionOptions::Leveled(leveled), true),
            (CompactionOptions::Simple(simple), false),
        ] {
            let opts = Options {
                compaction,
                ..Options::default()
            };
            let mut v = Version::new(opts.max_levels());
            let mut next = 1u64;
            let mut tasks = 0;
            for round in 0..60u64 {
                let lo = round.wrapping_mul(0x9E37_79B9) % 1000;
                v.l0.insert(0, file(next, 1 << 19, lo, lo + 50));
                next += 1;
                while let Some(t) = crate::compaction::pick(&v, &opts, &[]) {
                    let outs = if moves && is_trivial_move(&t, &v) {
                        t.inputs
                            .iter()
                            .flat_map(|(_, f)| f.iter().cloned())
                            .collect()
                    } else {
                        let (lo, hi) =
                            user_key_range(t.inputs.iter().flat_map(|(_, f)| f.iter())).unwrap();
                        let (lo, hi) = (lo.to_vec(), hi.to_vec());
                        next += 1;
                        vec![Arc::new(FileMeta {
                            smallest: crate::key::make_internal_key(&lo, next, 1).into(),
                            largest: crate::key::make_internal_key(&hi, next, 1).into(),
                            ..FileMeta::clone(&file(next - 1, 1 << 20, 0, 0))
                        })]
                    };
                    let edit = edit_for(&t, &outs).unwrap();
                    let (applied, _) = apply(&v, &t, outs).unwrap();
                    let replayed = v.apply(&edit).unwrap();
                    assert_eq!(nums(&applied.l0), nums(&replayed.l0));
                    assert_eq!(shape(&applied), shape(&replayed));
                    replayed.check_invariants().unwrap();
                    v = applied;
                    tasks += 1;
                }
            }
            assert!(tasks > 10);
        }
    }

    #[test]
    fn key_range_helpers() {
        let fs = vec![file(1, 1, 10, 20), file(2, 1, 5, 12), file(3, 1, 30, 40)];
        let (lo, hi) = user_key_range(&fs).unwrap();
        assert_eq!(
            (lo, hi),
            (&5u64.to_be_bytes()[..], &40u64.to_be_bytes()[..])
        );
        assert!(user_key_range(&[]).is_none());
        let hit = overlapping(&fs, &20u64.to_be_bytes(), &30u64.to_be_bytes());
        assert_eq!(nums(&hit), vec![1, 3]); // both bounds inclusive
        assert!(any_busy(&fs, &[3]));
        assert!(!any_busy(&fs, &[]));
    }

    #[test]
    fn level_mut_creates_missing_levels_in_order() {
        let mut v = version(vec![], vec![(1, vec![]), (3, vec![])]);
        level_mut(&mut v, 2).files.push(file(9, 1, 0, 1));
        level_mut(&mut v, 5);
        assert_eq!(
            shape(&v),
            vec![(1, vec![]), (2, vec![9]), (3, vec![]), (5, vec![])]
        );
    }
}
