//! Table-level tests: a BTreeMap-style model for build/open/get/iterate, corruption
//! (truncation and byte flips), the caches, and an ignored throughput measurement.
#![allow(clippy::unwrap_used)]

mod cache;
mod corruption;
mod golden;
mod legacy_filter;
mod model;
mod perf;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::key::ValueKind;

use super::test_util::{Entry, sort_entries};

/// `n` user keys (`key{i:06}` with some empty and long ones), 1..=4 versions each with
/// distinct seqs, ~20% tombstones, values of 0..max_value bytes (some empty). Sorted.
pub(super) fn random_entries(seed: u64, n: usize, max_value: usize) -> Vec<Entry> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    let mut seq = 1u64;
    for i in 0..n {
        let key = match i {
            0 => Vec::new(),
            _ if i % 97 == 0 => format!("key{i:06}-{}", "x".repeat(i % 300)).into_bytes(),
            _ => format!("key{i:06}").into_bytes(),
        };
        for _ in 0..rng.random_range(1..=4) {
            seq += rng.random_range(1..5);
            let kind = if rng.random_bool(0.2) {
                ValueKind::Delete
            } else {
                ValueKind::Put
            };
            let value = match kind {
                ValueKind::Delete => Vec::new(),
                ValueKind::Put => {
                    let len = if rng.random_bool(0.1) {
                        0
                    } else {
                        rng.random_range(0..max_value)
                    };
                    // Compressible: a repeated pattern with some noise.
                    (0..len)
                        .map(|j| {
                            if j % 7 == 0 {
                                rng.random()
                            } else {
                                b'a' + (j % 5) as u8
                            }
                        })
                        .collect()
                }
            };
            out.push((key.clone(), seq, kind, value));
        }
    }
    sort_entries(&mut out);
    out
}

/// The model's answer to `get(key, seq)`: the newest version with seq <= `seq`.
pub(super) fn model_get(entries: &[Entry], key: &[u8], seq: u64) -> Option<(ValueKind, Vec<u8>)> {
    let start = entries.partition_point(|e| e.0.as_slice() < key);
    entries[start..]
        .iter()
        .take_while(|e| e.0 == key)
        .find(|e| e.1 <= seq)
        .map(|e| (e.2, e.3.clone()))
}
