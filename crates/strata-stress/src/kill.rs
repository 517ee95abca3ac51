//! `strata-stress kill`: real process crashes. Each cycle spawns this binary as a child
//! (`strata-stress child …`, see [`crate::child`]) writing to the database, SIGKILLs it after a
//! random delay, reopens the database in this process and checks it against the model
//! ([`crate::verify`]); the next cycle continues on the same directory.
//!
//! Threading: the parent is single-threaded apart from two threads per cycle draining the
//! child's stdout (the acknowledgements) and stderr. Deterministic: the workload and the kill
//! delays follow `--seed`; where in the engine's work a kill lands depends on timing.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::Db;

use crate::verify::{Cycle, Model, Tally};
use crate::workload;

/// The kill test's settings (see `strata-stress kill --help`).
pub struct KillArgs {
    /// Kill cycles to run.
    pub cycles: u64,
    /// Seed of the workload and the kill delays.
    pub seed: u64,
    /// The database directory (must be empty or missing); `None`: a temporary directory.
    pub dir: Option<PathBuf>,
    /// Writer threads in the child.
    pub threads: u32,
    /// Keys per writer.
    pub keys: u32,
    /// Longest delay before the kill, in milliseconds (each delay is uniform in `0..=max`).
    pub max_delay_ms: u64,
    /// Print one line per cycle.
    pub verbose: bool,
    /// Writes without `sync_writes` (acknowledged once handed to the OS).
    pub no_sync: bool,
}

/// What the child's stdout said.
#[derive(Default)]
struct Acks {
    opened: bool,
    acked: Vec<u64>,
    protocol: Option<String>,
}

fn read_acks(out: impl Read, threads: u32) -> Acks {
    let mut acks = Acks {
        acked: vec![0; threads as usize],
        ..Acks::default()
    };
    for line in BufReader::new(out).lines() {
        let Ok(line) = line else { break };
        let fields: Vec<&str> = line.split(' ').collect();
        match fields.as_slice() {
            ["OPEN"] => acks.opened = true,
            ["A", w, n] => {
                let (Ok(w), Ok(n)) = (w.parse::<usize>(), n.parse::<u64>()) else {
                    acks.protocol = Some(format!("bad line {line:?}"));
                    break;
                };
                match acks.acked.get_mut(w) {
                    Some(last) if *last + 1 == n => *last = n,
                    _ => {
                        acks.protocol = Some(format!("out-of-order acknowledgement {line:?}"));
                        break;
                    }
                }
            }
            _ => {
                acks.protocol = Some(format!("bad line {line:?}"));
                break;
            }
        }
    }
    acks
}

