//! Bit flips never give wrong answers: a small database (tables in L0 and L1, a MANIFEST, a
//! WAL holding the last batches, CURRENT) is built on the simulated filesystem; then, one at
//! a time, a byte of one file is flipped and the database reopened and read in full (point
//! reads of every key, a forward and a reverse scan). Every open and every read must return
//! the right data or `Error::Corruption`: never a panic, another error or a wrong value. Not
//! even the WAL's final record may be dropped as if torn: log format v2 checks every
//! fragment header and ends every fragment in a non-zero byte, so no single flip looks like a
//! torn write (bug 5 of docs/TESTING.md, fixed).
//!
//! Sizes: the smoke run flips every byte of CURRENT and a stride of the other files (their
//! first and last bytes always); `STRATA_LONG=1` flips every byte of every file, and every
//! bit of the files up to 1 KiB.

#[allow(clippy::unwrap_used)]
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata::fs::SimFs;
use strata::{CompactionOptions, Compression, Db, Error, Options, WriteBatch};
use support::model::{Batch, History, Map, apply};

fn dir() -> &'static Path {
    Path::new("/db")
}

fn opts(compression: Compression) -> Options {
    Options {
        block_size: 256,
        target_sst_size: 1 << 10,
        block_cache_size: 0,
        compression,
        compaction: CompactionOptions::None,
        ..Default::default()
    }
}

fn key(i: usize) -> Vec<u8> {
    format!("k{i:03}").into_bytes()
}

fn commit(db: &Db, history: &mut History, batch: Batch) {
    let mut wb = WriteBatch::new();
    for (k, v) in &batch {
        match v {
            Some(v) => wb.put(k, v),
            None => wb.delete(k),
        }
    }
    db.write(wb).expect("write");
    history.batches.push(batch);
}

/// Builds the database; returns its filesystem, the history, and how many of the last
/// batches live only in the WAL.
fn build(compression: Compression) -> (SimFs, History, usize) {
    let fs = SimFs::new();
    let db = Db::open_with_fs(dir(), opts(compression), Arc::new(fs.clone())).expect("open");
    let mut h = History::default();
    for i in 0..120 {
        // Repetitive values, so compressed blocks are really compressed.
        let v = format!("v{i}-first-{}", "abc".repeat(i % 7));
        commit(&db, &mut h, vec![(key(i), Some(v.into_bytes()))]);
    }
    db.flush().expect("flush");
    db.compact().expect("compact"); // L1: a few tables
    for i in (0..120).step_by(3) {
        commit(
            &db,
            &mut h,
            vec![(key(i), Some(format!("v{i}-second").into_bytes()))],
        );
    }
    for i in (1..120).step_by(7) {
        commit(&db, &mut h, vec![(key(i), None)]);
    }
    commit(&db, &mut h, vec![(key(200), Some(Vec::new()))]); // an empty value
    db.flush().expect("flush"); // L0: one table
    let before = h.batches.len();
    for b in 0..4usize {
        let batch: Batch = (0..3)
            .map(|j| {
                let k = key(b * 31 + j * 5);
                if j == 1 {
                    (k, None)
                } else {
                    (k, Some(format!("wal{b}.{j}").into_bytes()))
                }
            })
            .collect();
        commit(&db, &mut h, batch);
    }
    db.close().expect("close");
    let in_wal = h.batches.len() - before;
    (fs, h, in_wal)
}

#[derive(Default, Debug)]
struct Figures {
    flips: u64,
    refused_open: u64,
    corrupt_reads: u64,
    clean: u64,
    dropped_final_wal_record: u64,
    wrong: u64,
    /// Flips after which everything read back whole and without error.
    harmless: Vec<String>,
}

/// Which allowed states (indexes into `states`) are consistent with what the reads saw.
struct Candidates<'a> {
    states: &'a [Map],
    alive: Vec<usize>,
    /// The read that ruled out the last allowed state.
    culprit: Option<String>,
}

impl Candidates<'_> {
    fn keep(&mut self, what: impl FnOnce() -> String, f: impl Fn(&Map) -> bool) {
        let states = self.states;
        let had = !self.alive.is_empty();
        self.alive.retain(|&i| states.get(i).is_some_and(&f));
        if had && self.alive.is_empty() {
            self.culprit = Some(what());
        }
    }
}

fn text(v: Option<&[u8]>) -> String {
    format!("{:?}", v.map(String::from_utf8_lossy))
}

