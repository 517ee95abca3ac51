//! The per-table bloom filter over distinct user keys.
//!
//! Payload of the filter block (stored raw, with the usual block trailer):
//!
//! ```text
//! +------------------------------+---------+
//! | bitmap: m bytes (m >= 8)     | k: u8   |
//! +------------------------------+---------+
//! ```
//!
//! Hash: `h = xxh3_64(user_key)` (XXH3 64-bit, no seed, no secret); `h1 = h & 0xFFFF_FFFF`,
//! `h2 = h >> 32`; probe `i` in `0..k` sets/tests bit `(h1 + i * h2) mod (8 * m)` (u64
//! arithmetic), bit `b` being `bitmap[b / 8] & (1 << (b % 8))`. `k = round(bits_per_key * ln 2)`
//! clamped to 1..=30; `8 * m = max(64, keys * bits_per_key)` rounded up to a byte.
//!
//! Invariant: no false negatives: every key added answers `true`. Each user key is added once
//! however many versions the table holds (the builder calls [`BloomBuilder::add_key`] when the
//! user key changes). Builders are single-owner; a [`BloomFilter`] is immutable and shared.

use bytes::Bytes;
use xxhash_rust::xxh3::xxh3_64;

/// Largest number of probes.
const MAX_PROBES: u32 = 30;

/// Smallest bitmap, in bits.
const MIN_BITS: u64 = 64;

/// The number of probes for a density: `round(bits_per_key * ln 2)` clamped to 1..=30.
pub(crate) fn num_probes(bits_per_key: usize) -> u32 {
    let k = (bits_per_key as f64 * std::f64::consts::LN_2).round();
    (k as u32).clamp(1, MAX_PROBES)
}

/// The bits `(h1 + i * h2) mod num_bits` for `i` in `0..k` (`num_bits > 0`), computed with
/// two divisions instead of `k`: `(h1 + i * h2) mod n = (h1 mod n + i * (h2 mod n)) mod n`
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

/// Collects key hashes while a table is built; [`BloomBuilder::finish`] sizes the bitmap.
#[derive(Debug)]
pub(crate) struct BloomBuilder {
    bits_per_key: usize,
    hashes: Vec<u64>,
}

impl BloomBuilder {
    /// A builder for `bits_per_key` (> 0) bits per distinct key.
    pub(crate) fn new(bits_per_key: usize) -> BloomBuilder {
        debug_assert!(bits_per_key > 0);
        BloomBuilder {
            bits_per_key,
            hashes: Vec::new(),
        }
    }

    /// Adds one distinct user key.
    pub(crate) fn add_key(&mut self, user_key: &[u8]) {
        self.hashes.push(xxh3_64(user_key));
    }

    /// The filter block payload: bitmap then `k`.
    pub(crate) fn finish(&self) -> Vec<u8> {
        let wanted = (self.hashes.len() as u64).saturating_mul(self.bits_per_key as u64);
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

/// A decoded filter.
#[derive(Debug, Clone)]
pub(crate) struct BloomFilter {
    bitmap: Bytes,
    num_bits: u64,
    k: u32,
}

impl BloomFilter {
    /// Decodes a filter block payload; `Err` names what is wrong.
    pub(crate) fn decode(mut payload: Bytes) -> Result<BloomFilter, &'static str> {
        let Some(&k) = payload.last() else {
            return Err("empty filter block");
        };
        let k = u32::from(k);
        if !(1..=MAX_PROBES).contains(&k) {
            return Err("filter probe count outside 1..=30");
        }
        payload.truncate(payload.len() - 1);
        let num_bits = (payload.len() as u64) * 8;
        if num_bits < MIN_BITS {
            return Err("filter bitmap shorter than 64 bits");
        }
        Ok(BloomFilter {
            bitmap: payload,
            num_bits,
            k,
        })
    }

    /// False if `user_key` is certainly absent from the table.
    #[inline]
    pub(crate) fn may_contain(&self, user_key: &[u8]) -> bool {
        let h = xxh3_64(user_key);
        probes(h, self.k, self.num_bits).all(|bit| {
            self.bitmap
                .get((bit / 8) as usize)
                .is_some_and(|byte| byte & (1 << (bit % 8)) != 0)
        })
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

    fn build(keys: impl Iterator<Item = Vec<u8>>, bits: usize) -> BloomFilter {
        let mut b = BloomBuilder::new(bits);
        for k in keys {
            b.add_key(&k);
        }
        BloomFilter::decode(Bytes::from(b.finish())).unwrap()
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
        assert!(BloomFilter::decode(Bytes::new()).is_err());
        assert!(BloomFilter::decode(Bytes::from(vec![0u8; 8])).is_err()); // k = 0
        assert!(BloomFilter::decode(Bytes::from(vec![31u8; 9])).is_err()); // k = 31
        assert!(BloomFilter::decode(Bytes::from(vec![7u8; 8])).is_err()); // 56 bits
        assert!(BloomFilter::decode(Bytes::from(vec![7u8; 9])).is_ok());
    }
}
