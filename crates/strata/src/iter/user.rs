//! The user-facing iterator: live `(key, value)` pairs of one snapshot, forward and backward.
//!
//! [`Iter`] wraps one merged internal cursor over every source (memtables, L0 tables, one
//! concat per level or tier) and turns internal entries into user pairs:
//! - only versions with seq <= the read seq exist; for each user key the newest of those
//!   decides: a tombstone hides the key, a value is yielded once;
//! - user keys come out strictly ordered and unique, within the bounds (on user keys:
//!   included, excluded or unbounded; an empty or inverted range yields nothing and touches
//!   nothing);
//! - it is lazy: the inner cursor is positioned by the first `next` (seek to the lower bound)
//!   or `next_back` (seek_for_prev to the upper bound).
//!
//! Mixed `next`/`next_back` share the single inner cursor. The iterator remembers the last
//! user key settled at the front (`front_done`: every key <= it is done) and at the back
//! (`back_done`: every key >= it is done); an excluded bound starts as such a mark. Each end
//! yields only keys strictly between the two marks, so the ends never repeat an entry and stop
//! where they meet. A direction switch re-seeks the inner cursor just past the mark of the
//! end being advanced.
//!
//! Backward, a key's versions arrive oldest first, so (as RocksDB's `DBIter::PrevInternal`)
//! the iterator walks all of them, remembering the last version with seq <= the read seq, and
//! decides when the user key changes.
//!
//! Errors: the first error from the inner cursor (or an entry whose key does not parse) is
//! yielded as `Some(Err(e))`; afterwards both ends yield `None` for good. After either end
//! returns `None` the iterator is finished (the ends have met).
//!
//! Threading: `Send`; used by one thread at a time. Its pins (memtables, version, snapshot
//! registration) are dropped after the inner cursor.

// Until the database wires this module in, only tests use parts of it.
#![allow(dead_code)]

use std::any::Any;
use std::ops::Bound;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::iter::{BoxedIterator, InternalIterator};
use crate::key::{KIND_SEEK, MAX_SEQUENCE, ParsedKey, SeqNum, ValueKind};

/// Anything an iterator keeps alive (memtables, a version, a snapshot registration).
pub type Pin = Box<dyn Any + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Not positioned yet, or repositioning needed.
    None,
    Forward,
    Backward,
}

/// An ordered iterator over live `(key, value)` pairs as of one snapshot.
///
/// Forward with `next`, backward with `next_back` (`.rev()`); mixing them never repeats an
/// entry. The first error is yielded as `Some(Err(e))`, then `None` for good.
pub struct Iter {
    inner: BoxedIterator,
    seq: SeqNum,
    /// The lower bound when it is `Included` (an `Excluded` one starts `front_done`).
    lower_included: Option<Bytes>,
    /// The upper bound when it is `Included` (an `Excluded` one starts `back_done`).
    upper_included: Option<Bytes>,
    /// Every user key <= this is done at the front.
    front_done: Option<Vec<u8>>,
    /// Every user key >= this is done at the back.
    back_done: Option<Vec<u8>>,
    direction: Direction,
    finished: bool,
    /// Seek targets and the user key being assembled backward (reused allocation).
    scratch: Vec<u8>,
    _pins: Pin,
}

impl Iter {
    /// Wraps a merged cursor over all sources: yields user keys within `(lower, upper)` whose
    /// newest version with seq <= `seq` is not a tombstone.
    pub fn new(
        inner: BoxedIterator,
        seq: SeqNum,
        lower: Bound<Bytes>,
        upper: Bound<Bytes>,
        pins: Pin,
    ) -> Iter {
        let finished = range_is_empty(&lower, &upper);
        let (lower_included, front_done) = match lower {
            Bound::Included(x) => (Some(x), None),
            Bound::Excluded(x) => (None, Some(x.to_vec())),
            Bound::Unbounded => (None, None),
        };
        let (upper_included, back_done) = match upper {
            Bound::Included(y) => (Some(y), None),
            Bound::Excluded(y) => (None, Some(y.to_vec())),
            Bound::Unbounded => (None, None),
        };
        Iter {
            inner,
            seq: seq.min(MAX_SEQUENCE),
            lower_included,
            upper_included,
            front_done,
            back_done,
            direction: Direction::None,
            finished,
            scratch: Vec::new(),
            _pins: pins,
        }
    }

    /// The read seq: versions above it are invisible.
    pub fn read_seq(&self) -> SeqNum {
        self.seq
    }

    /// Seeks the inner cursor to the first entry after `front_done` (or the lower bound).
    fn position_forward(&mut self) -> Result<()> {
        self.direction = Direction::Forward;
        self.scratch.clear();
        if let Some(done) = &self.front_done {
            // The last possible internal key of `done`: the cursor lands on it or later.
            crate::key::append_internal_key(&mut self.scratch, done, 0, 0);
            self.inner.seek(&self.scratch)
        } else if let Some(lower) = &self.lower_included {
            crate::key::append_internal_key(&mut self.scratch, lower, self.seq, KIND_SEEK);
            self.inner.seek(&self.scratch)
        } else {
            self.inner.seek_to_first()
        }
    }

