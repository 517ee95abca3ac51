//! The per-table bloom filters over distinct user keys: the blocked (cache-local) kind that new
//! tables carry, and the legacy kind that older tables carry.
//!
//! Both payloads (stored raw, with the usual block trailer) are a bitmap followed by `k: u8`,
//! and both hash with `h = xxh3_64(user_key)` (XXH3 64-bit, no seed, no secret).
//!
//! **Blocked** (meta-index name `filter.bloom64.xxh3`, [`FilterKind::Blocked`]): the bitmap
//! is `n >= 1` blocks of 64 bytes (512 bits). A key's block is
//! `j = ((h >> 32) * n) >> 32` (u64 arithmetic; "fastrange", no modulo). Its probes all land in
//! block `j`: with `x_0 = h mod 2^32` and `x_{i+1} = x_i * 0x9E37_79B9 mod 2^32`, probe `i` in
//! `0..k` is bit `x_i >> 23` (0..512) of the block, bit `b` of block `j` being
//! `bitmap[64 j + b / 8] & (1 << (b % 8))`. `k` is [`blocked_num_probes`] (6 at 10 bits/key);
//! `n = max(1, ceil(keys * bits_per_key / 512))`.
//!
//! **Legacy** (meta-index name `filter.bloom.xxh3`, [`FilterKind::Legacy`]; read, and written
//! only by tests): `h1 = h & 0xFFFF_FFFF`, `h2 = h >> 32`; probe `i` in `0..k` sets/tests bit
//! `(h1 + i * h2) mod (8 * m)` (u64 arithmetic) of an `m`-byte bitmap, bit `b` being
//! `bitmap[b / 8] & (1 << (b % 8))`. `k = round(bits_per_key * ln 2)` clamped to 1..=30;
//! `8 * m = max(64, keys * bits_per_key)` rounded up to a byte.
//!
//! Invariant: no false negatives: every key added answers `true`. Each user key is added once
//! however many versions the table holds (the builder calls [`BloomBuilder::add_key`] when the
//! user key changes). Builders are single-owner; a [`BloomFilter`] is immutable and shared.

use bytes::Bytes;
use xxhash_rust::xxh3::xxh3_64;

/// Largest number of probes.
const MAX_PROBES: u32 = 30;

/// Smallest legacy bitmap, in bits.
const MIN_BITS: u64 = 64;

/// Bytes of one block of a blocked filter (a cache line).
const BLOCK_BYTES: usize = 64;

/// Largest number of blocks: `((h >> 32) * n) >> 32 < n` needs `n <= 2^32`.
const MAX_BLOCKS: u64 = 1 << 32;

/// Multiplier deriving the next in-block probe from the previous one (`0x9E37_79B9`, the
/// 32-bit golden ratio, as in RocksDB's FastLocalBloom).
const PROBE_MULTIPLIER: u32 = 0x9E37_79B9;

/// Which filter layout a block holds; the meta-index name says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FilterKind {
    /// Cache-local: all probes of a key in one 64-byte block (written by this version).
    Blocked,
    /// Probes spread over the whole bitmap (format version 1 tables).
    Legacy,
}

/// The number of probes of a legacy filter: `round(bits_per_key * ln 2)` clamped to 1..=30.
pub(crate) fn num_probes(bits_per_key: usize) -> u32 {
    let k = (bits_per_key as f64 * std::f64::consts::LN_2).round();
    (k as u32).clamp(1, MAX_PROBES)
}

/// The number of probes of a blocked filter: RocksDB FastLocalBloom's choice at whole bits per
/// key (probes confined to 512 bits fill their block unevenly, so fewer probes than
/// `bits * ln 2` give the lowest false-positive rate): 1-2 → 1, 3 → 2, 4-5 → 3, 6 → 4,
/// 7-8 → 5, 9-10 → 6, 11 → 7, 12-14 → 8, 15-16 → 9, 17-18 → 10, 19-22 → 11, 23-28 → 12, then
/// `min(24, (bits - 1) / 2 - 1)`.
pub(crate) fn blocked_num_probes(bits_per_key: usize) -> u32 {
    match bits_per_key {
        0..=2 => 1,
        3 => 2,
        4..=5 => 3,
        6 => 4,
        7..=8 => 5,
        9..=10 => 6,
        11 => 7,
        12..=14 => 8,
        15..=16 => 9,
        17..=18 => 10,
        19..=22 => 11,
        23..=28 => 12,
        b => ((b - 1) / 2 - 1).min(24) as u32,
    }
}

