//! `strata-compare`: db_bench workloads on Strata, RocksDB, fjall and sled with matched
//! settings, each engine run in a child process of its own, medians of `--runs`, and a table of
//! ratios against RocksDB (optionally written as the markdown section of docs/BENCHMARKS.md).
//!
//! ```sh
//! cargo run --release --manifest-path bench/compare/Cargo.toml -- --num 2000 --runs 1
//! ```
//!
//! Threading: the parent is single-threaded; each child drives its workload threads.

mod child;
mod cli;
mod engine;
mod keys;
mod measure;
mod parent;
mod report;
mod tables;
mod workload;

use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use cli::{Cli, Command};
use engine::Result;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::RunOne {
            engine,
            dir,
            common,
        }) => child::run_one(*engine, dir, common).map(|results| {
            let results: Vec<_> = results.iter().map(report::WorkloadResult::json).collect();
            println!("{}", json!({ "engine": engine.name(), "results": results }));
        }),
        None => compare(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("strata-compare: {error}");
            ExitCode::FAILURE
        }
    }
}

/// UTC date of today (`YYYY-MM-DD`), from the system clock.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn compare(cli: &Cli) -> Result<()> {
    if cli.runs == 0 || cli.engines.is_empty() {
        return Err("--runs and --engines must not be empty".into());
    }
    let (base, _temp) = parent::base_dir(cli)?;
    let machine = tables::machine();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env =
        tables::ROCKSDB_LIB_DIR.map_or(String::new(), |dir| format!("ROCKSDB_LIB_DIR={dir} "));
    let command = format!(
        "{env}cargo run --release --manifest-path bench/compare/Cargo.toml -- {}",
        args.join(" ")
    );
    let mut write_md = |outcome: &parent::Outcome| -> Result<()> {
        if let Some(path) = &cli.write_md {
            let md = tables::markdown(cli, outcome, &machine, command.trim_end(), &today());
            std::fs::write(path, md)?;
            eprintln!("wrote {}", path.display());
        }
        Ok(())
    };
    let outcome = parent::run_all(cli, &base, &mut write_md)?;
    if cli.json {
        println!("{}", parent::outcome_json(cli, &outcome, &machine));
    } else {
        println!("Settings: {}\n", tables::settings(cli, outcome.runs_done()));
        println!("{}", tables::medians_table(cli, &outcome));
        println!("{}", tables::ratios_table(cli, &outcome));
        println!("Notes:\n{}", tables::notes(cli));
    }
    Ok(())
}