/// Reads everything; `Err` describes a wrong answer or an unexpected error.
fn read_all(
    db: &Db,
    keys: &BTreeSet<Vec<u8>>,
    states: &[Map],
    fig: &mut Figures,
) -> Result<usize, String> {
    let mut c = Candidates {
        states,
        alive: (0..states.len()).collect(),
        culprit: None,
    };
    let mut saw_corruption = false;
    fn corrupt_only(e: Error, what: &str, saw: &mut bool) -> Result<(), String> {
        if e.is_corruption() {
            *saw = true;
            Ok(())
        } else {
            Err(format!("{what}: {e} (not Corruption)"))
        }
    }
    // Forward scan: the pairs before an error are the first pairs of the state.
    let mut seen = Vec::new();
    match db.iter() {
        Err(e) => corrupt_only(e, "iter", &mut saw_corruption)?,
        Ok(it) => {
            for kv in it {
                match kv {
                    Ok((k, v)) => seen.push((k.to_vec(), v.to_vec())),
                    Err(e) => {
                        corrupt_only(e, "scan", &mut saw_corruption)?;
                        break;
                    }
                }
            }
        }
    }
    let complete_forward = !saw_corruption;
    c.keep(
        || {
            format!(
                "the forward scan ({} pairs, complete: {complete_forward})",
                seen.len()
            )
        },
        |m| {
            let first: Vec<_> = m
                .iter()
                .take(seen.len())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            first == seen && (!complete_forward || m.len() == seen.len())
        },
    );
    // Reverse scan.
    let mut back = Vec::new();
    let mut rev_failed = false;
    match db.iter() {
        Err(e) => {
            corrupt_only(e, "iter", &mut saw_corruption)?;
            rev_failed = true;
        }
        Ok(it) => {
            for kv in it.rev() {
                match kv {
                    Ok((k, v)) => back.push((k.to_vec(), v.to_vec())),
                    Err(e) => {
                        corrupt_only(e, "reverse scan", &mut saw_corruption)?;
                        rev_failed = true;
                        break;
                    }
                }
            }
        }
    }
    c.keep(
        || {
            format!(
                "the reverse scan ({} pairs, failed: {rev_failed})",
                back.len()
            )
        },
        |m| {
            let last: Vec<_> = m
                .iter()
                .rev()
                .take(back.len())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            last == back && (rev_failed || m.len() == back.len())
        },
    );
    // Point reads.
    for k in keys {
        match db.get(k) {
            Ok(v) => c.keep(
                || {
                    let want: Vec<String> = states
                        .iter()
                        .map(|m| text(m.get(k).map(Vec::as_slice)))
                        .collect();
                    format!(
                        "get({}) = {} but the allowed states say {want:?}",
                        String::from_utf8_lossy(k),
                        text(v.as_deref())
                    )
                },
                |m| m.get(k).map(Vec::as_slice) == v.as_deref(),
            ),
            Err(e) => corrupt_only(e, "get", &mut saw_corruption)?,
        }
    }
    if saw_corruption {
        fig.corrupt_reads += 1;
    }
    match c.alive.first() {
        Some(&i) if saw_corruption => Ok(usize::MAX - i),
        Some(&i) => Ok(i),
        None => Err(format!(
            "no allowed state matches the reads: {} (corruption seen: {saw_corruption})",
            c.culprit.unwrap_or_default()
        )),
    }
}

/// Flips `mask` into byte `pos` of `path` in a copy of `base`, reopens and reads.
#[allow(clippy::too_many_arguments)]
fn flip_once(
    compression: Compression,
    base: &SimFs,
    path: &Path,
    pos: usize,
    mask: u8,
    keys: &BTreeSet<Vec<u8>>,
    states: &[Map],
    fig: &mut Figures,
) -> Result<(), String> {
    let fs = base.fork();
    let mut bytes = fs.read_file(path).unwrap_or_default();
    if let Some(b) = bytes.get_mut(pos) {
        *b ^= mask;
    }
    fs.write_file(path, &bytes);
    fig.flips += 1;
    let db = match Db::open_with_fs(dir(), opts(compression), Arc::new(fs.clone())) {
        Ok(db) => db,
        Err(e) if e.is_corruption() => {
            fig.refused_open += 1;
            return Ok(());
        }
        Err(e) => return Err(format!("open: {e} (not Corruption)")),
    };
    let result = read_all(&db, keys, states, fig);
    let path_text = path.display().to_string();
    let _ = db.close();
    match result? {
        0 => {
            fig.clean += 1;
            fig.harmless.push(format!(
                "{compression:?} {path_text} byte {pos} ^ {mask:#04x}"
            ));
        }
        1 => {
            fig.dropped_final_wal_record += 1;
            return Err("the final WAL record was dropped as if torn".to_owned());
        }
        _ => {} // some reads met Corruption; the others agreed with an allowed state
    }
    Ok(())
}

