//! A model of what the database must hold: the acknowledged history of batches, and the
//! check that a recovered state is a prefix of it.

use std::collections::BTreeMap;

use strata::{Db, Result};

/// Key → value.
pub type Map = BTreeMap<Vec<u8>, Vec<u8>>;

/// One batch: (key, Some(value) for a put | None for a delete), applied in order.
pub type Batch = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// The batches written, in commit order (one writer), and how far they were acknowledged.
#[derive(Debug, Default, Clone)]
pub struct History {
    /// Every batch handed to the database, in order.
    pub batches: Vec<Batch>,
    /// Batches `0..acked` returned `Ok` (they reached the OS, with a WAL).
    pub acked: usize,
    /// Batches `0..durable` were made durable (a synced write, `sync()` or `flush()` `Ok`).
    pub durable: usize,
}

/// Applies one batch to a map.
pub fn apply(map: &mut Map, batch: &Batch) {
    for (k, v) in batch {
        match v {
            Some(v) => {
                map.insert(k.clone(), v.clone());
            }
            None => {
                map.remove(k);
            }
        }
    }
}

impl History {
    /// Batches handed to the database (acknowledged or not).
    pub fn attempted(&self) -> usize {
        self.batches.len()
    }

    /// The state after the first `k` batches.
    pub fn state_at(&self, k: usize) -> Map {
        let mut m = Map::new();
        for b in self.batches.iter().take(k) {
            apply(&mut m, b);
        }
        m
    }

    /// The `k` in `lo..=hi` (the largest if several) whose state equals `got`; else a
    /// description of the nearest prefix and how `got` differs from it.
    pub fn match_prefix(&self, got: &Map, lo: usize, hi: usize) -> Result<usize, String> {
        let hi = hi.min(self.batches.len());
        let mut m = self.state_at(lo);
        let mut found = None;
        let mut best: Option<(usize, usize)> = None;
        for k in lo..=hi {
            if k > lo
                && let Some(b) = self.batches.get(k - 1)
            {
                apply(&mut m, b);
            }
            if &m == got {
                found = Some(k);
                continue;
            }
            let d = diff(&m, got).len();
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((k, d));
            }
        }
        if let Some(k) = found {
            return Ok(k);
        }
        // Also look outside the allowed window, to tell "lost writes" from "garbage".
        let mut anywhere = None;
        let mut m = Map::new();
        for k in 0..=self.batches.len() {
            if k > 0
                && let Some(b) = self.batches.get(k - 1)
            {
                apply(&mut m, b);
            }
            if &m == got {
                anywhere = Some(k);
            }
        }
        let (k, _) = best.unwrap_or((lo, 0));
        let d = diff(&self.state_at(k), got);
        Err(format!(
            "recovered state is no prefix in {lo}..={hi} (of {} batches; equals prefix {:?} \
             outside the window); nearest k={k} differs in {} keys, first ones: {:?}",
            self.batches.len(),
            anywhere,
            d.len(),
            d.iter().take(6).collect::<Vec<_>>()
        ))
    }
}

/// Keys whose values differ: (key, expected, got), as text.
pub fn diff(want: &Map, got: &Map) -> Vec<String> {
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<&Vec<u8>> = want.keys().chain(got.keys()).collect();
    for k in keys {
        let (a, b) = (want.get(k), got.get(k));
        if a != b {
            out.push(format!(
                "{}: want {:?} got {:?}",
                String::from_utf8_lossy(k),
                a.map(|v| String::from_utf8_lossy(v).into_owned()),
                b.map(|v| String::from_utf8_lossy(v).into_owned()),
            ));
        }
    }
    out
}

/// Everything the database holds, by a forward scan.
pub fn scan(db: &Db) -> Result<Map> {
    let mut m = Map::new();
    for kv in db.iter()? {
        let (k, v) = kv?;
        m.insert(k.to_vec(), v.to_vec());
    }
    Ok(m)
}

/// Checks that point reads of `keys` agree with `state` (a scan result); returns the first
/// disagreement.
pub fn gets_agree(db: &Db, state: &Map, keys: &[Vec<u8>]) -> Result<Option<String>> {
    for k in keys {
        let got = db.get(k)?.map(|v| v.to_vec());
        if got.as_ref() != state.get(k) {
            return Ok(Some(format!(
                "get({}) = {:?} but the scan says {:?}",
                String::from_utf8_lossy(k),
                got,
                state.get(k)
            )));
        }
    }
    Ok(None)
}
