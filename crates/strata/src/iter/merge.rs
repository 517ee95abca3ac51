//! K-way heap merge of internal cursors, forward and backward.
//!
//! Children are ordered newest source first (index 0). The merge yields the smallest key
//! (forward) or the largest (backward) among its children; keys that compare equal across
//! children can only be identical entries (internal keys embed unique seqs), so the
//! lower-index child wins and a step moves **every** child sitting on that key.
//!
//! Direction switches work as in LevelDB/RocksDB's merging iterator: at key K, every child is
//! repositioned strictly past K in the new direction (`seek(K)` then skip K, or
//! `seek_for_prev(K)` then skip K), and the heap is rebuilt.
//!
//! Errors: a child's error is returned by the call that met it; from then on the merge is
//! invalid for good, touches no child again, and every positioning call returns a copy of
//! that error.
//!
//! Threading: a cursor is used by one thread at a time (`Send`, not shared).
//!
//! Invariants: `heap` holds exactly the indices of the valid children, heap-ordered for
//! `direction` (ties broken by lower index); the merge is valid iff no error and the heap is
//! non-empty; its current entry is that of `heap[0]`.

// Until the database wires this module in, only tests use parts of it.
#![allow(dead_code)]

use std::cmp::Ordering;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::iter::{BoxedIterator, InternalIterator};
use crate::key::compare_internal_keys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

/// Merges children; on equal keys the lower-index (newer) child wins.
pub struct MergeIterator {
    children: Vec<BoxedIterator>,
    heap: Vec<usize>,
    direction: Direction,
    error: Option<Error>,
    /// The current key, copied before children move (reused allocation).
    scratch: Vec<u8>,
}

impl MergeIterator {
    /// Merges `children`, index 0 the newest source.
    pub fn new(children: Vec<BoxedIterator>) -> MergeIterator {
        MergeIterator {
            heap: Vec::with_capacity(children.len()),
            children,
            direction: Direction::Forward,
            error: None,
            scratch: Vec::new(),
        }
    }

    /// The number of children.
    pub fn num_children(&self) -> usize {
        self.children.len()
    }

    /// The index of the child holding the current entry (`None` when invalid).
    pub fn current_child(&self) -> Option<usize> {
        if self.error.is_some() {
            None
        } else {
            self.heap.first().copied()
        }
    }

    fn current(&self) -> Option<&BoxedIterator> {
        let index = self.current_child()?;
        self.children.get(index)
    }

    /// Fails if an earlier call failed.
    fn check_failed(&self) -> Result<()> {
        match &self.error {
            Some(e) => Err(e.duplicate()),
            None => Ok(()),
        }
    }

    /// Records a child's error: the merge is failed for good.
    fn fail(&mut self, error: Error) -> Result<()> {
        self.heap.clear();
        self.error = Some(error.duplicate());
        Err(error)
    }

    /// Positions every child with `op`, then rebuilds the heap for `direction`.
    fn position_all(
        &mut self,
        direction: Direction,
        mut op: impl FnMut(&mut BoxedIterator) -> Result<()>,
    ) -> Result<()> {
        self.check_failed()?;
        self.heap.clear();
        for child in &mut self.children {
            if let Err(e) = op(child) {
                return self.fail(e);
            }
        }
        self.direction = direction;
        self.rebuild_heap();
        Ok(())
    }

    fn rebuild_heap(&mut self) {
        self.heap.clear();
        let valid = self
            .children
            .iter()
            .enumerate()
            .filter(|(_, c)| c.valid())
            .map(|(i, _)| i);
        self.heap.extend(valid);
        for i in (0..self.heap.len() / 2).rev() {
            self.sift_down(i);
        }
    }

