//! A transaction's workspace merged over its snapshot, at the user-key level.
//!
//! The workspace is a sorted slice of `(key, Some(value) | None = delete)` within the
//! iterator's bounds, copied when the iterator is created (`Bytes` handles, no key copies),
//! so later writes to the transaction do not show. The merge takes the smaller key at the
//! front (the larger at the back); on equal keys the workspace wins and the snapshot's entry
//! is dropped; a workspace delete hides the key.
//!
//! Merging at the user-key level (not the internal-key level) is deliberate: workspace
//! entries have no seq of their own, and giving them the read seq would let the kind byte
//! reorder them against snapshot versions with the same seq.
//!
//! Both ends: the workspace is consumed from a window `[lo, hi)`. The snapshot side is the
//! [`Cursor`], whose ends never repeat an entry; one pair is peeked at each end. Once the
//! cursor is exhausted (from either end) the only snapshot pairs left are the two peeks, the
//! front one smaller than the back one, so each end takes its own peek first and then the
//! other end's.

use bytes::Bytes;

use super::Cursor;
use crate::error::Result;

type Pair = (Bytes, Bytes);

pub(super) struct Overlay {
    workspace: Vec<(Bytes, Option<Bytes>)>,
    lo: usize,
    hi: usize,
    front: Option<Pair>,
    back: Option<Pair>,
    /// The cursor returned `None`: every snapshot pair left is in `front` or `back`.
    base_done: bool,
}

impl Overlay {
    pub(super) fn new(workspace: Vec<(Bytes, Option<Bytes>)>) -> Overlay {
        let hi = workspace.len();
        Overlay {
            workspace,
            lo: 0,
            hi,
            front: None,
            back: None,
            base_done: false,
        }
    }

    /// The next live pair at the front.
    pub(super) fn next(&mut self, base: &mut Cursor) -> Result<Option<Pair>> {
        loop {
            if self.front.is_none() && !self.base_done {
                match base.next() {
                    Some(Ok(pair)) => self.front = Some(pair),
                    Some(Err(e)) => return Err(e),
                    None => self.base_done = true,
                }
            }
            // The smallest snapshot pair left.
            let peek = if self.front.is_some() || !self.base_done {
                &mut self.front
            } else {
                &mut self.back
            };
            let ws = if self.lo < self.hi {
                self.workspace.get(self.lo)
            } else {
                None
            };
            match (peek.as_ref(), ws) {
                (None, None) => return Ok(None),
                (Some(_), None) => return Ok(peek.take()),
                (None, Some(_)) => {}
                (Some(b), Some(w)) => match b.0.cmp(&w.0) {
                    std::cmp::Ordering::Less => return Ok(peek.take()),
                    std::cmp::Ordering::Equal => *peek = None,
                    std::cmp::Ordering::Greater => {}
                },
            }
            if let Some((k, v)) = ws {
                self.lo += 1;
                if let Some(v) = v {
                    return Ok(Some((k.clone(), v.clone())));
                }
            }
        }
    }

    /// The next live pair at the back.
    pub(super) fn next_back(&mut self, base: &mut Cursor) -> Result<Option<Pair>> {
        loop {
            if self.back.is_none() && !self.base_done {
                match base.next_back() {
                    Some(Ok(pair)) => self.back = Some(pair),
                    Some(Err(e)) => return Err(e),
                    None => self.base_done = true,
                }
            }
            // The largest snapshot pair left.
            let peek = if self.back.is_some() || !self.base_done {
                &mut self.back
            } else {
                &mut self.front
            };
            let ws = if self.lo < self.hi {
                self.workspace.get(self.hi - 1)
            } else {
                None
            };
            match (peek.as_ref(), ws) {
                (None, None) => return Ok(None),
                (Some(_), None) => return Ok(peek.take()),
                (None, Some(_)) => {}
                (Some(b), Some(w)) => match b.0.cmp(&w.0) {
                    std::cmp::Ordering::Greater => return Ok(peek.take()),
                    std::cmp::Ordering::Equal => *peek = None,
                    std::cmp::Ordering::Less => {}
                },
            }
            if let Some((k, v)) = ws {
                self.hi -= 1;
                if let Some(v) = v {
                    return Ok(Some((k.clone(), v.clone())));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
