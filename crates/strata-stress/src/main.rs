//! `strata-stress`: long-running reliability checks of the engine that need real processes.
//!
//! - `strata-stress kill --cycles N`: SIGKILL a writing child process at random moments and
//!   check every reopen against a model of the acknowledged writes ([`kill`]).
//! - `strata-stress child …`: the child side of `kill` (not for direct use; [`child`]).
//!
//! Exit status: 0 when every check passed, 1 on a violation (printed as `FAILURE seed S cycle
//! C: …` lines with a replay command), 2 on a harness error.

mod child;
mod kill;
mod verify;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "strata-stress",
    about = "Long-running reliability checks of the Strata engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Kill a writing child process with SIGKILL at random moments, reopen, check the
    /// acknowledged writes survived and no batch is torn, and continue on the same directory.
    Kill {
        /// Kill cycles to run.
        #[arg(long, default_value_t = 200)]
        cycles: u64,
        /// Seed of the workload and the kill delays.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Database directory (empty or missing; kept afterwards). Default: a temporary
        /// directory, removed after a clean run and kept after a failure.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Writer threads in the child.
        #[arg(long, default_value_t = 4)]
        threads: u32,
        /// Keys per writer.
        #[arg(long, default_value_t = 200)]
        keys: u32,
        /// Longest delay before each kill, in milliseconds.
        #[arg(long, default_value_t = 400)]
        max_delay_ms: u64,
        /// Print a line per cycle.
        #[arg(long, short)]
        verbose: bool,
        /// Write without `sync_writes`: a write is acknowledged once the OS holds it (the WAL
        /// through its mapping, or `write(2)`), which a process kill must not lose either.
        #[arg(long)]
        no_sync: bool,
    },
    /// The child process of `kill` (internal).
    #[command(hide = true)]
    Child {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        seed: u64,
        #[arg(long)]
        cycle: u64,
        #[arg(long)]
        threads: u32,
        #[arg(long)]
        keys: u32,
        #[arg(long)]
        no_sync: bool,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Cmd::Kill {
            cycles,
            seed,
            dir,
            threads,
            keys,
            max_delay_ms,
            verbose,
            no_sync,
        } => {
            if threads == 0 || keys == 0 || threads > 99 || keys > 99_999 {
                eprintln!("strata-stress: --threads must be 1..=99 and --keys 1..=99999");
                return ExitCode::from(2);
            }
            let args = kill::KillArgs {
                cycles,
                seed,
                dir,
                threads,
                keys,
                max_delay_ms,
                verbose,
                no_sync,
            };
            match kill::run(&args) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => {
                    eprintln!("strata-stress: seed {seed}: {e:#}");
                    ExitCode::from(2)
                }
            }
        }
        Cmd::Child {
            dir,
            seed,
            cycle,
            threads,
            keys,
            no_sync,
        } => child::run(&child::ChildArgs {
            dir: &dir,
            seed,
            cycle,
            threads,
            keys,
            no_sync,
        }),
    }
}
