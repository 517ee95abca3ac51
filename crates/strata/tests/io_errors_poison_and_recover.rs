//! I/O errors poison the database and a reopen recovers: for every filesystem call site a
//! workload reaches (kind of call × kind of file), an `ENOSPC`/`EIO` is injected at some of
//! its occurrences, once (transient) or for good (persistent). The engine must return errors,
//! never panic or hang; after a failed WAL write or sync, or a failed MANIFEST edit, it must
//! refuse writes with `Error::Poisoned`; reads after a failed read or manual compaction must
//! still be right; and a reopen on a healthy filesystem (after a power loss for transient
//! faults, after clearing the faults for persistent ones) must hold a prefix of the history
//! covering every acknowledged write.
//!
//! The workload runs in two sessions (open, steps, close, reopen, steps) so recovery's call
//! sites are reached too. Sizes: smoke by default; `STRATA_LONG=1` tries every occurrence of
//! every site (up to 48 per site) over more workloads; `STRATA_SEED=S` replays one workload.

#[allow(clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::fs::SimFs;
use strata::fs::sim::{Call, Fault, FaultError, FsOp};
use strata::{CompactionOptions, Compression, Db, Error, Options, SimpleOptions};
use support::model::{History, Map, gets_agree, scan};
use support::workload::{Step, Stop, all_keys, random_steps, run_tolerant};

const KEYS: usize = 40;

fn dir() -> &'static Path {
    Path::new("/db")
}

fn open(fs: &SimFs, opts: &Options) -> strata::Result<Db> {
    Db::open_with_fs(dir(), opts.clone(), Arc::new(fs.clone()))
}

/// Two configurations: synced writes with simple compaction, unsynced writes with leveled
/// compaction and no block cache (so reads reach the files).
fn options(seed: u64) -> Options {
    let base = Options {
        memtable_size: 2 << 10,
        block_size: 256,
        target_sst_size: 4 << 10,
        block_cache_size: 16 << 10,
        compression: Compression::None,
        max_manifest_size: 1 << 10,
        sync_writes: true,
        compaction: CompactionOptions::Simple(SimpleOptions {
            size_ratio_percent: 200,
            level0_file_num_compaction_trigger: 2,
            max_levels: 3,
        }),
        ..Default::default()
    };
    if seed.is_multiple_of(2) {
        base
    } else {
        Options {
            sync_writes: false,
            block_cache_size: 0,
            compaction: CompactionOptions::Leveled(strata::LeveledOptions {
                level_size_multiplier: 2,
                level0_file_num_compaction_trigger: 2,
                max_levels: 3,
                base_level_size_mb: 1,
            }),
            ..base
        }
    }
}

/// The path filter a site uses: the kind of file (`None`: the directory itself).
fn pattern(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    Some(if name.ends_with(".wal") {
        ".wal"
    } else if name.ends_with(".sst") {
        ".sst"
    } else if name.starts_with("MANIFEST-") {
        "MANIFEST-"
    } else if name == "CURRENT.tmp" {
        "CURRENT.tmp"
    } else if name == "CURRENT" {
        "/CURRENT"
    } else if name == "LOCK" {
        "LOCK"
    } else {
        return None;
    })
}

