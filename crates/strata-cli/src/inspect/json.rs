//! `strata inspect --json`: the directory or SST summary as one JSON object.
//!
//! Job: the same facts as the text form, with stable field names (documented on
//! `InspectArgs::json`). Keys are shown with `output::insert_bytes` (text, or `*_hex` when not
//! UTF-8). Single-threaded; reads files only through `strata::tools`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};
use strata::filename::{manifest_path, wal_path};
use strata::key::user_key;
use strata::tools::{self, FileSummary, TableSummary};

use super::history;
use crate::output::insert_bytes;
use crate::verify::{numbered_files, wal};

fn file_json(f: &FileSummary) -> Value {
    let mut m = Map::new();
    m.insert("level".into(), json!(f.level));
    m.insert("number".into(), json!(f.number));
    m.insert("size".into(), json!(f.size));
    insert_bytes(&mut m, "smallest", &f.smallest, false);
    insert_bytes(&mut m, "largest", &f.largest, false);
    m.insert("entries".into(), json!(f.num_entries));
    m.insert("tombstones".into(), json!(f.num_deletions));
    m.insert("smallest_seq".into(), json!(f.smallest_seq));
    m.insert("largest_seq".into(), json!(f.largest_seq));
    Value::Object(m)
}

/// One SST's summary.
pub fn table_json(path: &Path, t: &TableSummary) -> Value {
    let h = |(offset, size): (u64, u64)| json!({"offset": offset, "size": size});
    let p = &t.props;
    let mut props = Map::new();
    props.insert("entries".into(), json!(p.num_entries));
    props.insert("tombstones".into(), json!(p.num_deletions));
    props.insert("distinct_keys".into(), json!(p.num_distinct_keys));
    props.insert("data_blocks".into(), json!(p.num_data_blocks));
    props.insert("data_bytes".into(), json!(p.data_bytes));
    props.insert("raw_data_bytes".into(), json!(p.raw_data_bytes));
    props.insert("raw_key_bytes".into(), json!(p.raw_key_bytes));
    props.insert("raw_value_bytes".into(), json!(p.raw_value_bytes));
    props.insert("smallest_seq".into(), json!(p.smallest_seq));
    props.insert("largest_seq".into(), json!(p.largest_seq));
    props.insert("compression".into(), json!(format!("{:?}", p.compression)));
    props.insert("block_size".into(), json!(p.block_size));
    props.insert("restart_interval".into(), json!(p.restart_interval));
    props.insert("bloom_bits_per_key".into(), json!(p.bloom_bits_per_key));
    insert_bytes(&mut props, "smallest_key", user_key(&p.smallest_key), false);
    insert_bytes(&mut props, "largest_key", user_key(&p.largest_key), false);
    json!({
        "table": path.display().to_string(),
        "size": t.size,
        "format_version": t.format_version,
        "footer_offset": t.footer_offset,
        "meta_index": h(t.meta_index),
        "index": h(t.index),
        "index_entries": t.index_entries,
        "properties_block": h(t.properties),
        "filter": t.filter.map(h),
        "data_end": t.data_end,
        "properties": Value::Object(props),
    })
}

/// A directory's summary, and whether every file could be read.
fn dir_json(dir: &Path) -> Result<(Value, bool)> {
    let mut sound = true;
    let m = tools::read_manifest(dir).context("read MANIFEST")?;
    let name = manifest_path(dir, m.manifest_number)
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut levels: Vec<Value> = Vec::new();
    let mut level_of: Option<u32> = None;
    for f in &m.files {
        if level_of != Some(f.level) {
            level_of = Some(f.level);
            levels.push(json!({"level": f.level, "files": [], "bytes": 0}));
        }
        if let Some(Value::Object(l)) = levels.last_mut() {
            let bytes = l.get("bytes").and_then(Value::as_u64).unwrap_or_default() + f.size;
            l.insert("bytes".into(), json!(bytes));
            if let Some(Value::Array(files)) = l.get_mut("files") {
                files.push(file_json(f));
            }
        }
    }
    let mut wals = Vec::new();
    for number in numbered_files(dir, wal)? {
        let obsolete = number < m.log_number;
        match tools::read_wal(&wal_path(dir, number)) {
            Ok(w) => wals.push(json!({
                "number": number, "obsolete": obsolete, "size": w.file_size,
                "records": w.records, "entries": w.entries, "tombstones": w.deletions,
                "smallest_seq": w.smallest_seq, "largest_seq": w.largest_seq,
                "torn_tail": w.tail_torn,
            })),
            Err(e) => {
                sound = false;
                eprintln!("error: {e}");
                wals.push(json!({"number": number, "obsolete": obsolete, "error": e.to_string()}));
            }
        }
    }
    let (history, stats) = match tools::manifest_history(dir) {
        Ok((edits, _)) => history::json(&history::analyse(edits)),
        Err(e) => {
            sound = false;
            eprintln!("error: {e}");
            (Value::Null, Value::Null)
        }
    };
    let doc = json!({
        "manifest": {
            "name": name, "edits": m.edits, "log_number": m.log_number,
            "next_file_number": m.next_file_number, "last_sequence": m.last_sequence,
            "torn_tail": m.torn_tail, "invariant_error": m.invariant_error,
        },
        "levels": levels,
        "wals": wals,
        "history": history,
        "compaction_stats": stats,
    });
    Ok((doc, sound))
}

/// Runs `inspect --json`.
///
/// # Errors
/// As the text form.
pub fn run(path: &Path, open: bool) -> Result<ExitCode> {
    let (doc, sound) = if path.is_dir() {
        let (mut doc, sound) = dir_json(path)?;
        if open && let Value::Object(map) = &mut doc {
            map.insert(
                "live_stats".into(),
                super::live::json(&super::live::stats(path)?),
            );
        }
        (doc, sound)
    } else {
        let t = tools::open_table(path).with_context(|| format!("inspect {}", path.display()))?;
        (table_json(path, &t), true)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    out.flush()?;
    Ok(if sound {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
