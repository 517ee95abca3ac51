//! Test helpers for cursors (compiled only under `cfg(test)`).
//!
//! - [`VecIter`]: an [`InternalIterator`] over a sorted `Vec` of encoded internal entries,
//!   the independent model other cursors are checked against.
//! - [`FailingIter`]: wraps a cursor and fails its `n`-th positioning call, then stays failed
//!   and records whether anyone touched it again.
//! - [`random_entries`], [`random_target`], [`check_random_walk`]: random data and a random
//!   seek/next/prev walk compared step by step with a sorted model.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::cmp::Ordering;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering as AtomicOrdering};

use bytes::Bytes;
use rand::Rng;

use crate::error::{Error, Result};
use crate::iter::InternalIterator;
use crate::key::{KIND_SEEK, compare_internal_keys, make_internal_key};

/// One encoded internal entry: (internal key, value).
pub(crate) type Entry = (Vec<u8>, Vec<u8>);

/// One record: (user key, seq, is_put, value).
pub(crate) type Record = (Vec<u8>, u64, bool, Vec<u8>);

/// A model of the data: user key -> seq -> (is_put, value).
pub(crate) type VersionMap =
    std::collections::BTreeMap<Vec<u8>, std::collections::BTreeMap<u64, (bool, Vec<u8>)>>;

/// Sorts entries by internal key (the model order).
pub(crate) fn sort_entries(entries: &mut [Entry]) {
    entries.sort_by(|a, b| compare_internal_keys(&a.0, &b.0));
}

/// A cursor over sorted in-memory entries.
pub(crate) struct VecIter {
    entries: Arc<Vec<(Bytes, Bytes)>>,
    pos: usize,
}

impl VecIter {
    /// A cursor over `entries`, which must be sorted by internal key without duplicates.
    pub(crate) fn new(entries: Vec<Entry>) -> VecIter {
        let entries: Vec<(Bytes, Bytes)> = entries
            .into_iter()
            .map(|(k, v)| (Bytes::from(k), Bytes::from(v)))
            .collect();
        assert!(
            entries
                .windows(2)
                .all(|w| compare_internal_keys(&w[0].0, &w[1].0) == Ordering::Less),
            "VecIter entries must be strictly sorted"
        );
        let pos = entries.len();
        VecIter {
            entries: Arc::new(entries),
            pos,
        }
    }

    /// Boxed, for merge children.
    pub(crate) fn boxed(entries: Vec<Entry>) -> crate::iter::BoxedIterator {
        Box::new(VecIter::new(entries))
    }

    fn lower_bound(&self, target: &[u8]) -> usize {
        self.entries
            .partition_point(|(k, _)| compare_internal_keys(k, target) == Ordering::Less)
    }

    fn upper_bound(&self, target: &[u8]) -> usize {
        self.entries
            .partition_point(|(k, _)| compare_internal_keys(k, target) != Ordering::Greater)
    }
}

impl InternalIterator for VecIter {
    fn valid(&self) -> bool {
        self.pos < self.entries.len()
    }
    fn key(&self) -> &[u8] {
        &self.entries[self.pos].0
    }
    fn value(&self) -> &[u8] {
        &self.entries[self.pos].1
    }
    fn value_bytes(&self) -> Bytes {
        self.entries[self.pos].1.clone()
    }
    fn seek_to_first(&mut self) -> Result<()> {
        self.pos = 0;
        Ok(())
    }
    fn seek_to_last(&mut self) -> Result<()> {
        self.pos = self
            .entries
            .len()
            .checked_sub(1)
            .unwrap_or(self.entries.len());
        Ok(())
    }
    fn seek(&mut self, target: &[u8]) -> Result<()> {
        self.pos = self.lower_bound(target);
        Ok(())
    }
    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        let upper = self.upper_bound(target);
        self.pos = upper.checked_sub(1).unwrap_or(self.entries.len());
        Ok(())
    }
    fn next(&mut self) -> Result<()> {
        assert!(self.valid(), "next on an invalid cursor");
        self.pos += 1;
        Ok(())
    }
    fn prev(&mut self) -> Result<()> {
        assert!(self.valid(), "prev on an invalid cursor");
        self.pos = self.pos.checked_sub(1).unwrap_or(self.entries.len());
        Ok(())
    }
}

/// The error [`FailingIter`] injects.
pub(crate) fn injected_error(step: usize) -> Error {
    Error::corruption("injected", step as u64, "injected failure")
}

/// Shared observations of a [`FailingIter`].
#[derive(Clone, Default)]
pub(crate) struct FailProbe {
    /// Positioning calls made so far.
    pub(crate) calls: Arc<AtomicUsize>,
    /// Whether the cursor failed.
    pub(crate) failed: Arc<AtomicBool>,
    /// Whether any call reached the cursor after it failed.
    pub(crate) touched_after_failure: Arc<AtomicBool>,
}

