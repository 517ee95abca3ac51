//! User iterator tests against a BTreeMap model: random read seqs and bounds, forward,
//! reverse and alternating ends, errors, laziness.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering as AtomicOrdering;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::iter::merge::MergeIterator;
use crate::iter::testing::{
    FailingIter, Record, VecIter, VersionMap, encode_records, random_records, random_user_key,
    sort_entries, version_map,
};
use crate::memtable::MemTable;

type Pair = (Vec<u8>, Vec<u8>);

/// The model: user key -> seq -> (is_put, value).
struct Model(VersionMap);

impl Model {
    fn new(records: &[Record]) -> Model {
        Model(version_map(records))
    }

    /// Live pairs at `seq` within the bounds, ascending.
    fn scan(&self, seq: u64, lower: &Bound<Bytes>, upper: &Bound<Bytes>) -> Vec<Pair> {
        let in_range = |k: &[u8]| {
            let above = match lower {
                Bound::Included(x) => k >= &x[..],
                Bound::Excluded(x) => k > &x[..],
                Bound::Unbounded => true,
            };
            let below = match upper {
                Bound::Included(y) => k <= &y[..],
                Bound::Excluded(y) => k < &y[..],
                Bound::Unbounded => true,
            };
            above && below
        };
        self.0
            .iter()
            .filter(|(k, _)| in_range(k))
            .filter_map(|(k, versions)| match versions.range(..=seq).next_back() {
                Some((_, (true, v))) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect()
    }
}

/// Spreads records over a memtable and several sorted sources merged together.
fn build_inner(rng: &mut StdRng, records: &[Record]) -> (BoxedIterator, Arc<MemTable>) {
    let mem = Arc::new(MemTable::new(1));
    let k = rng.random_range(1..5);
    let mut sources: Vec<Vec<Record>> = vec![Vec::new(); k];
    for record in records {
        let source = rng.random_range(0..=k);
        if source == k {
            let kind = if record.2 {
                ValueKind::Put
            } else {
                ValueKind::Delete
            };
            mem.add(record.1, kind, &record.0, &record.3).unwrap();
        } else {
            sources[source].push(record.clone());
        }
    }
    let mut children: Vec<BoxedIterator> = vec![Box::new(mem.iter())];
    for source in &sources {
        let mut entries = encode_records(source);
        sort_entries(&mut entries);
        children.push(VecIter::boxed(entries));
    }
    (Box::new(MergeIterator::new(children)), mem)
}

fn random_bound(rng: &mut StdRng) -> Bound<Bytes> {
    match rng.random_range(0..4) {
        0 => Bound::Unbounded,
        1 => Bound::Excluded(Bytes::from(random_user_key(rng))),
        _ => Bound::Included(Bytes::from(random_user_key(rng))),
    }
}

fn pairs(items: impl Iterator<Item = Result<(Bytes, Bytes)>>) -> Vec<Pair> {
    items
        .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
        .collect()
}

#[test]
fn matches_model_forward_reverse_and_alternating() {
    let mut rng = StdRng::seed_from_u64(40);
    for round in 0..300 {
        let n = rng.random_range(0..250);
        let records = random_records(&mut rng, n);
        let model = Model::new(&records);
        for _ in 0..4 {
            let seq = rng.random_range(0..=n as u64 + 1);
            let (lower, upper) = (random_bound(&mut rng), random_bound(&mut rng));
            let expected = model.scan(seq, &lower, &upper);
            let what = format!("round {round} seq {seq} bounds {lower:?}..{upper:?}");
            let make = |rng: &mut StdRng| {
                let (inner, mem) = build_inner(rng, &records);
                Iter::new(inner, seq, lower.clone(), upper.clone(), Box::new(mem))
            };
            assert_eq!(pairs(make(&mut rng)), expected, "forward, {what}");
            let mut reversed = pairs(make(&mut rng).rev());
            reversed.reverse();
            assert_eq!(reversed, expected, "reverse, {what}");
            // Alternate ends at random: each end yields the model's next pair at that end.
            let mut it = make(&mut rng);
            let mut remaining: VecDeque<Pair> = expected.iter().cloned().collect();
            loop {
                let front = rng.random_bool(0.5);
                let (got, want) = if front {
                    (it.next(), remaining.pop_front())
                } else {
                    (it.next_back(), remaining.pop_back())
                };
                let got = got.map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap());
                assert_eq!(got, want, "alternating (front={front}), {what}");
                if want.is_none() {
                    break;
                }
            }
            assert!(
                it.next().is_none() && it.next_back().is_none(),
                "fused, {what}"
            );
        }
    }
}

#[test]
fn newest_visible_version_decides_both_ways() {
    let key = |k: &[u8], seq, put: bool, v: &[u8]| (k.to_vec(), seq, put, v.to_vec());
    let records = vec![
        key(b"a", 1, true, b"a1"),
        key(b"a", 3, false, b""),
        key(b"a", 5, true, b"a5"),
        key(b"b", 2, true, b""),
        key(b"b", 4, true, b"b4"),
        key(b"c", 6, false, b""),
        key(b"c", 2, true, b"c2"),
    ];
    let check = |seq: u64, want: &[(&[u8], &[u8])]| {
        let want: Vec<Pair> = want.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        let mut rng = StdRng::seed_from_u64(seq);
        let (inner, mem) = build_inner(&mut rng, &records);
        let it = Iter::new(
            inner,
            seq,
            Bound::Unbounded,
            Bound::Unbounded,
            Box::new(mem),
        );
        assert_eq!(pairs(it), want, "forward at {seq}");
        let (inner, mem) = build_inner(&mut rng, &records);
        let it = Iter::new(
            inner,
            seq,
            Bound::Unbounded,
            Bound::Unbounded,
            Box::new(mem),
        );
        let mut back = pairs(it.rev());
        back.reverse();
        assert_eq!(back, want, "backward at {seq}");
    };
    check(0, &[]);
    check(1, &[(b"a", b"a1")]);
    check(2, &[(b"a", b"a1"), (b"b", b""), (b"c", b"c2")]);
    check(3, &[(b"b", b""), (b"c", b"c2")]);
    check(4, &[(b"b", b"b4"), (b"c", b"c2")]);
    check(5, &[(b"a", b"a5"), (b"b", b"b4"), (b"c", b"c2")]);
    check(6, &[(b"a", b"a5"), (b"b", b"b4")]);
    check(u64::MAX, &[(b"a", b"a5"), (b"b", b"b4")]);
}

#[test]
fn bounds_edge_cases() {
    let records: Vec<Record> = [&b""[..], b"a", b"b", b"c"]
        .iter()
        .enumerate()
        .map(|(i, k)| (k.to_vec(), i as u64 + 1, true, k.to_vec()))
        .collect();
    let keys = |lower: Bound<&[u8]>, upper: Bound<&[u8]>, rev: bool| -> Vec<Vec<u8>> {
        let own = |b: Bound<&[u8]>| b.map(Bytes::copy_from_slice);
        let mut rng = StdRng::seed_from_u64(1);
        let (inner, mem) = build_inner(&mut rng, &records);
        let it = Iter::new(inner, 10, own(lower), own(upper), Box::new(mem));
        let mut out: Vec<Vec<u8>> = if rev { pairs(it.rev()) } else { pairs(it) }
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        if rev {
            out.reverse();
        }
        out
    };
    use Bound::{Excluded as E, Included as I, Unbounded as U};
    let (a, b, c, e): (&[u8], &[u8], &[u8], &[u8]) = (b"a", b"b", b"c", b"");
    for rev in [false, true] {
        assert_eq!(
            keys(U, U, rev),
            vec![e.to_vec(), a.to_vec(), b.to_vec(), c.to_vec()]
        );
        assert_eq!(
            keys(I(e), E(a), rev),
            vec![e.to_vec()],
            "the empty key is a key"
        );
        assert_eq!(keys(E(a), I(c), rev), vec![b.to_vec(), c.to_vec()]);
        assert_eq!(keys(I(a), E(c), rev), vec![a.to_vec(), b.to_vec()]);
        assert_eq!(keys(I(b), I(b), rev), vec![b.to_vec()]);
        assert!(keys(I(b), E(b), rev).is_empty());
        assert!(keys(E(b), I(b), rev).is_empty());
        assert!(keys(E(b), E(b), rev).is_empty());
        assert!(
            keys(I(c), I(a), rev).is_empty(),
            "start > end is empty, never a panic"
        );
        assert!(keys(E(a), E(b), rev).is_empty());
        assert_eq!(keys(I(b"bb"), U, rev), vec![c.to_vec()]);
        assert_eq!(keys(U, E(b"a\0"), rev), vec![e.to_vec(), a.to_vec()]);
    }
}

#[test]
fn lazy_and_empty_ranges_touch_nothing() {
    let (inner, probe) = FailingIter::new(VecIter::new(Vec::new()), 0);
    let mut it = Iter::new(
        Box::new(inner),
        5,
        Bound::Unbounded,
        Bound::Unbounded,
        Box::new(()),
    );
    assert_eq!(
        probe.calls.load(AtomicOrdering::SeqCst),
        0,
        "construction is lazy"
    );
    assert!(it.next().is_none());
    assert_eq!(probe.calls.load(AtomicOrdering::SeqCst), 1);
    let (inner, probe) = FailingIter::new(VecIter::new(Vec::new()), 0);
    let lower = Bound::Included(Bytes::from_static(b"z"));
    let upper = Bound::Excluded(Bytes::from_static(b"a"));
    let mut it = Iter::new(Box::new(inner), 5, lower, upper, Box::new(()));
    assert!(it.next().is_none() && it.next_back().is_none());
    assert_eq!(
        probe.calls.load(AtomicOrdering::SeqCst),
        0,
        "an empty range touches nothing"
    );
}

#[test]
fn first_error_is_yielded_then_none_forever() {
    let mut rng = StdRng::seed_from_u64(41);
    for round in 0..60 {
        let n = rng.random_range(1..80);
        let records = random_records(&mut rng, n);
        let model = Model::new(&records);
        let seq = rng.random_range(0..=n as u64);
        let expected = model.scan(seq, &Bound::Unbounded, &Bound::Unbounded);
        let mut entries = encode_records(&records);
        sort_entries(&mut entries);
        let mut fail_at = 1;
        loop {
            let (inner, probe) = FailingIter::new(VecIter::new(entries.clone()), fail_at);
            let mut it = Iter::new(
                Box::new(inner),
                seq,
                Bound::Unbounded,
                Bound::Unbounded,
                Box::new(()),
            );
            // Alternate ends with a fixed pattern so direction switches hit errors too.
            let mut remaining: VecDeque<Pair> = expected.iter().cloned().collect();
            let mut errored = false;
            for step in 0.. {
                let front = (step / 2) % 2 == 0;
                let got = if front { it.next() } else { it.next_back() };
                match got {
                    Some(Ok((k, v))) => {
                        let want = if front {
                            remaining.pop_front()
                        } else {
                            remaining.pop_back()
                        };
                        assert_eq!(
                            Some((k.to_vec(), v.to_vec())),
                            want,
                            "round {round} fail_at {fail_at}"
                        );
                    }
                    Some(Err(e)) => {
                        assert!(e.is_corruption());
                        errored = true;
                        break;
                    }
                    None => break,
                }
            }
            if !errored {
                assert!(remaining.is_empty());
                assert!(!probe.failed.load(AtomicOrdering::SeqCst));
                break;
            }
            for _ in 0..3 {
                assert!(it.next().is_none());
                assert!(it.next_back().is_none());
            }
            fail_at += 1;
        }
    }
}

#[test]
fn corrupt_kind_is_an_error_not_a_panic() {
    let entries = vec![
        (crate::key::make_internal_key(b"a", 1, 1), b"a".to_vec()),
        (crate::key::make_internal_key(b"b", 1, 9), b"b".to_vec()),
    ];
    let it = Iter::new(
        VecIter::boxed(entries.clone()),
        5,
        Bound::Unbounded,
        Bound::Unbounded,
        Box::new(()),
    );
    let items: Vec<_> = it.collect();
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok() && items[1].as_ref().is_err_and(|e| e.is_corruption()));
    let mut it = Iter::new(
        VecIter::boxed(entries),
        5,
        Bound::Unbounded,
        Bound::Unbounded,
        Box::new(()),
    );
    assert!(it.next_back().unwrap().is_err());
    assert!(it.next().is_none());
}

