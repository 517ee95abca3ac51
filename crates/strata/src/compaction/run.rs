//! Running one compaction task: a trivial move (an edit only), or a merge of the inputs
//! through the job, split into key-range subcompactions that run on parallel threads when
//! the job is big, then the install (`install.rs`).
//!
//! Called by a compaction thread (or `Db::compact`) that has marked the task's inputs as
//! compacting; takes no lock while merging. Subcompactions: the inputs' key space is cut at
//! user keys (file boundaries), so every version of a key lands in exactly one piece; piece i
//! covers [boundary i-1, boundary i); a job whose outputs follow the aligned grandparent
//! rule (`job/cut.rs`) moves its boundaries to grandparent file starts. Each piece has its
//! own iterators and writes its own outputs; the outputs of all pieces, in piece order, are
//! one sorted run and are installed in one edit. If any piece fails, every piece's outputs are deleted and nothing changes.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::compaction::job::cut::{CutRule, aligned_bounds};
use crate::compaction::job::{JobSpec, write_outputs};
use crate::compaction::picker::{level_files, overlapping, user_key_range};
use crate::compaction::{Task, TaskKind, is_trivial_move, production};
use crate::db::state::DbInner;
use crate::error::Result;
use crate::filename;
use crate::iter::concat::ConcatIterator;
use crate::iter::merge::MergeIterator;
use crate::iter::{BoxedIterator, InternalIterator};
use crate::key::{self, SeqNum};
use crate::options::LeveledPicker;
use crate::version::FileMeta;

/// Under the overlap rule (simple and course leveled jobs), an output overlapping more than
/// this many target-sized files of the level below it is cut (LevelDB uses 10).
const GRANDPARENT_OVERLAP_FILES: u64 = 10;

/// A job is split only if each piece gets at least this many target-sized files of input.
const MIN_PIECE_FILES: u64 = 2;

impl DbInner {
    /// Runs `task` and installs it. The caller has marked its inputs as compacting.
    pub(crate) fn run_compaction(self: &Arc<Self>, task: &Task) -> Result<()> {
        let version = Arc::clone(&self.current().version);
        let moves = matches!(task.kind, TaskKind::Simple | TaskKind::Leveled)
            && task.output_level != 0
            && is_trivial_move(task, &version);
        if moves {
            return self.run_trivial_move(task);
        }
        let watermark = self.read_points.watermark(&self.last_visible);
        let grandparents = self.grandparents(task, &version);
        // Holding the version would keep its files (the inputs) from being deleted after
        // the install.
        drop(version);
        let intra_l0 = task.output_level == 0;
        let split_at = if intra_l0 {
            u64::MAX // one L0 file keeps L0's newest-first order exact
        } else {
            self.opts.target_sst_size as u64
        };
        let mut bounds = self.subcompaction_bounds(task);
        if matches!(self.cut_rule(task), CutRule::Aligned { .. })
            && !grandparents.is_empty()
            && let Some((_, last)) =
                user_key_range(task.inputs.iter().flat_map(|(_, fs)| fs.iter()))
        {
            bounds = aligned_bounds(bounds, &grandparents, last);
        }
        let pieces = bounds.len() + 1;
        let outputs = if pieces == 1 {
            let spec = self.spec(task, watermark, split_at, None, grandparents);
            self.run_piece(task, None, &spec)?
        } else {
            self.run_pieces(task, &bounds, watermark, split_at, &grandparents)?
        };
        let written: u64 = outputs.iter().map(|f| f.size).sum();
        let numbers: Vec<u64> = outputs.iter().map(|f| f.number).collect();
        if let Err(e) = self.install_compaction(task, outputs) {
            // After a failed MANIFEST write the edit may still be on disk (only its fsync
            // failed): the outputs must stay. Recovery deletes them if the edit is not there.
            if !self.is_poisoned() {
                self.delete_outputs(&numbers);
            }
            return Err(e);
        }
        self.count_compaction(task, written);
        if intra_l0 {
            self.stats
                .intra_l0_compactions
                .fetch_add(1, Ordering::Relaxed);
        }
        if pieces > 1 {
            self.stats
                .subcompactions
                .fetch_add(pieces as u64, Ordering::Relaxed);
        }
        tracing::debug!(reason = %task.reason, written, pieces, "compaction installed");
        Ok(())
    }

