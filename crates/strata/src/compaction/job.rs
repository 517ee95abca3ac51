//! The compaction job: merge inputs, drop what no reader can see, write split outputs.
//!
//! Also used by flush (one memtable in, one L0 file out, never split, never bottom).
//!
//! GC per user key, newest version first, is the pure rule in [`gc`] (SPEC §7), with the
//! compaction filters registered when the job starts. Outputs are split at `split_at` bytes,
//! and earlier where the job's rule on the files of the level below its own says so (the
//! grandparents, [`cut`]: LevelDB's overlap bound, or RocksDB's cuts at grandparent file
//! boundaries), but only between user keys: every version of one key lands in one file. A
//! job may be limited to user keys below `end` (a subcompaction's piece).
//!
//! A failed or cancelled job deletes the outputs it wrote and returns the error; it never
//! changes the version (the caller installs the outputs).

pub(crate) mod cut;
pub(crate) mod gc;

use std::sync::atomic::Ordering;

use crate::db::state::DbInner;
use crate::error::{Error, Result};
use crate::filename;
use crate::iter::InternalIterator;
use crate::key::{self, SeqNum};
use crate::sstable::{TableBuilder, TableBuilderOptions, TableInfo};
use crate::version::FileMeta;
use cut::{CutRule, GrandparentCut};
use gc::Gc;
use std::sync::Arc;

/// What a job writes.
pub(crate) struct JobSpec {
    /// Versions above the watermark are all kept.
    pub watermark: SeqNum,
    /// No older data for the job's keys lies below its output.
    pub bottom: bool,
    /// Output size at which to start a new file (between user keys).
    pub split_at: u64,
    /// Whether the job stops (with `Closed`) when the database starts closing.
    pub cancellable: bool,
    /// Stop before this user key (exclusive; `None`: run the input to its end).
    pub end: Option<Vec<u8>>,
    /// Files of the level below the output level, sorted by key (empty: no such split).
    pub grandparents: Vec<Arc<FileMeta>>,
    /// When an output ends before `split_at` because of the grandparents (`cut.rs`).
    pub cut: CutRule,
}

impl JobSpec {
    /// A job over the whole input with no grandparent split (flush).
    pub(crate) fn simple(
        watermark: SeqNum,
        bottom: bool,
        split_at: u64,
        cancellable: bool,
    ) -> Self {
        JobSpec {
            watermark,
            bottom,
            split_at,
            cancellable,
            end: None,
            grandparents: Vec::new(),
            cut: CutRule::Overlap { limit: u64::MAX },
        }
    }
}

/// Runs `input` (positioned by the caller, e.g. with `seek_to_first`) through GC into new
/// SSTs. Returns the outputs' metadata, in key order.
pub(crate) fn write_outputs(
    inner: &DbInner,
    input: &mut dyn InternalIterator,
    spec: &JobSpec,
) -> Result<Vec<FileMeta>> {
    let mut outputs: Vec<FileMeta> = Vec::new();
    let mut current: Option<Open> = None;
    let result = write_outputs_inner(inner, input, spec, &mut outputs, &mut current);
    if let Err(e) = result {
        let numbers = outputs
            .iter()
            .map(|f| f.number)
            .chain(current.map(|o| o.number));
        for number in numbers {
            let _ = inner.fs.remove(&filename::table_path(&inner.dir, number));
        }
        return Err(e);
    }
    Ok(outputs)
}

struct Open {
    number: u64,
    builder: TableBuilder,
}

fn write_outputs_inner(
    inner: &DbInner,
    input: &mut dyn InternalIterator,
    spec: &JobSpec,
    outputs: &mut Vec<FileMeta>,
    current: &mut Option<Open>,
) -> Result<()> {
    let mut last_user_key: Vec<u8> = Vec::new();
    let mut have_last = false;
    let filters = inner.filters.current();
    let mut gc = Gc::new(spec.watermark, spec.bottom, &filters);
    let mut checked = 0u32;
    let mut cut = GrandparentCut::new(&spec.grandparents, spec.cut);
    while input.valid() {
        let ikey = input.key();
        let parsed = key::parse_internal_key(ikey).ok_or_else(|| {
            Error::corruption(
                &inner.dir,
                0,
                "compaction input holds a malformed internal key",
            )
        })?;
        let new_user_key = !have_last || parsed.user_key != last_user_key.as_slice();
        if new_user_key {
            if spec
                .end
                .as_deref()
                .is_some_and(|end| parsed.user_key >= end)
            {
                break;
            }
            // A user-key boundary: the only place an output may be cut.
            let size = current.as_ref().map(|o| o.builder.estimated_size());
            let grandparents_cut = cut.should_cut_before(parsed.user_key, size);
            if size.is_some_and(|size| grandparents_cut || size >= spec.split_at)
                && let Some(open) = current.take()
            {
                outputs.push(finish(inner, open)?);
                cut.reset();
            }
            last_user_key.clear();
            last_user_key.extend_from_slice(parsed.user_key);
            have_last = true;
            gc.start_key(parsed.user_key);
            checked += 1;
            if spec.cancellable && checked.is_multiple_of(1024) && inner.shutting_down() {
                return Err(Error::Closed);
            }
        }
        if gc.keep(parsed.seq, parsed.kind) {
            if current.is_none() {
                let number = inner.new_file_number();
                let path = filename::table_path(&inner.dir, number);
                let file = inner.fs.create(&path)?;
                let opts = TableBuilderOptions::from_options(&inner.opts);
                *current = Some(Open {
                    number,
                    builder: TableBuilder::new(file, path, opts),
                });
            }
            if let Some(open) = current.as_mut() {
                open.builder.add(ikey, input.value())?;
            }
        }
        input.next()?;
    }
    if let Some(open) = current.take() {
        outputs.push(finish(inner, open)?);
    }
    Ok(())
}

/// Finishes (and fsyncs) an output, then opens it once to check it reads back.
fn finish(inner: &DbInner, open: Open) -> Result<FileMeta> {
    let path = filename::table_path(&inner.dir, open.number);
    let info: TableInfo = match open.builder.finish() {
        Ok(info) => info,
        Err(e) => {
            let _ = inner.fs.remove(&path);
            return Err(e);
        }
    };
    let meta = FileMeta {
        number: open.number,
        size: info.size,
        smallest: info.smallest,
        largest: info.largest,
        smallest_seq: info.smallest_seq,
        largest_seq: info.largest_seq,
        num_entries: info.num_entries,
        num_deletions: info.num_deletions,
    };
    // Read the footer, index and filter back before anything refers to the file.
    if let Err(e) = inner.table_cache.get(meta.number) {
        let _ = inner.fs.remove(&path);
        return Err(e);
    }
    Ok(meta)
}

impl DbInner {
    pub(crate) fn shutting_down(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }
}
