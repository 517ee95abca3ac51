//! `strata verify PATH`: a full, read-only check of a database directory.
//!
//! Replays the MANIFEST named by `CURRENT`, checks the version's invariants (level runs sorted
//! and disjoint), checks that every named SST exists at its recorded size, reads every block of
//! every SST (checksums, key order, index, filter, property counts) and compares its key range
//! and counts with the MANIFEST, then reads every record of every live WAL. Never opens the
//! database, so it takes no lock and writes nothing.
//!
//! Output: one `ok …` line per sound file, `note: …` lines for harmless findings (a torn WAL or
//! MANIFEST tail that recovery drops, an SST the MANIFEST does not name), then one
//! `problem: …` line per fault, each naming the file and an offset, and a summary line.
//! Exit status: 0 sound, 1 at least one problem, 2 the check could not run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;
use strata::filename::{FileKind, manifest_path, parse_file_name, table_path, wal_path};
use strata::tools::{self, FileSummary, ManifestSummary};

/// `strata verify`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Exit status: 0 sound, 1 problems found, 2 error.")]
pub struct VerifyArgs {
    /// Database directory.
    pub path: PathBuf,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// `strata verify`'s JSON flag.
#[derive(Debug, Clone, Args)]
pub struct JsonFlag {
    /// One JSON object instead of lines: `path`, `sound`, `ok`, `notes`, and `problems`
    /// (each with `file`, `offset` (null when none applies) and `reason`).
    #[arg(long)]
    pub json: bool,
}

/// One fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file holding it.
    pub file: String,
    /// The offset of the damaged structure, when one applies.
    pub offset: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

impl Problem {
    /// A fault at `offset` of `file`.
    pub fn at(file: &Path, offset: u64, reason: String) -> Problem {
        Problem {
            file: file.display().to_string(),
            offset: Some(offset),
            reason,
        }
    }

    /// A fault the engine reported.
    pub fn from_error(e: &strata::Error) -> Problem {
        match e {
            strata::Error::Corruption {
                file,
                offset,
                reason,
            } => Problem::at(file, *offset, reason.clone()),
            strata::Error::UnsupportedFormat { file, .. } => Problem {
                file: file.display().to_string(),
                offset: None,
                reason: e.to_string(),
            },
            strata::Error::Io { path, .. } => Problem {
                file: path.display().to_string(),
                offset: None,
                reason: e.to_string(),
            },
            other => Problem {
                file: String::new(),
                offset: None,
                reason: other.to_string(),
            },
        }
    }

    /// The line shown after `problem: `.
    pub fn text(&self) -> String {
        match self.offset {
            Some(o) => format!("{} at offset {o}: {}", self.file, self.reason),
            None => self.reason.clone(),
        }
    }
}

/// What the pass found.
#[derive(Debug, Default)]
pub struct Report {
    /// `ok …` lines.
    pub ok: Vec<String>,
    /// Harmless findings.
    pub notes: Vec<String>,
    /// Faults, each naming a file and (when one applies) an offset.
    pub problems: Vec<Problem>,
}

/// The numbers of the files of `kind` (as picked by `pick`) in `dir`, ascending.
pub fn numbered_files(dir: &Path, pick: fn(FileKind) -> Option<u64>) -> Result<Vec<u64>> {
    let mut numbers = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        if let Some(n) = name.to_str().and_then(parse_file_name).and_then(pick) {
            numbers.push(n);
        }
    }
    numbers.sort_unstable();
    Ok(numbers)
}

/// Picks SSTs.
pub fn sst(kind: FileKind) -> Option<u64> {
    match kind {
        FileKind::Table(n) => Some(n),
        _ => None,
    }
}

/// Picks WALs.
pub fn wal(kind: FileKind) -> Option<u64> {
    match kind {
        FileKind::Wal(n) => Some(n),
        _ => None,
    }
}

/// Level runs (level >= 1) must be sorted by key and disjoint.
fn check_runs(manifest: &Path, files: &[FileSummary], report: &mut Report) {
    for pair in files.windows(2) {
        if let [a, b] = pair
            && a.level >= 1
            && a.level == b.level
            && a.largest >= b.smallest
        {
            report.problems.push(Problem::at(
                manifest,
                0,
                format!(
                    "L{}: files {:06}.sst and {:06}.sst are out of order or overlap \
                 ({:?}..{:?} then {:?}..{:?})",
                    a.level, a.number, b.number, a.smallest, a.largest, b.smallest, b.largest
                ),
            ));
        }
    }
}

