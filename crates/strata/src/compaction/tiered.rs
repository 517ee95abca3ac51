//! Tiered (universal) compaction (SPEC §5, the course's `TieredCompactionController`):
//! no L0; every flush adds a tier (a sorted run, id = its file's number) at the front of
//! `version.levels`, so tiers run newest first. Sizes are file counts.
//!
//! Rules, first match wins, n = number of tiers:
//! 1. n < `num_tiers` → none.
//! 2. Space amplification a = (files in all tiers but the last) / (files in the last) × 100;
//!    a >= `max_size_amplification_percent` → all tiers, bottom.
//! 3. Size ratio t = (100 + `size_ratio`) / 100: summing tier j's files into s for j = 0 ..
//!    n−2, the first j with |tier j+1| / s > t and j+1 >= `min_merge_width` → tiers 0..=j.
//! 4. Reduce sorted runs: the first m = min(n, `max_merge_width`) tiers, bottom iff m = n.
//!
//! Busy tiers (some file being compacted): rule 2 is skipped, rule 3 stops at a busy tier,
//! rule 4 is cut before the first busy tier (needing >= 2 tiers). With nothing busy the rules
//! are exactly the course's. Pure functions, no I/O; any thread.
//!
//! `version.l0` stays empty under tiered: the flush path (`db/flush.rs`) makes each new SST a
//! tier of its own, logged with the tier order (VersionEdit tag 6). The picker ignores L0.

use std::collections::HashMap;
use std::sync::Arc;

use crate::compaction::picker::{ApplyError, any_busy, same_numbers};
use crate::compaction::{Task, TaskKind};
use crate::options::TieredOptions;
use crate::version::{FileMeta, SortedRun, Version};

/// The next tiered task, or `None`.
pub(crate) fn pick(version: &Version, o: &TieredOptions, busy: &[u64]) -> Option<Task> {
    let tiers = &version.levels;
    let n = tiers.len();
    let (last, upper) = tiers.split_last()?;
    if n < o.num_tiers {
        return None;
    }
    let is_busy = |t: &SortedRun| any_busy(&t.files, busy);

    let size: usize = upper.iter().map(|t| t.files.len()).sum();
    let amp = size as f64 / last.files.len() as f64 * 100.0;
    if amp >= o.max_size_amplification_percent as f64 && !tiers.iter().any(is_busy) {
        let reason = format!("compaction triggered by space amplification ratio: {amp}");
        return Some(task(tiers, true, reason));
    }

    let trigger = (100.0 + o.size_ratio as f64) / 100.0;
    let mut sum = 0usize;
    for (j, pair) in tiers.windows(2).enumerate() {
        let [this, next] = pair else { break };
        if is_busy(this) {
            break;
        }
        sum += this.files.len();
        let ratio = next.files.len() as f64 / sum as f64;
        if ratio > trigger && j + 1 >= o.min_merge_width {
            let reason = format!(
                "compaction triggered by size ratio: {} > {}",
                ratio * 100.0,
                trigger * 100.0
            );
            return Some(task(&tiers[..=j], false, reason));
        }
    }

    let width = n.min(o.max_merge_width.unwrap_or(usize::MAX));
    let free = tiers[..width].iter().position(is_busy).unwrap_or(width);
    if free < width && free < 2 {
        return None;
    }
    let reason = "compaction triggered by reducing sorted runs".to_string();
    Some(task(&tiers[..free], free == n, reason))
}

/// A full compaction of every tier (`Db::compact` under tiered), or `None` with no tiers.
pub(crate) fn full_task(version: &Version) -> Option<Task> {
    if version.levels.iter().all(|t| t.files.is_empty()) {
        return None;
    }
    let mut t = task(&version.levels, true, "full compaction".to_string());
    t.inputs.retain(|(_, files)| !files.is_empty());
    if let TaskKind::Tiered { tiers } = &mut t.kind {
        let keep: Vec<u64> = version
            .levels
            .iter()
            .filter(|r| !r.files.is_empty())
            .map(|r| r.id)
            .collect();
        *tiers = keep;
    }
    Some(t)
}

fn tier_u32(id: u64) -> u32 {
    u32::try_from(id).unwrap_or(u32::MAX)
}