/// Scan rate of a user iterator over a memtable and three sorted sources (1M entries):
/// `cargo test --release -p strata --lib iter::user::tests::scan_throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn scan_throughput() {
    const N: usize = 1_000_000;
    let mut rng = StdRng::seed_from_u64(42);
    let mem = Arc::new(MemTable::new(1));
    let mut sources: Vec<Vec<crate::iter::testing::Entry>> = vec![Vec::new(); 3];
    for i in 0..N {
        let key = format!("user{:016}", rng.random::<u64>());
        let value = [b'x'; 100];
        let seq = i as u64 + 1;
        match i % 4 {
            3 => mem
                .add(seq, ValueKind::Put, key.as_bytes(), &value)
                .unwrap(),
            s => sources[s].push((
                crate::key::make_internal_key(key.as_bytes(), seq, 1),
                value.to_vec(),
            )),
        }
    }
    let mut children: Vec<BoxedIterator> = vec![Box::new(mem.iter())];
    for mut source in sources {
        sort_entries(&mut source);
        // Reallocate in key order, so a source is laid out like an SST's blocks.
        let source = source.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        children.push(VecIter::boxed(source));
    }
    let mut merged = MergeIterator::new(children);
    let start = std::time::Instant::now();
    merged.seek_to_first().unwrap();
    let mut raw = 0;
    while merged.valid() {
        raw += 1;
        merged.next().unwrap();
    }
    println!(
        "raw merge forward: {:.0}/s",
        raw as f64 / start.elapsed().as_secs_f64()
    );
    let start = std::time::Instant::now();
    merged.seek_to_last().unwrap();
    let mut raw = 0;
    while merged.valid() {
        raw += 1;
        merged.prev().unwrap();
    }
    println!(
        "raw merge backward: {:.0}/s",
        raw as f64 / start.elapsed().as_secs_f64()
    );
    let inner: BoxedIterator = Box::new(merged);
    let mut it = Iter::new(
        inner,
        N as u64,
        Bound::Unbounded,
        Bound::Unbounded,
        Box::new(()),
    );
    let start = std::time::Instant::now();
    let forward = it.by_ref().take(N / 2).count();
    println!(
        "user forward half: {:.0}/s",
        forward as f64 / start.elapsed().as_secs_f64()
    );
    let start2 = std::time::Instant::now();
    let back = it.rev().count();
    println!(
        "user backward half: {:.0}/s",
        back as f64 / start2.elapsed().as_secs_f64()
    );
    let elapsed = start.elapsed();
    assert_eq!(forward + back, N);
    println!(
        "user iterator scan: {:.0} entries/s",
        N as f64 / elapsed.as_secs_f64()
    );
}