/// Checks one SST named by the MANIFEST.
fn check_table(dir: &Path, meta: &FileSummary, report: &mut Report) {
    let path = table_path(dir, meta.number);
    let shown = path.display();
    let size = match std::fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) => {
            report.problems.push(Problem::at(
                &path,
                0,
                format!(
                    "named by the MANIFEST (L{}) but cannot be read: {e}",
                    meta.level
                ),
            ));
            return;
        }
    };
    if size != meta.size {
        report.problems.push(Problem::at(
            &path,
            size.min(meta.size),
            format!("file is {size} bytes, the MANIFEST records {}", meta.size),
        ));
        return;
    }
    let entries = match tools::verify_table(&path) {
        Ok(n) => n,
        Err(e) => {
            report.problems.push(Problem::from_error(&e));
            return;
        }
    };
    match tools::open_table(&path) {
        Ok(t) => {
            let p = &t.props;
            let lo = strata::Bytes::copy_from_slice(strata::key::user_key(&p.smallest_key));
            let hi = strata::Bytes::copy_from_slice(strata::key::user_key(&p.largest_key));
            let same = (&lo, &hi, p.num_entries, p.num_deletions)
                == (
                    &meta.smallest,
                    &meta.largest,
                    meta.num_entries,
                    meta.num_deletions,
                );
            if !same || entries != p.num_entries {
                report.problems.push(Problem::at(
                    &path,
                    t.properties.0,
                    format!(
                        "properties ({:?}..{:?}, {} entries, {} tombstones) \
                     disagree with the MANIFEST ({:?}..{:?}, {} entries, {} tombstones)",
                        lo,
                        hi,
                        p.num_entries,
                        p.num_deletions,
                        meta.smallest,
                        meta.largest,
                        meta.num_entries,
                        meta.num_deletions
                    ),
                ));
                return;
            }
        }
        Err(e) => {
            report.problems.push(Problem::from_error(&e));
            return;
        }
    }
    report.ok.push(format!(
        "ok {shown}: L{}, {size} bytes, {entries} entries",
        meta.level
    ));
}

fn check_manifest(dir: &Path, m: &ManifestSummary, report: &mut Report) -> Result<()> {
    let manifest = manifest_path(dir, m.manifest_number);
    report.ok.push(format!(
        "ok {}: {} edits, {} live files, last seq {}",
        manifest.display(),
        m.edits,
        m.files.len(),
        m.last_sequence
    ));
    if m.torn_tail {
        report.notes.push(format!(
            "{}: ends in a torn record (dropped on open)",
            manifest.display()
        ));
    }
    if let Some(e) = &m.invariant_error {
        report.problems.push(Problem::at(&manifest, 0, e.clone()));
    }
    check_runs(&manifest, &m.files, report);
    for file in &m.files {
        check_table(dir, file, report);
    }
    for number in numbered_files(dir, sst)? {
        if !m.files.iter().any(|f| f.number == number) {
            report.notes.push(format!(
                "{}: not named by the MANIFEST (an orphan; deleted on open)",
                table_path(dir, number).display()
            ));
        }
    }
    Ok(())
}

fn check_wals(dir: &Path, log_number: u64, report: &mut Report) -> Result<()> {
    for number in numbered_files(dir, wal)? {
        let path = wal_path(dir, number);
        if number < log_number {
            report.notes.push(format!(
                "{}: obsolete (below log number {log_number}); not read",
                path.display()
            ));
            continue;
        }
        match tools::read_wal(&path) {
            Ok(w) => {
                report.ok.push(format!(
                    "ok {}: {} records, {} entries",
                    path.display(),
                    w.records,
                    w.entries
                ));
                if w.tail_torn {
                    report.notes.push(format!(
                        "{} at offset {}: torn tail of {} bytes (dropped on recovery)",
                        path.display(),
                        w.valid_len,
                        w.file_size.saturating_sub(w.valid_len)
                    ));
                }
            }
            Err(e) => report.problems.push(Problem::from_error(&e)),
        }
    }
    Ok(())
}

/// Checks the database in `dir`.
///
/// # Errors
/// The directory cannot be listed.
pub fn verify(dir: &Path) -> Result<Report> {
    if !dir.is_dir() {
        bail!("{} is not a database directory", dir.display());
    }
    let mut report = Report::default();
    let log_number = match tools::read_manifest(dir) {
        Ok(m) => {
            check_manifest(dir, &m, &mut report)?;
            m.log_number
        }
        Err(e) => {
            report.problems.push(Problem::from_error(&e));
            0
        }
    };
    check_wals(dir, log_number, &mut report)?;
    Ok(report)
}

/// Runs `verify`: prints the report; exit 0 when sound, 1 with problems.
///
/// # Errors
/// The check could not run (no such directory…).
pub fn run(args: &VerifyArgs) -> Result<ExitCode> {
    let report = verify(&args.path)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json.json {
        let problems: Vec<_> = report
            .problems
            .iter()
            .map(|p| serde_json::json!({"file": p.file, "offset": p.offset, "reason": p.reason}))
            .collect();
        let doc = serde_json::json!({
            "path": args.path.display().to_string(),
            "sound": report.problems.is_empty(),
            "ok": report.ok,
            "notes": report.notes,
            "problems": problems,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        out.flush()?;
        return Ok(if report.problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    for line in &report.ok {
        writeln!(out, "{line}")?;
    }
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
    }
    for problem in &report.problems {
        writeln!(out, "problem: {}", problem.text())?;
    }
    if report.problems.is_empty() {
        writeln!(out, "{}: sound", args.path.display())?;
        out.flush()?;
        Ok(ExitCode::SUCCESS)
    } else {
        writeln!(
            out,
            "{}: {} problem(s) found",
            args.path.display(),
            report.problems.len()
        )?;
        out.flush()?;
        Ok(ExitCode::from(1))
    }
}
