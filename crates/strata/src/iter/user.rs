//! The user-facing iterator. (STUB: helper fills in.)

use std::any::Any;
use std::ops::Bound;

use bytes::Bytes;

use crate::error::Result;
use crate::iter::BoxedIterator;
use crate::key::SeqNum;

/// Anything an iterator keeps alive (memtables, a version, a snapshot registration).
pub type Pin = Box<dyn Any + Send + Sync>;

/// An ordered iterator over live `(key, value)` pairs as of one snapshot.
///
/// Forward with `next`, backward with `next_back` (`.rev()`); mixing them never repeats an
/// entry. The first error is yielded as `Some(Err(e))`, then `None` for good.
pub struct Iter {
    _inner: BoxedIterator,
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
        let _ = (seq, lower, upper);
        Iter {
            _inner: inner,
            _pins: pins,
        }
    }
}

impl Iterator for Iter {
    type Item = Result<(Bytes, Bytes)>;
    fn next(&mut self) -> Option<Self::Item> {
        unimplemented!()
    }
}

impl DoubleEndedIterator for Iter {
    fn next_back(&mut self) -> Option<Self::Item> {
        unimplemented!()
    }
}
