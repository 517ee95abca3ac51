//! `strata simulate simple|tiered|leveled` (SPEC §9.2): runs the engine's own compaction
//! pickers and `apply` (`strata::policy`) on a file-less mock tree and prints what happens,
//! line for line as the mini-lsm course's compaction simulator (leveled: given the same
//! `rand` 0.10 `StdRng` stream).
//!
//! Each iteration flushes one file, then runs the picker until it returns no task, printing
//! every task and the tree after it; then the write/space/read amplification so far. Output
//! goes to any `Write` (stdout for the command, a buffer for the golden tests); a failure
//! (`compaction does not converge?`, an invalid leveled arrangement) is an error after the
//! lines printed so far. Single-threaded.

mod mock;
mod svg;
#[cfg(test)]
mod tests;

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use rand10::rngs::StdRng;
use rand10::{RngExt, SeedableRng};
use strata::policy::{
    CompactionOptions, FileMeta, LeveledOptions, LeveledPicker, Options, SimpleOptions, Task,
    TaskKind, TieredOptions, apply, is_trivial_move, pick,
};

use mock::{Mock, key_range};

/// Arguments of `strata simulate`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// The compaction strategy to simulate.
    #[command(subcommand)]
    pub strategy: Strategy,
}

/// The strategies `strata simulate` knows.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Strategy {
    /// Simple leveled compaction (sizes in file counts).
    Simple(SimpleArgs),
    /// Tiered (universal) compaction (sizes in file counts).
    Tiered(TieredArgs),
    /// Leveled compaction with dynamic level targets (sizes in bytes, random key ranges).
    Leveled(LeveledArgs),
}

/// Flags every strategy takes.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Print SST ids instead of the file each SST's data came from.
    #[arg(long)]
    pub dump_real_id: bool,
    /// Print only the number of files per level (`Levels: …`) instead of the files.
    #[arg(long)]
    pub size_only: bool,
    /// Number of flushes to simulate.
    #[arg(long, default_value_t = 50)]
    pub iterations: usize,
    /// Relink upper files instead of rewriting them when they overlap nothing below.
    #[arg(long)]
    pub trivial_move: bool,
    /// Also draw files per level by iteration and the write amplification to this SVG file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// `strata simulate simple`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimpleArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: CommonArgs,
    /// Compact L0 into L1 when L0 holds this many files.
    #[arg(long, default_value_t = 2)]
    pub level0_file_num_compaction_trigger: usize,
    /// Number of levels below L0.
    #[arg(long, default_value_t = 3)]
    pub max_levels: usize,
    /// Compact L(i) into L(i+1) when |L(i+1)| / |L(i)| is below this percentage.
    #[arg(long, default_value_t = 200)]
    pub size_ratio_percent: usize,
}

/// `strata simulate tiered`.
#[derive(Debug, Clone, clap::Args)]
pub struct TieredArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: CommonArgs,
    /// No compaction while there are fewer tiers than this.
    #[arg(long, default_value_t = 8)]
    pub num_tiers: usize,
    /// Space-amplification trigger, in percent.
    #[arg(long, default_value_t = 200)]
    pub max_size_amplification_percent: usize,
    /// Size-ratio trigger, in percent.
    #[arg(long, default_value_t = 1)]
    pub size_ratio: usize,
    /// Fewest tiers a size-ratio compaction merges.
    #[arg(long, default_value_t = 2)]
    pub min_merge_width: usize,
    /// Most tiers a sorted-run reduction merges (default: unbounded).
    #[arg(long)]
    pub max_merge_width: Option<usize>,
}

/// `strata simulate leveled`.
#[derive(Debug, Clone, clap::Args)]
pub struct LeveledArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: CommonArgs,
    /// Compact L0 into the base level when L0 holds this many files.
    #[arg(long, default_value_t = 2)]
    pub level0_file_num_compaction_trigger: usize,
    /// Each level's target is this many times the one above.
    #[arg(long, default_value_t = 2)]
    pub level_size_multiplier: usize,
    /// Number of levels below L0.
    #[arg(long, default_value_t = 4)]
    pub max_levels: usize,
    /// Target size of the base level, in MiB.
    #[arg(long, default_value_t = 128)]
    pub base_level_size_mb: usize,
    /// Size of every mock SST, in MiB.
    #[arg(long, default_value_t = 32)]
    pub sst_size_mb: usize,
    /// Seed of the random key ranges (`StdRng::seed_from_u64`).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Which leveled picker: the course's rule, or the engine's default production picker
    /// (RocksDB-style scores, smallest overlap ratio; it always relinks trivial moves).
    #[arg(long, value_enum, default_value_t = LeveledStrategy::Course)]
    pub strategy: LeveledStrategy,
}

