//! The production leveled picker (the engine's default; `LeveledPicker::Production`): the
//! course's dynamic level targets (see `leveled.rs`) with RocksDB's way of choosing work.
//!
//! - **Targets.** The course's dynamic targets (`leveled.rs`: the bottom level's target its
//!   size, each level above a `multiplier`-th of the one below while that is over
//!   `base_level_size`, the base level the highest with a target), with every non-zero
//!   target raised to at least `base_level_size` (RocksDB 10's dynamic mode: no level from
//!   the base level down has a target below `max_bytes_for_level_base`). Without that floor
//!   the base level's target is a tenth of the bottom level's, 26-256 MiB, so every L0
//!   compaction would overfill it and it would spill into the bottom level after each one.
//! - **Scores.** L0: files not being compacted / `level0_file_num_compaction_trigger`.
//!   L(k), 1 <= k < max: (bytes not being compacted) / target(k); a non-empty level above the
//!   base level (target 0) scores `f64::MAX` so it drains first. Levels are tried by score,
//!   highest first (ties: the deeper level); a score below 1 ends the search.
//! - **L0 → base**: every L0 file (none may be busy) + the base-level files meeting L0's
//!   range. When that cannot start because base-level files are busy, and at least
//!   `trigger + 2` L0 files wait, an **intra-L0** task merges the newest contiguous run of
//!   idle L0 files into one L0 file (output level 0, never bottom), so L0 does not pile up
//!   while the base level is busy.
//! - **L(k) → L(k+1)**: among the idle files of L(k) whose overlapping files in L(k+1) are
//!   idle too, the one with the smallest overlap ratio (overlapping bytes below / its size;
//!   ties: the oldest). That file's rewrite costs the least below it, which is what keeps
//!   write amplification down under random overwrites (RocksDB's `kMinOverlappingRatio`).
//!   A file with no overlap below is a trivial move: the engine relinks it
//!   ([`crate::compaction::is_trivial_move`]) instead of rewriting it. A file with overlap
//!   takes along every idle file of L(k) in the key range of it and its overlap, when they
//!   meet no further file below and the task stays under `max_compaction_bytes` (RocksDB's
//!   input expansion): the files below are then rewritten once for all of them.
//! - Where outputs end is the job's part, not the picker's: a production leveled job cuts
//!   its outputs at the boundaries of the files below its output level and moves its
//!   subcompaction bounds there (`job/cut.rs`, RocksDB's dynamic file size), so a file this
//!   picker later moves down meets whole files below it.
//!
//! Pure: a function of the version, the options and the busy set; no I/O; any thread. With
//! a busy set it never returns a task touching a busy file, never writes an L0 job's keys
//! into the level that job writes (`L0Guard`, shared with the course picker), and keeps
//! L0's order (an L0 task takes all of L0; intra-L0 takes a contiguous newest run).

use std::sync::Arc;

use crate::compaction::leveled::{L0Guard, Targets, targets};
use crate::compaction::picker::{any_busy, level_files, overlapping, user_key_range};
use crate::compaction::{Task, TaskKind};
use crate::options::LeveledOptions;
use crate::version::{FileMeta, Version};

/// Fewest idle L0 files an intra-L0 task merges (RocksDB: 4). Below it the merge would not
/// reduce L0 enough to be worth the write.
const MIN_INTRA_L0_FILES: usize = 4;

/// Score of a non-empty level whose target is 0 (above the base level): drain it first.
const DRAIN: f64 = f64::MAX;

/// Input bytes (upper files + their overlaps below) above which an L(k) → L(k+1) task is not
/// expanded beyond its one chosen file, for callers without a target SST size: 25 × 64 MiB,
/// RocksDB's default `max_compaction_bytes` (25 × `target_file_size_base`).
#[cfg(test)]
const DEFAULT_MAX_COMPACTION_BYTES: u64 = 25 * (64 << 20);

/// Times the target SST size an expanded L(k) → L(k+1) task may read (RocksDB: 25).
pub(crate) const MAX_COMPACTION_FILES: u64 = 25;

/// The next production task, or `None`, with the default expansion limit.
#[cfg(test)]
pub(crate) fn pick(version: &Version, o: &LeveledOptions, busy: &[u64]) -> Option<Task> {
    pick_limited(version, o, DEFAULT_MAX_COMPACTION_BYTES, busy)
}

/// The next production task, or `None`; an L(k) → L(k+1) task reads fewer than
/// `max_compaction_bytes` when it takes more than one file of L(k).
pub(crate) fn pick_limited(
    version: &Version,
    o: &LeveledOptions,
    max_compaction_bytes: u64,
    busy: &[u64],
) -> Option<Task> {
    let max = o.max_levels;
    if max == 0 {
        return None;
    }
    let t = floored_targets(version, o);
    let guard = L0Guard::new(version, busy);
    for (score, level) in scores(version, o, &t, busy) {
        if score < 1.0 {
            break;
        }
        let task = if level == 0 {
            l0_task(version, o, &t, busy)
        } else {
            level_task(
                version,
                &t,
                LevelPick {
                    level,
                    max,
                    score,
                    max_compaction_bytes,
                },
                busy,
                &guard,
            )
        };
        if task.is_some() {
            return task;
        }
    }
    None
}