/// Smoke: one bit per byte of small files and of the first and last bytes of the others,
/// a stride elsewhere. Long: every bit of every byte.
fn positions(len: usize, small: bool, long: bool) -> Vec<(usize, u8)> {
    let mut out = Vec::new();
    for pos in 0..len {
        if long {
            out.extend((0..8).map(|b| (pos, 1u8 << b)));
        } else if small || pos < 48 || pos + 96 >= len || pos % 13 == 0 {
            out.push((pos, 1u8 << (pos % 8)));
        }
    }
    out
}

/// One database, every chosen flip; returns the figures' text and the failures.
fn sweep(compression: Compression, long: bool, fig: &mut Figures) -> (String, Vec<String>) {
    let (base, history, in_wal) = build(compression);
    // Allowed states: everything, or everything but the final WAL record.
    let n = history.batches.len();
    let states: Vec<Map> = (0..=1).map(|j| history.state_at(n - j)).collect();
    assert!(in_wal >= 2);
    let mut keys: BTreeSet<Vec<u8>> = history
        .batches
        .iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect();
    keys.extend([b"".to_vec(), b"k999".to_vec(), b"zzz".to_vec()]);
    let mut whole = Map::new();
    for b in &history.batches {
        apply(&mut whole, b);
    }
    assert_eq!(states[0], whole);
    let files: Vec<(PathBuf, u64)> = base
        .files()
        .into_iter()
        .filter(|(_, len)| *len > 0)
        .collect();
    let mut failures = Vec::new();
    for (path, len) in &files {
        let name = path.to_string_lossy();
        let is_log = name.ends_with(".wal") || name.contains("MANIFEST-");
        let contents = base.read_file(path).unwrap_or_default();
        assert!(
            !is_log || contents.len() < 32 << 10,
            "logs fit in one block"
        );
        let small = *len <= 1024 || path.ends_with("CURRENT");
        for (pos, mask) in positions(*len as usize, small, long) {
            let r = flip_once(compression, &base, path, pos, mask, &keys, &states, fig);
            if let Err(e) = r {
                fig.wrong += 1;
                failures.push(format!(
                    "{compression:?}: {} byte {pos} ^ {mask:#04x}: {e}",
                    path.display()
                ));
            }
        }
    }
    let sizes: Vec<String> = files
        .iter()
        .map(|(p, l)| {
            format!(
                "{} {l} B",
                p.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            )
        })
        .collect();
    (format!("{compression:?} [{}]", sizes.join(", ")), failures)
}

#[test]
fn bit_flips_never_give_wrong_answers() {
    support::count_panics();
    let long = support::long_run();
    let mut fig = Figures::default();
    let mut failures = Vec::new();
    let mut databases = Vec::new();
    let variants: &[Compression] = if long {
        &[Compression::None, Compression::Lz4, Compression::Zstd]
    } else {
        &[Compression::None, Compression::Lz4]
    };
    let mut bytes = 0u64;
    for &c in variants {
        let before = fig.flips;
        let (what, f) = sweep(c, long, &mut fig);
        databases.push(format!("{what}: {} flips", fig.flips - before));
        failures.extend(f);
        bytes += build(c).0.files().iter().map(|(_, l)| l).sum::<u64>();
    }
    support::report(
        "bit_flips_never_give_wrong_answers",
        &format!(
            "{} flips over {bytes} bytes ({}): {} refused at open, {} with Corruption on a \
             read, {} read back whole, {} dropped the final WAL record; {} wrong answers, {} \
             panics",
            fig.flips,
            databases.join("; "),
            fig.refused_open,
            fig.corrupt_reads,
            fig.clean,
            fig.dropped_final_wal_record,
            fig.wrong,
            support::panics()
        ),
    );
    for h in &fig.harmless {
        eprintln!("NOTE a flip changed nothing visible: {h}");
    }
    for f in &failures {
        eprintln!("FAILURE {f}");
    }
    assert!(
        failures.is_empty(),
        "{} failures; first: {}",
        failures.len(),
        failures[0]
    );
    assert_eq!(support::panics(), 0, "a thread panicked");
}