fn task(tiers: &[SortedRun], bottom: bool, reason: String) -> Task {
    Task {
        inputs: tiers
            .iter()
            .map(|t| (tier_u32(t.id), t.files.clone()))
            .collect(),
        output_level: tiers.last().map_or(0, |t| tier_u32(t.id)),
        bottom,
        reason,
        kind: TaskKind::Tiered {
            tiers: tiers.iter().map(|t| t.id).collect(),
        },
    }
}

/// Applies a tiered task: the captured tiers (unchanged) are removed and one tier holding
/// `outputs` (id = the first output's number) is placed where the last of them stood, behind
/// tiers flushed meanwhile; no outputs → no tier. Removed = captured files, tier by tier.
pub(crate) fn apply(
    version: &Version,
    task: &Task,
    tier_ids: &[u64],
    outputs: Vec<Arc<FileMeta>>,
) -> Result<(Version, Vec<u64>), ApplyError> {
    if tier_ids.len() != task.inputs.len() {
        return Err(ApplyError::new("tiered task with mismatched tier ids"));
    }
    let mut pending: HashMap<u64, &[Arc<FileMeta>]> = tier_ids
        .iter()
        .zip(&task.inputs)
        .map(|(id, (_, files))| (*id, files.as_slice()))
        .collect();
    if pending.len() != tier_ids.len() {
        return Err(ApplyError::new("tiered task names a tier twice"));
    }
    let mut levels = Vec::with_capacity(version.levels.len() + 1);
    let mut removed = Vec::new();
    let mut outputs = Some(outputs);
    for tier in &version.levels {
        match pending.remove(&tier.id) {
            Some(files) => {
                if !same_numbers(files, &tier.files) {
                    return Err(ApplyError::new(format!(
                        "tier {} changed since the task was picked",
                        tier.id
                    )));
                }
                removed.extend(files.iter().map(|f| f.number));
            }
            None => levels.push(tier.clone()),
        }
        if pending.is_empty()
            && let Some(files) = outputs.take().filter(|o| !o.is_empty())
        {
            let id = files.first().map_or(0, |f| f.number);
            levels.push(SortedRun { id, files });
        }
    }
    if let Some(id) = pending.keys().next() {
        return Err(ApplyError::new(format!("tier {id} is gone")));
    }
    Ok((
        Version {
            l0: version.l0.clone(),
            levels,
        },
        removed,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::compaction::apply;
    use crate::compaction::picker::testutil::*;

    fn opts(
        num_tiers: usize,
        amp: usize,
        ratio: usize,
        min_w: usize,
        max_w: Option<usize>,
    ) -> TieredOptions {
        TieredOptions {
            num_tiers,
            max_size_amplification_percent: amp,
            size_ratio: ratio,
            min_merge_width: min_w,
            max_merge_width: max_w,
        }
    }

    /// Tiers of the given sizes, newest first; tier ids = first file number.
    fn tiers(sizes: &[usize]) -> Version {
        let mut next = 100;
        let runs = sizes
            .iter()
            .map(|&s| {
                let files: Vec<_> = (0..s).map(|k| any(next + k as u64)).collect();
                let id = next;
                next += 100;
                (id, files)
            })
            .collect();
        version(vec![], runs)
    }

    fn taken(t: &Task) -> Vec<usize> {
        t.inputs.iter().map(|(_, f)| f.len()).collect()
    }

    #[test]
    fn fewer_tiers_than_num_tiers_nothing() {
        assert!(pick(&tiers(&[1, 1]), &opts(3, 200, 1, 2, None), &[]).is_none());
        assert!(pick(&tiers(&[]), &opts(2, 200, 1, 2, None), &[]).is_none());
    }

    #[test]
    fn space_amplification_takes_all_tiers() {
        let t = pick(&tiers(&[1, 1, 1]), &opts(3, 200, 1, 2, None), &[]).unwrap();
        assert_eq!(
            t.reason,
            "compaction triggered by space amplification ratio: 200"
        );
        assert_eq!(taken(&t), vec![1, 1, 1]);
        assert!(t.bottom);
    }

    #[test]
    fn size_ratio_takes_upper_tiers_not_bottom() {
        // a = 3/8·100 = 37.5 < 200; j=0: 1/1 = 1 not > 1.01; j=1: 8/2 = 4 > 1.01 → tiers 0..=1.
        let t = pick(&tiers(&[1, 1, 8]), &opts(3, 200, 1, 2, None), &[]).unwrap();
        assert_eq!(t.reason, "compaction triggered by size ratio: 400 > 101");
        assert_eq!(taken(&t), vec![1, 1]);
        assert!(!t.bottom);
        // min_merge_width 3 forbids it → reduce sorted runs.
        let t = pick(&tiers(&[1, 1, 8]), &opts(3, 200, 1, 3, None), &[]).unwrap();
        assert_eq!(t.reason, "compaction triggered by reducing sorted runs");
        assert_eq!(taken(&t), vec![1, 1, 8]);
        assert!(t.bottom);
    }

    #[test]
    fn reduce_sorted_runs_respects_max_merge_width() {
        // a = 6/6 = 100 < 200; ratios 2/2=1, 2/4=0.5: no size-ratio task.
        let t = pick(&tiers(&[2, 2, 2, 6]), &opts(4, 200, 1, 2, Some(3)), &[]).unwrap();
        assert_eq!(t.reason, "compaction triggered by reducing sorted runs");
        assert_eq!(taken(&t), vec![2, 2, 2]);
        assert!(!t.bottom);
    }

    #[test]
    fn busy_tiers_are_never_taken() {
        let v = tiers(&[1, 1, 1, 1]);
        let busy: Vec<u64> = v.levels[2].files.iter().map(|f| f.number).collect();
        let t = pick(&v, &opts(3, 200, 1, 2, None), &busy).unwrap();
        assert_eq!(t.reason, "compaction triggered by reducing sorted runs");
        assert_eq!(taken(&t), vec![1, 1]);
        let busy: Vec<u64> = v.levels[1].files.iter().map(|f| f.number).collect();
        assert!(pick(&v, &opts(3, 200, 1, 2, None), &busy).is_none());
    }

    #[test]
    fn apply_places_output_behind_tiers_flushed_meanwhile() {
        let v = tiers(&[1, 1, 8]);
        let t = pick(&v, &opts(3, 200, 1, 2, None), &[]).unwrap();
        let mut now = v.clone();
        now.levels.insert(
            0,
            SortedRun {
                id: 900,
                files: vec![any(900)],
            },
        );
        let (nv, removed) = apply(&now, &t, vec![any(901), any(902)]).unwrap();
        assert_eq!(removed, vec![100, 200]);
        let ids: Vec<u64> = nv.levels.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![900, 901, 300]);
        // Empty output: the tiers just go.
        let (nv, _) = apply(&now, &t, vec![]).unwrap();
        let ids: Vec<u64> = nv.levels.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![900, 300]);
        // A changed tier makes the task stale.
        let mut stale = v.clone();
        stale.levels[1].files.push(any(999));
        assert!(apply(&stale, &t, vec![any(5)]).is_err());
        let mut gone = v.clone();
        gone.levels.remove(0);
        assert!(apply(&gone, &t, vec![any(5)]).is_err());
    }

    #[test]
    #[expect(
        clippy::explicit_counter_loop,
        reason = "outputs draw ids from the same counter"
    )]
    fn converges_within_three_times_num_tiers() {
        for o in [
            opts(3, 200, 1, 2, None),
            opts(8, 200, 1, 2, None),
            opts(4, 100, 20, 3, Some(3)),
            opts(2, 400, 1, 2, Some(2)),
        ] {
            let mut v = Version::default();
            let mut next = 1u64;
            for _ in 0..300 {
                v.levels.insert(
                    0,
                    SortedRun {
                        id: next,
                        files: vec![any(next)],
                    },
                );
                next += 1;
                let mut n = 0;
                while let Some(t) = pick(&v, &o, &[]) {
                    let outs: Vec<_> = (0..t.input_numbers().count())
                        .map(|_| {
                            next += 1;
                            any(next - 1)
                        })
                        .collect();
                    let count = t.input_numbers().count();
                    let (nv, removed) = apply(&v, &t, outs).unwrap();
                    assert_eq!(removed.len(), count);
                    v = nv;
                    n += 1;
                    assert!(n < 3 * o.num_tiers, "no convergence for {o:?}");
                }
                assert!(v.levels.len() < o.num_tiers);
            }
        }
    }
}