    /// Relinks the task's files into the output level: one edit, no data written.
    fn run_trivial_move(&self, task: &Task) -> Result<()> {
        let moved: Vec<FileMeta> = task
            .inputs
            .iter()
            .flat_map(|(_, files)| files.iter().map(|f| FileMeta::clone(f)))
            .collect();
        let bytes: u64 = moved.iter().map(|f| f.size).sum();
        let count = moved.len() as u64;
        self.install_compaction(task, moved)?;
        self.stats.trivial_moves.fetch_add(count, Ordering::Relaxed);
        self.stats
            .trivial_move_bytes
            .fetch_add(bytes, Ordering::Relaxed);
        tracing::debug!(reason = %task.reason, count, bytes, "trivial move installed");
        Ok(())
    }

    fn count_compaction(&self, task: &Task, written: u64) {
        self.stats.compactions.fetch_add(1, Ordering::Relaxed);
        self.stats
            .compaction_bytes_read
            .fetch_add(task.input_bytes(), Ordering::Relaxed);
        self.stats
            .compaction_bytes_written
            .fetch_add(written, Ordering::Relaxed);
        let inputs: Vec<(u64, u64)> = task
            .inputs
            .iter()
            .map(|(level, files)| (u64::from(*level), files.iter().map(|f| f.size).sum()))
            .collect();
        let output = match &task.kind {
            TaskKind::Tiered { tiers } => tiers.last().copied().unwrap_or(0),
            _ => u64::from(task.output_level),
        };
        self.stats.record_compaction(&inputs, output, written);
    }

    fn spec(
        &self,
        task: &Task,
        watermark: SeqNum,
        split_at: u64,
        end: Option<Vec<u8>>,
        grandparents: Vec<Arc<FileMeta>>,
    ) -> JobSpec {
        JobSpec {
            watermark,
            bottom: task.bottom,
            split_at,
            cancellable: true,
            end,
            grandparents,
            cut: self.cut_rule(task),
        }
    }

    /// Production leveled jobs cut their outputs at grandparent boundaries (RocksDB's
    /// dynamic file size, with the picker's `max_compaction_bytes`); the others keep the
    /// overlap bound.
    fn cut_rule(&self, task: &Task) -> CutRule {
        let target = self.opts.target_sst_size as u64;
        if task.kind == TaskKind::Leveled && self.opts.leveled_picker == LeveledPicker::Production {
            CutRule::Aligned {
                target,
                max_compaction_bytes: target.saturating_mul(production::MAX_COMPACTION_FILES),
            }
        } else {
            CutRule::Overlap {
                limit: target.saturating_mul(GRANDPARENT_OVERLAP_FILES),
            }
        }
    }

    /// The files of the level below a leveled or simple task's output that meet its inputs'
    /// key range (empty for other tasks, intra-L0 and the last level).
    fn grandparents(&self, task: &Task, version: &crate::version::Version) -> Vec<Arc<FileMeta>> {
        if !matches!(task.kind, TaskKind::Simple | TaskKind::Leveled) || task.output_level == 0 {
            return Vec::new();
        }
        let Some((lo, hi)) = user_key_range(task.inputs.iter().flat_map(|(_, fs)| fs.iter()))
        else {
            return Vec::new();
        };
        overlapping(
            level_files(version, u64::from(task.output_level) + 1),
            lo,
            hi,
        )
    }