type Site = (FsOp, Option<&'static str>);

/// Call sites of a trace, each with the fault counter value (`after`) of every occurrence.
fn sites(trace: &[Call]) -> BTreeMap<Site, Vec<u64>> {
    let mut out: BTreeMap<Site, Vec<u64>> = BTreeMap::new();
    for (i, call) in trace.iter().enumerate() {
        let pat = pattern(&call.path);
        let index = trace
            .get(..i)
            .unwrap_or_default()
            .iter()
            .filter(|c| c.op == call.op && pat.is_none_or(|p| c.path.to_string_lossy().contains(p)))
            .count() as u64;
        out.entry((call.op, pat)).or_default().push(index);
    }
    out
}

/// Whether a failure of `call` must poison the database: a WAL write or sync, or a write or
/// sync of a MANIFEST edit (not the snapshot that starts a MANIFEST, whose failure leaves
/// the old MANIFEST in charge).
fn must_poison(call: &Call, trace: &[Call]) -> bool {
    if !matches!(call.op, FsOp::Write | FsOp::Sync) {
        return false;
    }
    match pattern(&call.path) {
        Some(".wal") => true,
        Some("MANIFEST-") => trace
            .iter()
            .take_while(|c| !std::ptr::eq(*c, call))
            .any(|c| c.op == call.op && c.path == call.path),
        _ => false,
    }
}

#[derive(Default)]
struct Figures {
    injections: u64,
    fired: u64,
    poison_checked: u64,
    tolerated: u64,
    reopened: u64,
    acked_checked: u64,
    errors: BTreeMap<&'static str, u64>,
    /// Injected I/O errors the engine reported as `Corruption` (misleading, not unsafe).
    io_as_corruption: Vec<String>,
    /// Writes refused after a must-poison failure with another error before `Poisoned`.
    late_poison: u64,
    /// Runs that failed the `sync_dir` following the rename of `CURRENT.tmp` (the path
    /// of fixed bugs 1 and 8: counted to show the sweep reaches it).
    failed_sync_dir_after_current_rename: u64,
}

impl Figures {
    fn error(&mut self, e: &Error, fs: &SimFs) {
        *self.errors.entry(kind(e)).or_default() += 1;
        if e.is_corruption() && fs.injected() > 0 {
            self.io_as_corruption.push(e.to_string());
        }
    }
}

fn kind(e: &Error) -> &'static str {
    match e {
        Error::Io { .. } => "io",
        Error::Poisoned(_) => "poisoned",
        Error::Corruption { .. } => "corruption",
        Error::Closed => "closed",
        _ => "other",
    }
}

/// One workload with one fault; `Err` describes a broken promise.
fn inject_once(
    opts: &Options,
    steps: &[Step],
    fault: Option<Fault>,
    loss_seed: u64,
    fig: &mut Figures,
) -> Result<(), String> {
    let fs = SimFs::new();
    fs.set_trace(true);
    let persistent = fault.as_ref().is_some_and(|f| f.persistent);
    if let Some(f) = fault {
        fs.inject(f);
    }
    let mut history = History::default();
    let mut live = Map::new();
    let mut tolerated = Vec::new();
    let mut trace_all: Vec<Call> = Vec::new();
    let halves = steps.split_at(steps.len() / 2);
    let mut last_db = None;
    for part in [halves.0, halves.1] {
        let db = match open(&fs, opts) {
            Ok(db) => db,
            Err(e) => {
                fig.error(&e, &fs);
                if fs.injected() == 0 {
                    return Err(format!("open failed without a fault: {e}"));
                }
                break;
            }
        };
        let stop = run_tolerant(
            &db,
            opts,
            part,
            &mut history,
            &mut live,
            Some(&mut tolerated),
        );
        fig.tolerated += tolerated.len() as u64;
        if let Stop::WrongRead { at, detail } = stop {
            return Err(format!("wrong read at step {at}: {detail}"));
        }
        for e in &tolerated {
            fig.error(e, &fs);
        }
        tolerated.clear();
        if let Stop::Failed { error, .. } = &stop {
            fig.error(error, &fs);
            if fs.injected() == 0 {
                return Err(format!("error without a fault: {error}"));
            }
        }
        let trace = fs.take_trace();
        fs.set_trace(true);
        trace_all.extend(trace.iter().cloned());
        let mut probed = false;
        if let Some(call) = trace.iter().find(|c| c.injected)
            && must_poison(call, &trace)
        {
            fig.poison_checked += 1;
            // The probes failed, so they stay at the history's tail: this run ends here.
            probed = true;
            // A failure in a background flush or compaction poisons from that thread once
            // its error has travelled up: wait for it (bounded; a missing poison shows up
            // below as an accepted write), so the probe does not race the background thread.
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while !db.is_poisoned() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            // Writes are refused at once, with `Poisoned` at the latest from the second.
            for attempt in 0..2 {
                history
                    .batches
                    .push(vec![(b"probe".to_vec(), Some(b"p".to_vec()))]);
                match db.put("probe", "p") {
                    Err(Error::Poisoned(_)) => break,
                    Err(_) if attempt == 0 => fig.late_poison += 1,
                    other => {
                        return Err(format!(
                            "after a failed {:?} on {}: write {attempt} returned {other:?}, \
                             not Poisoned",
                            call.op,
                            call.path.display()
                        ));
                    }
                }
            }
        }
        if probed || matches!(stop, Stop::Failed { .. }) {
            last_db = Some(db);
            break;
        }
        let closed = db.close();
        // Calls made while closing (background jobs finishing, the last sync) belong to this
        // session: keep them out of the next session's trace, or a fault fired here would be
        // blamed on the next session's freshly opened database (which rightly is not
        // poisoned). A background failure during close poisons a database that is closing
        // anyway; the healthy reopen below checks that nothing acknowledged was lost.
        let close_trace = fs.take_trace();
        fs.set_trace(true);
        let injected_at_close = close_trace.iter().any(|c| c.injected);
        trace_all.extend(close_trace);
        match closed {
            Ok(()) => {
                if opts.enable_wal {
                    history.durable = history.acked;
                }
                if injected_at_close {
                    break;
                }
            }
            Err(e) => {
                fig.error(&e, &fs);
                break;
            }
        }
    }
    fig.fired += u64::from(fs.injected() > 0);
    // Reopen on a healthy filesystem.
    fs.clear_faults();
    if std::env::var("STRATA_FAULT").is_ok() {
        println!(
            "before the reopen: injected {} files {:?}",
            fs.injected(),
            fs.files()
        );
    }
    let (fs, lo) = if persistent {
        if let Some(db) = last_db.take() {
            let _ = db.close();
        }
        (fs, history.acked)
    } else {
        let rebooted = fs.power_loss(loss_seed);
        drop(last_db);
        (rebooted, history.durable)
    };
    // Other threads' calls may interleave: look at directory syncs and CURRENT renames only.
    fig.failed_sync_dir_after_current_rename = u64::from(
        trace_all
            .iter()
            .filter(|c| {
                c.op == FsOp::SyncDir || (c.op == FsOp::Rename && c.path.ends_with("CURRENT.tmp"))
            })
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w[0].op == FsOp::Rename && w[1].injected),
    );
    let checked = verify_reopen(&fs, opts, &history, lo);
    if checked.is_err() && std::env::var("STRATA_FAULT").is_ok() {
        for c in &trace_all {
            let mark = if c.injected { "<- INJECTED" } else { "" };
            println!("{:?} {} {mark}", c.op, c.path.display());
        }
        println!("files: {:?}", fs.files());
    }
    let k = checked?;
    fig.reopened += 1;
    fig.acked_checked += k as u64;
    Ok(())
}

