//! `strata dump PATH`: a database's contents as rows, or one file's structure, annotated.
//!
//! PATH a file (`NNNNNN.sst`, `NNNNNN.wal`/`.log`, `MANIFEST-NNNNNN`, `CURRENT`; or any file
//! ending in the SST magic): every structure of it with offsets, decoded fields and checksums stored vs
//! computed (`--hex`: each field's raw bytes too), following docs/FORMAT.md; faults are
//! `!! BAD` lines and `problem: FILE at offset N: …` on stderr, exit 1. Never panics on bad
//! bytes: see `annotate::Cursor`.
//!
//! PATH a directory, default: opens the database normally (without background compaction, like the other
//! readers) and prints its live pairs as `{key:?}={value:?}` rows, the rows of `scan`.
//! `--raw`: does not open the database; for each live SST named by the MANIFEST (L0 newest
//! first, then each level in key order) prints a `# L{level} {number}.sst` header, then every
//! internal entry as `{key:?} @{seq} put={value:?}` or `{key:?} @{seq} del`. Bounds are
//! inclusive user keys.

use std::io::Write;
use std::ops::Bound;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use strata::filename::table_path;
use strata::key::ValueKind;
use strata::tools::{self, RawEntry};
use strata::{Bytes, CompactionOptions, Options};

use crate::open::{Mode, open_db};

mod annotate;
mod block;
mod current;
mod log;
mod manifest;
mod sst;
mod wal;

#[cfg(test)]
mod tests;

/// `strata dump`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "A FILE is dumped field by field: an SST's data blocks (entries with \
internal key, seq, kind, value), index, filter, properties, meta-index and footer; a WAL's \
fragments and write batches; a MANIFEST's fragments and VersionEdits; CURRENT's two lines. Exit status: 0, or 1 \
when the file is damaged (what decodes is still printed) or cannot be read."
)]
pub struct DumpArgs {
    /// Database directory, or one file: NNNNNN.sst, NNNNNN.wal, MANIFEST-NNNNNN, CURRENT.
    pub path: PathBuf,
    /// First key (inclusive; directories only).
    #[arg(long)]
    pub from: Option<String>,
    /// Last key (inclusive; directories only).
    #[arg(long)]
    pub to: Option<String>,
    /// Internal entries of every SST, with seq and kind, instead of live pairs (directories).
    #[arg(long)]
    pub raw: bool,
    /// Show each field's raw bytes in hex beside it (files only).
    #[arg(long)]
    pub hex: bool,
}

/// The kinds of file `dump FILE` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Sst,
    Wal,
    Manifest,
    Current,
}

fn file_kind(path: &std::path::Path, bytes: &[u8]) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".sst") {
        Some(FileKind::Sst)
    } else if name.ends_with(".wal") || name.ends_with(".log") {
        Some(FileKind::Wal)
    } else if name.starts_with("MANIFEST") {
        Some(FileKind::Manifest)
    } else if name == "CURRENT" {
        Some(FileKind::Current)
    } else if bytes.ends_with(b"STRATSST") {
        Some(FileKind::Sst)
    } else {
        None
    }
}

/// Dumps one file; exit 1 when it is damaged.
fn file(args: &DumpArgs, out: &mut impl Write) -> Result<ExitCode> {
    let path = &args.path;
    let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
    let kind = file_kind(path, &bytes).with_context(|| {
        format!(
            "{}: not a file dump knows (NNNNNN.sst, NNNNNN.wal, MANIFEST-NNNNNN or CURRENT)",
            path.display()
        )
    })?;
    let mut l = annotate::Listing::new(args.hex);
    let what = match kind {
        FileKind::Sst => "SST",
        FileKind::Wal => "WAL",
        FileKind::Manifest => "MANIFEST",
        FileKind::Current => "CURRENT",
    };
    writeln!(out, "{}: {what}, {} bytes", path.display(), bytes.len())?;
    match kind {
        FileKind::Sst => sst::dump(&mut l, &bytes),
        FileKind::Wal => wal::dump(&mut l, &bytes),
        FileKind::Manifest => manifest::dump(&mut l, &bytes),
        FileKind::Current => current::dump(&mut l, &bytes),
    }
    let (lines, problems, _notes) = l.lines();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    for p in &problems {
        eprintln!(
            "problem: {} at offset {}: {}",
            path.display(),
            p.offset,
            p.reason
        );
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One raw entry's row.
pub fn raw_row(e: &RawEntry<'_>) -> String {
    let key = Bytes::copy_from_slice(e.key);
    match e.kind {
        ValueKind::Put => format!(
            "{key:?} @{} put={:?}",
            e.seq,
            Bytes::copy_from_slice(e.value)
        ),
        ValueKind::Delete => format!("{key:?} @{} del", e.seq),
    }
}

fn live(args: &DumpArgs, out: &mut impl Write) -> Result<()> {
    let options = Options {
        compaction: CompactionOptions::None,
        ..Options::default()
    };
    let db = open_db(&args.path, options, Mode::MustExist)?;
    let bound = |key: &Option<String>| match key {
        Some(key) => Bound::Included(key.as_bytes().to_vec()),
        None => Bound::Unbounded,
    };
    let result = (|| -> Result<()> {
        for pair in db.range((bound(&args.from), bound(&args.to)))? {
            let (key, value) = pair?;
            writeln!(out, "{}", crate::shell::render::scan_row(&key, &value))?;
        }
        Ok(())
    })();
    let closed = db.close().context("close");
    result?;
    closed
}

fn raw(args: &DumpArgs, out: &mut impl Write) -> Result<()> {
    let m = tools::read_manifest(&args.path).context("read MANIFEST")?;
    let from = args.from.as_deref().map(str::as_bytes);
    let to = args.to.as_deref().map(str::as_bytes);
    for f in &m.files {
        writeln!(out, "# L{} {:06}.sst", f.level, f.number)?;
        let mut failed = None;
        tools::table_entries(&table_path(&args.path, f.number), from, to, |e| {
            if let Err(io) = writeln!(out, "{}", raw_row(&e)) {
                failed = Some(io);
            }
            Ok(())
        })?;
        if let Some(io) = failed {
            return Err(io.into());
        }
    }
    Ok(())
}

/// Runs `dump`.
///
/// # Errors
/// Opening or reading failed (rows already printed stay printed).
pub fn run(args: &DumpArgs) -> Result<ExitCode> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.path.is_file() {
        if args.raw || args.from.is_some() || args.to.is_some() {
            anyhow::bail!("--raw, --from and --to apply to a database directory, not one file");
        }
        return file(args, &mut out);
    }
    if args.hex {
        anyhow::bail!("--hex applies to one file (an .sst, .wal or MANIFEST), not a directory");
    }
    if args.raw {
        raw(args, &mut out)?;
    } else {
        live(args, &mut out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
