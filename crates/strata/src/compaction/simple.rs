//! Simple leveled compaction (SPEC §5, the course's `SimpleLeveledCompactionController`):
//! sizes are file counts; L1..Lmax are one run each.
//!
//! Rules, first match wins: (1) |L0| >= trigger → all of L0 + all of L1; (2) for i = 1 ..
//! max−1, |L(i+1)| / |L(i)| (f64) < size_ratio_percent / 100 → all of L(i) + all of L(i+1)
//! (an empty L(i) gives ∞ or NaN and never triggers); (3) none. A candidate that would take a
//! busy file is skipped (with nothing busy this is exactly the course's rule order).
//!
//! Pure functions, no I/O; any thread.

use std::sync::Arc;

use crate::compaction::picker::{
    ApplyError, any_busy, level_files, level_mut, same_numbers, sort_by_smallest,
};
use crate::compaction::{Task, TaskKind};
use crate::options::SimpleOptions;
use crate::version::{FileMeta, Version};

/// The next simple-leveled task, or `None`.
pub(crate) fn pick(version: &Version, o: &SimpleOptions, busy: &[u64]) -> Option<Task> {
    if o.max_levels == 0 {
        return None;
    }
    let trigger = o.level0_file_num_compaction_trigger;
    if version.l0.len() >= trigger {
        let l1 = level_files(version, 1);
        if !any_busy(version.l0.iter().chain(l1), busy) {
            let reason = format!(
                "compaction triggered at level 0 because L0 has {} SSTs >= {}",
                version.l0.len(),
                trigger
            );
            let mut inputs: Vec<(u32, Vec<Arc<FileMeta>>)> = version
                .l0
                .iter()
                .map(|f| (0, vec![Arc::clone(f)]))
                .collect();
            if !l1.is_empty() {
                inputs.push((1, l1.to_vec()));
            }
            return Some(task(inputs, 1, o.max_levels == 1, reason));
        }
    }
    let threshold = o.size_ratio_percent as f64 / 100.0;
    for i in 1..o.max_levels {
        let (upper_id, lower_id) = (i as u64, i as u64 + 1);
        let upper = level_files(version, upper_id);
        let lower = level_files(version, lower_id);
        let ratio = lower.len() as f64 / upper.len() as f64;
        if ratio.partial_cmp(&threshold) != Some(std::cmp::Ordering::Less)
            || any_busy(upper.iter().chain(lower), busy)
        {
            continue;
        }
        let reason = format!(
            "compaction triggered at level {i} and {} with size ratio {ratio}",
            i + 1
        );
        let mut inputs = vec![(i as u32, upper.to_vec())];
        if !lower.is_empty() {
            inputs.push((lower_id as u32, lower.to_vec()));
        }
        return Some(task(inputs, lower_id as u32, i + 1 == o.max_levels, reason));
    }
    None
}

fn task(
    inputs: Vec<(u32, Vec<Arc<FileMeta>>)>,
    output_level: u32,
    bottom: bool,
    reason: String,
) -> Task {
    Task::new(inputs, output_level, bottom, reason, TaskKind::Simple)
}

