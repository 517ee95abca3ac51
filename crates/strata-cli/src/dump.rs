//! `strata dump PATH [--from K] [--to K] [--raw]`: a database's contents as rows.
//!
//! Default: opens the database normally (without background compaction, like the other
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

/// `strata dump`.
#[derive(Debug, Clone, Args)]
pub struct DumpArgs {
    /// Database directory.
    pub path: PathBuf,
    /// First key (inclusive).
    #[arg(long)]
    pub from: Option<String>,
    /// Last key (inclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Internal entries of every SST, with seq and kind, instead of live pairs.
    #[arg(long)]
    pub raw: bool,
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
    if args.raw {
        raw(args, &mut out)?;
    } else {
        live(args, &mut out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
