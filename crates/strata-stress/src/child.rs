//! The kill test's child process: opens the database and writes until it is killed.
//!
//! Protocol on stdout (one line per `write(2)`, each well under `PIPE_BUF`, so a line is in the
//! pipe whole or not at all when SIGKILL lands): `OPEN` once `Db::open` returned, then
//! `A <writer> <op>` after operation `op` of `writer` was **acknowledged** (its `put`,
//! `delete` or `write` returned `Ok`, which with `sync_writes` means it is durable). Each writer
//! prints its acknowledgements in order. Any engine error is printed on stderr and ends the
//! process with exit code 2, which the parent reports as a failure.
//!
//! Threading: one thread per writer (`--threads`); writers share one `Db` and the stdout lock.

use std::io::Write;
use std::path::Path;
use std::process::exit;

use strata::Db;

use crate::workload;

/// What the child runs: the kill test's coordinates for this cycle.
pub struct ChildArgs<'a> {
    /// The database directory.
    pub dir: &'a Path,
    /// The run's seed.
    pub seed: u64,
    /// This cycle's number.
    pub cycle: u64,
    /// Writer threads.
    pub threads: u32,
    /// Keys per writer.
    pub keys: u32,
    /// Writes without `sync_writes`.
    pub no_sync: bool,
}

/// Prints one protocol line and flushes it; a closed pipe ends the process (the parent is gone).
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        exit(3);
    }
}

/// Runs the child until it is killed (it never returns normally).
pub fn run(args: &ChildArgs<'_>) -> ! {
    let db = match Db::open(args.dir, workload::options(!args.no_sync)) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("child: open failed: {e}");
            exit(2);
        }
    };
    say("OPEN");
    let (seed, cycle, keys) = (args.seed, args.cycle, args.keys);
    let writers: Vec<_> = (0..args.threads)
        .map(|w| {
            let db = db.clone();
            std::thread::spawn(move || write_forever(&db, seed, cycle, w, keys))
        })
        .collect();
    for writer in writers {
        // A writer only ends by exiting the process; a panic is a failure.
        if writer.join().is_err() {
            eprintln!("child: a writer panicked");
            exit(2);
        }
    }
    exit(2);
}

fn write_forever(db: &Db, seed: u64, cycle: u64, writer: u32, keys: u32) {
    for n in 1.. {
        let op = workload::op(seed, cycle, writer, n, keys);
        let result = workload::apply(db, writer, &op);
        if let Err(e) = result {
            eprintln!("child: writer {writer} op {n} failed: {e}");
            exit(2);
        }
        say(&format!("A {writer} {n}"));
    }
}