    /// Whether child `a` comes before child `b` in the current direction.
    fn before(&self, a: usize, b: usize) -> bool {
        let (Some(ca), Some(cb)) = (self.children.get(a), self.children.get(b)) else {
            return false;
        };
        let order = compare_internal_keys(ca.key(), cb.key());
        let order = if self.direction == Direction::Forward {
            order
        } else {
            order.reverse()
        };
        match order {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => a < b,
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let len = self.heap.len();
        loop {
            let left = 2 * i + 1;
            if left >= len {
                return;
            }
            let right = left + 1;
            let mut best = left;
            if right < len && self.before(self.heap[right], self.heap[left]) {
                best = right;
            }
            if !self.before(self.heap[best], self.heap[i]) {
                return;
            }
            self.heap.swap(i, best);
            i = best;
        }
    }

    /// Restores the heap after the top child moved (or became invalid).
    fn fix_top(&mut self) {
        let Some(&top) = self.heap.first() else {
            return;
        };
        let still_valid = self.children.get(top).is_some_and(|c| c.valid());
        if !still_valid {
            self.heap.swap_remove(0);
        }
        self.sift_down(0);
    }

    /// Steps every child sitting on the current key once in the current direction.
    fn advance(&mut self) -> Result<()> {
        let Some(&top) = self.heap.first() else {
            return Ok(());
        };
        // Children on a key equal to the root's form a subtree at the top of the heap (each
        // ancestor of one sorts between the root and it), so if neither of the root's children
        // holds it, no other child does: the common case (internal keys are unique) moves the
        // root alone, without copying its key. A child never repeats a key, so after the move
        // no child can sit on the old key.
        let root_key = self.children.get(top).map_or(&[][..], |c| c.key());
        let shared = self
            .heap
            .get(1..self.heap.len().min(3))
            .unwrap_or_default()
            .iter()
            .any(|&i| self.children.get(i).is_some_and(|c| c.key() == root_key));
        if !shared {
            let forward = self.direction == Direction::Forward;
            let moved = match self.children.get_mut(top) {
                Some(child) if forward => child.next(),
                Some(child) => child.prev(),
                None => Ok(()),
            };
            if let Err(e) = moved {
                return self.fail(e);
            }
            self.fix_top();
            return Ok(());
        }
        self.scratch.clear();
        if let Some(child) = self.children.get(top) {
            self.scratch.extend_from_slice(child.key());
        }
        let forward = self.direction == Direction::Forward;
        while let Some(&top) = self.heap.first() {
            let Some(child) = self.children.get_mut(top) else {
                break;
            };
            if child.key() != &self.scratch[..] {
                break;
            }
            let moved = if forward { child.next() } else { child.prev() };
            if let Err(e) = moved {
                return self.fail(e);
            }
            self.fix_top();
        }
        Ok(())
    }

    /// Turns around at the current key: every child ends strictly past it in `direction`.
    fn switch_direction(&mut self, direction: Direction) -> Result<()> {
        self.scratch.clear();
        if let Some(current) = self.heap.first().and_then(|&i| self.children.get(i)) {
            self.scratch.extend_from_slice(current.key());
        }
        let key = std::mem::take(&mut self.scratch);
        let result = self.position_all(direction, |child| {
            if direction == Direction::Forward {
                child.seek(&key)?;
                if child.valid() && child.key() == &key[..] {
                    child.next()?;
                }
            } else {
                child.seek_for_prev(&key)?;
                if child.valid() && child.key() == &key[..] {
                    child.prev()?;
                }
            }
            Ok(())
        });
        self.scratch = key;
        result
    }
}

impl InternalIterator for MergeIterator {
    fn valid(&self) -> bool {
        self.error.is_none() && !self.heap.is_empty()
    }

    fn key(&self) -> &[u8] {
        debug_assert!(self.valid());
        self.current().map_or(&[][..], |c| c.key())
    }

    fn value(&self) -> &[u8] {
        debug_assert!(self.valid());
        self.current().map_or(&[][..], |c| c.value())
    }

    fn value_bytes(&self) -> Bytes {
        debug_assert!(self.valid());
        self.current().map(|c| c.value_bytes()).unwrap_or_default()
    }

    fn seek_to_first(&mut self) -> Result<()> {
        self.position_all(Direction::Forward, |c| c.seek_to_first())
    }

    fn seek_to_last(&mut self) -> Result<()> {
        self.position_all(Direction::Backward, |c| c.seek_to_last())
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        self.position_all(Direction::Forward, |c| c.seek(target))
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        self.position_all(Direction::Backward, |c| c.seek_for_prev(target))
    }

    fn next(&mut self) -> Result<()> {
        self.check_failed()?;
        debug_assert!(self.valid(), "next on an invalid merge");
        if self.heap.is_empty() {
            return Ok(());
        }
        match self.direction {
            Direction::Forward => self.advance(),
            Direction::Backward => self.switch_direction(Direction::Forward),
        }
    }

    fn prev(&mut self) -> Result<()> {
        self.check_failed()?;
        debug_assert!(self.valid(), "prev on an invalid merge");
        if self.heap.is_empty() {
            return Ok(());
        }
        match self.direction {
            Direction::Backward => self.advance(),
            Direction::Forward => self.switch_direction(Direction::Backward),
        }
    }
}

#[cfg(test)]
mod tests;