/// Fails the `fail_at`-th positioning call (counting from 1), then stays failed.
pub(crate) struct FailingIter<I> {
    inner: I,
    fail_at: usize,
    probe: FailProbe,
}

impl<I: InternalIterator> FailingIter<I> {
    /// Wraps `inner`; `fail_at == 0` never fails.
    pub(crate) fn new(inner: I, fail_at: usize) -> (FailingIter<I>, FailProbe) {
        let probe = FailProbe::default();
        (
            FailingIter {
                inner,
                fail_at,
                probe: probe.clone(),
            },
            probe,
        )
    }

    fn step(&mut self, op: impl FnOnce(&mut I) -> Result<()>) -> Result<()> {
        if self.probe.failed.load(AtomicOrdering::SeqCst) {
            self.probe
                .touched_after_failure
                .store(true, AtomicOrdering::SeqCst);
            return Err(injected_error(0));
        }
        let call = self.probe.calls.fetch_add(1, AtomicOrdering::SeqCst) + 1;
        if call == self.fail_at {
            self.probe.failed.store(true, AtomicOrdering::SeqCst);
            return Err(injected_error(call));
        }
        op(&mut self.inner)
    }
}

impl<I: InternalIterator> InternalIterator for FailingIter<I> {
    fn valid(&self) -> bool {
        !self.probe.failed.load(AtomicOrdering::SeqCst) && self.inner.valid()
    }
    fn key(&self) -> &[u8] {
        assert!(self.valid(), "key on an invalid cursor");
        self.inner.key()
    }
    fn value(&self) -> &[u8] {
        assert!(self.valid(), "value on an invalid cursor");
        self.inner.value()
    }
    fn seek_to_first(&mut self) -> Result<()> {
        self.step(|i| i.seek_to_first())
    }
    fn seek_to_last(&mut self) -> Result<()> {
        self.step(|i| i.seek_to_last())
    }
    fn seek(&mut self, target: &[u8]) -> Result<()> {
        self.step(|i| i.seek(target))
    }
    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        self.step(|i| i.seek_for_prev(target))
    }
    fn next(&mut self) -> Result<()> {
        self.step(|i| i.next())
    }
    fn prev(&mut self) -> Result<()> {
        self.step(|i| i.prev())
    }
}

/// A random user key: 0..=3 bytes from {0x00, 0x01, 'a', 0xFF} (empty keys and prefixes
/// included, 85 keys in all, so versions collide often).
pub(crate) fn random_user_key(rng: &mut impl Rng) -> Vec<u8> {
    const ALPHABET: [u8; 4] = [0x00, 0x01, b'a', 0xFF];
    let len = rng.random_range(0..=3);
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
        .collect()
}

/// `n` random records with distinct seqs in `1..=n`: (user key, seq, is_put, value).
/// Values name their seq (or are empty for some puts); tombstones have empty values.
pub(crate) fn random_records(rng: &mut impl Rng, n: usize) -> Vec<Record> {
    let mut seqs: Vec<u64> = (1..=n as u64).collect();
    for i in (1..seqs.len()).rev() {
        seqs.swap(i, rng.random_range(0..=i));
    }
    seqs.into_iter()
        .map(|seq| {
            let key = random_user_key(rng);
            let put = rng.random_bool(0.75);
            let value = if put && rng.random_bool(0.9) {
                format!("v{seq}").into_bytes()
            } else {
                Vec::new()
            };
            (key, seq, put, value)
        })
        .collect()
}

/// The model of `records`.
pub(crate) fn version_map(records: &[Record]) -> VersionMap {
    let mut map = VersionMap::new();
    for (k, seq, put, v) in records {
        map.entry(k.clone())
            .or_default()
            .insert(*seq, (*put, v.clone()));
    }
    map
}

/// Encodes records as entries (unsorted).
pub(crate) fn encode_records(records: &[Record]) -> Vec<Entry> {
    records
        .iter()
        .map(|(k, seq, put, v)| (make_internal_key(k, *seq, u8::from(*put)), v.clone()))
        .collect()
}

/// `n` random sorted entries with distinct seqs.
pub(crate) fn random_entries(rng: &mut impl Rng, n: usize) -> Vec<Entry> {
    let mut entries = encode_records(&random_records(rng, n));
    sort_entries(&mut entries);
    entries
}

