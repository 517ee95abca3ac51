//! Opening a database from the command line with messages a person can act on.
//!
//! Checks what the engine would otherwise answer vaguely or not at all: a path that is a file,
//! a read-only command on a directory that does not exist (the engine would create it), and a
//! database locked by another process.

use std::path::Path;

use anyhow::{Context, Result, bail};
use strata::{Db, Error, Options};

/// Whether opening may create the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Writers (`shell`, `put`, `del`, `bench`): a missing directory becomes a new database.
    CreateIfMissing,
    /// Readers (`get`, `scan`): a missing directory is an error, nothing is created.
    MustExist,
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}

/// Opens the database at `path`.
///
/// # Errors
/// The path is a file, or missing in [`Mode::MustExist`], or the engine refused (locked,
/// corrupt, foreign files…), each with the path in the message.
pub fn open_db(path: &Path, options: Options, mode: Mode) -> Result<Db> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_dir() => {
            bail!(
                "cannot open database at {}: it is not a directory",
                path.display()
            )
        }
        Ok(_) if mode == Mode::MustExist && is_empty_dir(path) => {
            bail!("no database at {}: the directory is empty", path.display())
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && mode == Mode::MustExist => {
            bail!(
                "no database at {}: the directory does not exist",
                path.display()
            )
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot open database at {}", path.display()));
        }
    }
    match Db::open(path, options) {
        Ok(db) => Ok(db),
        Err(Error::Locked(_)) => bail!(
            "cannot open database at {}: it is locked by another process (is a `strata shell` \
             or another program using it?)",
            path.display()
        ),
        Err(e) => Err(e).with_context(|| format!("cannot open database at {}", path.display())),
    }
}
