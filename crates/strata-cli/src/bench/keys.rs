//! Bench keys and values.
//!
//! Key `i` is `i` in decimal, zero-padded on the left to exactly `key_size` bytes, so keys sort
//! like their numbers. Written keys are indices in `0..num`; [`KeySpace::missing`] draws from
//! `num..2·num`, which no workload writes, so `readmissing` never finds anything. Values are
//! slices of one pool of random bytes (as db_bench's `RandomGenerator`), so producing a value
//! costs no allocation and no random-number generation per operation.

use anyhow::{Result, bail};
use rand::{Rng, RngCore};

/// How bench keys are drawn and encoded.
#[derive(Debug, Clone, Copy)]
pub struct KeySpace {
    key_size: usize,
    num: u64,
}

/// Decimal digits of `n` (at least 1).
fn digits(mut n: u64) -> usize {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

impl KeySpace {
    /// Keys of `key_size` bytes for `num` entries.
    ///
    /// # Errors
    /// `num` is 0 or too large, or `key_size` cannot hold the largest (missing) key.
    pub fn new(key_size: usize, num: u64) -> Result<KeySpace> {
        if num == 0 {
            bail!("--num must be at least 1");
        }
        let Some(largest) = num.checked_mul(2).map(|n| n - 1) else {
            bail!("--num {num} is too large");
        };
        if key_size > strata::MAX_KEY_LEN {
            bail!(
                "--key-size {key_size} is over the engine's limit of {}",
                strata::MAX_KEY_LEN
            );
        }
        let needed = digits(largest);
        if key_size < needed {
            bail!("--key-size {key_size} is too small for --num {num}: keys need {needed} digits");
        }
        Ok(KeySpace { key_size, num })
    }

    /// The number of entries.
    pub fn num(&self) -> u64 {
        self.num
    }

    /// A buffer to [`encode`](Self::encode) into.
    pub fn buffer(&self) -> Vec<u8> {
        vec![b'0'; self.key_size]
    }

    /// Writes key `index` into `buf` (which must be `key_size` long).
    pub fn encode(&self, mut index: u64, buf: &mut [u8]) {
        debug_assert_eq!(buf.len(), self.key_size);
        debug_assert!(index < self.num * 2);
        for byte in buf.iter_mut().rev() {
            // A remainder of 10 fits a byte.
            *byte = b'0' + (index % 10) as u8;
            index /= 10;
        }
    }

    /// A random index of a key the fill workloads write.
    pub fn existing(&self, rng: &mut impl Rng) -> u64 {
        rng.random_range(0..self.num)
    }

    /// A random index of a key no workload writes.
    pub fn missing(&self, rng: &mut impl Rng) -> u64 {
        rng.random_range(self.num..self.num * 2)
    }
}

/// Bytes of random data values are cut from.
const POOL_BYTES: usize = 1 << 20;

/// The shared pool of random value bytes: at least 1 MiB and twice the value size.
pub fn value_pool(value_size: usize, rng: &mut impl RngCore) -> Vec<u8> {
    let mut pool = vec![0u8; POOL_BYTES.max(value_size.saturating_mul(2))];
    rng.fill_bytes(&mut pool);
    pool
}

/// Successive values of `size` bytes taken from a pool, starting at a per-thread offset.
pub struct Values<'a> {
    pool: &'a [u8],
    size: usize,
    position: usize,
}

impl<'a> Values<'a> {
    /// Values of `size` bytes (`pool` must hold at least `2·size`).
    pub fn new(pool: &'a [u8], size: usize, start: usize) -> Values<'a> {
        debug_assert!(pool.len() >= size.saturating_mul(2));
        Values {
            pool,
            size,
            position: start % (pool.len() - size + 1),
        }
    }

    /// The next value.
    pub fn next_value(&mut self) -> &'a [u8] {
        if self.position + self.size > self.pool.len() {
            self.position = 0;
        }
        let value = self
            .pool
            .get(self.position..self.position + self.size)
            .unwrap_or_default();
        // Step by an odd amount so consecutive values differ even for tiny sizes.
        self.position += self.size.max(1) + 1;
        value
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn keys_are_zero_padded_decimal_in_numeric_order() {
        let keys = KeySpace::new(16, 1000).unwrap();
        let mut buf = keys.buffer();
        keys.encode(42, &mut buf);
        assert_eq!(buf, b"0000000000000042");
        let mut previous = Vec::new();
        for i in 0..2000 {
            keys.encode(i, &mut buf);
            assert!(buf > previous);
            previous.clone_from(&buf);
        }
        keys.encode(1999, &mut buf);
        assert_eq!(buf, b"0000000000001999");
    }

    #[test]
    fn key_size_must_hold_the_missing_keys() {
        assert!(KeySpace::new(4, 5000).is_ok()); // largest is 9999
        assert!(KeySpace::new(4, 5001).is_err()); // largest is 10001
        assert!(KeySpace::new(16, 0).is_err());
        assert!(KeySpace::new(20, u64::MAX).is_err());
        assert!(KeySpace::new(strata::MAX_KEY_LEN + 1, 10).is_err());
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(digits(u64::MAX), 20);
    }

    #[test]
    fn existing_and_missing_never_meet() {
        let keys = KeySpace::new(8, 100).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..10_000 {
            assert!(keys.existing(&mut rng) < 100);
            let missing = keys.missing(&mut rng);
            assert!((100..200).contains(&missing));
        }
    }

    #[test]
    fn values_have_the_right_size_and_vary() {
        let mut rng = StdRng::seed_from_u64(7);
        for size in [0, 1, 100, 4096, 3 << 20] {
            let pool = value_pool(size, &mut rng);
            let mut values = Values::new(&pool, size, 12345);
            let first = values.next_value();
            assert_eq!(first.len(), size);
            for _ in 0..1000 {
                assert_eq!(values.next_value().len(), size);
            }
            if size >= 100 {
                assert_ne!(first, values.next_value());
            }
        }
    }
}