/// The course's dynamic targets with every non-zero target raised to at least
/// `base_level_size_mb` MiB (see the module doc); the base level is unchanged.
pub(crate) fn floored_targets(version: &Version, o: &LeveledOptions) -> Targets {
    let mut t = targets(version, o);
    let floor = (o.base_level_size_mb as u64).saturating_mul(1 << 20);
    for target in t.target.iter_mut().filter(|x| **x > 0) {
        *target = (*target).max(floor);
    }
    debug_assert!(
        t.target
            .iter()
            .take(t.base.saturating_sub(1))
            .all(|&x| x == 0),
        "no level above the base level has a target"
    );
    t
}

/// (score, level) of L0 and of L1..L(max-1), highest first, ties to the deeper level.
fn scores(version: &Version, o: &LeveledOptions, t: &Targets, busy: &[u64]) -> Vec<(f64, usize)> {
    let mut out = Vec::with_capacity(o.max_levels);
    let idle_l0 = version
        .l0
        .iter()
        .filter(|f| !busy.contains(&f.number))
        .count();
    let trigger = o.level0_file_num_compaction_trigger.max(1);
    out.push((idle_l0 as f64 / trigger as f64, 0));
    for k in 1..o.max_levels {
        let idle: u64 = level_files(version, k as u64)
            .iter()
            .filter(|f| !busy.contains(&f.number))
            .map(|f| f.size)
            .sum();
        let target = t.target[k - 1];
        let score = match (idle, target) {
            (0, _) => 0.0,
            (_, 0) => DRAIN,
            (idle, target) => idle as f64 / target as f64,
        };
        out.push((score, k));
    }
    out.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.1.cmp(&a.1))
    });
    out
}

/// L0 → base, or intra-L0 when the base level is busy.
fn l0_task(version: &Version, o: &LeveledOptions, t: &Targets, busy: &[u64]) -> Option<Task> {
    let (lo, hi) = user_key_range(&version.l0)?;
    let base = t.base;
    let lower = overlapping(level_files(version, base as u64), lo, hi);
    let l0_busy = any_busy(&version.l0, busy);
    if !l0_busy && !any_busy(&lower, busy) {
        let mut inputs: Vec<(u32, Vec<Arc<FileMeta>>)> = version
            .l0
            .iter()
            .map(|f| (0, vec![Arc::clone(f)]))
            .collect();
        if !lower.is_empty() {
            inputs.push((base as u32, lower));
        }
        let reason = format!(
            "L0 score {:.2} ({} files): L0 to base level {base}",
            version.l0.len() as f64 / o.level0_file_num_compaction_trigger.max(1) as f64,
            version.l0.len()
        );
        return Some(task(inputs, base as u32, base == o.max_levels, reason));
    }
    intra_l0_task(version, o, busy)
}

/// The newest contiguous run of idle L0 files, merged into one L0 file.
fn intra_l0_task(version: &Version, o: &LeveledOptions, busy: &[u64]) -> Option<Task> {
    let run: Vec<Arc<FileMeta>> = version
        .l0
        .iter()
        .take_while(|f| !busy.contains(&f.number))
        .cloned()
        .collect();
    let want = (o.level0_file_num_compaction_trigger + 2).max(MIN_INTRA_L0_FILES);
    if run.len() < want {
        return None;
    }
    let reason = format!(
        "intra-L0: {} idle L0 files while the base level is busy",
        run.len()
    );
    let inputs = run.into_iter().map(|f| (0, vec![f])).collect();
    Some(task(inputs, 0, false, reason))
}

/// (overlap ratio × 2^20, file number, file, its overlapping files below).
type Candidate<'a> = (u128, u64, &'a Arc<FileMeta>, Vec<Arc<FileMeta>>);

/// Which level a level task compacts, and its limits.
struct LevelPick {
    level: usize,
    max: usize,
    score: f64,
    max_compaction_bytes: u64,
}

