//! Concatenating cursor over one sorted run of tables (a level, or a tier).
//!
//! The run's tables are sorted and pairwise disjoint (debug-asserted), so the run reads as one
//! sorted sequence. Only the current table is open: it is opened lazily through the
//! [`TableOpener`] when a positioning call lands in it and dropped when the cursor moves to
//! another table or off the run. `seek` binary-searches the tables' largest keys (a target
//! below the run lands on its first key, above it leaves the cursor invalid, opening
//! nothing); `seek_for_prev` binary-searches their smallest keys. Stepping past a table's
//! end opens the next one (an empty table is skipped).
//!
//! [`run_files_in_range`] and [`file_in_range`] let the caller drop the tables a scan's user
//! key bounds exclude before building the cursor, so an out-of-range scan opens no table.
//!
//! Errors: an opener or table error is returned by the call that met it and leaves the
//! cursor invalid (and the table dropped) until the next successful positioning call.
//!
//! Threading: used by one thread at a time; the opener may be shared (`Send + Sync`).
//!
//! Invariants: the open table, if any, is `files[index]`; the cursor is valid iff a table is
//! open and valid.

// Until the database wires this module in, only tests use parts of it.
#![allow(dead_code)]

use std::cmp::Ordering;
use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::Result;
use crate::iter::{BoxedIterator, InternalIterator};
use crate::key::compare_internal_keys;
use crate::version::FileMeta;

/// Opens a cursor over one table of the run.
pub type TableOpener = Arc<dyn Fn(&FileMeta) -> Result<BoxedIterator> + Send + Sync>;

/// A cursor over sorted, disjoint tables; opens only the current table, lazily.
pub struct ConcatIterator {
    files: Vec<Arc<FileMeta>>,
    opener: TableOpener,
    /// The open table and its index in `files`.
    table: Option<(usize, BoxedIterator)>,
}

impl ConcatIterator {
    /// `files` sorted by key, pairwise disjoint.
    pub fn new(files: Vec<Arc<FileMeta>>, opener: TableOpener) -> ConcatIterator {
        debug_assert!(
            files
                .iter()
                .all(|f| compare_internal_keys(&f.smallest, &f.largest).is_le()),
            "a table's smallest key must not exceed its largest"
        );
        debug_assert!(
            files.windows(2).all(|w| match w {
                [a, b] => compare_internal_keys(&a.largest, &b.smallest) == Ordering::Less,
                _ => true,
            }),
            "a sorted run's tables must be sorted and disjoint"
        );
        ConcatIterator {
            files,
            opener,
            table: None,
        }
    }

    /// The tables of the run.
    pub fn files(&self) -> &[Arc<FileMeta>] {
        &self.files
    }

    /// The index of the open table, if any.
    pub fn open_table(&self) -> Option<usize> {
        self.table.as_ref().map(|(index, _)| *index)
    }

    fn cursor(&self) -> Option<&BoxedIterator> {
        self.table.as_ref().map(|(_, it)| it)
    }

    /// Makes `files[index]` the open table (reusing it if already open) and positions it
    /// with `position`. On error nothing stays open.
    fn enter(
        &mut self,
        index: usize,
        position: impl FnOnce(&mut BoxedIterator) -> Result<()>,
    ) -> Result<()> {
        if self.open_table() != Some(index) {
            self.table = None;
            let Some(file) = self.files.get(index) else {
                return Ok(());
            };
            self.table = Some((index, (self.opener)(file)?));
        }
        match self.table.as_mut() {
            Some((_, it)) => position(it).inspect_err(|_| self.table = None),
            None => Ok(()),
        }
    }

    /// While the open table is exhausted, moves to the first entry of the next table.
    fn skip_forward(&mut self) -> Result<()> {
        loop {
            let Some((index, it)) = self.table.as_ref() else {
                return Ok(());
            };
            if it.valid() {
                return Ok(());
            }
            let next = index + 1;
            if next >= self.files.len() {
                self.table = None;
                return Ok(());
            }
            self.enter(next, |it| it.seek_to_first())?;
        }
    }

    /// While the open table is exhausted, moves to the last entry of the previous table.
    fn skip_backward(&mut self) -> Result<()> {
        loop {
            let Some((index, it)) = self.table.as_ref() else {
                return Ok(());
            };
            if it.valid() {
                return Ok(());
            }
            let Some(previous) = index.checked_sub(1) else {
                self.table = None;
                return Ok(());
            };
            self.enter(previous, |it| it.seek_to_last())?;
        }
    }

