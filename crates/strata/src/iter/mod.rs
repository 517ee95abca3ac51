//! Iterators over internal entries, and the user-facing [`Iter`].
//!
//! Every layer (memtable, block, table, merge, concat) implements one cursor trait,
//! [`InternalIterator`], over **encoded internal keys** (`user_key ++ trailer`, see
//! [`crate::key`]) ordered by [`crate::key::compare_internal_keys`].
//!
//! Contract of [`InternalIterator`]:
//! - Positioning calls return `Result`; after an error the cursor is invalid and stays invalid
//!   until the next successful positioning call (merge cursors stay failed for good).
//! - `key()`/`value()` may only be called while `valid()`; the slices live until the next
//!   positioning call.
//! - `seek(t)`: first entry >= t. `seek_for_prev(t)`: last entry <= t.
//! - `next()`/`prev()` require `valid()`.

pub mod concat;
pub mod merge;
pub mod two_merge;
pub mod user;

#[cfg(test)]
pub(crate) mod testing;

pub use user::Iter;

use bytes::Bytes;

use crate::error::Result;

/// A cursor over internal entries, forward and backward.
pub trait InternalIterator: Send {
    /// Whether the cursor is on an entry.
    fn valid(&self) -> bool;
    /// The current encoded internal key.
    fn key(&self) -> &[u8];
    /// The current value (empty for tombstones).
    fn value(&self) -> &[u8];
    /// The current value as `Bytes`; cursors over `Bytes` storage override this to avoid a copy.
    fn value_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self.value())
    }
    /// Moves to the first entry.
    fn seek_to_first(&mut self) -> Result<()>;
    /// Moves to the last entry.
    fn seek_to_last(&mut self) -> Result<()>;
    /// Moves to the first entry >= `target`.
    fn seek(&mut self, target: &[u8]) -> Result<()>;
    /// Moves to the last entry <= `target`.
    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()>;
    /// Advances. Requires `valid()`.
    fn next(&mut self) -> Result<()>;
    /// Steps back. Requires `valid()`.
    fn prev(&mut self) -> Result<()>;
}

/// A boxed cursor (the merge iterator's children).
pub type BoxedIterator = Box<dyn InternalIterator>;

impl InternalIterator for BoxedIterator {
    fn valid(&self) -> bool {
        (**self).valid()
    }
    fn key(&self) -> &[u8] {
        (**self).key()
    }
    fn value(&self) -> &[u8] {
        (**self).value()
    }
    fn value_bytes(&self) -> Bytes {
        (**self).value_bytes()
    }
    fn seek_to_first(&mut self) -> Result<()> {
        (**self).seek_to_first()
    }
    fn seek_to_last(&mut self) -> Result<()> {
        (**self).seek_to_last()
    }
    fn seek(&mut self, target: &[u8]) -> Result<()> {
        (**self).seek(target)
    }
    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        (**self).seek_for_prev(target)
    }
    fn next(&mut self) -> Result<()> {
        (**self).next()
    }
    fn prev(&mut self) -> Result<()> {
        (**self).prev()
    }
}
