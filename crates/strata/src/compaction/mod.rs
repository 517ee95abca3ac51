//! Compaction: what to compact (pickers, pure functions of a `Version`) and doing it (the job
//! and its installation).
//!
//! Policy (pure, no I/O, any thread; the simulator runs the same code through
//! `crate::policy`): [`pick`] dispatches on `Options::compaction` to `simple`, `tiered` or
//! leveled — `production` (the default: RocksDB-style scores, intra-L0, smallest overlap
//! ratio) or, with `Options::leveled_picker = Course`, `leveled` (SPEC §5; with nothing busy,
//! exactly the course's rules) — and [`apply`] installs a
//! task's outputs into a version by that strategy's rules; `picker` holds what they share and
//! [`is_trivial_move`].
//!
//! A [`Task`] names its input files by level; running it merges them (one cursor per L0 file,
//! one concatenating cursor per sorted run), writes outputs through [`job::write_outputs`],
//! then installs: under the `versions` lock, check the inputs are all still live, append the
//! edit to the MANIFEST (durable), publish the new version, and queue the inputs for deletion
//! once no reader holds them.

pub(crate) mod install;
pub(crate) mod job;
mod leveled;
mod picker;
mod production;
mod run;
mod simple;
mod tiered;

use std::sync::Arc;

use crate::options::{CompactionOptions, LeveledPicker, Options};
use crate::version::{FileMeta, Version};

pub use picker::{ApplyError, apply, edit_for, is_trivial_move};

/// One compaction: inputs per level, where the outputs go, and whether it is a bottom job.
///
/// Built only by the pickers ([`pick`]) and [`full_compaction_task`]; [`apply`] installs its
/// result into a version.
#[derive(Debug, Clone)]
pub struct Task {
    /// (level, files) of each input run, newest first; level 0 files are each their own run.
    /// Tiered: (tier id, files) per captured tier, newest first (the exact u64 ids are in
    /// [`TaskKind::Tiered`]; the u32 saturates at `u32::MAX`).
    pub inputs: Vec<(u32, Vec<Arc<FileMeta>>)>,
    /// The level the outputs are added to. Tiered: the id of the oldest captured tier, whose
    /// place the output tier takes (the new tier's id is the first output's number).
    pub output_level: u32,
    /// No older data for the inputs' keys lies below the output.
    pub bottom: bool,
    /// Why it was picked (for logs; the simulator prints it). May span several lines.
    pub reason: String,
    /// Which strategy made the task: [`apply`] follows that strategy's rules.
    pub kind: TaskKind,
}

/// The strategy a [`Task`] belongs to, which decides how [`apply`] installs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskKind {
    /// Simple leveled: the whole upper level (or the captured L0 files) + the whole lower level.
    Simple,
    /// Leveled: some files of the upper level + the overlapping files of the lower level.
    Leveled,
    /// Tiered: the captured tiers, newest first, by exact id.
    Tiered {
        /// Ids of the captured tiers, newest first (parallel to `Task::inputs`).
        tiers: Vec<u64>,
    },
    /// A manual full compaction into one run at `output_level`.
    Full,
}

impl Task {
    /// A task of `kind`.
    pub(crate) fn new(
        inputs: Vec<(u32, Vec<Arc<FileMeta>>)>,
        output_level: u32,
        bottom: bool,
        reason: String,
        kind: TaskKind,
    ) -> Task {
        Task {
            inputs,
            output_level,
            bottom,
            reason,
            kind,
        }
    }