    /// Runs `op`; on error drops the table so the cursor is invalid.
    fn guarded(&mut self, op: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        op(self).inspect_err(|_| self.table = None)
    }
}

impl InternalIterator for ConcatIterator {
    fn valid(&self) -> bool {
        self.cursor().is_some_and(|it| it.valid())
    }

    fn key(&self) -> &[u8] {
        debug_assert!(self.valid());
        self.cursor().map_or(&[][..], |it| it.key())
    }

    fn value(&self) -> &[u8] {
        debug_assert!(self.valid());
        self.cursor().map_or(&[][..], |it| it.value())
    }

    fn value_bytes(&self) -> Bytes {
        debug_assert!(self.valid());
        self.cursor().map(|it| it.value_bytes()).unwrap_or_default()
    }

    fn seek_to_first(&mut self) -> Result<()> {
        self.guarded(|s| {
            if s.files.is_empty() {
                s.table = None;
                return Ok(());
            }
            s.enter(0, |it| it.seek_to_first())?;
            s.skip_forward()
        })
    }

    fn seek_to_last(&mut self) -> Result<()> {
        self.guarded(|s| {
            let Some(last) = s.files.len().checked_sub(1) else {
                s.table = None;
                return Ok(());
            };
            s.enter(last, |it| it.seek_to_last())?;
            s.skip_backward()
        })
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        self.guarded(|s| {
            let index = s
                .files
                .partition_point(|f| compare_internal_keys(&f.largest, target).is_lt());
            if index >= s.files.len() {
                s.table = None;
                return Ok(());
            }
            s.enter(index, |it| it.seek(target))?;
            s.skip_forward()
        })
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        self.guarded(|s| {
            let after = s
                .files
                .partition_point(|f| compare_internal_keys(&f.smallest, target).is_le());
            let Some(index) = after.checked_sub(1) else {
                s.table = None;
                return Ok(());
            };
            s.enter(index, |it| it.seek_for_prev(target))?;
            s.skip_backward()
        })
    }

    fn next(&mut self) -> Result<()> {
        debug_assert!(self.valid(), "next on an invalid cursor");
        self.guarded(|s| {
            if let Some((_, it)) = s.table.as_mut() {
                it.next()?;
            }
            s.skip_forward()
        })
    }

    fn prev(&mut self) -> Result<()> {
        debug_assert!(self.valid(), "prev on an invalid cursor");
        self.guarded(|s| {
            if let Some((_, it)) = s.table.as_mut() {
                it.prev()?;
            }
            s.skip_backward()
        })
    }
}

/// Whether `file` may hold user keys within `(lower, upper)`, per bound kind: a table whose
/// largest user key is `x` is excluded by a lower `Excluded(x)`, one whose smallest is `y` by
/// an upper `Excluded(y)`.
pub fn file_in_range(file: &FileMeta, lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> bool {
    above_lower(file.largest_user_key(), lower) && below_upper(file.smallest_user_key(), upper)
}

/// The tables of a sorted run (sorted, disjoint) that may hold user keys within
/// `(lower, upper)`, found by binary search; they stay in run order.
pub fn run_files_in_range(
    files: &[Arc<FileMeta>],
    lower: Bound<&[u8]>,
    upper: Bound<&[u8]>,
) -> Vec<Arc<FileMeta>> {
    let start = files.partition_point(|f| !above_lower(f.largest_user_key(), lower));
    let end = files.partition_point(|f| below_upper(f.smallest_user_key(), upper));
    files
        .get(start..end.max(start))
        .map(<[_]>::to_vec)
        .unwrap_or_default()
}

fn above_lower(largest: &[u8], lower: Bound<&[u8]>) -> bool {
    match lower {
        Bound::Included(x) => largest >= x,
        Bound::Excluded(x) => largest > x,
        Bound::Unbounded => true,
    }
}

fn below_upper(smallest: &[u8], upper: Bound<&[u8]>) -> bool {
    match upper {
        Bound::Included(y) => smallest <= y,
        Bound::Excluded(y) => smallest < y,
        Bound::Unbounded => true,
    }
}

#[cfg(test)]
mod tests;
