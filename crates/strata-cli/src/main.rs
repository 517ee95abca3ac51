//! The `strata` command-line tool: the course's LSM shell, one-shot `get`/`put`/`del`/`scan`,
//! `bench` (db_bench-style workloads), `simulate`, and the read-only `verify`, `inspect` and
//! `dump`, in one binary.
//!
//! Result lines go to stdout; diagnostics and errors go to stderr as `error: …` (SPEC §9).
//! Exit status: 0 success, 1 failure (`get`: 1 not found, 2 error; clap usage errors: 2).
#![deny(clippy::unwrap_used)]
#![forbid(unsafe_code)]

mod bench;
mod dump;
mod inspect;
mod oneshot;
mod open;
mod options;
mod output;
mod shell;
mod simulate;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Strata: an LSM-tree key-value store's shell, inspection commands and benchmark.
#[derive(Debug, Parser)]
#[command(name = "strata", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Interactive (or scripted, from piped stdin) shell: fill, get, del, scan, dump, flush…
    Shell(options::ShellArgs),
    /// Print one key's value.
    Get(oneshot::GetArgs),
    /// Write one key.
    Put(oneshot::PutArgs),
    /// Delete one key.
    Del(oneshot::DelArgs),
    /// Print the pairs of a key range.
    Scan(oneshot::ScanArgs),
    /// db_bench-style benchmark: fills, random and missing reads, seeks, scans, deletes; per
    /// workload ops/s, latency, write amplification, block cache hit rate and read
    /// amplification (blocks read from disk and tables probed per get).
    Bench(bench::BenchArgs),
    /// The course's compaction simulator, driving the engine's own pickers on a mock tree.
    Simulate(simulate::SimulateArgs),
    /// Check every checksum, block, level order and file of a database (read-only; --json).
    Verify(verify::VerifyArgs),
    /// Show a database's levels, files, WALs and MANIFEST history with compaction stats, or one
    /// SST's footer, index and properties (--json: one JSON object; --open: also the engine's
    /// live stats, block and table cache counters included).
    Inspect(inspect::InspectArgs),
    /// Print a database's live pairs (--raw: every SST's internal entries), or one .sst, .wal or
    /// MANIFEST file's structure field by field with checksums (--hex: with the bytes).
    Dump(dump::DumpArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (result, error_code) = match &cli.command {
        Command::Shell(args) => (shell::run(args), 1),
        Command::Get(args) => (oneshot::get(args), 2),
        Command::Put(args) => (oneshot::put(args), 1),
        Command::Del(args) => (oneshot::del(args), 1),
        Command::Scan(args) => (oneshot::scan(args), 1),
        Command::Bench(args) => (bench::run(args), 1),
        Command::Simulate(args) => (simulate::run(args.clone()).map(|()| ExitCode::SUCCESS), 1),
        Command::Verify(args) => (verify::run(args), 2),
        Command::Inspect(args) => (inspect::run(args), 1),
        Command::Dump(args) => (dump::run(args), 1),
    };
    result.unwrap_or_else(|error| {
        eprintln!("error: {error:#}");
        ExitCode::from(error_code)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