/// L(level) → L(level+1): the idle file with the smallest overlap ratio below (expanded by
/// [`expand_upper`]).
fn level_task(
    version: &Version,
    t: &Targets,
    p: LevelPick,
    busy: &[u64],
    guard: &L0Guard<'_>,
) -> Option<Task> {
    let LevelPick {
        level,
        max,
        score,
        max_compaction_bytes,
    } = p;
    if level >= max {
        return None;
    }
    let lower_id = level as u64 + 1;
    let below = level_files(version, lower_id);
    let mut best: Option<Candidate<'_>> = None;
    for f in level_files(version, level as u64) {
        if busy.contains(&f.number) {
            continue;
        }
        let lower = overlapping(below, f.smallest_user_key(), f.largest_user_key());
        if any_busy(&lower, busy) || guard.blocks(f, &lower, lower_id) {
            continue;
        }
        let overlap: u64 = lower.iter().map(|g| g.size).sum();
        // Ratio overlap / size compared exactly as overlap * 2^20 / size in integers.
        let ratio = (u128::from(overlap) << 20) / u128::from(f.size.max(1));
        let better = best
            .as_ref()
            .is_none_or(|(r, n, _, _)| (ratio, f.number) < (*r, *n));
        if better {
            best = Some((ratio, f.number, f, lower));
        }
    }
    let (ratio, _, f, lower) = best?;
    let upper = expand_upper(version, level, f, &lower, busy, guard, max_compaction_bytes);
    let reason = format!(
        "L{level} score {} (target {} bytes, base level {}): file {} with overlap ratio {:.3} \
         into L{lower_id}{}",
        if score == DRAIN {
            "drain".to_string()
        } else {
            format!("{score:.2}")
        },
        t.target[level - 1],
        t.base,
        f.number,
        ratio as f64 / f64::from(1u32 << 20),
        if upper.len() > 1 {
            format!(", expanded to {} files of L{level}", upper.len())
        } else {
            String::new()
        }
    );
    let mut inputs = vec![(level as u32, upper)];
    if !lower.is_empty() {
        inputs.push((lower_id as u32, lower));
    }
    Some(task(inputs, lower_id as u32, level + 1 == max, reason))
}

/// The files of L(level) one L(level) → L(level+1) task takes: `f` alone, or every file of
/// L(level) within the key range of `f` and `lower` (its overlapping files below) when that
/// takes in no further file below, none of them is busy or blocked by a running L0 job, and
/// the inputs stay under `max_compaction_bytes` (RocksDB's `SetupOtherInputs`). The files
/// below are rewritten once for all of them instead of once per file: under random keys every
/// file spans most of the key space, so without this each file of the base level would
/// rewrite most of the level below on its own. No expansion without overlap below (a
/// trivial move stays one file).
fn expand_upper(
    version: &Version,
    level: usize,
    f: &Arc<FileMeta>,
    lower: &[Arc<FileMeta>],
    busy: &[u64],
    guard: &L0Guard<'_>,
    max_compaction_bytes: u64,
) -> Vec<Arc<FileMeta>> {
    let single = vec![Arc::clone(f)];
    let Some((lo, hi)) = user_key_range(std::iter::once(f).chain(lower)) else {
        return single;
    };
    if lower.is_empty() {
        return single;
    }
    let upper = overlapping(level_files(version, level as u64), lo, hi);
    if upper.len() <= 1 || any_busy(&upper, busy) {
        return single;
    }
    let bytes: u64 = upper.iter().chain(lower).map(|g| g.size).sum();
    if bytes >= max_compaction_bytes {
        return single;
    }
    let lower_id = level as u64 + 1;
    if upper.iter().any(|g| guard.blocks(g, lower, lower_id)) {
        return single;
    }
    let Some((ulo, uhi)) = user_key_range(&upper) else {
        return single;
    };
    // The expanded range may not reach a file below that `lower` does not hold.
    let below = overlapping(level_files(version, lower_id), ulo, uhi);
    if below.len() != lower.len() {
        return single;
    }
    debug_assert!(
        below.iter().zip(lower).all(|(a, b)| a.number == b.number),
        "the expanded inputs meet the same files below"
    );
    debug_assert!(upper.iter().any(|g| g.number == f.number));
    upper
}

fn task(
    inputs: Vec<(u32, Vec<Arc<FileMeta>>)>,
    output_level: u32,
    bottom: bool,
    reason: String,
) -> Task {
    Task::new(inputs, output_level, bottom, reason, TaskKind::Leveled)
}

/// Bytes that compaction still has to rewrite before the tree meets its targets (RocksDB's
/// "estimated pending compaction bytes", simplified): all of L0 once it reaches the trigger,
/// plus, for each level over its target, the excess and the share of the level below that
/// the excess will be merged with (excess × multiplier). Feeds the write stalls.
pub(crate) fn pending_compaction_bytes(version: &Version, o: &LeveledOptions) -> u64 {
    if o.max_levels == 0 {
        return 0;
    }
    let t = floored_targets(version, o);
    let mut pending: u64 = 0;
    if version.l0.len() >= o.level0_file_num_compaction_trigger {
        pending = version.l0.iter().map(|f| f.size).sum();
        // L0 is merged with the whole base level in the worst case.
        pending = pending.saturating_add(t.real[t.base - 1]);
    }
    for k in 1..o.max_levels {
        let (real, target) = (t.real[k - 1], t.target[k - 1]);
        if real > target {
            let excess = real - target;
            let fanout = (o.level_size_multiplier as u64).saturating_add(1);
            pending = pending.saturating_add(excess.saturating_mul(fanout));
        }
    }
    pending
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
