//! One-shot commands: `strata get|put|del|scan --path DIR …`.
//!
//! Each opens the database (without background compaction: a one-shot command should not start
//! rewriting the tree it only visits), does one thing, closes it, and exits. Readers never create
//! a database. Output: `get` prints the raw value, `scan` prints rows like the shell's
//! (`b"key"=b"value"`); `--hex` prints hex, `--json` prints JSON (one object per pair for
//! `scan`). Nothing but results goes to stdout.

use std::io::Write;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::{Map, Value};
use strata::{Bytes, CompactionOptions, Db, Options};

use crate::open::{Mode, open_db};
use crate::output::{hex, insert_bytes};

/// Output format flags of the reading commands.
#[derive(Debug, Clone, Args)]
pub struct Format {
    /// Print keys and values as lowercase hex.
    #[arg(long)]
    pub hex: bool,
    /// Print JSON: text fields for UTF-8 bytes, `*_hex` fields otherwise (or with --hex).
    #[arg(long)]
    pub json: bool,
}

/// `strata get`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Exit status: 0 found, 1 not found, 2 error.")]
pub struct GetArgs {
    /// Database directory (must exist).
    #[arg(long, default_value = "lsm.db")]
    pub path: PathBuf,
    /// The key.
    pub key: String,
    #[command(flatten)]
    pub format: Format,
}

/// `strata put`.
#[derive(Debug, Clone, Args)]
pub struct PutArgs {
    /// Database directory (created if missing).
    #[arg(long, default_value = "lsm.db")]
    pub path: PathBuf,
    /// The key.
    pub key: String,
    /// The value (may be empty: "").
    pub value: String,
}

/// `strata del`.
#[derive(Debug, Clone, Args)]
pub struct DelArgs {
    /// Database directory (created if missing).
    #[arg(long, default_value = "lsm.db")]
    pub path: PathBuf,
    /// The key.
    pub key: String,
}

/// `strata scan`.
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Database directory (must exist).
    #[arg(long, default_value = "lsm.db")]
    pub path: PathBuf,
    /// First key (inclusive).
    #[arg(long, conflicts_with = "prefix")]
    pub from: Option<String>,
    /// Last key (inclusive).
    #[arg(long, conflicts_with = "prefix")]
    pub to: Option<String>,
    /// Only keys starting with this prefix.
    #[arg(long)]
    pub prefix: Option<String>,
    /// Stop after this many pairs.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Descending key order.
    #[arg(long)]
    pub reverse: bool,
    #[command(flatten)]
    pub format: Format,
}

fn open(path: &Path, mode: Mode) -> Result<Db> {
    open_db(
        path,
        Options {
            compaction: CompactionOptions::None,
            ..Options::default()
        },
        mode,
    )
}

fn close(db: &Db) -> Result<()> {
    db.close().context("close")
}

/// Runs `get`. Not found → exit 1 (and `{"found":false}` with `--json`).
///
/// # Errors
/// Opening or reading failed.
pub fn get(args: &GetArgs) -> Result<ExitCode> {
    let db = open(&args.path, Mode::MustExist)?;
    let value = db
        .get(&args.key)
        .with_context(|| format!("get {}", args.key));
    let closed = close(&db);
    let value = value?;
    closed?;
    let mut out = std::io::stdout().lock();
    if args.format.json {
        let mut map = Map::new();
        insert_bytes(&mut map, "key", args.key.as_bytes(), args.format.hex);
        map.insert("found".into(), Value::Bool(value.is_some()));
        if let Some(value) = &value {
            insert_bytes(&mut map, "value", value, args.format.hex);
        }
        writeln!(out, "{}", Value::Object(map))?;
    } else if let Some(value) = &value {
        if args.format.hex {
            writeln!(out, "{}", hex(value))?;
        } else {
            out.write_all(value)?;
            out.write_all(b"\n")?;
        }
    } else {
        eprintln!("{} not found", args.key);
    }
    out.flush()?;
    Ok(if value.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs `put`: silent on success.
///
/// # Errors
/// Opening, writing or closing failed.
pub fn put(args: &PutArgs) -> Result<ExitCode> {
    let db = open(&args.path, Mode::CreateIfMissing)?;
    let result = db
        .put(&args.key, &args.value)
        .with_context(|| format!("put {}", args.key));
    let closed = close(&db);
    result?;
    closed?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `del`: silent on success (deleting an absent key succeeds).
///
/// # Errors
/// Opening, writing or closing failed.
pub fn del(args: &DelArgs) -> Result<ExitCode> {
    let db = open(&args.path, Mode::CreateIfMissing)?;
    let result = db
        .delete(&args.key)
        .with_context(|| format!("del {}", args.key));
    let closed = close(&db);
    result?;
    closed?;
    Ok(ExitCode::SUCCESS)
}

/// One scanned pair in the chosen format.
fn scan_line(key: &Bytes, value: &Bytes, format: &Format) -> String {
    if format.json {
        let mut map = Map::new();
        insert_bytes(&mut map, "key", key, format.hex);
        insert_bytes(&mut map, "value", value, format.hex);
        Value::Object(map).to_string()
    } else if format.hex {
        format!("{} {}", hex(key), hex(value))
    } else {
        crate::shell::render::scan_row(key, value)
    }
}

fn scan_rows(db: &Db, args: &ScanArgs) -> Result<()> {
    let iter = match &args.prefix {
        Some(prefix) => db.prefix(prefix)?,
        None => {
            let bound = |key: &Option<String>| match key {
                Some(key) => Bound::Included(key.as_bytes().to_vec()),
                None => Bound::Unbounded,
            };
            db.range((bound(&args.from), bound(&args.to)))?
        }
    };
    let iter: Box<dyn Iterator<Item = strata::Result<(Bytes, Bytes)>>> = if args.reverse {
        Box::new(iter.rev())
    } else {
        Box::new(iter)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for pair in iter.take(usize::try_from(args.limit.unwrap_or(u64::MAX)).unwrap_or(usize::MAX)) {
        let (key, value) = pair?;
        writeln!(out, "{}", scan_line(&key, &value, &args.format))?;
    }
    out.flush()?;
    Ok(())
}

/// Runs `scan`.
///
/// # Errors
/// Opening, reading or closing failed (rows already printed stay printed).
pub fn scan(args: &ScanArgs) -> Result<ExitCode> {
    let db = open(&args.path, Mode::MustExist)?;
    let result = scan_rows(&db, args).context("scan");
    let closed = close(&db);
    result?;
    closed?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_lines_in_each_format() {
        let key = Bytes::from_static(b"k1");
        let value = Bytes::from_static(b"\xff");
        let plain = Format {
            hex: false,
            json: false,
        };
        let hexed = Format {
            hex: true,
            json: false,
        };
        let json = Format {
            hex: false,
            json: true,
        };
        assert_eq!(scan_line(&key, &value, &plain), r#"b"k1"=b"\xff""#);
        assert_eq!(scan_line(&key, &value, &hexed), "6b31 ff");
        assert_eq!(
            scan_line(&key, &value, &json),
            r#"{"key":"k1","value_hex":"ff"}"#
        );
    }
}