/// Reopens, checks the state is an allowed prefix, closes; returns the prefix length.
fn verify_reopen(
    fs: &SimFs,
    opts: &Options,
    history: &History,
    lo: usize,
) -> Result<usize, String> {
    let db = open(fs, opts).map_err(|e| format!("healthy reopen failed: {e}"))?;
    let state = scan(&db).map_err(|e| format!("scan after reopen: {e}"))?;
    if let Some(d) = gets_agree(&db, &state, &all_keys(KEYS)).map_err(|e| e.to_string())? {
        return Err(d);
    }
    let k = history.match_prefix(&state, lo, history.attempted())?;
    db.close().map_err(|e| format!("close after reopen: {e}"))?;
    Ok(k)
}

fn with_timeout<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60)).ok()
}

#[test]
fn io_errors_poison_and_recover() {
    support::count_panics();
    let long = support::long_run();
    let mut fig = Figures::default();
    let mut failures = Vec::new();
    for seed in support::seeds(1, 4, 40) {
        let opts = options(seed);
        let steps = random_steps(seed, if long { 200 } else { 120 }, KEYS);
        // A fault-free run must pass; a second one lists the call sites.
        let mut fig0 = Figures::default();
        if let Err(e) = inject_once(&opts, &steps, None, seed, &mut fig0) {
            failures.push(format!("seed {seed}: without faults: {e}"));
            continue;
        }
        let dry = SimFs::new();
        dry.set_trace(true);
        let trace = {
            let (mut h, mut live) = (History::default(), Map::new());
            let halves = steps.split_at(steps.len() / 2);
            for part in [halves.0, halves.1] {
                let db = open(&dry, &opts).expect("healthy open");
                let _ = run_tolerant(&db, &opts, part, &mut h, &mut live, None);
                db.close().expect("healthy close");
            }
            dry.take_trace()
        };
        let mut rng = StdRng::seed_from_u64(seed);
        for ((op, pat), occurrences) in sites(&trace) {
            let picks: Vec<u64> = if long {
                let step = occurrences.len().div_ceil(48).max(1);
                occurrences.iter().step_by(step).copied().collect()
            } else {
                let mut p = vec![occurrences[0], occurrences[occurrences.len() - 1]];
                for _ in 0..2 {
                    p.push(occurrences[rng.random_range(0..occurrences.len())]);
                }
                p.sort_unstable();
                p.dedup();
                p
            };
            for after in picks {
                for persistent in [false, true] {
                    let error = if (after + u64::from(persistent)) % 2 == 0 {
                        FaultError::Io
                    } else {
                        FaultError::NoSpace
                    };
                    let mut fault = Fault::new(op, after, error);
                    fault.persistent = persistent;
                    if let Some(p) = pat {
                        fault = fault.on_paths_containing(p);
                    }
                    let what = format!("seed {seed}: {fault:?}");
                    if std::env::var("STRATA_FAULT").is_ok_and(|f| !what.contains(&f)) {
                        continue;
                    }
                    let (o, s, f) = (opts.clone(), steps.clone(), fault.clone());
                    let loss_seed = rng.random();
                    fig.injections += 1;
                    let out = with_timeout(move || {
                        let mut fig = Figures::default();
                        let r = inject_once(&o, &s, Some(f), loss_seed, &mut fig);
                        (r, fig)
                    });
                    match out {
                        None => failures.push(format!("{what}: hung for 60 s")),
                        Some((r, f)) => {
                            fig.fired += f.fired;
                            fig.poison_checked += f.poison_checked;
                            fig.tolerated += f.tolerated;
                            fig.reopened += f.reopened;
                            fig.acked_checked += f.acked_checked;
                            fig.late_poison += f.late_poison;
                            fig.failed_sync_dir_after_current_rename +=
                                f.failed_sync_dir_after_current_rename;
                            for c in f.io_as_corruption {
                                fig.io_as_corruption.push(format!("{what}: {c}"));
                            }
                            for (k, v) in f.errors {
                                *fig.errors.entry(k).or_default() += v;
                            }
                            if let Err(e) = r {
                                failures.push(format!("{what} (loss seed {loss_seed}): {e}"));
                            }
                        }
                    }
                }
            }
        }
    }
    support::report(
        "io_errors_poison_and_recover",
        &format!(
            "{} injections ({} fired), {} poison checks ({} refused first with another error), \
             {} tolerated read/compaction errors, {} healthy reopens, {} recovered batches \
             checked, errors seen {:?} ({} injected I/O errors reported as corruption), {} runs \
             failing the directory sync after the CURRENT rename, {} failures, {} panics",
            fig.injections,
            fig.fired,
            fig.poison_checked,
            fig.late_poison,
            fig.tolerated,
            fig.reopened,
            fig.acked_checked,
            fig.errors,
            fig.io_as_corruption.len(),
            fig.failed_sync_dir_after_current_rename,
            failures.len(),
            support::panics()
        ),
    );
    for c in &fig.io_as_corruption {
        eprintln!("NOTE an injected I/O error surfaced as corruption: {c}");
    }
    for f in &failures {
        eprintln!("FAILURE {f}");
    }
    assert!(
        failures.is_empty(),
        "{} failures; first: {}",
        failures.len(),
        failures.first().map_or("", String::as_str)
    );
    assert_eq!(support::panics(), 0, "a thread panicked");
}

/// Not a sweep: one failed WAL fsync, step by step.
#[test]
fn a_failed_wal_sync_poisons_and_nothing_acknowledged_is_lost() -> strata::Result<()> {
    let fs = SimFs::new();
    let opts = Options {
        sync_writes: true,
        ..Default::default()
    };
    let db = open(&fs, &opts)?;
    db.put("a", "1")?;
    fs.inject(Fault::new(FsOp::Sync, 0, FaultError::Io).on_paths_containing(".wal"));
    assert!(matches!(db.put("b", "2"), Err(Error::Io { .. })));
    assert!(matches!(db.put("c", "3"), Err(Error::Poisoned(_))));
    assert!(matches!(db.sync(), Err(Error::Poisoned(_))));
    assert_eq!(db.get("a")?.as_deref(), Some(&b"1"[..]), "reads go on");
    let fs = fs.power_loss(7);
    drop(db);
    let db = open(&fs, &opts)?;
    assert_eq!(db.get("a")?.as_deref(), Some(&b"1"[..]));
    assert_eq!(db.get("c")?, None);
    db.put("d", "4")?;
    db.close()
}
