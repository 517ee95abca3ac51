//! Keys, values and the random numbers that pick them (the same for every engine).
//!
//! Key `i` is `i` in decimal, zero-padded to exactly `key_size` bytes, so keys sort like their
//! numbers (as `strata bench` and db_bench). Written keys are indices in `0..num`;
//! [`KeySpace::missing`] draws from `num..2·num`, which no workload writes. Values are slices
//! of one pool of random bytes, so producing a value costs no allocation per operation.
//!
//! Threading: everything here is plain data; each thread owns its own [`Rng`] and [`Values`].

/// SplitMix64: a small, fast, seedable generator (statistical quality is plenty for picking
/// keys; it keeps the crate free of a `rand` dependency).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound > 0`), by Lemire's multiply-shift (bias < 2^-40 here).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}

/// How keys are drawn and encoded.
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
    /// Keys of `key_size` bytes for `num` entries; an error when they cannot be encoded.
    pub fn new(key_size: usize, num: u64) -> Result<KeySpace, String> {
        if num == 0 {
            return Err("--num must be at least 1".into());
        }
        let largest = num
            .checked_mul(2)
            .ok_or_else(|| format!("--num {num} is too large"))?
            - 1;
        let needed = digits(largest);
        if key_size < needed {
            return Err(format!(
                "--key-size {key_size} is too small for --num {num}: keys need {needed} digits"
            ));
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

    /// Writes key `index` into `buf` (which is `key_size` long).
    pub fn encode(&self, mut index: u64, buf: &mut [u8]) {
        for byte in buf.iter_mut().rev() {
            *byte = b'0' + (index % 10) as u8;
            index /= 10;
        }
    }

    /// A random index of a key the fill workloads write.
    pub fn existing(&self, rng: &mut Rng) -> u64 {
        rng.below(self.num)
    }

    /// A random index of a key no workload writes.
    pub fn missing(&self, rng: &mut Rng) -> u64 {
        self.num + rng.below(self.num)
    }
}

/// The shared pool of random value bytes: at least 1 MiB and twice the value size.
pub fn value_pool(value_size: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let len = (1usize << 20).max(value_size.saturating_mul(2));
    let mut pool = Vec::with_capacity(len + 8);
    while pool.len() < len {
        pool.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    pool.truncate(len);
    pool
}

/// Successive values of `size` bytes taken from a pool, starting at a per-thread offset.
pub struct Values<'a> {
    pool: &'a [u8],
    size: usize,
    position: usize,
}

impl<'a> Values<'a> {
    /// Values of `size` bytes (`pool` holds at least `2·size`).
    pub fn new(pool: &'a [u8], size: usize, start: usize) -> Values<'a> {
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
        self.position += self.size.max(1) + 1;
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_zero_padded_and_missing_keys_are_never_written() {
        let keys = KeySpace::new(16, 1000).unwrap();
        let mut buf = keys.buffer();
        keys.encode(42, &mut buf);
        assert_eq!(buf, b"0000000000000042");
        let mut rng = Rng::new(1);
        for _ in 0..10_000 {
            assert!(keys.existing(&mut rng) < 1000);
            assert!((1000..2000).contains(&keys.missing(&mut rng)));
        }
        assert!(KeySpace::new(4, 5001).is_err());
        assert!(KeySpace::new(4, 5000).is_ok());
    }

    #[test]
    fn values_have_the_right_size() {
        let pool = value_pool(100, 3);
        let mut values = Values::new(&pool, 100, 12345);
        let first = values.next_value();
        assert_eq!(first.len(), 100);
        assert_ne!(first, values.next_value());
    }
}