#[test]
fn marks_track_how_far_each_end_scanned() {
    let records: Vec<Record> = [(&b"a"[..], true), (b"b", false), (b"c", true), (b"d", true)]
        .iter()
        .enumerate()
        .map(|(i, (k, put))| (k.to_vec(), i as u64 + 1, *put, k.to_vec()))
        .collect();
    let mut entries = encode_records(&records);
    sort_entries(&mut entries);
    let lower = Bound::Excluded(Bytes::from_static(b"0"));
    let mut it = Iter::new(
        VecIter::boxed(entries),
        9,
        lower,
        Bound::Unbounded,
        Box::new(()),
    );
    assert_eq!((it.front_mark(), it.back_mark()), (Some(&b"0"[..]), None));
    assert_eq!(it.next().unwrap().unwrap().0, Bytes::from_static(b"a"));
    assert_eq!(it.front_mark(), Some(&b"a"[..]));
    // "b" is a tombstone: the front passes it on the way to "c".
    assert_eq!(it.next().unwrap().unwrap().0, Bytes::from_static(b"c"));
    assert_eq!(it.front_mark(), Some(&b"c"[..]));
    assert_eq!(it.next_back().unwrap().unwrap().0, Bytes::from_static(b"d"));
    assert_eq!(it.back_mark(), Some(&b"d"[..]));
    assert!(!it.is_finished());
    assert!(it.next().is_none() && it.is_finished());
}
