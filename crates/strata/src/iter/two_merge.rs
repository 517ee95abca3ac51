//! Two-way merge: A over B, for two cursors of distinct concrete types (memtables over
//! tables; a transaction's workspace over its snapshot), without boxing or a heap.
//!
//! Yields the smaller key (forward) or the larger (backward) of its two children. On equal
//! keys A wins and B's equal entry is skipped, in both directions. A direction switch
//! repositions the child not holding the current entry strictly past the current key in the
//! new direction, then steps the current child, as the k-way merge does.
//!
//! Errors: a child's error is returned by the call that met it; from then on the cursor is
//! invalid for good, touches neither child again, and every positioning call returns a copy
//! of the error.
//!
//! Threading: used by one thread at a time (`Send` when A and B are).
//!
//! Invariants: after every successful call, if both children are valid their keys differ,
//! and `current` names the child whose key comes first in `direction` (`None` iff both are
//! invalid).

// Until the database wires this module in, only tests use parts of it.
#![allow(dead_code)]

use std::cmp::Ordering;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::iter::InternalIterator;
use crate::key::compare_internal_keys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Current {
    A,
    B,
    None,
}

/// Merges `A` over `B`: on equal keys A's entry wins and B's is skipped.
pub struct TwoMergeIterator<A, B> {
    a: A,
    b: B,
    current: Current,
    forward: bool,
    error: Option<Error>,
    scratch: Vec<u8>,
}

impl<A: InternalIterator, B: InternalIterator> TwoMergeIterator<A, B> {
    /// Merges `a` (the newer source, winning ties) over `b`. Unpositioned.
    pub fn new(a: A, b: B) -> TwoMergeIterator<A, B> {
        TwoMergeIterator {
            a,
            b,
            current: Current::None,
            forward: true,
            error: None,
            scratch: Vec::new(),
        }
    }

    /// The newer child.
    pub fn a(&self) -> &A {
        &self.a
    }

    /// The older child.
    pub fn b(&self) -> &B {
        &self.b
    }

    /// Whether the current entry comes from A.
    pub fn is_a(&self) -> bool {
        self.error.is_none() && self.current == Current::A
    }

    fn current_iter(&self) -> Option<&dyn InternalIterator> {
        if self.error.is_some() {
            return None;
        }
        match self.current {
            Current::A => Some(&self.a),
            Current::B => Some(&self.b),
            Current::None => None,
        }
    }

    fn check_failed(&self) -> Result<()> {
        match &self.error {
            Some(e) => Err(e.duplicate()),
            None => Ok(()),
        }
    }

    /// Runs one repositioning step; an error fails the cursor for good.
    fn guarded(&mut self, step: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        self.check_failed()?;
        match step(self) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.current = Current::None;
                self.error = Some(e.duplicate());
                Err(e)
            }
        }
    }

    /// Skips B's entry equal to A's, then picks the child that comes first.
    fn settle(&mut self) -> Result<()> {
        if self.a.valid() && self.b.valid() && self.a.key() == self.b.key() {
            if self.forward {
                self.b.next()?
            } else {
                self.b.prev()?
            }
        }
        self.current = match (self.a.valid(), self.b.valid()) {
            (true, true) => {
                let order = compare_internal_keys(self.a.key(), self.b.key());
                let a_first = if self.forward {
                    order == Ordering::Less
                } else {
                    order == Ordering::Greater
                };
                if a_first { Current::A } else { Current::B }
            }
            (true, false) => Current::A,
            (false, true) => Current::B,
            (false, false) => Current::None,
        };
        Ok(())
    }

    /// Moves the current child one step in the current direction.
    fn step_current(&mut self) -> Result<()> {
        let forward = self.forward;
        let step = |it: &mut dyn InternalIterator| if forward { it.next() } else { it.prev() };
        match self.current {
            Current::A => step(&mut self.a),
            Current::B => step(&mut self.b),
            Current::None => Ok(()),
        }
    }

    /// Turns around at the current key: the other child is repositioned strictly past it.
    fn switch_direction(&mut self) -> Result<()> {
        self.scratch.clear();
        match self.current {
            Current::A => self.scratch.extend_from_slice(self.a.key()),
            Current::B => self.scratch.extend_from_slice(self.b.key()),
            Current::None => return Ok(()),
        }
        self.forward = !self.forward;
        let other: &mut dyn InternalIterator = if self.current == Current::A {
            &mut self.b
        } else {
            &mut self.a
        };
        let key = &self.scratch[..];
        if self.forward {
            other.seek(key)?;
            if other.valid() && other.key() == key {
                other.next()?;
            }
        } else {
            other.seek_for_prev(key)?;
            if other.valid() && other.key() == key {
                other.prev()?;
            }
        }
        self.step_current()
    }
}

impl<A: InternalIterator, B: InternalIterator> InternalIterator for TwoMergeIterator<A, B> {
    fn valid(&self) -> bool {
        self.current_iter().is_some()
    }

    fn key(&self) -> &[u8] {
        debug_assert!(self.valid());
        self.current_iter().map_or(&[][..], |c| c.key())
    }

    fn value(&self) -> &[u8] {
        debug_assert!(self.valid());
        self.current_iter().map_or(&[][..], |c| c.value())
    }

    fn value_bytes(&self) -> Bytes {
        debug_assert!(self.valid());
        self.current_iter()
            .map(|c| c.value_bytes())
            .unwrap_or_default()
    }

    fn seek_to_first(&mut self) -> Result<()> {
        self.guarded(|s| {
            s.forward = true;
            s.a.seek_to_first()?;
            s.b.seek_to_first()?;
            s.settle()
        })
    }

    fn seek_to_last(&mut self) -> Result<()> {
        self.guarded(|s| {
            s.forward = false;
            s.a.seek_to_last()?;
            s.b.seek_to_last()?;
            s.settle()
        })
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        self.guarded(|s| {
            s.forward = true;
            s.a.seek(target)?;
            s.b.seek(target)?;
            s.settle()
        })
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        self.guarded(|s| {
            s.forward = false;
            s.a.seek_for_prev(target)?;
            s.b.seek_for_prev(target)?;
            s.settle()
        })
    }

    fn next(&mut self) -> Result<()> {
        debug_assert!(
            self.valid() || self.error.is_some(),
            "next on an invalid cursor"
        );
        self.guarded(|s| {
            if s.forward {
                s.step_current()?
            } else {
                s.switch_direction()?
            }
            s.settle()
        })
    }

    fn prev(&mut self) -> Result<()> {
        debug_assert!(
            self.valid() || self.error.is_some(),
            "prev on an invalid cursor"
        );
        self.guarded(|s| {
            if s.forward {
                s.switch_direction()?
            } else {
                s.step_current()?
            }
            s.settle()
        })
    }
}

#[cfg(test)]
mod tests;
