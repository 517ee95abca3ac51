//! A serializable transaction's read set: point keys (misses included) and scanned
//! intervals, and [`KeyRanges`], the interval set validation searches.
//!
//! Scans are tracked as they yield: each iterator a transaction opens gets a
//! [`ScanTracker`] slot holding its bounds, the last key returned at the front and at the
//! back, and whether it finished. The interval a scan covered is
//! - `[lower, upper]` once it finished (its ends met, a bound was reached, or it failed);
//! - else `[lower, last front key]` and `[last back key, upper]` for the ends that moved.
//!
//! An iterator may outlive its transaction; what it reads afterwards lands in a read set
//! nobody validates any more, which is harmless.
//!
//! Threading: `ReadSet` is shared by the transaction and its iterators (`Arc`), one mutex
//! inside; all of them are `Send`.

use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::db::bounds_empty;

/// The reads of one transaction.
#[derive(Debug, Default)]
pub(crate) struct ReadSet {
    inner: Mutex<Reads>,
}

#[derive(Debug, Default)]
struct Reads {
    points: Vec<Bytes>,
    scans: Vec<Scan>,
}

#[derive(Debug)]
struct Scan {
    lower: Bound<Bytes>,
    upper: Bound<Bytes>,
    front: Option<Bytes>,
    back: Option<Bytes>,
    finished: bool,
}

impl ReadSet {
    /// Records a point read of `key` (a hit or a miss).
    pub(crate) fn add_point(&self, key: &[u8]) {
        self.inner.lock().points.push(Bytes::copy_from_slice(key));
    }

    /// Starts tracking a scan over `(lower, upper)`.
    pub(crate) fn track_scan(
        self: &Arc<Self>,
        lower: Bound<Bytes>,
        upper: Bound<Bytes>,
    ) -> ScanTracker {
        let mut reads = self.inner.lock();
        reads.scans.push(Scan {
            lower,
            upper,
            front: None,
            back: None,
            finished: false,
        });
        ScanTracker {
            set: Arc::clone(self),
            slot: reads.scans.len() - 1,
        }
    }

    /// The point keys (sorted, unique) and the covered intervals, for validation.
    pub(crate) fn collect(&self) -> (Vec<Bytes>, KeyRanges) {
        let reads = self.inner.lock();
        let mut points = reads.points.clone();
        points.sort_unstable();
        points.dedup();
        let mut ranges = KeyRanges::default();
        for s in &reads.scans {
            if s.finished {
                ranges.push(s.lower.clone(), s.upper.clone());
                continue;
            }
            if let Some(f) = &s.front {
                ranges.push(s.lower.clone(), Bound::Included(f.clone()));
            }
            if let Some(b) = &s.back {
                ranges.push(Bound::Included(b.clone()), s.upper.clone());
            }
        }
        ranges.build();
        (points, ranges)
    }
}

/// One iterator's slot in a [`ReadSet`], updated as the iterator yields.
pub(crate) struct ScanTracker {
    set: Arc<ReadSet>,
    slot: usize,
}

impl std::fmt::Debug for ScanTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanTracker")
            .field("slot", &self.slot)
            .finish()
    }
}

impl ScanTracker {
    fn update(&self, f: impl FnOnce(&mut Scan)) {
        if let Some(scan) = self.set.inner.lock().scans.get_mut(self.slot) {
            f(scan);
        }
    }

    /// The front end returned `key`.
    pub(crate) fn front(&self, key: &Bytes) {
        self.update(|s| s.front = Some(key.clone()));
    }

    /// The back end returned `key`.
    pub(crate) fn back(&self, key: &Bytes) {
        self.update(|s| s.back = Some(key.clone()));
    }

    /// The iterator finished: it covered its whole range.
    pub(crate) fn finish(&self) {
        self.update(|s| s.finished = true);
    }
}

/// A set of key intervals with an O(log n) membership test.
///
/// Built by [`KeyRanges::push`] then [`KeyRanges::build`]: intervals sorted by lower bound,
/// each paired with the largest upper bound among it and those before it. A key k lies in
/// some interval iff the last interval whose lower bound admits k has a running maximum
/// upper bound admitting k (every interval up to it starts at or before k).
#[derive(Debug, Default, Clone)]
pub(crate) struct KeyRanges {
    /// (lower, running max upper), sorted by lower.
    ranges: Vec<(Bound<Bytes>, Bound<Bytes>)>,
}

/// Orders lower bounds by where they start: unbounded, then by key, `Included(x)` before
/// `Excluded(x)`.
fn lower_order(a: &Bound<Bytes>, b: &Bound<Bytes>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let excluded = |x: &Bound<Bytes>| matches!(x, Bound::Excluded(_));
    match (a, b) {
        (Bound::Unbounded, Bound::Unbounded) => Ordering::Equal,
        (Bound::Unbounded, _) => Ordering::Less,
        (_, Bound::Unbounded) => Ordering::Greater,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            x.cmp(y).then(excluded(a).cmp(&excluded(b)))
        }
    }
}

