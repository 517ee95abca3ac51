//! The production leveled picker (the engine's default; `LeveledPicker::Production`): the
//! course's dynamic level targets (see `leveled.rs`) with RocksDB's way of choosing work.
//!
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
//!   ([`crate::compaction::is_trivial_move`]) instead of rewriting it.
//! - Output splitting by grandparent overlap is the job's part (`job.rs`), not the picker's.
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

/// The next production task, or `None`.
pub(crate) fn pick(version: &Version, o: &LeveledOptions, busy: &[u64]) -> Option<Task> {
    let max = o.max_levels;
    if max == 0 {
        return None;
    }
    let t = targets(version, o);
    let guard = L0Guard::new(version, busy);
    for (score, level) in scores(version, o, &t, busy) {
        if score < 1.0 {
            break;
        }
        let task = if level == 0 {
            l0_task(version, o, &t, busy)
        } else {
            level_task(version, &t, level, max, busy, &guard, score)
        };
        if task.is_some() {
            return task;
        }
    }
    None
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

/// L(level) → L(level+1): the idle file with the smallest overlap ratio below.
fn level_task(
    version: &Version,
    t: &Targets,
    level: usize,
    max: usize,
    busy: &[u64],
    guard: &L0Guard<'_>,
    score: f64,
) -> Option<Task> {
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
    let reason = format!(
        "L{level} score {} (target {} bytes, base level {}): file {} with overlap ratio {:.3} \
         into L{lower_id}",
        if score == DRAIN {
            "drain".to_string()
        } else {
            format!("{score:.2}")
        },
        t.target[level - 1],
        t.base,
        f.number,
        ratio as f64 / f64::from(1u32 << 20)
    );
    let mut inputs = vec![(level as u32, vec![Arc::clone(f)])];
    if !lower.is_empty() {
        inputs.push((lower_id as u32, lower));
    }
    Some(task(inputs, lower_id as u32, level + 1 == max, reason))
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
    let t = targets(version, o);
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
