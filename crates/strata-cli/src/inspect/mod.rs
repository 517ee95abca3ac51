//! `strata inspect PATH`: what a database directory or one SST holds, read-only.
//!
//! For a directory: the MANIFEST's scalars, each level's files (number, size, user-key range,
//! entry and tombstone counts, seq range), each WAL with its record counts, then the
//! MANIFEST's history edit by edit and compaction statistics derived from it (`history`).
//! `--json`: the same as one JSON object (`json`). For one `.sst`
//! file: its footer, section layout, index summary and properties. Never opens the database
//! (no lock, no writes) unless `--open` asks for the engine's live statistics, cache counters
//! included, after the offline report (`live`); without it a directory's report ends with a
//! one-line hint. Exit status: 0, or 1 when a file could not be read (the rest is still
//! printed, with `error: …` lines on stderr naming file and offset).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use strata::Bytes;
use strata::filename::{manifest_path, wal_path};
use strata::key::user_key;
use strata::tools::{self, FileSummary, TableSummary};

use crate::verify::{numbered_files, wal};

mod history;
mod json;
mod live;

/// `strata inspect`.
#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// Database directory, or one `.sst` file.
    pub path: PathBuf,
    /// One JSON object instead of lines (directory: `manifest`, `levels`, `wals`, `history`,
    /// `compaction_stats`, with --open also `live_stats`; SST: the footer, layout and
    /// properties).
    #[arg(long)]
    pub json: bool,
    /// After the offline report, open the database with the engine (takes its lock and
    /// recovers the WAL, like `get`; no compaction runs) and print its live stats: levels,
    /// block and table cache counters, gets and bloom checks since the open. Directories only.
    #[arg(long)]
    pub open: bool,
}

/// One file's row: `000007.sst size=… keys=b"a"..b"b" entries=… tombstones=… seqs=…..…`.
pub fn file_row(f: &FileSummary) -> String {
    format!(
        "  {:06}.sst size={} keys={:?}..{:?} entries={} tombstones={} seqs={}..{}",
        f.number,
        f.size,
        f.smallest,
        f.largest,
        f.num_entries,
        f.num_deletions,
        f.smallest_seq,
        f.largest_seq
    )
}

/// The lines describing one SST.
pub fn table_lines(t: &TableSummary) -> Vec<String> {
    let h = |(offset, size): (u64, u64)| format!("offset={offset} size={size}");
    let filter = t.filter.map_or_else(|| "none".to_string(), h);
    let p = &t.props;
    vec![
        format!("size: {}", t.size),
        format!(
            "footer: offset={} format_version={}",
            t.footer_offset, t.format_version
        ),
        format!("meta-index: {}", h(t.meta_index)),
        format!("index: {} entries={}", h(t.index), t.index_entries),
        format!("properties: {}", h(t.properties)),
        format!("filter: {filter}"),
        format!("data: offset=0 size={}", t.data_end),
        format!("entries: {}", p.num_entries),
        format!("tombstones: {}", p.num_deletions),
        format!("distinct keys: {}", p.num_distinct_keys),
        format!(
            "keys: {:?}..{:?}",
            Bytes::copy_from_slice(user_key(&p.smallest_key)),
            Bytes::copy_from_slice(user_key(&p.largest_key))
        ),
        format!("seqs: {}..{}", p.smallest_seq, p.largest_seq),
        format!("data blocks: {}", p.num_data_blocks),
        format!("data bytes: {} (raw {})", p.data_bytes, p.raw_data_bytes),
        format!("raw key bytes: {}", p.raw_key_bytes),
        format!("raw value bytes: {}", p.raw_value_bytes),
        format!("compression: {:?}", p.compression),
        format!("block size: {}", p.block_size),
        format!("restart interval: {}", p.restart_interval),
        format!("bloom bits per key: {}", p.bloom_bits_per_key),
    ]
}

/// The lines describing a database directory, and whether every file could be read.
fn dir_lines(dir: &Path) -> Result<(Vec<String>, bool)> {
    let mut lines = Vec::new();
    let mut sound = true;
    let m = tools::read_manifest(dir).context("read MANIFEST")?;
    lines.push(format!(
        "manifest: {} edits={} log_number={} next_file={} last_seq={}",
        manifest_path(dir, m.manifest_number)
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        m.edits,
        m.log_number,
        m.next_file_number,
        m.last_sequence
    ));
    let mut level = None;
    for (i, f) in m.files.iter().enumerate() {
        if level != Some(f.level) {
            level = Some(f.level);
            let same: Vec<_> = m.files[i..]
                .iter()
                .take_while(|g| g.level == f.level)
                .collect();
            let bytes: u64 = same.iter().map(|g| g.size).sum();
            lines.push(format!(
                "L{}: {} files, {} bytes",
                f.level,
                same.len(),
                bytes
            ));
        }
        lines.push(file_row(f));
    }
    for number in numbered_files(dir, wal)? {
        let path = wal_path(dir, number);
        let obsolete = if number < m.log_number {
            " (obsolete)"
        } else {
            ""
        };
        match tools::read_wal(&path) {
            Ok(w) => lines.push(format!(
                "wal {number:06}.wal{obsolete} size={} records={} entries={} tombstones={} \
                 seqs={}..{}{}",
                w.file_size,
                w.records,
                w.entries,
                w.deletions,
                w.smallest_seq,
                w.largest_seq,
                if w.tail_torn { " torn-tail" } else { "" }
            )),
            Err(e) => {
                sound = false;
                eprintln!("error: {e}");
                lines.push(format!("wal {number:06}.wal{obsolete} unreadable"));
            }
        }
    }
    match tools::manifest_history(dir) {
        Ok((edits, _torn)) => lines.extend(history::lines(&history::analyse(edits))),
        Err(e) => {
            sound = false;
            eprintln!("error: {e}");
        }
    }
    Ok((lines, sound))
}

/// Runs `inspect`.
///
/// # Errors
/// The path is missing, or the MANIFEST or the SST cannot be read.
pub fn run(args: &InspectArgs) -> Result<ExitCode> {
    let path = &args.path;
    if args.open && !path.is_dir() {
        bail!(
            "--open needs a database directory; {} is not one",
            path.display()
        );
    }
    if args.json {
        return json::run(path, args.open);
    }
    let (lines, sound) = if path.is_dir() {
        let (mut lines, sound) = dir_lines(path)?;
        if args.open {
            lines.extend(live::lines(&live::stats(path)?));
        } else {
            lines.push(live::HINT.to_string());
        }
        (lines, sound)
    } else {
        let t = tools::open_table(path).with_context(|| format!("inspect {}", path.display()))?;
        let mut lines = vec![format!("table: {}", path.display())];
        lines.extend(table_lines(&t));
        (lines, true)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(if sound {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
