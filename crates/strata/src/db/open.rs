//! Opening a database: create or recover.
//!
//! Steps (SPEC §6): create the directory if missing → take the `LOCK` → classify the entries
//! (no Strata files: a new database; Strata files without `CURRENT`: `Corruption`, unless
//! only an interrupted creation's MANIFEST is there; foreign files without `CURRENT`:
//! `InvalidArgument`) → replay the MANIFEST → check every named SST exists at its recorded
//! size → replay the live WALs (number >= `log_number`) in order, one memtable per WAL →
//! start a fresh MANIFEST holding a snapshot (then `CURRENT` → it) → create the new WAL and
//! fsync the directory → flush the recovered memtables (each flush retires its WAL) → delete
//! orphans (unnamed SSTs, obsolete WALs and MANIFESTs, temporaries; never unknown files).

use std::path::Path;
use std::sync::Arc;

use crate::batch::decode_wal_record;
use crate::cache::{BlockCache, TableCache};
use crate::db::state::{DbInner, SuperVersion};
use crate::error::{Error, Result};
use crate::filename::{self, FileKind};
use crate::fs::FileSystem;
use crate::memtable::MemTable;
use crate::options::Options;
use crate::version::Version;
use crate::version::manifest::{self, ManifestWriter};
use crate::wal::{LogReader, LogWriter};

struct Listing {
    has_current: bool,
    tables: Vec<u64>,
    wals: Vec<u64>,
    manifests: Vec<u64>,
    temps: Vec<String>,
    foreign: Vec<String>,
    max_number: u64,
}

fn list_dir(fs: &dyn FileSystem, dir: &Path) -> Result<Listing> {
    let mut l = Listing {
        has_current: false,
        tables: Vec::new(),
        wals: Vec::new(),
        manifests: Vec::new(),
        temps: Vec::new(),
        foreign: Vec::new(),
        max_number: 0,
    };
    for name in fs.list(dir)? {
        match filename::parse_file_name(&name) {
            Some(FileKind::Current) => l.has_current = true,
            Some(FileKind::Lock) => {}
            Some(FileKind::Temp) => l.temps.push(name),
            Some(FileKind::Table(n)) => {
                l.tables.push(n);
                l.max_number = l.max_number.max(n);
            }
            Some(FileKind::Wal(n)) => {
                l.wals.push(n);
                l.max_number = l.max_number.max(n);
            }
            Some(FileKind::Manifest(n)) => {
                l.manifests.push(n);
                l.max_number = l.max_number.max(n);
            }
            None => l.foreign.push(name),
        }
    }
    l.wals.sort_unstable();
    Ok(l)
}

/// Opens (creating or recovering) the database at `dir`.
pub(crate) fn open(dir: &Path, opts: Options, fs: Arc<dyn FileSystem>) -> Result<Arc<DbInner>> {
    opts.validate()?;
    if fs.exists(dir) && !fs.is_dir(dir) {
        return Err(Error::InvalidArgument(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    fs.create_dir_all(dir)?;
    let lock = fs.lock(&dir.join(filename::LOCK))?;
    let listing = list_dir(fs.as_ref(), dir)?;
    let max_levels = opts.max_levels();

    let interrupted_creation =
        !listing.has_current && listing.tables.is_empty() && listing.wals.is_empty();
    let (version, mut next_file, mut last_seq, log_number) = if listing.has_current {
        let number = manifest::read_current(fs.as_ref(), dir)?.ok_or_else(|| {
            Error::corruption(dir.join(filename::CURRENT), 0, "CURRENT disappeared")
        })?;
        let state = manifest::replay(fs.as_ref(), dir, number, max_levels)?;
        (
            state.version,
            state.next_file_number,
            state.last_sequence,
            state.log_number,
        )
    } else if !interrupted_creation {
        return Err(Error::corruption(
            dir.join(filename::CURRENT),
            0,
            "the directory holds Strata files but no CURRENT",
        ));
    } else if !listing.foreign.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{} is not a Strata database (it holds {:?})",
            dir.display(),
            listing.foreign.iter().take(3).collect::<Vec<_>>()
        )));
    } else {
        (Version::new(max_levels), 1, 0, 0)
    };
    next_file = next_file.max(listing.max_number + 1);

    // Every SST the MANIFEST names must exist at its recorded size.
    for (_, f) in version.all_files() {
        let path = filename::table_path(dir, f.number);
        let size = fs.file_size(&path).map_err(|e| match e {
            Error::Io { ref source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Error::corruption(&path, 0, "the MANIFEST names this table but it is missing")
            }
            other => other,
        })?;
        if size != f.size {
            return Err(Error::corruption(
                &path,
                0,
                format!("table is {size} bytes, the MANIFEST recorded {}", f.size),
            ));
        }
    }

    // Replay the live WALs, one memtable each, oldest first.
    let mut recovered: Vec<Arc<MemTable>> = Vec::new();
    for &number in listing.wals.iter().filter(|&&n| n >= log_number) {
        let mem = Arc::new(MemTable::with_size_hint(number, opts.memtable_size)?);
        last_seq = last_seq.max(replay_wal(fs.as_ref(), dir, number, &mem)?);
        recovered.push(mem);
    }
    recovered.reverse(); // newest first, as `imms` are kept

    // A fresh MANIFEST with a snapshot; CURRENT points at it once it is durable.
    let wal_number = next_file;
    let manifest_number = next_file + 1;
    next_file += 2;
    let mut snapshot = version.snapshot_edit();
    snapshot.log_number = Some(recovered.last().map_or(wal_number, |m| m.id()));
    snapshot.next_file_number = Some(next_file);
    snapshot.last_sequence = Some(last_seq);
    let manifest = ManifestWriter::create(Arc::clone(&fs), dir, manifest_number, &snapshot)?;

    // The new WAL exists, and its directory entry is durable, before it takes writes.
    let wal = if opts.enable_wal {
        let path = filename::wal_path(dir, wal_number);
        let file = if opts.wal_mmap {
            fs.create_log(&path)?
        } else {
            fs.create(&path)?
        };
        fs.sync_dir(dir)?;
        Some(LogWriter::new(file, path))
    } else {
        None
    };

    let block_cache =
        (opts.block_cache_size > 0).then(|| Arc::new(BlockCache::new(opts.block_cache_size)));
    let table_cache = TableCache::new(
        Arc::clone(&fs),
        dir.to_path_buf(),
        opts.max_open_files,
        block_cache,
    );
    let sv = SuperVersion {
        mem: Arc::new(MemTable::with_size_hint(wal_number, opts.memtable_size)?),
        imms: recovered,
        version: Arc::new(version),
    };
    let inner = Arc::new(DbInner::new(
        dir.to_path_buf(),
        opts,
        Arc::clone(&fs),
        table_cache,
        sv,
        last_seq,
        next_file,
        manifest,
        wal,
        lock,
    ));
    // Recovered memtables become L0 files; each flush retires its WAL after its edit.
    inner.flush_all_frozen()?;
    delete_orphans(&inner, &listing, manifest_number)?;
    Ok(inner)
}