    /// User keys cutting a big task into pieces of about equal input size (empty: one
    /// piece). Candidates are the inputs' file boundaries (smallest user keys).
    fn subcompaction_bounds(&self, task: &Task) -> Vec<Vec<u8>> {
        let wanted = self.opts.max_subcompactions;
        let target = (self.opts.target_sst_size as u64).max(1);
        if wanted <= 1 || task.output_level == 0 || matches!(task.kind, TaskKind::Tiered { .. }) {
            return Vec::new();
        }
        let total = task.input_bytes();
        let pieces = (total / (target * MIN_PIECE_FILES)).min(wanted as u64);
        if pieces <= 1 {
            return Vec::new();
        }
        // (smallest user key, size) of every input file, in key order.
        let mut marks: Vec<(&[u8], u64)> = task
            .inputs
            .iter()
            .flat_map(|(_, fs)| fs.iter())
            .map(|f| (f.smallest_user_key(), f.size))
            .collect();
        marks.sort_unstable();
        let Some(&(first, _)) = marks.first() else {
            return Vec::new();
        };
        let step = total / pieces;
        let mut bounds: Vec<Vec<u8>> = Vec::new();
        let mut acc = 0u64;
        for &(key, size) in &marks {
            if acc >= step * (bounds.len() as u64 + 1)
                && key > first
                && bounds.last().is_none_or(|b| b.as_slice() < key)
            {
                bounds.push(key.to_vec());
                if bounds.len() as u64 + 1 == pieces {
                    break;
                }
            }
            acc += size;
        }
        bounds
    }

    /// Runs the pieces cut at `bounds` on parallel threads; their outputs in key order.
    fn run_pieces(
        self: &Arc<Self>,
        task: &Task,
        bounds: &[Vec<u8>],
        watermark: SeqNum,
        split_at: u64,
        grandparents: &[Arc<FileMeta>],
    ) -> Result<Vec<FileMeta>> {
        // (start user key, end user key) of each piece.
        type Range<'a> = (Option<&'a [u8]>, Option<Vec<u8>>);
        let ranges: Vec<Range<'_>> = (0..=bounds.len())
            .map(|i| {
                let start = i
                    .checked_sub(1)
                    .and_then(|j| bounds.get(j))
                    .map(Vec::as_slice);
                (start, bounds.get(i).cloned())
            })
            .collect();
        let results: Vec<Result<Vec<FileMeta>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = ranges
                .into_iter()
                .map(|(start, end)| {
                    let spec = self.spec(task, watermark, split_at, end, grandparents.to_vec());
                    scope.spawn(move || self.run_piece(task, start, &spec))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(crate::error::Error::InvalidArgument(
                            "a subcompaction thread panicked".to_string(),
                        ))
                    })
                })
                .collect()
        });
        let mut outputs = Vec::new();
        let mut failure = None;
        for result in results {
            match result {
                Ok(files) => outputs.extend(files),
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        if let Some(e) = failure {
            let numbers: Vec<u64> = outputs.iter().map(|f| f.number).collect();
            self.delete_outputs(&numbers);
            return Err(e);
        }
        debug_assert!(
            outputs
                .windows(2)
                .all(|w| w[0].largest_user_key() < w[1].smallest_user_key()),
            "subcompaction outputs overlap"
        );
        Ok(outputs)
    }

    /// Merges the task's inputs from user key `start` (or the beginning) through the job.
    fn run_piece(
        self: &Arc<Self>,
        task: &Task,
        start: Option<&[u8]>,
        spec: &JobSpec,
    ) -> Result<Vec<FileMeta>> {
        let mut merged = self.input_iterator(task)?;
        match start {
            Some(user_key) => merged.seek(&key::make_internal_key(
                user_key,
                key::MAX_SEQUENCE,
                key::KIND_SEEK,
            ))?,
            None => merged.seek_to_first()?,
        }
        write_outputs(self, &mut merged, spec)
    }

    /// One cursor per L0 file and one concatenating cursor per sorted run, merged.
    fn input_iterator(self: &Arc<Self>, task: &Task) -> Result<MergeIterator> {
        let mut children: Vec<BoxedIterator> = Vec::new();
        for (level, files) in &task.inputs {
            if *level == 0 {
                for f in files {
                    let t = self.table_cache.get(f.number)?;
                    children.push(Box::new(t.iter_no_cache()));
                }
            } else {
                let inner = Arc::clone(self);
                let opener = Arc::new(move |f: &FileMeta| {
                    let t = inner.table_cache.get(f.number)?;
                    Ok(Box::new(t.iter_no_cache()) as BoxedIterator)
                });
                children.push(Box::new(ConcatIterator::new(files.clone(), opener)));
            }
        }
        Ok(MergeIterator::new(children))
    }

    fn delete_outputs(&self, numbers: &[u64]) {
        for &n in numbers {
            self.table_cache.evict(n);
            let _ = self.fs.remove(&filename::table_path(&self.dir, n));
        }
    }
}
