//! Compaction: what to compact (pickers, pure functions of a `Version`) and doing it (the job
//! and its installation).
//!
//! A [`Task`] names its input files by level; running it merges them (one cursor per L0 file,
//! one concatenating cursor per sorted run), writes outputs through [`job::write_outputs`],
//! then installs: under the `versions` lock, check the inputs are all still live, append the
//! edit to the MANIFEST (durable), publish the new version, and queue the inputs for deletion
//! once no reader holds them.

pub(crate) mod install;
pub(crate) mod job;

use std::sync::Arc;

use crate::options::{CompactionOptions, Options};
use crate::version::{FileMeta, Version};

/// One compaction: inputs per level, where the outputs go, and whether it is a bottom job.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    /// (level, files) of each input run, newest first; level 0 files are each their own run.
    pub inputs: Vec<(u32, Vec<Arc<FileMeta>>)>,
    /// The level the outputs are added to.
    pub output_level: u32,
    /// No older data for the inputs' keys lies below the output.
    pub bottom: bool,
    /// Why it was picked (for logs).
    pub reason: String,
}

impl Task {
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
pub(crate) fn full_compaction_task(version: &Version, opts: &Options) -> Option<Task> {
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
    })
}

/// The next background task under the configured strategy, skipping files already being
/// compacted. (Strategies land with the compaction issue; until then only manual full
/// compactions move data below L0.)
pub(crate) fn pick(_version: &Version, opts: &Options, _busy: &[u64]) -> Option<Task> {
    match &opts.compaction {
        CompactionOptions::None
        | CompactionOptions::Simple(_)
        | CompactionOptions::Leveled(_)
        | CompactionOptions::Tiered(_) => None,
    }
}
