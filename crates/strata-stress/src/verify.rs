//! The kill test's model of the database and the check after each kill.
//!
//! [`Model`] holds, per writer, the value of each of its keys as verified after the previous
//! cycle and which operation last wrote it. After a kill, writer `w` had acknowledged
//! operations `1..=a` of the cycle (in order; a writer issues one at a time), and operation
//! `a + 1` may or may not have reached the log before the kill. So the writer's keys must hold
//! exactly the model after `a` operations, or after `a + 1`: anything else is a violation,
//! classified as a *lost write* (a key shows an older value, or none, than an acknowledged
//! write left), a *torn batch* (the unacknowledged operation is visible on some of its keys
//! only) or an *unexpected value* (something no write of that writer produced). Keys nobody
//! owns are unexpected too. Every key is read twice: by a full scan and by a point `get`.
//!
//! Single-threaded; runs in the parent on a freshly reopened database.

use std::collections::BTreeMap;

use anyhow::Result;
use strata::Db;

use crate::workload::{self, Stamp};

/// A key's modelled state: its value (`None`: deleted) and the `(cycle, op)` that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    value: Option<Vec<u8>>,
    by: (u64, u64),
}

/// Per writer, its keys' verified states (a key never written is absent).
#[derive(Debug, Default)]
pub struct Model {
    writers: Vec<BTreeMap<u32, Slot>>,
}

/// Figures of one or more checks.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Acknowledged operations whose effect was checked.
    pub acked: u64,
    /// Unacknowledged (in-flight at the kill) operations found applied.
    pub landed: u64,
    /// Keys compared with the model (scan and get).
    pub keys: u64,
    /// Keys that lost an acknowledged write.
    pub lost: u64,
    /// Batches visible on some of their keys only.
    pub torn: u64,
    /// Keys holding something no write produced (or keys nobody owns).
    pub unexpected: u64,
}

impl Tally {
    /// Adds `other`'s figures.
    pub fn add(&mut self, other: &Tally) {
        self.acked += other.acked;
        self.landed += other.landed;
        self.keys += other.keys;
        self.lost += other.lost;
        self.torn += other.torn;
        self.unexpected += other.unexpected;
    }
}

/// What one cycle's writers did: the run's coordinates and each writer's last acknowledged op.
pub struct Cycle<'a> {
    /// The run's seed.
    pub seed: u64,
    /// The cycle number.
    pub cycle: u64,
    /// Keys per writer.
    pub keys: u32,
    /// `acked[w]`: the last operation of writer `w` acknowledged (0: none).
    pub acked: &'a [u64],
}

/// The present keys of a writer's model, as the database should show them.
fn visible(state: &BTreeMap<u32, Slot>) -> BTreeMap<u32, Vec<u8>> {
    state
        .iter()
        .filter_map(|(k, s)| s.value.clone().map(|v| (*k, v)))
        .collect()
}

fn apply(state: &mut BTreeMap<u32, Slot>, cx: &Cycle<'_>, writer: u32, n: u64) -> Vec<u32> {
    let op = workload::op(cx.seed, cx.cycle, writer, n, cx.keys);
    let mut keys = Vec::new();
    for (k, value) in op.writes {
        keys.push(k);
        let by = (cx.cycle, n);
        state.insert(k, Slot { value, by });
    }
    keys
}

impl Model {
    /// A model of an empty database with `writers` writers.
    pub fn new(writers: u32) -> Model {
        Model {
            writers: (0..writers).map(|_| BTreeMap::new()).collect(),
        }
    }

