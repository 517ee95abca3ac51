//! `strata inspect DIR --open`: the engine's live statistics after the offline report.
//!
//! Job: a directory on disk keeps no cache counters, so `--open` opens the database with the
//! engine (as the one-shot `get` does: it takes the lock, recovers the WAL, runs no background
//! compaction), reads `Db::stats()` and closes it. The counters count since this open. Without
//! `--open` the text report ends with [`HINT`]. Single-threaded.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use strata::{CompactionOptions, Options, Stats};

use crate::open::{Mode, open_db};

/// The last line of a directory's text report without `--open`.
pub const HINT: &str = "cache statistics: none on disk; pass --open to open the database and \
                        print its live stats, or run `stats` in `strata shell`";

/// Opens the database at `dir`, takes its statistics and closes it.
///
/// # Errors
/// Opening (missing, locked, corrupt) or closing failed.
pub fn stats(dir: &Path) -> Result<Stats> {
    let options = Options {
        compaction: CompactionOptions::None,
        ..Options::default()
    };
    let db = open_db(dir, options, Mode::MustExist)?;
    let stats = db.stats();
    db.close().context("close")?;
    Ok(stats)
}

/// The text section: a heading, then the engine's `Stats` display.
pub fn lines(stats: &Stats) -> Vec<String> {
    let mut lines = vec![
        String::new(),
        "live stats (database opened with the engine; counters count since this open):".to_string(),
    ];
    lines.extend(stats.to_string().lines().map(str::to_string));
    lines
}

/// The `live_stats` object of `--json --open`.
pub fn json(s: &Stats) -> Value {
    json!({
        "block_cache": {
            "bytes": s.block_cache_bytes,
            "hits": s.block_cache_hits,
            "misses": s.block_cache_misses,
            "hit_rate": s.block_cache_hit_rate(),
            "bytes_inserted": s.block_cache_bytes_inserted,
        },
        "table_cache": {
            "hits": s.table_cache_hits,
            "misses": s.table_cache_misses,
        },
        "gets": {
            "count": s.gets,
            "tables_probed": s.get_tables_probed,
            "blocks_read": s.get_blocks_read,
            "bloom_checks": s.bloom_checks,
            "bloom_negatives": s.bloom_negatives,
            "blocks_read_per_get": s.blocks_read_per_get(),
            "tables_probed_per_get": s.tables_probed_per_get(),
        },
        "memtable_bytes": s.memtable_bytes,
        "frozen_memtables": s.frozen_memtables,
        "last_sequence": s.last_sequence,
        "levels": s.levels.iter().map(|l| json!({
            "level": l.level,
            "files": l.files,
            "bytes": l.bytes,
        })).collect::<Vec<_>>(),
    })
}