/// `strata simulate leveled --strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LeveledStrategy {
    /// The course's leveled rule, line for line as its simulator.
    Course,
    /// Strata's default leveled picker (`LeveledPicker::Production`).
    Production,
}

/// Runs `strata simulate`, printing to stdout.
///
/// # Errors
/// Invalid options, a policy that does not converge, an invalid leveled arrangement, or an
/// I/O error (a closed stdout pipe ends the run quietly).
pub fn run(args: SimulateArgs) -> Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = simulate(&args, &mut out).and_then(|()| Ok(out.flush()?));
    // Lines printed before a failure still reach the terminal.
    let _ = out.flush();
    match result {
        Err(e)
            if e.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// What differs between the strategies during a run.
struct Setup {
    opts: Options,
    common: CommonArgs,
    /// Most tasks one flush may cause before the run fails.
    bound: usize,
    /// Levels created up front (0 for tiered).
    levels: usize,
    file_size: u64,
    /// Leveled: the key-range generator.
    rng: Option<(u64, StdRng)>,
    /// One line naming the strategy and its parameters (the SVG's title).
    title: String,
}

fn setup(args: &SimulateArgs) -> Setup {
    match &args.strategy {
        Strategy::Simple(a) => Setup {
            opts: with(CompactionOptions::Simple(SimpleOptions {
                size_ratio_percent: a.size_ratio_percent,
                level0_file_num_compaction_trigger: a.level0_file_num_compaction_trigger,
                max_levels: a.max_levels,
            })),
            common: a.common.clone(),
            bound: a.max_levels.saturating_mul(2),
            levels: a.max_levels,
            file_size: 1,
            rng: None,
            title: format!(
                "simple: L0 trigger {}, {} levels, size ratio {}%",
                a.level0_file_num_compaction_trigger, a.max_levels, a.size_ratio_percent
            ),
        },
        Strategy::Tiered(a) => Setup {
            opts: with(CompactionOptions::Tiered(TieredOptions {
                num_tiers: a.num_tiers,
                max_size_amplification_percent: a.max_size_amplification_percent,
                size_ratio: a.size_ratio,
                min_merge_width: a.min_merge_width,
                max_merge_width: a.max_merge_width,
            })),
            common: a.common.clone(),
            bound: a.num_tiers.saturating_mul(3),
            levels: 0,
            file_size: 1,
            rng: None,
            title: format!(
                "tiered: {} tiers, space amplification {}%, size ratio {}%, merge width {}..{}",
                a.num_tiers,
                a.max_size_amplification_percent,
                a.size_ratio,
                a.min_merge_width,
                a.max_merge_width.map_or("∞".to_string(), |w| w.to_string())
            ),
        },
        Strategy::Leveled(a) => Setup {
            opts: Options {
                leveled_picker: match a.strategy {
                    LeveledStrategy::Course => LeveledPicker::Course,
                    LeveledStrategy::Production => LeveledPicker::Production,
                },
                ..with(CompactionOptions::Leveled(LeveledOptions {
                    level_size_multiplier: a.level_size_multiplier,
                    level0_file_num_compaction_trigger: a.level0_file_num_compaction_trigger,
                    max_levels: a.max_levels,
                    base_level_size_mb: a.base_level_size_mb,
                }))
            },
            common: CommonArgs {
                trivial_move: a.common.trivial_move || a.strategy == LeveledStrategy::Production,
                ..a.common.clone()
            },
            // The production picker moves one file per task: allow more tasks per flush.
            bound: a
                .level0_file_num_compaction_trigger
                .saturating_mul(a.max_levels)
                .saturating_mul(if a.strategy == LeveledStrategy::Production {
                    16
                } else {
                    2
                }),
            levels: a.max_levels,
            file_size: (a.sst_size_mb as u64).saturating_mul(1 << 20),
            rng: Some((a.seed, StdRng::seed_from_u64(a.seed))),
            title: format!(
                "leveled ({:?}): L0 trigger {}, {} levels, multiplier {}, base {} MiB, SST {} MiB, \
                 seed {}",
                a.strategy,
                a.level0_file_num_compaction_trigger,
                a.max_levels,
                a.level_size_multiplier,
                a.base_level_size_mb,
                a.sst_size_mb,
                a.seed
            ),
        },
    }
}

fn with(compaction: CompactionOptions) -> Options {
    Options {
        compaction,
        ..Options::default()
    }
}

/// Runs the simulation described by `args`, printing to `out`.
///
/// # Errors
/// As [`run`].
pub fn simulate(args: &SimulateArgs, out: &mut dyn Write) -> Result<()> {
    drive(setup(args), out)
}

fn drive(mut s: Setup, out: &mut dyn Write) -> Result<()> {
    s.opts.validate().context("invalid simulator options")?;
    let tiered = matches!(s.opts.compaction, CompactionOptions::Tiered(_));
    let leveled = s.rng.is_some();
    let mut mock = Mock::new(s.levels, s.file_size);
    let mut chart = svg::Chart::new(tiered);
    if let Some((seed, _)) = &s.rng {
        writeln!(out, "Seed: {seed}")?;
    }
    for i in 0..s.common.iterations {
        writeln!(out, "=== Iteration {i} ===")?;
        let id = mock.flush_id();
        let (lo, hi) = match &mut s.rng {
            Some((_, rng)) => {
                let begin: u64 = rng.random_range(0..(1u64 << 31));
                (begin, begin + rng.random_range((1u64 << 10)..(1u64 << 31)))
            }
            None => (0, u64::MAX),
        };
        if tiered {
            mock.flush_to_tier(id, lo, hi);
        } else {
            mock.flush_to_l0(id, lo, hi);
        }
        writeln!(out, "--- After Flush ---")?;
        dump(&mock, &s.common, out, !tiered, leveled)?;
        if tiered && !s.common.size_only {
            writeln!(out, "--- Compaction Task ---")?;
        }
        let mut tasks = 0;
        loop {
            if !s.common.size_only {
                writeln!(out, "--- Compaction Task ---")?;
            }
            let Some(task) = pick(&mock.version, &s.opts, &[]) else {
                break;
            };
            writeln!(out, "{}", task.reason)?;
            run_task(&mut mock, &task, &s.common, leveled, out)?;
            writeln!(out, "--- After Compaction ---")?;
            dump(&mock, &s.common, out, !tiered, leveled)?;
            tasks += 1;
            if tasks >= s.bound {
                bail!("compaction does not converge?");
            }
        }
        if tasks == 0 {
            writeln!(out, "no compaction triggered")?;
        } else {
            writeln!(out, "{tasks} compaction triggered in this iteration")?;
        }
        mock.note_space();
        statistics(&mock, out)?;
        chart.record(&mock);
    }
    if let Some(path) = &s.common.svg {
        std::fs::write(path, chart.render(&s.title))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn dump(
    mock: &Mock,
    common: &CommonArgs,
    out: &mut dyn Write,
    show_l0: bool,
    leveled: bool,
) -> Result<()> {
    if common.size_only {
        mock.dump_size_only(out)?;
    } else {
        mock.dump(out, show_l0, common.dump_real_id)?;
    }
    if leveled {
        mock.check_keys()?;
    }
    Ok(())
}

fn statistics(mock: &Mock, out: &mut dyn Write) -> Result<()> {
    let (w, f, m) = (mock.writes, mock.flushes, mock.max_space);
    writeln!(out, "--- Statistics ---")?;
    writeln!(
        out,
        "Write Amplification: {w}/{f}={:.3}x",
        w as f64 / f as f64
    )?;
    writeln!(
        out,
        "Maximum Space Usage: {m}/{f}={:.3}x",
        m as f64 / f as f64
    )?;
    writeln!(out, "Read Amplification: {}x", mock.read_amplification())?;
    writeln!(out)?;
    Ok(())
}

/// A simple or leveled task's sides, in the course's order.
struct Sides {
    /// The upper level (0 for L0).
    level: u32,
    /// Upper files (L0: oldest first).
    upper: Vec<Arc<FileMeta>>,
    /// Files already in the output level.
    lower: Vec<Arc<FileMeta>>,
}

/// The task's sides (simple, leveled) and all its inputs in the course's order: upper (L0
/// oldest first) then lower; tiered: tier by tier, newest first.
fn course_inputs(task: &Task) -> (Option<Sides>, Vec<Arc<FileMeta>>) {
    match task.upper() {
        Some((level, mut upper)) => {
            if level == 0 {
                upper.reverse();
            }
            let lower = task.lower();
            let all = upper.iter().chain(&lower).cloned().collect();
            (
                Some(Sides {
                    level,
                    upper,
                    lower,
                }),
                all,
            )
        }
        None => (
            None,
            task.inputs
                .iter()
                .flat_map(|(_, fs)| fs.iter().cloned())
                .collect(),
        ),
    }
}

/// Makes the outputs of `task` (or relinks its files), prints the task line and applies it.
fn run_task(
    mock: &mut Mock,
    task: &Task,
    common: &CommonArgs,
    leveled: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let (levels, inputs) = course_inputs(task);
    let moved = common.trivial_move && is_trivial_move(task, &mock.version);
    let outputs: Vec<Arc<FileMeta>> = if moved {
        levels
            .as_ref()
            .map(|sides| sides.upper.clone())
            .unwrap_or_default()
    } else if leveled {
        split_outputs(mock, &inputs)?
    } else {
        inputs
            .iter()
            .map(|f| mock.output(f.number, 0, u64::MAX))
            .collect()
    };
    let suffix = if moved { " (trivial move)" } else { "" };
    match (&levels, &task.kind) {
        (Some(sides), _) if leveled => writeln!(
            out,
            "Upper L{} [{}] Lower L{} [{}] -> [{}]{suffix}",
            sides.level,
            ranges(&sides.upper)?,
            task.output_level,
            ranges(&sides.lower)?,
            ranges(&outputs)?
        )?,
        (Some(sides), _) => writeln!(
            out,
            "Upper L{} {:?} Lower L{} {:?} -> {:?}{suffix}",
            sides.level,
            ids(&sides.upper),
            task.output_level,
            ids(&sides.lower),
            ids(&outputs)
        )?,
        (None, TaskKind::Tiered { tiers }) => {
            for (tier, (_, files)) in tiers.iter().zip(&task.inputs) {
                write!(out, "L{tier} {:?} ", ids(files))?;
            }
            writeln!(out, "-> {:?}", ids(&outputs))?;
        }
        (None, kind) => bail!("the simulator cannot run a {kind:?} task"),
    }
    mock.note_space();
    let (version, removed) = apply(&mock.version, task, outputs)?;
    mock.version = version;
    mock.remove(&removed)
}

/// Leveled outputs: the inputs' key union `[lo, hi]` cut in one part per input.
fn split_outputs(mock: &mut Mock, inputs: &[Arc<FileMeta>]) -> Result<Vec<Arc<FileMeta>>> {
    let mut range: Option<(u64, u64)> = None;
    for f in inputs {
        let (a, b) = key_range(f)?;
        range = Some(range.map_or((a, b), |(lo, hi)| (lo.min(a), hi.max(b))));
    }
    let Some((lo, hi)) = range else {
        return Ok(Vec::new());
    };
    let n = inputs.len() as u64;
    let len = hi - lo + 1;
    if len < n {
        bail!("cannot split {len} keys into {n} files");
    }
    let mut outputs = Vec::with_capacity(inputs.len());
    for (j, f) in (0u64..).zip(inputs) {
        outputs.push(mock.output(f.number, lo + len * j / n, lo + len * (j + 1) / n - 1));
    }
    Ok(outputs)
}

fn ids(files: &[Arc<FileMeta>]) -> Vec<u64> {
    files.iter().map(|f| f.number).collect()
}

fn ranges(files: &[Arc<FileMeta>]) -> Result<String> {
    let parts: Result<Vec<String>> = files
        .iter()
        .map(|f| {
            let (lo, hi) = key_range(f)?;
            Ok(format!("{}.sst {lo:x}..={hi:x}", f.number))
        })
        .collect();
    Ok(parts?.join(", "))
}
