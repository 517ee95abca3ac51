//! The deterministic workload shared by the kill-test child (which runs it) and the parent
//! (which rebuilds it to know what each acknowledged write was).
//!
//! Each writer `w` owns the keys `w{w:02}-k{i:05}` for `i < keys`, across every cycle, so the
//! state of a writer's keys depends only on that writer's operations, which it issues one at a
//! time. Operation `n` (from 1) of writer `w` in cycle `c` is a pure function of
//! `(seed, c, w, n)`: a single put, a single delete, or a `WriteBatch` of 2–6 distinct keys
//! (puts and deletes). Every value written is self-describing: it names its writer, cycle,
//! operation number and the batch's whole key set (see [`Stamp`]), then filler.
//!
//! Pure functions and plain data, apart from [`apply`] which issues one operation on a `Db`
//! (any thread).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{CompactionOptions, Db, LeveledOptions, Options, WriteBatch};

/// The options of every open in the kill test (child and parent): synchronous writes (unless
/// `sync` is false: a write is then acknowledged once the OS holds it, which a process kill
/// must not lose either) and small memtables, tables and MANIFEST so flushes, compactions and
/// MANIFEST rotations happen within a few hundred milliseconds.
pub fn options(sync: bool) -> Options {
    Options {
        sync_writes: sync,
        memtable_size: 32 << 10,
        target_sst_size: 32 << 10,
        block_size: 1024,
        block_cache_size: 256 << 10,
        max_manifest_size: 8 << 10,
        compaction: CompactionOptions::Leveled(LeveledOptions {
            level_size_multiplier: 4,
            level0_file_num_compaction_trigger: 2,
            max_levels: 4,
            base_level_size_mb: 1,
        }),
        ..Options::default()
    }
}

/// The key of writer `writer`'s key number `index`.
pub fn key(writer: u32, index: u32) -> Vec<u8> {
    format!("w{writer:02}-k{index:05}").into_bytes()
}

/// Which writer and key number a key belongs to; `None` for a key no writer owns.
pub fn parse_key(key: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(key).ok()?;
    let (w, k) = text.strip_prefix('w')?.split_once("-k")?;
    if w.len() != 2 || k.len() != 5 {
        return None;
    }
    Some((w.parse().ok()?, k.parse().ok()?))
}

/// One operation of a writer: a single put or delete, or an atomic batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// Whether it goes through `Db::write` as one `WriteBatch` (else `put` / `delete`).
    pub batch: bool,
    /// `(key index, Some(value) for a put / None for a delete)`, distinct keys.
    pub writes: Vec<(u32, Option<Vec<u8>>)>,
}

/// Where a value came from, as written at the front of the value itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The writer that wrote it.
    pub writer: u32,
    /// The cycle (child process) it was written in.
    pub cycle: u64,
    /// The writer's operation number within the cycle (from 1).
    pub op: u64,
    /// Every key index the operation wrote (its batch's key set).
    pub keys: Vec<u32>,
}

impl Stamp {
    /// `(cycle, op)`: the order of one writer's operations.
    pub fn order(&self) -> (u64, u64) {
        (self.cycle, self.op)
    }

    fn encode(&self) -> String {
        let keys: Vec<String> = self.keys.iter().map(u32::to_string).collect();
        format!(
            "w={} c={} op={} keys={} |",
            self.writer,
            self.cycle,
            self.op,
            keys.join(",")
        )
    }

    /// Reads the stamp at the front of a value; `None` if the value is not one we wrote.
    pub fn parse(value: &[u8]) -> Option<Stamp> {
        let end = value.iter().position(|&b| b == b'|')?;
        let text = std::str::from_utf8(value.get(..end)?).ok()?;
        let mut fields = text.split_whitespace();
        let mut field = |name: &str| fields.next()?.strip_prefix(name).map(str::to_owned);
        let writer = field("w=")?.parse().ok()?;
        let cycle = field("c=")?.parse().ok()?;
        let op = field("op=")?.parse().ok()?;
        let keys = field("keys=")?
            .split(',')
            .map(|k| k.parse().ok())
            .collect::<Option<Vec<u32>>>()?;
        Some(Stamp {
            writer,
            cycle,
            op,
            keys,
        })
    }
}

/// Mixes the operation's coordinates into one RNG seed (splitmix64 finaliser per step).
fn mix(parts: &[u64]) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    for &p in parts {
        h ^= p;
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^= h >> 31;
    }
    h
}

/// Operation `op` (from 1) of `writer` in `cycle`, over `keys` keys per writer.
pub fn op(seed: u64, cycle: u64, writer: u32, op: u64, keys: u32) -> Op {
    let mut rng = StdRng::seed_from_u64(mix(&[seed, cycle, u64::from(writer), op]));
    // 60 % single puts, 15 % single deletes, 25 % batches.
    let roll = rng.random_range(0..100);
    let batch = roll >= 75;
    let count = if batch {
        rng.random_range(2..=6usize)
    } else {
        1
    };
    let mut indexes: Vec<u32> = Vec::with_capacity(count);
    while indexes.len() < count.min(keys as usize) {
        let i = rng.random_range(0..keys);
        if !indexes.contains(&i) {
            indexes.push(i);
        }
    }
    let stamp = Stamp {
        writer,
        cycle,
        op,
        keys: indexes.clone(),
    }
    .encode();
    let writes = indexes
        .into_iter()
        .map(|i| {
            let delete = if batch {
                rng.random_bool(0.2)
            } else {
                roll >= 60
            };
            let value = (!delete).then(|| {
                let len = rng.random_range(0..300usize);
                let mut v = format!("{stamp} key={i} ").into_bytes();
                v.extend((0..len).map(|j| b'a' + ((j + i as usize) % 26) as u8));
                v
            });
            (i, value)
        })
        .collect();
    Op { batch, writes }
}

/// Issues `op` of `writer` on `db`: one `WriteBatch` for a batch, else `put` or `delete`.
///
/// # Errors
/// The engine's error; nothing is acknowledged then.
pub fn apply(db: &Db, writer: u32, op: &Op) -> strata::Result<()> {
    if op.batch {
        let mut batch = WriteBatch::new();
        for (k, value) in &op.writes {
            match value {
                Some(v) => batch.put(key(writer, *k), v),
                None => batch.delete(key(writer, *k)),
            }
        }
        return db.write(batch);
    }
    match op.writes.first() {
        Some((k, Some(v))) => db.put(key(writer, *k), v),
        Some((k, None)) => db.delete(key(writer, *k)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_are_deterministic_and_stamped() {
        for n in 1..200 {
            let a = op(7, 3, 2, n, 50);
            assert_eq!(a, op(7, 3, 2, n, 50));
            let keys: Vec<u32> = a.writes.iter().map(|(k, _)| *k).collect();
            assert!(!keys.is_empty() && keys.len() <= 6);
            assert!(a.batch || keys.len() == 1);
            for (_, v) in &a.writes {
                if let Some(v) = v {
                    let s = Stamp::parse(v).expect("stamped");
                    assert_eq!((s.writer, s.cycle, s.op), (2, 3, n));
                    assert_eq!(s.keys, keys);
                }
            }
        }
    }

    #[test]
    fn keys_round_trip() {
        assert_eq!(parse_key(&key(3, 42)), Some((3, 42)));
        assert_eq!(parse_key(b"w3-k42"), None);
        assert_eq!(parse_key(b"junk"), None);
    }
}