/// Applies a simple task: L0 loses exactly the captured files (later flushes keep their
/// order), or the captured upper level (unchanged) is cleared; the lower level (unchanged)
/// becomes the outputs, sorted by smallest key. Removed = upper numbers, then lower numbers.
pub(crate) fn apply(
    version: &Version,
    task: &Task,
    outputs: Vec<Arc<FileMeta>>,
) -> Result<(Version, Vec<u64>), ApplyError> {
    let out = task.output_level;
    let Some((upper_level, upper)) = task.upper() else {
        return Err(ApplyError::new("simple task without an upper level"));
    };
    let lower = task.lower();
    let mut v = version.clone();
    let mut removed: Vec<u64> = Vec::with_capacity(upper.len() + lower.len());
    if upper_level == 0 {
        for f in &upper {
            if !v.l0.iter().any(|g| g.number == f.number) {
                return Err(ApplyError::new(format!("L0 file {} is gone", f.number)));
            }
        }
        v.l0.retain(|g| !upper.iter().any(|f| f.number == g.number));
    } else {
        let run = level_mut(&mut v, u64::from(upper_level));
        if !same_numbers(&run.files, &upper) {
            return Err(ApplyError::new(format!(
                "L{upper_level} changed since the task was picked"
            )));
        }
        run.files.clear();
    }
    removed.extend(upper.iter().map(|f| f.number));
    let run = level_mut(&mut v, u64::from(out));
    if !same_numbers(&run.files, &lower) {
        return Err(ApplyError::new(format!(
            "L{out} changed since the task was picked"
        )));
    }
    removed.extend(lower.iter().map(|f| f.number));
    run.files = outputs;
    sort_by_smallest(&mut run.files);
    Ok((v, removed))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::compaction::apply;
    use crate::compaction::picker::testutil::*;

    fn opts(ratio: usize, trigger: usize, max: usize) -> SimpleOptions {
        SimpleOptions {
            size_ratio_percent: ratio,
            level0_file_num_compaction_trigger: trigger,
            max_levels: max,
        }
    }

    fn empty_levels(max: u64) -> Vec<(u64, Vec<Arc<FileMeta>>)> {
        (1..=max).map(|i| (i, vec![])).collect()
    }

    #[test]
    fn below_trigger_nothing() {
        let v = version(vec![any(1)], empty_levels(3));
        assert!(pick(&v, &opts(200, 2, 3), &[]).is_none());
    }

    #[test]
    fn l0_trigger_takes_all_l0_newest_first_and_l1() {
        let v = version(
            vec![any(3), any(2)],
            vec![(1, vec![any(1)]), (2, vec![]), (3, vec![])],
        );
        let t = pick(&v, &opts(200, 2, 3), &[]).unwrap();
        assert_eq!(
            t.reason,
            "compaction triggered at level 0 because L0 has 2 SSTs >= 2"
        );
        assert_eq!(
            t.inputs
                .iter()
                .map(|(l, f)| (*l, nums(f)))
                .collect::<Vec<_>>(),
            vec![(0, vec![3]), (0, vec![2]), (1, vec![1])]
        );
        assert_eq!((t.output_level, t.bottom), (1, false));
        // The L0 rule fires whatever the L1 ratio (course: checked first).
        let v = version(
            vec![any(9), any(8)],
            vec![(1, vec![any(1), any(2), any(3), any(4), any(5)])],
        );
        assert!(pick(&v, &opts(200, 2, 1), &[]).unwrap().bottom);
    }

    #[test]
    fn ratio_trigger_and_reason_format() {
        let v = version(
            vec![],
            vec![(1, vec![any(1), any(2)]), (2, vec![any(3)]), (3, vec![])],
        );
        let t = pick(&v, &opts(200, 2, 3), &[]).unwrap();
        assert_eq!(
            t.reason,
            "compaction triggered at level 1 and 2 with size ratio 0.5"
        );
        assert_eq!((t.output_level, t.bottom), (2, false));
        // Ratio 2 is not < 2: next pair; L3 empty over L2 (1 file): ratio 0 → bottom.
        let v = version(
            vec![],
            vec![(1, vec![any(1)]), (2, vec![any(2), any(3)]), (3, vec![])],
        );
        let t = pick(&v, &opts(200, 2, 3), &[]).unwrap();
        assert_eq!(
            t.reason,
            "compaction triggered at level 2 and 3 with size ratio 0"
        );
        assert_eq!((t.output_level, t.bottom), (3, true));
        // Empty upper levels never trigger (∞ and NaN).
        let v = version(
            vec![],
            vec![(1, vec![]), (2, vec![any(2)]), (3, vec![any(3), any(4)])],
        );
        assert!(pick(&v, &opts(200, 2, 3), &[]).is_none());
    }

    #[test]
    fn busy_files_skip_to_a_disjoint_task() {
        let v = version(
            vec![any(6), any(5)],
            vec![(1, vec![any(1)]), (2, vec![any(2), any(3)]), (3, vec![])],
        );
        let t = pick(&v, &opts(200, 2, 3), &[1]).unwrap();
        assert_eq!(t.output_level, 3);
        assert!(pick(&v, &opts(200, 2, 3), &[1, 2]).is_none());
    }

    #[test]
    fn apply_keeps_l0_flushed_meanwhile() {
        let v = version(
            vec![any(3), any(2)],
            vec![(1, vec![any(1)]), (2, vec![]), (3, vec![])],
        );
        let t = pick(&v, &opts(200, 2, 3), &[]).unwrap();
        // Two flushes land while the job runs.
        let mut now = v.clone();
        now.l0.insert(0, any(7));
        now.l0.insert(0, any(8));
        let (nv, removed) = apply(&now, &t, vec![any(10), any(11), any(12)]).unwrap();
        assert_eq!(nums(&nv.l0), vec![8, 7]);
        assert_eq!(
            shape(&nv),
            vec![(1, vec![10, 11, 12]), (2, vec![]), (3, vec![])]
        );
        assert_eq!(removed, vec![3, 2, 1]);
        // A stale task (L1 changed) is refused.
        let mut stale = v.clone();
        stale.levels[0].files.push(any(20));
        assert!(apply(&stale, &t, vec![]).is_err());
    }

    /// Runs the policy on file counts like the simulator and checks it settles within
    /// 2·max_levels tasks per flush.
    #[test]
    #[expect(
        clippy::explicit_counter_loop,
        reason = "outputs draw ids from the same counter"
    )]
    fn converges_within_bound() {
        for (ratio, trigger, max) in [(200, 2, 3), (100, 4, 5), (50, 1, 2), (300, 3, 1)] {
            let o = opts(ratio, trigger, max);
            let mut v = version(vec![], empty_levels(max as u64));
            let mut next = 1;
            for _ in 0..200 {
                v.l0.insert(0, any(next));
                next += 1;
                let mut n = 0;
                while let Some(t) = pick(&v, &o, &[]) {
                    let outs: Vec<_> = t
                        .inputs
                        .iter()
                        .flat_map(|(_, f)| f.iter())
                        .map(|_| {
                            next += 1;
                            any(next - 1)
                        })
                        .collect();
                    let captured: Vec<u64> = t.input_numbers().collect();
                    let (nv, removed) = apply(&v, &t, outs).unwrap();
                    let mut a = removed.clone();
                    a.sort_unstable();
                    let mut b = captured;
                    b.sort_unstable();
                    assert_eq!(a, b);
                    v = nv;
                    n += 1;
                    assert!(n < 2 * max, "no convergence for {ratio} {trigger} {max}");
                }
                assert!(v.l0.len() < trigger);
            }
        }
    }
}