/// The legacy bits `(h1 + i * h2) mod num_bits` for `i` in `0..k` (`num_bits > 0`), computed
/// with two divisions instead of `k`: `(h1 + i * h2) mod n = (h1 mod n + i * (h2 mod n)) mod n`
/// (no overflow: `h1 + 30 * h2 < 2^37`), and adding `h2 mod n` to a value below `n` needs at
/// most one subtraction to stay below `n`.
#[inline]
fn probes(h: u64, k: u32, num_bits: u64) -> impl Iterator<Item = u64> {
    let (h1, h2) = (h & 0xFFFF_FFFF, h >> 32);
    let step = h2 % num_bits;
    let mut bit = h1 % num_bits;
    (0..k).map(move |_| {
        let this = bit;
        bit += step;
        if bit >= num_bits {
            bit -= num_bits;
        }
        this
    })
}

/// The block of a blocked filter with `num_blocks` (1..=2^32) blocks that `h` selects.
#[inline]
fn block_of(h: u64, num_blocks: u64) -> usize {
    debug_assert!((1..=MAX_BLOCKS).contains(&num_blocks));
    (((h >> 32) * num_blocks) >> 32) as usize
}

/// The bits (0..512) within its block that `h` sets/tests in a blocked filter.
#[inline]
fn block_probes(h: u64, k: u32) -> impl Iterator<Item = usize> {
    let mut x = h as u32;
    (0..k).map(move |_| {
        let bit = (x >> 23) as usize;
        x = x.wrapping_mul(PROBE_MULTIPLIER);
        bit
    })
}

/// Collects key hashes while a table is built; [`BloomBuilder::finish`] sizes the bitmap.
#[derive(Debug)]
pub(crate) struct BloomBuilder {
    kind: FilterKind,
    bits_per_key: usize,
    hashes: Vec<u64>,
}

impl BloomBuilder {
    /// A builder of `kind` for `bits_per_key` (> 0) bits per distinct key.
    pub(crate) fn new(kind: FilterKind, bits_per_key: usize) -> BloomBuilder {
        debug_assert!(bits_per_key > 0);
        BloomBuilder {
            kind,
            bits_per_key,
            hashes: Vec::new(),
        }
    }

    /// The layout this builder writes.
    pub(crate) fn kind(&self) -> FilterKind {
        self.kind
    }

    /// Adds one distinct user key.
    pub(crate) fn add_key(&mut self, user_key: &[u8]) {
        self.hashes.push(xxh3_64(user_key));
    }

    /// The filter block payload: bitmap then `k`.
    pub(crate) fn finish(&self) -> Vec<u8> {
        let wanted = (self.hashes.len() as u64).saturating_mul(self.bits_per_key as u64);
        match self.kind {
            FilterKind::Blocked => {
                let num_blocks = wanted.div_ceil(8 * BLOCK_BYTES as u64).clamp(1, MAX_BLOCKS);
                let k = blocked_num_probes(self.bits_per_key);
                let mut out = vec![0u8; num_blocks as usize * BLOCK_BYTES + 1];
                for &h in &self.hashes {
                    let base = block_of(h, num_blocks) * BLOCK_BYTES;
                    for bit in block_probes(h, k) {
                        if let Some(byte) = out.get_mut(base + bit / 8) {
                            *byte |= 1 << (bit % 8);
                        }
                    }
                }
                if let Some(last) = out.last_mut() {
                    *last = k as u8;
                }
                out
            }
            FilterKind::Legacy => {
                let num_bytes = wanted.max(MIN_BITS).div_ceil(8);
                let num_bits = num_bytes * 8;
                let k = num_probes(self.bits_per_key);
                let mut out = vec![0u8; num_bytes as usize + 1];
                for &h in &self.hashes {
                    for bit in probes(h, k, num_bits) {
                        if let Some(byte) = out.get_mut((bit / 8) as usize) {
                            *byte |= 1 << (bit % 8);
                        }
                    }
                }
                if let Some(last) = out.last_mut() {
                    *last = k as u8;
                }
                out
            }
        }
    }
}