/// A random seek target: often an existing key, else a random internal key (seek kind,
/// extreme seqs included).
pub(crate) fn random_target(rng: &mut impl Rng, model: &[Entry]) -> Vec<u8> {
    if !model.is_empty() && rng.random_bool(0.4) {
        return model[rng.random_range(0..model.len())].0.clone();
    }
    let key = random_user_key(rng);
    let (seq, kind) = match rng.random_range(0..4) {
        0 => (0, 0),
        1 => (crate::key::MAX_SEQUENCE, KIND_SEEK),
        2 => (rng.random_range(0..=model.len() as u64 + 1), KIND_SEEK),
        _ => (
            rng.random_range(0..=model.len() as u64 + 1),
            rng.random_range(0..=1),
        ),
    };
    make_internal_key(&key, seq, kind)
}

/// Runs `steps` random cursor operations on `it` and on a model cursor over `model`
/// (sorted), asserting they agree after every step. `it` must not fail.
pub(crate) fn check_random_walk(
    it: &mut dyn InternalIterator,
    model: &[Entry],
    rng: &mut impl Rng,
    steps: usize,
) {
    let mut pos: Option<usize> = None;
    for step in 0..steps {
        let op = rng.random_range(0..10);
        let what = match op {
            0 => {
                it.seek_to_first().unwrap();
                pos = (!model.is_empty()).then_some(0);
                "seek_to_first".to_string()
            }
            1 => {
                it.seek_to_last().unwrap();
                pos = model.len().checked_sub(1);
                "seek_to_last".to_string()
            }
            2 => {
                let t = random_target(rng, model);
                it.seek(&t).unwrap();
                let p = model.partition_point(|(k, _)| compare_internal_keys(k, &t).is_lt());
                pos = (p < model.len()).then_some(p);
                format!("seek({t:?})")
            }
            3 => {
                let t = random_target(rng, model);
                it.seek_for_prev(&t).unwrap();
                let p = model.partition_point(|(k, _)| compare_internal_keys(k, &t).is_le());
                pos = p.checked_sub(1);
                format!("seek_for_prev({t:?})")
            }
            4..=6 => match pos {
                Some(p) => {
                    it.next().unwrap();
                    pos = (p + 1 < model.len()).then_some(p + 1);
                    "next".to_string()
                }
                None => continue,
            },
            _ => match pos {
                Some(p) => {
                    it.prev().unwrap();
                    pos = p.checked_sub(1);
                    "prev".to_string()
                }
                None => continue,
            },
        };
        assert_eq!(
            it.valid(),
            pos.is_some(),
            "step {step}: validity after {what}"
        );
        if let Some(p) = pos {
            assert_eq!(it.key(), &model[p].0[..], "step {step}: key after {what}");
            assert_eq!(
                it.value(),
                &model[p].1[..],
                "step {step}: value after {what}"
            );
            assert_eq!(
                &it.value_bytes()[..],
                &model[p].1[..],
                "step {step}: value_bytes"
            );
        }
    }
}

/// Collects every entry forward from the first, then checks the backward walk agrees.
pub(crate) fn collect_both_ways(it: &mut dyn InternalIterator) -> Result<Vec<Entry>> {
    let mut forward = Vec::new();
    it.seek_to_first()?;
    while it.valid() {
        forward.push((it.key().to_vec(), it.value().to_vec()));
        it.next()?;
    }
    let mut backward = Vec::new();
    it.seek_to_last()?;
    while it.valid() {
        backward.push((it.key().to_vec(), it.value().to_vec()));
        it.prev()?;
    }
    backward.reverse();
    assert_eq!(forward, backward, "forward and backward walks disagree");
    Ok(forward)
}

/// Runs a fixed workload (forward scan, backward scan, seeks with direction switches),
/// recording every entry seen until the first error.
pub(crate) fn scripted_workload(
    it: &mut dyn InternalIterator,
    seek_targets: &[Vec<u8>],
) -> Result<Vec<Entry>> {
    let mut seen = Vec::new();
    let record = |m: &dyn InternalIterator, seen: &mut Vec<Entry>| {
        if m.valid() {
            seen.push((m.key().to_vec(), m.value().to_vec()));
        }
    };
    it.seek_to_first()?;
    while it.valid() {
        record(&*it, &mut seen);
        it.next()?;
    }
    it.seek_to_last()?;
    while it.valid() {
        record(&*it, &mut seen);
        it.prev()?;
    }
    for target in seek_targets {
        it.seek(target)?;
        record(&*it, &mut seen);
        for _ in 0..3 {
            if !it.valid() {
                break;
            }
            it.prev()?;
            record(&*it, &mut seen);
        }
        it.seek_for_prev(target)?;
        record(&*it, &mut seen);
        for _ in 0..3 {
            if !it.valid() {
                break;
            }
            it.next()?;
            record(&*it, &mut seen);
        }
    }
    Ok(seen)
}
