//! The MANIFEST's history for `strata inspect`: one line per VersionEdit, and compaction
//! statistics derived from it.
//!
//! Job: classify each edit (the snapshot that opens every MANIFEST, flush, compaction, trivial
//! move, scalars only), and add up per output level how many compactions ran, the bytes they
//! read (sizes of the files they removed) and wrote (sizes of the files they added), and how
//! many files moved without a rewrite (removed and re-added under the same number). Pure over
//! the edits; single-threaded. Sizes of removed files come from the edits that added them, so
//! only the history of the live MANIFEST counts (older MANIFESTs were folded into its
//! snapshot).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use strata::tools::EditSummary;

/// What one edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// The first record of a MANIFEST: the whole version.
    Snapshot,
    /// Files added, none removed.
    Flush,
    /// Files removed and (usually) others written.
    Compaction,
    /// Files removed and re-added under the same numbers at another level only.
    TrivialMove,
    /// Only scalars (log number, next file, last seq).
    Scalars,
}

impl EditKind {
    fn name(self) -> &'static str {
        match self {
            EditKind::Snapshot => "snapshot",
            EditKind::Flush => "flush",
            EditKind::Compaction => "compaction",
            EditKind::TrivialMove => "trivial move",
            EditKind::Scalars => "scalars",
        }
    }
}

/// Per-level compaction statistics (the level is the one the outputs went to).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelStats {
    /// Compactions (trivial moves included) whose outputs went to this level.
    pub compactions: u64,
    /// Files read (removed, not moved).
    pub files_in: u64,
    /// Bytes read.
    pub bytes_in: u64,
    /// Files written.
    pub files_out: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// Files moved into this level without a rewrite.
    pub files_moved: u64,
}

/// The classified history and the statistics.
#[derive(Debug, Default)]
pub struct History {
    /// Each edit with its kind.
    pub edits: Vec<(EditKind, EditSummary)>,
    /// Flushes (edits adding files and removing none, after the snapshot).
    pub flushes: u64,
    /// Bytes written by flushes.
    pub flush_bytes: u64,
    /// Compaction statistics by output level.
    pub levels: BTreeMap<u32, LevelStats>,
}

/// Classifies `edits` and derives the statistics.
pub fn analyse(edits: Vec<EditSummary>) -> History {
    let mut h = History::default();
    let mut sizes: HashMap<u64, u64> = HashMap::new();
    for (i, e) in edits.into_iter().enumerate() {
        let moved: Vec<u64> = e
            .added
            .iter()
            .map(|f| f.number)
            .filter(|n| e.deleted.iter().any(|(_, d)| d == n))
            .collect();
        let kind = if i == 0 {
            EditKind::Snapshot
        } else if e.deleted.is_empty() && e.added.is_empty() {
            EditKind::Scalars
        } else if e.deleted.is_empty() {
            EditKind::Flush
        } else if moved.len() == e.added.len() && moved.len() == e.deleted.len() {
            EditKind::TrivialMove
        } else {
            EditKind::Compaction
        };
        match kind {
            EditKind::Flush => {
                h.flushes += 1;
                h.flush_bytes += e.added.iter().map(|f| f.size).sum::<u64>();
            }
            EditKind::Compaction | EditKind::TrivialMove => {
                let level = e
                    .added
                    .first()
                    .map(|f| f.level)
                    .or_else(|| e.deleted.iter().map(|d| d.0).max())
                    .unwrap_or_default();
                let s = h.levels.entry(level).or_default();
                s.compactions += 1;
                s.files_moved += moved.len() as u64;
                for (_, n) in e.deleted.iter().filter(|(_, n)| !moved.contains(n)) {
                    s.files_in += 1;
                    s.bytes_in += sizes.get(n).copied().unwrap_or_default();
                }
                for f in e.added.iter().filter(|f| !moved.contains(&f.number)) {
                    s.files_out += 1;
                    s.bytes_out += f.size;
                }
            }
            EditKind::Snapshot | EditKind::Scalars => {}
        }
        for (_, n) in &e.deleted {
            sizes.remove(n);
        }
        for f in &e.added {
            sizes.insert(f.number, f.size);
        }
        h.edits.push((kind, e));
    }
    h
}