    /// Checks the reopened `db` after cycle `cx`, moves the model to the state found (when it
    /// is one of the allowed ones) and returns the figures plus a line per violation.
    pub fn check(&mut self, db: &Db, cx: &Cycle<'_>) -> Result<(Tally, Vec<String>)> {
        let mut tally = Tally::default();
        let mut problems = Vec::new();
        // Everything in the database, by a scan and by point reads.
        let mut actual: Vec<BTreeMap<u32, Vec<u8>>> = vec![BTreeMap::new(); self.writers.len()];
        for item in db.iter()? {
            let (key, value) = item?;
            match workload::parse_key(&key)
                .filter(|(w, k)| (*w as usize) < actual.len() && *k < cx.keys)
            {
                Some((w, k)) => {
                    if let Some(slots) = actual.get_mut(w as usize) {
                        slots.insert(k, value.to_vec());
                    }
                }
                None => {
                    tally.unexpected += 1;
                    problems.push(format!(
                        "a key nobody writes: {:?}",
                        String::from_utf8_lossy(&key)
                    ));
                }
            }
        }
        for (w, found) in actual.iter().enumerate() {
            let w = w as u32;
            for k in 0..cx.keys {
                let got = db.get(workload::key(w, k))?;
                tally.keys += 1;
                if got.as_deref() != found.get(&k).map(Vec::as_slice) {
                    tally.unexpected += 1;
                    problems.push(format!("writer {w} key {k}: get and scan disagree"));
                }
            }
        }
        for (w, found) in actual.iter().enumerate() {
            let a = cx.acked.get(w).copied().unwrap_or(0);
            let (t, p) = self.check_writer(w as u32, a, found, cx);
            tally.add(&t);
            problems.extend(p);
        }
        Ok((tally, problems))
    }

    fn check_writer(
        &mut self,
        w: u32,
        acked: u64,
        found: &BTreeMap<u32, Vec<u8>>,
        cx: &Cycle<'_>,
    ) -> (Tally, Vec<String>) {
        let mut tally = Tally {
            acked,
            ..Tally::default()
        };
        let mut problems = Vec::new();
        let Some(state) = self.writers.get_mut(w as usize) else {
            return (tally, problems);
        };
        let mut after_a = state.clone();
        for n in 1..=acked {
            apply(&mut after_a, cx, w, n);
        }
        let mut after_next = after_a.clone();
        let next_keys = apply(&mut after_next, cx, w, acked + 1);
        let (want_a, want_next) = (visible(&after_a), visible(&after_next));
        if *found == want_a {
            *state = after_a;
            return (tally, problems);
        }
        if *found == want_next {
            tally.landed += 1;
            *state = after_next;
            return (tally, problems);
        }
        // A violation: say which keys differ from the acknowledged state and how.
        let mut keys: Vec<u32> = want_a.keys().chain(found.keys()).copied().collect();
        keys.sort_unstable();
        keys.dedup();
        let mut partial = Vec::new();
        for k in keys.into_iter().filter(|k| found.get(k) != want_a.get(k)) {
            let got = found.get(&k);
            if next_keys.contains(&k) && got == want_next.get(&k) {
                partial.push(k);
                continue;
            }
            let slot = after_a.get(&k);
            let stamp = got.and_then(|v| Stamp::parse(v));
            let older = match (&stamp, slot) {
                (None, Some(_)) => got.is_none(),
                (Some(s), Some(slot)) => s.writer == w && s.order() < slot.by,
                _ => false,
            };
            let what = match &stamp {
                Some(s) => format!("value of cycle {} op {}", s.cycle, s.op),
                None if got.is_some() => "an unstamped value".to_owned(),
                None => "no value".to_owned(),
            };
            let wanted = match slot {
                Some(s) if s.value.is_some() => {
                    format!("the put of cycle {} op {}", s.by.0, s.by.1)
                }
                Some(s) => format!("the delete of cycle {} op {}", s.by.0, s.by.1),
                None => "nothing (never written)".to_owned(),
            };
            if older {
                tally.lost += 1;
                problems.push(format!(
                    "LOST WRITE: writer {w} key {k} shows {what}; acknowledged: {wanted}"
                ));
            } else {
                tally.unexpected += 1;
                problems.push(format!(
                    "UNEXPECTED: writer {w} key {k} shows {what}; acknowledged: {wanted}"
                ));
            }
        }
        let changed_by_next = next_keys
            .iter()
            .filter(|k| want_a.get(k) != want_next.get(k))
            .count();
        if !partial.is_empty() && partial.len() < changed_by_next {
            tally.torn += 1;
            problems.push(format!(
                "TORN BATCH: writer {w} op {} (in flight at the kill) is visible on keys \
                 {partial:?} of {next_keys:?} only",
                acked + 1
            ));
        }
        *state = after_a;
        (tally, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Op, apply, op};

    const SEED: u64 = 3;
    const KEYS: u32 = 20;

    fn cycle(acked: &[u64]) -> Cycle<'_> {
        Cycle {
            seed: SEED,
            cycle: 1,
            keys: KEYS,
            acked,
        }
    }