/// The highest file number in `dir` (how many files the engine has created so far).
fn highest_file_number(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let digits: String = name
                .trim_start_matches("MANIFEST-")
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// Runs the kill test; `Ok(true)` if every cycle passed.
pub fn run(args: &KillArgs) -> Result<bool> {
    let mut temp = None;
    let dir = match &args.dir {
        Some(dir) => {
            let used = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
            if used {
                bail!(
                    "{} is not empty; the kill test needs a fresh directory",
                    dir.display()
                );
            }
            dir.clone()
        }
        None => {
            let t = tempfile::Builder::new().prefix("strata-kill-").tempdir()?;
            let dir = t.path().join("db");
            temp = Some(t);
            dir
        }
    };
    let exe = std::env::current_exe().context("finding the strata-stress binary")?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut model = Model::new(args.threads);
    let mut total = Tally::default();
    let mut killed_in_open = 0u64;
    let started = Instant::now();
    println!(
        "kill: seed {}, {} cycles, {} writers x {} keys, kill after 0..={} ms, dir {}",
        args.seed,
        args.cycles,
        args.threads,
        args.keys,
        args.max_delay_ms,
        dir.display()
    );
    for cycle in 1..=args.cycles {
        // One cycle in five is killed within 30 ms: while it starts, opens and recovers.
        let longest = if rng.random_bool(0.2) {
            args.max_delay_ms.min(30)
        } else {
            args.max_delay_ms
        };
        let delay = rng.random_range(0..=longest);
        let mut child = Command::new(&exe)
            .arg("child")
            .arg("--dir")
            .arg(&dir)
            .args(["--seed", &args.seed.to_string()])
            .args(["--cycle", &cycle.to_string()])
            .args(["--threads", &args.threads.to_string()])
            .args(["--keys", &args.keys.to_string()])
            .args(args.no_sync.then_some("--no-sync"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("spawning the child")?;
        let (Some(out), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
            bail!("the child's pipes are missing");
        };
        let threads = args.threads;
        let out_reader = thread::spawn(move || read_acks(out, threads));
        let err_reader = thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        thread::sleep(Duration::from_millis(delay));
        let exited_early = child.try_wait()?;
        if exited_early.is_none() {
            child.kill().context("killing the child")?;
        }
        let status = child.wait()?;
        let acks = out_reader
            .join()
            .map_err(|_| anyhow::anyhow!("stdout reader panicked"))?;
        let stderr = err_reader
            .join()
            .map_err(|_| anyhow::anyhow!("stderr reader panicked"))?;
        let mut problems = Vec::new();
        if let Some(status) = exited_early {
            problems.push(format!(
                "the child exited by itself ({status}): {}",
                stderr.trim()
            ));
        } else if status.signal() != Some(9) {
            problems.push(format!(
                "the child did not die of SIGKILL ({status}): {}",
                stderr.trim()
            ));
        }
        if let Some(p) = acks.protocol {
            problems.push(format!("child protocol: {p}"));
        }
        if !acks.opened {
            killed_in_open += 1;
        }
        let cx = Cycle {
            seed: args.seed,
            cycle,
            keys: args.keys,
            acked: &acks.acked,
        };
        let tally = match reopen_and_check(&dir, &mut model, &cx) {
            Ok((tally, found)) => {
                problems.extend(found);
                tally
            }
            Err(e) => {
                problems.push(format!(
                    "reopening and reading after the kill failed: {e:#}"
                ));
                Tally::default()
            }
        };
        total.add(&tally);
        if args.verbose {
            println!(
                "cycle {cycle}: killed after {delay} ms{}, {} acknowledged, {} in flight landed",
                if acks.opened { "" } else { " (during open)" },
                tally.acked,
                tally.landed
            );
        }
        if !problems.is_empty() {
            for p in &problems {
                println!("FAILURE seed {} cycle {cycle}: {p}", args.seed);
            }
            if let Some(t) = temp.take() {
                let _ = t.keep();
                println!("the database is kept in {}", dir.display());
            }
            summary(args, cycle, &total, killed_in_open, &dir, started);
            println!(
                "replay: strata-stress kill --seed {} --cycles {cycle} --threads {} --keys {}",
                args.seed, args.threads, args.keys
            );
            return Ok(false);
        }
    }
    summary(args, args.cycles, &total, killed_in_open, &dir, started);
    Ok(true)
}

fn reopen_and_check(dir: &Path, model: &mut Model, cx: &Cycle<'_>) -> Result<(Tally, Vec<String>)> {
    let db = Db::open(dir, workload::options(true))?;
    let checked = model.check(&db, cx);
    db.close()?;
    checked
}

fn summary(args: &KillArgs, cycles: u64, t: &Tally, in_open: u64, dir: &Path, started: Instant) {
    let shape = Db::open(dir, workload::options(true))
        .map(|db| {
            let levels: Vec<String> = db
                .stats()
                .levels
                .iter()
                .map(|l| format!("L{}:{}", l.level, l.files))
                .collect();
            let _ = db.close();
            levels.join(" ")
        })
        .unwrap_or_else(|e| format!("(reopen failed: {e})"));
    println!(
        "RESULT kill: seed {}, {cycles} cycles ({in_open} killed during open) in {:.1} s: \
         {} acknowledged writes checked, {} in-flight writes landed, {} key reads compared; \
         lost writes {}, torn batches {}, unexpected values {}; files created {}, final tree {shape}",
        args.seed,
        started.elapsed().as_secs_f64(),
        t.acked,
        t.landed,
        t.keys,
        t.lost,
        t.torn,
        t.unexpected,
        highest_file_number(dir),
    );
}