    /// Every input file number.
    pub(crate) fn input_numbers(&self) -> impl Iterator<Item = u64> + '_ {
        self.inputs
            .iter()
            .flat_map(|(_, files)| files.iter().map(|f| f.number))
    }

    /// Bytes of all inputs.
    pub(crate) fn input_bytes(&self) -> u64 {
        self.inputs
            .iter()
            .flat_map(|(_, fs)| fs.iter())
            .map(|f| f.size)
            .sum()
    }

    /// The upper level of a simple or leveled task (`None` for tiered and full tasks) and its
    /// input files, newest first for L0.
    pub fn upper(&self) -> Option<(u32, Vec<Arc<FileMeta>>)> {
        if !matches!(self.kind, TaskKind::Simple | TaskKind::Leveled) {
            return None;
        }
        let mut level = None;
        let mut files = Vec::new();
        for (l, fs) in &self.inputs {
            if *l != self.output_level {
                level = Some(*l);
                files.extend(fs.iter().cloned());
            }
        }
        level.map(|l| (l, files))
    }

    /// The input files already in the output level (simple and leveled; empty otherwise).
    pub fn lower(&self) -> Vec<Arc<FileMeta>> {
        if !matches!(self.kind, TaskKind::Simple | TaskKind::Leveled) {
            return Vec::new();
        }
        self.inputs
            .iter()
            .filter(|(l, _)| *l == self.output_level)
            .flat_map(|(_, fs)| fs.iter().cloned())
            .collect()
    }
}

/// The level a full compaction writes to: the deepest level (`None`: L1).
pub(crate) fn bottom_level(opts: &Options) -> u32 {
    match &opts.compaction {
        CompactionOptions::Simple(o) => o.max_levels as u32,
        CompactionOptions::Leveled(o) => o.max_levels as u32,
        CompactionOptions::Tiered(_) | CompactionOptions::None => 1,
    }
}

/// A task compacting every SST of `version` into one run at the bottom (`Db::compact`).
///
/// Tiered: a [`TaskKind::Tiered`] task over every tier, so [`apply`] leaves one tier (tiers
/// flushed meanwhile stay in front of it).
pub(crate) fn full_compaction_task(version: &Version, opts: &Options) -> Option<Task> {
    if let CompactionOptions::Tiered(_) = &opts.compaction
        && version.l0.is_empty()
    {
        return tiered::full_task(version);
    }
    let mut inputs: Vec<(u32, Vec<Arc<FileMeta>>)> = Vec::new();
    for f in &version.l0 {
        inputs.push((0, vec![Arc::clone(f)]));
    }
    for run in &version.levels {
        if !run.files.is_empty() {
            inputs.push((run.id as u32, run.files.clone()));
        }
    }
    if inputs.is_empty() {
        return None;
    }
    Some(Task {
        inputs,
        output_level: bottom_level(opts),
        bottom: true,
        reason: "full compaction".to_string(),
        kind: TaskKind::Full,
    })
}

/// Bytes compaction still has to rewrite before the tree meets its shape (leveled: see
/// `production::pending_compaction_bytes`; other strategies: 0, their stalls count files).
pub(crate) fn pending_compaction_bytes(version: &Version, opts: &Options) -> u64 {
    match &opts.compaction {
        CompactionOptions::Leveled(o) => production::pending_compaction_bytes(version, o),
        _ => 0,
    }
}

/// The next background task under the configured strategy, skipping tasks that would take a
/// file in `busy` (files already being compacted). Pure: no I/O, same answer for the same
/// arguments. With `busy` empty it follows SPEC §5 exactly (the course's rules); with files
/// busy it may return a later rule's task that avoids them, or none.
pub fn pick(version: &Version, opts: &Options, busy: &[u64]) -> Option<Task> {
    match &opts.compaction {
        CompactionOptions::None => None,
        CompactionOptions::Simple(o) => simple::pick(version, o, busy),
        CompactionOptions::Leveled(o) => match opts.leveled_picker {
            LeveledPicker::Production => production::pick_limited(
                version,
                o,
                (opts.target_sst_size as u64).saturating_mul(production::MAX_COMPACTION_FILES),
                busy,
            ),
            LeveledPicker::Course => leveled::pick(version, o, busy),
        },
        CompactionOptions::Tiered(o) => tiered::pick(version, o, busy),
    }
}