    /// A database holding ops `1..=n` of writer 0, then `extra` (a part of an op, say).
    fn db_with(n: u64, extra: Option<&Op>) -> Result<(tempfile::TempDir, Db)> {
        let dir = tempfile::tempdir()?;
        let db = Db::open(dir.path(), Options::default())?;
        for i in 1..=n {
            apply(&db, 0, &op(SEED, 1, 0, i, KEYS))?;
        }
        if let Some(extra) = extra {
            apply(&db, 0, extra)?;
        }
        Ok((dir, db))
    }

    /// The first op number after 5 whose op passes `pred`.
    fn find(pred: impl Fn(&Op) -> bool) -> u64 {
        (5..).find(|&n| pred(&op(SEED, 1, 0, n, KEYS))).unwrap_or(5)
    }

    use strata::Options;

    #[test]
    fn acknowledged_and_landed_states_pass() -> Result<()> {
        let (_d, db) = db_with(30, None)?;
        let (t, p) = Model::new(1).check(&db, &cycle(&[30]))?;
        assert!(p.is_empty(), "{p:?}");
        assert_eq!((t.acked, t.landed, t.keys), (30, 0, u64::from(KEYS)));
        let (t, p) = Model::new(1).check(&db, &cycle(&[29]))?;
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(t.landed, 1);
        Ok(())
    }

    #[test]
    fn a_missing_acknowledged_put_is_a_lost_write() -> Result<()> {
        // Op n puts a key nothing else touches between n and n + 1.
        let n = find(|o| !o.batch && o.writes.iter().all(|(_, v)| v.is_some()));
        let (_d, db) = db_with(n - 1, None)?;
        let (t, p) = Model::new(1).check(&db, &cycle(&[n]))?;
        assert_eq!(t.lost, 1, "{p:?}");
        assert!(p.iter().any(|l| l.starts_with("LOST WRITE")), "{p:?}");
        Ok(())
    }

    #[test]
    fn half_a_batch_is_a_torn_batch() -> Result<()> {
        let n =
            find(|o| o.batch && o.writes.len() >= 2 && o.writes.iter().all(|(_, v)| v.is_some()));
        let whole = op(SEED, 1, 0, n, KEYS);
        let half = Op {
            batch: true,
            writes: whole.writes.get(..1).unwrap_or_default().to_vec(),
        };
        let (_d, db) = db_with(n - 1, Some(&half))?;
        let (t, p) = Model::new(1).check(&db, &cycle(&[n - 1]))?;
        assert_eq!((t.torn, t.lost, t.unexpected), (1, 0, 0), "{p:?}");
        Ok(())
    }

    #[test]
    fn a_value_never_written_is_unexpected() -> Result<()> {
        let (_d, db) = db_with(10, None)?;
        db.put(workload::key(0, 3), b"w=0 c=1 op=99 keys=3 | forged")?;
        db.put(b"stray", b"x")?;
        let (t, p) = Model::new(1).check(&db, &cycle(&[10]))?;
        assert_eq!((t.unexpected, t.lost), (2, 0), "{p:?}");
        Ok(())
    }
}