/// One edit as a line.
pub fn edit_line(i: usize, kind: EditKind, e: &EditSummary) -> String {
    let mut parts = vec![format!("  #{i} @{} {}:", e.offset, kind.name())];
    for (level, n) in &e.deleted {
        parts.push(format!("-L{level} {n:06}.sst"));
    }
    for f in &e.added {
        parts.push(format!("+L{} {:06}.sst ({} B)", f.level, f.number, f.size));
    }
    if let Some(v) = e.log_number {
        parts.push(format!("log_number={v}"));
    }
    if let Some(v) = e.next_file_number {
        parts.push(format!("next_file={v}"));
    }
    if let Some(v) = e.last_sequence {
        parts.push(format!("last_seq={v}"));
    }
    if let Some(order) = &e.tier_order {
        parts.push(format!("tier_order={order:?}"));
    }
    parts.join(" ")
}

/// The history and statistics as lines.
pub fn lines(h: &History) -> Vec<String> {
    let mut out = vec![format!("history: {} edits", h.edits.len())];
    for (i, (kind, e)) in h.edits.iter().enumerate() {
        out.push(edit_line(i, *kind, e));
    }
    out.push(format!(
        "compaction stats (from this MANIFEST's history): {} flushes, {} bytes flushed",
        h.flushes, h.flush_bytes
    ));
    for (level, s) in &h.levels {
        out.push(format!(
            "  L{level}: compactions={} in={} files/{} B out={} files/{} B moved={}",
            s.compactions, s.files_in, s.bytes_in, s.files_out, s.bytes_out, s.files_moved
        ));
    }
    out
}

/// The history and statistics as JSON: `(history, compaction_stats)`.
pub fn json(h: &History) -> (Value, Value) {
    let edits: Vec<Value> = h
        .edits
        .iter()
        .map(|(kind, e)| {
            json!({
                "offset": e.offset,
                "kind": kind.name(),
                "log_number": e.log_number,
                "next_file_number": e.next_file_number,
                "last_sequence": e.last_sequence,
                "deleted": e.deleted.iter().map(|(l, n)| json!({"level": l, "number": n})).collect::<Vec<_>>(),
                "added": e.added.iter().map(|f| json!({"level": f.level, "number": f.number, "size": f.size})).collect::<Vec<_>>(),
                "tier_order": e.tier_order,
            })
        })
        .collect();
    let levels: Vec<Value> = h
        .levels
        .iter()
        .map(|(level, s)| {
            json!({
                "level": level,
                "compactions": s.compactions,
                "files_in": s.files_in,
                "bytes_in": s.bytes_in,
                "files_out": s.files_out,
                "bytes_out": s.bytes_out,
                "files_moved": s.files_moved,
            })
        })
        .collect();
    let stats = json!({"flushes": h.flushes, "flush_bytes": h.flush_bytes, "levels": levels});
    (Value::Array(edits), stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata::Bytes;
    use strata::tools::FileSummary;

    fn file(level: u32, number: u64, size: u64) -> FileSummary {
        FileSummary {
            level,
            number,
            size,
            smallest: Bytes::from_static(b"a"),
            largest: Bytes::from_static(b"z"),
            smallest_seq: 1,
            largest_seq: 1,
            num_entries: 1,
            num_deletions: 0,
        }
    }

    fn edit(deleted: Vec<(u32, u64)>, added: Vec<FileSummary>) -> EditSummary {
        EditSummary {
            offset: 0,
            log_number: None,
            next_file_number: None,
            last_sequence: None,
            deleted,
            added,
            tier_order: None,
        }
    }

    #[test]
    fn flushes_compactions_and_moves_are_told_apart_and_counted() {
        let h = analyse(vec![
            edit(vec![], vec![file(0, 1, 100)]),
            edit(vec![], vec![file(0, 2, 200)]),
            edit(vec![(0, 1), (0, 2)], vec![file(1, 3, 250)]),
            edit(vec![(1, 3)], vec![file(2, 3, 250)]),
            edit(vec![], vec![]),
        ]);
        let kinds: Vec<_> = h.edits.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [
                EditKind::Snapshot,
                EditKind::Flush,
                EditKind::Compaction,
                EditKind::TrivialMove,
                EditKind::Scalars
            ]
        );
        assert_eq!((h.flushes, h.flush_bytes), (1, 200));
        let l1 = LevelStats {
            compactions: 1,
            files_in: 2,
            bytes_in: 300,
            files_out: 1,
            bytes_out: 250,
            files_moved: 0,
        };
        assert_eq!(h.levels[&1], l1);
        let l2 = LevelStats {
            compactions: 1,
            files_moved: 1,
            ..LevelStats::default()
        };
        assert_eq!(h.levels[&2], l2);
    }
}
