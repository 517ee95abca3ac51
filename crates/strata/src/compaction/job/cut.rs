//! Where a compaction output ends before `split_at`: the rules on the files of the level
//! below the output level (the grandparents). The job asks at each new user key, the only
//! place an output may end.
//!
//! - [`CutRule::Overlap`] (LevelDB's `ShouldStopBefore`; simple and course leveled jobs):
//!   end the output once the grandparent files it has passed entirely hold more than `limit`
//!   bytes, so one later compaction of the output stays bounded.
//! - [`CutRule::Aligned`] (RocksDB's `level_compaction_dynamic_file_size`; production leveled
//!   jobs): only where the key crosses a grandparent file boundary (its first or last key),
//!   end the output when (1) its bytes plus the grandparent bytes it overlaps exceed
//!   `max_compaction_bytes`; or (2) the step to this key crossed a whole grandparent file of
//!   more than `target / 8` bytes (two boundaries from a gap into a gap, three otherwise),
//!   which the output would overlap for nothing; or (3) it holds at least 50% of `target`,
//!   plus 5% per boundary crossed since it began, at most 90%. Outputs then tend to end where
//!   grandparent files end, so when one is later compacted down it meets whole files below
//!   and not the edges of two more.
//!
//! Invariants: `files` is one sorted level (sorted by key, user-key ranges disjoint); the keys
//! asked about strictly increase; `index` only moves forward; in the aligned rule, `in_gap`
//! is true exactly when the last key lies in no file (then `files[index]` is the next file,
//! if any), and `overlapped` is the bytes of the files meeting [first key of the output,
//! last key].

use std::sync::Arc;

use crate::version::FileMeta;

/// Which grandparent rule a job follows (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CutRule {
    /// End an output once the grandparent files it has passed hold more than `limit` bytes.
    Overlap { limit: u64 },
    /// End outputs at grandparent file boundaries (RocksDB's dynamic file size).
    Aligned {
        /// The target output size (`target_sst_size`).
        target: u64,
        /// Output bytes + overlapped grandparent bytes above which an output ends.
        max_compaction_bytes: u64,
    },
}

/// The state of one job's walk over its grandparent files.
pub(crate) struct GrandparentCut<'a> {
    files: &'a [Arc<FileMeta>],
    rule: CutRule,
    index: usize,
    seen_key: bool,
    /// Overlap rule: bytes of the files passed since the output began. Aligned rule: bytes
    /// of the files meeting the output's key range so far.
    overlapped: u64,
    /// Aligned rule: the last key lies in no grandparent file.
    in_gap: bool,
    /// Aligned rule: grandparent boundaries crossed since the output began.
    switched: u64,
}

impl<'a> GrandparentCut<'a> {
    pub(crate) fn new(files: &'a [Arc<FileMeta>], rule: CutRule) -> Self {
        debug_assert!(
            files
                .windows(2)
                .all(|w| w[0].largest_user_key() < w[1].smallest_user_key()),
            "grandparents form one sorted level"
        );
        GrandparentCut {
            files,
            rule,
            index: 0,
            seen_key: false,
            overlapped: 0,
            in_gap: true,
            switched: 0,
        }
    }

    /// Called at each new user key with the size of the open output (`None`: none is open):
    /// whether the open output should end before this key.
    pub(crate) fn should_cut_before(&mut self, user_key: &[u8], current: Option<u64>) -> bool {
        match self.rule {
            CutRule::Overlap { limit } => self.overlap_step(user_key) > limit,
            CutRule::Aligned {
                target,
                max_compaction_bytes,
            } => {
                let previous = self.overlapped;
                let crossed = self.aligned_step(user_key);
                let Some(size) = current else {
                    return false;
                };
                if crossed == 0 {
                    return false;
                }
                if self.overlapped.saturating_add(size) > max_compaction_bytes {
                    return true;
                }
                let whole_file = if self.in_gap { 2 } else { 3 };
                if crossed >= whole_file && self.overlapped - previous > target / 8 {
                    return true;
                }
                let percent = 50 + (self.switched * 5).min(40);
                size >= target.div_ceil(100).saturating_mul(percent)
            }
        }
    }

    /// A new output starts at the key last asked about.
    pub(crate) fn reset(&mut self) {
        self.switched = 0;
        self.overlapped = match self.rule {
            CutRule::Overlap { .. } => 0,
            CutRule::Aligned { .. } => self.current_file_bytes(),
        };
    }

    /// Overlap rule: the bytes of the files passed since the output began.
    fn overlap_step(&mut self, user_key: &[u8]) -> u64 {
        while let Some(f) = self.files.get(self.index) {
            if f.largest_user_key() >= user_key {
                break;
            }
            if self.seen_key {
                self.overlapped = self.overlapped.saturating_add(f.size);
            }
            self.index += 1;
        }
        self.seen_key = true;
        self.overlapped
    }

    /// Aligned rule: moves to `user_key`; returns the boundaries crossed since the last key.
    fn aligned_step(&mut self, user_key: &[u8]) -> u64 {
        let mut crossed = 0;
        while let Some(f) = self.files.get(self.index) {
            if self.in_gap {
                if user_key < f.smallest_user_key() {
                    break;
                }
                if self.seen_key {
                    crossed += 1;
                    self.switched += 1;
                    self.overlapped = self.overlapped.saturating_add(f.size);
                }
                self.in_gap = false;
            } else {
                if user_key <= f.largest_user_key() {
                    break;
                }
                if self.seen_key {
                    crossed += 1;
                    self.switched += 1;
                }
                self.in_gap = true;
                self.index += 1;
            }
        }
        if !self.seen_key {
            // The first key may lie inside a file: the output overlaps it already.
            self.overlapped = self.current_file_bytes();
        }
        self.seen_key = true;
        crossed
    }

    /// The size of the file holding the last key (0 in a gap).
    fn current_file_bytes(&self) -> u64 {
        if self.in_gap {
            return 0;
        }
        self.files.get(self.index).map_or(0, |f| f.size)
    }
}

/// Subcompaction bounds moved to grandparent boundaries for the aligned rule: each bound
/// becomes the first key of the first grandparent file starting at or after it, so a piece
/// ends where a grandparent file begins and its last output stays aligned. Bounds that
/// would fall after `last` (the inputs' largest user key) or repeat are dropped.
pub(crate) fn aligned_bounds(
    bounds: Vec<Vec<u8>>,
    grandparents: &[Arc<FileMeta>],
    last: &[u8],
) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(bounds.len());
    for bound in bounds {
        let at = grandparents.partition_point(|g| g.smallest_user_key() < bound.as_slice());
        let Some(g) = grandparents.get(at) else {
            break;
        };
        let key = g.smallest_user_key();
        if key > last {
            break;
        }
        if out.last().is_none_or(|b| b.as_slice() < key) {
            out.push(key.to_vec());
        }
    }
    debug_assert!(out.windows(2).all(|w| w[0] < w[1]));
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