/// Whether upper bound `a` ends after upper bound `b`.
fn upper_greater(a: &Bound<Bytes>, b: &Bound<Bytes>) -> bool {
    match (a, b) {
        (_, Bound::Unbounded) => false,
        (Bound::Unbounded, _) => true,
        (Bound::Included(x), Bound::Included(y)) | (Bound::Excluded(x), Bound::Excluded(y)) => {
            x > y
        }
        (Bound::Included(x), Bound::Excluded(y)) => x >= y,
        (Bound::Excluded(x), Bound::Included(y)) => x > y,
    }
}

fn lower_admits(lower: &Bound<Bytes>, key: &[u8]) -> bool {
    match lower {
        Bound::Unbounded => true,
        Bound::Included(x) => x.as_ref() <= key,
        Bound::Excluded(x) => x.as_ref() < key,
    }
}

fn upper_admits(upper: &Bound<Bytes>, key: &[u8]) -> bool {
    match upper {
        Bound::Unbounded => true,
        Bound::Included(x) => key <= x.as_ref(),
        Bound::Excluded(x) => key < x.as_ref(),
    }
}

impl KeyRanges {
    /// Adds an interval (an empty one is ignored). Call [`KeyRanges::build`] afterwards.
    pub(crate) fn push(&mut self, lower: Bound<Bytes>, upper: Bound<Bytes>) {
        if !bounds_empty(&lower, &upper) {
            self.ranges.push((lower, upper));
        }
    }

    /// Sorts the intervals and computes the running maximum of the upper bounds.
    pub(crate) fn build(&mut self) {
        self.ranges.sort_by(|a, b| lower_order(&a.0, &b.0));
        let mut max: Option<Bound<Bytes>> = None;
        for (_, upper) in &mut self.ranges {
            match &max {
                Some(m) if !upper_greater(upper, m) => *upper = m.clone(),
                _ => max = Some(upper.clone()),
            }
        }
    }

    /// Whether no interval was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether `key` lies in some interval.
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        let n = self
            .ranges
            .partition_point(|(lower, _)| lower_admits(lower, key));
        n > 0
            && self
                .ranges
                .get(n - 1)
                .is_some_and(|(_, max_upper)| upper_admits(max_upper, key))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    fn random_bound(rng: &mut StdRng) -> Bound<Bytes> {
        let k = Bytes::from(vec![rng.random_range(b'a'..=b'j')]);
        match rng.random_range(0..5) {
            0 => Bound::Unbounded,
            1 | 2 => Bound::Included(k),
            _ => Bound::Excluded(k),
        }
    }

    #[test]
    fn key_ranges_agree_with_a_linear_scan() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..2000 {
            let mut ranges = KeyRanges::default();
            let mut model = Vec::new();
            for _ in 0..rng.random_range(0..6) {
                let (lo, hi) = (random_bound(&mut rng), random_bound(&mut rng));
                model.push((lo.clone(), hi.clone()));
                ranges.push(lo, hi);
            }
            ranges.build();
            for c in b'a' - 1..=b'j' + 1 {
                for key in [vec![c], vec![c, 0]] {
                    let expect = model
                        .iter()
                        .any(|(lo, hi)| lower_admits(lo, &key) && upper_admits(hi, &key));
                    assert_eq!(ranges.contains(&key), expect, "{model:?} {key:?}");
                }
            }
        }
    }

    #[test]
    fn scans_cover_what_they_returned_or_everything_once_finished() {
        let set = Arc::new(ReadSet::default());
        let b = |s: &'static [u8]| Bytes::from_static(s);
        let untouched = set.track_scan(Bound::Included(b(b"a")), Bound::Excluded(b(b"z")));
        let t = set.track_scan(Bound::Included(b(b"c")), Bound::Excluded(b(b"m")));
        t.front(&b(b"d"));
        t.back(&b(b"k"));
        let done = set.track_scan(Bound::Excluded(b(b"p")), Bound::Included(b(b"r")));
        done.front(&b(b"q"));
        done.finish();
        set.add_point(b"x");
        set.add_point(b"x");
        drop(untouched);
        let (points, ranges) = set.collect();
        assert_eq!(points, vec![b(b"x")]);
        let inside = [&b"c"[..], b"d", b"k", b"l", b"p\0", b"r"];
        let outside = [&b"a"[..], b"b", b"d\0", b"j", b"m", b"p", b"r\0", b"x"];
        for k in inside {
            assert!(ranges.contains(k), "{k:?}");
        }
        for k in outside {
            assert!(!ranges.contains(k), "{k:?}");
        }
    }
}