    /// Seeks the inner cursor to the last entry before `back_done` (or the upper bound).
    fn position_backward(&mut self) -> Result<()> {
        self.direction = Direction::Backward;
        self.scratch.clear();
        if let Some(done) = &self.back_done {
            // The first possible internal key of `done`: the cursor lands before it.
            crate::key::append_internal_key(&mut self.scratch, done, MAX_SEQUENCE, KIND_SEEK);
            self.inner.seek_for_prev(&self.scratch)
        } else if let Some(upper) = &self.upper_included {
            crate::key::append_internal_key(&mut self.scratch, upper, 0, 0);
            self.inner.seek_for_prev(&self.scratch)
        } else {
            self.inner.seek_to_last()
        }
    }

    /// The next live pair at the front, or `None` when the front reached the back or the
    /// upper bound.
    fn next_entry(&mut self) -> Result<Option<(Bytes, Bytes)>> {
        if self.direction != Direction::Forward {
            self.position_forward()?;
        }
        while self.inner.valid() {
            let entry = parse(self.inner.key())?;
            let user_key = entry.user_key;
            if self
                .front_done
                .as_deref()
                .is_some_and(|done| user_key <= done)
            {
                self.inner.next()?;
                continue;
            }
            if self
                .upper_included
                .as_deref()
                .is_some_and(|upper| user_key > upper)
                || self
                    .back_done
                    .as_deref()
                    .is_some_and(|done| user_key >= done)
            {
                return Ok(None);
            }
            if entry.seq > self.seq {
                self.inner.next()?;
                continue;
            }
            // The newest visible version of `user_key`: it decides.
            set_mark(&mut self.front_done, user_key);
            if entry.kind == ValueKind::Put {
                let key = Bytes::copy_from_slice(user_key);
                return Ok(Some((key, self.inner.value_bytes())));
            }
            self.inner.next()?;
        }
        Ok(None)
    }

    /// The next live pair at the back, or `None` when the back reached the front or the
    /// lower bound.
    fn next_back_entry(&mut self) -> Result<Option<(Bytes, Bytes)>> {
        if self.direction != Direction::Backward {
            self.position_backward()?;
        }
        while self.inner.valid() {
            let entry = parse(self.inner.key())?;
            let user_key = entry.user_key;
            if self
                .back_done
                .as_deref()
                .is_some_and(|done| user_key >= done)
            {
                self.inner.prev()?;
                continue;
            }
            if self
                .lower_included
                .as_deref()
                .is_some_and(|lower| user_key < lower)
                || self
                    .front_done
                    .as_deref()
                    .is_some_and(|done| user_key <= done)
            {
                return Ok(None);
            }
            self.scratch.clear();
            self.scratch.extend_from_slice(user_key);
            let newest_visible = self.walk_back_versions()?;
            set_mark(&mut self.back_done, &self.scratch);
            if let Some(value) = newest_visible {
                return Ok(Some((Bytes::copy_from_slice(&self.scratch), value)));
            }
        }
        Ok(None)
    }

    /// Steps back over every version of the user key in `scratch` (the cursor is on its
    /// oldest); returns the value of the newest version with seq <= the read seq if that
    /// version is a value (`None` if it is a tombstone or no version is visible). Leaves the
    /// cursor on the previous user key's last entry.
    fn walk_back_versions(&mut self) -> Result<Option<Bytes>> {
        let mut newest_visible: Option<Bytes> = None;
        loop {
            let entry = parse(self.inner.key())?;
            // Seqs rise as we go back: once one is invisible, the rest are too.
            if entry.seq <= self.seq {
                newest_visible = match entry.kind {
                    ValueKind::Put => Some(self.inner.value_bytes()),
                    ValueKind::Delete => None,
                };
            }
            self.inner.prev()?;
            if !self.inner.valid() || crate::key::user_key(self.inner.key()) != self.scratch {
                return Ok(newest_visible);
            }
        }
    }

    /// Turns an internal result into the iterator's item, finishing it on `None` or error.
    fn finish_item(
        &mut self,
        result: Result<Option<(Bytes, Bytes)>>,
    ) -> Option<Result<(Bytes, Bytes)>> {
        match result {
            Ok(Some(pair)) => Some(Ok(pair)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
        }
    }
}

impl Iterator for Iter {
    type Item = Result<(Bytes, Bytes)>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let result = self.next_entry();
        self.finish_item(result)
    }
}

impl DoubleEndedIterator for Iter {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let result = self.next_back_entry();
        self.finish_item(result)
    }
}

impl std::iter::FusedIterator for Iter {}

impl std::fmt::Debug for Iter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter")
            .field("seq", &self.seq)
            .field("direction", &self.direction)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

/// Whether no user key can lie within `(lower, upper)` by the bounds alone.
fn range_is_empty(lower: &Bound<Bytes>, upper: &Bound<Bytes>) -> bool {
    match (lower, upper) {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => {
            a >= b
        }
        _ => false,
    }
}

/// Decodes the inner cursor's key; a malformed one is corruption the table layer missed.
fn parse(ikey: &[u8]) -> Result<ParsedKey<'_>> {
    crate::key::parse_internal_key(ikey).ok_or_else(|| {
        Error::corruption(
            "<iterator>",
            0,
            format!(
                "malformed internal key of {} bytes reached the user iterator",
                ikey.len()
            ),
        )
    })
}

/// Sets a done-mark to `key`, reusing its allocation.
fn set_mark(mark: &mut Option<Vec<u8>>, key: &[u8]) {
    match mark {
        Some(buf) => {
            buf.clear();
            buf.extend_from_slice(key);
        }
        None => *mark = Some(key.to_vec()),
    }
}

#[cfg(test)]
mod tests;