/// A decoded filter.
#[derive(Debug, Clone)]
pub(crate) struct BloomFilter {
    kind: FilterKind,
    bitmap: Bytes,
    /// Bits in the bitmap (legacy) ...
    num_bits: u64,
    /// ... and 64-byte blocks (blocked: `num_bits / 512`).
    num_blocks: u64,
    k: u32,
}

impl BloomFilter {
    /// Decodes a filter block payload of `kind`; `Err` names what is wrong.
    pub(crate) fn decode(
        kind: FilterKind,
        mut payload: Bytes,
    ) -> Result<BloomFilter, &'static str> {
        let Some(&k) = payload.last() else {
            return Err("empty filter block");
        };
        let k = u32::from(k);
        if !(1..=MAX_PROBES).contains(&k) {
            return Err("filter probe count outside 1..=30");
        }
        payload.truncate(payload.len() - 1);
        let num_bits = (payload.len() as u64) * 8;
        let num_blocks = (payload.len() / BLOCK_BYTES) as u64;
        match kind {
            FilterKind::Blocked => {
                if payload.is_empty() || !payload.len().is_multiple_of(BLOCK_BYTES) {
                    return Err(
                        "blocked filter bitmap is not a whole number (>= 1) of 64-byte blocks",
                    );
                }
                if num_blocks > MAX_BLOCKS {
                    return Err("blocked filter has more than 2^32 blocks");
                }
            }
            FilterKind::Legacy => {
                if num_bits < MIN_BITS {
                    return Err("filter bitmap shorter than 64 bits");
                }
            }
        }
        Ok(BloomFilter {
            kind,
            bitmap: payload,
            num_bits,
            num_blocks,
            k,
        })
    }

    /// False if `user_key` is certainly absent from the table.
    #[inline]
    pub(crate) fn may_contain(&self, user_key: &[u8]) -> bool {
        let h = xxh3_64(user_key);
        match self.kind {
            FilterKind::Blocked => {
                let base = block_of(h, self.num_blocks) * BLOCK_BYTES;
                let Some(block) = self
                    .bitmap
                    .get(base..base + BLOCK_BYTES)
                    .and_then(|b| <&[u8; BLOCK_BYTES]>::try_from(b).ok())
                else {
                    debug_assert!(false, "block {base} outside the checked bitmap");
                    return true;
                };
                block_probes(h, self.k).all(|bit| block[bit / 8] & (1 << (bit % 8)) != 0)
            }
            FilterKind::Legacy => probes(h, self.k, self.num_bits).all(|bit| {
                self.bitmap
                    .get((bit / 8) as usize)
                    .is_some_and(|byte| byte & (1 << (bit % 8)) != 0)
            }),
        }
    }

    /// The layout.
    pub(crate) fn kind(&self) -> FilterKind {
        self.kind
    }

    /// Probes per key.
    pub(crate) fn num_probes(&self) -> u32 {
        self.k
    }

    /// Bits in the bitmap.
    pub(crate) fn num_bits(&self) -> u64 {
        self.num_bits
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn build_kind(
        kind: FilterKind,
        keys: impl Iterator<Item = Vec<u8>>,
        bits: usize,
    ) -> BloomFilter {
        let mut b = BloomBuilder::new(kind, bits);
        for k in keys {
            b.add_key(&k);
        }
        BloomFilter::decode(kind, Bytes::from(b.finish())).unwrap()
    }

    fn build(keys: impl Iterator<Item = Vec<u8>>, bits: usize) -> BloomFilter {
        build_kind(FilterKind::Legacy, keys, bits)
    }

    /// The blocked membership rule of docs/FORMAT.md, written out from the text: block
    /// `((h >> 32) * n) >> 32`, probes `x_i >> 23` with `x_{i+1} = x_i * 0x9E3779B9 mod 2^32`.
    fn model_blocked_bits(h: u64, k: u32, num_blocks: u64) -> Vec<u64> {
        let block = ((u128::from(h >> 32) * u128::from(num_blocks)) >> 32) as u64;
        let mut x = h % (1 << 32);
        (0..k)
            .map(|_| {
                let bit = block * 512 + (x >> 23);
                x = (x * 0x9E37_79B9) % (1 << 32);
                bit
            })
            .collect()
    }

    fn false_positive_rate(f: &BloomFilter, trials: u32) -> f64 {
        let fp = (0..trials)
            .filter(|i| f.may_contain(format!("other{i}").as_bytes()))
            .count();
        fp as f64 / f64::from(trials)
    }

    #[test]
    fn blocked_probe_bits_follow_the_documented_formula() {
        let mut h = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..10_000u64 {
            h = h.rotate_left(23).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ round;
            let num_blocks =
                [1, 2, 3, 1 << 12, (round % 5000) + 1, MAX_BLOCKS][(round % 6) as usize];
            let k = (round % 30) as u32 + 1;
            let base = block_of(h, num_blocks) as u64 * 512;
            let got: Vec<u64> = block_probes(h, k).map(|b| base + b as u64).collect();
            assert_eq!(got, model_blocked_bits(h, k, num_blocks));
        }
    }

    #[test]
    fn blocked_filter_sets_exactly_the_model_bits() {
        let keys: Vec<Vec<u8>> = (0..300u32).map(|i| format!("k{i}").into_bytes()).collect();
        let mut b = BloomBuilder::new(FilterKind::Blocked, 10);
        for k in &keys {
            b.add_key(k);
        }
        let payload = b.finish();
        // 300 keys * 10 bits = 3000 bits -> 6 blocks of 512 bits, then k = 6.
        assert_eq!(payload.len(), 6 * 64 + 1);
        assert_eq!(payload[6 * 64], 6);
        let mut want = vec![0u8; 6 * 64];
        for k in &keys {
            for bit in model_blocked_bits(xxh3_64(k), 6, 6) {
                want[(bit / 8) as usize] |= 1 << (bit % 8);
            }
        }
        assert_eq!(&payload[..6 * 64], &want[..]);
    }

    #[test]
    fn blocked_probe_counts_follow_the_documented_table() {
        let want = [
            (1, 1),
            (2, 1),
            (3, 2),
            (4, 3),
            (5, 3),
            (6, 4),
            (7, 5),
            (8, 5),
            (9, 6),
            (10, 6),
            (11, 7),
            (12, 8),
            (14, 8),
            (15, 9),
            (16, 9),
            (17, 10),
            (18, 10),
            (19, 11),
            (22, 11),
            (23, 12),
            (28, 12),
            (29, 13),
            (50, 23),
            (51, 24),
            (1000, 24),
        ];
        for (bits, k) in want {
            assert_eq!(blocked_num_probes(bits), k, "{bits} bits per key");
        }
    }

    /// At 10 bits/key over 100k keys, measures the false-positive rate over 100k absent keys
    /// for k = 4..=8 and checks that the documented k = 6 is within noise of the best.
    #[test]
    fn blocked_filter_has_no_false_negatives_and_k_6_is_best_at_ten_bits() {
        let n = 100_000u32;
        let keys = || (0..n).map(|i| format!("key{i}").into_bytes());
        let f = build_kind(FilterKind::Blocked, keys(), 10);
        assert_eq!((f.num_probes(), f.num_bits()), (6, 1_000_448));
        for i in 0..n {
            assert!(
                f.may_contain(format!("key{i}").as_bytes()),
                "false negative for key{i}"
            );
        }
        let trials = 100_000u32;
        let mut rates = Vec::new();
        for k in 4..=8u32 {
            // The same 1954 blocks, filled by the model with k probes.
            let num_blocks = 1954u64;
            let mut payload = vec![0u8; num_blocks as usize * 64 + 1];
            for key in keys() {
                for bit in model_blocked_bits(xxh3_64(&key), k, num_blocks) {
                    payload[(bit / 8) as usize] |= 1 << (bit % 8);
                }
            }
            *payload.last_mut().unwrap() = k as u8;
            let f = BloomFilter::decode(FilterKind::Blocked, Bytes::from(payload)).unwrap();
            rates.push((k, false_positive_rate(&f, trials)));
        }
        eprintln!("blocked bloom false-positive rates at 10 bits/key (k, rate): {rates:?}");
        let best = rates.iter().map(|r| r.1).fold(1.0, f64::min);
        let six = rates[2].1;
        assert!(
            (0.005..0.015).contains(&six),
            "k = 6 false-positive rate {six}"
        );
        assert!(
            six <= best * 1.1,
            "k = 6 ({six}) is not near the best ({best})"
        );
    }

    #[test]
    fn decode_rejects_bad_blocked_payloads() {
        let d = |v: Vec<u8>| BloomFilter::decode(FilterKind::Blocked, Bytes::from(v));
        assert!(d(Vec::new()).is_err());
        assert!(d(vec![6u8; 1]).is_err()); // no block
        assert!(d(vec![6u8; 64]).is_err()); // 63-byte bitmap
        assert!(d(vec![6u8; 66]).is_err()); // 65-byte bitmap
        assert!(d(vec![0u8; 65]).is_err()); // k = 0
        assert!(d(vec![31u8; 65]).is_err()); // k = 31
        assert!(d(vec![6u8; 65]).is_ok());
        assert!(d(vec![6u8; 129]).is_ok());
    }

    #[test]
    fn empty_blocked_filter_has_one_block_and_rejects() {
        let f = build_kind(FilterKind::Blocked, std::iter::empty(), 10);
        assert_eq!(f.num_bits(), 512);
        assert!(!f.may_contain(b"x"));
        let one = build_kind(FilterKind::Blocked, std::iter::once(b"".to_vec()), 1);
        assert!(one.may_contain(b""));
    }

    #[test]
    fn probe_bits_follow_the_documented_formula() {
        let mut h = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..10_000u64 {
            h = h.rotate_left(23).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ round;
            let num_bits = [
                64,
                65,
                1 << 20,
                (round % 5000) * 8 + 64,
                u64::from(u32::MAX) + 7,
            ][(round % 5) as usize];
            let k = (round % 30) as u32 + 1;
            let (h1, h2) = (h & 0xFFFF_FFFF, h >> 32);
            let want: Vec<u64> = (0..u64::from(k))
                .map(|i| (h1 + i * h2) % num_bits)
                .collect();
            assert_eq!(probes(h, k, num_bits).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn probes_follow_the_documented_rule() {
        assert_eq!(num_probes(1), 1);
        assert_eq!(num_probes(10), 7);
        assert_eq!(num_probes(20), 14);
        assert_eq!(num_probes(64), 30);
    }

    #[test]
    fn no_false_negatives_and_about_one_percent_false_positives_at_ten_bits() {
        let n = 20_000u32;
        let f = build((0..n).map(|i| format!("key{i}").into_bytes()), 10);
        assert_eq!(f.num_probes(), 7);
        assert!(f.num_bits() >= u64::from(n) * 10);
        for i in 0..n {
            assert!(
                f.may_contain(format!("key{i}").as_bytes()),
                "false negative for key{i}"
            );
        }
        let trials = 100_000u32;
        let fp = (0..trials)
            .filter(|i| f.may_contain(format!("other{i}").as_bytes()))
            .count();
        let rate = fp as f64 / f64::from(trials);
        eprintln!("bloom false-positive rate at 10 bits/key: {rate}");
        assert!((0.003..0.02).contains(&rate), "false-positive rate {rate}");
    }

    #[test]
    fn tiny_filters_have_64_bits_and_work() {
        let f = build(std::iter::once(b"".to_vec()), 1);
        assert_eq!(f.num_bits(), 64);
        assert!(f.may_contain(b""));
        let empty = build(std::iter::empty(), 10);
        assert_eq!(empty.num_bits(), 64);
        assert!(!empty.may_contain(b"x"));
    }

    #[test]
    fn decode_rejects_bad_payloads() {
        let d = |v: Vec<u8>| BloomFilter::decode(FilterKind::Legacy, Bytes::from(v));
        assert!(d(Vec::new()).is_err());
        assert!(d(vec![0u8; 8]).is_err()); // k = 0
        assert!(d(vec![31u8; 9]).is_err()); // k = 31
        assert!(d(vec![7u8; 8]).is_err()); // 56 bits
        assert!(d(vec![7u8; 9]).is_ok());
    }
}