/// Replays one WAL into `mem`; returns the largest seq seen (0 if none).
pub(crate) fn replay_wal(
    fs: &dyn FileSystem,
    dir: &Path,
    number: u64,
    mem: &MemTable,
) -> Result<u64> {
    let path = filename::wal_path(dir, number);
    let mut reader = LogReader::open(fs, &path)?;
    let mut max_seq = 0;
    loop {
        let Some(payload) = reader.read_record()? else {
            break;
        };
        let offset = reader.last_record_offset();
        let bad = || Error::corruption(&path, offset, "malformed WAL record payload");
        // Checks the version, `count >= 1` and `first_seq + count - 1 <= MAX_SEQUENCE`.
        let record = decode_wal_record(&payload).ok_or_else(bad)?;
        let last = record.last_seq;
        // Decode the whole record before applying any of it: a batch is all or nothing.
        let mut records = record.records;
        let decoded: Vec<_> = records.by_ref().collect();
        if !records.finished_cleanly() {
            return Err(bad());
        }
        for (i, rec) in decoded.into_iter().enumerate() {
            mem.add(record.first_seq + i as u64, rec.kind, rec.key, rec.value)?;
        }
        max_seq = max_seq.max(last);
    }
    if reader.tail_torn() {
        if reader.tail_is_zeros()? {
            // A mapped WAL's preallocated space, left by a crash (or a write never begun).
            tracing::debug!(wal = %path.display(), valid = reader.valid_len(), "WAL ends in unwritten (zero) space");
        } else {
            tracing::warn!(wal = %path.display(), valid = reader.valid_len(), "WAL ends in a torn record; dropped it");
        }
    }
    Ok(max_seq)
}

fn delete_orphans(inner: &DbInner, listing: &Listing, manifest_number: u64) -> Result<()> {
    let live: std::collections::HashSet<u64> = inner
        .current()
        .version
        .all_files()
        .map(|(_, f)| f.number)
        .collect();
    let min_wal = inner.min_live_wal();
    let dir = &inner.dir;
    let mut removed = false;
    let mut remove = |path: std::path::PathBuf| {
        if inner.fs.exists(&path) {
            match inner.fs.remove(&path) {
                Ok(()) => removed = true,
                Err(e) => tracing::warn!(error = %e, "could not delete an orphan"),
            }
        }
    };
    for &n in listing.tables.iter().filter(|n| !live.contains(n)) {
        remove(filename::table_path(dir, n));
    }
    for &n in listing.wals.iter().filter(|&&n| n < min_wal) {
        remove(filename::wal_path(dir, n));
    }
    for &n in listing.manifests.iter().filter(|&&n| n != manifest_number) {
        remove(filename::manifest_path(dir, n));
    }
    for name in &listing.temps {
        remove(dir.join(name));
    }
    if removed {
        inner.fs.sync_dir(dir)?;
    }
    Ok(())
}
